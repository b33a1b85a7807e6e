package schema

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// LoadTable reads a base table's columns, keys and engine from
// information_schema.
//
// database and table are matched exactly as given, as the server does on
// Linux (lower_case_table_names=0); on a server that folds names, they are
// matched case-insensitively, and the Table carries the server's spelling.
func LoadTable(ctx context.Context, db *sql.DB, database, table string) (*Table, error) {
	same, err := nameMatcher(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("load table %s: %w", QuoteTable(database, table), err)
	}
	t, err := loadTableRow(ctx, db, same, database, table)
	if err != nil {
		return nil, fmt.Errorf("load table %s: %w", QuoteTable(database, table), err)
	}
	if t.Columns, err = loadColumns(ctx, db, same, database, table); err != nil {
		return nil, fmt.Errorf("load columns of %s: %w", QuoteTable(database, table), err)
	}
	if len(t.Columns) == 0 {
		// Dropped between the two queries.
		return nil, fmt.Errorf("load columns of %s: %w", QuoteTable(database, table), ErrTableNotFound)
	}
	if t.Keys, err = loadKeys(ctx, db, same, database, table); err != nil {
		return nil, fmt.Errorf("load keys of %s: %w", QuoteTable(database, table), err)
	}
	return t, nil
}

// nameMatcher returns how the server compares database and table names.
// information_schema compares them with a case-insensitive collation on
// MariaDB whatever the file system does, so the final comparison is made
// here.
func nameMatcher(ctx context.Context, db *sql.DB) (func(a, b string) bool, error) {
	var lctn int
	if err := db.QueryRowContext(ctx, "SELECT @@lower_case_table_names").Scan(&lctn); err != nil {
		return nil, fmt.Errorf("read lower_case_table_names: %w", err)
	}
	if lctn == 0 {
		return func(a, b string) bool { return a == b }, nil
	}
	return strings.EqualFold, nil
}

func loadTableRow(ctx context.Context, db *sql.DB, same func(a, b string) bool, database, table string) (*Table, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE
		FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, database, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found *Table
	var kind string
	for rows.Next() {
		var schemaName, name, tableType string
		var engine sql.NullString
		if err := rows.Scan(&schemaName, &name, &tableType, &engine); err != nil {
			return nil, err
		}
		if !same(schemaName, database) || !same(name, table) {
			continue
		}
		found = &Table{Schema: schemaName, Name: name, Engine: engine.String}
		kind = tableType
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found == nil {
		return nil, notFound(ctx, db, same, database)
	}
	switch kind {
	case "BASE TABLE":
		return found, nil
	case "VIEW", "SYSTEM VIEW":
		return nil, ErrIsView
	default:
		return nil, fmt.Errorf("%w: it is a %s", ErrNotBaseTable, strings.ToLower(kind))
	}
}

// notFound says whether the database or only the table is missing: the
// operator's next step differs.
func notFound(ctx context.Context, db *sql.DB, same func(a, b string) bool, database string) error {
	rows, err := db.QueryContext(ctx,
		"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database)
	if err != nil {
		return fmt.Errorf("%w (and checking the database failed: %w)", ErrTableNotFound, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("%w (and checking the database failed: %w)", ErrTableNotFound, err)
		}
		if same(name, database) {
			return ErrTableNotFound
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w (and checking the database failed: %w)", ErrTableNotFound, err)
	}
	return fmt.Errorf("%w: database %s does not exist", ErrTableNotFound, QuoteIdent(database))
}

func loadColumns(ctx context.Context, db *sql.DB, same func(a, b string) bool, database, table string) ([]Column, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION,
			DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, EXTRA, GENERATION_EXPRESSION
		FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
		ORDER BY ORDINAL_POSITION`, database, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var (
			schemaName, tableName, nullable string
			c                               Column
			charset, extra, genExpr         sql.NullString
		)
		if err := rows.Scan(&schemaName, &tableName, &c.Name, &c.Ordinal, &c.DataType, &c.ColumnType,
			&nullable, &charset, &extra, &genExpr); err != nil {
			return nil, err
		}
		if !same(schemaName, database) || !same(tableName, table) {
			continue
		}
		c.DataType = strings.ToLower(c.DataType)
		c.Nullable = nullable == "YES"
		c.Charset = charset.String
		c.Unsigned = hasWord(c.ColumnType, "unsigned")
		c.AutoIncrement = hasWord(extra.String, "auto_increment")
		c.Generated = genExpr.String != "" || isGeneratedExtra(extra.String)
		if c.DataType == "enum" || c.DataType == "set" {
			if c.EnumValues, err = parseEnumValues(c.ColumnType); err != nil {
				return nil, fmt.Errorf("column %s: %w", QuoteIdent(c.Name), err)
			}
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// isGeneratedExtra reads EXTRA the way both servers write it: "VIRTUAL
// GENERATED", "STORED GENERATED" (MariaDB also "PERSISTENT"). MySQL's
// "DEFAULT_GENERATED" marks an expression default, which is a plain column.
func isGeneratedExtra(extra string) bool {
	for _, w := range strings.Fields(strings.ToUpper(extra)) {
		switch w {
		case "VIRTUAL", "STORED", "PERSISTENT":
			return true
		}
	}
	return false
}

func hasWord(s, word string) bool {
	for _, w := range strings.Fields(strings.ToLower(s)) {
		if w == word {
			return true
		}
	}
	return false
}

type keyRow struct {
	seq    int
	column string
	sub    int
	expr   bool
}

func loadKeys(ctx context.Context, db *sql.DB, same func(a, b string) bool, database, table string) ([]Key, error) {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE,
			SEQ_IN_INDEX, COLUMN_NAME, SUB_PART
		FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, database, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		order  []string // first appearance: the server's index order
		keys   = map[string]*Key{}
		byName = map[string][]keyRow{}
	)
	for rows.Next() {
		var (
			schemaName, tableName, index string
			nonUnique                    int64
			r                            keyRow
			column                       sql.NullString
			sub                          sql.NullInt64
		)
		if err := rows.Scan(&schemaName, &tableName, &index, &nonUnique, &r.seq, &column, &sub); err != nil {
			return nil, err
		}
		if !same(schemaName, database) || !same(tableName, table) {
			continue
		}
		r.column, r.expr, r.sub = column.String, !column.Valid, int(sub.Int64)
		if _, ok := keys[index]; !ok {
			order = append(order, index)
			keys[index] = &Key{Name: index, Primary: index == "PRIMARY", Unique: nonUnique == 0}
		}
		byName[index] = append(byName[index], r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Key, 0, len(order))
	for _, name := range order {
		k, parts := keys[name], byName[name]
		sort.Slice(parts, func(i, j int) bool { return parts[i].seq < parts[j].seq })
		for _, p := range parts {
			k.Columns = append(k.Columns, p.column)
			k.SubParts = append(k.SubParts, p.sub)
			k.Functional = k.Functional || p.expr
		}
		out = append(out, *k)
	}
	sort.SliceStable(out, func(i, j int) bool { return keyRank(out[i]) < keyRank(out[j]) })
	return out, nil
}

func keyRank(k Key) int {
	switch {
	case k.Primary:
		return 0
	case k.Unique:
		return 1
	default:
		return 2
	}
}

// parseEnumValues reads the labels out of an enum or set COLUMN_TYPE. The
// server writes each label as an SQL string literal: a quote is doubled (or
// backslash-escaped), and a backslash, newline or NUL is backslash-escaped.
func parseEnumValues(columnType string) ([]string, error) {
	open := strings.IndexByte(columnType, '(')
	if open < 0 {
		return nil, fmt.Errorf("no value list in %q", columnType)
	}
	s := columnType[open+1:]
	var labels []string
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) || s[i] != '\'' {
			return nil, fmt.Errorf("malformed value list in %q", columnType)
		}
		label, n, ok := quoted(s[i:], '\'')
		if !ok {
			return nil, fmt.Errorf("unterminated value in %q", columnType)
		}
		labels = append(labels, label)
		i += n
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == ')' {
			return labels, nil
		}
		return nil, fmt.Errorf("malformed value list in %q", columnType)
	}
}

// unescape gives the meaning of a backslash escape in a MySQL string literal;
// an unknown escape stands for the character itself.
func unescape(c byte) string {
	switch c {
	case '0':
		return "\x00"
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case 'b':
		return "\b"
	case 'Z':
		return "\x1a"
	default:
		return string(c)
	}
}

// ForeignKeys returns the foreign keys in which the table is the child or the
// parent (a self-referencing key appears once).
func ForeignKeys(ctx context.Context, db *sql.DB, database, table string) ([]ForeignKey, error) {
	same, err := nameMatcher(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("foreign keys of %s: %w", QuoteTable(database, table), err)
	}
	// Two queries rather than one OR: each side then filters on constants
	// the server can use to open only the tables involved.
	const query = `SELECT k.CONSTRAINT_SCHEMA, k.CONSTRAINT_NAME, k.TABLE_SCHEMA, k.TABLE_NAME,
			k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
			r.DELETE_RULE, r.UPDATE_RULE
		FROM information_schema.KEY_COLUMN_USAGE k
		JOIN information_schema.REFERENTIAL_CONSTRAINTS r
			ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
			AND r.TABLE_NAME = k.TABLE_NAME
		WHERE k.REFERENCED_TABLE_NAME IS NOT NULL AND `
	var (
		order []string
		byID  = map[string]*ForeignKey{}
	)
	for _, where := range []string{
		"k.TABLE_SCHEMA = ? AND k.TABLE_NAME = ?",
		"k.REFERENCED_TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME = ?",
	} {
		err := func() error {
			rows, err := db.QueryContext(ctx, query+where+" ORDER BY k.ORDINAL_POSITION", database, table)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var constraintSchema string
				var fk ForeignKey
				var childCol, parentCol, onDelete, onUpdate string
				if err := rows.Scan(&constraintSchema, &fk.Name, &fk.ChildSchema, &fk.ChildTable, &childCol,
					&fk.ParentSchema, &fk.ParentTable, &parentCol, &onDelete, &onUpdate); err != nil {
					return err
				}
				child := same(fk.ChildSchema, database) && same(fk.ChildTable, table)
				parent := same(fk.ParentSchema, database) && same(fk.ParentTable, table)
				if !child && !parent {
					continue
				}
				// A constraint name is unique per schema and child table.
				id := constraintSchema + "\x00" + fk.ChildTable + "\x00" + fk.Name
				got, ok := byID[id]
				if !ok {
					fk.OnDelete, fk.OnUpdate = onDelete, onUpdate
					got = &fk
					byID[id] = got
					order = append(order, id)
				} else if contains(got.ChildColumns, childCol) {
					continue // the self-referencing key, seen again from the parent side
				}
				got.ChildColumns = append(got.ChildColumns, childCol)
				got.ParentColumns = append(got.ParentColumns, parentCol)
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", QuoteTable(database, table), err)
		}
	}
	out := make([]ForeignKey, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.ChildSchema != b.ChildSchema {
			return a.ChildSchema < b.ChildSchema
		}
		if a.ChildTable != b.ChildTable {
			return a.ChildTable < b.ChildTable
		}
		return a.Name < b.Name
	})
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Trigger is one trigger of a table, with what it takes to create it again
// on another table.
type Trigger struct {
	Name      string
	Timing    string // BEFORE or AFTER
	Event     string // INSERT, UPDATE or DELETE
	Statement string // the body, as ACTION_STATEMENT holds it
	SQLMode   string // the sql_mode it was created under, and must be again
	Order     int    // ACTION_ORDER among triggers of the same timing and event
}

// Triggers returns the triggers defined on the table, in the order they
// must be created again to keep their firing order.
func Triggers(ctx context.Context, db *sql.DB, database, table string) ([]Trigger, error) {
	fail := func(err error) ([]Trigger, error) {
		return nil, fmt.Errorf("triggers of %s: %w", QuoteTable(database, table), err)
	}
	same, err := nameMatcher(ctx, db)
	if err != nil {
		return fail(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME,
			ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT, SQL_MODE, ACTION_ORDER
		FROM information_schema.TRIGGERS
		WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?
		ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, TRIGGER_NAME`, database, table)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	var out []Trigger
	for rows.Next() {
		var schemaName, tableName string
		var tr Trigger
		if err := rows.Scan(&schemaName, &tableName, &tr.Name, &tr.Timing, &tr.Event, &tr.Statement, &tr.SQLMode, &tr.Order); err != nil {
			return fail(err)
		}
		if same(schemaName, database) && same(tableName, table) {
			out = append(out, tr)
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return out, nil
}
