package schema

import (
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// KeyRange builds the SQL that walks a table in order of a key: the copier's
// chunks, the checksum's chunks and their repairs all range over one.
//
// Key values travel as the Go type the server compares the way the index
// orders: integers as integers (a string would be compared as a double and
// lose precision above 2^53), text as text in the column's collation, binary
// as bytes, decimals cast to the column's own type, enums by their index.
type KeyRange struct {
	Cols  []Column
	alias string // "o." when the columns are qualified
}

// NewKeyRange returns the range over t's columns named in names.
func NewKeyRange(t *Table, names []string) (KeyRange, error) {
	var k KeyRange
	for _, name := range names {
		col, ok := t.Column(name)
		if !ok {
			return KeyRange{}, fmt.Errorf("key column %q not in table %s", name, t.Name)
		}
		k.Cols = append(k.Cols, col)
	}
	if len(k.Cols) == 0 {
		return KeyRange{}, fmt.Errorf("table %s: empty key", t.Name)
	}
	return k, nil
}

// Qualified returns the same range with its columns prefixed by alias.
func (k KeyRange) Qualified(alias string) KeyRange {
	return KeyRange{Cols: k.Cols, alias: QuoteIdent(alias) + "."}
}

// Renamed returns a range over the same key under other column names (the
// ghost's names for the original's key columns), keeping the types.
func (k KeyRange) Renamed(names []string) KeyRange {
	cols := append([]Column(nil), k.Cols...)
	for i := range cols {
		if i < len(names) {
			cols[i].Name = names[i]
		}
	}
	return KeyRange{Cols: cols, alias: k.alias}
}

// Expr is how key column i appears in select lists and comparisons.
func (k KeyRange) Expr(i int) string {
	col := k.Cols[i]
	if isEnumType(col.DataType) {
		return k.alias + QuoteIdent(col.Name) + "+0"
	}
	return k.alias + QuoteIdent(col.Name)
}

// Placeholder is the parameter marker for a value of key column i.
func (k KeyRange) Placeholder(i int) string {
	col := k.Cols[i]
	if col.DataType == "decimal" {
		t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.ReplaceAll(col.ColumnType, "zerofill", "")), "unsigned"))
		return "CAST(? AS " + strings.ToUpper(t) + ")"
	}
	return "?"
}

// Select is the key's select list.
func (k KeyRange) Select() string {
	parts := make([]string, len(k.Cols))
	for i := range k.Cols {
		parts[i] = k.Expr(i)
	}
	return strings.Join(parts, ", ")
}

// OrderBy orders by the key, dir "ASC" or "DESC".
func (k KeyRange) OrderBy(dir string) string {
	parts := make([]string, len(k.Cols))
	for i, c := range k.Cols {
		parts[i] = k.alias + QuoteIdent(c.Name) + " " + dir
	}
	return strings.Join(parts, ", ")
}

// Where is the condition for keys above low (or equal, with inclusiveLow)
// and at most high. A nil bound is open: (-inf, high] or (low, +inf).
func (k KeyRange) Where(low []any, inclusiveLow bool, high []any) (string, []any) {
	var conds []string
	var args []any
	if low != nil {
		c, a := k.Compare(low, ">", inclusiveLow)
		conds, args = append(conds, "("+c+")"), append(args, a...)
	}
	if high != nil {
		c, a := k.Compare(high, "<", true)
		conds, args = append(conds, "("+c+")"), append(args, a...)
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), args
}

// Compare expands (k1..kn) op (v1..vn) into ORs of ANDs, a form both MySQL
// and MariaDB turn into index ranges.
func (k KeyRange) Compare(vals []any, op string, orEqual bool) (string, []any) {
	var ors []string
	var args []any
	for i := range k.Cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, k.Expr(j)+" = "+k.Placeholder(j))
			args = append(args, vals[j])
		}
		o := op
		if orEqual && i == len(k.Cols)-1 {
			o += "="
		}
		ands = append(ands, k.Expr(i)+" "+o+" "+k.Placeholder(i))
		args = append(args, vals[i])
		ors = append(ors, strings.Join(ands, " AND "))
	}
	return "(" + strings.Join(ors, ") OR (") + ")", args
}

// In is the condition for keys equal to one of keys.
func (k KeyRange) In(keys [][]any) (string, []any) {
	var ors []string
	var args []any
	for _, key := range keys {
		ands := make([]string, len(k.Cols))
		for i := range k.Cols {
			ands[i] = k.Expr(i) + " = " + k.Placeholder(i)
			args = append(args, key[i])
		}
		ors = append(ors, strings.Join(ands, " AND "))
	}
	if len(ors) == 0 {
		return "FALSE", nil
	}
	return "(" + strings.Join(ors, ") OR (") + ")", args
}

// Scan reads one row whose first len(k.Cols) columns are the key's select
// list; further columns go to rest.
func (k KeyRange) Scan(rows *sql.Rows, rest ...any) ([]any, error) {
	raw := make([]sql.RawBytes, len(k.Cols))
	dest := make([]any, 0, len(raw)+len(rest))
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	if err := rows.Scan(append(dest, rest...)...); err != nil {
		return nil, fmt.Errorf("scan key: %w", err)
	}
	out := make([]any, len(raw))
	for i, col := range k.Cols {
		v, err := keyValue(col, raw[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func keyValue(col Column, raw []byte) (any, error) {
	switch {
	case IsIntegerType(col.DataType) && col.Unsigned:
		return strconv.ParseUint(string(raw), 10, 64)
	case IsIntegerType(col.DataType), isEnumType(col.DataType):
		return strconv.ParseInt(string(raw), 10, 64)
	case col.Charset != "" || col.DataType == "decimal" || isTemporalType(col.DataType):
		return string(raw), nil
	default:
		// Never nil: the driver sends a nil []byte as NULL, and a chunk
		// bound of NULL would skip every row of an empty binary key value.
		return append([]byte{}, raw...), nil
	}
}

// FormatKey renders a key for logs and errors: key columns are identifiers,
// not row payload, and operators need them to find the rows in question.
func FormatKey(k []any) string {
	parts := make([]string, len(k))
	for i, v := range k {
		switch v := v.(type) {
		case []byte:
			parts[i] = strconv.Quote(string(v))
		case string:
			parts[i] = strconv.Quote(v)
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(parts, ",")
}

// EqualKeys reports whether two keys read by Scan are the same.
func EqualKeys(a, b []any) bool { return FormatKey(a) == FormatKey(b) }

// IsIntegerType reports whether a DATA_TYPE is one of the integer types.
func IsIntegerType(dataType string) bool {
	switch dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return true
	}
	return false
}

func isEnumType(dataType string) bool { return dataType == "enum" || dataType == "set" }

func isTemporalType(dataType string) bool {
	switch dataType {
	case "date", "time", "datetime", "timestamp", "year":
		return true
	}
	return false
}

// EncodeKey renders a key read by Scan as text that DecodeKey turns back
// into the same values: each column's bytes as the server sent them, hex
// encoded, so binary keys and any collation survive a round trip through a
// checkpoint table.
func EncodeKey(k []any) (string, error) {
	parts := make([]string, len(k))
	for i, v := range k {
		var raw []byte
		switch v := v.(type) {
		case int64:
			raw = strconv.AppendInt(nil, v, 10)
		case uint64:
			raw = strconv.AppendUint(nil, v, 10)
		case string:
			raw = []byte(v)
		case []byte:
			raw = v
		default:
			return "", fmt.Errorf("encode key: column %d has unexpected type %T", i+1, v)
		}
		parts[i] = hex.EncodeToString(raw)
	}
	return strings.Join(parts, ","), nil
}

// DecodeKey is EncodeKey's inverse for a key over k's columns.
func (k KeyRange) DecodeKey(s string) ([]any, error) {
	parts := strings.Split(s, ",")
	if len(parts) != len(k.Cols) {
		return nil, fmt.Errorf("decode key: %d values for %d key columns", len(parts), len(k.Cols))
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		raw, err := hex.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("decode key column %s: %w", k.Cols[i].Name, err)
		}
		if out[i], err = keyValue(k.Cols[i], raw); err != nil {
			return nil, fmt.Errorf("decode key column %s: %w", k.Cols[i].Name, err)
		}
	}
	return out, nil
}
