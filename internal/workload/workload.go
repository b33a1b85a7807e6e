// Package workload generates the application writes that tests, the demo and
// the benchmarks run against a table while it is migrated.
//
// Every write is applied, in one transaction, to each of the configured
// tables: the table being migrated and an untouched reference copy. After
// the migration both must hold exactly the same rows, which is how tests
// prove no committed write was lost.
package workload

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Shape is the table layout the writes fit.
type Shape int

const (
	// Live: id bigint PK, uk varchar UNIQUE, k int, c varchar utf8mb4,
	// pad char, amount decimal NULL, ts datetime(6) NULL. Updates sometimes
	// change uk, so a migration keyed on uk sees key changes. Writes never
	// name pad, so a migration may rename it while they run.
	Live Shape = iota
	// Sysbench: id PK, k int indexed, c char(120), pad char(60).
	Sysbench
)

// LiveSchema is the column list and keys of a Live table.
const LiveSchema = `(
  id bigint NOT NULL,
  uk varchar(40) NOT NULL,
  k int NOT NULL,
  c varchar(120) CHARACTER SET utf8mb4 NOT NULL,
  pad char(60) NOT NULL DEFAULT 'pad',
  amount decimal(12,2) NULL,
  ts datetime(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk (uk),
  KEY k (k)
) ENGINE=InnoDB`

// SysbenchSchema is the layout of sysbench's oltp tables.
const SysbenchSchema = `(
  id int NOT NULL,
  k int NOT NULL DEFAULT 0,
  c char(120) NOT NULL DEFAULT '',
  pad char(60) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  KEY k_1 (k)
) ENGINE=InnoDB`

// SeedSQL returns the statement that fills table with rows 1..n of shape
// (MariaDB's sequence engine makes this one fast statement).
func SeedSQL(shape Shape, table string, n int) string {
	if shape == Sysbench {
		return fmt.Sprintf("INSERT INTO %s SELECT seq, seq %% 1000, RPAD(CONCAT(seq, '-', MD5(seq)), 119, 'c'), RPAD(MD5(seq), 59, 'p') FROM seq_1_to_%d", table, n)
	}
	return fmt.Sprintf(`INSERT INTO %s SELECT seq, CONCAT('u', seq), seq %% 1000, CONCAT('row ', seq, ' é€😀'), MD5(seq),
		seq / 100, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND FROM seq_1_to_%d`, table, n)
}

// Config describes a workload.
type Config struct {
	DB      *sql.DB
	Shape   Shape
	Tables  []string // each write goes to every table, in one transaction
	Workers int
	// Rate caps the writes per second over all workers; 0 runs each worker
	// as fast as it can with a 1ms pause between writes.
	Rate int
	// MaxID is the largest existing id; inserts continue above it.
	MaxID int64
}

// Workload is a running set of writers.
type Workload struct {
	cfg     Config
	nextID  atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
	longest time.Duration
	writes  atomic.Int64
	stopped sync.Once
}

// Start launches the writers.
func Start(cfg Config) *Workload {
	w := &Workload{cfg: cfg, stop: make(chan struct{})}
	w.nextID.Store(cfg.MaxID)
	var tick <-chan time.Time
	if cfg.Rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(cfg.Rate))
		tick = t.C
		w.wg.Add(1)
		go func() { defer w.wg.Done(); <-w.stop; t.Stop() }()
	}
	for i := 0; i < max(cfg.Workers, 1); i++ {
		w.wg.Add(1)
		go w.run(uint64(i), tick)
	}
	return w
}

// Stop halts the writers and waits for them.
func (w *Workload) Stop() {
	w.stopped.Do(func() { close(w.stop) })
	w.wg.Wait()
}

// Result is what the writers saw.
type Result struct {
	Writes  int64
	Errors  []error
	Longest time.Duration // the longest single write: the cut-over stall shows here
}

// Result reports what the writers saw so far.
func (w *Workload) Result() Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Result{Writes: w.writes.Load(), Errors: append([]error(nil), w.errs...), Longest: w.longest}
}

func (w *Workload) run(seed uint64, tick <-chan time.Time) {
	defer w.wg.Done()
	r := rand.New(rand.NewPCG(seed, 42))
	for {
		if tick != nil {
			select {
			case <-w.stop:
				return
			case <-tick:
			}
		} else {
			select {
			case <-w.stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
		start := time.Now()
		err := w.one(r)
		d := time.Since(start)
		w.mu.Lock()
		if err != nil {
			w.errs = append(w.errs, err)
		}
		w.longest = max(w.longest, d)
		w.mu.Unlock()
		w.writes.Add(1)
	}
}

func (w *Workload) one(r *rand.Rand) error {
	stmt, args := w.next(r)
	tx, err := w.cfg.DB.Begin()
	if err != nil {
		return err
	}
	for _, table := range w.cfg.Tables {
		if _, err := tx.Exec(fmt.Sprintf(stmt, table), args...); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s on %s: %w", strings.Fields(stmt)[0], table, err)
		}
	}
	return tx.Commit()
}

// next draws one write: 40% inserts, 40% updates, 20% deletes.
func (w *Workload) next(r *rand.Rand) (string, []any) {
	maxID := w.nextID.Load()
	op := r.IntN(10)
	if w.cfg.Shape == Sysbench {
		switch {
		case op < 4:
			id := w.nextID.Add(1)
			return "INSERT INTO %s (id, k, c, pad) VALUES (?, ?, ?, ?)", []any{id, r.IntN(1000), fmt.Sprintf("ins-%d", id), "pad"}
		case op < 8:
			return "UPDATE %s SET k = k + 1, c = ? WHERE id = ?", []any{fmt.Sprintf("upd-%d", r.IntN(1_000_000)), 1 + r.Int64N(maxID)}
		default:
			return "DELETE FROM %s WHERE id = ?", []any{1 + r.Int64N(maxID)}
		}
	}
	switch {
	case op < 4:
		id := w.nextID.Add(1)
		return "INSERT INTO %s (id, uk, k, c, amount, ts) VALUES (?, ?, ?, ?, ?, ?)",
			[]any{id, fmt.Sprintf("n%d", id), r.IntN(1000), fmt.Sprintf("new %d ü", id), fmt.Sprintf("%d.%02d", r.IntN(100000), r.IntN(100)), now()}
	case op < 8:
		id := 1 + r.Int64N(maxID)
		if r.IntN(4) == 0 {
			return "UPDATE %s SET uk = CONCAT('m', id, '-', ?), c = ? WHERE id = ?", []any{r.IntN(1_000_000), fmt.Sprintf("moved %d", r.IntN(1000)), id}
		}
		return "UPDATE %s SET k = ?, c = ?, amount = NULL, ts = ? WHERE id = ?", []any{r.IntN(1000), fmt.Sprintf("upd %d ß", r.IntN(1000)), now(), id}
	default:
		return "DELETE FROM %s WHERE id = ?", []any{1 + r.Int64N(maxID)}
	}
}

// now is the write's timestamp, chosen once so every table gets the same
// value (NOW(6) differs between the statements of one transaction).
func now() string { return time.Now().UTC().Format("2006-01-02 15:04:05.000000") }
