package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/doppel-dev/doppel/dbconn"
)

// lockName is the server-wide name a migration of db.table holds for its
// whole run. Names are limited to 64 characters; long ones are hashed.
func lockName(database, table string) string {
	name := "doppel." + database + "." + table
	if len(name) > 64 {
		h := fnv.New64a()
		h.Write([]byte(database + "." + table))
		name = fmt.Sprintf("doppel.%x", h.Sum64())
	}
	return name
}

// takeMigrationLock refuses a second migration of the same table: two runs
// would drop or overwrite each other's ghost and changelog tables. The
// lock lives on a connection of its own, held until the run ends (or the
// process dies, when the server releases it).
func (m *migrator) takeMigrationLock(ctx context.Context) error {
	conn, err := m.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect for the migration lock: %w", err)
	}
	name := lockName(m.cfg.Database, m.cfg.Table)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
		conn.Close()
		return fmt.Errorf("take the migration lock: %w", err)
	}
	if got.Int64 != 1 {
		var holder sql.NullInt64
		_ = conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", name).Scan(&holder)
		conn.Close()
		return refuse("another migration of %s.%s is running (it holds the lock %q, connection id %d on %s); wait for it to end, or stop it, before starting this one",
			m.cfg.Database, m.cfg.Table, name, holder.Int64, m.writeCfg.Addr())
	}
	m.lockConn = conn
	return nil
}

// keepMigrationLock watches the lock's session. A server restart or a KILL
// ends that session and the lock with it, which would let a second
// migration of the table start; the lock is taken again on a new session,
// and if another session got it first this migration stops.
func (m *migrator) keepMigrationLock(ctx context.Context) error {
	if m.lockConn == nil {
		return nil
	}
	name := lockName(m.cfg.Database, m.cfg.Table)
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	var down outage
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		var mine sql.NullBool
		err := m.lockConn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", name).Scan(&mine)
		if err == nil && mine.Valid && mine.Bool {
			down.ok()
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err = m.retakeMigrationLock(ctx, name)
		switch {
		case err == nil:
			down.ok()
			m.log.Warn().Str("lock", name).Msg("the migration lock's session was lost (server restart or KILL); lock taken again")
		case errors.Is(err, errLockTaken):
			return err
		case !down.failed(m.maxReconnectWait()):
			return fmt.Errorf("migration lock lost and not regained within --max-reconnect-wait=%s: %w", m.maxReconnectWait(), err)
		case down.reportDue():
			m.log.Warn().Err(err).Msg("migration lock lost; retaking it")
		}
	}
}

var errLockTaken = errors.New("another session took the migration lock")

func (m *migrator) retakeMigrationLock(ctx context.Context, name string) error {
	conn, err := m.write.Conn(ctx)
	if err != nil {
		return err
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
		dbconn.Discard(conn)
		return err
	}
	if got.Int64 != 1 {
		var holder sql.NullInt64
		_ = conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", name).Scan(&holder)
		dbconn.Discard(conn)
		return fmt.Errorf("%w (%q, connection id %d) while this migration's session was lost; two migrations of %s.%s may be running: stopping this one, the original is untouched",
			errLockTaken, name, holder.Int64, m.cfg.Database, m.cfg.Table)
	}
	dbconn.Discard(m.lockConn)
	m.lockConn = conn
	return nil
}

// releaseMigrationLock ends the session that holds the lock rather than
// returning it to the pool with the lock still taken.
func (m *migrator) releaseMigrationLock() {
	if m.lockConn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = m.lockConn.ExecContext(ctx, "SELECT RELEASE_LOCK(?)", lockName(m.cfg.Database, m.cfg.Table))
	dbconn.Discard(m.lockConn)
	m.lockConn = nil
}

// cutOverBackoff is how long to wait before cut-over attempt n+1 after n
// failed: a second, or with --cut-over-exponential-backoff 1, 2, 4, …
// seconds up to --exponential-backoff-max-interval.
func cutOverBackoff(failed int, exponential bool, maxInterval time.Duration) time.Duration {
	if !exponential {
		return time.Second
	}
	d := time.Second
	for i := 1; i < failed && d < maxInterval; i++ {
		d *= 2
	}
	return min(d, max(maxInterval, time.Second))
}
