package dbconn

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// Sessions is the set of server thread ids of the connections doppel opened.
// Code that kills other sessions (a forced cut-over) consults it so that it
// never ends one of doppel's own, whichever pool or component it belongs to.
//
// Ids are only added: a server does not hand a finished session's id to a
// new one, and a migration opens few enough connections that keeping them
// all costs nothing. Pools on different servers may share one set; an id
// that happens to exist on two servers then only spares a session.
type Sessions struct {
	mu  sync.Mutex
	ids map[int64]struct{}
}

// Has reports whether id is one of the recorded sessions.
func (s *Sessions) Has(id int64) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ids[id]
	return ok
}

func (s *Sessions) add(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[int64]struct{}{}
	}
	s.ids[id] = struct{}{}
}

// recordingConnector asks every new connection for its thread id before
// the pool hands it out, so a session is known as doppel's before it can
// take any lock.
type recordingConnector struct {
	driver.Connector
	sessions *Sessions
}

func (c recordingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	id, err := connectionID(ctx, conn)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("read connection id: %w", err)
	}
	c.sessions.add(id)
	return conn, nil
}

func connectionID(ctx context.Context, conn driver.Conn) (int64, error) {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return 0, errors.New("driver connection cannot run queries")
	}
	rows, err := q.QueryContext(ctx, "SELECT CONNECTION_ID()", nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	vals := make([]driver.Value, 1)
	if err := rows.Next(vals); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, errors.New("no row")
		}
		return 0, err
	}
	switch v := vals[0].(type) {
	case int64:
		return v, nil
	case uint64:
		return int64(v), nil
	case []byte:
		return strconv.ParseInt(string(v), 10, 64)
	}
	return 0, fmt.Errorf("unexpected type %T", vals[0])
}
