package migration

import (
	"context"
	"fmt"
	"time"

	"github.com/doppel-dev/doppel/copier"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/plan"
	"github.com/doppel-dev/doppel/schema"
)

// The estimate's sample: at most this many chunks, the first of
// --chunk-size rows (doubling with --target-chunk-time), and no new chunk
// once this much time went by.
const (
	sampleChunks   = 10
	sampleBudget   = 1500 * time.Millisecond
	sampleMaxChunk = 100_000 // the copier's largest chunk
)

type sampleResult struct {
	plan.Sample
	why  string // why nothing was measured
	into string // where the sample went, when not into the ghost
}

// sampleCopy times the copy of the original's first few chunks into the
// dry run's ghost (dropped afterwards), with the copier's own locking
// INSERT … SELECT, one chunk after another, each boundary read as the
// copier reads it. The original's rows are only read. When the ghost
// refuses the sample's values (the lint says which), the sample is copied
// into an unaltered empty copy of the original instead, so that the speed
// is still measured.
func (m *migrator) sampleCopy(ctx context.Context) sampleResult {
	s, err := m.sampleInto(ctx, m.names.ghost, m.mapping)
	if err == nil {
		return s
	}
	n := dbconn.ErrorNumber(err)
	if ctx.Err() != nil || dbconn.IsConnectionError(err) {
		return sampleResult{why: fmt.Sprintf("the sample copy failed (error %d)", n)}
	}
	name := helperName(m.cfg.Table, "_drs")
	if err := m.dropTable(ctx, name); err != nil {
		return sampleResult{why: err.Error()}
	}
	defer m.dropThrowaway(name)
	q := fmt.Sprintf("CREATE TABLE %s LIKE %s", schema.QuoteTable(m.cfg.Database, name), schema.QuoteTable(m.cfg.Database, m.cfg.Table))
	if _, err := m.write.ExecContext(ctx, q); err != nil {
		return sampleResult{why: fmt.Sprintf("the sample copy failed (error %d) and no unaltered copy could be made: %v", n, err)}
	}
	same := *m.mapping
	same.GhostColumns, same.KeyGhost, same.GhostKeyName = same.OrigColumns, same.KeyOrig, same.KeyName
	s, err = m.sampleInto(ctx, name, &same)
	if err != nil {
		return sampleResult{why: fmt.Sprintf("the sample copy failed (error %d)", dbconn.ErrorNumber(err))}
	}
	s.into = "an unaltered empty copy of the table (the new definition refused the sample's values; see the findings)"
	return s
}

func (m *migrator) sampleInto(ctx context.Context, ghost string, mapping *schema.Mapping) (sampleResult, error) {
	cp, err := copier.New(copier.Config{
		DB: m.write, Database: m.cfg.Database, Original: m.cfg.Table, Ghost: ghost,
		Orig: m.orig, Mapping: mapping, ChunkSize: max(m.cfg.ChunkSize, 1), Retries: 1,
		Flavor: m.flavor, SkipStrictMode: m.cfg.SkipStrictMode,
		Logger: m.base.With().Str("component", "plan").Logger(),
	})
	if err != nil {
		return sampleResult{}, err
	}
	key, err := schema.NewKeyRange(m.orig, mapping.KeyOrig)
	if err != nil {
		return sampleResult{}, err
	}
	s := sampleResult{Sample: plan.Sample{Growing: m.cfg.TargetChunkTime > 0}}
	var low []any
	size := max(m.cfg.ChunkSize, 1)
	began := time.Now()
	for s.Chunks < sampleChunks && time.Since(began) < sampleBudget {
		high, last, err := m.sampleBoundary(ctx, key, low, size)
		if err != nil {
			return sampleResult{}, err
		}
		if high == nil {
			break // no rows above low
		}
		n, err := cp.Recopy(ctx, low, high)
		if err != nil {
			return sampleResult{}, err
		}
		s.Rows += n
		s.Chunks++
		if m.cfg.TargetChunkTime > 0 {
			// The copier grows its chunks toward the target time, and
			// large chunks copy faster per row: the sample grows too, so
			// that its rate is the one most of the copy will run at.
			size = min(size*2, sampleMaxChunk)
		}
		if last {
			break
		}
		low = high
	}
	s.Took = time.Since(began)
	if s.Rows == 0 {
		s.why = "the table is empty"
	}
	return s, nil
}

// sampleBoundary is the key rows rows above low (or the last key, last set).
func (m *migrator) sampleBoundary(ctx context.Context, key schema.KeyRange, low []any, rows int64) (high []any, last bool, err error) {
	where, args := key.Where(low, false, nil)
	from := fmt.Sprintf("SELECT %s FROM %s FORCE INDEX (%s) WHERE %s ORDER BY ", key.Select(),
		schema.QuoteTable(m.cfg.Database, m.cfg.Table), schema.QuoteIdent(m.mapping.KeyName), where)
	read := func(q string) ([]any, error) {
		r, err := m.write.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("plan: sample boundary: %w", err)
		}
		defer r.Close()
		if !r.Next() {
			return nil, r.Err()
		}
		return key.Scan(r)
	}
	if high, err = read(from + key.OrderBy("ASC") + fmt.Sprintf(" LIMIT 1 OFFSET %d", rows-1)); err != nil || high != nil {
		return high, false, err
	}
	high, err = read(from + key.OrderBy("DESC") + " LIMIT 1")
	return high, true, err
}
