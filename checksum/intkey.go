package checksum

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"

	"github.com/doppel-dev/doppel/schema"
)

// A single integer key is cut into chunks by arithmetic on its range, with
// no scan: walking the key to find every ChunkSize-th value reads the whole
// clustered index, as much work as a third of the comparison itself. The
// chunks hold ChunkSize rows when the keys are dense or evenly spread; a
// chunk that turns out large and differs is split again (narrow), so
// repairs and row-by-row comparisons stay small.

// intKey reports whether the key is one integer column, and its signedness.
func (c *Checker) intKey() (ok, unsigned bool) {
	if len(c.origKey.Cols) != 1 {
		return false, false
	}
	col := c.origKey.Cols[0]
	return schema.IsIntegerType(col.DataType), col.Unsigned && schema.IsIntegerType(col.DataType)
}

// arithmeticChunks cuts [MIN, MAX] of the original's key, as the snapshot
// sees it, into about rows/ChunkSize equal ranges; the first and last are
// open so ghost rows outside the range are compared too.
func (c *Checker) arithmeticChunks(ctx context.Context, conn *sql.Conn, unsigned bool) ([]Chunk, error) {
	col := schema.QuoteIdent(c.origKey.Cols[0].Name)
	var lo, hi sql.NullString
	q := fmt.Sprintf("SELECT MIN(%s), MAX(%s) FROM %s", col, col, schema.QuoteTable(c.cfg.Database, c.cfg.Orig.Name))
	if err := conn.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("checksum: read key range: %w", err)
	}
	if !lo.Valid {
		return []Chunk{{}}, nil
	}
	var estimate sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		c.cfg.Database, c.cfg.Orig.Name).Scan(&estimate); err != nil {
		return nil, fmt.Errorf("checksum: estimate rows: %w", err)
	}
	min, err := parseInt(lo.String, unsigned)
	if err != nil {
		return nil, err
	}
	max, err := parseInt(hi.String, unsigned)
	if err != nil {
		return nil, err
	}
	n := uint64(1)
	if estimate.Int64 > c.cfg.ChunkSize {
		n = uint64(estimate.Int64/c.cfg.ChunkSize) + 1
	}
	// The original's rows are all in closed chunks, which can be split if
	// they differ; the open chunks at both ends hold only ghost rows
	// outside the original's range (and none when the tables agree).
	var chunks []Chunk
	var low []any
	start := min - 1
	if lowest := (unsigned && min == 0) || (!unsigned && int64(min) == math.MinInt64); !lowest {
		low = []any{keyOf(start, unsigned)}
		chunks = append(chunks, Chunk{High: low})
	} else {
		start = min
	}
	span := max - start // two's complement: exact for signed values too
	step := span/n + 1
	for bound := start + step; less(bound, max, unsigned) && less(start, bound, unsigned); bound += step {
		high := []any{keyOf(bound, unsigned)}
		chunks = append(chunks, Chunk{Low: low, High: high})
		low = high
		if max-bound <= step { // the next bound would pass max (or wrap)
			break
		}
	}
	top := []any{keyOf(max, unsigned)}
	return append(chunks, Chunk{Low: low, High: top}, Chunk{Low: top}), nil
}

// split cuts a closed chunk (both bounds known) of an integer key into up
// to parts ranges; it returns nil when the chunk cannot be split.
func split(ch Chunk, parts uint64, unsigned bool) []Chunk {
	if ch.Low == nil || ch.High == nil {
		return nil
	}
	lo, ok1 := bits(ch.Low[0])
	hi, ok2 := bits(ch.High[0])
	if !ok1 || !ok2 || !less(lo, hi, unsigned) || hi-lo < 2 {
		return nil
	}
	step := (hi-lo)/parts + 1
	var out []Chunk
	low := ch.Low
	for bound := lo + step; less(bound, hi, unsigned); bound += step {
		high := []any{keyOf(bound, unsigned)}
		out = append(out, Chunk{Low: low, High: high})
		low = high
		if hi-bound <= step {
			break
		}
	}
	return append(out, Chunk{Low: low, High: ch.High})
}

// Integer keys are handled as their 64 bits; less compares them as the
// column does.
func less(a, b uint64, unsigned bool) bool {
	if unsigned {
		return a < b
	}
	return int64(a) < int64(b)
}

func keyOf(v uint64, unsigned bool) any {
	if unsigned {
		return v
	}
	return int64(v)
}

func bits(v any) (uint64, bool) {
	switch v := v.(type) {
	case int64:
		return uint64(v), true
	case uint64:
		return v, true
	}
	return 0, false
}

func parseInt(s string, unsigned bool) (uint64, error) {
	var v any
	var err error
	if unsigned {
		var u uint64
		_, err = fmt.Sscan(strings.TrimSpace(s), &u)
		v = u
	} else {
		var i int64
		_, err = fmt.Sscan(strings.TrimSpace(s), &i)
		v = i
	}
	if err != nil {
		return 0, fmt.Errorf("checksum: read key bound %q: %w", s, err)
	}
	b, _ := bits(v)
	return b, nil
}
