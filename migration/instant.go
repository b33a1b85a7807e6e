package migration

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// Algorithms with which the server can apply an ALTER to a table in place,
// without rebuilding it: INSTANT changes only metadata; MariaDB's NOCOPY
// may still do work proportional to the table (an index build) but never
// rebuilds the clustered index, and with LOCK=NONE lets writers run while
// it works. Each is tried in this order; the first the server accepts wins.
const (
	algInstant = "INSTANT"
	algNoCopy  = "NOCOPY"
)

// instantAlgorithms are the algorithms this server may accept, best first.
func instantAlgorithms(flavor string) []string {
	if flavor == binlog.FlavorMariaDB {
		return []string{algInstant, algNoCopy}
	}
	return []string{algInstant}
}

// algorithmClause is what is appended to the ALTER for alg. NOCOPY asks for
// LOCK=NONE as well: a NOCOPY change that would block writers while it
// works is refused by the server instead of run.
func algorithmClause(alg string) string {
	if alg == algNoCopy {
		return ", ALGORITHM=NOCOPY, LOCK=NONE"
	}
	return ", ALGORITHM=" + alg
}

// instantOutcome is what trying the ALTER in place on one table found:
// the algorithm the server applied it with, or why it did not.
type instantOutcome struct {
	algorithm string // "" when the table is unchanged
	refused   string // why not, in words fit for a log (no row values)
}

// tryInstant runs the ALTER on table with each in-place algorithm in turn
// until the server accepts one. A refusal leaves the table as it was (the
// server checks the algorithm before it changes anything, and InnoDB DDL is
// atomic), so it is an outcome, not an error. The error is for what leaves
// the table's state unknown: a lost connection or a cancelled context while
// the statement ran.
func (m *migrator) tryInstant(ctx context.Context, conn *sql.Conn, table string) (instantOutcome, error) {
	var out instantOutcome
	for _, alg := range instantAlgorithms(m.flavor) {
		q := fmt.Sprintf("ALTER TABLE %s %s%s", schema.QuoteTable(m.cfg.Database, table), m.alter.Text, algorithmClause(alg))
		_, err := conn.ExecContext(ctx, q)
		if err == nil {
			return instantOutcome{algorithm: alg}, nil
		}
		if ctx.Err() != nil || dbconn.ErrorNumber(err) == 0 || dbconn.IsConnectionError(err) {
			return out, err
		}
		switch n := dbconn.ErrorNumber(err); n {
		case dbconn.ErAlterNotSupported, dbconn.ErAlterNotSupportedReason:
			// The server's message names the operation and its reason,
			// never a row's values.
			if out.refused != "" {
				out.refused += "; "
			}
			out.refused += err.Error()
			continue
		case dbconn.ErLockWaitTimeout:
			// Another algorithm would wait for the same lock.
			out.refused = fmt.Sprintf("ALGORITHM=%s timed out waiting for the table's metadata lock: a transaction or statement holds the table", alg)
			return out, nil
		default:
			// Other refusals (a duplicate for a new unique key, a value the
			// new type cannot hold) can quote row values: only the number is
			// logged, and the ghost-table migration reports the problem in
			// its own words.
			out.refused = fmt.Sprintf("ALGORITHM=%s: the server refused the ALTER with error %d", alg, n)
			return out, nil
		}
	}
	return out, nil
}

// instantLockWait is the session's lock_wait_timeout for the in-place
// attempt on the original: while the ALTER waits for its exclusive metadata
// lock, every new writer queues behind it, so the wait is bounded like a
// cut-over's (whole seconds, at least 1).
func (m *migrator) instantLockWait() int64 {
	return max(1, int64(math.Ceil(m.cfg.CutOverLockTimeout.Seconds())))
}

// attemptInstant is --attempt-instant-ddl: before any table of doppel's
// exists, the server is asked to apply the ALTER to the original in place.
// done reports that it did, and the migration is over.
func (m *migrator) attemptInstant(ctx context.Context) (done bool, err error) {
	switch {
	case !m.cfg.AttemptInstantDDL || !m.cfg.Execute:
		return false, nil
	case m.cfg.TestOnReplica:
		// The test must leave the replica's original as replication keeps
		// it, beside a ghost to compare (gh-ost does not attempt it either).
		m.log.Info().Msg("--attempt-instant-ddl is not attempted with --test-on-replica: migrating through a ghost table")
		return false, nil
	case m.cfg.Resume:
		// The checkpoint describes the original as it was; the interrupted
		// migration's ghost is continued instead.
		m.log.Info().Msg("--attempt-instant-ddl is not attempted with --resume: continuing the interrupted migration")
		return false, nil
	}
	m.setPhase("instant-ddl")
	conn, err := m.ddlSession(ctx)
	if err != nil {
		return false, err
	}
	// Its session variables changed: it never goes back to the pool.
	defer dbconn.Discard(conn)
	wait := m.instantLockWait()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d", wait)); err != nil {
		return false, fmt.Errorf("instant ALTER: set lock_wait_timeout: %w", err)
	}
	m.log.Info().Strs("algorithms", instantAlgorithms(m.flavor)).Int64("lock_wait_timeout_seconds", wait).
		Msg("--attempt-instant-ddl: trying the ALTER on the original table in place")
	began := time.Now()
	out, err := m.tryInstant(ctx, conn, m.cfg.Table)
	took := time.Since(began)
	if err != nil {
		return false, fmt.Errorf("in-place ALTER of %s.%s (--attempt-instant-ddl) ended without an answer after %s, so whether the server applied it is unknown: compare SHOW CREATE TABLE with --alter before running again: %w",
			m.cfg.Database, m.cfg.Table, took.Round(time.Millisecond), err)
	}
	if out.algorithm == "" {
		m.report.InstantRefused = out.refused
		m.log.Info().Str("reason", out.refused).Dur("took", took).
			Msg("--attempt-instant-ddl: the server did not apply the ALTER in place; the original is unchanged, migrating through a ghost table")
		m.setPhase("preflight")
		return false, nil
	}
	m.report.InstantDDL = out.algorithm
	m.setPhase("done")
	m.log.Info().Str("algorithm", out.algorithm).Dur("took", took).
		Msg("the server applied the ALTER to the original table in place; nothing was copied or swapped, no other table was created")
	return true, nil
}

// proveInstant is the dry run's check: the ALTER is tried in place on the
// throwaway copy, which says whether the server supports an in-place
// algorithm for this change (the real table's size does not enter that
// decision; a transaction holding it can still make the real attempt time
// out). applied reports that the copy now has the ALTER.
func (m *migrator) proveInstant(ctx context.Context, conn *sql.Conn, table string) (applied bool, err error) {
	out, err := m.tryInstant(ctx, conn, table)
	if err != nil {
		return false, fmt.Errorf("dry run: in-place ALTER of %s: %w", table, err)
	}
	m.report.InstantDDL, m.report.InstantRefused = out.algorithm, out.refused
	use := "--attempt-instant-ddl would use it"
	if m.cfg.TestOnReplica {
		use = "--attempt-instant-ddl would use it, but not with --test-on-replica"
	}
	switch out.algorithm {
	case algInstant:
		m.log.Info().Bool("dry_run", true).Str("algorithm", algInstant).
			Msg("dry run: the ALTER could run as INSTANT (a metadata change, no copy); " + use)
	case algNoCopy:
		m.log.Info().Bool("dry_run", true).Str("algorithm", algNoCopy).
			Msg("dry run: the ALTER could run as NOCOPY with LOCK=NONE (no table rebuild, writers keep writing, but work such as an index build still takes time proportional to the table and replicas apply it after the primary); " + use)
	default:
		m.log.Info().Bool("dry_run", true).Str("reason", out.refused).
			Msg("dry run: the ALTER cannot run in place; --attempt-instant-ddl would fall back to the ghost-table migration")
	}
	return out.algorithm != "", nil
}
