package applier

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/schema"
)

func col(dataType, columnType string, opts ...func(*schema.Column)) schema.Column {
	c := schema.Column{Name: "c", DataType: dataType, ColumnType: columnType}
	c.Unsigned = strings.Contains(columnType, "unsigned")
	for _, o := range opts {
		o(&c)
	}
	return c
}

func charset(cs string) func(*schema.Column) { return func(c *schema.Column) { c.Charset = cs } }

func labels(l ...string) func(*schema.Column) { return func(c *schema.Column) { c.EnumValues = l } }

func TestConverterUndoesGoMySQLDecoding(t *testing.T) {
	colors := labels("red", "green", "blue")
	cases := []struct {
		name string
		col  schema.Column
		in   any
		want any
		ph   string
	}{
		{"signed tinyint stays negative", col("tinyint", "tinyint(4)"), int8(-128), int64(-128), "?"},
		{"unsigned tinyint max arrives as -1", col("tinyint", "tinyint(3) unsigned"), int8(-1), uint64(math.MaxUint8), "?"},
		{"unsigned tinyint above 127", col("tinyint", "tinyint(3) unsigned"), int8(-56), uint64(200), "?"},
		{"unsigned smallint max", col("smallint", "smallint(5) unsigned"), int16(-1), uint64(math.MaxUint16), "?"},
		{"signed mediumint min", col("mediumint", "mediumint(9)"), int32(-8388608), int64(-8388608), "?"},
		{"unsigned mediumint max arrives sign-extended", col("mediumint", "mediumint(8) unsigned"), int32(-1), uint64(1<<24 - 1), "?"},
		{"unsigned int max", col("int", "int(10) unsigned"), int32(-1), uint64(math.MaxUint32), "?"},
		{"unsigned int small", col("int", "int(10) unsigned"), int32(7), uint64(7), "?"},
		{"signed int min", col("int", "int(11)"), int32(math.MinInt32), int64(math.MinInt32), "?"},
		{"unsigned bigint max", col("bigint", "bigint(20) unsigned"), int64(-1), uint64(math.MaxUint64), "?"},
		{"unsigned bigint 2^63", col("bigint", "bigint(20) unsigned"), int64(math.MinInt64), uint64(1 << 63), "?"},
		{"signed bigint min", col("bigint", "bigint(20)"), int64(math.MinInt64), int64(math.MinInt64), "?"},
		{"zero id stays zero", col("int", "int(11)"), int32(0), int64(0), "?"},
		{"decimal string passes", col("decimal", "decimal(10,2)"), "-12.50", "-12.50", "?"},
		{"float32 passes", col("float", "float"), float32(1.5), float32(1.5), "?"},
		{"double passes", col("double", "double"), float64(-2.25), float64(-2.25), "?"},
		{"utf8mb4 varchar passes as string", col("varchar", "varchar(10)", charset("utf8mb4")), "héllo", "héllo", "?"},
		{"utf8mb3 text bytes pass as a string", col("text", "text", charset("utf8mb3")), []byte("x"), "x", "?"},
		{"latin1 varchar is relabelled raw bytes", col("varchar", "varchar(10)", charset("latin1")), "caf\xe9", []byte("caf\xe9"),
			"CONVERT(CONVERT(? USING binary) USING latin1)"},
		{"latin1 text keeps its bytes", col("text", "text", charset("latin1")), []byte{0xe9, 0xff, 0x80}, []byte{0xe9, 0xff, 0x80},
			"CONVERT(CONVERT(? USING binary) USING latin1)"},
		{"gbk char is relabelled", col("char", "char(4)", charset("gbk")), "\xb2\xe2", []byte("\xb2\xe2"),
			"CONVERT(CONVERT(? USING binary) USING gbk)"},
		{"varbinary passes", col("varbinary", "varbinary(8)"), "\x00\xff", "\x00\xff", "?"},
		{"blob passes", col("blob", "blob"), []byte{0, 1, 2}, []byte{0, 1, 2}, "?"},
		{"binary(4) regains its zero pad", col("binary", "binary(4)"), "a", []byte{'a', 0, 0, 0}, "?"},
		{"binary(2) full value unchanged", col("binary", "binary(2)"), []byte{1, 2}, []byte{1, 2}, "?"},
		{"enum index 1 is the first label", col("enum", "enum('red','green','blue')", colors), int64(1), "red", "?"},
		{"enum last label", col("enum", "enum('red','green','blue')", colors), int64(3), "blue", "?"},
		{"enum 0 is the empty invalid value", col("enum", "enum('red','green','blue')", colors), int64(0), "", "?"},
		{"set empty", col("set", "set('red','green','blue')", colors), int64(0), "", "?"},
		{"set single member", col("set", "set('red','green','blue')", colors), int64(2), "green", "?"},
		{"set two members in definition order", col("set", "set('red','green','blue')", colors), int64(5), "red,blue", "?"},
		{"set all members", col("set", "set('red','green','blue')", colors), int64(7), "red,green,blue", "?"},
		{"bit as integer", col("bit", "bit(8)"), int64(0xa5), uint64(0xa5), "?"},
		{"bit(64) all ones", col("bit", "bit(64)"), int64(-1), uint64(math.MaxUint64), "?"},
		{"date string passes", col("date", "date"), "2024-02-29", "2024-02-29", "?"},
		{"zero date passes", col("date", "date"), "0000-00-00", "0000-00-00", "?"},
		{"datetime(6) passes", col("datetime", "datetime(6)"), "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.123456", "?"},
		{"zero datetime passes", col("datetime", "datetime"), "0000-00-00 00:00:00", "0000-00-00 00:00:00", "?"},
		{"timestamp in UTC passes", col("timestamp", "timestamp(3)"), "2024-01-02 03:04:05.120", "2024-01-02 03:04:05.120", "?"},
		{"negative time passes", col("time", "time"), "-838:59:59", "-838:59:59", "?"},
		{"year passes", col("year", "year(4)"), int(2024), int(2024), "?"},
		{"year zero passes", col("year", "year(4)"), int(0), int(0), "?"},
		{"mysql json text is cast", col("json", "json"), `{"a": 1}`, `{"a": 1}`, "CAST(? AS JSON)"},
		{"mysql empty json is null", col("json", "json"), []byte{}, "null", "CAST(? AS JSON)"},
		{"mariadb json is longtext", col("longtext", "longtext", charset("utf8mb4")), []byte(`{"a":1}`), `{"a":1}`, "?"},
		{"geometry passes", col("point", "point"), []byte{0, 0, 0, 0, 1}, []byte{0, 0, 0, 0, 1}, "?"},
		{"inet6 regains its zero tail", col("inet6", "inet6"), "\x00\x01", append([]byte{0, 1}, make([]byte, 14)...), "CAST(CONVERT(? USING binary) AS BINARY(16))"},
		{"uuid keeps its 16 bytes", col("uuid", "uuid"), string(bytes.Repeat([]byte{0xab}, 16)), bytes.Repeat([]byte{0xab}, 16), "CAST(CONVERT(? USING binary) AS BINARY(16))"},
		{"inet4 all zero", col("inet4", "inet4"), "", []byte{0, 0, 0, 0}, "CAST(CONVERT(? USING binary) AS BINARY(4))"},
		{"null stays null", col("int", "int(10) unsigned"), nil, nil, "?"},
		{"null latin1 stays null", col("varchar", "varchar(3)", charset("latin1")), nil, nil, "CONVERT(CONVERT(? USING binary) USING latin1)"},
		{"null enum stays null", col("enum", "enum('red')", labels("red")), nil, nil, "?"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cv, err := newConverter(c.col)
			if err != nil {
				t.Fatalf("newConverter: %v", err)
			}
			got, err := cv.value(c.in)
			if err != nil {
				t.Fatalf("value(%#v): %v", c.in, err)
			}
			if !sameValue(got, c.want) {
				t.Fatalf("value(%#v) = %#v (%T), want %#v (%T)", c.in, got, got, c.want, c.want)
			}
			if ph := cv.placeholder(); ph != c.ph {
				t.Fatalf("placeholder %q, want %q", ph, c.ph)
			}
		})
	}
}

func sameValue(a, b any) bool {
	ab, aok := a.([]byte)
	bb, bok := b.([]byte)
	if aok || bok {
		return aok && bok && bytes.Equal(ab, bb)
	}
	return a == b
}

func TestConverterRejectsWhatItCannotWrite(t *testing.T) {
	colors := labels("red", "green")
	cases := []struct {
		name string
		col  schema.Column
		in   any
	}{
		{"enum index beyond the labels", col("enum", "enum('red','green')", colors), int64(3)},
		{"set bit beyond the labels", col("set", "set('red','green')", colors), int64(4)},
		{"string for an integer", col("int", "int(11)"), "12"},
		{"float for an unsigned integer", col("int", "int(10) unsigned"), 1.0},
		{"number for text", col("varchar", "varchar(3)", charset("utf8mb4")), int64(1)},
		{"partial json diff", col("json", "json"), struct{}{}},
		{"unknown go type for a decimal", col("decimal", "decimal(3,1)"), struct{}{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cv, err := newConverter(c.col)
			if err != nil {
				t.Fatalf("newConverter: %v", err)
			}
			if v, err := cv.value(c.in); err == nil {
				t.Fatalf("value(%#v) = %#v, want an error", c.in, v)
			} else if strings.Contains(err.Error(), "12") && c.in == "12" {
				t.Fatalf("error %q carries the row value", err)
			}
		})
	}
}

func TestNewConverterRefusesUnknownTypes(t *testing.T) {
	for _, c := range []schema.Column{
		col("vector", "vector(3)"),
		col("enum", "enum()"),
		col("varchar", "varchar(3)", charset("latin1; DROP")),
	} {
		if _, err := newConverter(c); err == nil {
			t.Errorf("newConverter(%s %s) accepted it", c.DataType, c.Charset)
		}
	}
}

func TestReplayMode(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"},
		{"STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION",
			"STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"},
		{"ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
			"ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"},
		{"NO_AUTO_VALUE_ON_ZERO,ANSI_QUOTES", "NO_AUTO_VALUE_ON_ZERO,ANSI_QUOTES,STRICT_ALL_TABLES"},
	}
	for _, c := range cases {
		if got := replayMode(c.in, false); got != c.want {
			t.Errorf("replayMode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzIntegerConversion checks that every bit pattern go-mysql can hand over
// for an integer column comes back as the value the column stores.
func FuzzIntegerConversion(f *testing.F) {
	f.Add(int64(-1), uint8(0))
	f.Add(int64(math.MinInt64), uint8(3))
	f.Add(int64(127), uint8(1))
	f.Fuzz(func(t *testing.T, raw int64, which uint8) {
		types := []struct {
			dt   string
			bits uint
			in   func(int64) any
		}{
			{"tinyint", 8, func(v int64) any { return int8(v) }},
			{"smallint", 16, func(v int64) any { return int16(v) }},
			{"mediumint", 24, func(v int64) any { return int32(v << 40 >> 40) }},
			{"int", 32, func(v int64) any { return int32(v) }},
			{"bigint", 64, func(v int64) any { return v }},
		}
		ty := types[int(which)%len(types)]
		in := ty.in(raw)
		signed, _ := toInt64(in)

		cv, err := newConverter(col(ty.dt, ty.dt))
		if err != nil {
			t.Fatal(err)
		}
		got, err := cv.value(in)
		if err != nil || got != signed {
			t.Fatalf("signed %s %#v: got %#v, %v", ty.dt, in, got, err)
		}

		ucv, err := newConverter(col(ty.dt, ty.dt+" unsigned"))
		if err != nil {
			t.Fatal(err)
		}
		ugot, err := ucv.value(in)
		if err != nil {
			t.Fatal(err)
		}
		u := ugot.(uint64)
		if ty.bits < 64 && u >= 1<<ty.bits {
			t.Fatalf("unsigned %s %#v: %d out of range", ty.dt, in, u)
		}
		// The stored bits are the same whichever way they are read.
		mask := uint64(math.MaxUint64)
		if ty.bits < 64 {
			mask = 1<<ty.bits - 1
		}
		if u != uint64(signed)&mask {
			t.Fatalf("unsigned %s %#v: got %d, want %d", ty.dt, in, u, uint64(signed)&mask)
		}
	})
}

// FuzzSetConversion checks that a set bitmask becomes exactly the labels of
// its bits, in definition order, and that bits beyond the labels are refused.
func FuzzSetConversion(f *testing.F) {
	f.Add(int64(5), uint8(3))
	f.Add(int64(-1), uint8(64))
	f.Add(int64(0), uint8(1))
	f.Fuzz(func(t *testing.T, mask int64, n uint8) {
		count := 1 + int(n)%64
		l := make([]string, count)
		for i := range l {
			l[i] = fmt.Sprintf("m%d", i)
		}
		cv, err := newConverter(col("set", "set(...)", labels(l...)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := cv.value(mask)
		beyond := count < 64 && uint64(mask)>>count != 0
		if beyond {
			if err == nil {
				t.Fatalf("mask %#x with %d labels accepted as %q", uint64(mask), count, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("mask %#x with %d labels: %v", uint64(mask), count, err)
		}
		var want []string
		for i := 0; i < count; i++ {
			if uint64(mask)&(1<<i) != 0 {
				want = append(want, l[i])
			}
		}
		if got != strings.Join(want, ",") {
			t.Fatalf("mask %#x: %q, want %q", uint64(mask), got, strings.Join(want, ","))
		}
	})
}
