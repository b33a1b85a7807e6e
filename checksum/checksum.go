package checksum

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/doppel-dev/doppel/schema"
)

// Config is what one comparison needs.
type Config struct {
	Database    string
	Orig, Ghost *schema.Table   // both definitions, as loaded
	Mapping     *schema.Mapping // shared columns and the migration key
	// Threads is how many chunks are hashed at once, each on its own
	// snapshot connection.
	Threads int
	// ChunkSize is the number of original rows per chunk.
	ChunkSize int64
	// Wait blocks while the migration is throttled; nil never waits.
	Wait   func(context.Context) error
	Logger zerolog.Logger
}

// Checker compares an original table with its ghost.
type Checker struct {
	cfg       Config
	plans     []ColumnPlan
	origKey   schema.KeyRange
	ghostKey  schema.KeyRange
	origRow   string // the row string hashed on each side
	ghostRow  string
	hash      hashFuncs
	progress  atomic.Int64 // chunks done in the current pass
	total     atomic.Int64 // chunks in the current pass
	passStart atomic.Int64 // unix nanos

	mu         sync.Mutex
	lastChunks []Chunk // of the last full pass
}

// New plans the comparison of every shared column and logs the columns it
// cannot compare, with the reason.
func New(cfg Config) (*Checker, error) {
	if cfg.Threads < 1 {
		cfg.Threads = 1
	}
	if cfg.ChunkSize < 1 {
		return nil, errors.New("checksum: chunk size must be positive")
	}
	key, err := schema.NewKeyRange(cfg.Orig, cfg.Mapping.KeyOrig)
	if err != nil {
		return nil, fmt.Errorf("checksum: %w", err)
	}
	c := &Checker{cfg: cfg, origKey: key, ghostKey: key.Renamed(cfg.Mapping.KeyGhost)}
	var origParts, ghostParts []rowPart
	for i, name := range cfg.Mapping.OrigColumns {
		oc, ok1 := cfg.Orig.Column(name)
		gc, ok2 := cfg.Ghost.Column(cfg.Mapping.GhostColumns[i])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("checksum: shared column %s / %s missing from a table definition", name, cfg.Mapping.GhostColumns[i])
		}
		p := planColumn(oc, gc)
		c.plans = append(c.plans, p)
		if p.Skipped {
			cfg.Logger.Warn().Str("column", name).Str("reason", p.Reason).Msg("column not compared by the checksum")
			continue
		}
		bytes := classify(oc) == classBinary || classify(gc) == classBinary || classify(oc) == classSpatial
		nullable := oc.Nullable || gc.Nullable
		origParts = append(origParts, rowPart{expr: p.OrigExpr, col: oc, same: p.Domain == "same", bytes: bytes, nullable: nullable})
		ghostParts = append(ghostParts, rowPart{expr: p.GhostExpr, col: gc, same: p.Domain == "same", bytes: bytes, nullable: nullable})
	}
	c.origRow, c.ghostRow = rowString(origParts), rowString(ghostParts)
	return c, nil
}

// rowPart is one compared column in a row string.
type rowPart struct {
	expr     string // the plan's expression: a binary string or NULL
	col      schema.Column
	same     bool // the type is unchanged
	bytes    bool // raw bytes, which may hold the separator
	nullable bool // on either side
}

// unicode charsets are the ones any other converts into without loss.
var unicode = map[string]bool{"utf8mb4": true, "utf8mb3": true, "utf8": true, "ucs2": true, "utf16": true, "utf16le": true, "utf32": true}

// rowString concatenates a row's compared values, separated by a 0x00 byte,
// with the NULL-ness of each nullable value appended (CONCAT_WS skips
// NULLs) and the length of every raw-bytes value before it (only those can
// hold the separator). A column whose type is unchanged is used as it is:
// both sides render it the same way, and casting every value to binary
// doubles the cost of the checksum. Only when two non-Unicode charsets
// meet in one row, which CONCAT_WS refuses to mix, are those cast.
func rowString(parts []rowPart) string {
	legacy := map[string]bool{}
	for _, p := range parts {
		if p.same && classify(p.col) == classText && !unicode[p.col.Charset] {
			legacy[p.col.Charset] = true
		}
	}
	var vals, nulls []string
	for _, p := range parts {
		e := p.expr
		if p.same {
			switch cl := classify(p.col); {
			case cl == classFloat || cl == classDouble || cl == classJSON || cl == classOther:
			case cl == classText && !unicode[p.col.Charset] && len(legacy) > 1:
			default:
				e = schema.QuoteIdent(p.col.Name)
			}
		}
		if p.bytes {
			vals = append(vals, "LENGTH("+e+")")
		}
		vals = append(vals, e)
		if p.nullable {
			nulls = append(nulls, "ISNULL("+e+")")
		}
	}
	if len(nulls) > 0 {
		vals = append(vals, "CONCAT("+strings.Join(nulls, ", ")+")")
	}
	if len(vals) == 0 {
		return "''"
	}
	return "CONCAT_WS(0x00, " + strings.Join(vals, ", ") + ")"
}

// Plans says how each shared column is compared.
func (c *Checker) Plans() []ColumnPlan { return c.plans }

// Progress reports the current pass: chunks done, chunks in total, and when
// the pass started.
func (c *Checker) Progress() (done, total int64, started time.Time) {
	return c.progress.Load(), c.total.Load(), time.Unix(0, c.passStart.Load())
}

// hashFuncs are the two independent 32-bit row hashes whose sums make a
// chunk's fingerprint; with the row count a difference escapes both with a
// chance around 2^-64.
type hashFuncs struct{ a, b string }

// detectHash prefers CRC32 and CRC32C (MariaDB 10.8+), fast in the server,
// and falls back to two halves of MD5 elsewhere.
func detectHash(ctx context.Context, q querier) hashFuncs {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT CRC32C('')").Scan(&v); err == nil {
		return hashFuncs{"CRC32(%s)", "CRC32C(%s)"}
	}
	return hashFuncs{"CAST(CONV(LEFT(MD5(%[1]s), 8), 16, 10) AS UNSIGNED)", "CAST(CONV(SUBSTRING(MD5(%[1]s), 9, 8), 16, 10) AS UNSIGNED)"}
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Chunk is a key range (Low, High] of the migration key; a nil bound is
// open, so the first and last chunks also catch ghost rows outside the
// original's key range.
type Chunk struct {
	Low, High []any
}

func (ch Chunk) String() string {
	low, high := "-inf", "+inf"
	if ch.Low != nil {
		low = schema.FormatKey(ch.Low)
	}
	if ch.High != nil {
		high = schema.FormatKey(ch.High)
	}
	return "(" + low + " .. " + high + "]"
}

// Diff is one chunk whose tables differ.
type Diff struct {
	Chunk
	OrigRows, GhostRows int64
	// Keys are up to maxKeys migration keys whose rows differ: missing from
	// the ghost, only in the ghost, or with different values.
	Keys [][]any
}

// maxKeys bounds the differing keys a Diff names.
const maxKeys = 10

// Result is one pass.
type Result struct {
	Chunks int
	Rows   int64 // original rows compared
	Diffs  []Diff
}

// Chunks cuts the original's migration key, as the snapshot sees it, into
// chunks of about ChunkSize rows: by arithmetic for an integer key, else by
// walking the key.
func (c *Checker) Chunks(ctx context.Context, snap *Snapshot) ([]Chunk, error) {
	conn := snap.conns[0]
	if ok, unsigned := c.intKey(); ok {
		return c.arithmeticChunks(ctx, conn, unsigned)
	}
	from := fmt.Sprintf("SELECT %s FROM %s FORCE INDEX (%s)", c.origKey.Select(),
		schema.QuoteTable(c.cfg.Database, c.cfg.Orig.Name), schema.QuoteIdent(c.cfg.Mapping.KeyName))
	var chunks []Chunk
	var low []any
	for {
		where, args := c.origKey.Where(low, false, nil)
		q := fmt.Sprintf("%s WHERE %s ORDER BY %s LIMIT 1 OFFSET %d", from, where, c.origKey.OrderBy("ASC"), c.cfg.ChunkSize-1)
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("checksum: find chunk boundary: %w", err)
		}
		var high []any
		if rows.Next() {
			high, err = c.origKey.Scan(rows)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("checksum: find chunk boundary: %w", err)
		}
		chunks = append(chunks, Chunk{Low: low, High: high})
		if high == nil {
			return chunks, nil
		}
		low = high
	}
}

// Compare hashes every chunk on both sides in the snapshot, Threads chunks
// at a time, and lists the chunks that differ with their differing keys.
func (c *Checker) Compare(ctx context.Context, snap *Snapshot, chunks []Chunk) (Result, error) {
	c.progress.Store(0)
	c.total.Store(int64(len(chunks)))
	c.passStart.Store(time.Now().UnixNano())
	if c.hash.a == "" {
		c.hash = detectHash(ctx, snap.conns[0])
	}
	res := Result{Chunks: len(chunks)}
	work := make(chan int)
	type outcome struct {
		rows  int64
		diffs []Diff
	}
	out := make([]outcome, len(chunks))
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(work)
		for i := range chunks {
			select {
			case work <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for _, conn := range snap.conns {
		g.Go(func() error {
			for i := range work {
				if c.cfg.Wait != nil {
					if err := c.cfg.Wait(gctx); err != nil {
						return err
					}
				}
				rows, diffs, err := c.compareChunk(gctx, conn, chunks[i])
				if err != nil {
					return err
				}
				out[i] = outcome{rows, diffs}
				c.progress.Add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	for _, o := range out {
		res.Rows += o.rows
		res.Diffs = append(res.Diffs, o.diffs...)
	}
	return res, nil
}

type fingerprint struct {
	rows int64
	a, b string // decimal sums, compared as text
}

// compareChunk compares one chunk; a differing chunk that holds many rows
// is split and its parts compared, so the differences found are small
// chunks with their keys.
func (c *Checker) compareChunk(ctx context.Context, conn *sql.Conn, ch Chunk) (int64, []Diff, error) {
	o, err := c.fingerprint(ctx, conn, c.origSide(), ch)
	if err != nil {
		return 0, nil, err
	}
	g, err := c.fingerprint(ctx, conn, c.ghostSide(), ch)
	if err != nil {
		return 0, nil, err
	}
	if o == g {
		return o.rows, nil, nil
	}
	if ok, unsigned := c.intKey(); ok && max(o.rows, g.rows) > 2*c.cfg.ChunkSize {
		if parts := split(ch, 8, unsigned); parts != nil {
			var diffs []Diff
			for _, p := range parts {
				_, d, err := c.compareChunk(ctx, conn, p)
				if err != nil {
					return 0, nil, err
				}
				diffs = append(diffs, d...)
			}
			return o.rows, diffs, nil
		}
	}
	d := Diff{Chunk: ch, OrigRows: o.rows, GhostRows: g.rows}
	if d.Keys, err = c.differingKeys(ctx, conn, ch); err != nil {
		return 0, nil, err
	}
	return o.rows, []Diff{d}, nil
}

// side is one table of the comparison.
type side struct {
	table, index string
	key          schema.KeyRange
	row          string
}

func (c *Checker) origSide() side {
	return side{c.cfg.Orig.Name, c.cfg.Mapping.KeyName, c.origKey, c.origRow}
}

func (c *Checker) ghostSide() side {
	return side{c.cfg.Ghost.Name, c.cfg.Mapping.GhostKeyName, c.ghostKey, c.ghostRow}
}

func (s side) from(database string) string {
	return fmt.Sprintf("%s FORCE INDEX (%s)", schema.QuoteTable(database, s.table), schema.QuoteIdent(s.index))
}

func (c *Checker) fingerprint(ctx context.Context, conn *sql.Conn, s side, ch Chunk) (fingerprint, error) {
	where, args := s.key.Where(ch.Low, false, ch.High)
	q := fmt.Sprintf("SELECT COUNT(*), COALESCE(SUM(%s), 0), COALESCE(SUM(%s), 0) FROM %s WHERE %s",
		fmt.Sprintf(c.hash.a, s.row), fmt.Sprintf(c.hash.b, s.row), s.from(c.cfg.Database), where)
	var f fingerprint
	if err := conn.QueryRowContext(ctx, q, args...).Scan(&f.rows, &f.a, &f.b); err != nil {
		return f, fmt.Errorf("checksum %s chunk %s: %w", s.table, ch, err)
	}
	return f, nil
}

// differingKeys compares a differing chunk row by row and returns up to
// maxKeys keys whose rows differ.
func (c *Checker) differingKeys(ctx context.Context, conn *sql.Conn, ch Chunk) ([][]any, error) {
	read := func(s side) (map[string][]any, map[string]string, []string, error) {
		where, args := s.key.Where(ch.Low, false, ch.High)
		q := fmt.Sprintf("SELECT %s, CONCAT(%s, '/', %s) FROM %s WHERE %s ORDER BY %s", s.key.Select(),
			fmt.Sprintf(c.hash.a, s.row), fmt.Sprintf(c.hash.b, s.row), s.from(c.cfg.Database), where, s.key.OrderBy("ASC"))
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("checksum %s chunk %s rows: %w", s.table, ch, err)
		}
		defer rows.Close()
		keys, hashes := map[string][]any{}, map[string]string{}
		var order []string
		for rows.Next() {
			var h string
			k, err := s.key.Scan(rows, &h)
			if err != nil {
				return nil, nil, nil, err
			}
			id := schema.FormatKey(k)
			keys[id], hashes[id] = k, h
			order = append(order, id)
		}
		return keys, hashes, order, rows.Err()
	}
	ok, oh, oOrder, err := read(c.origSide())
	if err != nil {
		return nil, err
	}
	gk, gh, gOrder, err := read(c.ghostSide())
	if err != nil {
		return nil, err
	}
	var out [][]any
	for _, id := range oOrder {
		if h, in := gh[id]; (!in || h != oh[id]) && len(out) < maxKeys {
			out = append(out, ok[id])
		}
	}
	for _, id := range gOrder {
		if _, in := oh[id]; !in && len(out) < maxKeys {
			out = append(out, gk[id])
		}
	}
	return out, nil
}
