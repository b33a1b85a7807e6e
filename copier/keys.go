package copier

import (
	"context"
	"fmt"

	"github.com/doppel-dev/doppel/dbconn"
)

// scanKey runs q and reads the chunk key of its first row; nil when there is none.
func (c *Copier) scanKey(ctx context.Context, q string, args ...any) ([]any, error) {
	var k []any
	err := dbconn.Retry(ctx, c.retryPolicy(), func(ctx context.Context) error {
		rows, err := c.cfg.DB.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		k = nil
		if !rows.Next() {
			return rows.Err()
		}
		if k, err = c.chunk.Scan(rows); err != nil {
			return err
		}
		return rows.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	return k, nil
}
