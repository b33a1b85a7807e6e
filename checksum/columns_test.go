package checksum

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/schema"
)

// pairCase is one ALTER of a column's type: o.c holds values, g.c gets them
// through the server's own non-strict conversion, and the plan must find
// exactly the rows whose value the conversion changed.
type pairCase struct {
	name         string
	orig, ghost  string   // column types, as in CREATE TABLE
	values       []string // SQL literals for o.c; row ids are 1, 2, ...
	differ       []int    // ids whose values must compare different
	skipped      bool
	domain       string
	ghostChanges []string // statements run on the ghost after the copy; {g} names it
}

var pairCases = []pairCase{
	// Integers.
	{name: "int to bigint is equal", orig: "int", ghost: "bigint", domain: "integer",
		values: []string{"NULL", "0", "-2147483648", "2147483647", "42"}},
	{name: "int unsigned to bigint is equal", orig: "int unsigned", ghost: "bigint", domain: "integer",
		values: []string{"0", "4294967295", "NULL"}},
	{name: "bigint to tinyint clamps", orig: "bigint", ghost: "tinyint", domain: "integer",
		values: []string{"0", "127", "-128", "128", "-129", "9223372036854775807", "-9223372036854775808", "NULL"},
		differ: []int{4, 5, 6, 7}},
	{name: "signed to unsigned clamps negatives", orig: "int", ghost: "int unsigned", domain: "integer",
		values: []string{"0", "5", "-1", "NULL"}, differ: []int{3}},
	{name: "bigint unsigned to bigint clamps above 2^63", orig: "bigint unsigned", ghost: "bigint", domain: "integer",
		values: []string{"18446744073709551615", "1", "9223372036854775807"}, differ: []int{1}},
	{name: "bit to tinyint unsigned is equal", orig: "bit(8)", ghost: "tinyint unsigned", domain: "integer",
		values: []string{"b'11111111'", "b'0'", "b'101'", "NULL"}},
	{name: "bit to tinyint clamps", orig: "bit(8)", ghost: "tinyint", domain: "integer",
		values: []string{"b'11111111'", "b'1111111'"}, differ: []int{1}},
	{name: "year to smallint is equal", orig: "year", ghost: "smallint", domain: "integer",
		values: []string{"2024", "0", "1901", "2155", "NULL"}},
	{name: "int zerofill to int is equal", orig: "int(5) zerofill", ghost: "int", domain: "integer",
		values: []string{"42", "0", "123456", "NULL"}},

	// Exact decimals.
	{name: "decimal to a wider scale is equal", orig: "decimal(10,2)", ghost: "decimal(12,4)", domain: "decimal(12,4)",
		values: []string{"1.5", "-1.5", "99999999.99", "-99999999.99", "0", "0.01", "NULL"}},
	{name: "decimal to a narrower scale rounds", orig: "decimal(10,4)", ghost: "decimal(10,2)", domain: "decimal(12,4)",
		values: []string{"1.2345", "1.2300", "-9999.9999", "0", "NULL", "0.0049"}, differ: []int{1, 3, 6}},
	{name: "int to decimal is equal", orig: "int", ghost: "decimal(12,2)", domain: "decimal(12,2)",
		values: []string{"2147483647", "-5", "0", "NULL"}},
	{name: "int to a small decimal clamps", orig: "int", ghost: "decimal(5,2)", domain: "decimal(12,2)",
		values: []string{"999", "1000", "-1000", "-999"}, differ: []int{2, 3}},
	{name: "decimal to int rounds", orig: "decimal(10,2)", ghost: "int", domain: "decimal(12,2)",
		values: []string{"1.00", "1.50", "-2.49", "NULL", "-7"}, differ: []int{2, 3}},
	{name: "decimal zerofill to decimal is equal", orig: "decimal(8,2) zerofill", ghost: "decimal(10,3)", domain: "decimal(10,3)",
		values: []string{"1.5", "0", "123456.78"}},
	{name: "decimal beyond 65 digits compares shortest text", orig: "decimal(65,0)", ghost: "decimal(65,30)", domain: "decimal",
		values: []string{"1", "12345678901234567890123456789012345", "123456789012345678901234567890123456", "NULL", "-20", "0"},
		differ: []int{3}},
	{name: "decimal beyond 65 digits rounds", orig: "decimal(65,30)", ghost: "decimal(65,2)", domain: "decimal",
		values: []string{"1.5", "1.505", "-0.000000000000000000000000000001", "10.10", "0"}, differ: []int{2, 3}},

	// Floating point.
	{name: "float to double is equal", orig: "float", ghost: "double", domain: "double",
		values: []string{"0.1", "1.0000001", "16777217", "3.4e38", "-1.5", "1.17549435e-38", "NULL", "0"}},
	{name: "double to float rounds", orig: "double", ghost: "float", domain: "double",
		values: []string{"0.1", "0.5", "1e300", "123456789.123", "0", "NULL", "-2.25"}, differ: []int{1, 3, 4}},
	{name: "float to decimal keeps the float", orig: "float", ghost: "decimal(10,2)", domain: "float",
		values: []string{"0.1", "1.5", "1.234", "123456.78", "NULL", "-0.01", "1e20"}, differ: []int{3, 7}},
	{name: "decimal to float stores the nearest float", orig: "decimal(10,2)", ghost: "float", domain: "float",
		values: []string{"0.10", "1.50", "1234567.89", "NULL", "-99999999.99"}},
	{name: "int to float stores the nearest float", orig: "int", ghost: "float", domain: "float",
		values: []string{"16777217", "1", "-2147483648", "NULL"}},
	{name: "int to double is equal", orig: "int", ghost: "double", domain: "double",
		values: []string{"2147483647", "-1", "NULL"}},
	{name: "double to int rounds and clamps", orig: "double", ghost: "int", domain: "double",
		values: []string{"1", "1.5", "-2.5", "1e20", "NULL"}, differ: []int{2, 3, 4}},
	{name: "decimal to double stores the nearest double", orig: "decimal(30,10)", ghost: "double", domain: "double",
		values: []string{"0.1", "123456789.123456789", "NULL", "-0.0000000001"}},
	{name: "double to decimal rounds", orig: "double", ghost: "decimal(10,2)", domain: "double",
		values: []string{"0.1", "0.125", "1e300", "NULL", "-3"}, differ: []int{2, 3}},
	{name: "float to float(7,2) rounds", orig: "float", ghost: "float(7,2)", domain: "double",
		values: []string{"1.234", "1.5", "NULL"}, differ: []int{1}},

	// Character strings.
	{name: "latin1 to utf8mb4 is equal", orig: "varchar(20) CHARACTER SET latin1", ghost: "varchar(20) CHARACTER SET utf8mb4", domain: "text",
		values: []string{"'é€'", "''", "'a  '", "X'610062'", "NULL", "'Ÿ'"}},
	{name: "utf8mb4 to latin1 loses characters", orig: "varchar(20) CHARACTER SET utf8mb4", ghost: "varchar(20) CHARACTER SET latin1", domain: "text",
		values: []string{"'é€'", "'emoji 😀'", "'ascii'", "'中文'", "NULL", "'?'"}, differ: []int{2, 4}},
	{name: "varchar truncated to 5", orig: "varchar(100)", ghost: "varchar(5)", domain: "text",
		values: []string{"'abcde'", "'abcdef'", "'abc   '", "''", "NULL", "'éééééé'"}, differ: []int{2, 3, 6}},
	{name: "char to varchar is equal", orig: "char(10)", ghost: "varchar(10)", domain: "text, trailing spaces ignored",
		values: []string{"'ab'", "' a'", "'é'", "''", "NULL", "'ab   '"}},
	{name: "varchar to char drops trailing spaces only", orig: "varchar(10)", ghost: "char(10)", domain: "text, trailing spaces ignored",
		values: []string{"'ab  '", "' a'", "NULL", "'a\tb'", "'a\t'"}},
	{name: "char truncated to 5", orig: "char(10)", ghost: "char(5)", domain: "text, trailing spaces ignored",
		values: []string{"'abcdefg'", "'abc'", "'abcde'"}, differ: []int{1}},
	{name: "utf8mb4 char to latin1 char", orig: "char(4) CHARACTER SET utf8mb4", ghost: "char(4) CHARACTER SET latin1", domain: "text, trailing spaces ignored",
		values: []string{"'é'", "'😀'"}, differ: []int{2}},
	{name: "collation change is the same bytes", orig: "varchar(10) COLLATE utf8mb4_general_ci", ghost: "varchar(10) COLLATE utf8mb4_bin", domain: "same",
		values: []string{"'A'", "'a'", "'é'", "NULL"}},
	{name: "text to mediumtext is equal", orig: "text", ghost: "mediumtext", domain: "text",
		values: []string{"'x'", "REPEAT('é', 1000)", "NULL"}},
	{name: "latin1 text to utf8mb4 mediumtext is equal", orig: "text CHARACTER SET latin1", ghost: "mediumtext CHARACTER SET utf8mb4", domain: "text",
		values: []string{"'x'", "'é'", "NULL"}},
	{name: "enum to varchar is equal", orig: "enum('a','b','é')", ghost: "varchar(10)", domain: "text",
		values: []string{"'a'", "'é'", "NULL"}},
	{name: "enum adding a value is equal", orig: "enum('a','b')", ghost: "enum('a','b','c')", domain: "text",
		values: []string{"'a'", "'b'", "NULL"}},
	{name: "enum reordered is equal", orig: "enum('a','b','c')", ghost: "enum('c','b','a')", domain: "text",
		values: []string{"'a'", "'b'", "'c'", "NULL"}},
	{name: "enum dropping a value loses it", orig: "enum('a','b','c')", ghost: "enum('a','b')", domain: "text",
		values: []string{"'c'", "'a'"}, differ: []int{1}},
	{name: "varchar to enum loses unknown values", orig: "varchar(10)", ghost: "enum('a','b')", domain: "text",
		values: []string{"'a'", "'x'", "'A'", "NULL"}, differ: []int{2, 3}},
	{name: "set reordered and extended is equal", orig: "set('x','y','z')", ghost: "set('z','y','x','w')", domain: "set members",
		values: []string{"'x,z'", "''", "'y'", "NULL", "'x,y,z'"}},
	{name: "set dropping a member loses it", orig: "set('x','y','z')", ghost: "set('x','y')", domain: "set members",
		values: []string{"'x,z'", "'x,y'", "'z'"}, differ: []int{1, 3}},
	{name: "set with quotes in labels", orig: "set('it''s','a\\\\b','é')", ghost: "set('é','it''s','a\\\\b')", domain: "set members",
		values: []string{"'it''s,é'", "'a\\\\b'"}},
	{name: "varchar to set is skipped", orig: "varchar(10)", ghost: "set('x','y')", skipped: true},
	{name: "set to varchar is equal", orig: "set('x','y','z')", ghost: "varchar(10)", domain: "text",
		values: []string{"'x,z'", "''", "NULL"}},
	{name: "json to longtext is the same (MariaDB)", orig: "json", ghost: "longtext", domain: "same",
		values: []string{`'{"a": 1}'`, "NULL", `'[1, "é"]'`}},
	{name: "longtext to json is the same (MariaDB)", orig: "longtext", ghost: "json", domain: "same",
		values: []string{`'{"a": 1}'`, "NULL"}},

	// Byte strings.
	{name: "varchar to varbinary keeps the bytes", orig: "varchar(10)", ghost: "varbinary(40)", domain: "bytes",
		values: []string{"'é😀'", "'a '", "NULL", "''"}},
	{name: "latin1 varchar to varbinary keeps latin1 bytes", orig: "varchar(10) CHARACTER SET latin1", ghost: "varbinary(10)", domain: "bytes",
		values: []string{"'é'", "'a'"}},
	{name: "varbinary to varchar loses invalid utf8", orig: "varbinary(10)", ghost: "varchar(10)", domain: "bytes",
		values: []string{"X'C3A9'", "X'FF'", "NULL", "'ab'"}, differ: []int{2}},
	{name: "blob to latin1 text keeps the bytes", orig: "blob", ghost: "text CHARACTER SET latin1", domain: "bytes",
		values: []string{"X'FF00'", "''", "NULL"}},
	{name: "binary(4) to varbinary(8) is equal", orig: "binary(4)", ghost: "varbinary(8)", domain: "bytes, trailing 0x00 ignored",
		values: []string{"'ab'", "X'61000000'", "''", "NULL", "'abcd'"}},
	{name: "binary(4) to binary(8) is equal", orig: "binary(4)", ghost: "binary(8)", domain: "bytes, trailing 0x00 ignored",
		values: []string{"'ab'", "'abcd'", "X'00'"}},
	{name: "varbinary(8) to binary(4) truncates", orig: "varbinary(8)", ghost: "binary(4)", domain: "bytes, trailing 0x00 ignored",
		values: []string{"'abcdefgh'", "'ab'", "X'6100'", "NULL", "'abcd'", "X'0061'"}, differ: []int{1}},
	{name: "varchar to binary pads", orig: "varchar(10)", ghost: "binary(10)", domain: "bytes, trailing 0x00 ignored",
		values: []string{"'ab'", "'é'", "''"}},
	{name: "char to varbinary is equal", orig: "char(5)", ghost: "varbinary(5)", domain: "bytes, trailing spaces ignored",
		values: []string{"'ab'", "' a'"}},
	{name: "varbinary to char drops trailing spaces", orig: "varbinary(10)", ghost: "char(5)", domain: "bytes, trailing spaces ignored",
		values: []string{"'ab  '", "'abcdefg'"}, differ: []int{2}},
	{name: "binary to char", orig: "binary(4)", ghost: "char(4) CHARACTER SET latin1", domain: "bytes, trailing 0x00 and spaces ignored",
		values: []string{"'ab'", "'a '"}},

	// Dates and times.
	{name: "date to datetime is equal", orig: "date", ghost: "datetime", domain: "datetime",
		values: []string{"'2024-02-29'", "'0000-00-00'", "'9999-12-31'", "NULL", "'2024-00-00'"}},
	{name: "datetime to date drops the time", orig: "datetime", ghost: "date", domain: "datetime",
		values: []string{"'2024-01-01 00:00:00'", "'2024-01-01 10:00:00'", "NULL", "'0000-00-00 00:00:00'"}, differ: []int{2}},
	{name: "datetime(6) to datetime truncates", orig: "datetime(6)", ghost: "datetime", domain: "datetime",
		values: []string{"'2024-02-29 23:59:59.999999'", "'2024-01-01 10:00:00.000000'", "'2024-01-01 10:00:00.5'", "NULL"}, differ: []int{1, 3}},
	{name: "datetime(3) to datetime(6) is equal", orig: "datetime(3)", ghost: "datetime(6)", domain: "datetime",
		values: []string{"'2024-02-29 23:59:59.999'", "'1000-01-01 00:00:00'", "NULL"}},
	{name: "timestamp to datetime is equal", orig: "timestamp NULL", ghost: "datetime", domain: "datetime",
		values: []string{"'2038-01-19 03:14:07'", "'1970-01-01 00:00:01'", "NULL", "'0000-00-00 00:00:00'"}},
	{name: "datetime to timestamp loses what it cannot hold", orig: "datetime", ghost: "timestamp NULL", domain: "datetime",
		values: []string{"'2024-01-01 10:00:00'", "'1000-01-01 00:00:00'", "'0000-00-00 00:00:00'", "NULL", "'2038-01-19 03:14:08'"}, differ: []int{2, 5}},
	{name: "date to timestamp(3)", orig: "date", ghost: "timestamp(3) NULL", domain: "datetime",
		values: []string{"'2024-02-29'", "NULL"}},
	{name: "time to time(6) is equal", orig: "time", ghost: "time(6)", domain: "time",
		values: []string{"'-838:59:59'", "'00:00:00'", "'100:00:01'", "NULL"}},
	{name: "time(6) to time truncates", orig: "time(6)", ghost: "time", domain: "time",
		values: []string{"'00:00:00.5'", "'12:00:00'", "'-00:00:01.000001'"}, differ: []int{1, 3}},
	{name: "time to datetime is skipped", orig: "time", ghost: "datetime", skipped: true},
	{name: "datetime to time is skipped", orig: "datetime", ghost: "time", skipped: true},

	// Across classes.
	{name: "int to varchar is equal", orig: "int", ghost: "varchar(20)", domain: "text",
		values: []string{"42", "-1", "0", "NULL", "-2147483648"}},
	{name: "int to varchar(2) truncates", orig: "int", ghost: "varchar(2)", domain: "text",
		values: []string{"123", "42", "-1", "-10"}, differ: []int{1, 4}},
	{name: "int zerofill to varchar", orig: "int(5) zerofill", ghost: "varchar(20)", domain: "text",
		values: []string{"42", "0"}},
	{name: "year to varchar", orig: "year", ghost: "varchar(4)", domain: "text",
		values: []string{"2024", "0"}},
	{name: "decimal zerofill to varchar", orig: "decimal(6,2) zerofill", ghost: "varchar(20)", domain: "text",
		values: []string{"1.5", "0"}},
	{name: "decimal to varchar is equal", orig: "decimal(10,2)", ghost: "varchar(20)", domain: "text",
		values: []string{"1.5", "-0.01", "0", "NULL"}},
	{name: "double to varchar is equal", orig: "double", ghost: "varchar(30)", domain: "text",
		values: []string{"0.1", "1e300", "123456789.12345679", "-1.5e-300", "NULL", "100"}},
	{name: "datetime(6) to varchar is equal", orig: "datetime(6)", ghost: "varchar(30)", domain: "text",
		values: []string{"'2024-02-29 23:59:59.999999'", "'0000-00-00 00:00:00'", "NULL"}},
	{name: "date to char is equal", orig: "date", ghost: "char(10)", domain: "text, trailing spaces ignored",
		values: []string{"'2024-02-29'"}},
	{name: "timestamp(3) to varchar is equal", orig: "timestamp(3) NULL", ghost: "varchar(30)", domain: "text",
		values: []string{"'2024-02-29 23:59:59.5'", "NULL"}},
	{name: "time to varchar is equal", orig: "time(2)", ghost: "varchar(30)", domain: "text",
		values: []string{"'-838:59:59'", "'01:02:03.45'"}},
	{name: "int to varbinary is equal", orig: "int", ghost: "varbinary(20)", domain: "bytes",
		values: []string{"42", "-1", "NULL"}},
	{name: "int to binary pads", orig: "int", ghost: "binary(8)", domain: "bytes, trailing 0x00 ignored",
		values: []string{"42", "-1", "NULL"}},
	{name: "float to varchar is skipped", orig: "float", ghost: "varchar(30)", skipped: true},
	{name: "varchar to int is skipped", orig: "varchar(20)", ghost: "int", skipped: true},
	{name: "varchar to datetime is skipped", orig: "varchar(20)", ghost: "datetime", skipped: true},
	{name: "varchar to inet6 is skipped", orig: "varchar(40)", ghost: "inet6", skipped: true},
	{name: "inet6 to varchar is skipped", orig: "inet6", ghost: "varchar(40)", skipped: true},
	{name: "int to enum is skipped", orig: "int", ghost: "enum('a','b')", skipped: true},
	{name: "enum to int is skipped", orig: "enum('a','b')", ghost: "int", skipped: true},
	{name: "bit to varchar is skipped", orig: "bit(8)", ghost: "varchar(8)", skipped: true},
	{name: "int to datetime is skipped", orig: "int", ghost: "datetime", skipped: true},
	{name: "date to year is skipped", orig: "date", ghost: "year", skipped: true},
	{name: "point to geometry keeps the bytes", orig: "point", ghost: "geometry", domain: "bytes",
		values: []string{"POINT(1, 2)", "NULL"}},
	{name: "varchar to point is skipped", orig: "varchar(20)", ghost: "point", skipped: true},
	{name: "inet6 to uuid is skipped", orig: "inet6", ghost: "uuid", skipped: true},

	// Identical types: the raw value, and a change must show.
	{name: "same int", orig: "int", ghost: "int", domain: "same",
		values: []string{"1", "NULL", "-3"}, differ: []int{1},
		ghostChanges: []string{"UPDATE {g} SET `new c` = 2 WHERE id = 1"}},
	{name: "same int unsigned", orig: "int unsigned", ghost: "int unsigned", domain: "same",
		values: []string{"4294967295", "NULL"}},
	{name: "same decimal", orig: "decimal(10,2)", ghost: "decimal(10,2)", domain: "same",
		values: []string{"1.5", "NULL", "-0.01"}},
	{name: "same float tells neighbouring floats apart", orig: "float", ghost: "float", domain: "same",
		values: []string{"1.0000001", "0.1", "NULL"}, differ: []int{1},
		ghostChanges: []string{"UPDATE {g} SET `new c` = 1.0000002 WHERE id = 1"}},
	{name: "same double", orig: "double", ghost: "double", domain: "same",
		values: []string{"0.1", "1e-300", "NULL"}, differ: []int{1},
		ghostChanges: []string{"UPDATE {g} SET `new c` = 0.10000000000000002 WHERE id = 1"}},
	{name: "same varchar", orig: "varchar(10)", ghost: "varchar(10)", domain: "same",
		values: []string{"'é😀'", "'a '", "NULL", "'A'"}, differ: []int{4},
		ghostChanges: []string{"UPDATE {g} SET `new c` = 'a' WHERE id = 4"}},
	{name: "same char", orig: "char(5)", ghost: "char(5)", domain: "same",
		values: []string{"'ab'", "NULL"}},
	{name: "same latin1 text", orig: "text CHARACTER SET latin1", ghost: "text CHARACTER SET latin1", domain: "same",
		values: []string{"'é'", "NULL"}},
	{name: "same enum", orig: "enum('a','b')", ghost: "enum('a','b')", domain: "same",
		values: []string{"'a'", "NULL"}},
	{name: "same set", orig: "set('a','b')", ghost: "set('a','b')", domain: "same",
		values: []string{"'a,b'", "NULL", "''"}},
	{name: "same binary", orig: "binary(4)", ghost: "binary(4)", domain: "same",
		values: []string{"'ab'", "NULL"}},
	{name: "same varbinary", orig: "varbinary(4)", ghost: "varbinary(4)", domain: "same",
		values: []string{"X'00FF'", "NULL", "'ab'"}, differ: []int{3},
		ghostChanges: []string{"UPDATE {g} SET `new c` = X'616200' WHERE id = 3"}},
	{name: "same blob", orig: "blob", ghost: "blob", domain: "same",
		values: []string{"X'00FF'", "NULL"}},
	{name: "same date", orig: "date", ghost: "date", domain: "same",
		values: []string{"'2024-02-29'", "'0000-00-00'", "NULL"}},
	{name: "same datetime(6)", orig: "datetime(6)", ghost: "datetime(6)", domain: "same",
		values: []string{"'2024-02-29 23:59:59.999999'", "'0000-00-00 00:00:00'", "NULL"}},
	{name: "same timestamp(6)", orig: "timestamp(6) NULL", ghost: "timestamp(6) NULL", domain: "same",
		values: []string{"'2024-02-29 23:59:59.999999'", "NULL"}},
	{name: "same time(3)", orig: "time(3)", ghost: "time(3)", domain: "same",
		values: []string{"'-838:59:59'", "'00:00:00.001'", "NULL"}},
	{name: "same year", orig: "year", ghost: "year", domain: "same",
		values: []string{"2024", "0", "NULL"}},
	{name: "same bit", orig: "bit(10)", ghost: "bit(10)", domain: "same",
		values: []string{"b'1111111111'", "b'0'", "NULL"}},
	{name: "same json", orig: "json", ghost: "json", domain: "same",
		values: []string{`'{"a": [1, 2]}'`, "NULL"}},
	{name: "same inet6", orig: "inet6", ghost: "inet6", domain: "same",
		values: []string{"'::1'", "'2001:db8::ff00:42:8329'", "NULL"}},
	{name: "same uuid", orig: "uuid", ghost: "uuid", domain: "same",
		values: []string{"'123e4567-e89b-12d3-a456-426655440000'", "NULL"}},
	{name: "same point", orig: "point", ghost: "point", domain: "same",
		values: []string{"POINT(1, 2)", "NULL"}},
	{name: "same geometry", orig: "geometry", ghost: "geometry", domain: "same",
		values: []string{"ST_GeomFromText('LINESTRING(0 0, 1 1)')", "NULL"}},
}

// compareModes are the checksum session's possible sql_modes: the
// expressions must give the same answer whatever the session's mode, in
// particular with zero dates forbidden and with CHAR read padded.
var compareModes = []string{
	"",
	"STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_BACKSLASH_ESCAPES,PAD_CHAR_TO_FULL_LENGTH,ANSI_QUOTES",
}

func TestPlanColumnOnTheServer(t *testing.T) {
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	for i, c := range pairCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runPairCase(t, db, name, i, c)
		})
	}
}

func runPairCase(t *testing.T, db *sql.DB, database string, i int, c pairCase) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	o, g := fmt.Sprintf("o%d", i), fmt.Sprintf("g%d", i)
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("SET SESSION time_zone = '+00:00'")
	// Pooled connections carry the sql_mode an earlier case left; the
	// definitions must be read without NO_BACKSLASH_ESCAPES and friends.
	exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
	exec(fmt.Sprintf("CREATE TABLE %s (id int PRIMARY KEY, c %s)", o, c.orig))
	exec(fmt.Sprintf("CREATE TABLE %s (id int PRIMARY KEY, `new c` %s)", g, c.ghost))
	// The original's values go in strictly, so a case cannot test a value
	// other than the one it wrote; zero dates are allowed.
	exec("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
	for j, v := range c.values {
		exec(fmt.Sprintf("INSERT INTO %s VALUES (%d, %s)", o, j+1, v))
	}
	// The copy is not strict: a lossy conversion happens silently, as in a
	// copy nobody checked.
	exec("SET SESSION sql_mode = ''")
	exec(fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", g, o))
	for _, q := range c.ghostChanges {
		exec(strings.ReplaceAll(q, "{g}", g))
	}

	ot, err := schema.LoadTable(ctx, db, database, o)
	if err != nil {
		t.Fatal(err)
	}
	gt, err := schema.LoadTable(ctx, db, database, g)
	if err != nil {
		t.Fatal(err)
	}
	p := planColumn(ot.Columns[1], gt.Columns[1])
	if p.Orig != "c" || p.Ghost != "new c" {
		t.Errorf("plan names %q, %q; want c, new c", p.Orig, p.Ghost)
	}
	if p.Skipped != c.skipped {
		t.Fatalf("Skipped = %v (%s), want %v; plan %+v", p.Skipped, p.Reason, c.skipped, p)
	}
	if p.Skipped {
		t.Logf("reason: %s", p.Reason)
		return
	}
	if p.Domain != c.domain {
		t.Errorf("Domain = %q, want %q", p.Domain, c.domain)
	}
	for _, mode := range compareModes {
		exec("SET SESSION sql_mode = '" + mode + "'")
		ov := values(ctx, t, conn, p.OrigExpr, o)
		gv := values(ctx, t, conn, p.GhostExpr, g)
		if len(ov) != len(c.values) || len(gv) != len(c.values) {
			t.Fatalf("rows: %d in o, %d in g, want %d", len(ov), len(gv), len(c.values))
		}
		var differ []int
		for id, v := range ov {
			if v != gv[id] {
				differ = append(differ, id)
			}
		}
		slices.Sort(differ)
		if !slices.Equal(differ, c.differ) {
			var b strings.Builder
			for id := 1; id <= len(c.values); id++ {
				fmt.Fprintf(&b, "\n  %d %s: %s | %s", id, c.values[id-1], show(ov[id]), show(gv[id]))
			}
			t.Errorf("sql_mode %q: ids %v differ, want %v\norig  %s\nghost %s%s", mode, differ, c.differ, p.OrigExpr, p.GhostExpr, b.String())
		}
	}
}

// value is a column value as the comparison sees it; null stands for NULL.
type value struct {
	bytes string
	null  bool
}

func show(v value) string {
	if v.null {
		return "NULL"
	}
	return fmt.Sprintf("%q", v.bytes)
}

func values(ctx context.Context, t *testing.T, conn *sql.Conn, expr, table string) map[int]value {
	t.Helper()
	q := fmt.Sprintf("SELECT id, %s FROM %s", expr, table)
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	if tn := types[1].DatabaseTypeName(); !strings.Contains(tn, "BINARY") && !strings.Contains(tn, "BLOB") {
		t.Errorf("%s yields %s, want a binary string", expr, tn)
	}
	m := map[int]value{}
	for rows.Next() {
		var id int
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			t.Fatal(err)
		}
		m[id] = value{bytes: string(b), null: b == nil}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// The plan depends only on the two definitions: these need no server.
func TestPlanColumnDomains(t *testing.T) {
	col := func(dataType, columnType, charset string, labels ...string) schema.Column {
		return schema.Column{Name: "c", DataType: dataType, ColumnType: columnType, Charset: charset,
			Unsigned: strings.Contains(columnType, "unsigned"), EnumValues: labels}
	}
	var (
		intCol      = col("int", "int(11)", "")
		bigintU     = col("bigint", "bigint(20) unsigned", "")
		dec102      = col("decimal", "decimal(10,2)", "")
		dec6530     = col("decimal", "decimal(65,30)", "")
		floatCol    = col("float", "float", "")
		doubleCol   = col("double", "double", "")
		varcharUTF8 = col("varchar", "varchar(10)", "utf8mb4")
		varcharL1   = col("varchar", "varchar(10)", "latin1")
		charCol     = col("char", "char(10)", "utf8mb4")
		textBinary  = col("varchar", "varchar(10)", "binary")
		varbinary   = col("varbinary", "varbinary(10)", "")
		binary4     = col("binary", "binary(4)", "")
		dateCol     = col("date", "date", "")
		dt6         = col("datetime", "datetime(6)", "")
		ts          = col("timestamp", "timestamp", "")
		timeCol     = col("time", "time", "")
		jsonMySQL   = col("json", "json", "")
		set1        = col("set", "set('a','b')", "utf8mb4", "a", "b")
		set2        = col("set", "set('b','a')", "utf8mb4", "b", "a")
		enumCol     = col("enum", "enum('a','b')", "utf8mb4", "a", "b")
		inet6       = col("inet6", "inet6", "")
		vector      = col("vector", "vector(3)", "")
	)
	cases := []struct {
		name        string
		orig, ghost schema.Column
		domain      string // empty when skipped
	}{
		{"identical types are compared raw", intCol, intCol, "same"},
		{"an unknown type identical on both sides is compared raw", vector, vector, "same"},
		{"bigint unsigned against decimal needs twenty integer digits", bigintU, dec102, "decimal(22,2)"},
		{"decimal(65,30) against decimal(65,0) overflows DECIMAL and falls back to text", dec6530, col("decimal", "decimal(65,0)", ""), "decimal"},
		{"decimal(65,30) against int fits DECIMAL", dec6530, intCol, "decimal(65,30)"},
		{"float against double", floatCol, doubleCol, "double"},
		{"float against decimal", floatCol, dec102, "float"},
		{"latin1 against utf8mb4", varcharL1, varcharUTF8, "text"},
		{"char against varchar ignores trailing spaces", charCol, varcharUTF8, "text, trailing spaces ignored"},
		{"a text column with the binary charset is bytes", varcharUTF8, textBinary, "bytes"},
		{"binary against varbinary ignores trailing zero bytes", binary4, varbinary, "bytes, trailing 0x00 ignored"},
		{"date against timestamp", dateCol, ts, "datetime"},
		{"datetime(6) against date", dt6, dateCol, "datetime"},
		{"sets with reordered labels", set1, set2, "set members"},
		{"enum to set", enumCol, set1, ""},
		{"MySQL JSON to text", jsonMySQL, varcharUTF8, "text"},
		{"text to MySQL JSON", varcharUTF8, jsonMySQL, ""},
		{"time to date", timeCol, dateCol, ""},
		{"inet6 to varbinary", inet6, varbinary, ""},
		{"an unknown type that changes", vector, col("vector", "vector(4)", ""), ""},
		{"float to varbinary", floatCol, varbinary, ""},
		{"a decimal whose COLUMN_TYPE cannot be read", col("decimal", "decimal", ""), intCol, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := planColumn(c.orig, c.ghost)
			if c.domain == "" {
				if !p.Skipped || !strings.Contains(p.Reason, " → ") || !strings.Contains(p.Reason, "not verified") {
					t.Errorf("plan %+v, want skipped with a reason naming both types and what is not verified", p)
				}
				if p.OrigExpr != "" || p.GhostExpr != "" || p.Domain != "" {
					t.Errorf("skipped plan has expressions: %+v", p)
				}
				return
			}
			if p.Skipped || p.Domain != c.domain {
				t.Errorf("plan %+v, want domain %q", p, c.domain)
			}
		})
	}
}

func TestPlanColumnQuotesNames(t *testing.T) {
	o := schema.Column{Name: "we`ird", DataType: "int", ColumnType: "int(11)"}
	g := schema.Column{Name: "new name", DataType: "decimal", ColumnType: "decimal(12,2)"}
	p := planColumn(o, g)
	if !strings.Contains(p.OrigExpr, "`we``ird`") || !strings.Contains(p.GhostExpr, "`new name`") {
		t.Errorf("expressions do not quote the names: %q, %q", p.OrigExpr, p.GhostExpr)
	}
	if p.Orig != "we`ird" || p.Ghost != "new name" {
		t.Errorf("names = %q, %q", p.Orig, p.Ghost)
	}
}

func TestSetExprWritesLabelsAsHex(t *testing.T) {
	got := setExpr("`s`", []string{`it's`, `a\b`}, []string{`a\b`, "é"})
	for _, want := range []string{"X'69742773'", "X'615c62'", "X'c3a9'"} {
		if !strings.Contains(got, want) {
			t.Errorf("setExpr = %s, want it to contain %s", got, want)
		}
	}
	if strings.Count(got, "FIND_IN_SET") != 3 {
		t.Errorf("setExpr = %s, want one test per distinct label", got)
	}
}

func TestTypeArgs(t *testing.T) {
	cases := map[string][]int{
		"decimal(10,2)":          {10, 2},
		"decimal(8,2) unsigned":  {8, 2},
		"datetime(6)":            {6},
		"int":                    nil,
		"decimal(65, 30) zerofi": {65, 30},
	}
	for in, want := range cases {
		got, ok := typeArgs(in)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("typeArgs(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := typeArgs("decimal(x)"); ok {
		t.Error("typeArgs accepted decimal(x)")
	}
}

func TestExactDigits(t *testing.T) {
	cases := []struct {
		c              schema.Column
		integer, scale int
	}{
		{schema.Column{DataType: "bit", ColumnType: "bit(64)"}, 20, 0},
		{schema.Column{DataType: "bit", ColumnType: "bit(1)"}, 1, 0},
		{schema.Column{DataType: "bit", ColumnType: "bit(10)"}, 4, 0},
		{schema.Column{DataType: "bigint", ColumnType: "bigint(20)"}, 19, 0},
		{schema.Column{DataType: "bigint", ColumnType: "bigint(20) unsigned", Unsigned: true}, 20, 0},
		{schema.Column{DataType: "decimal", ColumnType: "decimal(10,2) unsigned zerofill"}, 8, 2},
		{schema.Column{DataType: "decimal", ColumnType: "decimal(65,38)"}, 27, 38},
	}
	for _, c := range cases {
		i, s, ok := exactDigits(c.c)
		if !ok || i != c.integer || s != c.scale {
			t.Errorf("exactDigits(%s) = %d, %d, %v; want %d, %d", c.c.ColumnType, i, s, ok, c.integer, c.scale)
		}
	}
}
