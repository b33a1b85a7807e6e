// Package copier fills the ghost table from the original, one key range
// ("chunk") at a time.
//
// Invariant (design.md, 2): each chunk is read and written by one statement,
// INSERT IGNORE … SELECT … with a locking read, so any later change to those
// rows commits after the chunk and reaches the applier after it; a row the
// applier already wrote is newer and the copy skips it. Rows inserted above the
// maximum key read at start arrive through the binlog, so the copier never
// chases a moving end.
//
// INSERT IGNORE turns every data error into a warning. The copier reads the
// warnings of every chunk: duplicates on the migration key are the expected
// "applier was first" case; a duplicate on another unique key is reported to
// the caller (the row may be lost unless a later change resolves it), and any
// other warning (truncation, out of range, bad character) fails the copy, so
// no value is changed silently.
package copier
