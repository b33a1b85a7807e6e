package cutover

import (
	"context"
	"fmt"
	"strings"

	"github.com/rs/zerolog"
)

// loadLockView reports whether information_schema.METADATA_LOCK_INFO can be
// read, installing MariaDB's plugin that provides it if the server allows.
// The plugin only lists granted locks; it tells who holds a table, not who
// waits for it.
func loadLockView(ctx context.Context, q querier, log zerolog.Logger) bool {
	active := func() bool {
		var n int
		err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PLUGINS "+
			"WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'").Scan(&n)
		return err == nil && n > 0
	}
	if active() {
		return true
	}
	_, err := q.ExecContext(ctx, "INSTALL SONAME 'metadata_lock_info'")
	if active() { // a concurrent install counts too
		log.Info().Msg("metadata_lock_info plugin installed")
		return true
	}
	log.Debug().Err(err).Msg("metadata_lock_info unavailable")
	return false
}

// checkHolders fails with ErrGhostInUse if a session other than allowed
// holds a metadata lock on any of the named tables.
func checkHolders(ctx context.Context, q querier, database string, allowed int64, names ...string) error {
	args := []any{database}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := q.QueryContext(ctx, "SELECT THREAD_ID, LOCK_MODE, TABLE_NAME "+
		"FROM information_schema.METADATA_LOCK_INFO WHERE TABLE_SCHEMA = ? "+
		"AND TABLE_NAME IN (?"+strings.Repeat(", ?", len(names)-1)+")", args...)
	if err != nil {
		return fmt.Errorf("read metadata locks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var mode, table string
		if err := rows.Scan(&id, &mode, &table); err != nil {
			return fmt.Errorf("read metadata locks: %w", err)
		}
		if id != allowed {
			return fmt.Errorf("session %d holds %s on %s: %w", id, mode, table, ErrGhostInUse)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read metadata locks: %w", err)
	}
	return nil
}
