package copier

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/schema"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

// newTestCopier runs setup in a fresh database (it must create t and its
// ghost _t_gho) and returns a copier between them.
func newTestCopier(t *testing.T, cluster *sandbox.Cluster, chunk int64, setup ...string) (*sql.DB, *Copier) {
	t.Helper()
	name, db := cluster.Primary.NewDatabase(t)
	for _, q := range setup {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ctx := context.Background()
	orig, err := schema.LoadTable(ctx, db, name, "t")
	if err != nil {
		t.Fatal(err)
	}
	ghost, err := schema.LoadTable(ctx, db, name, "_t_gho")
	if err != nil {
		t.Fatal(err)
	}
	m, err := schema.Map(orig, ghost, nil, schema.MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := New(Config{DB: db, Database: name, Original: "t", Ghost: "_t_gho", Orig: orig, Mapping: m,
		ChunkSize: chunk, Retries: 3, Flavor: "mariadb", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return db, cp
}

// Keys whose order differs from their bytes (case-insensitive text, enums
// ordered by index, decimals, unsigned values above 2^63) must still be
// walked chunk by chunk without skipping or repeating a row.
func TestCopyWalksEveryKeyShape(t *testing.T) {
	cases := []struct {
		name, def, seed string
	}{
		{"unsigned bigint beyond 2^63", "id bigint unsigned NOT NULL PRIMARY KEY, v int",
			"INSERT INTO t SELECT 18446744073709551615 - seq * 3, seq FROM seq_0_to_499"},
		{"case-insensitive text and int", "name varchar(20) CHARACTER SET utf8mb4 NOT NULL, n int NOT NULL, v int, PRIMARY KEY (name, n)",
			"INSERT INTO t SELECT IF(seq % 2, UPPER(CONCAT('k', seq % 37)), CONCAT('k', seq % 37, 'é')), seq, seq FROM seq_0_to_499"},
		{"enum then decimal", "e enum('zeta','alpha','mid') NOT NULL, d decimal(10,3) NOT NULL, v int, PRIMARY KEY (e, d)",
			"INSERT INTO t SELECT ELT(1 + seq % 3, 'zeta', 'alpha', 'mid'), seq / 7, seq FROM seq_0_to_499"},
		{"datetime", "ts datetime(6) NOT NULL PRIMARY KEY, v int",
			"INSERT INTO t SELECT TIMESTAMP('2020-02-29 23:59:59.999999') + INTERVAL seq * 1001 MICROSECOND, seq FROM seq_0_to_499"},
		{"binary with trailing zero bytes", "b binary(4) NOT NULL PRIMARY KEY, v int",
			"INSERT INTO t SELECT UNHEX(LPAD(HEX(seq * 256), 8, '0')), seq FROM seq_0_to_499"},
		{"empty binary key part", "b binary(2) NOT NULL, vb varbinary(3) NOT NULL, v int, PRIMARY KEY (b, vb)",
			"INSERT INTO t SELECT UNHEX(LPAD(HEX(seq DIV 3), 4, '0')), REPEAT(x'00', seq % 3), seq FROM seq_0_to_499"},
		{"empty text key part", "s varchar(3) CHARACTER SET utf8mb4 NOT NULL, n int NOT NULL, v int, PRIMARY KEY (s, n)",
			"INSERT INTO t SELECT IF(seq % 3, '', 'x'), seq, seq FROM seq_0_to_499"},
	}
	cluster := sandbox.Shared(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, cp := newTestCopier(t, cluster, 7, "CREATE TABLE t ("+c.def+")", c.seed, "CREATE TABLE _t_gho LIKE t")
			if err := cp.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if cp.Copied() != 500 || !cp.Done() {
				t.Fatalf("copied %d rows (done=%v), want 500", cp.Copied(), cp.Done())
			}
			if cp.Chunks() < 500/7 {
				t.Fatalf("%d chunks for 500 rows of 7", cp.Chunks())
			}
			got, err := workload.Dump(db, "SELECT HEX(v), v FROM _t_gho ORDER BY v")
			if err != nil {
				t.Fatal(err)
			}
			want, err := workload.Dump(db, "SELECT HEX(v), v FROM t ORDER BY v")
			if err != nil {
				t.Fatal(err)
			}
			if d := workload.Diff(got, want, 5); len(d) > 0 {
				t.Fatalf("ghost differs from original:\n%s", strings.Join(d, "\n"))
			}
			full, _ := workload.Dump(db, "SELECT * FROM _t_gho ORDER BY 1, 2")
			fullWant, _ := workload.Dump(db, "SELECT * FROM t ORDER BY 1, 2")
			if d := workload.Diff(full, fullWant, 5); len(d) > 0 {
				t.Fatalf("ghost rows differ:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

func TestCopyOfEmptyTableIsDone(t *testing.T) {
	cluster := sandbox.Shared(t)
	_, cp := newTestCopier(t, cluster, 10, "CREATE TABLE t (id int PRIMARY KEY)", "CREATE TABLE _t_gho LIKE t")
	ctx := context.Background()
	if err := cp.Run(ctx); err != nil || !cp.Done() || cp.Copied() != 0 {
		t.Fatalf("empty copy: err=%v done=%v copied=%d", err, cp.Done(), cp.Copied())
	}
}
