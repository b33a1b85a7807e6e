package checksum

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/schema"
)

// pair creates o and g from the statements, and a checker between them.
func pair(t *testing.T, chunk int64, setup ...string) (string, *sql.DB, *Checker) {
	t.Helper()
	name, db := sandbox.Shared(t).Primary.NewDatabase(t)
	for _, q := range setup {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ctx := context.Background()
	o, err := schema.LoadTable(ctx, db, name, "o")
	if err != nil {
		t.Fatal(err)
	}
	g, err := schema.LoadTable(ctx, db, name, "g")
	if err != nil {
		t.Fatal(err)
	}
	m, err := schema.Map(o, g, nil, schema.MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Database: name, Orig: o, Ghost: g, Mapping: m, Threads: 3, ChunkSize: chunk,
		Logger: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	return name, db, c
}

func opener(db *sql.DB, name string, lock ...string) func(context.Context) (*Snapshot, error) {
	return func(ctx context.Context) (*Snapshot, error) {
		return OpenSnapshot(ctx, PointConfig{DB: db, Database: name, Lock: lock, Conns: 3, LockTimeout: time.Second})
	}
}

// recopy is a repair as the copier makes it, in plain SQL.
func recopy(db *sql.DB, c *Checker, mode string) Repair {
	return func(ctx context.Context, ch Chunk) (int64, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "SET SESSION sql_mode = '"+mode+"'"); err != nil {
			return 0, err
		}
		where, args := c.origKey.Where(ch.Low, false, ch.High)
		if _, err := tx.ExecContext(ctx, "DELETE FROM g WHERE "+where, args...); err != nil {
			return 0, err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO g SELECT * FROM o WHERE "+where+" LOCK IN SHARE MODE", args...)
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		return n, tx.Commit()
	}
}

func TestEqualTablesPass(t *testing.T) {
	name, db, c := pair(t, 100,
		"CREATE TABLE o (id int PRIMARY KEY, a varchar(20) NULL, b blob NULL, d decimal(8,2) NULL)",
		"INSERT INTO o SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('v', seq)), IF(seq % 5 = 0, NULL, UNHEX(MD5(seq))), seq / 3 FROM seq_1_to_1234",
		"ANALYZE TABLE o",
		"CREATE TABLE g LIKE o", "INSERT INTO g SELECT * FROM o")
	out, err := c.Verify(context.Background(), opener(db, name, "o", "g"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Rows != 1234 || out.Chunks < 10 {
		t.Fatalf("compared %d rows in %d chunks, want 1234 in about 13", out.Rows, out.Chunks)
	}
}

// Every kind of damage is seen, including rows of the ghost below and above
// the original's key range and values moved between columns, and a repair
// converges.
func TestDifferencesAreFoundAndRepaired(t *testing.T) {
	damage := []string{
		"DELETE FROM g WHERE id = 10",
		"UPDATE g SET a = 'changed' WHERE id = 500",
		"UPDATE g SET a = NULL WHERE id = 501",
		"INSERT INTO g VALUES (-3, 'below', NULL)",
		"INSERT INTO g VALUES (99999, 'above', NULL)",
		// The same two values, swapped between the columns: a row string
		// without separators would not see it.
		"UPDATE g SET a = 'x', b = 'yz' WHERE id = 700", "UPDATE o SET a = 'xy', b = 'z' WHERE id = 700",
	}
	setup := append([]string{
		"CREATE TABLE o (id int PRIMARY KEY, a varchar(20) NULL, b varchar(20) NULL)",
		"INSERT INTO o SELECT seq, CONCAT('v', seq), NULL FROM seq_1_to_1000",
		"CREATE TABLE g LIKE o", "INSERT INTO g SELECT * FROM o",
	}, damage...)
	name, db, c := pair(t, 100, setup...)
	ctx := context.Background()
	_, err := c.Verify(ctx, opener(db, name, "o", "g"), nil)
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("error %v, want a mismatch", err)
	}
	for _, want := range []string{"(10)", "(500)", "(501)", "(-3)", "(99999)", "(700)", "-inf", "+inf"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	out, err := c.Verify(ctx, opener(db, name, "o", "g"), recopy(db, c, "STRICT_ALL_TABLES"))
	if err != nil {
		t.Fatalf("repair did not converge: %v", err)
	}
	if out.Repaired < 3 {
		t.Errorf("%d chunks repaired, want at least 3 (first, middle and last)", out.Repaired)
	}
	if _, err := c.Verify(ctx, opener(db, name, "o", "g"), nil); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

// A conversion that loses data cannot be repaired: every recopy loses it
// again. The error names the chunk, the keys and the column.
func TestLossyConversionIsAMismatch(t *testing.T) {
	cases := []struct {
		name, orig, ghost, values, column string
		lossy                             []int
	}{
		{"varchar narrowed", "varchar(100)", "varchar(5)", "(1, 'short'), (2, 'much too long'), (3, NULL)", "c (varchar(100) → varchar(5))", []int{2}},
		{"decimal scale reduced", "decimal(10,4)", "decimal(10,2)", "(1, 1.2500), (2, 1.2550), (3, -7.0001)", "c (decimal(10,4) → decimal(10,2))", []int{2, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name, db, c := pair(t, 10,
				fmt.Sprintf("CREATE TABLE o (id int PRIMARY KEY, c %s NULL)", tc.orig),
				"INSERT INTO o VALUES "+tc.values,
				fmt.Sprintf("CREATE TABLE g (id int PRIMARY KEY, c %s NULL)", tc.ghost))
			ctx := context.Background()
			if _, err := recopy(db, c, "")(ctx, Chunk{}); err != nil {
				t.Fatal(err)
			}
			_, err := c.Verify(ctx, opener(db, name, "o", "g"), recopy(db, c, ""))
			if !errors.Is(err, ErrMismatch) {
				t.Fatalf("error %v, want a mismatch", err)
			}
			for _, id := range tc.lossy {
				if !strings.Contains(err.Error(), fmt.Sprintf("(%d)", id)) {
					t.Errorf("error does not name key %d: %v", id, err)
				}
			}
			for _, want := range []string{"after 3 repairs", tc.column} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q: %v", want, err)
				}
			}
		})
	}
}

// The snapshots see both tables as they were at the point, whatever is
// written while the comparison runs.
func TestSnapshotIsConsistent(t *testing.T) {
	name, db, c := pair(t, 100,
		"CREATE TABLE o (id int PRIMARY KEY, a int)", "INSERT INTO o SELECT seq, seq FROM seq_1_to_500",
		"CREATE TABLE g LIKE o", "INSERT INTO g SELECT * FROM o")
	ctx := context.Background()
	snap, err := opener(db, name, "o", "g")(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if _, err := db.Exec("UPDATE g SET a = 0 WHERE id = 5"); err != nil {
		t.Fatal(err)
	}
	chunks, err := c.Chunks(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compare(ctx, snap, chunks)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diffs) != 0 {
		t.Fatalf("the snapshot saw a change made after it: %+v", res.Diffs)
	}
}

func TestLockTimeoutLeavesTablesAlone(t *testing.T) {
	name, db, _ := pair(t, 100, "CREATE TABLE o (id int PRIMARY KEY)", "CREATE TABLE g LIKE o")
	ctx := context.Background()
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "LOCK TABLES o WRITE"); err != nil {
		t.Fatal(err)
	}
	_, err = opener(db, name, "o")(ctx)
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("error %v, want ErrLockTimeout", err)
	}
	if _, err := holder.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	snap, err := opener(db, name, "o")(ctx)
	if err != nil {
		t.Fatalf("after the lock is gone: %v", err)
	}
	snap.Close()
}

// A key that is not one integer column is cut by walking it.
func TestTextKeyIsWalked(t *testing.T) {
	name, db, c := pair(t, 50,
		"CREATE TABLE o (k varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY, v int)",
		"INSERT INTO o SELECT CONCAT('Key', seq), seq FROM seq_1_to_500",
		"CREATE TABLE g LIKE o", "INSERT INTO g SELECT * FROM o", "UPDATE g SET v = 0 WHERE k = 'key250'")
	_, err := c.Verify(context.Background(), opener(db, name, "o", "g"), nil)
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `("Key250")`) {
		t.Fatalf("error %v, want a mismatch at Key250", err)
	}
}

// A difference in a chunk far larger than planned (sparse keys) is narrowed
// down to a small chunk before it is reported or repaired.
func TestLargeDifferingChunkIsNarrowed(t *testing.T) {
	name, db, c := pair(t, 100,
		"CREATE TABLE o (id bigint PRIMARY KEY, v int)",
		"INSERT INTO o SELECT seq, 1 FROM seq_1_to_1000",
		"INSERT INTO o SELECT 1000000 + seq, 1 FROM seq_1_to_1000",
		"ANALYZE TABLE o",
		"CREATE TABLE g LIKE o", "INSERT INTO g SELECT * FROM o", "UPDATE g SET v = 2 WHERE id = 1000500")
	ctx := context.Background()
	snap, err := opener(db, name, "o", "g")(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	chunks, err := c.Chunks(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compare(ctx, snap, chunks)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diffs) != 1 || res.Rows != 2000 {
		t.Fatalf("%d rows compared, diffs %+v", res.Rows, res.Diffs)
	}
	d := res.Diffs[0]
	if d.OrigRows > 200 || len(d.Keys) != 1 || d.Keys[0][0] != int64(1000500) {
		t.Fatalf("difference not narrowed: %+v", d)
	}
}
