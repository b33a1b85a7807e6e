package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	// The parser needs a value-expression driver for DEFAULT 1, COMMENT 'x'
	// and the like; test_driver is its self-contained one, despite the name.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// wrapTable stands in for the table while the clause is parsed. A clause is
// parsed as the tail of a statement about this table, and the statement must
// still be about it afterwards, so a clause cannot smuggle in its own table
// name (".x add ..." would otherwise name `_doppel_alter_`.x).
const (
	wrapTable  = "_doppel_alter_"
	wrapPrefix = "ALTER TABLE `" + wrapTable + "` "
)

// ParseAlter analyses the user's ALTER: either gh-ost's --alter clause (the
// part after "ALTER TABLE t", such as "add column x int, drop column y") or a
// full "ALTER TABLE [db.]t ..." statement.
//
// It refuses text that does not parse (ErrAlterSyntax), that holds more than
// one statement, or that changes nothing (ErrEmptyAlter). It does not refuse
// what only the caller can judge, such as RenamesTable.
func ParseAlter(text string) (*Alter, error) {
	a := &Alter{Renames: map[string]string{}, ChangesColumns: map[string]string{}}
	clause := text
	st, isStatement, err := splitStatement(text)
	if err != nil {
		return nil, err
	}
	if isStatement {
		a.Database, a.Table, a.Ignore = st.database, st.table, st.ignore
		clause = st.rest
	}
	stmt, err := parseClause(clause)
	if err != nil {
		return nil, err
	}
	if len(stmt.Specs) == 0 {
		return nil, ErrEmptyAlter
	}
	a.Text = clause
	masked := false
	if full := stmt.OriginalText(); strings.HasPrefix(full, wrapPrefix) && len(full) <= len(wrapPrefix)+len(clause) {
		// The parser's statement text stops at the statement's end, before
		// anything following a semicolon. It may be the masked text (see
		// maskMariaDB), which has the same length as the user's.
		a.Text = clause[:len(full)-len(wrapPrefix)]
		masked = full[len(wrapPrefix):] != a.Text
	}
	a.Text = trimClause(a.Text)
	for _, spec := range stmt.Specs {
		a.note(spec)
	}
	if masked {
		// The parser saw stand-ins, not the user's definitions.
		for k := range a.ChangesColumns {
			a.ChangesColumns[k] = ""
		}
	}
	return a, nil
}

func (a *Alter) note(spec *ast.AlterTableSpec) {
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		for _, c := range spec.NewColumns {
			if c == nil || c.Name == nil {
				continue
			}
			a.Added = append(a.Added, c.Name.Name.O)
			a.noteColumnOptions(c)
		}
	case ast.AlterTableAddConstraint:
		a.noteConstraint(spec.Constraint)
	case ast.AlterTableDropColumn:
		if spec.OldColumnName != nil {
			a.Dropped = append(a.Dropped, spec.OldColumnName.Name.L)
		}
	case ast.AlterTableDropPrimaryKey:
		a.DropsPrimaryKey = true
	case ast.AlterTableDropIndex:
		// DROP INDEX `PRIMARY` is another spelling of DROP PRIMARY KEY.
		if strings.EqualFold(spec.Name, "PRIMARY") {
			a.DropsPrimaryKey = true
		} else {
			a.DroppedKeys = append(a.DroppedKeys, spec.Name)
		}
	case ast.AlterTableDropForeignKey:
		a.DropsForeignKey = true
	case ast.AlterTableModifyColumn:
		if len(spec.NewColumns) == 1 && spec.NewColumns[0].Name != nil {
			c := spec.NewColumns[0]
			a.ChangesColumns[c.Name.Name.L] = restore(c)
			a.noteColumnOptions(c)
		}
	case ast.AlterTableChangeColumn:
		if len(spec.NewColumns) == 1 && spec.NewColumns[0].Name != nil && spec.OldColumnName != nil {
			c, old := spec.NewColumns[0], spec.OldColumnName.Name.L
			a.ChangesColumns[old] = restore(c)
			// Column names compare case-insensitively: CHANGE a A only
			// respells the column, which is no rename of its data.
			if c.Name.Name.L != old {
				a.Renames[old] = c.Name.Name.O
			}
			a.noteColumnOptions(c)
		}
	case ast.AlterTableRenameColumn:
		if spec.OldColumnName != nil && spec.NewColumnName != nil &&
			spec.OldColumnName.Name.L != spec.NewColumnName.Name.L {
			a.Renames[spec.OldColumnName.Name.L] = spec.NewColumnName.Name.O
		}
	case ast.AlterTableRenameTable:
		a.RenamesTable = true
		if spec.NewTable != nil {
			a.NewTableName = spec.NewTable.Name.O
		}
	case ast.AlterTableOption:
		for _, o := range spec.Options {
			if o != nil && o.Tp == ast.TableOptionEngine {
				a.Engine = o.StrValue
			}
			if o != nil && o.Tp == ast.TableOptionAutoIncrement {
				a.SetsAutoIncrement = true
			}
		}
	}
}

func (a *Alter) noteConstraint(c *ast.Constraint) {
	if c == nil {
		return
	}
	switch c.Tp {
	case ast.ConstraintPrimaryKey:
		a.AddsPrimaryKey, a.AddsUniqueKey = true, true
	case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		a.AddsUniqueKey = true
	case ast.ConstraintForeignKey:
		a.AddsForeignKey = true
	}
}

func (a *Alter) noteColumnOptions(c *ast.ColumnDef) {
	for _, o := range c.Options {
		if o == nil {
			continue
		}
		switch o.Tp {
		case ast.ColumnOptionPrimaryKey:
			a.AddsPrimaryKey, a.AddsUniqueKey = true, true
		case ast.ColumnOptionUniqKey:
			a.AddsUniqueKey = true
		case ast.ColumnOptionReference:
			a.AddsForeignKey = true
		}
	}
}

// restore renders a column definition back to SQL, for messages and for the
// lossy-change lint; a definition that cannot be rendered yields "".
func restore(c *ast.ColumnDef) string {
	var b strings.Builder
	if err := c.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		return ""
	}
	return b.String()
}

// parseClause parses the clause as the tail of an ALTER TABLE statement.
func parseClause(clause string) (stmt *ast.AlterTableStmt, err error) {
	// The parser is generated code fed arbitrary user text; a panic in it
	// must become a refusal, not a crash of a running migration tool.
	defer func() {
		if r := recover(); r != nil {
			stmt, err = nil, fmt.Errorf("%w: parser failed: %v", ErrAlterSyntax, r)
		}
	}()
	stmts, _, perr := parser.New().Parse(wrapPrefix+clause, "", "")
	if perr != nil {
		// MariaDB's own syntax (see maskMariaDB); the error stays the one
		// about the user's text.
		if masked := maskMariaDB(clause); masked != clause {
			if ms, _, merr := parser.New().Parse(wrapPrefix+masked, "", ""); merr == nil {
				stmts, perr = ms, nil
			}
		}
	}
	if perr != nil {
		return nil, fmt.Errorf("%w: %s", ErrAlterSyntax, parseMessage(perr))
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("%w: it holds %d statements; give one alter clause", ErrAlterSyntax, len(stmts))
	}
	alter, ok := stmts[0].(*ast.AlterTableStmt)
	if !ok || alter.Table == nil || alter.Table.Schema.O != "" || alter.Table.Name.O != wrapTable {
		return nil, fmt.Errorf("%w: %q is not an alter table clause", ErrAlterSyntax, clause)
	}
	return alter, nil
}

var positionMessage = regexp.MustCompile(`line (\d+) column (\d+) near "(?s:(.*))"`)

// parseMessage keeps the parser's position message, with the column counted
// from the start of the clause the user wrote rather than the wrapped
// statement, and without the parser's boilerplate about TiDB versions.
func parseMessage(err error) string {
	msg := err.Error()
	m := positionMessage.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(msg[m[2]:m[3]])
	col, _ := strconv.Atoi(msg[m[4]:m[5]])
	if line == 1 {
		col -= len(wrapPrefix)
	}
	near := msg[m[6]:m[7]]
	if near == "" {
		return fmt.Sprintf("line %d column %d: unexpected end of text", line, col)
	}
	return fmt.Sprintf("line %d column %d near %q", line, col, near)
}

// statement is a full ALTER TABLE statement split at the end of its table
// name.
type statement struct {
	database, table string
	ignore          bool
	rest            string
}

// splitStatement recognises a full "ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS]
// [db.]t" prefix. A clause never starts that way: "ALTER COLUMN", "ALTER
// INDEX" and "ALTER CHECK" are the clauses that start with ALTER, and TABLE
// is reserved, so a column named table must be quoted.
func splitStatement(text string) (statement, bool, error) {
	var st statement
	l := lexer{s: text}
	if w, ok := l.keyword(); !ok || w != "alter" {
		return st, false, nil
	}
	w, ok := l.keyword()
	for ok && (w == "online" || w == "ignore") {
		st.ignore = st.ignore || w == "ignore"
		w, ok = l.keyword()
	}
	if !ok || w != "table" {
		return st, false, nil
	}
	save := l.i
	if w, ok := l.keyword(); ok && w == "if" {
		if w, ok := l.keyword(); !ok || w != "exists" {
			l.i = save
		}
	} else {
		l.i = save
	}
	name, ok := l.ident()
	if !ok {
		return st, false, fmt.Errorf("%w: no table name after ALTER TABLE", ErrAlterSyntax)
	}
	l.space()
	if l.i < len(l.s) && l.s[l.i] == '.' {
		l.i++
		table, ok := l.ident()
		if !ok {
			return st, false, fmt.Errorf("%w: no table name after %s.", ErrAlterSyntax, QuoteIdent(name))
		}
		st.database, name = name, table
	}
	st.table, st.rest = name, l.s[l.i:]
	return st, true, nil
}

// lexer knows just enough MySQL lexical structure to find a statement's
// table name and its last token: white space, comments, quoted strings and
// identifiers. The grammar is left to the real parser.
type lexer struct {
	s string
	i int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// executable reports whether the comment at i is one the server executes
// (/*! ... */, MariaDB's /*M! ... */) or an optimizer hint (/*+ ... */):
// those are code, not comments.
func (l *lexer) executable(i int) bool {
	rest := l.s[i+2:]
	return strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, "M!") || strings.HasPrefix(rest, "+")
}

// space skips white space and comments.
func (l *lexer) space() {
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '#':
			l.skipLine()
		case c == '-' && strings.HasPrefix(l.s[l.i:], "--") &&
			(l.i+2 == len(l.s) || l.s[l.i+2] <= ' '):
			l.skipLine()
		case c == '/' && strings.HasPrefix(l.s[l.i:], "/*") && !l.executable(l.i):
			l.skipComment()
		default:
			return
		}
	}
}

func (l *lexer) skipLine() {
	if n := strings.IndexByte(l.s[l.i:], '\n'); n >= 0 {
		l.i += n + 1
	} else {
		l.i = len(l.s)
	}
}

func (l *lexer) skipComment() {
	if n := strings.Index(l.s[l.i+2:], "*/"); n >= 0 {
		l.i += 2 + n + 2
	} else {
		l.i = len(l.s)
	}
}

// keyword reads an unquoted word, lower-cased.
func (l *lexer) keyword() (string, bool) {
	l.space()
	start := l.i
	for l.i < len(l.s) && isIdentByte(l.s[l.i]) {
		l.i++
	}
	if l.i == start {
		return "", false
	}
	return strings.ToLower(l.s[start:l.i]), true
}

// ident reads an identifier, bare or backtick-quoted.
func (l *lexer) ident() (string, bool) {
	l.space()
	if l.i < len(l.s) && l.s[l.i] == '`' {
		v, n, ok := quoted(l.s[l.i:], '`')
		if !ok {
			return "", false
		}
		l.i += n
		return v, true
	}
	start := l.i
	for l.i < len(l.s) && isIdentByte(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i], l.i > start
}

// quoted reads the literal that starts s with quote q: the quote doubled
// stands for itself, and in strings (not identifiers) a backslash escapes the
// next byte. It returns the value, the bytes spanned, and false when the
// literal is not terminated.
func quoted(s string, q byte) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q && i+1 < len(s) && s[i+1] == q:
			b.WriteByte(q)
			i++
		case c == q:
			return b.String(), i + 1, true
		case c == '\\' && q != '`' && i+1 < len(s):
			i++
			b.WriteString(unescape(s[i]))
		default:
			b.WriteByte(c)
		}
	}
	return "", len(s), false
}

// token skips one token: a quoted literal, an executable comment, or a byte.
func (l *lexer) token() {
	c := l.s[l.i]
	switch {
	case c == '\'' || c == '"' || c == '`':
		_, n, _ := quoted(l.s[l.i:], c)
		l.i += n
	case c == '/' && strings.HasPrefix(l.s[l.i:], "/*"):
		l.skipComment()
	default:
		l.i++
	}
}

// trimClause drops white space, comments and semicolons around the clause,
// so that a caller may append to it ("..., ALGORITHM=COPY") without the
// addition landing in a comment or after the statement's end.
func trimClause(s string) string {
	l := lexer{s: s}
	start, end := -1, 0
	for {
		l.space()
		if l.i >= len(l.s) {
			break
		}
		at := l.i
		l.token()
		if s[at] == ';' {
			continue
		}
		if start < 0 {
			start = at
		}
		end = l.i
	}
	if start < 0 {
		return ""
	}
	return s[start:end]
}
