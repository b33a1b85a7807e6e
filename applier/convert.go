package applier

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/doppel-dev/doppel/schema"
)

// kind says how go-mysql's decoding of one column becomes a statement
// argument. go-mysql decodes the row image without the table's definition,
// so whatever the definition changes about a value is undone here.
type kind uint8

const (
	// kindAsIs: the server parses go-mysql's rendering back into the same
	// value (DECIMAL and temporal strings, FLOAT/DOUBLE, YEAR, blobs).
	kindAsIs kind = iota
	kindInt
	// kindUint: go-mysql hands an unsigned value's bit pattern as a signed
	// integer of the column's width.
	kindUint
	kindEnum
	kindSet
	kindBit
	// kindText: UTF-8 text, which the server takes as the utf8mb4 it is.
	kindText
	// kindRelabel: text in another charset, whose raw bytes the server must
	// relabel rather than read as utf8mb4.
	kindRelabel
	// kindFixedBinary: BINARY(n) and MariaDB's INET4, INET6 and UUID, whose
	// trailing zero bytes the row image drops.
	kindFixedBinary
	// kindJSON: MySQL's JSON, which go-mysql renders as text.
	kindJSON
)

// converter turns one original column's binlog values into arguments.
type converter struct {
	column  string
	kind    kind
	bits    uint     // integer width
	labels  []string // enum and set labels
	charset string   // kindRelabel
	length  int      // kindFixedBinary
	// binaryCast: the server takes the bytes only as a binary string.
	binaryCast bool
}

// utf8Charsets are the charsets whose bytes are valid utf8mb4: their text is
// sent as it is and the server converts it to the ghost column's charset.
var utf8Charsets = map[string]bool{"utf8mb4": true, "utf8mb3": true, "utf8": true}

var intBits = map[string]uint{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}

// asIsTypes round-trip through go-mysql's rendering unchanged. Geometry is
// the server's internal SRID+WKB form, which it accepts back as a value.
var asIsTypes = map[string]bool{
	"decimal": true, "numeric": true, "float": true, "double": true, "real": true,
	"date": true, "time": true, "datetime": true, "timestamp": true, "year": true,
	"varbinary": true, "tinyblob": true, "blob": true, "mediumblob": true, "longblob": true,
	"geometry": true, "point": true, "linestring": true, "polygon": true, "multipoint": true,
	"multilinestring": true, "multipolygon": true, "geometrycollection": true, "geomcollection": true,
}

var textTypes = map[string]bool{"char": true, "varchar": true, "tinytext": true, "text": true, "mediumtext": true, "longtext": true}

func newConverter(c schema.Column) (converter, error) {
	cv := converter{column: c.Name}
	dt := strings.ToLower(c.DataType)
	switch {
	case intBits[dt] > 0:
		cv.kind, cv.bits = kindInt, intBits[dt]
		if c.Unsigned {
			cv.kind = kindUint
		}
	case dt == "enum" || dt == "set":
		if len(c.EnumValues) == 0 {
			return cv, fmt.Errorf("column %s: %s without labels", schema.QuoteIdent(c.Name), dt)
		}
		cv.kind, cv.labels = kindEnum, c.EnumValues
		if dt == "set" {
			cv.kind = kindSet
		}
	case dt == "bit":
		cv.kind = kindBit
	case textTypes[dt]:
		cs := strings.ToLower(c.Charset)
		switch {
		case cs == "" || cs == "binary" || utf8Charsets[cs]:
			cv.kind = kindText
		case !validCharsetName(cs):
			return cv, fmt.Errorf("column %s: charset %q", schema.QuoteIdent(c.Name), c.Charset)
		default:
			cv.kind, cv.charset = kindRelabel, cs
		}
	case dt == "binary":
		n, err := typeLength(c.ColumnType)
		if err != nil {
			return cv, fmt.Errorf("column %s: %w", schema.QuoteIdent(c.Name), err)
		}
		cv.kind, cv.length = kindFixedBinary, n
	case dt == "inet6" || dt == "uuid" || dt == "inet4":
		// MariaDB's fixed binary types: the row image is the binary form,
		// stripped of trailing zero bytes like BINARY(n); a string argument
		// would be parsed as the text form.
		cv.kind, cv.length, cv.binaryCast = kindFixedBinary, 16, true
		if dt == "inet4" {
			cv.length = 4
		}
	case dt == "json":
		// MariaDB reports its JSON alias as longtext, so only MySQL gets here.
		cv.kind = kindJSON
	case asIsTypes[dt]:
		cv.kind = kindAsIs
	default:
		return cv, fmt.Errorf("column %s: type %s is not supported by the applier", schema.QuoteIdent(c.Name), c.ColumnType)
	}
	return cv, nil
}

// validCharsetName keeps the name safe to splice into SQL text.
func validCharsetName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}

// typeLength reads n out of a COLUMN_TYPE such as "binary(16)".
func typeLength(columnType string) (int, error) {
	open, end := strings.IndexByte(columnType, '('), strings.IndexByte(columnType, ')')
	if open < 0 || end < open {
		return 0, fmt.Errorf("no length in %q", columnType)
	}
	n, err := strconv.Atoi(columnType[open+1 : end])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad length in %q", columnType)
	}
	return n, nil
}

// placeholder is the SQL expression that takes this column's argument.
func (cv converter) placeholder() string {
	switch cv.kind {
	case kindRelabel:
		// The driver sends every string argument as character_set_client
		// (utf8mb4); CONVERT(? USING latin1) would convert it and reject
		// latin1 bytes as invalid utf8mb4. Going through binary relabels the
		// bytes instead, and the server then converts them to the ghost
		// column's charset.
		return "CONVERT(CONVERT(? USING binary) USING " + cv.charset + ")"
	case kindFixedBinary:
		if cv.binaryCast {
			// The server takes a string parameter as utf8mb4 text; compared
			// with one of these columns, a full-length one holding bytes
			// above 0x7f then matches nothing (and a key lookup misses its
			// row), while a CAST alone leaves its charset as it was.
			// Relabelling it binary first makes it the binary form.
			return "CAST(CONVERT(? USING binary) AS BINARY(" + strconv.Itoa(cv.length) + "))"
		}
	case kindJSON:
		// The server re-serialises the document, so the ghost holds the
		// server's canonical text even where go-mysql's rendering differs.
		return "CAST(? AS JSON)"
	}
	return "?"
}

// value converts one decoded value. It never puts the value into an error.
func (cv converter) value(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch cv.kind {
	case kindInt:
		i, ok := toInt64(v)
		if !ok {
			return nil, cv.unexpected(v, "an integer")
		}
		return i, nil
	case kindUint:
		i, ok := toInt64(v)
		if !ok {
			return nil, cv.unexpected(v, "an integer")
		}
		u := uint64(i)
		if cv.bits < 64 {
			u &= 1<<cv.bits - 1
		}
		return u, nil
	case kindEnum:
		i, ok := toInt64(v)
		if !ok {
			return nil, cv.unexpected(v, "an enum index")
		}
		if i == 0 {
			// The server's marker for an invalid value stored in non-strict
			// mode; its label is the empty string.
			return "", nil
		}
		if i < 0 || i > int64(len(cv.labels)) {
			return nil, fmt.Errorf("column %s: enum index %d beyond its %d labels", schema.QuoteIdent(cv.column), i, len(cv.labels))
		}
		return cv.labels[i-1], nil
	case kindSet:
		i, ok := toInt64(v)
		if !ok {
			return nil, cv.unexpected(v, "a set bitmask")
		}
		bits := uint64(i)
		if len(cv.labels) < 64 && bits>>len(cv.labels) != 0 {
			return nil, fmt.Errorf("column %s: set bitmask has bits beyond its %d labels", schema.QuoteIdent(cv.column), len(cv.labels))
		}
		var b strings.Builder
		for n := 0; n < len(cv.labels); n++ {
			if bits&(1<<n) == 0 {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(cv.labels[n])
		}
		return b.String(), nil
	case kindBit:
		i, ok := toInt64(v)
		if !ok {
			return nil, cv.unexpected(v, "a bit value")
		}
		return uint64(i), nil
	case kindText:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			// TEXT arrives as []byte. Sent as bytes it would be a binary
			// string wherever the driver interpolates arguments, and compare
			// byte-wise instead of in the column's collation when a
			// duplicate's holders are looked up.
			return string(s), nil
		}
		return nil, cv.unexpected(v, "text")
	case kindRelabel:
		switch s := v.(type) {
		case string:
			return []byte(s), nil
		case []byte:
			return s, nil
		}
		return nil, cv.unexpected(v, "text")
	case kindFixedBinary:
		var b []byte
		switch s := v.(type) {
		case string:
			b = []byte(s)
		case []byte:
			b = s
		default:
			return nil, cv.unexpected(v, "bytes")
		}
		if len(b) < cv.length {
			// The row image stores BINARY(n) without its trailing zero pad;
			// padding keeps the value equal to the original's even when the
			// ghost column is no longer fixed-length.
			padded := make([]byte, cv.length)
			copy(padded, b)
			b = padded
		}
		return b, nil
	case kindJSON:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			if len(s) == 0 {
				// An empty document (written by a non-strict INSERT of NULL
				// into NOT NULL): MySQL reads it back as JSON null.
				return "null", nil
			}
			return string(s), nil
		}
		return nil, cv.unexpected(v, "a JSON document (partial JSON updates are not supported)")
	}
	switch v.(type) {
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint,
		float32, float64, string, []byte:
		return v, nil
	}
	return nil, cv.unexpected(v, "a scalar")
}

func (cv converter) unexpected(v any, want string) error {
	return fmt.Errorf("column %s: binlog value is %T, want %s", schema.QuoteIdent(cv.column), v, want)
}

func toInt64(v any) (int64, bool) {
	switch i := v.(type) {
	case int8:
		return int64(i), true
	case int16:
		return int64(i), true
	case int32:
		return int64(i), true
	case int64:
		return i, true
	case int:
		return int64(i), true
	case uint8:
		return int64(i), true
	case uint16:
		return int64(i), true
	case uint32:
		return int64(i), true
	case uint64:
		return int64(i), true
	case uint:
		return int64(i), true
	}
	return 0, false
}
