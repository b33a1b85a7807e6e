package applier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// Config is what an Applier needs to know about the two tables.
type Config struct {
	// DB is a pool on the server holding the ghost table. The applier pins
	// its own connections from it and sets their session (see Apply).
	DB              *sql.DB
	Database, Ghost string
	// Orig is the original table: row images are in its column order.
	Orig *schema.Table
	// Mapping names the shared columns and the migration key.
	Mapping *schema.Mapping
	// BatchSize is how many row changes one transaction applies.
	BatchSize int
	// Retries is how many times a transaction is attempted when it fails
	// with a lock wait timeout or a deadlock.
	Retries int
	// ReconnectWait is how long a transaction waits out a server it cannot
	// reach (restart, failover) before the apply fails; see dbconn.Policy.
	ReconnectWait time.Duration
	// SkipStrictMode keeps the server's sql_mode instead of adding
	// STRICT_ALL_TABLES (gh-ost's --skip-strict-mode).
	SkipStrictMode bool
	// Threads is how many transactions apply one batch at once, each
	// holding the batch's changes to a disjoint set of keys (0 or 1: one).
	Threads int
	// GhostDef is the ghost table's definition. When it has a unique key
	// besides the migration key, batches are applied in one transaction:
	// rows of different keys could then collide on that key, and whether
	// they do depends on the order they are written in.
	GhostDef *schema.Table
	Logger   zerolog.Logger
}

// column is one shared column.
type column struct {
	pos   int    // index in the original row image
	ghost string // name in the ghost table
	conv  converter
}

// Applier writes row changes of the original table to the ghost table. Its
// methods may be called concurrently; changes to one key must still reach it
// in commit order, which callers keep by sending a key's changes through one
// Apply at a time.
type Applier struct {
	log        zerolog.Logger
	skipStrict bool
	db         *sql.DB
	database   string
	ghost      string
	origTable  string // quoted `db`.`orig`
	origName   string
	width      int // columns in a row image
	batch      int
	retry      dbconn.Policy
	cols       []column
	key        []int // indexes into cols, in Mapping.KeyOrig order
	keyOrig    []string
	stmts      *statements
	origWhere  string // `k` = ? on the original table, for CheckDisplaced
	threads    int    // transactions per batch (see Config.Threads)

	idleMu sync.Mutex
	idle   []*session

	// commitMu orders commits against the displaced set: a transaction that
	// displaced rows commits holding it exclusively, every other one shared.
	commitMu  sync.RWMutex
	dispMu    sync.Mutex
	displaced map[string]KeyValues

	keysMu    sync.Mutex
	ghostKeys map[string]uniqueKey // loaded on the first duplicate
}

// New checks the configuration and prepares every statement shape's parts.
// It does not touch the server.
func New(cfg Config) (*Applier, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("new applier: no database pool")
	case cfg.Database == "" || cfg.Ghost == "":
		return nil, errors.New("new applier: ghost table not named")
	case cfg.Orig == nil || len(cfg.Orig.Columns) == 0:
		return nil, errors.New("new applier: original table has no columns")
	case cfg.Mapping == nil || len(cfg.Mapping.OrigColumns) == 0:
		return nil, errors.New("new applier: no shared columns")
	case len(cfg.Mapping.OrigColumns) != len(cfg.Mapping.GhostColumns):
		return nil, errors.New("new applier: shared column lists differ in length")
	case len(cfg.Mapping.KeyOrig) == 0 || len(cfg.Mapping.KeyOrig) != len(cfg.Mapping.KeyGhost):
		return nil, errors.New("new applier: migration key columns missing or mismatched")
	case cfg.BatchSize < 1:
		return nil, fmt.Errorf("new applier: batch size %d, want at least 1", cfg.BatchSize)
	}
	a := &Applier{
		log:        cfg.Logger.With().Str("component", "applier").Logger(),
		skipStrict: cfg.SkipStrictMode,
		db:         cfg.DB,
		database:   cfg.Database,
		ghost:      cfg.Ghost,
		origTable:  schema.QuoteTable(cfg.Orig.Schema, cfg.Orig.Name),
		origName:   cfg.Orig.Name,
		width:      len(cfg.Orig.Columns),
		batch:      cfg.BatchSize,
		retry:      dbconn.Policy{Attempts: max(cfg.Retries, 1), ReconnectWait: cfg.ReconnectWait},
		keyOrig:    cfg.Mapping.KeyOrig,
		displaced:  map[string]KeyValues{},
		threads:    max(cfg.Threads, 1),
	}
	if a.threads > 1 {
		// Without the ghost's definition its keys are unknown: stay ordered.
		k, ok := otherUniqueKey(cfg.GhostDef, cfg.Mapping.GhostKeyName)
		if ok {
			a.log.Info().Str("unique_key", k).Int("apply_threads", a.threads).
				Msg("the ghost has a unique key besides the migration key: changes are applied in order, one transaction at a time")
		}
		if ok || cfg.GhostDef == nil {
			a.threads = 1
		}
	}
	byName := map[string]int{}
	for i, c := range cfg.Orig.Columns {
		byName[strings.ToLower(c.Name)] = i
	}
	ghostNames := make([]string, len(cfg.Mapping.OrigColumns))
	placeholders := make([]string, len(cfg.Mapping.OrigColumns))
	for i, name := range cfg.Mapping.OrigColumns {
		pos, ok := byName[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("new applier: shared column %s not in %s", schema.QuoteIdent(name), a.origTable)
		}
		conv, err := newConverter(cfg.Orig.Columns[pos])
		if err != nil {
			return nil, fmt.Errorf("new applier: %w", err)
		}
		a.cols = append(a.cols, column{pos: pos, ghost: cfg.Mapping.GhostColumns[i], conv: conv})
		ghostNames[i], placeholders[i] = cfg.Mapping.GhostColumns[i], conv.placeholder()
	}
	keyGhost := make([]string, len(cfg.Mapping.KeyOrig))
	keyPH := make([]string, len(cfg.Mapping.KeyOrig))
	for j, name := range cfg.Mapping.KeyOrig {
		idx := -1
		for i, shared := range cfg.Mapping.OrigColumns {
			if strings.EqualFold(shared, name) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("new applier: migration key column %s is not shared", schema.QuoteIdent(name))
		}
		if !strings.EqualFold(cfg.Mapping.GhostColumns[idx], cfg.Mapping.KeyGhost[j]) {
			return nil, fmt.Errorf("new applier: migration key column %s maps to %s, not %s",
				schema.QuoteIdent(name), schema.QuoteIdent(cfg.Mapping.GhostColumns[idx]), schema.QuoteIdent(cfg.Mapping.KeyGhost[j]))
		}
		a.key = append(a.key, idx)
		keyGhost[j], keyPH[j] = cfg.Mapping.GhostColumns[idx], placeholders[idx]
	}
	a.stmts = newStatements(cfg.Database, cfg.Ghost, ghostNames, placeholders, keyGhost, keyPH)
	a.origWhere = equalsTuple(cfg.Mapping.KeyOrig, keyPH)
	return a, nil
}

// otherUniqueKey names a unique key of t other than the migration key.
func otherUniqueKey(t *schema.Table, migrationKey string) (string, bool) {
	if t == nil {
		return "", false
	}
	for _, k := range t.Keys {
		if (k.Unique || k.Primary) && !strings.EqualFold(k.Name, migrationKey) {
			return k.Name, true
		}
	}
	return "", false
}

// equalsTuple is a WHERE condition matching one key.
func equalsTuple(cols, placeholders []string) string {
	if len(cols) == 1 {
		return schema.QuoteIdent(cols[0]) + " = " + placeholders[0]
	}
	return "(" + schema.ColumnList(cols) + ") = (" + strings.Join(placeholders, ", ") + ")"
}

// Apply writes changes to the ghost table in order, BatchSize changes per
// transaction, each transaction retried on retryable errors. It returns after
// every change is committed. A failure leaves the earlier transactions
// committed; applying the same changes again is harmless.
//
// The connections come from Config.DB and are pinned: each is set once to
// autocommit=0, time_zone '+00:00' and the replay sql_mode (the server's
// mode without NO_ZERO_DATE and NO_ZERO_IN_DATE, with NO_AUTO_VALUE_ON_ZERO),
// kept for later calls, and closed rather than returned to the pool, so that
// no other user of the pool inherits that session.
//
// With Config.Threads above one, each stretch of Threads×BatchSize changes
// is coalesced as a whole and its keys dealt by hash to transactions that
// run at once, as many as the stretch fills batches of BatchSize keys and at
// most Threads: a key's changes stay in one transaction,
// and keys are independent (no other unique key, see Config.GhostDef), so
// the order between the transactions does not matter. Apply returns once
// all of them committed, so a caller's "applied up to here" holds.
func (a *Applier) Apply(ctx context.Context, changes []binlog.RowChange) error {
	step := a.batch * a.threads
	for start := 0; start < len(changes); start += step {
		part := changes[start:min(start+step, len(changes))]
		p, err := a.plan(part)
		if err != nil {
			return err
		}
		// No more transactions than the changes fill: a trickle of changes
		// spread over every thread would cost the server a commit per row.
		parts := p.split(min(a.threads, (len(p.entries)+a.batch-1)/a.batch))
		if len(parts) == 1 {
			if err := a.applyPlan(ctx, parts[0]); err != nil {
				return err
			}
			continue
		}
		g, gctx := errgroup.WithContext(ctx)
		for _, sub := range parts {
			g.Go(func() error { return a.applyPlan(gctx, sub) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}

// applyPlan applies one plan in one transaction, retried as a whole.
func (a *Applier) applyPlan(ctx context.Context, p plan) error {
	err := dbconn.Retry(ctx, a.retry, func(ctx context.Context) error {
		s, err := a.acquire(ctx)
		if err != nil {
			return err
		}
		if err := a.transaction(ctx, s, p); err != nil {
			a.discard(s)
			if dbconn.IsRetryable(err) {
				a.log.Warn().Uint16("errno", dbconn.ErrorNumber(err)).Int("changes", p.changes).
					Msg("apply attempt failed")
			}
			return err
		}
		a.release(s)
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply %d row changes: %w", p.changes, err)
	}
	return nil
}

// ApplyOn is Apply on the caller's connection, without retries: the cut-over
// drains the last changes on the connection that holds the table locks. conn
// must not be inside a transaction. Transactions are delimited with
// autocommit=0 and COMMIT rather than BEGIN, because BEGIN would release
// LOCK TABLES. The connection's autocommit, sql_mode and time_zone are
// restored before returning unless the connection failed, in which case it
// should not be used again.
func (a *Applier) ApplyOn(ctx context.Context, conn *sql.Conn, changes []binlog.RowChange) (err error) {
	if len(changes) == 0 {
		return nil
	}
	var (
		mode, zone string
		autocommit int
	)
	if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode, @@SESSION.time_zone, @@SESSION.autocommit").
		Scan(&mode, &zone, &autocommit); err != nil {
		return fmt.Errorf("read session settings: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION autocommit = 0, sql_mode = ?, time_zone = '+00:00'", replayMode(mode, a.skipStrict)); err != nil {
		return fmt.Errorf("set replay session: %w", err)
	}
	defer func() {
		if err != nil {
			if _, rerr := conn.ExecContext(ctx, "ROLLBACK"); rerr != nil {
				err = errors.Join(err, fmt.Errorf("roll back: %w", rerr))
				return
			}
		}
		if _, rerr := conn.ExecContext(ctx, "SET SESSION autocommit = ?, sql_mode = ?, time_zone = ?", autocommit, mode, zone); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore session settings: %w", rerr))
		}
	}()
	s := &session{conn: conn}
	for start := 0; start < len(changes); start += a.batch {
		part := changes[start:min(start+a.batch, len(changes))]
		p, err := a.plan(part)
		if err != nil {
			return err
		}
		if err := a.transaction(ctx, s, p); err != nil {
			return fmt.Errorf("apply %d row changes: %w", len(part), err)
		}
	}
	return nil
}

// Close closes the applier's pinned connections. It must not run
// concurrently with Apply.
func (a *Applier) Close() error {
	a.idleMu.Lock()
	idle := a.idle
	a.idle = nil
	a.idleMu.Unlock()
	for _, s := range idle {
		a.discard(s)
	}
	return nil
}

// replayMode is the sql_mode in which the original's rows are accepted as
// they are: zero dates and zero parts of dates are rows the original already
// holds, and an id of 0 must stay 0 rather than draw an auto-increment value.
// Strict mode is added (unless --skip-strict-mode), so a value the ghost
// cannot hold fails loudly instead of being truncated.
func replayMode(current string, skipStrict bool) string {
	return dbconn.ModePolicy{AllowZeroInDate: true, SkipStrict: skipStrict}.Apply(current)
}
