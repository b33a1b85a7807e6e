package cutover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/dbconn"
)

// ErrNoLockView means the server offers no list of metadata lock holders:
// neither the metadata_lock_info plugin (MariaDB) nor performance_schema
// with its metadata-lock instrument. Nothing else attributes a lock to a
// table: InnoDB lists a transaction's row locks only while someone waits
// for them, and a transaction that only read the table holds no InnoDB lock
// at all, just the shared metadata lock that blocks the cut-over. A Forcer
// refuses to work from guesses.
var ErrNoLockView = errors.New("the server does not show who holds metadata locks (no metadata_lock_info plugin, no performance_schema metadata locks)")

// forcePoll is how often a Forcer reads the lock holders during an attempt.
const forcePoll = 100 * time.Millisecond

// ForceConfig is what a Forcer needs.
type ForceConfig struct {
	// DB is a pool on the server where the tables live (Config.DB).
	DB       *sql.DB
	Database string
	// Tables are the tables whose lock holders may be killed: the original
	// and the ghost.
	Tables []string
	// Own reports whether a session is one of doppel's own; those are never
	// killed.
	Own func(id int64) bool
	// LockTimeout is the cut-over's (Config.LockTimeout). A session is
	// killed only once it has held a table for half of it, at most a
	// second, while an attempt waited: transactions that are merely in
	// flight when the attempt starts finish well within that.
	LockTimeout time.Duration
	Logger      zerolog.Logger
}

// Forcer ends the sessions that keep cut-over attempts from their locks
// (--force-cut-over-after). It kills only sessions it can see holding a
// metadata lock on one of its tables, never one that merely waits for one:
// while an attempt runs, the waiters are the application's writers queued
// behind the cut-over's own lock.
type Forcer struct {
	cfg    ForceConfig
	grace  time.Duration
	view   *lockView
	log    zerolog.Logger
	killed map[int64]bool // sessions already killed (or found not killable)
}

// LockViewAvailable reports, without changing the server, whether a Forcer
// could be opened on db: for a dry run.
func LockViewAvailable(ctx context.Context, db *sql.DB) bool {
	return lockViewAvailable(ctx, db)
}

// NewForcer finds the server's list of metadata lock holders, installing
// metadata_lock_info when the plugin is present but not loaded (as an
// attempt does for its own checks). It returns ErrNoLockView when there is
// none.
func NewForcer(ctx context.Context, cfg ForceConfig) (*Forcer, error) {
	switch {
	case cfg.DB == nil || cfg.Database == "" || len(cfg.Tables) == 0:
		return nil, errors.New("force config: database pool, database and tables are required")
	case cfg.Own == nil:
		return nil, errors.New("force config: no way to tell doppel's own sessions")
	case cfg.LockTimeout <= 0:
		return nil, errors.New("force config: lock timeout must be positive")
	}
	log := cfg.Logger.With().Str("component", "cutover").Logger()
	f := &Forcer{cfg: cfg, grace: min(time.Second, cfg.LockTimeout/2), log: log, killed: map[int64]bool{}}
	f.view = openLockView(ctx, cfg.DB, cfg.Database, true, log)
	if f.view == nil {
		return nil, ErrNoLockView
	}
	return f, nil
}

// Source names where the Forcer reads lock holders, for the log.
func (f *Forcer) Source() string { return f.view.source }

// Watch runs alongside one cut-over attempt until ctx ends. It reads the
// holders of the tables every forcePoll, and from killFrom on kills each
// one that has held a table for the grace period. Its own failures only
// cost the attempt its help, so they are logged, not returned.
func (f *Forcer) Watch(ctx context.Context, killFrom time.Time) {
	type key struct {
		id    int64
		table string
	}
	since := map[key]time.Time{} // when each holder was first seen in this attempt
	tick := time.NewTicker(forcePoll)
	defer tick.Stop()
	failing := false
	for {
		now := time.Now()
		hs, err := f.view.holders(ctx, 0, f.cfg.Tables...)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true // once per attempt is enough
			f.log.Warn().Err(err).Msg("force cut-over: cannot read lock holders")
		case err == nil:
			seen := make(map[key]time.Time, len(hs))
			for _, h := range hs {
				k := key{h.id, h.table}
				// Only holding while this attempt waits counts; where the
				// view has the lock's age, a lock younger than our first
				// sighting was released and taken again, and counts afresh.
				first, ok := since[k]
				switch {
				case !ok:
					first = now
				case h.age > 0 && now.Sub(first) > h.age+forcePoll:
					first = now.Add(-h.age)
				}
				seen[k] = first
				if now.Before(killFrom) || now.Sub(first) < f.grace || f.killed[h.id] || f.cfg.Own(h.id) {
					continue
				}
				f.kill(ctx, h, now.Sub(first))
			}
			since = seen
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sessionInfo is what the log says about a session that is killed.
type sessionInfo struct {
	user, host, command, state string
	time                       int64 // seconds in the current command
	trxSeconds                 sql.NullInt64
}

// system reports threads that are the server's own work, not a client's:
// replication, the binlog senders, the event scheduler.
func (s sessionInfo) system() bool {
	switch s.command {
	case "Binlog Dump", "Binlog Dump GTID", "Daemon", "Slave_IO", "Slave_SQL", "Slave_worker", "Killed":
		return true
	}
	return s.user == "system user" || s.user == "event_scheduler"
}

func (f *Forcer) describe(ctx context.Context, id int64) (sessionInfo, bool, error) {
	var s sessionInfo
	err := f.cfg.DB.QueryRowContext(ctx, "SELECT COALESCE(p.USER, ''), COALESCE(p.HOST, ''), COALESCE(p.COMMAND, ''), "+
		"COALESCE(p.TIME, 0), COALESCE(p.STATE, ''), (SELECT MAX(TIMESTAMPDIFF(SECOND, trx_started, NOW())) "+
		"FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = p.ID) "+
		"FROM information_schema.PROCESSLIST p WHERE p.ID = ?", id).
		Scan(&s.user, &s.host, &s.command, &s.time, &s.state, &s.trxSeconds)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	return s, err == nil, err
}

// kill ends one holder's session and logs who it was. The statement it
// runs is never logged: it may carry row values.
func (f *Forcer) kill(ctx context.Context, h holder, held time.Duration) {
	s, ok, err := f.describe(ctx, h.id)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			f.log.Warn().Err(err).Int64("session_id", h.id).Msg("force cut-over: cannot read the session that holds the lock")
		}
		return
	case !ok:
		return // gone by itself
	case s.system():
		f.killed[h.id] = true
		f.log.Warn().Int64("session_id", h.id).Str("user", s.user).Str("command", s.command).Str("table", h.table).
			Msg("force cut-over: a server thread holds the lock; not killed")
		return
	}
	_, err = f.cfg.DB.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", h.id))
	if err != nil && dbconn.ErrorNumber(err) == erNoSuchThread {
		return
	}
	f.killed[h.id] = true
	ev := f.log.Warn()
	msg := "force cut-over: killed a session that held a lock the cut-over needs"
	if err != nil {
		ev = ev.Err(err)
		msg = "force cut-over: could not kill a session that holds a lock the cut-over needs"
	}
	ev = ev.Int64("session_id", h.id).Str("user", s.user).Str("host", s.host).Str("command", s.command).
		Int64("time_seconds", s.time).Str("state", s.state).Str("table", h.table).Str("lock", h.mode).
		Dur("held_for_at_least", held.Round(time.Millisecond))
	if s.trxSeconds.Valid {
		ev = ev.Int64("transaction_seconds", s.trxSeconds.Int64)
	}
	ev.Msg(msg)
}
