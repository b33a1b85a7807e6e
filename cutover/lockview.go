package cutover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// lockView lists granted metadata locks through MariaDB's metadata_lock_info
// plugin. It cannot show who waits for a lock, only who holds one, so it
// explains a stuck rename and spots a holder that will not go away in time;
// whether the rename is first in line is still decided by the probe.
type lockView struct {
	q        querier
	database string
	hasAge   bool // LOCK_TIME_MS exists (MariaDB 10.11 has it)
}

type holder struct {
	id          int64
	mode, table string
	age         time.Duration
}

func (h holder) String() string {
	s := fmt.Sprintf("session %d holds %s on %s", h.id, h.mode, h.table)
	if h.age > 0 {
		s += fmt.Sprintf(" for %v", h.age.Round(time.Millisecond))
	}
	return s
}

// openLockView returns nil when the plugin is not available and cannot be
// installed; the caller then relies on the probe alone.
func openLockView(ctx context.Context, q querier, database string, log zerolog.Logger) *lockView {
	active := func() bool {
		var n int
		err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PLUGINS "+
			"WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'").Scan(&n)
		return err == nil && n > 0
	}
	if !active() {
		_, err := q.ExecContext(ctx, "INSTALL SONAME 'metadata_lock_info'")
		if !active() { // a concurrent install counts too
			log.Debug().Err(err).Msg("metadata_lock_info unavailable")
			return nil
		}
		log.Info().Msg("metadata_lock_info plugin installed")
	}
	v := &lockView{q: q, database: database}
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "+
		"'information_schema' AND TABLE_NAME = 'METADATA_LOCK_INFO' AND COLUMN_NAME = 'LOCK_TIME_MS'").Scan(&n)
	v.hasAge = err == nil && n > 0
	return v
}

// holders lists the sessions other than allowed that hold a metadata lock
// on any of the named tables.
func (v *lockView) holders(ctx context.Context, allowed int64, names ...string) ([]holder, error) {
	if v == nil {
		return nil, nil
	}
	age := "0"
	if v.hasAge {
		age = "COALESCE(LOCK_TIME_MS, 0)" // NULL for some locks
	}
	args := []any{v.database, allowed}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := v.q.QueryContext(ctx, "SELECT THREAD_ID, LOCK_MODE, TABLE_NAME, "+age+
		" FROM information_schema.METADATA_LOCK_INFO WHERE TABLE_SCHEMA = ? AND THREAD_ID <> ? "+
		"AND TABLE_NAME IN (?"+strings.Repeat(", ?", len(names)-1)+")", args...)
	if err != nil {
		return nil, fmt.Errorf("read metadata locks: %w", err)
	}
	defer rows.Close()
	var out []holder
	for rows.Next() {
		var h holder
		var ms int64
		if err := rows.Scan(&h.id, &h.mode, &h.table, &ms); err != nil {
			return nil, fmt.Errorf("read metadata locks: %w", err)
		}
		h.age = time.Duration(ms) * time.Millisecond
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read metadata locks: %w", err)
	}
	return out, nil
}

// checkStale fails with ErrGhostInUse when another session has held one of
// the tables for at least limit: a rename allowed to wait no longer than
// that would not get past it. Short-lived holders pass; a queued rename
// makes their successors wait, so they drain by themselves.
func (v *lockView) checkStale(ctx context.Context, allowed int64, limit time.Duration, names ...string) error {
	hs, err := v.holders(ctx, allowed, names...)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if v.hasAge && h.age >= limit {
			return fmt.Errorf("%v: %w", h, ErrGhostInUse)
		}
	}
	return nil
}

// explain adds the current holders of the tables, if any, to a timeout:
// the error then says who the rename was waiting for.
func (v *lockView) explain(ctx context.Context, timeout error, allowed int64, names ...string) error {
	hs, err := v.holders(ctx, allowed, names...)
	if err != nil || len(hs) == 0 {
		return timeout
	}
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h.String()
	}
	return errors.Join(timeout, fmt.Errorf("%s: %w", strings.Join(parts, "; "), ErrGhostInUse))
}
