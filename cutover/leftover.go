package cutover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/doppel-dev/doppel/schema"
)

// DropLeftoverSentry drops the table named old when it is a sentry that an
// attempt interrupted by a crash left behind, and reports whether it did. A
// sentry is what keeps a queued rename of the killed run from swapping the
// tables; it is dropped only when no session still runs a statement naming
// old (the rename of a dead client may run on until the server notices).
// Any other table under that name is left alone.
func DropLeftoverSentry(ctx context.Context, db *sql.DB, database, old string) (bool, error) {
	var comment string
	err := db.QueryRowContext(ctx, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		database, old).Scan(&comment)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up %s: %w", old, err)
	}
	if comment != sentryComment {
		return false, nil
	}
	rows, err := db.QueryContext(ctx, "SELECT ID, COALESCE(INFO, '') FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'")
	if err != nil {
		return false, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var info string
		if err := rows.Scan(&id, &info); err != nil {
			return false, fmt.Errorf("list sessions: %w", err)
		}
		if strings.Contains(strings.ToLower(info), strings.ToLower(old)) {
			return false, fmt.Errorf("the cut-over sentry %s is still in use: session %d runs a statement naming it (a rename from the interrupted run?); wait for it to end or KILL it, then resume", old, id)
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("list sessions: %w", err)
	}
	if _, err := db.ExecContext(ctx, "DROP TABLE "+schema.QuoteTable(database, old)); err != nil {
		return false, fmt.Errorf("drop leftover sentry %s: %w", old, err)
	}
	return true, nil
}
