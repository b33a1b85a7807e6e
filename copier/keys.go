package copier

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/doppel-dev/doppel/schema"
)

// Key values travel as the Go type the server compares the way the index
// orders: integers as integers (a string would be compared as a double and
// lose precision above 2^53), text as text in the column's collation, binary
// as bytes, decimals cast to the column's own type, enums by their index.

func isInteger(dataType string) bool {
	switch dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return true
	}
	return false
}

func isEnum(dataType string) bool { return dataType == "enum" || dataType == "set" }

// keyExpr is how a key column appears in SELECT lists and comparisons.
func keyExpr(col schema.Column) string {
	if isEnum(col.DataType) {
		return schema.QuoteIdent(col.Name) + "+0"
	}
	return schema.QuoteIdent(col.Name)
}

// placeholder is the parameter marker for a value of col.
func placeholder(col schema.Column) string {
	if col.DataType == "decimal" {
		t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.ReplaceAll(col.ColumnType, "zerofill", "")), "unsigned"))
		return "CAST(? AS " + strings.ToUpper(t) + ")"
	}
	return "?"
}

func (c *Copier) selectList() string {
	parts := make([]string, len(c.chunkCols))
	for i, col := range c.chunkCols {
		parts[i] = keyExpr(col)
	}
	return strings.Join(parts, ", ")
}

func orderBy(cols []schema.Column, dir string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = schema.QuoteIdent(c.Name) + " " + dir
	}
	return strings.Join(parts, ", ")
}

// rangeWhere is the lexicographic range over the key: greater than low (or
// equal, for the first chunk) and at most high.
func (c *Copier) rangeWhere(low []any, inclusiveLow bool, high []any) (string, []any) {
	lower, la := c.compare(low, ">", inclusiveLow)
	upper, ua := c.compare(high, "<", true)
	return "(" + lower + ") AND (" + upper + ")", append(la, ua...)
}

// compare expands (k1..kn) op (v1..vn) into ORs of ANDs, a form both MySQL and
// MariaDB turn into index ranges.
func (c *Copier) compare(vals []any, op string, orEqual bool) (string, []any) {
	var ors []string
	var args []any
	for i := range c.chunkCols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, keyExpr(c.chunkCols[j])+" = "+placeholder(c.chunkCols[j]))
			args = append(args, vals[j])
		}
		o := op
		if orEqual && i == len(c.chunkCols)-1 {
			o += "="
		}
		ands = append(ands, keyExpr(c.chunkCols[i])+" "+o+" "+placeholder(c.chunkCols[i]))
		args = append(args, vals[i])
		ors = append(ors, strings.Join(ands, " AND "))
	}
	return "(" + strings.Join(ors, ") OR (") + ")", args
}

func (c *Copier) scanKey(ctx context.Context, q string, args ...any) ([]any, error) {
	rows, err := c.cfg.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	k, err := scanValues(rows, c.chunkCols)
	if err != nil {
		return nil, err
	}
	return k, rows.Close()
}

// scanValues reads one row of key values of cols.
func scanValues(rows *sql.Rows, cols []schema.Column) ([]any, error) {
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("scan key: %w", err)
	}
	out := make([]any, len(raw))
	for i, col := range cols {
		v, err := keyValue(col, raw[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func keyValue(col schema.Column, raw []byte) (any, error) {
	switch {
	case isInteger(col.DataType) && col.Unsigned:
		return strconv.ParseUint(string(raw), 10, 64)
	case isInteger(col.DataType), isEnum(col.DataType):
		return strconv.ParseInt(string(raw), 10, 64)
	case col.Charset != "" || col.DataType == "decimal" || isTemporal(col.DataType):
		return string(raw), nil
	default:
		// Never nil: the driver sends a nil []byte as NULL, and a chunk
		// bound of NULL would skip every row of an empty binary key value.
		return append([]byte{}, raw...), nil
	}
}

func isTemporal(dataType string) bool {
	switch dataType {
	case "date", "time", "datetime", "timestamp", "year":
		return true
	}
	return false
}
