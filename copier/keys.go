package copier

import (
	"context"
	"fmt"
)

// scanKey runs q and reads the chunk key of its first row; nil when there is none.
func (c *Copier) scanKey(ctx context.Context, q string, args ...any) ([]any, error) {
	rows, err := c.cfg.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	k, err := c.chunk.Scan(rows)
	if err != nil {
		return nil, err
	}
	return k, rows.Close()
}
