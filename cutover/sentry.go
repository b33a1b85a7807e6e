package cutover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/doppel-dev/doppel/dbconn"
)

const (
	stateWaitingTableMDL = "Waiting for table metadata lock"
	// sentryComment marks the sentry table; cleanup drops a table under the
	// old name only if it carries this comment, so a failed attempt can
	// never drop a real table.
	sentryComment = "doppel cut-over sentry"
	// minWriteLockCount is the least max_write_lock_count the sentry scheme
	// accepts. Once a table has granted that many exclusive-type locks in a
	// row while writers waited, the server lets the writers overtake a
	// pending exclusive request: the rename would no longer run first. An
	// attempt itself adds two such grants (the LOCK and the RENAME) and any
	// granted write resets the count, so a margin this size is plenty.
	minWriteLockCount = 1024
)

// sentryStatements is the SQL of one sentry attempt, built once so that the
// process-list checks can compare INFO with exactly what was sent.
type sentryStatements struct {
	createSentry, lock, dropSentry, rename, probe string
}

func (c Config) sentryStatements() sentryStatements {
	orig, ghost, old := c.table(c.Original), c.table(c.Ghost), c.table(c.Old)
	return sentryStatements{
		createSentry: fmt.Sprintf("CREATE TABLE %s (id INT) ENGINE=InnoDB COMMENT='%s'", old, sentryComment),
		lock:         fmt.Sprintf("LOCK TABLES %s WRITE, %s WRITE", orig, old),
		dropSentry:   fmt.Sprintf("DROP TABLE %s", old),
		rename:       fmt.Sprintf("RENAME TABLE %s TO %s, %s TO %s", orig, old, ghost, orig),
		// Preparing a statement takes a plain shared metadata lock on the
		// table: granted next to LOCK TABLES WRITE, but queued behind a
		// pending exclusive request. It reads no rows.
		probe: fmt.Sprintf("SELECT 1 FROM %s LIMIT 0", orig),
	}
}

// sentryAttempt is one run of the sentry scheme. Sessions: a holds the locks
// and the sentry, b sends the rename, p probes the original's lock queue,
// ctl watches the others and kills them.
type sentryAttempt struct {
	cfg  Config
	log  zerolog.Logger
	sql  sentryStatements
	view *lockView // nil without metadata_lock_info

	ctl     *sql.Conn
	a, b, p session

	g          errgroup.Group
	renameDone chan struct{} // nil until the rename is sent; closed when it returns
	renameErr  error
	probe      *probeRun // the probe in flight, if any

	start         time.Time // LOCK TABLES sent: writers stall from here
	locked        bool      // a holds LOCK TABLES
	aUncertain    bool      // a statement on a failed client-side: its server state is unknown
	sentryMaybe   bool      // the old name may hold our sentry
	pastNoReturn  bool      // DROP of the sentry was sent: only the queue check guards the writers
	renameStopped bool      // the rename can no longer run on the server
}

type probeRun struct {
	done chan struct{}
	err  error
}

type thread struct {
	state, info string
}

func atomicSentry(ctx context.Context, cfg Config, log zerolog.Logger, drain Drain) (Result, error) {
	at := &sentryAttempt{cfg: cfg, log: log, sql: cfg.sentryStatements()}
	defer at.release()
	if err := at.pin(ctx); err != nil {
		return Result{}, err
	}
	if err := at.preflight(ctx); err != nil {
		return Result{}, err
	}
	return at.run(ctx, drain)
}

func (at *sentryAttempt) pin(ctx context.Context) error {
	var err error
	if at.ctl, err = at.cfg.DB.Conn(ctx); err != nil {
		return fmt.Errorf("pin control connection: %w", err)
	}
	lw := at.cfg.lockWaitSeconds()
	if at.a, err = pin(ctx, at.cfg.DB, lw); err != nil {
		return fmt.Errorf("pin lock connection: %w", err)
	}
	if at.b, err = pin(ctx, at.cfg.DB, lw); err != nil {
		return fmt.Errorf("pin rename connection: %w", err)
	}
	if at.p, err = pin(ctx, at.cfg.DB, lw); err != nil {
		return fmt.Errorf("pin probe connection: %w", err)
	}
	return nil
}

// preflight refuses servers on which the scheme's ordering guarantee does
// not hold, and finds out whether metadata locks can be listed.
func (at *sentryAttempt) preflight(ctx context.Context) error {
	var n uint64
	if err := at.ctl.QueryRowContext(ctx, "SELECT @@max_write_lock_count").Scan(&n); err != nil {
		return fmt.Errorf("read max_write_lock_count: %w", err)
	}
	if n < minWriteLockCount {
		return fmt.Errorf("max_write_lock_count is %d: queued writers could overtake the rename; "+
			"raise it to at least %d or use the two-step cut-over", n, minWriteLockCount)
	}
	if !at.cfg.SkipLockView {
		at.view = openLockView(ctx, at.ctl, at.cfg.Database, true, at.log)
	}
	return nil
}

func (at *sentryAttempt) run(ctx context.Context, drain Drain) (Result, error) {
	var res Result
	cfg := at.cfg

	at.sentryMaybe = true
	if err := at.execA(ctx, at.sql.createSentry); err != nil {
		if dbconn.ErrorNumber(err) != 0 { // the server refused: nothing was created
			at.sentryMaybe = false
		}
		if dbconn.ErrorNumber(err) == dbconn.ErTableExists {
			return res, fmt.Errorf("create sentry: old table name %s is taken%s: %w", cfg.Old, at.leftover(ctx), err)
		}
		return at.abort(ctx, res, fmt.Errorf("create sentry: %w", err))
	}

	at.start = time.Now()
	err := at.execA(ctx, at.sql.lock)
	res.LockWait = time.Since(at.start)
	if err != nil {
		return at.abort(ctx, res, fmt.Errorf("lock tables: %w", classify(err)))
	}
	at.locked = true
	at.log.Debug().Dur("lock_wait", res.LockWait).Msg("original table locked")

	drainStart := time.Now()
	err = drain(ctx, nil)
	res.Drain = time.Since(drainStart)
	if err != nil {
		return at.abort(ctx, res, fmt.Errorf("drain: %w", err))
	}
	// A session that has held the ghost for the whole lock timeout already
	// would keep the rename from reaching the original's queue in time.
	if err := at.view.checkStale(ctx, 0, cfg.LockTimeout, cfg.Ghost); err != nil {
		return at.abort(ctx, res, err)
	}

	at.startRename(ctx)
	deadline := time.Now().Add(cfg.LockTimeout)
	if err := at.waitRenameQueued(ctx, deadline); err != nil {
		return at.abort(ctx, res, err)
	}

	// Point of no return: once the sentry is gone, only the queue check
	// stands between the rename and the writers.
	at.pastNoReturn = true
	if err := at.execA(ctx, at.sql.dropSentry); err != nil {
		return at.abort(ctx, res, fmt.Errorf("drop sentry: %w", err))
	}
	at.sentryMaybe = false
	at.log.Debug().Dur("since_lock", time.Since(at.start)).Msg("sentry dropped")

	if err := at.verifyQueued(ctx, deadline); err != nil {
		return at.abort(ctx, res, err)
	}

	// The rename is first in line: releasing the lock, by UNLOCK or by
	// ending the session, lets it run before any writer.
	if err := at.unlock(ctx); err != nil {
		at.log.Error().Err(err).Msg("lock session not released; the rename runs once the server ends it")
	}

	<-at.renameDone // bounded by the rename's own backstop
	res.Stall = time.Since(at.start)
	if at.renameErr != nil {
		// Usually the server refused it, and RENAME TABLE is all or nothing;
		// but a rename killed by someone else while it ran may still have
		// finished, so the catalog decides.
		return at.settle(ctx, res, fmt.Errorf("rename tables: %w", classify(at.renameErr)))
	}
	at.renameStopped = true
	res.Swapped = true
	at.log.Info().Dur("stall", res.Stall).Dur("lock_wait", res.LockWait).Dur("drain", res.Drain).
		Bool("lock_view", at.view != nil).Msg("tables swapped")
	return res, nil
}

// leftover says whether the table under the old name is a sentry, which
// only an attempt whose cleanup failed leaves behind.
func (at *sentryAttempt) leftover(ctx context.Context) string {
	var comment string
	err := at.ctl.QueryRowContext(ctx, "SELECT TABLE_COMMENT FROM information_schema.TABLES "+
		"WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", at.cfg.Database, at.cfg.Old).Scan(&comment)
	if err != nil || comment != sentryComment {
		return ""
	}
	return " by a sentry an earlier attempt left behind (drop it once no cut-over is running)"
}

// execA runs a statement on the lock session, remembering client-side
// failures: after one, the session may still run or hold anything.
func (at *sentryAttempt) execA(ctx context.Context, query string) error {
	_, err := at.a.conn.ExecContext(ctx, query)
	if err != nil && dbconn.ErrorNumber(err) == 0 {
		at.aUncertain = true
	}
	return err
}

func (at *sentryAttempt) startRename(ctx context.Context) {
	at.renameDone = make(chan struct{})
	// Not the caller's ctx: a rename abandoned by its client keeps running
	// on the server, so it is ended by killing its session instead.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), at.cfg.backstop())
	at.g.Go(func() error {
		defer close(at.renameDone)
		defer cancel()
		_, at.renameErr = at.b.conn.ExecContext(rctx, at.sql.rename)
		return nil
	})
}

func (at *sentryAttempt) startProbe(ctx context.Context) *probeRun {
	pr := &probeRun{done: make(chan struct{})}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), at.cfg.backstop())
	at.g.Go(func() error {
		defer close(pr.done)
		defer cancel()
		stmt, err := at.p.conn.PrepareContext(pctx, at.sql.probe)
		if err == nil {
			err = stmt.Close()
		}
		pr.err = err
		return nil
	})
	return pr
}

// waitRenameQueued waits until the rename session is blocked on a metadata
// lock with our statement. While the sentry exists that cannot be a lock
// the rename gets past, so this only confirms the statement reached the
// server and is stuck behind us, as intended.
func (at *sentryAttempt) waitRenameQueued(ctx context.Context, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		threads, err := at.threads(ctx, at.b.id)
		if err != nil {
			return fmt.Errorf("watch rename session: %w", err)
		}
		if threads[at.b.id] == (thread{stateWaitingTableMDL, at.sql.rename}) {
			at.log.Debug().Int64("rename_session", at.b.id).Dur("since_lock", time.Since(at.start)).Msg("rename queued")
			return nil
		}
		select {
		case <-at.renameDone:
			return fmt.Errorf("rename ended before it queued: %w", classify(at.renameErr))
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("rename not queued within %v: %w", at.cfg.LockTimeout, ErrLockTimeout)
		case <-tick.C:
		}
	}
}

// verifyQueued returns once an exclusive request is proven pending on the
// original table while the rename session waits on a metadata lock. The
// rename takes its table locks one by one in name order and holds what it
// got; queued on the original, it holds every lock it needed before it, so
// once the original is released nothing but the rename can take it first.
func (at *sentryAttempt) verifyQueued(ctx context.Context, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if at.probe == nil {
			at.probe = at.startProbe(ctx)
		}
		if err := at.view.checkStale(ctx, at.b.id, at.cfg.LockTimeout, at.cfg.Ghost, at.cfg.Old); err != nil {
			return err
		}
		threads, err := at.threads(ctx, at.b.id, at.p.id)
		if err != nil {
			return fmt.Errorf("watch rename and probe sessions: %w", err)
		}
		if threads[at.b.id] == (thread{stateWaitingTableMDL, at.sql.rename}) &&
			threads[at.p.id] == (thread{stateWaitingTableMDL, at.sql.probe}) {
			at.log.Debug().Dur("since_lock", time.Since(at.start)).Msg("rename verified first in the original table's queue")
			return nil
		}
		select {
		case <-at.probe.done:
			if at.probe.err != nil {
				return fmt.Errorf("queue probe: %w", classify(at.probe.err))
			}
			at.probe = nil // not blocked: nothing exclusive is queued on the original yet
		case <-at.renameDone:
			return fmt.Errorf("rename ended while queued: %w", classify(at.renameErr))
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return at.view.explain(ctx, fmt.Errorf("rename not queued on the original table within %v: %w",
				at.cfg.LockTimeout, ErrLockTimeout), at.b.id, at.cfg.Ghost, at.cfg.Old)
		case <-tick.C:
		}
	}
}

// threads reads state and statement of the given sessions; absent ones are
// missing from the map.
func (at *sentryAttempt) threads(ctx context.Context, ids ...int64) (map[int64]thread, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := at.ctl.QueryContext(ctx, "SELECT ID, COALESCE(STATE, ''), COALESCE(INFO, '') "+
		"FROM information_schema.PROCESSLIST WHERE ID IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]thread, len(ids))
	for rows.Next() {
		var id int64
		var t thread
		if err := rows.Scan(&id, &t.state, &t.info); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}

// abort ends a failed attempt: the rename cannot run, the original is
// released, the sentry is gone. Before the point of no return the sentry
// guards the original, so writers are released first; after it, the rename
// session must be gone from the server before anything is released.
func (at *sentryAttempt) abort(ctx context.Context, res Result, cause error) (Result, error) {
	errs := []error{cause}
	if at.pastNoReturn {
		errs = append(errs, at.stopRename(ctx), at.unlock(ctx))
	} else {
		errs = append(errs, at.unlock(ctx), at.stopRename(ctx))
	}
	if !at.start.IsZero() {
		res.Stall = time.Since(at.start)
	}
	if at.sentryMaybe {
		errs = append(errs, at.dropSentry(ctx))
	}
	err := errors.Join(errs...)
	switch {
	case at.renameDone == nil:
		return res, err // nothing was sent that could rename
	case at.renameStopped && at.renameErr == nil:
		// Only possible if the lock session was lost past the point of no
		// return: the server ran the rename without the queue check.
		res.Swapped = true
		return res, fmt.Errorf("tables swapped without the queue check: %w", err)
	case at.renameStopped && dbconn.ErrorNumber(at.renameErr) != 0 && !at.aUncertain:
		return res, err // the server refused the rename, which is all or nothing
	}
	return at.settle(ctx, res, err)
}

// settle reads from the catalog whether the rename happened, for attempts
// that lost track of a session.
func (at *sentryAttempt) settle(ctx context.Context, res Result, cause error) (Result, error) {
	cctx, cancel := cleanupContext(ctx, at.cfg.cleanupTimeout())
	defer cancel()
	errs := []error{cause, at.stopRename(ctx)}
	swapped, err := swappedInCatalog(cctx, at.ctl, at.cfg)
	if err != nil {
		errs = append(errs, err)
	}
	res.Swapped = swapped
	return res, errors.Join(errs...)
}

// unlock releases the lock session's locks, or ends the session when its
// state is unknown: a LOCK TABLES abandoned by the client may still be
// waiting on the server, and would hold the lock if granted.
func (at *sentryAttempt) unlock(ctx context.Context) error {
	cctx, cancel := cleanupContext(ctx, at.cfg.cleanupTimeout())
	defer cancel()
	if at.locked && !at.aUncertain {
		if err := at.execA(cctx, "UNLOCK TABLES"); err == nil {
			at.locked = false
			return nil
		}
	}
	if !at.locked && !at.aUncertain {
		return nil
	}
	if err := killAndWait(cctx, at.ctl, at.a.id); err != nil {
		return fmt.Errorf("kill lock session %d: %w", at.a.id, err)
	}
	at.locked = false
	return nil
}

// stopRename makes sure the rename can no longer run: its session is killed
// and gone from the server, and its client call has returned.
func (at *sentryAttempt) stopRename(ctx context.Context) error {
	if at.renameDone == nil || at.renameStopped {
		return nil
	}
	cctx, cancel := cleanupContext(ctx, at.cfg.cleanupTimeout())
	defer cancel()
	if err := killAndWait(cctx, at.ctl, at.b.id); err != nil {
		return fmt.Errorf("kill rename session %d: %w", at.b.id, err)
	}
	select {
	case <-at.renameDone:
	case <-cctx.Done():
		return fmt.Errorf("rename session %d killed but its call has not returned: %w", at.b.id, cctx.Err())
	}
	at.renameStopped = true
	return nil
}

// dropSentry removes the sentry once no rename can run any more. It drops
// the table under the old name only if that table is provably the sentry.
func (at *sentryAttempt) dropSentry(ctx context.Context) error {
	if at.renameDone != nil && !at.renameStopped {
		return fmt.Errorf("sentry %s left in place: the rename session could not be stopped", at.cfg.Old)
	}
	cctx, cancel := cleanupContext(ctx, at.cfg.cleanupTimeout())
	defer cancel()
	var comment string
	err := at.ctl.QueryRowContext(cctx, "SELECT TABLE_COMMENT FROM information_schema.TABLES "+
		"WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", at.cfg.Database, at.cfg.Old).Scan(&comment)
	if errors.Is(err, sql.ErrNoRows) {
		at.sentryMaybe = false
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up sentry %s: %w", at.cfg.Old, err)
	}
	if comment != sentryComment {
		return nil
	}
	if _, err := at.ctl.ExecContext(cctx, "DROP TABLE IF EXISTS "+at.cfg.table(at.cfg.Old)); err != nil {
		return fmt.Errorf("drop sentry %s: %w", at.cfg.Old, err)
	}
	at.sentryMaybe = false
	return nil
}

// release ends every session of the attempt. Sessions with changed or
// unknown state are closed, and one still running server-side is killed
// first, so that waiting for their goroutines is bounded.
func (at *sentryAttempt) release() {
	cctx, cancel := context.WithTimeout(context.Background(), at.cfg.cleanupTimeout())
	defer cancel()
	if at.probe != nil {
		// After a swap the probe completes on its own as soon as the rename
		// has run; only one that is still stuck is killed.
		select {
		case <-at.probe.done:
		case <-time.After(time.Second):
			if err := killAndWait(cctx, at.ctl, at.p.id); err != nil {
				at.log.Warn().Err(err).Int64("session", at.p.id).Msg("kill probe session failed")
			}
		}
	}
	_ = at.g.Wait() // goroutines report through their own fields
	for _, s := range []session{at.a, at.b, at.p} {
		discard(s.conn)
	}
	if at.ctl != nil {
		_ = at.ctl.Close()
	}
}
