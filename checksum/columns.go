package checksum

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/doppel-dev/doppel/schema"
)

// ColumnPlan says how one shared column is compared.
type ColumnPlan struct {
	Orig, Ghost string // column names in each table
	// OrigExpr and GhostExpr are SQL expressions over the unqualified quoted
	// column name that yield a BINARY string (or NULL when the value is
	// NULL). Two values are equal in the comparison domain iff the
	// expressions yield identical bytes.
	OrigExpr, GhostExpr string
	// Domain is a short name of the comparison domain, for logs: "same",
	// "integer", "decimal(30,4)", "double", "text", "bytes", "datetime", ...
	Domain string
	// Skipped is set when the pair cannot be compared meaningfully; Reason
	// says why and what is not verified (one line, for the log).
	Skipped bool
	Reason  string
}

// planColumn chooses a domain in which both columns' values can be written
// exactly, so that the server's legitimate conversion of a value compares
// equal and a lossy one (clamping, rounding, truncation, a character the new
// charset cannot hold) compares different, whether it came from the ALTER's
// conversion or from a bug that wrote a wrong value. Where no such domain
// exists the column is skipped rather than compared in a way that would fail
// a correct migration or pass a broken one without saying so.
//
// Every expression renders from the stored value only: none depends on the
// session's sql_mode (a zero date cast to DATETIME is NULL under
// NO_ZERO_DATE, so temporal values are compared as their text), and only
// TIMESTAMP depends on time_zone, which the copy and the checksum sessions
// share.
func planColumn(orig, ghost schema.Column) ColumnPlan {
	p := ColumnPlan{Orig: orig.Name, Ghost: ghost.Name}
	o, g := classify(orig), classify(ghost)
	oc, gc := schema.QuoteIdent(orig.Name), schema.QuoteIdent(ghost.Name)
	plan := func(domain, origExpr, ghostExpr string) ColumnPlan {
		p.Domain, p.OrigExpr, p.GhostExpr = domain, origExpr, ghostExpr
		return p
	}
	if orig.DataType == ghost.DataType && orig.ColumnType == ghost.ColumnType && orig.Charset == ghost.Charset {
		// Same type, same bytes: the copy converts nothing. The collation is
		// not in ColumnType, and a collation-only change rewrites no byte.
		return plan("same", sameExpr(oc, o), sameExpr(gc, g))
	}
	switch {
	case o.isExact() && g.isExact():
		if o == classInteger && g == classInteger {
			return plan("integer", intExpr(oc), intExpr(gc))
		}
		return decimalPlan(p, orig, ghost, oc, gc)
	case o.isNumber() && g.isNumber():
		return approxPlan(p, o, g, oc, gc)
	case orig.DataType == "set" && ghost.DataType == "set":
		return plan("set members", setExpr(oc, orig.EnumValues, ghost.EnumValues), setExpr(gc, orig.EnumValues, ghost.EnumValues))
	case ghost.DataType == "set" && (o == classText || o == classBinary):
		return skip(p, orig, ghost, "the server sorts a set's members and drops unknown ones, so neither the text nor the members compare exactly; values are copied by the server's conversion and not verified")
	case o == classText && g == classText:
		return textPlan(p, orig, ghost, textExpr(oc), textExpr(gc))
	case (o == classText || o == classBinary) && (g == classText || g == classBinary):
		return bytesPlan(p, orig, ghost, "CAST("+oc+" AS BINARY)", "CAST("+gc+" AS BINARY)")
	case rendersAsText(orig, o) && g == classText && ghost.DataType != "enum" && ghost.DataType != "set":
		// A number or a time has one canonical text, and the server's
		// conversion to a string column writes exactly that text, so
		// comparing texts is exact in both directions: a truncated or
		// re-formatted text differs.
		return textPlan(p, orig, ghost, canonicalText(oc, o), textExpr(gc))
	case rendersAsText(orig, o) && g == classBinary:
		return bytesPlan(p, orig, ghost, canonicalText(oc, o), "CAST("+gc+" AS BINARY)")
	case o == classJSON && g == classText:
		return textPlan(p, orig, ghost, jsonExpr(oc), textExpr(gc))
	case o.isTemporal() && g.isTemporal():
		return plan("datetime", temporalExpr(oc, orig, o), temporalExpr(gc, ghost, g))
	case o == classTime && g == classTime:
		return plan("time", temporalExpr(oc, orig, o), temporalExpr(gc, ghost, g))
	case o == classSpatial && g == classSpatial:
		// Every geometry type stores the same SRID+WKB bytes; a subtype
		// change either keeps them or fails to store the value.
		return plan("bytes", "CAST("+oc+" AS BINARY)", "CAST("+gc+" AS BINARY)")
	}
	return skip(p, orig, ghost, crossReason(orig, ghost, o, g))
}

// crossReason explains why a pair of classes has no exact comparison.
func crossReason(orig, ghost schema.Column, o, g class) string {
	const unverified = "values are copied by the server's conversion and not verified"
	enumLike := func(c schema.Column) bool { return c.DataType == "enum" || c.DataType == "set" }
	switch {
	case o == classFloat && (g == classText || g == classBinary):
		return "the text a server writes for a FLOAT differs between servers (MariaDB writes its exact double); no exact comparison; " + unverified
	case orig.DataType == "bit" && (g == classText || g == classBinary):
		return "the server stores a BIT into a string as its bytes, not its number; no exact comparison; " + unverified
	case enumLike(ghost) && o.isNumber():
		return "the server stores a number into an ENUM or SET as an index or a bit mask; no exact comparison; " + unverified
	case enumLike(orig) && g.isNumber():
		return "the server stores an ENUM or SET into a number as its index or bit mask; no exact comparison; " + unverified
	case g == classJSON:
		return "the server normalises JSON text, and a text that is not JSON fails to cast; no exact comparison; " + unverified
	case (o == classText || o == classBinary) && (g.isNumber() || g.isTemporal() || g == classTime):
		return "the server parses strings leniently (spaces, leading zeros, trailing garbage; invalid values become 0 or a zero date), so neither the text nor the parsed value compares exactly; " + unverified
	case (o == classTime) != (g == classTime) && (o.isTemporal() || g.isTemporal()):
		return "converting between TIME and a date drops the date or takes today's; no exact comparison; " + unverified
	default:
		return "no exact comparison; " + unverified
	}
}

func skip(p ColumnPlan, orig, ghost schema.Column, why string) ColumnPlan {
	p.Skipped = true
	p.Reason = describe(orig) + " → " + describe(ghost) + ": " + why
	return p
}

// describe names a column's type for a log line; enum and set lists can be
// long, and the labels are data.
func describe(c schema.Column) string {
	t := c.ColumnType
	if c.DataType == "enum" || c.DataType == "set" || t == "" {
		t = c.DataType
	}
	if c.Charset != "" && c.Charset != "binary" {
		t += " " + c.Charset
	}
	return t
}

// class groups types by how their values can be compared.
type class int

const (
	classOther    class = iota // inet6, uuid, vector, unknown: compared only when identical
	classInteger               // tinyint..bigint, year, bit: exact whole numbers
	classDecimal               // decimal
	classFloat                 // float
	classDouble                // double
	classText                  // non-binary strings, enum, set
	classJSON                  // MySQL's JSON type (MariaDB's JSON is a longtext)
	classBinary                // byte strings
	classDate                  // date
	classDatetime              // datetime, timestamp
	classTime                  // time
	classSpatial               // geometry and its subtypes
)

func (c class) isExact() bool    { return c == classInteger || c == classDecimal }
func (c class) isNumber() bool   { return c.isExact() || c == classFloat || c == classDouble }
func (c class) isTemporal() bool { return c == classDate || c == classDatetime }

// rendersAsText is true of the types whose CAST to a string is their one
// canonical text, the same the server writes when it stores them into a
// string column. Not floats (their text differs between servers), nor BIT
// (stored into a string as its bytes, not its number), nor JSON (MySQL's
// text form is a normalisation).
func rendersAsText(c schema.Column, k class) bool {
	switch k {
	case classInteger:
		return c.DataType != "bit"
	case classDecimal, classDouble, classDate, classDatetime, classTime:
		return true
	}
	return false
}

// canonicalText is the text the server writes for a number or a time stored
// into a string column: a number without ZEROFILL's padding, and YEAR 0 as
// "0" (MariaDB copies a YEAR as its number; its own text is "0000").
func canonicalText(col string, k class) string {
	if k.isNumber() {
		return "CAST(" + col + "+0 AS BINARY)"
	}
	return "CAST(" + col + " AS BINARY)"
}

func classify(c schema.Column) class {
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year", "bit":
		return classInteger
	case "decimal", "numeric":
		return classDecimal
	case "float":
		return classFloat
	case "double", "real", "double precision":
		return classDouble
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		if c.Charset == "binary" {
			return classBinary
		}
		return classText
	case "json":
		return classJSON
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return classBinary
	case "date":
		return classDate
	case "datetime", "timestamp":
		return classDatetime
	case "time":
		return classTime
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
		"geometrycollection", "geomcollection":
		return classSpatial
	}
	return classOther
}

// sameExpr renders a value of an unchanged type. A float's own text has six
// significant digits, too few to tell neighbouring floats apart, while the
// double it widens to exactly is printed in full; MySQL's JSON is printed as
// its text.
func sameExpr(col string, c class) string {
	switch c {
	case classFloat, classDouble:
		return "CAST(CAST(" + col + " AS DOUBLE) AS BINARY)"
	case classJSON:
		return "CAST(CAST(" + col + " AS CHAR CHARACTER SET utf8mb4) AS BINARY)"
	}
	return "CAST(" + col + " AS BINARY)"
}

// intExpr: +0 turns zerofill, YEAR and BIT into the plain number.
func intExpr(col string) string {
	return "CAST(" + col + "+0 AS BINARY)"
}

// decimalPlan compares exact numbers at the larger scale of the two, with
// room for the larger integer part, so 1.50 and 1.5000 are equal and a
// rounded or clamped value is not. Past DECIMAL's 65 digits it compares
// the values' shortest text instead.
func decimalPlan(p ColumnPlan, orig, ghost schema.Column, oc, gc string) ColumnPlan {
	oi, os, ok1 := exactDigits(orig)
	gi, gs, ok2 := exactDigits(ghost)
	if !ok1 || !ok2 {
		return skip(p, orig, ghost, "cannot read the precision and scale from COLUMN_TYPE; values are copied by the server's conversion and not verified")
	}
	digits, scale := max(oi, gi), max(os, gs)
	if digits+scale <= 65 {
		t := fmt.Sprintf("DECIMAL(%d,%d)", digits+scale, scale)
		p.Domain = strings.ToLower(t)
		p.OrigExpr = "CAST(CAST(" + oc + "+0 AS " + t + ") AS BINARY)"
		p.GhostExpr = "CAST(CAST(" + gc + "+0 AS " + t + ") AS BINARY)"
		return p
	}
	p.Domain = "decimal"
	p.OrigExpr, p.GhostExpr = shortestDecimal(oc, orig), shortestDecimal(gc, ghost)
	return p
}

// shortestDecimal drops a fraction's trailing zeros (and a bare point) from
// the number's text: the text of a value with a scale always has a point, so
// the integer part is never trimmed.
func shortestDecimal(col string, c schema.Column) string {
	text := "CAST(" + col + "+0 AS BINARY)"
	if _, scale, _ := exactDigits(c); scale == 0 {
		return text
	}
	return "TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM " + text + "))"
}

// exactDigits returns how many integer and fraction digits a column's
// values can have.
func exactDigits(c schema.Column) (integer, scale int, ok bool) {
	switch c.DataType {
	case "tinyint":
		return 3, 0, true
	case "smallint":
		return 5, 0, true
	case "mediumint":
		return 8, 0, true
	case "int", "integer":
		return 10, 0, true
	case "bigint":
		if c.Unsigned {
			return 20, 0, true
		}
		return 19, 0, true
	case "year":
		return 4, 0, true
	case "bit":
		n, ok := typeArgs(c.ColumnType)
		if !ok || len(n) != 1 || n[0] < 1 || n[0] > 64 {
			return 20, 0, true
		}
		return len(strconv.FormatUint(1<<uint(n[0])-1, 10)), 0, true
	case "decimal", "numeric":
		n, ok := typeArgs(c.ColumnType)
		switch {
		case !ok || len(n) == 0:
			return 0, 0, false
		case len(n) == 1:
			return n[0], 0, true
		default:
			return n[0] - n[1], n[1], true
		}
	}
	return 0, 0, false
}

// typeArgs parses the numbers in a COLUMN_TYPE's parentheses:
// "decimal(10,2) unsigned" → [10 2]; no parentheses → nil, true.
func typeArgs(columnType string) ([]int, bool) {
	open := strings.IndexByte(columnType, '(')
	if open < 0 {
		return nil, true
	}
	end := strings.IndexByte(columnType[open:], ')')
	if end < 0 {
		return nil, false
	}
	var n []int
	for _, f := range strings.Split(columnType[open+1:open+end], ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, false
		}
		n = append(n, v)
	}
	return n, true
}

// approxPlan compares when a float or double is involved. Binary fractions
// and decimals have no common exact domain, so the domain is the
// floating-point type itself: the legitimate conversion stores the nearest
// float (or double) to the value, and a value that was rounded further,
// clamped or changed no longer casts to the same one. A FLOAT widens to a
// DOUBLE exactly (the server copies FLOAT→DOUBLE that way too), so FLOAT
// against DOUBLE compares as doubles and DOUBLE→FLOAT rounding shows. FLOAT
// against an exact number compares as floats, because the server converts a
// float through its exact double value: FLOAT 0.1 becomes DECIMAL 0.10,
// which is the same float but not the same double. What such a domain cannot
// see is precision beyond the floating-point type, which the user gave up by
// choosing it.
func approxPlan(p ColumnPlan, o, g class, oc, gc string) ColumnPlan {
	if o == classDouble || g == classDouble || (o == classFloat && g == classFloat) {
		p.Domain = "double"
		p.OrigExpr = "CAST(CAST(" + oc + "+0 AS DOUBLE) AS BINARY)"
		p.GhostExpr = "CAST(CAST(" + gc + "+0 AS DOUBLE) AS BINARY)"
		return p
	}
	p.Domain = "float"
	p.OrigExpr = "CAST(CAST(CAST(" + oc + "+0 AS FLOAT) AS DOUBLE) AS BINARY)"
	p.GhostExpr = "CAST(CAST(CAST(" + gc + "+0 AS FLOAT) AS DOUBLE) AS BINARY)"
	return p
}

// textPlan compares strings as utf8mb4, which holds every character of every
// charset: a charset change that keeps the characters is equal, a '?' or a
// cut-off is not.
func textPlan(p ColumnPlan, orig, ghost schema.Column, origExpr, ghostExpr string) ColumnPlan {
	p.Domain, p.OrigExpr, p.GhostExpr = "text", origExpr, ghostExpr
	if involves(orig, ghost, "char") {
		p.Domain, p.OrigExpr, p.GhostExpr = "text, trailing spaces ignored", trimSpaces(origExpr), trimSpaces(ghostExpr)
	}
	return p
}

func textExpr(col string) string {
	return "CAST(CONVERT(" + col + " USING utf8mb4) AS BINARY)"
}

// jsonExpr renders MySQL's JSON as the text it writes into a string column.
func jsonExpr(col string) string {
	return "CAST(CAST(" + col + " AS CHAR CHARACTER SET utf8mb4) AS BINARY)"
}

func involves(orig, ghost schema.Column, dataType string) bool {
	return orig.DataType == dataType || ghost.DataType == dataType
}

// trimSpaces ignores trailing spaces, for when a CHAR is involved: a CHAR
// pads with spaces and strips them on read, so trailing spaces are not part
// of its values, and a string that had some stores as the same CHAR value
// without them (without a warning, in strict mode too). Only spaces: CHAR
// strips nothing else, and no multi-byte UTF-8 character ends in 0x20.
func trimSpaces(expr string) string { return "RTRIM(" + expr + ")" }

// bytesPlan compares bytes when a byte string is involved: converting
// between byte and character strings copies bytes without any charset
// conversion, so each side's bytes in its own charset are what must match.
// A BINARY(n) pads with 0x00 and keeps the padding, so when one is involved
// trailing 0x00 bytes are padding, not data, on either side; a CHAR's
// trailing spaces likewise.
func bytesPlan(p ColumnPlan, orig, ghost schema.Column, origExpr, ghostExpr string) ColumnPlan {
	p.Domain = "bytes"
	if involves(orig, ghost, "binary") {
		origExpr = "TRIM(TRAILING 0x00 FROM " + origExpr + ")"
		ghostExpr = "TRIM(TRAILING 0x00 FROM " + ghostExpr + ")"
		p.Domain = "bytes, trailing 0x00 ignored"
	}
	if involves(orig, ghost, "char") {
		origExpr, ghostExpr = trimSpaces(origExpr), trimSpaces(ghostExpr)
		p.Domain = "bytes, trailing spaces ignored"
		if involves(orig, ghost, "binary") {
			p.Domain = "bytes, trailing 0x00 and spaces ignored"
		}
	}
	p.OrigExpr, p.GhostExpr = origExpr, ghostExpr
	return p
}

// setExpr writes which of all labels of both definitions a set value holds,
// as a string of 0s and 1s: a set's text lists members in definition order,
// so reordering the definition changes the text but not the value. Labels
// are matched byte for byte, as hex literals (immune to sql_mode's
// backslash rules).
func setExpr(col string, origLabels, ghostLabels []string) string {
	value := "CONVERT(" + col + " USING utf8mb4) COLLATE utf8mb4_bin"
	seen := map[string]bool{}
	var parts []string
	for _, l := range append(append([]string(nil), origLabels...), ghostLabels...) {
		if seen[l] {
			continue
		}
		seen[l] = true
		parts = append(parts, "FIND_IN_SET(_utf8mb4 X'"+hex.EncodeToString([]byte(l))+"' COLLATE utf8mb4_bin, "+value+") > 0")
	}
	if len(parts) == 0 {
		return "CAST(" + col + " AS BINARY)"
	}
	return "CAST(CONCAT(" + strings.Join(parts, ", ") + ") AS BINARY)"
}

// temporalExpr writes a date or time as its text with six fractional
// digits, so that DATE, DATETIME(n), TIMESTAMP(n) and TIME(n) values that
// are the same instant are the same bytes. Text, because a CAST to DATETIME
// turns a zero date into NULL under NO_ZERO_DATE.
func temporalExpr(col string, c schema.Column, k class) string {
	text := "CAST(" + col + " AS BINARY)"
	if k == classDate {
		return "CONCAT(" + text + ", _binary' 00:00:00.000000')"
	}
	frac := 0
	if n, ok := typeArgs(c.ColumnType); ok && len(n) == 1 {
		frac = n[0]
	}
	switch {
	case frac <= 0:
		return "CONCAT(" + text + ", _binary'.000000')"
	case frac < 6:
		return "CONCAT(" + text + ", _binary'" + strings.Repeat("0", 6-frac) + "')"
	}
	return text
}
