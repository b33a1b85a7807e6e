package applier

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/doppel-dev/doppel/dbconn"
)

// maxPrepared bounds the statements kept prepared per connection; a batch
// uses a handful of shapes, far below the server's max_prepared_stmt_count.
const maxPrepared = 64

// session is one pinned connection running the replay's transactions.
type session struct {
	conn *sql.Conn
	// stmts keeps prepared statements by SQL text, saving a round trip per
	// statement; nil on a caller's connection, which is not ours to fill.
	stmts map[string]*sql.Stmt
	order []string
}

func (s *session) exec(ctx context.Context, query string, args ...any) error {
	if s.stmts == nil {
		_, err := s.conn.ExecContext(ctx, query, args...)
		return err
	}
	st, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

func (s *session) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	if len(s.order) >= maxPrepared {
		oldest := s.order[0]
		s.order = s.order[1:]
		s.stmts[oldest].Close()
		delete(s.stmts, oldest)
	}
	st, err := s.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	s.order = append(s.order, query)
	return st, nil
}

// acquire hands out an idle pinned connection, or pins and sets up a new one.
func (a *Applier) acquire(ctx context.Context) (*session, error) {
	a.idleMu.Lock()
	if n := len(a.idle); n > 0 {
		s := a.idle[n-1]
		a.idle = a.idle[:n-1]
		a.idleMu.Unlock()
		return s, nil
	}
	a.idleMu.Unlock()
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("pin connection: %w", err)
	}
	var mode, binlogFormat string
	if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode, @@SESSION.binlog_format").Scan(&mode, &binlogFormat); err != nil {
		conn.Close()
		return nil, fmt.Errorf("read sql_mode: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION autocommit = 0, sql_mode = ?, time_zone = '+00:00'", replayMode(mode, a.skipStrict)); err != nil {
		s := &session{conn: conn}
		a.discard(s)
		return nil, fmt.Errorf("set replay session: %w", err)
	}
	if !strings.EqualFold(binlogFormat, "STATEMENT") {
		// READ COMMITTED: deleting a key the ghost does not hold yet locks
		// no gap. Under REPEATABLE READ it locks the gap the copier's
		// INSERT … SELECT is filling while that statement holds the
		// ghost's AUTO-INC lock, which the following INSERT then waits for:
		// a deadlock whose victim, the applier, meets the same copy on
		// every retry. The replay reads nothing it relies on being stable
		// (its lookups lock), and the server refuses READ COMMITTED writes
		// only when it logs statements.
		if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"); err != nil {
			s := &session{conn: conn}
			a.discard(s)
			return nil, fmt.Errorf("set replay session: %w", err)
		}
	}
	return &session{conn: conn, stmts: map[string]*sql.Stmt{}}, nil
}

func (a *Applier) release(s *session) {
	a.idleMu.Lock()
	a.idle = append(a.idle, s)
	a.idleMu.Unlock()
}

// discard closes the connection instead of returning it to the pool: its
// session settings are the replay's, and after an error its transaction
// state is unknown. Closing it makes the server roll back whatever is open.
func (a *Applier) discard(s *session) {
	for _, st := range s.stmts {
		st.Close()
	}
	dbconn.Discard(s.conn)
}
