package binlog

import (
	"strings"
)

// Statements a row-format server still logs as text but that cannot change a
// table's definition or rows: maintenance and privilege statements. Aborting a
// migration because someone ran ANALYZE TABLE would be a false alarm.
var harmlessStatements = map[string]bool{
	"ANALYZE":  true,
	"CHECK":    true,
	"CHECKSUM": true,
	"OPTIMIZE": true,
	"REPAIR":   true,
	"FLUSH":    true,
	"GRANT":    true,
	"REVOKE":   true,
}

// token is one lexical item of a statement: an identifier (quoted or not) or
// a single punctuation byte. String literals and comments are dropped.
type token struct {
	text  string
	ident bool
}

// driftMatch is what a logged statement says about the watched tables.
type driftMatch struct {
	tables   []string // watched tables the statement names, in order of first mention
	database bool     // the statement drops the watched database
}

func (m driftMatch) any() bool { return m.database || len(m.tables) > 0 }

// matchStatement finds the watched tables a logged statement names. The
// server resolves an unqualified name in the statement's default schema, so
// one counts only when that is the watched database. Names compare without
// case: on a case-insensitive server a different spelling is the same table,
// and elsewhere a false match costs only an aborted migration.
func matchStatement(stmt, defaultSchema, database string, watched map[string]bool) driftMatch {
	toks := tokenize(stmt)
	var m driftMatch
	if len(toks) == 0 {
		return m
	}
	first := strings.ToUpper(toks[0].text)
	if harmlessStatements[first] {
		return m
	}
	if first == "DROP" && len(toks) > 2 {
		kw := strings.ToUpper(toks[1].text)
		if kw == "DATABASE" || kw == "SCHEMA" {
			i := 2
			if i+1 < len(toks) && strings.EqualFold(toks[i].text, "IF") && strings.EqualFold(toks[i+1].text, "EXISTS") {
				i += 2
			}
			if i < len(toks) && toks[i].ident && strings.EqualFold(toks[i].text, database) {
				m.database = true
			}
			return m
		}
	}
	lowered := make(map[string]string, len(watched))
	for t := range watched {
		lowered[strings.ToLower(t)] = t
	}
	seen := map[string]bool{}
	add := func(name string) {
		if t, ok := lowered[strings.ToLower(name)]; ok && !seen[t] {
			seen[t] = true
			m.tables = append(m.tables, t)
		}
	}
	inDefault := strings.EqualFold(defaultSchema, database)
	for i := 0; i < len(toks); i++ {
		if !toks[i].ident {
			continue
		}
		if i+2 < len(toks) && toks[i+1].text == "." && toks[i+2].ident {
			if strings.EqualFold(toks[i].text, database) {
				add(toks[i+2].text)
			}
			i += 2
			// Skip the rest of a longer dotted name (schema.table.column):
			// its tail is a column, not a table.
			for i+2 < len(toks) && toks[i+1].text == "." && toks[i+2].ident {
				i += 2
			}
			continue
		}
		if inDefault {
			add(toks[i].text)
		}
	}
	return m
}

// tokenize splits a statement into identifiers and punctuation. Versioned
// comments (/*!50100 ... */, /*M!100100 ... */) hold code the server runs, so
// their content is tokenized; other comments and string literals are not.
// Double-quoted text counts as an identifier because under ANSI_QUOTES it is
// one; treating it so errs toward a match.
func tokenize(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#':
			i = skipLine(s, i)
		case c == '-' && strings.HasPrefix(s[i:], "--") && (i+2 == len(s) || isSpace(s[i+2])):
			i = skipLine(s, i)
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := i + 2
			if strings.HasPrefix(s[j:], "!") || strings.HasPrefix(s[j:], "M!") {
				// Executable comment: drop the markers, keep the code.
				j += strings.IndexByte(s[j:], '!') + 1
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				i = j
				continue
			}
			end := strings.Index(s[j:], "*/")
			if end < 0 {
				return toks
			}
			i = j + end + 2
		case c == '*' && strings.HasPrefix(s[i:], "*/"):
			// End of an executable comment whose start was consumed above.
			i += 2
		case c == '\'':
			i = skipQuoted(s, i, '\'')
		case c == '`' || c == '"':
			text, next := readQuotedIdent(s, i, c)
			toks = append(toks, token{text: text, ident: true})
			i = next
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, token{text: s[i:j], ident: true})
			i = j
		default:
			toks = append(toks, token{text: s[i : i+1]})
			i++
		}
	}
	return toks
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isIdentByte accepts every byte of a multi-byte UTF-8 character, since
// unquoted MySQL identifiers may use them.
func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func skipLine(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// skipQuoted returns the index after a string literal opened at i, honouring
// both doubled quotes and backslash escapes.
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// readQuotedIdent reads an identifier quoted with q, where a doubled q stands
// for itself.
func readQuotedIdent(s string, i int, q byte) (string, int) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j++
				continue
			}
			return b.String(), j + 1
		}
		b.WriteByte(s[j])
	}
	return b.String(), len(s)
}
