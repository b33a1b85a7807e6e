package copier

import (
	"reflect"
	"testing"

	"github.com/doppel-dev/doppel/schema"
)

func testCopier(keys ...schema.Column) *Copier {
	return &Copier{chunkCols: keys}
}

func TestRangeWhereExpandsTheKeyLexicographically(t *testing.T) {
	a := schema.Column{Name: "a", DataType: "int"}
	b := schema.Column{Name: "b", DataType: "varchar", Charset: "utf8mb4"}
	cases := []struct {
		name      string
		c         *Copier
		low, high []any
		first     bool
		want      string
		args      []any
	}{
		{
			name: "single column, first chunk includes its low bound",
			c:    testCopier(a), low: []any{int64(1)}, high: []any{int64(9)}, first: true,
			want: "((`a` >= ?)) AND ((`a` <= ?))",
			args: []any{int64(1), int64(9)},
		},
		{
			name: "single column, later chunks exclude their low bound",
			c:    testCopier(a), low: []any{int64(1)}, high: []any{int64(9)},
			want: "((`a` > ?)) AND ((`a` <= ?))",
			args: []any{int64(1), int64(9)},
		},
		{
			name: "two columns",
			c:    testCopier(a, b), low: []any{int64(1), "x"}, high: []any{int64(2), "y"},
			want: "((`a` > ?) OR (`a` = ? AND `b` > ?)) AND ((`a` < ?) OR (`a` = ? AND `b` <= ?))",
			args: []any{int64(1), int64(1), "x", int64(2), int64(2), "y"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, args := c.c.rangeWhere(c.low, c.first, c.high)
			if got != c.want {
				t.Errorf("where\n got %s\nwant %s", got, c.want)
			}
			if !reflect.DeepEqual(args, c.args) {
				t.Errorf("args %v, want %v", args, c.args)
			}
		})
	}
}

func TestKeyValuesBindAsTheServerOrdersThem(t *testing.T) {
	cases := []struct {
		name string
		col  schema.Column
		raw  string
		want any
	}{
		{"unsigned bigint keeps full precision", schema.Column{DataType: "bigint", Unsigned: true}, "18446744073709551615", uint64(18446744073709551615)},
		{"signed int", schema.Column{DataType: "int"}, "-5", int64(-5)},
		{"enum by index", schema.Column{DataType: "enum"}, "2", int64(2)},
		{"text as text", schema.Column{DataType: "varchar", Charset: "latin1"}, "abc", "abc"},
		{"decimal as text", schema.Column{DataType: "decimal"}, "1.50", "1.50"},
		{"datetime as text", schema.Column{DataType: "datetime"}, "2024-01-01 00:00:00", "2024-01-01 00:00:00"},
		{"binary as bytes", schema.Column{DataType: "varbinary"}, "\x00\xff", []byte("\x00\xff")},
		{"empty binary as empty bytes, not NULL", schema.Column{DataType: "varbinary"}, "", []byte{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := keyValue(c.col, []byte(c.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("keyValue = %#v, want %#v", got, c.want)
			}
			if b, ok := got.([]byte); ok && b == nil {
				t.Fatalf("keyValue = nil []byte, which the driver binds as NULL")
			}
		})
	}
}

func TestDecimalKeysAreCastToTheColumnType(t *testing.T) {
	got := placeholder(schema.Column{DataType: "decimal", ColumnType: "decimal(12,2) unsigned"})
	if got != "CAST(? AS DECIMAL(12,2))" {
		t.Fatalf("placeholder = %q", got)
	}
	if got := keyExpr(schema.Column{Name: "e", DataType: "enum"}); got != "`e`+0" {
		t.Fatalf("enum key expression = %q", got)
	}
}
