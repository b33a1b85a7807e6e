package schema

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Map pairs the columns the original and ghost tables share and chooses the
// migration key.
//
// A column of the original is shared when the ALTER does not drop it, when
// (through its rename, if any) the ghost table has a column of that name, and
// when neither side is generated. The result lists shared columns in the
// original's ordinal order. a may be nil for a migration that only rebuilds.
//
// Renamed columns need the user's decision (ErrRenameNeedsApproval): copying
// a column's data under a new name is right for a rename and wrong when the
// user meant to drop one column and add another.
//
// The key is the first unique key of the original, in gh-ost's order of
// preference, whose columns are all shared, NOT NULL in both tables and
// exactly comparable, and that the ghost table also has: a unique key over
// the same columns in the same order, or else, as gh-ost accepts, a unique
// key covering those columns and more (the ALTER widened the key, e.g. "drop
// primary key, add primary key (id, i)"). A widened key still identifies each
// row: the original's key is unique and every ghost row comes from the
// original. Without one Map returns a *NoSharedKeyError.
func Map(orig, ghost *Table, a *Alter, opts MapOptions) (*Mapping, error) {
	if opts.ApproveRenamed && opts.SkipRenamed {
		return nil, errors.New("map columns: --approve-renamed-columns and --skip-renamed-columns exclude each other")
	}
	if a == nil {
		a = &Alter{}
	}
	if err := checkRenames(orig, a, opts); err != nil {
		return nil, fmt.Errorf("map columns: %w", err)
	}
	cols, err := shareColumns(orig, ghost, a, opts)
	if err != nil {
		return nil, fmt.Errorf("map columns: %w", err)
	}
	m := &Mapping{}
	for _, c := range orig.Columns {
		if g, ok := cols.ghostOf[lower(c.Name)]; ok {
			m.OrigColumns = append(m.OrigColumns, c.Name)
			m.GhostColumns = append(m.GhostColumns, g.Name)
		}
	}
	if err := chooseKey(orig, ghost, cols, m); err != nil {
		return nil, err
	}
	return m, nil
}

func lower(s string) string { return strings.ToLower(s) }

// checkRenames refuses renames the user has not decided on. Only renames of
// columns the original has count: any other would have failed on the ghost.
func checkRenames(orig *Table, a *Alter, opts MapOptions) error {
	if opts.ApproveRenamed || opts.SkipRenamed {
		return nil
	}
	var renames []string
	for _, c := range orig.Columns {
		if to, ok := a.Renames[lower(c.Name)]; ok {
			renames = append(renames, QuoteIdent(c.Name)+" to "+QuoteIdent(to))
		}
	}
	if len(renames) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s: pass --approve-renamed-columns to copy their data to the new names, "+
		"or --skip-renamed-columns to leave them out of the copy", ErrRenameNeedsApproval, strings.Join(renames, ", "))
}

// sharing records, per lower-cased original column, where its data goes or
// why it goes nowhere.
type sharing struct {
	ghostOf       map[string]*Column
	why           map[string]string
	allowNullable bool // MapOptions.AllowNullableKey
}

func shareColumns(orig, ghost *Table, a *Alter, opts MapOptions) (sharing, error) {
	s := sharing{ghostOf: map[string]*Column{}, why: map[string]string{}, allowNullable: opts.AllowNullableKey}
	ghostByName := map[string]*Column{}
	for i := range ghost.Columns {
		ghostByName[lower(ghost.Columns[i].Name)] = &ghost.Columns[i]
	}
	dropped := map[string]bool{}
	for _, d := range a.Dropped {
		dropped[lower(d)] = true
	}
	usedBy := map[string]string{}
	for _, c := range orig.Columns {
		name := lower(c.Name)
		target, renamed := a.Renames[name]
		if !renamed {
			target = c.Name
		}
		g := ghostByName[lower(target)]
		switch {
		case c.Generated:
			s.why[name] = "it is generated"
		case dropped[name]:
			s.why[name] = "the alter drops it"
		case renamed && opts.SkipRenamed:
			s.why[name] = "the alter renames it and --skip-renamed-columns leaves it out"
		case g == nil:
			s.why[name] = "the ghost table has no column " + QuoteIdent(target)
		case g.Generated:
			s.why[name] = "it is generated in the ghost table"
		default:
			// Two columns landing on one would copy one over the other; the
			// server should have refused such an ALTER, so refuse here too.
			if other, ok := usedBy[lower(g.Name)]; ok {
				return s, fmt.Errorf("columns %s and %s both map to ghost column %s",
					QuoteIdent(other), QuoteIdent(c.Name), QuoteIdent(g.Name))
			}
			usedBy[lower(g.Name)] = c.Name
			s.ghostOf[name] = g
		}
	}
	return s, nil
}

// KeyRejection says why a unique key cannot be the migration key.
type KeyRejection struct {
	Key     string
	Columns []string
	Reason  string
}

// NoSharedKeyError lists the unique keys of both tables and why none can be
// the migration key. It matches ErrNoSharedKey.
type NoSharedKeyError struct {
	OrigTable, GhostTable string // quoted names
	Orig, Ghost           []KeyRejection
}

func (e *NoSharedKeyError) Error() string {
	var b strings.Builder
	// The opening words are gh-ost's, which wrappers and gh-ost's own test
	// cases look for.
	b.WriteString("no shared unique key can be found after ALTER: the original table needs a PRIMARY KEY, or a UNIQUE key over NOT NULL columns, " +
		"that the alter keeps (the ghost table has a unique key over the same columns, or over those and more, still NOT NULL)")
	list := func(table string, keys []KeyRejection) {
		fmt.Fprintf(&b, ". Unique keys of %s:", table)
		if len(keys) == 0 {
			b.WriteString(" none")
		}
		for i, k := range keys {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s (%s): %s", QuoteIdent(k.Key), ColumnList(k.Columns), k.Reason)
		}
	}
	list(e.OrigTable, e.Orig)
	list(e.GhostTable, e.Ghost)
	return b.String()
}

// Is makes errors.Is(err, ErrNoSharedKey) hold.
func (e *NoSharedKeyError) Is(target error) bool { return target == ErrNoSharedKey }

// typeRank follows gh-ost's preference among key types: small integers
// compare and chunk best.
func typeRank(dataType string) int {
	switch dataType {
	case "tinyint":
		return 0
	case "smallint":
		return 1
	case "mediumint":
		return 2
	case "int":
		return 3
	case "bigint":
		return 4
	default:
		return 100
	}
}

// candidates returns the original's unique keys in gh-ost's order of
// preference: PRIMARY, then keys whose first column is not text, then by the
// first column's integer width, then fewer columns.
func candidates(t *Table) []Key {
	var keys []Key
	for _, k := range t.Keys {
		if k.Unique || k.Primary {
			keys = append(keys, k)
		}
	}
	type rank struct{ primary, text, typ, n int }
	rankOf := func(k Key) rank {
		r := rank{primary: 1, n: len(k.Columns)}
		if k.Primary {
			r.primary = 0
		}
		r.typ = 100
		if len(k.Columns) > 0 {
			if c := t.column(k.Columns[0]); c != nil {
				if c.Charset != "" {
					r.text = 1
				}
				r.typ = typeRank(c.DataType)
			}
		}
		return r
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := rankOf(keys[i]), rankOf(keys[j])
		if a.primary != b.primary {
			return a.primary < b.primary
		}
		if a.text != b.text {
			return a.text < b.text
		}
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		return a.n < b.n
	})
	return keys
}

// column finds a column by name, case-insensitively.
func (t *Table) column(name string) *Column {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return &t.Columns[i]
		}
	}
	return nil
}

// Column returns the named column, matched case-insensitively as MySQL
// matches column names.
func (t *Table) Column(name string) (Column, bool) {
	if c := t.column(name); c != nil {
		return *c, true
	}
	return Column{}, false
}

// inexact names the types a key must not have: floating point values that
// compare equal may differ in the last bits between the two tables, and JSON
// has no total order to range over.
func inexact(dataType string) bool {
	switch dataType {
	case "float", "double", "real", "json":
		return true
	}
	return false
}

// keyUsable returns why k cannot serve as a key in table t ("" when it can).
func keyUsable(t *Table, k Key, side string, allowNullable bool) string {
	if k.Functional {
		return "has an expression part" + side
	}
	for i, col := range k.Columns {
		if i < len(k.SubParts) && k.SubParts[i] > 0 {
			return fmt.Sprintf("indexes only a prefix of column %s%s", QuoteIdent(col), side)
		}
		c := t.column(col)
		switch {
		case c == nil:
			return fmt.Sprintf("names column %s, which the table lacks", QuoteIdent(col))
		case c.Nullable && !allowNullable:
			return fmt.Sprintf("column %s is nullable%s, and a unique key allows many NULLs", QuoteIdent(c.Name), side)
		case inexact(c.DataType):
			return fmt.Sprintf("column %s is %s%s, which cannot be compared exactly", QuoteIdent(c.Name), c.DataType, side)
		case c.Generated:
			return fmt.Sprintf("column %s is generated%s", QuoteIdent(c.Name), side)
		}
	}
	return ""
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

func chooseKey(orig, ghost *Table, cols sharing, m *Mapping) error {
	e := &NoSharedKeyError{
		OrigTable:  QuoteTable(orig.Schema, orig.Name),
		GhostTable: QuoteTable(ghost.Schema, ghost.Name),
	}
	for _, k := range candidates(orig) {
		reason, ghostKey, ghostCols := matchKey(orig, ghost, cols, k)
		if reason != "" {
			e.Orig = append(e.Orig, KeyRejection{Key: k.Name, Columns: k.Columns, Reason: reason})
			continue
		}
		m.KeyName, m.GhostKeyName = k.Name, ghostKey.Name
		for _, c := range k.Columns {
			m.KeyOrig = append(m.KeyOrig, orig.column(c).Name)
		}
		m.KeyGhost = ghostCols
		for _, c := range k.Columns {
			m.KeyNullable = m.KeyNullable || orig.column(c).Nullable
		}
		return nil
	}
	e.Ghost = explainGhostKeys(orig, ghost, cols)
	return e
}

// matchKey checks one candidate and finds its counterpart in the ghost table.
func matchKey(orig, ghost *Table, cols sharing, k Key) (reason string, ghostKey Key, ghostCols []string) {
	if reason := keyUsable(orig, k, "", cols.allowNullable); reason != "" {
		return reason, Key{}, nil
	}
	for _, col := range k.Columns {
		name := lower(col)
		g, ok := cols.ghostOf[name]
		if !ok {
			return fmt.Sprintf("column %s is not copied: %s", QuoteIdent(col), cols.why[name]), Key{}, nil
		}
		ghostCols = append(ghostCols, g.Name)
	}
	var found bool
	for _, gk := range ghost.Keys {
		if (gk.Unique || gk.Primary) && sameColumns(gk.Columns, ghostCols) {
			if reason = keyUsable(ghost, gk, " in the ghost table", cols.allowNullable); reason == "" {
				return "", gk, ghostCols
			}
			found = true
		}
	}
	if found {
		return reason, Key{}, nil
	}
	// A ghost key that covers the columns and more, preferring one they
	// lead, so that deleting by the key in the ghost is an index range.
	for _, leading := range []bool{true, false} {
		for _, gk := range ghost.Keys {
			if (gk.Unique || gk.Primary) && covers(gk.Columns, ghostCols, leading) &&
				keyUsable(ghost, gk, "", cols.allowNullable) == "" {
				return "", gk, ghostCols
			}
		}
	}
	return fmt.Sprintf("the ghost table has no unique key over (%s)", ColumnList(ghostCols)), Key{}, nil
}

// covers reports whether key holds every column of cols (and more), with
// cols as its leading columns in order if leading is set.
func covers(key, cols []string, leading bool) bool {
	if len(key) <= len(cols) {
		return false
	}
	if leading {
		return sameColumns(key[:len(cols)], cols)
	}
	for _, c := range cols {
		found := false
		for _, k := range key {
			if strings.EqualFold(k, c) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// explainGhostKeys says, for each unique key of the ghost table, why it did
// not pair with a key of the original.
func explainGhostKeys(orig, ghost *Table, cols sharing) []KeyRejection {
	origOf := map[string]string{} // lower ghost name → original name
	for _, c := range orig.Columns {
		if g, ok := cols.ghostOf[lower(c.Name)]; ok {
			origOf[lower(g.Name)] = c.Name
		}
	}
	var out []KeyRejection
	for _, gk := range ghost.Keys {
		if !gk.Unique && !gk.Primary {
			continue
		}
		r := KeyRejection{Key: gk.Name, Columns: gk.Columns}
		var origCols []string
		for _, c := range gk.Columns {
			o, ok := origOf[lower(c)]
			if !ok {
				r.Reason = fmt.Sprintf("column %s holds no data copied from the original", QuoteIdent(c))
				break
			}
			origCols = append(origCols, o)
		}
		if r.Reason == "" {
			r.Reason = fmt.Sprintf("the original has no unique key over (%s)", ColumnList(origCols))
			for _, ok := range orig.Keys {
				if (ok.Unique || ok.Primary) && sameColumns(ok.Columns, origCols) {
					r.Reason = fmt.Sprintf("pairs with original key %s, rejected above", QuoteIdent(ok.Name))
					break
				}
			}
		}
		out = append(out, r)
	}
	return out
}
