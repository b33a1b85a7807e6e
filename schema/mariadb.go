package schema

import "strings"

// The parser knows MySQL's grammar, not MariaDB's additions, and refuses an
// ALTER that uses them although the server runs it. maskMariaDB replaces
// them with stand-ins of the same length that the parser accepts, so a
// clause that fails to parse as written can be analysed from the masked
// text. What the stand-ins change (a column's type, an attribute, a
// collation) is nothing doppel reads from the ALTER: it applies the user's
// own text to the ghost and reads the ghost's definition back from the
// server. Same length keeps every offset, so the user's text is cut out of
// the clause exactly where the masked statement ends.
//
// Every stand-in is a reserved word or a string, which cannot be a column
// name: where one of these words is really a name (unquoted), the masked
// clause fails to parse rather than yield a different name.
var mariaDBWords = map[string]string{
	// MariaDB's data types, and the spatial ones the parser lacks.
	"inet4":              "blob ",
	"inet6":              "blob ",
	"uuid":               "blob",
	"point":              "blob ",
	"linestring":         "mediumblob",
	"polygon":            "blob   ",
	"geometry":           "longblob",
	"multipoint":         "mediumblob",
	"multilinestring":    "longblob       ",
	"multipolygon":       "longblob    ",
	"geometrycollection": "longblob          ",
	"geomcollection":     "longblob      ",
	// Column attributes: an empty comment stands for INVISIBLE (also an
	// index option) and COMPRESSED; PERSISTENT is MariaDB's STORED.
	"invisible":  "comment''",
	"compressed": "comment'' ",
	"persistent": "stored    ",
}

// maskMariaDB returns the clause with MariaDB-only words masked, or the
// clause itself when it has none. Quoted strings and identifiers and
// comments are left alone; a masked word followed by "(" is a function call
// and becomes a call of another name.
func maskMariaDB(clause string) string {
	b := []byte(clause)
	l := lexer{s: clause}
	changed := false
	for {
		l.space()
		if l.i >= len(l.s) {
			break
		}
		at := l.i
		if !isIdentByte(l.s[at]) {
			l.token()
			continue
		}
		word, _ := l.keyword()
		if at > 0 && (clause[at-1] == '.' || clause[at-1] == '@') {
			continue // qualified name or variable
		}
		next := l
		next.space()
		call := next.i < len(l.s) && l.s[next.i] == '('
		switch {
		case word == "spatial":
			// SPATIAL INDEX / KEY: the index's kind is the server's concern.
			if w, ok := next.keyword(); ok && (w == "index" || w == "key") {
				copy(b[at:l.i], strings.Repeat(" ", l.i-at))
				changed = true
			}
		case word == "collate":
			// Collations the parser does not know (MariaDB's uca1400 and
			// nopad ones): drop the whole COLLATE clause.
			end := l
			end.space()
			if end.i < len(l.s) && l.s[end.i] == '=' {
				end.i++
			}
			if _, ok := end.ident(); ok {
				copy(b[at:end.i], strings.Repeat(" ", end.i-at))
				l.i = end.i
				changed = true
			}
		case mariaDBWords[word] != "" && !call:
			copy(b[at:l.i], mariaDBWords[word])
			changed = true
		case mariaDBWords[word] != "":
			// A function of the same name, such as POINT(x, y), which the
			// parser does not know either: any other name is a call it
			// accepts.
			copy(b[at:l.i], "f"+strings.Repeat("_", l.i-at-1))
			changed = true
		}
	}
	if !changed {
		return clause
	}
	return string(b)
}
