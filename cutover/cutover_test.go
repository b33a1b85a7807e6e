package cutover

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// fakeSession records the statements sent to it and fails the first one
// that contains a configured fragment.
type fakeSession struct {
	sent     []string
	failOn   map[string]error
	liveCtxs map[string]bool // statement -> its context was still usable
}

func (f *fakeSession) ExecContext(ctx context.Context, query string, _ ...any) (sql.Result, error) {
	f.sent = append(f.sent, query)
	if f.liveCtxs == nil {
		f.liveCtxs = map[string]bool{}
	}
	f.liveCtxs[query] = ctx.Err() == nil
	for frag, err := range f.failOn {
		if strings.Contains(query, frag) {
			return nil, err
		}
	}
	return driver.RowsAffected(0), nil
}

func testConfig() Config {
	return Config{
		DB: &sql.DB{}, Database: "shop", Original: "orders", Ghost: "_orders_gho", Old: "_orders_del",
		LockTimeout: 1500 * time.Millisecond, Flavor: FlavorMySQL,
	}
}

func serverErr(n uint16) error { return &mysql.MySQLError{Number: n, Message: "test"} }

func TestRenameUnderLock(t *testing.T) {
	q := testConfig().mysqlStatements()
	const drainMark = "<drain>"
	tests := []struct {
		name          string
		failOn        map[string]error
		drainErr      error
		want          []string
		wantErr       error // errors.Is target; nil means success
		wantSwapped   bool
		wantUncertain bool
	}{
		{
			name:        "swaps by locking both tables, draining, renaming and unlocking in that order",
			want:        []string{q.setTimeout, q.lock, drainMark, q.rename, q.unlock},
			wantSwapped: true,
		},
		{
			name:    "a lock wait timeout sends nothing more and is retryable",
			failOn:  map[string]error{"LOCK TABLES": serverErr(1205)},
			want:    []string{q.setTimeout, q.lock},
			wantErr: ErrLockTimeout,
		},
		{
			name:     "a failed drain unlocks without renaming",
			drainErr: errors.New("applier stuck"),
			want:     []string{q.setTimeout, q.lock, drainMark, q.unlock},
			wantErr:  errors.New("applier stuck"),
		},
		{
			name:    "a refused rename unlocks and reports the server's error",
			failOn:  map[string]error{"RENAME TABLE": serverErr(1050)},
			want:    []string{q.setTimeout, q.lock, drainMark, q.rename, q.unlock},
			wantErr: serverErr(1050),
		},
		{
			name:          "a connection lost during the lock leaves the session's state unknown",
			failOn:        map[string]error{"LOCK TABLES": driver.ErrBadConn},
			want:          []string{q.setTimeout, q.lock},
			wantErr:       driver.ErrBadConn,
			wantUncertain: true,
		},
		{
			name:          "a lost rename leaves its outcome unknown",
			failOn:        map[string]error{"RENAME TABLE": mysql.ErrInvalidConn, "UNLOCK": mysql.ErrInvalidConn},
			want:          []string{q.setTimeout, q.lock, drainMark, q.rename, q.unlock},
			wantErr:       mysql.ErrInvalidConn,
			wantUncertain: true,
		},
		{
			name:          "a failed unlock after the rename still counts as swapped",
			failOn:        map[string]error{"UNLOCK": mysql.ErrInvalidConn},
			want:          []string{q.setTimeout, q.lock, drainMark, q.rename, q.unlock},
			wantSwapped:   true,
			wantUncertain: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSession{failOn: tc.failOn}
			drain := func(context.Context) error {
				f.sent = append(f.sent, drainMark)
				return tc.drainErr
			}
			res, uncertain, err := renameUnderLock(context.Background(), f, q, drain, time.Second)
			if got, want := strings.Join(f.sent, "\n"), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("statements:\n%s\nwant:\n%s", got, want)
			}
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != nil && err == nil:
				t.Errorf("no error, want %v", tc.wantErr)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr) && !strings.Contains(err.Error(), tc.wantErr.Error()):
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if res.Swapped != tc.wantSwapped {
				t.Errorf("Swapped = %v, want %v", res.Swapped, tc.wantSwapped)
			}
			if uncertain != tc.wantUncertain {
				t.Errorf("uncertain = %v, want %v", uncertain, tc.wantUncertain)
			}
			if res.Stall < res.LockWait {
				t.Errorf("stall %v shorter than lock wait %v", res.Stall, res.LockWait)
			}
		})
	}
}

func TestRenameUnderLockUnlocksEvenWhenTheCallerGaveUp(t *testing.T) {
	q := testConfig().mysqlStatements()
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeSession{}
	drain := func(ctx context.Context) error {
		cancel()
		return ctx.Err()
	}
	_, _, err := renameUnderLock(ctx, f, q, drain, time.Second)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !f.liveCtxs[q.unlock] {
		t.Errorf("UNLOCK TABLES was sent on the cancelled context; cleanup needs a fresh one")
	}
	for _, s := range f.sent {
		if s == q.rename {
			t.Errorf("renamed after the drain failed")
		}
	}
}

func TestStatementsQuoteEveryName(t *testing.T) {
	cfg := testConfig()
	cfg.Database, cfg.Original, cfg.Ghost, cfg.Old = "d`b", "o`rig", "_o`rig_gho", "_o`rig_del"
	m := cfg.mysqlStatements()
	if want := "RENAME TABLE `d``b`.`o``rig` TO `d``b`.`_o``rig_del`, `d``b`.`_o``rig_gho` TO `d``b`.`o``rig`"; m.rename != want {
		t.Errorf("mysql rename:\n got %s\nwant %s", m.rename, want)
	}
	if want := "LOCK TABLES `d``b`.`o``rig` WRITE, `d``b`.`_o``rig_gho` WRITE"; m.lock != want {
		t.Errorf("mysql lock:\n got %s\nwant %s", m.lock, want)
	}
	if want := "SET SESSION lock_wait_timeout = 2"; m.setTimeout != want {
		t.Errorf("timeout: got %s, want %s", m.setTimeout, want)
	}
	s := cfg.sentryStatements()
	if want := "LOCK TABLES `d``b`.`o``rig` WRITE, `d``b`.`_o``rig_del` WRITE"; s.lock != want {
		t.Errorf("sentry lock:\n got %s\nwant %s", s.lock, want)
	}
	if !strings.Contains(s.createSentry, "COMMENT='"+sentryComment+"'") {
		t.Errorf("sentry is not marked: %s", s.createSentry)
	}
	if s.rename != m.rename {
		t.Errorf("both algorithms must send the same rename:\n%s\n%s", s.rename, m.rename)
	}
}

func TestLockWaitSecondsRoundsUpToWholeSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 3 * time.Second: 3,
	} {
		if got := (Config{LockTimeout: d}).lockWaitSeconds(); got != want {
			t.Errorf("%v: got %d, want %d", d, got, want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	drain := func(context.Context, *sql.Conn) error { return nil }
	tests := []struct {
		name  string
		edit  func(*Config)
		drain Drain
		want  string
	}{
		{"accepts a complete config", func(*Config) {}, drain, ""},
		{"needs a pool", func(c *Config) { c.DB = nil }, drain, "pool"},
		{"needs every name", func(c *Config) { c.Old = "" }, drain, "required"},
		{"refuses the ghost as old name", func(c *Config) { c.Old = c.Ghost }, drain, "differ"},
		{"needs a positive lock timeout", func(c *Config) { c.LockTimeout = 0 }, drain, "timeout"},
		{"knows only two flavors", func(c *Config) { c.Flavor = "percona" }, drain, "flavor"},
		{"needs a drain", func(*Config) {}, nil, "drain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.edit(&cfg)
			err := cfg.validate(tc.drain)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestClassifyMarksLockWaitsRetryable(t *testing.T) {
	for n, want := range map[uint16]bool{1205: true, 1213: true, 1050: false, 1146: false} {
		if got := errors.Is(classify(serverErr(n)), ErrLockTimeout); got != want {
			t.Errorf("error %d: retryable = %v, want %v", n, got, want)
		}
	}
	if errors.Is(classify(driver.ErrBadConn), ErrLockTimeout) {
		t.Errorf("a lost connection is not a lock timeout")
	}
}
