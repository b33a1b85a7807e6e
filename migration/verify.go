package migration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/checksum"
	"github.com/doppel-dev/doppel/hooks"
	"github.com/doppel-dev/doppel/schema"
)

// newChecker prepares the checksum; it logs the columns it cannot compare.
func (m *migrator) newChecker() error {
	if m.cfg.SkipChecksum {
		return nil
	}
	size := min(max(m.cfg.ChunkSize*10, 1000), 100000)
	var err error
	m.checker, err = checksum.New(checksum.Config{
		Database: m.cfg.Database, Orig: m.orig, Ghost: m.ghost, Mapping: m.mapping,
		Threads: m.checksumThreads, ChunkSize: size, Wait: m.throttle.Wait,
		Logger: m.base.With().Str("component", "checksum").Logger(),
	})
	if err != nil {
		return fmt.Errorf("checksum: %w", err)
	}
	return nil
}

// verify proves the ghost holds what the original holds before anything is
// swapped (design.md, invariant 4): a full checksum at one consistent point,
// with differing chunks recopied and compared again.
func (m *migrator) verify(ctx context.Context) error {
	if m.checker == nil {
		return nil
	}
	m.setPhase("checksum")
	m.dirty.reset()
	var out checksum.Outcome
	err := m.rideOut(ctx, "checksum", func(ctx context.Context) error {
		var err error
		out, err = m.checker.Verify(ctx, m.consistentPoint, m.repair)
		m.recordChecksum(out)
		return err
	})
	if err != nil {
		return m.checksumFailed(ctx, err)
	}
	ev := m.log.Info().Int("chunks", out.Chunks).Int64("rows", out.Rows).Int("repaired_chunks", out.Repaired).
		Dur("elapsed", out.Duration).Dur("lock_wait", out.LockWait).Dur("lock_held", out.LockHeld)
	if m.report.CopyDuration > 0 {
		ev = ev.Str("of_copy_time", formatPct(float64(out.Duration)/float64(m.report.CopyDuration)))
	}
	ev.Msg("checksum passed: the ghost equals the original")
	m.lastVerified = time.Now()
	return nil
}

// checksumFailed explains a failed checksum. When rows are missing because
// they collide on a unique key, that is the cause worth naming (the key and
// the duplicated values) rather than the chunks it left different.
// recordChecksum adds one verification's cost to the report.
func (m *migrator) recordChecksum(out checksum.Outcome) {
	m.report.ChecksumDuration += out.Duration
	m.report.ChecksumRepairs += out.Repaired
	m.report.ChecksumLockHeld = max(m.report.ChecksumLockHeld, out.LockHeld)
	m.report.ChecksumLockWait = max(m.report.ChecksumLockWait, out.LockWait)
}

func (m *migrator) checksumFailed(ctx context.Context, err error) error {
	if errors.Is(err, checksum.ErrMismatch) {
		m.metrics.Error("checksum-mismatch")
		if cause := m.verifySuspects(ctx); cause != nil {
			return fmt.Errorf("checksum: the tables differ because %w", cause)
		}
		return fmt.Errorf("checksum: %w; nothing was swapped: the original is untouched and %s is kept for inspection", err, m.names.ghost)
	}
	return fmt.Errorf("checksum: %w", err)
}

// consistentPoint opens the checksum's snapshots at a point where the ghost
// has every change to the original: under a brief read lock on the
// original, the applier catches up to a marker written under the lock.
// A lock that times out (a long transaction holds the table) is retried.
func (m *migrator) consistentPoint(ctx context.Context) (*checksum.Snapshot, error) {
	p := checksum.PointConfig{
		DB: m.write, Database: m.cfg.Database, Lock: []string{m.cfg.Table}, Conns: m.checksumThreads,
		LockTimeout: m.cfg.CutOverLockTimeout,
		Sync: func(ctx context.Context) error {
			// Writers are blocked while this runs, so it is bounded like a lock.
			sctx, cancel := context.WithTimeout(ctx, max(m.cfg.CutOverLockTimeout, time.Second))
			defer cancel()
			return m.catchUp(sctx)
		},
	}
	attempts := int(max(m.cfg.DefaultRetries, 1))
	for attempt := 1; ; attempt++ {
		if err := m.throttle.Wait(ctx); err != nil {
			return nil, err
		}
		// Catching up first keeps the wait under the lock short.
		if err := m.catchUp(ctx); err != nil {
			return nil, err
		}
		snap, err := checksum.OpenSnapshot(ctx, p)
		if err == nil {
			m.log.Debug().Dur("lock_wait", snap.LockWait).Dur("lock_held", snap.LockHeld).Msg("checksum snapshot open")
			return snap, nil
		}
		if attempt >= attempts || ctx.Err() != nil {
			return nil, fmt.Errorf("take a consistent point after %d attempt(s): %w", attempt, err)
		}
		m.metrics.Retry("checksum-lock")
		m.log.Warn().Err(err).Int("attempt", attempt).Msg("could not take the checksum's consistent point; the original is intact, retrying")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (m *migrator) repair(ctx context.Context, ch checksum.Chunk) (int64, error) {
	n, err := m.copier.Recopy(ctx, ch.Low, ch.High)
	m.metrics.ChecksumMismatch(err == nil)
	return n, err
}

// postpone holds the cut-over while the postpone flag file exists. The
// applier keeps the ghost current meanwhile, and the tables are compared in
// full every ChecksumInterval, so a ghost damaged while waiting is caught.
// The last step compares again the chunks written to since the last pass.
func (m *migrator) postpone(ctx context.Context) error {
	flag := m.cfg.PostponeCutOverFlagFile
	if flag == "" || !fileExists(flag) {
		return nil
	}
	m.setPhase("postponed")
	m.log.Info().Str("flag_file", flag).Msg("cut-over postponed while the flag file exists; remove it (or send unpostpone) to cut over")
	m.notify(ctx, hooks.OnBeginPostponed, nil)
	interval := m.cfg.ChecksumInterval
	if interval <= 0 {
		interval = time.Hour
	}
	tick := time.NewTicker(min(time.Second, interval))
	defer tick.Stop()
	for fileExists(flag) && !m.unpostponed.Load() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if m.checker != nil && time.Since(m.lastVerified) >= interval && fileExists(flag) && !m.unpostponed.Load() {
			if err := m.verify(ctx); err != nil {
				return err
			}
			m.setPhase("postponed")
		}
	}
	m.log.Info().Str("flag_file", flag).Bool("unpostponed", m.unpostponed.Load()).Msg("cut-over no longer postponed")
	return m.verifyWritten(ctx)
}

// verifyWritten is the quick check before a postponed cut-over: the chunks
// of the last full pass that received changes since, or a full pass when
// the changes cannot be placed in chunks.
func (m *migrator) verifyWritten(ctx context.Context) error {
	if m.checker == nil {
		return nil
	}
	chunks, ok := m.dirty.chunks(m.checker.LastChunks(), m.keyRange)
	if !ok {
		return m.verify(ctx)
	}
	m.setPhase("checksum")
	var out checksum.Outcome
	err := m.rideOut(ctx, "checksum", func(ctx context.Context) error {
		var err error
		out, err = m.checker.VerifyChunks(ctx, m.consistentPoint, m.repair, chunks)
		m.recordChecksum(out)
		return err
	})
	if err != nil {
		return m.checksumFailed(ctx, err)
	}
	m.log.Info().Int("chunks", len(chunks)).Int("repaired_chunks", out.Repaired).Dur("elapsed", out.Duration).
		Msg("quick checksum of the chunks written since the last pass passed")
	return nil
}

// preparePostpone creates the postpone flag file when it is missing, as
// gh-ost does: a migration started with the flag waits for the operator.
func (m *migrator) preparePostpone() error {
	flag := m.cfg.PostponeCutOverFlagFile
	if flag == "" || fileExists(flag) {
		return nil
	}
	f, err := os.OpenFile(flag, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create --postpone-cut-over-flag-file: %w", err)
	}
	return f.Close()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// dirtyKeys records the migration keys the applier writes after a full
// checksum pass, so the pass before a postponed cut-over can compare just
// their chunks. Only single-column integer keys can be placed in chunks
// without the server's collation; any other key, or too many keys, makes
// the next check a full pass.
type dirtyKeys struct {
	mu       sync.Mutex
	signed   map[int64]struct{}
	unsigned map[uint64]struct{}
	overflow bool
}

// maxDirtyKeys bounds the memory the tracking takes.
const maxDirtyKeys = 1 << 20

func (d *dirtyKeys) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.signed, d.unsigned, d.overflow = map[int64]struct{}{}, map[uint64]struct{}{}, false
}

// add records the key of each row image of ch; col is the key's column and
// pos its position in the image.
func (d *dirtyKeys) add(ch binlog.RowChange, col schema.Column, pos []int, trackable bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.signed == nil || d.overflow {
		return
	}
	if !trackable {
		d.overflow = true
		return
	}
	for _, img := range [][]any{ch.Before, ch.After} {
		if img == nil || pos[0] >= len(img) {
			continue
		}
		v, ok := intKey(img[pos[0]], col)
		if !ok {
			d.overflow = true
			return
		}
		if col.Unsigned {
			d.unsigned[uint64(v)] = struct{}{}
		} else {
			d.signed[v] = struct{}{}
		}
	}
	if len(d.signed)+len(d.unsigned) > maxDirtyKeys {
		d.overflow = true
	}
}

// intKey returns a binlog image's integer key value as the bits of the
// column's value: go-mysql hands an unsigned value as the signed integer of
// the column's width, which is undone here.
func intKey(v any, col schema.Column) (int64, bool) {
	var x int64
	var bits uint
	switch v := v.(type) {
	case int8:
		x, bits = int64(v), 8
	case int16:
		x, bits = int64(v), 16
	case int32:
		x, bits = int64(v), 32
	case int64:
		x, bits = v, 64
	case int:
		x, bits = int64(v), 64
	case uint64:
		return int64(v), true
	case uint32:
		return int64(v), true
	default:
		return 0, false
	}
	if col.DataType == "mediumint" {
		bits = 24
	}
	if col.Unsigned && x < 0 && bits < 64 {
		x += 1 << bits
	}
	return x, true
}

// chunks returns the chunks holding a recorded key; ok is false when the
// keys cannot be placed (then a full pass is needed).
func (d *dirtyKeys) chunks(all []checksum.Chunk, key schema.KeyRange) ([]checksum.Chunk, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.signed == nil || d.overflow || len(all) == 0 || len(key.Cols) != 1 {
		return nil, false
	}
	unsigned := key.Cols[0].Unsigned
	// bound i is chunk i's high bound; the last chunk's is open.
	less := func(i int, v int64) bool { // chunk i ends below v
		h := all[i].High
		if h == nil {
			return false
		}
		if unsigned {
			hv, ok := h[0].(uint64)
			return ok && hv < uint64(v)
		}
		hv, ok := h[0].(int64)
		return ok && hv < v
	}
	hit := map[int]bool{}
	place := func(v int64) {
		hit[sort.Search(len(all), func(i int) bool { return !less(i, v) })] = true
	}
	for v := range d.signed {
		place(v)
	}
	for v := range d.unsigned {
		place(int64(v))
	}
	idx := make([]int, 0, len(hit))
	for i := range hit {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]checksum.Chunk, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out, true
}
