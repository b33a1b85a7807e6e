package schema_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/schema"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestLoadTableReadsColumnsKeysAndEngine(t *testing.T) {
	name, db := sandbox.Shared(t).Primary.NewDatabase(t)
	ctx := testContext(t)
	exec(t, db, `CREATE TABLE t (
		id bigint unsigned NOT NULL AUTO_INCREMENT,
		n int NOT NULL DEFAULT 0,
		e enum('a','b''c','d\\e','f,g','') NOT NULL DEFAULT 'a',
		s set('x','y''z') NULL,
		g int AS (n + 1) VIRTUAL,
		g2 int AS (n * 2) PERSISTENT,
		ts timestamp NOT NULL DEFAULT current_timestamp ON UPDATE current_timestamp,
		v varchar(20) CHARACTER SET latin1 NOT NULL,
		email varchar(100) NOT NULL,
		a int NULL,
		b int NULL,
		PRIMARY KEY (id),
		KEY k_ba (b, a),
		UNIQUE KEY uk_prefix (v(3), id),
		UNIQUE KEY uk_email (email)
	) ENGINE=InnoDB`)

	got, err := schema.LoadTable(ctx, db, name, "t")
	if err != nil {
		t.Fatalf("LoadTable: %v", err)
	}
	if got.Schema != name || got.Name != "t" || got.Engine != "InnoDB" {
		t.Errorf("table = %s.%s engine %s, want %s.t engine InnoDB", got.Schema, got.Name, got.Engine, name)
	}
	wantColumns := []schema.Column{
		{Name: "id", Ordinal: 1, DataType: "bigint", ColumnType: "bigint(20) unsigned", Unsigned: true, AutoIncrement: true},
		{Name: "n", Ordinal: 2, DataType: "int", ColumnType: "int(11)"},
		{Name: "e", Ordinal: 3, DataType: "enum", ColumnType: `enum('a','b''c','d\\e','f,g','')`, Charset: "utf8mb4",
			EnumValues: []string{"a", "b'c", `d\e`, "f,g", ""}},
		{Name: "s", Ordinal: 4, DataType: "set", ColumnType: "set('x','y''z')", Nullable: true, Charset: "utf8mb4",
			EnumValues: []string{"x", "y'z"}},
		{Name: "g", Ordinal: 5, DataType: "int", ColumnType: "int(11)", Nullable: true, Generated: true},
		{Name: "g2", Ordinal: 6, DataType: "int", ColumnType: "int(11)", Nullable: true, Generated: true},
		{Name: "ts", Ordinal: 7, DataType: "timestamp", ColumnType: "timestamp"},
		{Name: "v", Ordinal: 8, DataType: "varchar", ColumnType: "varchar(20)", Charset: "latin1"},
		{Name: "email", Ordinal: 9, DataType: "varchar", ColumnType: "varchar(100)", Charset: "utf8mb4"},
		{Name: "a", Ordinal: 10, DataType: "int", ColumnType: "int(11)", Nullable: true},
		{Name: "b", Ordinal: 11, DataType: "int", ColumnType: "int(11)", Nullable: true},
	}
	if !reflect.DeepEqual(got.Columns, wantColumns) {
		for i := range max(len(got.Columns), len(wantColumns)) {
			var g, w schema.Column
			if i < len(got.Columns) {
				g = got.Columns[i]
			}
			if i < len(wantColumns) {
				w = wantColumns[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("column %d\n got %+v\nwant %+v", i+1, g, w)
			}
		}
	}
	wantKeys := []schema.Key{
		{Name: "PRIMARY", Columns: []string{"id"}, Primary: true, Unique: true, SubParts: []int{0}},
		{Name: "uk_prefix", Columns: []string{"v", "id"}, Unique: true, SubParts: []int{3, 0}},
		{Name: "uk_email", Columns: []string{"email"}, Unique: true, SubParts: []int{0}},
		{Name: "k_ba", Columns: []string{"b", "a"}, SubParts: []int{0, 0}},
	}
	if !sameKeys(got.Keys, wantKeys) {
		t.Errorf("keys\n got %+v\nwant %+v", got.Keys, wantKeys)
	}
}

// sameKeys compares keys, letting unique keys come in either order: the
// server, not doppel, decides the order within a group.
func sameKeys(got, want []schema.Key) bool {
	if len(got) != len(want) {
		return false
	}
	rank := func(k schema.Key) int {
		switch {
		case k.Primary:
			return 0
		case k.Unique:
			return 1
		}
		return 2
	}
	for i := range got {
		if rank(got[i]) != rank(want[i]) {
			return false
		}
		found := false
		for _, w := range want {
			if reflect.DeepEqual(got[i], w) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func TestLoadTableMatchesNamesExactly(t *testing.T) {
	name, db := sandbox.Shared(t).Primary.NewDatabase(t)
	ctx := testContext(t)
	exec(t, db,
		"CREATE TABLE `Mixed` (id int PRIMARY KEY, upper_only int)",
		"CREATE TABLE `mixed` (id int PRIMARY KEY, lower_only int)",
	)
	for table, want := range map[string]string{"Mixed": "upper_only", "mixed": "lower_only"} {
		got, err := schema.LoadTable(ctx, db, name, table)
		if err != nil {
			t.Fatalf("LoadTable(%s): %v", table, err)
		}
		if got.Name != table || len(got.Columns) != 2 || got.Columns[1].Name != want || len(got.Keys) != 1 {
			t.Errorf("LoadTable(%s) = %+v, want only the table spelled %s", table, got, table)
		}
	}
	if _, err := schema.LoadTable(ctx, db, name, "MIXED"); !errors.Is(err, schema.ErrTableNotFound) {
		t.Errorf("LoadTable(MIXED) error = %v, want ErrTableNotFound", err)
	}
	_, err := schema.LoadTable(ctx, db, strings.ToUpper(name), "mixed")
	if !errors.Is(err, schema.ErrTableNotFound) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("LoadTable in the upper-cased database: error = %v, want ErrTableNotFound saying the database does not exist", err)
	}
}

func TestLoadTableRefusesWhatIsNotABaseTable(t *testing.T) {
	name, db := sandbox.Shared(t).Primary.NewDatabase(t)
	ctx := testContext(t)
	exec(t, db,
		"CREATE TABLE base (id int PRIMARY KEY)",
		"CREATE VIEW v AS SELECT id FROM base",
		"CREATE SEQUENCE seq",
	)
	tests := []struct {
		name, database, table string
		is                    error
	}{
		{"a view", name, "v", schema.ErrIsView},
		{"a sequence", name, "seq", schema.ErrNotBaseTable},
		{"a missing table", name, "nope", schema.ErrTableNotFound},
		{"a missing database", name + "_nope", "base", schema.ErrTableNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.LoadTable(ctx, db, tt.database, tt.table)
			if !errors.Is(err, tt.is) {
				t.Errorf("LoadTable(%s.%s) = %+v, %v; want %v", tt.database, tt.table, got, err, tt.is)
			}
		})
	}
}

func TestForeignKeysFromBothEnds(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	other, otherDB := c.Primary.NewDatabase(t)
	ctx := testContext(t)
	exec(t, db,
		"CREATE TABLE parent (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, UNIQUE KEY (a, b))",
		`CREATE TABLE child (id int PRIMARY KEY, pid int, pa int, pb int,
			CONSTRAINT fk_pid FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE CASCADE,
			CONSTRAINT fk_ab FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON UPDATE SET NULL)`,
		`CREATE TABLE tree (id int PRIMARY KEY, up int,
			CONSTRAINT fk_up FOREIGN KEY (up) REFERENCES tree (id))`,
		"CREATE TABLE loner (id int PRIMARY KEY)",
	)
	exec(t, otherDB, "CREATE TABLE remote (id int PRIMARY KEY, pid int, CONSTRAINT fk_remote FOREIGN KEY (pid) REFERENCES `"+
		name+"`.parent (id))")

	fkPid := schema.ForeignKey{Name: "fk_pid", ChildSchema: name, ChildTable: "child", ChildColumns: []string{"pid"},
		ParentSchema: name, ParentTable: "parent", ParentColumns: []string{"id"}, OnDelete: "CASCADE", OnUpdate: "RESTRICT"}
	fkAB := schema.ForeignKey{Name: "fk_ab", ChildSchema: name, ChildTable: "child", ChildColumns: []string{"pa", "pb"},
		ParentSchema: name, ParentTable: "parent", ParentColumns: []string{"a", "b"}, OnDelete: "RESTRICT", OnUpdate: "SET NULL"}
	fkRemote := schema.ForeignKey{Name: "fk_remote", ChildSchema: other, ChildTable: "remote", ChildColumns: []string{"pid"},
		ParentSchema: name, ParentTable: "parent", ParentColumns: []string{"id"}, OnDelete: "RESTRICT", OnUpdate: "RESTRICT"}
	fkUp := schema.ForeignKey{Name: "fk_up", ChildSchema: name, ChildTable: "tree", ChildColumns: []string{"up"},
		ParentSchema: name, ParentTable: "tree", ParentColumns: []string{"id"}, OnDelete: "RESTRICT", OnUpdate: "RESTRICT"}

	tests := []struct {
		table string
		want  []schema.ForeignKey
	}{
		{"parent", sortFKs(fkAB, fkPid, fkRemote)},
		{"child", sortFKs(fkAB, fkPid)},
		{"tree", []schema.ForeignKey{fkUp}},
		{"loner", nil},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			got, err := schema.ForeignKeys(ctx, db, name, tt.table)
			if err != nil {
				t.Fatalf("ForeignKeys: %v", err)
			}
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("ForeignKeys(%s)\n got %+v\nwant %+v", tt.table, got, tt.want)
			}
		})
	}
}

// sortFKs orders keys as ForeignKeys does: by child schema, table, name.
func sortFKs(fks ...schema.ForeignKey) []schema.ForeignKey {
	less := func(a, b schema.ForeignKey) bool {
		if a.ChildSchema != b.ChildSchema {
			return a.ChildSchema < b.ChildSchema
		}
		if a.ChildTable != b.ChildTable {
			return a.ChildTable < b.ChildTable
		}
		return a.Name < b.Name
	}
	for i := range fks {
		for j := i + 1; j < len(fks); j++ {
			if less(fks[j], fks[i]) {
				fks[i], fks[j] = fks[j], fks[i]
			}
		}
	}
	return fks
}

func TestTriggers(t *testing.T) {
	name, db := sandbox.Shared(t).Primary.NewDatabase(t)
	ctx := testContext(t)
	exec(t, db,
		"CREATE TABLE t (id int PRIMARY KEY, n int)",
		"CREATE TABLE other (id int PRIMARY KEY)",
		"CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.n = 1",
		"CREATE TRIGGER t_au AFTER UPDATE ON t FOR EACH ROW INSERT IGNORE INTO other VALUES (NEW.id)",
	)
	got, err := schema.Triggers(ctx, db, name, "t")
	if err != nil {
		t.Fatalf("Triggers(t): %v", err)
	}
	want := []schema.Trigger{
		{Name: "t_au", Timing: "AFTER", Event: "UPDATE", Statement: "INSERT IGNORE INTO other VALUES (NEW.id)", Order: 1},
		{Name: "t_bi", Timing: "BEFORE", Event: "INSERT", Statement: "SET NEW.n = 1", Order: 1},
	}
	for i := range got {
		got[i].SQLMode = "" // the server's default; not what this test is about
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Triggers(t) = %+v, want %+v", got, want)
	}
	got, err = schema.Triggers(ctx, db, name, "other")
	if err != nil || len(got) != 0 {
		t.Errorf("Triggers(other) = %+v, %v; want none", got, err)
	}
}

// TestPlanOnRealTables runs the inspection the way the migration will:
// create the ghost like the original, apply the user's clause, load both and
// map them.
func TestPlanOnRealTables(t *testing.T) {
	tests := []struct {
		name  string
		alter string
		opts  schema.MapOptions
		want  schema.Mapping
	}{
		{
			name:  "a primary key moved to the unique column",
			alter: "drop primary key, add primary key (uk_col)",
			want: schema.Mapping{OrigColumns: []string{"id", "uk_col", "Val"}, GhostColumns: []string{"id", "uk_col", "Val"},
				KeyName: "uk", KeyOrig: []string{"uk_col"}, KeyGhost: []string{"uk_col"}, GhostKeyName: "PRIMARY"},
		},
		{
			name:  "a renamed key column with approval",
			alter: "ALTER TABLE t change id new_id int not null, add column extra int",
			opts:  schema.MapOptions{ApproveRenamed: true},
			want: schema.Mapping{OrigColumns: []string{"id", "uk_col", "Val"}, GhostColumns: []string{"new_id", "uk_col", "Val"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"new_id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name:  "a dropped column and a changed type",
			alter: "drop column val, modify uk_col varchar(64) not null",
			want: schema.Mapping{OrigColumns: []string{"id", "uk_col"}, GhostColumns: []string{"id", "uk_col"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, db := sandbox.Shared(t).Primary.NewDatabase(t)
			ctx := testContext(t)
			exec(t, db,
				"CREATE TABLE t (id int NOT NULL, uk_col varchar(32) NOT NULL, Val int, PRIMARY KEY (id), UNIQUE KEY uk (uk_col))",
				"CREATE TABLE _t_gho LIKE t",
			)
			a, err := schema.ParseAlter(tt.alter)
			if err != nil {
				t.Fatalf("ParseAlter: %v", err)
			}
			exec(t, db, "ALTER TABLE "+schema.QuoteTable(name, "_t_gho")+" "+a.Text)
			orig, err := schema.LoadTable(ctx, db, name, "t")
			if err != nil {
				t.Fatalf("LoadTable(t): %v", err)
			}
			ghost, err := schema.LoadTable(ctx, db, name, "_t_gho")
			if err != nil {
				t.Fatalf("LoadTable(_t_gho): %v", err)
			}
			got, err := schema.Map(orig, ghost, a, tt.opts)
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Map\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}
