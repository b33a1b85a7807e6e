package cutover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Where a lockView reads granted metadata locks.
const (
	sourceMDLInfo    = "information_schema.METADATA_LOCK_INFO"
	sourcePerfSchema = "performance_schema.metadata_locks"
)

// lockView lists granted metadata locks, through MariaDB's
// metadata_lock_info plugin or, where that is missing, performance_schema
// with its metadata-lock instrument on (MySQL's default). It cannot show
// who waits for a lock, only who holds one, so it explains a stuck rename
// and spots a holder that will not go away in time; whether the rename is
// first in line is still decided by the probe.
type lockView struct {
	q        querier
	database string
	source   string
	hasAge   bool // LOCK_TIME_MS exists (MariaDB 10.11's plugin has it; performance_schema has no age)
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

// openLockView returns nil when no source is available; the caller then
// relies on the probe alone. With install it installs metadata_lock_info
// when the plugin is present but not loaded, which needs INSERT on
// mysql.plugin; without, it only uses what is already there.
func openLockView(ctx context.Context, q querier, database string, install bool, log zerolog.Logger) *lockView {
	active := func() bool {
		var n int
		err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PLUGINS "+
			"WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'").Scan(&n)
		return err == nil && n > 0
	}
	if !active() && install {
		_, err := q.ExecContext(ctx, "INSTALL SONAME 'metadata_lock_info'")
		if active() { // a concurrent install counts too
			log.Info().Msg("metadata_lock_info plugin installed")
		} else {
			log.Debug().Err(err).Msg("metadata_lock_info unavailable")
		}
	}
	if active() {
		v := &lockView{q: q, database: database, source: sourceMDLInfo}
		var n int
		err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "+
			"'information_schema' AND TABLE_NAME = 'METADATA_LOCK_INFO' AND COLUMN_NAME = 'LOCK_TIME_MS'").Scan(&n)
		v.hasAge = err == nil && n > 0
		return v
	}
	if perfSchemaLocks(ctx, q) {
		return &lockView{q: q, database: database, source: sourcePerfSchema}
	}
	return nil
}

// perfSchemaLocks reports whether performance_schema records metadata
// locks: it must be on (a startup option), and so must the mdl instrument
// and the global consumer.
func perfSchemaLocks(ctx context.Context, q querier) bool {
	var on int
	if err := q.QueryRowContext(ctx, "SELECT @@performance_schema").Scan(&on); err != nil || on != 1 {
		return false
	}
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM performance_schema.setup_instruments i, performance_schema.setup_consumers c "+
		"WHERE i.NAME = 'wait/lock/metadata/sql/mdl' AND i.ENABLED = 'YES' AND c.NAME = 'global_instrumentation' AND c.ENABLED = 'YES'").Scan(&n)
	return err == nil && n == 1
}

// lockViewAvailable reports whether openLockView could find a source,
// without installing anything: for checks that must not change the server.
func lockViewAvailable(ctx context.Context, q querier) bool {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.ALL_PLUGINS "+
		"WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS IN ('ACTIVE', 'NOT INSTALLED')").Scan(&n)
	if err == nil && n > 0 {
		return true
	}
	// MySQL has no ALL_PLUGINS (nor this plugin): performance_schema it is.
	return perfSchemaLocks(ctx, q)
}

// holders lists the sessions other than allowed that hold a metadata lock
// on any of the named tables.
func (v *lockView) holders(ctx context.Context, allowed int64, names ...string) ([]holder, error) {
	if v == nil {
		return nil, nil
	}
	args := []any{v.database, allowed}
	for _, n := range names {
		args = append(args, n)
	}
	in := "(?" + strings.Repeat(", ?", len(names)-1) + ")"
	var q string
	switch v.source {
	case sourcePerfSchema:
		// Background threads have no PROCESSLIST_ID and drop out here.
		q = "SELECT t.PROCESSLIST_ID, m.LOCK_TYPE, m.OBJECT_NAME, 0 FROM performance_schema.metadata_locks m " +
			"JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID " +
			"WHERE m.OBJECT_TYPE = 'TABLE' AND m.LOCK_STATUS = 'GRANTED' AND m.OBJECT_SCHEMA = ? " +
			"AND t.PROCESSLIST_ID <> ? AND m.OBJECT_NAME IN " + in
	default:
		age := "0"
		if v.hasAge {
			age = "COALESCE(LOCK_TIME_MS, 0)" // NULL for some locks
		}
		q = "SELECT THREAD_ID, LOCK_MODE, TABLE_NAME, " + age +
			" FROM information_schema.METADATA_LOCK_INFO WHERE TABLE_SCHEMA = ? AND THREAD_ID <> ? " +
			"AND TABLE_NAME IN " + in
	}
	rows, err := v.q.QueryContext(ctx, q, args...)
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
