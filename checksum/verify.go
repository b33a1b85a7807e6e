package checksum

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/doppel-dev/doppel/schema"
)

// Repairs is how many times differing chunks are recopied and compared
// again before the verification gives up.
const Repairs = 3

// Repair replaces the ghost's rows in ch by the original's current rows,
// under the copier's locking rules, and returns the rows written.
type Repair func(ctx context.Context, ch Chunk) (int64, error)

// Outcome is what a verification found and did.
type Outcome struct {
	Chunks   int   // chunks in the full pass
	Rows     int64 // original rows compared in the full pass
	Repaired int   // chunk repairs made
	Passes   int   // comparisons, the full pass included
	// LockWait and LockHeld are the longest wait for, and hold of, the read
	// lock of a consistent point: writers to the locked tables stall for
	// both.
	LockWait, LockHeld time.Duration
	Duration           time.Duration
}

// ErrMismatch is wrapped by the error of a verification that could not make
// the tables equal.
var ErrMismatch = errors.New("the tables differ")

// Verify compares the tables in full at a point open takes, then recopies
// each differing chunk with repair and compares it again at a new point, up
// to Repairs times. It returns nil only after a comparison with no
// difference. With a nil repair, the first difference is final.
func (c *Checker) Verify(ctx context.Context, open func(context.Context) (*Snapshot, error), repair Repair) (Outcome, error) {
	return c.verify(ctx, open, repair, nil)
}

// VerifyChunks is Verify over some chunks of the last full pass only: the
// quick check of the chunks written to since.
func (c *Checker) VerifyChunks(ctx context.Context, open func(context.Context) (*Snapshot, error), repair Repair, chunks []Chunk) (Outcome, error) {
	if len(chunks) == 0 {
		return Outcome{}, nil
	}
	return c.verify(ctx, open, repair, chunks)
}

// LastChunks returns the chunks of the last full pass.
func (c *Checker) LastChunks() []Chunk {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastChunks
}

func (c *Checker) verify(ctx context.Context, open func(context.Context) (*Snapshot, error), repair Repair, chunks []Chunk) (Outcome, error) {
	began := time.Now()
	var out Outcome
	snap, err := open(ctx)
	if err != nil {
		return out, err
	}
	out.LockWait, out.LockHeld = snap.LockWait, snap.LockHeld
	full := chunks == nil
	if full {
		if chunks, err = c.Chunks(ctx, snap); err != nil {
			snap.Close()
			return out, err
		}
		c.cfg.Logger.Debug().Int("chunks", len(chunks)).Dur("elapsed", time.Since(began)).Msg("checksum chunk boundaries read")
		c.mu.Lock()
		c.lastChunks = chunks
		c.mu.Unlock()
	}
	res, err := c.Compare(ctx, snap, chunks)
	snap.Close()
	if err != nil {
		return out, err
	}
	out.Chunks, out.Rows, out.Passes = res.Chunks, res.Rows, 1
	c.cfg.Logger.Info().Bool("full", full).Int("chunks", res.Chunks).Int64("rows", res.Rows).Int("differing_chunks", len(res.Diffs)).
		Dur("elapsed", time.Since(began)).Dur("lock_held", snap.LockHeld).Msg("checksum pass done")
	for round := 1; len(res.Diffs) > 0; round++ {
		if repair == nil || round > Repairs {
			out.Duration = time.Since(began)
			return out, c.mismatchError(ctx, open, res.Diffs, repair != nil)
		}
		var again []Chunk
		for _, d := range res.Diffs {
			c.cfg.Logger.Warn().Str("chunk", d.Chunk.String()).Int64("orig_rows", d.OrigRows).Int64("ghost_rows", d.GhostRows).
				Int("differing_keys", len(d.Keys)).Int("attempt", round).Msg("checksum mismatch, recopying the chunk")
			if _, err := repair(ctx, d.Chunk); err != nil {
				return out, fmt.Errorf("repair chunk %s: %w", d.Chunk, err)
			}
			out.Repaired++
			again = append(again, d.Chunk)
		}
		snap, err := open(ctx)
		if err != nil {
			return out, err
		}
		out.LockWait, out.LockHeld = max(out.LockWait, snap.LockWait), max(out.LockHeld, snap.LockHeld)
		res, err = c.Compare(ctx, snap, again)
		snap.Close()
		if err != nil {
			return out, err
		}
		out.Passes++
	}
	out.Duration = time.Since(began)
	return out, nil
}

// maxChunksShown bounds the chunk ranges an error lists.
const maxChunksShown = 5

// mismatchError names what still differs: per chunk its key range, row
// counts and up to maxKeys keys, and for the first differing key present
// on both sides the columns whose values differ.
func (c *Checker) mismatchError(ctx context.Context, open func(context.Context) (*Snapshot, error), diffs []Diff, repaired bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d chunk(s) of %s and %s differ", len(diffs), c.cfg.Orig.Name, c.cfg.Ghost.Name)
	if repaired {
		fmt.Fprintf(&b, " after %d repairs", Repairs)
	}
	var keys [][]any
	for i, d := range diffs {
		if i == maxChunksShown {
			fmt.Fprintf(&b, "; and %d more chunk(s)", len(diffs)-i)
			break
		}
		fmt.Fprintf(&b, "; chunk %s (%d rows in %s, %d in %s)", d.Chunk, d.OrigRows, c.cfg.Orig.Name, d.GhostRows, c.cfg.Ghost.Name)
	}
	for _, d := range diffs {
		keys = append(keys, d.Keys...)
	}
	if len(keys) > 0 {
		shown := make([]string, 0, maxKeys)
		for _, k := range keys[:min(len(keys), maxKeys)] {
			shown = append(shown, "("+schema.FormatKey(k)+")")
		}
		fmt.Fprintf(&b, "; differing keys (%s): %s", strings.Join(c.cfg.Mapping.KeyOrig, ","), strings.Join(shown, " "))
	}
	if cols := c.explain(ctx, open, keys); cols != "" {
		b.WriteString("; " + cols)
	}
	return fmt.Errorf("%w: %s", ErrMismatch, b.String())
}

// explain finds the columns that differ for the first differing key whose
// row is in both tables, and names their types: a difference that survives
// repair is almost always a conversion the ALTER makes lossy.
func (c *Checker) explain(ctx context.Context, open func(context.Context) (*Snapshot, error), keys [][]any) string {
	snap, err := open(ctx)
	if err != nil {
		return ""
	}
	defer snap.Close()
	conn := snap.conns[0]
	for _, k := range keys {
		o, err := c.columnValues(ctx, conn, c.origSide(), k, func(p ColumnPlan) string { return p.OrigExpr })
		if err != nil || o == nil {
			continue
		}
		g, err := c.columnValues(ctx, conn, c.ghostSide(), k, func(p ColumnPlan) string { return p.GhostExpr })
		if err != nil || g == nil {
			continue
		}
		var names []string
		changed := false
		n := 0
		for _, p := range c.plans {
			if p.Skipped {
				continue
			}
			if o[n].Valid != g[n].Valid || o[n].String != g[n].String {
				oc, _ := c.cfg.Orig.Column(p.Orig)
				gc, _ := c.cfg.Ghost.Column(p.Ghost)
				if oc.ColumnType == gc.ColumnType && oc.Charset == gc.Charset {
					names = append(names, p.Orig)
				} else {
					names = append(names, fmt.Sprintf("%s (%s → %s)", p.Orig, oc.ColumnType, gc.ColumnType))
					changed = true
				}
			}
			n++
		}
		if len(names) > 0 {
			msg := fmt.Sprintf("columns whose values differ for key (%s): %s", schema.FormatKey(k), strings.Join(names, ", "))
			if changed {
				msg += "; a difference that survives a recopy means the ALTER's conversion of that type loses data"
			}
			return msg
		}
	}
	return ""
}

func (c *Checker) columnValues(ctx context.Context, conn *sql.Conn, s side, k []any, expr func(ColumnPlan) string) ([]sql.NullString, error) {
	var exprs []string
	for _, p := range c.plans {
		if !p.Skipped {
			exprs = append(exprs, expr(p))
		}
	}
	if len(exprs) == 0 {
		return nil, nil
	}
	where, args := s.key.In([][]any{k})
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s", strings.Join(exprs, ", "), s.from(c.cfg.Database), where)
	vals := make([]sql.NullString, len(exprs))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := conn.QueryRowContext(ctx, q, args...).Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	return vals, nil
}
