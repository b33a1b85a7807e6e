package applier

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/schema"
)

// offlineApplier builds an Applier whose pool never connects: enough for
// everything but running statements.
func offlineApplier(t *testing.T, orig *schema.Table, m *schema.Mapping) *Applier {
	t.Helper()
	db, err := sql.Open("mysql", "u:p@tcp(127.0.0.1:1)/x")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a, err := New(Config{DB: db, Database: "d", Ghost: "_t_gho", Orig: orig, Mapping: m, BatchSize: 100, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// people: id, name (latin1), age (dropped by the ALTER), city (renamed to town).
func peopleTable() *schema.Table {
	return &schema.Table{Schema: "d", Name: "t", Columns: []schema.Column{
		{Name: "id", Ordinal: 1, DataType: "int", ColumnType: "int(10) unsigned", Unsigned: true},
		{Name: "name", Ordinal: 2, DataType: "varchar", ColumnType: "varchar(20)", Charset: "latin1"},
		{Name: "age", Ordinal: 3, DataType: "tinyint", ColumnType: "tinyint(4)"},
		{Name: "city", Ordinal: 4, DataType: "varchar", ColumnType: "varchar(20)", Charset: "utf8mb4"},
	}}
}

func peopleMapping() *schema.Mapping {
	return &schema.Mapping{
		OrigColumns:  []string{"id", "name", "city"},
		GhostColumns: []string{"id", "name", "town"},
		KeyName:      "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY",
	}
}

func TestSQLSingleColumnKeyRenamedAndDroppedColumns(t *testing.T) {
	a := offlineApplier(t, peopleTable(), peopleMapping())
	latin1 := "CONVERT(CONVERT(? USING binary) USING latin1)"
	if got, want := a.stmts.insert(1), "INSERT INTO `d`.`_t_gho` (`id`, `name`, `town`) VALUES (?, "+latin1+", ?)"; got != want {
		t.Errorf("insert(1):\n got %s\nwant %s", got, want)
	}
	if got, want := a.stmts.insert(2), "INSERT INTO `d`.`_t_gho` (`id`, `name`, `town`) VALUES (?, "+latin1+", ?), (?, "+latin1+", ?)"; got != want {
		t.Errorf("insert(2):\n got %s\nwant %s", got, want)
	}
	if got, want := a.stmts.delete(3), "DELETE FROM `d`.`_t_gho` WHERE `id` IN (?, ?, ?)"; got != want {
		t.Errorf("delete(3):\n got %s\nwant %s", got, want)
	}
	if got, want := a.origWhere, "`id` = ?"; got != want {
		t.Errorf("origWhere %s, want %s", got, want)
	}
	if a.stmts.insert(2) != a.stmts.insert(2) || len(a.stmts.inserts) != 2 {
		t.Errorf("insert text not cached per row count: %d shapes", len(a.stmts.inserts))
	}
}

func TestSQLMultiColumnKeyWithRelabelledPart(t *testing.T) {
	orig := &schema.Table{Schema: "d", Name: "t", Columns: []schema.Column{
		{Name: "tenant", DataType: "smallint", ColumnType: "smallint(5) unsigned", Unsigned: true},
		{Name: "code", DataType: "char", ColumnType: "char(3)", Charset: "latin1"},
		{Name: "doc", DataType: "json", ColumnType: "json"},
		{Name: "note`s", DataType: "text", ColumnType: "text", Charset: "utf8mb4"},
	}}
	m := &schema.Mapping{
		OrigColumns:  []string{"tenant", "code", "doc", "note`s"},
		GhostColumns: []string{"tenant", "code", "doc", "note`s"},
		KeyName:      "tc", KeyOrig: []string{"tenant", "code"}, KeyGhost: []string{"tenant", "code"},
	}
	a := offlineApplier(t, orig, m)
	latin1 := "CONVERT(CONVERT(? USING binary) USING latin1)"
	if got, want := a.stmts.delete(2), "DELETE FROM `d`.`_t_gho` WHERE (`tenant`, `code`) IN ((?, "+latin1+"), (?, "+latin1+"))"; got != want {
		t.Errorf("delete(2):\n got %s\nwant %s", got, want)
	}
	if got, want := a.stmts.insert(1), "INSERT INTO `d`.`_t_gho` (`tenant`, `code`, `doc`, `note``s`) VALUES (?, "+latin1+", CAST(? AS JSON), ?)"; got != want {
		t.Errorf("insert(1):\n got %s\nwant %s", got, want)
	}
	if got, want := a.origWhere, "(`tenant`, `code`) = (?, "+latin1+")"; got != want {
		t.Errorf("origWhere %s, want %s", got, want)
	}
	if got, want := a.keySelect(), "`tenant`, CONVERT(CONVERT(`code` USING latin1) USING binary)"; got != want {
		t.Errorf("keySelect %s, want %s", got, want)
	}
}

func TestNewRefusesInconsistentMappings(t *testing.T) {
	db, _ := sql.Open("mysql", "u:p@tcp(127.0.0.1:1)/x")
	defer db.Close()
	cases := []struct {
		name string
		edit func(*Config)
	}{
		{"no pool", func(c *Config) { c.DB = nil }},
		{"zero batch", func(c *Config) { c.BatchSize = 0 }},
		{"unknown shared column", func(c *Config) { c.Mapping.OrigColumns[2] = "nope" }},
		{"key not shared", func(c *Config) { c.Mapping.KeyOrig = []string{"age"}; c.Mapping.KeyGhost = []string{"age"} }},
		{"key ghost name differs from the mapping", func(c *Config) { c.Mapping.KeyGhost = []string{"town"} }},
		{"column lists differ", func(c *Config) { c.Mapping.GhostColumns = c.Mapping.GhostColumns[:2] }},
		{"unsupported type", func(c *Config) { c.Orig.Columns[3].DataType = "vector" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{DB: db, Database: "d", Ghost: "g", Orig: peopleTable(), Mapping: peopleMapping(), BatchSize: 10}
			c.edit(&cfg)
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

func TestPlanCoalescesPerKey(t *testing.T) {
	a := offlineApplier(t, peopleTable(), peopleMapping())
	row := func(id int32, name string) []any { return []any{id, name, int8(1), "x"} }
	changes := []binlog.RowChange{
		{Table: "t", Kind: binlog.Insert, After: row(1, "a")},
		{Table: "t", Kind: binlog.Update, Before: row(1, "a"), After: row(1, "b")},
		{Table: "t", Kind: binlog.Insert, After: row(2, "c")},
		{Table: "t", Kind: binlog.Update, Before: row(2, "c"), After: row(3, "c")}, // key change
		{Table: "t", Kind: binlog.Delete, Before: row(4, "d")},
		{Table: "t", Kind: binlog.Insert, After: row(4, "e")}, // re-insert after delete
		{Table: "t", Kind: binlog.Insert, After: row(5, "f")},
		{Table: "t", Kind: binlog.Delete, Before: row(5, "f")},                       // insert then delete
		{Table: "t", Kind: binlog.Update, Before: row(-1, "g"), After: row(-1, "h")}, // unsigned max
	}
	p, err := a.plan(changes)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.entries {
		s := fmt.Sprint(e.key...)
		if e.row == nil {
			s += " deleted"
		} else {
			s += fmt.Sprintf(" = %s/%v", e.row[1], e.row[2])
		}
		got = append(got, s)
	}
	want := []string{"1 = b/x", "2 deleted", "3 = c/x", "4 = e/x", "5 deleted", "4294967295 = h/x"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("plan:\n got %s\nwant %s", strings.Join(got, "; "), strings.Join(want, "; "))
	}
	if n := len(p.rows()); n != 4 {
		t.Fatalf("%d rows to insert, want 4", n)
	}
	if p.changes != len(changes) {
		t.Fatalf("plan counts %d changes, want %d", p.changes, len(changes))
	}
}

func TestPlanRefusesMalformedChanges(t *testing.T) {
	a := offlineApplier(t, peopleTable(), peopleMapping())
	cases := []struct {
		name string
		c    binlog.RowChange
	}{
		{"image of another table's width", binlog.RowChange{Kind: binlog.Insert, After: []any{int32(1), "a"}}},
		{"another table", binlog.RowChange{Table: "_t_ghc", Kind: binlog.Insert, After: []any{int32(1), "a", int8(1), "x"}}},
		{"null key", binlog.RowChange{Kind: binlog.Delete, Before: []any{nil, "a", int8(1), "x"}}},
		{"unknown kind", binlog.RowChange{Kind: 9, After: []any{int32(1), "a", int8(1), "x"}}},
		{"value of the wrong type", binlog.RowChange{Kind: binlog.Insert, After: []any{"1", "a", int8(1), "x"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := a.plan([]binlog.RowChange{c.c}); err == nil {
				t.Fatal("plan accepted it")
			}
		})
	}
}

func TestKeyIDIgnoresTheCarrierType(t *testing.T) {
	same := [][2][]any{
		{{uint64(5)}, {int64(5)}},
		{{"abc"}, {[]byte("abc")}},
		{{uint64(1), "x"}, {int64(1), []byte("x")}},
		{{int32(-3)}, {int64(-3)}},
	}
	for _, p := range same {
		if keyID(p[0]) != keyID(p[1]) {
			t.Errorf("keyID(%#v) != keyID(%#v)", p[0], p[1])
		}
	}
	differ := [][2][]any{
		{{"1"}, {int64(1)}},
		{{"a", "bc"}, {"ab", "c"}},
		{{uint64(1<<63 + 1)}, {int64(-(1<<63 - 1))}},
		{{"a;"}, {"a"}},
	}
	for _, p := range differ {
		if keyID(p[0]) == keyID(p[1]) {
			t.Errorf("keyID(%#v) == keyID(%#v)", p[0], p[1])
		}
	}
}

func TestChunksRespectPlaceholdersAndBytes(t *testing.T) {
	small := func(int) int { return 10 }
	if got := chunks(5, 2, small); fmt.Sprint(got) != "[[0 2] [2 4] [4 5]]" {
		t.Errorf("by count: %v", got)
	}
	big := func(i int) int {
		if i == 1 {
			return maxStatementBytes + 1
		}
		return maxStatementBytes / 3
	}
	if got := chunks(4, 100, big); fmt.Sprint(got) != "[[0 1] [1 2] [2 4]]" {
		t.Errorf("by bytes: %v", got)
	}
	if got := chunks(0, 10, small); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
	if rowsPerStatement(3) != 21845 {
		t.Errorf("rowsPerStatement(3) = %d", rowsPerStatement(3))
	}
}

func TestDupKeyName(t *testing.T) {
	cases := []struct {
		msg, want string
	}{
		{"Duplicate entry '5' for key 'uk'", "uk"},
		{"Duplicate entry 'x' for key '_t_gho.uk_name'", "_t_gho.uk_name"},
		{"Duplicate entry 'a for key 'b' for key 'PRIMARY'", "PRIMARY"},
		{"Deadlock found", ""},
	}
	for _, c := range cases {
		err := fmt.Errorf("insert: %w", &mysql.MySQLError{Number: 1062, Message: c.msg})
		if got := dupKeyName(err); got != c.want {
			t.Errorf("dupKeyName(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
	if got := dupKeyName(errors.New("Error 1062: Duplicate entry '1' for key 'k'")); got != "k" {
		t.Errorf("dupKeyName of a plain error = %q", got)
	}
}

func TestKeyValuesString(t *testing.T) {
	k := KeyValues{Columns: []string{"id", "code"}, Values: []any{uint64(7), []byte("a\xe9")}}
	if got, want := k.String(), `id=7, code="a\xe9"`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}
