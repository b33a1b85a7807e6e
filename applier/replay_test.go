package applier

import (
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/schema"
)

const manyTypesTable = `CREATE TABLE t (
	id INT UNSIGNED NOT NULL AUTO_INCREMENT,
	ti TINYINT UNSIGNED NULL,
	si SMALLINT UNSIGNED NULL,
	mi MEDIUMINT UNSIGNED NULL,
	smi MEDIUMINT NULL,
	ii INT NULL,
	bi BIGINT UNSIGNED NULL,
	sbi BIGINT NULL,
	dc DECIMAL(30,10) NULL,
	f FLOAT NULL,
	d DOUBLE NULL,
	e ENUM('red','green','blue') NULL,
	st SET('a','b','c','d') NULL,
	l1 VARCHAR(40) CHARACTER SET latin1 NULL,
	lt TEXT CHARACTER SET latin1 NULL,
	u8 VARCHAR(40) CHARACTER SET utf8mb4 NULL,
	dt6 DATETIME(6) NULL,
	dt DATETIME NULL,
	ts TIMESTAMP(3) NULL DEFAULT NULL,
	dd DATE NULL,
	tm TIME(2) NULL,
	yr YEAR NULL,
	js JSON NULL,
	bl BLOB NULL,
	bn BINARY(4) NULL,
	bt BIT(10) NULL,
	gone INT NULL,
	old_name VARCHAR(10) NULL,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

// The ALTER under test: a dropped, a renamed and an added column, latin1
// text moved to utf8mb4, BINARY made VARBINARY (so a lost zero pad shows).
const manyTypesAlter = `ALTER TABLE _t_gho DROP COLUMN gone,
	CHANGE old_name new_name VARCHAR(10) NULL,
	ADD COLUMN added INT NOT NULL DEFAULT 42,
	MODIFY l1 VARCHAR(40) CHARACTER SET utf8mb4 NULL,
	MODIFY bn VARBINARY(4) NULL`

// valueGen writes one column: expr takes the argument val returns.
type valueGen struct {
	col  string
	expr string
	val  func(r *rand.Rand) any
}

func pick(vals ...any) func(r *rand.Rand) any {
	return func(r *rand.Rand) any { return vals[r.IntN(len(vals))] }
}

func latin1Hex(r *rand.Rand, maxLen int) any {
	if r.IntN(8) == 0 {
		return nil
	}
	b := make([]byte, r.IntN(maxLen+1))
	for i := range b {
		b[i] = byte(0x20 + r.IntN(0xe0)) // every byte from space up, including 0x80-0x9f
	}
	return hex.EncodeToString(b)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func manyTypesGens() []valueGen {
	return []valueGen{
		{"ti", "?", func(r *rand.Rand) any { return pick(nil, 0, 255, 128, r.IntN(256))(r) }},
		{"si", "?", func(r *rand.Rand) any { return pick(nil, 0, math.MaxUint16, 32768, r.IntN(65536))(r) }},
		{"mi", "?", func(r *rand.Rand) any { return pick(nil, 0, 1<<24-1, 1<<23, r.IntN(1<<24))(r) }},
		{"smi", "?", pick(nil, -(1 << 23), 1<<23-1, -1, 0)},
		{"ii", "?", func(r *rand.Rand) any { return pick(nil, math.MinInt32, math.MaxInt32, r.Int32()-1<<30)(r) }},
		{"bi", "?", func(r *rand.Rand) any {
			return pick(nil, uint64(math.MaxUint64), uint64(1<<63), uint64(0), r.Uint64())(r)
		}},
		{"sbi", "?", func(r *rand.Rand) any {
			return pick(nil, int64(math.MinInt64), int64(math.MaxInt64), r.Int64()-1<<62)(r)
		}},
		{"dc", "?", func(r *rand.Rand) any {
			return pick(nil, "-12345678901234567890.1234567890", "0.0000000001", "99999999999999999999.9999999999",
				fmt.Sprintf("%d.%010d", r.IntN(1e9)-5e8, r.IntN(1e9)))(r)
		}},
		{"f", "?", func(r *rand.Rand) any {
			return pick(nil, float32(0.1), float32(-3.25e10), float32(1e-30), r.Float32()*1000)(r)
		}},
		{"d", "?", func(r *rand.Rand) any { return pick(nil, math.Pi, -1e300, 0.1, 5e-324, r.NormFloat64())(r) }},
		{"e", "?", pick(nil, "red", "green", "blue")},
		{"st", "?", pick(nil, "", "a", "a,c", "b,d", "a,b,c,d", "d")},
		{"l1", "CONVERT(UNHEX(?) USING latin1)", func(r *rand.Rand) any { return latin1Hex(r, 40) }},
		{"lt", "CONVERT(UNHEX(?) USING latin1)", func(r *rand.Rand) any { return latin1Hex(r, 300) }},
		{"u8", "?", pick(nil, "", "héllo", "😀 emoji 🦫", "中文字符", "tab\there", "quote ' and \\ backslash")},
		{"dt6", "?", pick(nil, "2024-01-02 03:04:05.123456", "0000-00-00 00:00:00", "1000-01-01 00:00:00.000001",
			"9999-12-31 23:59:59.999999", "2024-02-29 12:00:00.5")},
		{"dt", "?", pick(nil, "2024-00-10 10:00:00", "2024-05-00 00:00:00", "0000-00-00 00:00:00", "1999-12-31 23:59:59")},
		{"ts", "?", pick(nil, "0000-00-00 00:00:00", "2000-02-29 12:34:56.789", "2021-03-14 02:30:00.5", "1970-01-02 00:00:00.001")},
		{"dd", "?", pick(nil, "2024-02-29", "0000-00-00", "1000-01-01", "2024-00-00")},
		{"tm", "?", pick(nil, "-838:59:59.00", "838:59:59.99", "00:00:00.01", "-00:00:00.50", "12:34:56.78", "00:00:00")},
		{"yr", "?", pick(nil, 0, 1901, 2155, 2024)},
		{"js", "?", pick(nil, `{"a": [1, 2.5, "x"], "b": null}`, `[]`, `"str"`, `{"nested": {"k": true, "u": "é😀"}}`, `12.5`)},
		{"bl", "?", func(r *rand.Rand) any {
			return pick(nil, []byte{}, []byte{0, 0xff, 0x80, 0}, randBytes(r, r.IntN(200)))(r)
		}},
		{"bn", "?", func(r *rand.Rand) any {
			return pick(nil, []byte("a"), []byte{1, 0, 0, 0}, []byte{0, 0, 0, 0}, []byte{0, 1}, randBytes(r, 4))(r)
		}},
		{"bt", "?", func(r *rand.Rand) any { return pick(nil, 0, 1023, 512, r.IntN(1024))(r) }},
		{"gone", "?", func(r *rand.Rand) any { return r.IntN(1000) }},
		{"old_name", "?", pick(nil, "x", "renamed", "")},
	}
}

// manyTypesMapping is what schema.Map would derive for manyTypesAlter.
func manyTypesMapping() *schema.Mapping {
	var orig, ghost []string
	for _, c := range append([]string{"id"}, genColumns()...) {
		switch c {
		case "gone":
			continue
		case "old_name":
			orig, ghost = append(orig, c), append(ghost, "new_name")
		default:
			orig, ghost = append(orig, c), append(ghost, c)
		}
	}
	return &schema.Mapping{OrigColumns: orig, GhostColumns: ghost,
		KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"}
}

func genColumns() []string {
	var cols []string
	for _, g := range manyTypesGens() {
		cols = append(cols, g.col)
	}
	return cols
}

// comparison reads the shared columns of a table as text; BINARY is hexed so
// that a lost trailing zero byte cannot hide.
func comparison(table string, cols []string) string {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		switch c {
		case "bn", "bl":
			exprs[i] = "HEX(" + schema.QuoteIdent(c) + ") AS " + c
		case "new_name":
			exprs[i] = "`new_name` AS old_name"
		default:
			exprs[i] = schema.QuoteIdent(c)
		}
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM " + table + " ORDER BY id"
}

// workload runs random single- and multi-statement transactions on the
// original: inserts (id 0 and the unsigned maximum included), updates of
// random columns, key changes of one and of many rows, REPLACE, deletes of one
// and of many rows, and rolled back transactions.
type workload struct {
	t    *testing.T
	r    *rand.Rand
	gens []valueGen
	f    *fixture
}

func (w *workload) id() uint64 {
	if w.r.IntN(20) == 0 {
		return uint64(math.MaxUint32 - w.r.IntN(2))
	}
	return uint64(w.r.IntN(60))
}

func (w *workload) row(verb string) (string, []any) {
	cols := []string{"id"}
	exprs := []string{"?"}
	args := []any{w.id()}
	for _, g := range w.gens {
		cols, exprs = append(cols, g.col), append(exprs, g.expr)
		args = append(args, g.val(w.r))
	}
	return verb + " t (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(exprs, ", ") + ")", args
}

func (w *workload) statement() (string, []any) {
	switch n := w.r.IntN(100); {
	case n < 30:
		return w.row("INSERT IGNORE INTO")
	case n < 35:
		return w.row("REPLACE INTO")
	case n < 60:
		var sets []string
		var args []any
		for i := 0; i < 1+w.r.IntN(5); i++ {
			g := w.gens[w.r.IntN(len(w.gens))]
			sets = append(sets, g.col+" = "+g.expr)
			args = append(args, g.val(w.r))
		}
		return "UPDATE t SET " + strings.Join(sets, ", ") + " WHERE id = ?", append(args, w.id())
	case n < 70:
		return "UPDATE IGNORE t SET id = ? WHERE id = ?", []any{w.id(), w.id()}
	case n < 75:
		lo := w.r.IntN(300)
		return "UPDATE IGNORE t SET id = id + 100 WHERE id BETWEEN ? AND ? ORDER BY id DESC", []any{lo, lo + w.r.IntN(30)}
	case n < 80:
		lo := w.r.IntN(300)
		return "UPDATE t SET yr = ?, st = ?, e = ? WHERE id BETWEEN ? AND ?",
			[]any{pick(nil, 2000, 2001)(w.r), pick("", "b", "a,d")(w.r), pick(nil, "blue")(w.r), lo, lo + w.r.IntN(40)}
	case n < 92:
		return "DELETE FROM t WHERE id = ?", []any{w.id()}
	default:
		lo := w.r.IntN(300)
		return "DELETE FROM t WHERE id BETWEEN ? AND ?", []any{lo, lo + w.r.IntN(5)}
	}
}

func (w *workload) run(txns int) {
	ctx := w.t.Context()
	conn, err := w.f.db.Conn(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close()
	// A writer in another time zone: TIMESTAMPs must keep their instant.
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_AUTO_VALUE_ON_ZERO', time_zone = '+05:30'"); err != nil {
		w.t.Fatal(err)
	}
	for i := 0; i < txns; i++ {
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			w.t.Fatal(err)
		}
		for j := 0; j < 1+w.r.IntN(4); j++ {
			q, args := w.statement()
			if _, err := conn.ExecContext(ctx, q, args...); err != nil {
				w.t.Fatalf("%s: %v", q, err)
			}
		}
		end := "COMMIT"
		if w.r.IntN(15) == 0 {
			end = "ROLLBACK"
		}
		if _, err := conn.ExecContext(ctx, end); err != nil {
			w.t.Fatal(err)
		}
	}
}

func seed() uint64 {
	if s, err := strconv.ParseUint(os.Getenv("APPLIER_SEED"), 10, 64); err == nil {
		return s
	}
	return uint64(time.Now().UnixNano())
}

// TestReplayOfRealBinlogMatchesOriginal is the applier's end-to-end proof: a
// table of every type the value contract covers takes a random workload, the
// real binlog is read back by doppel's streamer, and after applying it the
// ghost holds exactly the original's shared columns, row for row. Replaying
// the stream again, whole or from its middle, and in other batch sizes,
// changes nothing.
func TestReplayOfRealBinlogMatchesOriginal(t *testing.T) {
	f := newFixture(t)
	s := seed()
	t.Logf("seed %d (rerun with APPLIER_SEED=%d)", s, s)
	r := rand.New(rand.NewPCG(s, 0))

	f.exec(manyTypesTable)
	f.exec("CREATE TABLE _t_gho LIKE t")
	f.exec(manyTypesAlter)
	m := manyTypesMapping()
	origQuery := comparison("t", m.OrigColumns)
	ghostQuery := comparison("_t_gho", m.GhostColumns)

	w := &workload{t: t, r: r, gens: manyTypesGens(), f: f}
	// Rows that exist before the stream starts reach the ghost as the
	// copier would copy them.
	for i := 0; i < 60; i++ {
		q, args := w.row("INSERT IGNORE INTO")
		f.exec(q, args...)
	}
	f.exec("INSERT INTO _t_gho (" + schema.ColumnList(m.GhostColumns) + ") SELECT " + schema.ColumnList(m.OrigColumns) + " FROM t")
	// A second ghost in the same starting state, for the parallel replay.
	f.exec("CREATE TABLE _t_par LIKE _t_gho")
	f.exec("INSERT INTO _t_par SELECT * FROM _t_gho")
	start := f.position()
	w.run(300)
	txns := f.stream(start, "t")
	changes := changesOf(txns)
	kinds := map[binlog.Kind]int{}
	keyChanges := 0
	for _, c := range changes {
		kinds[c.Kind]++
		if c.Kind == binlog.Update && fmt.Sprint(c.Before[0]) != fmt.Sprint(c.After[0]) {
			keyChanges++
		}
	}
	t.Logf("%d transactions, %d row changes: %v, %d key changes", len(txns), len(changes), kinds, keyChanges)
	if kinds[binlog.Insert] == 0 || kinds[binlog.Update] == 0 || kinds[binlog.Delete] == 0 || keyChanges == 0 {
		t.Fatalf("workload too narrow: %v, %d key changes", kinds, keyChanges)
	}

	orig := f.load("t")
	db := f.applierPool(nil)
	want := f.dump(origQuery)

	// Transactions grouped as the migration would hand them over.
	a := f.newApplier(db, orig, "_t_gho", m, 7, zerolog.Nop())
	for i := 0; i < len(txns); {
		n := 1 + r.IntN(5)
		if err := a.Apply(t.Context(), changesOf(txns[i:min(i+n, len(txns))])); err != nil {
			t.Fatalf("apply: %v", err)
		}
		i += n
	}
	sameRows(t, "after one replay", want, f.dump(ghostQuery))
	if d := a.Displaced(); len(d) != 0 {
		t.Fatalf("displaced %v with no unique key but the primary", d)
	}
	var wrongDefault int
	if err := f.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM _t_gho WHERE added <> 42").Scan(&wrongDefault); err != nil || wrongDefault != 0 {
		t.Fatalf("added column touched in %d rows (%v)", wrongDefault, err)
	}

	// Resuming from an older checkpoint replays what is already applied.
	if err := a.Apply(t.Context(), changesOf(txns[len(txns)/2:])); err != nil {
		t.Fatalf("replay of the second half: %v", err)
	}
	sameRows(t, "after replaying the second half", want, f.dump(ghostQuery))
	noConnectionsInUse(t, a, db)

	// Parallel: the same transactions, grouped the same way, with their
	// keys dealt to 8 transactions at a time. 60 ids take 300
	// transactions, so keys are hot, and ids move (UPDATE … SET id).
	p, err := New(Config{DB: db, Database: f.name, Ghost: "_t_par", Orig: orig, Mapping: m, BatchSize: 7, Retries: 5,
		Threads: 8, GhostDef: f.load("_t_par"), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if p.threads != 8 {
		t.Fatalf("parallel applier runs %d threads, want 8", p.threads)
	}
	for i := 0; i < len(txns); {
		n := 1 + r.IntN(40)
		if err := p.Apply(t.Context(), changesOf(txns[i:min(i+n, len(txns))])); err != nil {
			t.Fatalf("parallel apply: %v", err)
		}
		i += n
	}
	sameRows(t, "after a parallel replay", want, f.dump(comparison("_t_par", m.GhostColumns)))
	noConnectionsInUse(t, p, db)

	for _, batch := range []int{1, 1000} {
		b := f.newApplier(db, orig, "_t_gho", m, batch, zerolog.Nop())
		if err := b.Apply(t.Context(), changes); err != nil {
			t.Fatalf("replay with batch size %d: %v", batch, err)
		}
		sameRows(t, fmt.Sprintf("after replaying everything with batch size %d", batch), want, f.dump(ghostQuery))
		noConnectionsInUse(t, b, db)
	}
}

// TestReplayOfMariaDBTypesAndGeneratedColumns covers what only MariaDB has
// (INET4, INET6 and UUID, which the row image carries as binary without its
// zero tail) and generated columns, which are in the row image but never
// written.
func TestReplayOfMariaDBTypesAndGeneratedColumns(t *testing.T) {
	f := newFixture(t)
	f.exec(`CREATE TABLE g (
		id INT PRIMARY KEY,
		a INT NULL,
		v INT AS (a * 2) VIRTUAL,
		s INT AS (a + 1) PERSISTENT,
		i4 INET4 NULL,
		i6 INET6 NULL,
		uu UUID NULL,
		c CHAR(5) CHARACTER SET latin1 NULL
	)`)
	f.exec("CREATE TABLE _g_gho LIKE g")
	f.exec("ALTER TABLE _g_gho DROP COLUMN v, ADD COLUMN w INT AS (a * 3) VIRTUAL")
	m := &schema.Mapping{
		OrigColumns: []string{"id", "a", "i4", "i6", "uu", "c"}, GhostColumns: []string{"id", "a", "i4", "i6", "uu", "c"},
		KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY",
	}
	start := f.position()
	values := []string{
		"(1, 10, '1.2.3.4', '::ffff:1.2.3.4', '123e4567-e89b-12d3-a456-426655440000', 'ab ')",
		"(2, NULL, '0.0.0.0', '::', '00000000-0000-0000-0000-000000000000', '')",
		"(3, -5, '255.0.0.0', '1::', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', CONVERT(UNHEX('E9') USING latin1))",
		"(4, 7, NULL, 'fe80::1:0:0', 'ffffffff-ffff-ffff-ffff-ffffffffff00', NULL)",
	}
	f.exec("INSERT INTO g (id, a, i4, i6, uu, c) VALUES " + strings.Join(values, ", "))
	f.exec("UPDATE g SET a = a + 1, i6 = '2001:db8::', uu = '00000000-0000-0000-0000-0000000000ff' WHERE id = 1")
	f.exec("UPDATE g SET id = 5 WHERE id = 2")
	f.exec("DELETE FROM g WHERE id = 4")
	txns := f.stream(start, "g")

	db := f.applierPool(nil)
	a := f.newApplier(db, f.load("g"), "_g_gho", m, 100, zerolog.Nop())
	for range 2 {
		if err := a.Apply(t.Context(), changesOf(txns)); err != nil {
			t.Fatalf("apply: %v", err)
		}
		sameRows(t, "after replay",
			f.dump("SELECT id, a, s, a * 3 AS w, i4, i6, uu, HEX(c) FROM g ORDER BY id"),
			f.dump("SELECT id, a, s, w, i4, i6, uu, HEX(c) FROM _g_gho ORDER BY id"))
	}
	noConnectionsInUse(t, a, db)
}

// TestReplayKeyedByMariaDBBinaryTypes uses INET6, UUID and INET4 as the
// migration key, so the applier must find ghost rows by their values. The
// server compares such a column with a parameter correctly only when the
// parameter is a binary string: a utf8mb4 one of full length holding bytes
// above 0x7f matches no row, and an update's delete then misses the old row.
func TestReplayKeyedByMariaDBBinaryTypes(t *testing.T) {
	cases := []struct {
		typ  string
		vals []string
	}{
		{"INET6", []string{"'2001:db8:1991::1991'", "'fe80::'", "'::1'", "'::'", "'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'"}},
		{"UUID", []string{"'f47ac10b-58cc-4372-a567-0e02b2c3d479'", "'fe800000-0000-0000-0000-000000000000'",
			"'00000000-0000-0000-0000-000000000001'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"}},
		{"INET4", []string{"'192.168.0.1'", "'10.0.0.0'", "'0.0.0.1'", "'255.255.255.255'"}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			f := newFixture(t)
			f.exec("CREATE TABLE k (k " + c.typ + " NOT NULL PRIMARY KEY, n INT NOT NULL)")
			f.exec("CREATE TABLE _k_gho LIKE k")
			for i, v := range c.vals {
				f.exec(fmt.Sprintf("INSERT INTO k VALUES (%s, %d)", v, i))
			}
			// The copy: every row is in the ghost before the changes replay.
			f.exec("INSERT INTO _k_gho SELECT * FROM k")
			m := &schema.Mapping{
				OrigColumns: []string{"k", "n"}, GhostColumns: []string{"k", "n"},
				KeyName: "PRIMARY", KeyOrig: []string{"k"}, KeyGhost: []string{"k"}, GhostKeyName: "PRIMARY",
			}
			start := f.position()
			f.exec("UPDATE k SET n = n + 100")
			f.exec("DELETE FROM k WHERE k = " + c.vals[0])
			f.exec("UPDATE k SET k = " + c.vals[0] + " WHERE k = " + c.vals[1])
			txns := f.stream(start, "k")

			db := f.applierPool(nil)
			a := f.newApplier(db, f.load("k"), "_k_gho", m, 100, zerolog.Nop())
			if err := a.Apply(t.Context(), changesOf(txns)); err != nil {
				t.Fatalf("apply: %v", err)
			}
			sameRows(t, "after replay", f.dump("SELECT k, n FROM k ORDER BY k"), f.dump("SELECT k, n FROM _k_gho ORDER BY k"))
			noConnectionsInUse(t, a, db)
		})
	}
}

func TestParallelApplyFallsBackWithAnotherUniqueKey(t *testing.T) {
	orig := &schema.Table{Schema: "d", Name: "t", Columns: []schema.Column{{Name: "id", DataType: "int"}, {Name: "u", DataType: "int"}}}
	m := &schema.Mapping{OrigColumns: []string{"id", "u"}, GhostColumns: []string{"id", "u"},
		KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"}
	pk := schema.Key{Name: "PRIMARY", Columns: []string{"id"}, Primary: true, Unique: true}
	cases := []struct {
		name  string
		ghost *schema.Table
		want  int
	}{
		{"only the migration key", &schema.Table{Keys: []schema.Key{pk, {Name: "k", Columns: []string{"u"}}}}, 4},
		{"another unique key", &schema.Table{Keys: []schema.Key{pk, {Name: "uu", Columns: []string{"u"}, Unique: true}}}, 1},
		{"ghost unknown", nil, 1},
	}
	for _, c := range cases {
		a, err := New(Config{DB: &sql.DB{}, Database: "d", Ghost: "_t_gho", Orig: orig, Mapping: m, BatchSize: 10, Threads: 4, GhostDef: c.ghost})
		if err != nil {
			t.Fatal(err)
		}
		if a.threads != c.want {
			t.Errorf("%s: %d threads, want %d", c.name, a.threads, c.want)
		}
	}
}

func TestSplitKeepsEachKeyInOnePlanInOrder(t *testing.T) {
	var p plan
	for i := 0; i < 200; i++ {
		p.entries = append(p.entries, entry{id: fmt.Sprintf("I%d;", i%50*7919), seq: i})
	}
	p.changes = 260
	parts := p.split(8)
	if len(parts) < 2 || len(parts) > 8 {
		t.Fatalf("%d parts", len(parts))
	}
	owner := map[string]int{}
	total, changes := 0, 0
	for i, sub := range parts {
		changes += sub.changes
		for j, e := range sub.entries {
			if o, ok := owner[e.id]; ok && o != i {
				t.Fatalf("key %s in parts %d and %d", e.id, o, i)
			}
			owner[e.id] = i
			if j > 0 && sub.entries[j-1].seq > e.seq {
				t.Fatalf("part %d out of order", i)
			}
			total++
		}
	}
	if total != 200 || changes != 260 {
		t.Fatalf("split kept %d entries and %d changes, want 200 and 260", total, changes)
	}
}

// Changes fill transactions of BatchSize before a second thread gets any: a
// trickle of single-row transactions must not cost the server a ghost commit
// per row. The server's binlog counts the commits (no other test in this
// binary runs alongside, see t.Parallel's absence here).
func TestParallelApplyCommitsOnlyWhatTheChangesFill(t *testing.T) {
	f := newFixture(t)
	f.exec(conflictTable)
	f.exec("CREATE TABLE _p_gho LIKE p")
	orig := f.load("p")
	a, err := New(Config{DB: f.applierPool(nil), Database: f.name, Ghost: "_p_gho", Orig: orig, Mapping: pMapping(), BatchSize: 10,
		Retries: 5, Threads: 4, GhostDef: f.load("_p_gho"), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	seq := func() int64 {
		var pos string
		if err := f.db.QueryRowContext(t.Context(), "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
			t.Fatal(err)
		}
		// One domain: "0-<server>-<seq>".
		var domain, server, n int64
		if _, err := fmt.Sscanf(pos, "%d-%d-%d", &domain, &server, &n); err != nil {
			t.Fatalf("gtid_binlog_pos %q: %v", pos, err)
		}
		return n
	}
	next := 0
	for _, c := range []struct{ changes, commits int }{{1, 1}, {5, 1}, {10, 1}, {11, 2}, {25, 3}, {40, 4}, {80, 8}} {
		var changes []binlog.RowChange
		for range c.changes {
			next++
			changes = append(changes, ins(prow(next, next, fmt.Sprint(next))))
		}
		before := seq()
		f.apply(a, changes...)
		if got := seq() - before; got != int64(c.commits) {
			t.Errorf("%d changes over 4 threads of batch 10: %d commits, want %d", c.changes, got, c.commits)
		}
	}
	sameRows(t, "after the batches", f.dump("SELECT id, u, v FROM _p_gho ORDER BY id"),
		f.dump("SELECT seq AS id, seq AS u, seq AS v FROM seq_1_to_"+fmt.Sprint(next)))
}
