package schema

import (
	"reflect"
	"testing"
)

func testRange(keys ...Column) KeyRange { return KeyRange{Cols: keys} }

func TestRangeWhereExpandsTheKeyLexicographically(t *testing.T) {
	a := Column{Name: "a", DataType: "int"}
	b := Column{Name: "b", DataType: "varchar", Charset: "utf8mb4"}
	cases := []struct {
		name      string
		k         KeyRange
		low, high []any
		first     bool
		want      string
		args      []any
	}{
		{
			name: "single column, first chunk includes its low bound",
			k:    testRange(a), low: []any{int64(1)}, high: []any{int64(9)}, first: true,
			want: "((`a` >= ?)) AND ((`a` <= ?))",
			args: []any{int64(1), int64(9)},
		},
		{
			name: "single column, later chunks exclude their low bound",
			k:    testRange(a), low: []any{int64(1)}, high: []any{int64(9)},
			want: "((`a` > ?)) AND ((`a` <= ?))",
			args: []any{int64(1), int64(9)},
		},
		{
			name: "two columns",
			k:    testRange(a, b), low: []any{int64(1), "x"}, high: []any{int64(2), "y"},
			want: "((`a` > ?) OR (`a` = ? AND `b` > ?)) AND ((`a` < ?) OR (`a` = ? AND `b` <= ?))",
			args: []any{int64(1), int64(1), "x", int64(2), int64(2), "y"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, args := c.k.Where(c.low, c.first, c.high)
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
		col  Column
		raw  string
		want any
	}{
		{"unsigned bigint keeps full precision", Column{DataType: "bigint", Unsigned: true}, "18446744073709551615", uint64(18446744073709551615)},
		{"signed int", Column{DataType: "int"}, "-5", int64(-5)},
		{"enum by index", Column{DataType: "enum"}, "2", int64(2)},
		{"text as text", Column{DataType: "varchar", Charset: "latin1"}, "abc", "abc"},
		{"decimal as text", Column{DataType: "decimal"}, "1.50", "1.50"},
		{"datetime as text", Column{DataType: "datetime"}, "2024-01-01 00:00:00", "2024-01-01 00:00:00"},
		{"binary as bytes", Column{DataType: "varbinary"}, "\x00\xff", []byte("\x00\xff")},
		{"empty binary as empty bytes, not NULL", Column{DataType: "varbinary"}, "", []byte{}},
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
	got := testRange(Column{DataType: "decimal", ColumnType: "decimal(12,2) unsigned"}).Placeholder(0)
	if got != "CAST(? AS DECIMAL(12,2))" {
		t.Fatalf("placeholder = %q", got)
	}
	if got := testRange(Column{Name: "e", DataType: "enum"}).Expr(0); got != "`e`+0" {
		t.Fatalf("enum key expression = %q", got)
	}
}

func TestOpenBoundsAndQualifiedColumns(t *testing.T) {
	k := testRange(Column{Name: "a", DataType: "int"}).Qualified("o")
	cases := []struct {
		name      string
		low, high []any
		want      string
		args      int
	}{
		{"open low", nil, []any{int64(5)}, "((`o`.`a` <= ?))", 1},
		{"open high", []any{int64(5)}, nil, "((`o`.`a` > ?))", 1},
		{"unbounded", nil, nil, "TRUE", 0},
	}
	for _, c := range cases {
		if got, args := k.Where(c.low, false, c.high); got != c.want || len(args) != c.args {
			t.Errorf("%s: %s %v, want %s", c.name, got, args, c.want)
		}
	}
	if got, args := k.In([][]any{{int64(1)}, {int64(2)}}); got != "(`o`.`a` = ?) OR (`o`.`a` = ?)" || len(args) != 2 {
		t.Errorf("in: %s %v", got, args)
	}
}

func TestEncodedKeysDecodeToTheSameValues(t *testing.T) {
	k := KeyRange{Cols: []Column{
		{Name: "u", DataType: "bigint", Unsigned: true},
		{Name: "i", DataType: "int"},
		{Name: "s", DataType: "varchar", Charset: "utf8mb4"},
		{Name: "b", DataType: "varbinary"},
		{Name: "e", DataType: "varbinary"},
	}}
	key := []any{uint64(18446744073709551615), int64(-7), "a,b é", []byte("\x00,\xff"), []byte{}}
	s, err := EncodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.DecodeKey(s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, key) {
		t.Fatalf("round trip = %#v, want %#v", got, key)
	}
	if _, err := k.DecodeKey("01"); err == nil {
		t.Fatal("a key with too few values decoded")
	}
	if _, err := EncodeKey([]any{1.5}); err == nil {
		t.Fatal("a float key encoded")
	}
}
