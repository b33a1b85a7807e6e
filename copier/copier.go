package copier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// Config is what one copy needs.
type Config struct {
	DB       *sql.DB // pool on the server holding both tables
	Database string
	Original string
	Ghost    string
	Orig     *schema.Table   // the original's definition: key column types
	Mapping  *schema.Mapping // shared columns and the migration key
	// ChunkSize is the rows of the first chunk; with TargetChunkTime it then
	// adapts, within MinChunkSize..MaxChunkSize.
	ChunkSize int64
	// TargetChunkTime is how long one chunk should take; 0 keeps ChunkSize.
	TargetChunkTime time.Duration
	// LockWaits reads the server's count of row lock waits
	// (Innodb_row_lock_waits). When it rises during the copy, chunks aim
	// for less than TargetChunkTime (see contention); nil keeps the target.
	LockWaits func(context.Context) (int64, error)
	// Threads is how many chunks are copied at once (0 counts as 1).
	Threads int
	Retries int
	// ReconnectWait is how long a chunk waits out a server it cannot reach
	// (restart, failover) before the copy fails; see dbconn.Policy.
	ReconnectWait time.Duration
	Flavor        string // "mariadb" or "mysql": the locking-read clause
	// Wait blocks while the migration is throttled; nil never waits.
	Wait func(context.Context) error
	// Admit blocks worker w (0-based, below Threads) until it may copy its
	// next chunk; the migration narrows the copy with it while the applier
	// is behind. nil admits every worker at once.
	Admit func(ctx context.Context, w int) error
	// Nice runs after each chunk with the time the chunk took (gh-ost's
	// --nice-ratio sleeps a multiple of it); nil does nothing.
	Nice func(ctx context.Context, took time.Duration) error
	// OnChunk is told of each chunk copied: the rows it inserted and the
	// time it took, retries included (for metrics); nil does nothing.
	OnChunk func(rows int64, took time.Duration)
	// OnRetry is told of each error a chunk is retried after (gh-ost's
	// on-batch-copy-retry hook); nil does nothing.
	OnRetry func(err error)
	// OnConflict receives the migration keys of original rows the copy skipped
	// because they collided with another row on a unique key other than the
	// migration key. The caller must prove each one later or fail.
	OnConflict func(keys [][]any)
	// SkipStrictMode keeps the server's sql_mode instead of adding
	// STRICT_ALL_TABLES (gh-ost's --skip-strict-mode).
	SkipStrictMode bool
	// PanicOnWarnings fails the copy at the first duplicate on another
	// unique key, instead of recording the skipped rows for proof later
	// (gh-ost's --panic-on-warnings). Other warnings always fail it.
	PanicOnWarnings bool
	// Resume continues an interrupted copy: every chunk up to and including
	// the key Resume.After (a Watermark of the earlier run) is in the ghost.
	Resume *Resume
	Logger zerolog.Logger
}

// Resume is where an earlier run of the copy stopped.
type Resume struct {
	After  string // a Watermark; "" when no chunk was done
	Done   bool   // every chunk was copied
	Rows   int64  // rows and chunks copied before, for progress
	Chunks int64
}

// Chunk is one key range: (Low, High] on the migration key, or [Low, High]
// for the first chunk.
type Chunk struct {
	Low, High []any
	First     bool
	// Rows is the chunk size the range was planned with (0: unknown).
	Rows int64
}

// Copier copies the original table into the ghost.
type Copier struct {
	cfg Config
	// chunkCols are the columns chunks range over, in chunkIndex: the
	// original's primary key when it has a usable one, else the migration
	// key. Ranging over the clustered index means a chunk's locking read
	// takes no secondary-index locks, so a writer changing a unique key
	// cannot deadlock against the copy.
	chunk      schema.KeyRange
	chunkIndex string
	key        schema.KeyRange // the migration key, in the original
	size       sizer           // rows per chunk: adapted, and an operator may change it
	contention contention      // the chunk time aimed for while sessions wait on locks
	copied     atomic.Int64
	chunks     atomic.Int64
	done       atomic.Bool
	// finished holds the watermark: the encoded high key of a chunk such
	// that it and every chunk before it are in the ghost.
	finished      lowWatermark
	resumeAfter   []any
	insertSQL     string // prefix; the WHERE range is appended per shape
	lockSQL       string
	sqlMode       string // set on every chunk's session; read once in Run
	readCommitted bool   // chunks run under READ COMMITTED (no gap locks)
}

// New validates cfg.
func New(cfg Config) (*Copier, error) {
	if cfg.ChunkSize <= 0 {
		return nil, errors.New("copier: chunk size must be positive")
	}
	if len(cfg.Mapping.KeyOrig) == 0 {
		return nil, errors.New("copier: no migration key")
	}
	c := &Copier{cfg: cfg}
	c.size.set(cfg.ChunkSize)
	key, err := schema.NewKeyRange(cfg.Orig, cfg.Mapping.KeyOrig)
	if err != nil {
		return nil, fmt.Errorf("copier: %w", err)
	}
	c.key = key
	c.chunk, c.chunkIndex = key, cfg.Mapping.KeyName
	if pk, ok := clusteredKey(cfg.Orig); ok {
		c.chunk, c.chunkIndex = schema.KeyRange{Cols: pk}, "PRIMARY"
	}
	if r := cfg.Resume; r != nil {
		c.copied.Store(r.Rows)
		c.chunks.Store(r.Chunks)
		c.done.Store(r.Done)
		if r.After != "" {
			if c.resumeAfter, err = c.chunk.DecodeKey(r.After); err != nil {
				return nil, fmt.Errorf("copier: resume point: %w", err)
			}
			c.finished.start(r.After)
		}
	}
	c.lockSQL = "LOCK IN SHARE MODE"
	if cfg.Flavor == "mysql" {
		c.lockSQL = "FOR SHARE"
	}
	c.insertSQL = fmt.Sprintf("INSERT IGNORE INTO %s (%s) SELECT %s FROM %s FORCE INDEX (%s)",
		schema.QuoteTable(cfg.Database, cfg.Ghost), schema.ColumnList(cfg.Mapping.GhostColumns),
		schema.ColumnList(cfg.Mapping.OrigColumns), schema.QuoteTable(cfg.Database, cfg.Original),
		schema.QuoteIdent(c.chunkIndex))
	return c, nil
}

// clusteredKey returns the original's primary key columns when ranges over
// them are exact (no prefix parts, no inexact or generated columns).
func clusteredKey(t *schema.Table) ([]schema.Column, bool) {
	if len(t.Keys) == 0 || !t.Keys[0].Primary {
		return nil, false
	}
	pk := t.Keys[0]
	var cols []schema.Column
	for i, name := range pk.Columns {
		col, ok := t.Column(name)
		if !ok || col.Generated || col.Nullable || (i < len(pk.SubParts) && pk.SubParts[i] > 0) {
			return nil, false
		}
		switch col.DataType {
		case "float", "double", "real", "json":
			return nil, false
		}
		cols = append(cols, col)
	}
	return cols, len(cols) > 0
}

func (c *Copier) retryPolicy() dbconn.Policy {
	return dbconn.Policy{Attempts: c.cfg.Retries, ReconnectWait: c.cfg.ReconnectWait}
}

// ChunkSize is the current number of rows per chunk.
func (c *Copier) ChunkSize() int64 {
	n, _ := c.size.get()
	return n
}

// SetChunkSize changes the rows per chunk from the next chunk planned on;
// with a target chunk time, sizing adapts from there.
func (c *Copier) SetChunkSize(n int64) error {
	if n <= 0 {
		return errors.New("chunk size must be positive")
	}
	c.size.set(n)
	return nil
}

// Copied is the number of rows the copy has inserted so far.
func (c *Copier) Copied() int64 { return c.copied.Load() }

// Chunks is the number of chunks copied so far.
func (c *Copier) Chunks() int64 { return c.chunks.Load() }

// Done reports whether every chunk up to the initial maximum key is copied.
func (c *Copier) Done() bool { return c.done.Load() }

// Watermark is a resume point for Config.Resume: every row with a key up
// to it was copied. It is "" before the first chunk is done. It is a low
// watermark: chunks committed above an unfinished one do not count yet.
func (c *Copier) Watermark() string { return c.finished.get() }

// Run copies every row whose key is at most the table's maximum key at the
// time Run starts; a resumed copy starts after its watermark.
func (c *Copier) Run(ctx context.Context) error {
	if c.done.Load() {
		c.cfg.Logger.Info().Int64("rows", c.Copied()).Msg("row copy was complete before the resume")
		return nil
	}
	var mode, format string
	if err := c.cfg.DB.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode, @@SESSION.binlog_format").Scan(&mode, &format); err != nil {
		return fmt.Errorf("read sql_mode: %w", err)
	}
	// READ COMMITTED takes no gap locks, so writers inserting next to a
	// chunk wait less. InnoDB allows it for INSERT … SELECT only when the
	// statement is logged as rows.
	c.readCommitted = !strings.EqualFold(format, "STATEMENT")
	// Rows are copied as the original holds them (zero dates included);
	// see dbconn.ModePolicy.
	c.sqlMode = dbconn.ModePolicy{AllowZeroInDate: true, SkipStrict: c.cfg.SkipStrictMode}.Apply(mode)
	lo, hi, err := c.bounds(ctx)
	if err != nil {
		return err
	}
	if lo == nil {
		c.cfg.Logger.Info().Msg("original table is empty, nothing to copy")
		c.done.Store(true)
		return nil
	}
	first := Chunk{Low: lo, First: true}
	if c.resumeAfter != nil {
		// Rows at or below the watermark were copied, and every change to
		// them since reaches the ghost through the binlog replay.
		first = Chunk{Low: c.resumeAfter}
		c.cfg.Logger.Info().Str("after", schema.FormatKey(c.resumeAfter)).Int64("rows_before", c.Copied()).
			Msg("row copy resumes")
	}
	if err := c.copyAll(ctx, first, hi); err != nil {
		return err
	}
	c.done.Store(true)
	c.cfg.Logger.Info().Int64("rows", c.Copied()).Int64("chunks", c.Chunks()).Msg("row copy complete")
	return nil
}

// bounds reads the smallest and largest migration key; nil when the table is empty.
func (c *Copier) bounds(ctx context.Context) (lo, hi []any, err error) {
	keys := c.chunk.Select()
	from := fmt.Sprintf("SELECT %s FROM %s FORCE INDEX (%s)", keys,
		schema.QuoteTable(c.cfg.Database, c.cfg.Original), schema.QuoteIdent(c.chunkIndex))
	lo, err = c.scanKey(ctx, from+" ORDER BY "+c.chunk.OrderBy("ASC")+" LIMIT 1")
	if err != nil || lo == nil {
		return nil, nil, err
	}
	hi, err = c.scanKey(ctx, from+" ORDER BY "+c.chunk.OrderBy("DESC")+" LIMIT 1")
	return lo, hi, err
}

// chunkEnd finds the key ch.Rows rows past the chunk's start, or the
// maximum key when fewer rows remain (last is then true).
func (c *Copier) chunkEnd(ctx context.Context, ch Chunk, max []any) (end []any, last bool, err error) {
	where, args := c.chunk.Where(ch.Low, ch.First, max)
	q := fmt.Sprintf("SELECT %s FROM %s FORCE INDEX (%s) WHERE %s ORDER BY %s LIMIT 1 OFFSET %d",
		c.chunk.Select(), schema.QuoteTable(c.cfg.Database, c.cfg.Original),
		schema.QuoteIdent(c.chunkIndex), where, c.chunk.OrderBy("ASC"), ch.Rows-1)
	end, err = c.scanKey(ctx, q, args...)
	if err != nil {
		return nil, false, err
	}
	if end == nil {
		return max, true, nil
	}
	return end, schema.EqualKeys(end, max), nil
}

// copyChunk copies one chunk and returns the time it took, retries and
// warnings included (what the chunk size adapts to).
func (c *Copier) copyChunk(ctx context.Context, ch Chunk) (time.Duration, error) {
	where, args := c.chunk.Where(ch.Low, ch.First, ch.High)
	q := c.insertSQL + " WHERE " + where + " " + c.lockSQL
	start := time.Now()
	var inserted int64
	var warnings []warning
	var lastErr error
	err := dbconn.Retry(ctx, c.retryPolicy(), func(ctx context.Context) (err error) {
		if lastErr != nil && c.cfg.OnRetry != nil {
			c.cfg.OnRetry(lastErr)
		}
		defer func() { lastErr = err }()
		conn, err := c.cfg.DB.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := c.prepareSession(ctx, conn, ch.Rows); err != nil {
			return err
		}
		res, err := conn.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		inserted, _ = res.RowsAffected()
		warnings, err = readWarnings(ctx, conn)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("copy chunk %s: %w", c.describe(ch), err)
	}
	c.copied.Add(inserted)
	if err := c.judgeWarnings(ctx, ch, warnings); err != nil {
		return 0, err
	}
	took := time.Since(start)
	c.cfg.Logger.Debug().Int64("rows", inserted).Dur("took", took).Msg("chunk copied")
	if c.cfg.OnChunk != nil {
		c.cfg.OnChunk(inserted, took)
	}
	return took, nil
}

// prepareSession makes the chunk's session copy values verbatim (a zero id
// stays zero instead of drawing an auto-increment value) and keeps every
// warning of the chunk, so none is judged unseen: rows is the size the range
// was planned with, which the current size may since have shrunk below.
func (c *Copier) prepareSession(ctx context.Context, conn *sql.Conn, rows int64) error {
	maxErr := min(max(rows*2, 1000), 65535)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION sql_mode = ?, SESSION max_error_count = %d", maxErr), c.sqlMode); err != nil {
		return err
	}
	if c.readCommitted {
		if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"); err != nil {
			return err
		}
	}
	return nil
}

type warning struct {
	Level   string
	Code    uint16
	Message string
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func readWarnings(ctx context.Context, conn querier) ([]warning, error) {
	rows, err := conn.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return nil, fmt.Errorf("show warnings: %w", err)
	}
	defer rows.Close()
	var ws []warning
	for rows.Next() {
		var w warning
		if err := rows.Scan(&w.Level, &w.Code, &w.Message); err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, rows.Err()
}

var dupKeyName = regexp.MustCompile(`for key '(?:[^']*\.)?([^']+)'$`)

// noteColumn finds the column a warning names: "for column 'c' at row 1", or
// MariaDB's "for column `db`.`t`.`c` at row 1".
var noteColumn = regexp.MustCompile("for column (?:'([^']+)'|(?:`[^`]*`\\.)*`([^`]+)`)")

// computedByGhost reports whether a warning is a Note about a column the copy
// does not write: a generated column of the ghost, whose value the server
// derives from copied ones. Rounding it is part of the ALTER (running the
// ALTER directly rounds it too, silently) and changes no copied value.
func (c *Copier) computedByGhost(w warning) bool {
	if !strings.EqualFold(w.Level, "Note") {
		return false
	}
	m := noteColumn.FindStringSubmatch(w.Message)
	if m == nil {
		return false
	}
	col := m[1] + m[2]
	for _, g := range c.cfg.Mapping.GhostColumns {
		if strings.EqualFold(g, col) {
			return false
		}
	}
	return true
}

// judgeWarnings decides what each INSERT IGNORE warning means (see doc.go).
func (c *Copier) judgeWarnings(ctx context.Context, ch Chunk, ws []warning) error {
	return c.judgeRange(ctx, "chunk "+c.describe(ch), ws, func(ctx context.Context) ([][]any, error) {
		return c.missingKeys(ctx, ch)
	})
}

// judgeRange judges the warnings of one copy of a key range; missing lists
// the range's original rows the ghost lacks.
func (c *Copier) judgeRange(ctx context.Context, what string, ws []warning, missing func(context.Context) ([][]any, error)) error {
	otherKey := false
	for _, w := range ws {
		if c.computedByGhost(w) {
			continue
		}
		if w.Code != dbconn.ErDupEntry {
			return fmt.Errorf("copy %s: the server changed or rejected a value (%s %d: %s); "+
				"the ALTER would lose data: fix the data or the ALTER", what, w.Level, w.Code, w.Message)
		}
		m := dupKeyName.FindStringSubmatch(w.Message)
		if m == nil || !strings.EqualFold(m[1], c.cfg.Mapping.GhostKeyName) {
			if c.cfg.PanicOnWarnings {
				return fmt.Errorf("copy %s: %s: %s; --panic-on-warnings stops the migration at the first row the copy would skip",
					what, w.Level, w.Message)
			}
			otherKey = true
		}
	}
	if !otherKey {
		return nil
	}
	keys, err := missing(ctx)
	if err != nil {
		return fmt.Errorf("copy %s: find rows skipped on a unique key: %w", what, err)
	}
	if len(keys) > 0 {
		c.cfg.Logger.Warn().Int("rows", len(keys)).
			Msg("rows collided on a unique key other than the migration key")
		if c.cfg.OnConflict != nil {
			c.cfg.OnConflict(keys)
		}
	}
	return nil
}

// missingKeys lists keys of the chunk present in the original but not in the ghost.
func (c *Copier) missingKeys(ctx context.Context, ch Chunk) ([][]any, error) {
	where, args := c.chunk.Qualified("o").Where(ch.Low, ch.First, ch.High)
	return c.missing(ctx, where, args)
}

// missing lists keys of original rows matching where (over alias o) that
// the ghost lacks.
func (c *Copier) missing(ctx context.Context, where string, args []any) ([][]any, error) {
	var on []string
	for i, k := range c.cfg.Mapping.KeyOrig {
		on = append(on, fmt.Sprintf("g.%s = o.%s", schema.QuoteIdent(c.cfg.Mapping.KeyGhost[i]), schema.QuoteIdent(k)))
	}
	q := fmt.Sprintf("SELECT %s FROM %s o LEFT JOIN %s g ON %s WHERE %s AND g.%s IS NULL",
		c.key.Qualified("o").Select(), schema.QuoteTable(c.cfg.Database, c.cfg.Original),
		schema.QuoteTable(c.cfg.Database, c.cfg.Ghost), strings.Join(on, " AND "),
		where, schema.QuoteIdent(c.cfg.Mapping.KeyGhost[0]))
	rows, err := c.cfg.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		k, err := c.key.Scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (c *Copier) describe(ch Chunk) string {
	open := "("
	if ch.First {
		open = "["
	}
	return fmt.Sprintf("%s%s .. %s]", open, schema.FormatKey(ch.Low), schema.FormatKey(ch.High))
}

// Recopy replaces the ghost's rows with migration keys in (low, high] (a nil
// bound is open) by the original's current rows, in one transaction: the
// checksum's repair of a chunk that differs. The original's rows are read
// with the same locking read as a chunk copy, so a change committed after
// the read reaches the applier after the repair (design.md, invariant 2).
// It returns the number of rows written.
func (c *Copier) Recopy(ctx context.Context, low, high []any) (int64, error) {
	ghostKey := c.key.Renamed(c.cfg.Mapping.KeyGhost)
	gWhere, gArgs := ghostKey.Where(low, false, high)
	oWhere, oArgs := c.key.Where(low, false, high)
	del := fmt.Sprintf("DELETE FROM %s WHERE %s", schema.QuoteTable(c.cfg.Database, c.cfg.Ghost), gWhere)
	ins := fmt.Sprintf("INSERT IGNORE INTO %s (%s) SELECT %s FROM %s FORCE INDEX (%s) WHERE %s %s",
		schema.QuoteTable(c.cfg.Database, c.cfg.Ghost), schema.ColumnList(c.cfg.Mapping.GhostColumns),
		schema.ColumnList(c.cfg.Mapping.OrigColumns), schema.QuoteTable(c.cfg.Database, c.cfg.Original),
		schema.QuoteIdent(c.cfg.Mapping.KeyName), oWhere, c.lockSQL)
	desc := fmt.Sprintf("(%s .. %s]", schema.FormatKey(low), schema.FormatKey(high))
	var written int64
	var warnings []warning
	err := dbconn.Retry(ctx, c.retryPolicy(), func(ctx context.Context) error {
		conn, err := c.cfg.DB.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := c.prepareSession(ctx, conn, c.ChunkSize()); err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		if _, err := tx.ExecContext(ctx, del, gArgs...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, ins, oArgs...)
		if err != nil {
			return err
		}
		written, _ = res.RowsAffected()
		if warnings, err = readWarnings(ctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return 0, fmt.Errorf("recopy keys %s: %w", desc, err)
	}
	return written, c.judgeRange(ctx, desc, warnings, func(ctx context.Context) ([][]any, error) {
		w, a := c.key.Qualified("o").Where(low, false, high)
		return c.missing(ctx, w, a)
	})
}
