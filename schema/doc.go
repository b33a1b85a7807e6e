// Package schema owns what doppel knows about tables before it moves a row:
// the metadata of the original and ghost tables (LoadTable, ForeignKeys,
// Triggers), the analysis of the user's ALTER (ParseAlter, with TiDB's MySQL
// parser rather than regular expressions), the columns both tables share and
// the migration key that identifies a row in both (Map), and the quoting
// helpers every package uses to put names into SQL text.
//
// Invariants the rest of doppel relies on:
//   - Table.Columns is in ordinal order, which is the order of values in a
//     binlog row image.
//   - A Mapping only pairs columns that carry the same data: dropped,
//     generated and (unless approved) renamed columns are never shared.
//   - The migration key is unique and NOT NULL in both tables, over the same
//     columns in the same order, with no prefix, expression, floating point
//     or JSON part, so equality and range comparisons on it are exact.
//
// The package reads information_schema only; it never changes a table, and it
// imports no other doppel package.
package schema
