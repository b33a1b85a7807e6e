package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// copyHold stands in for gh-ost's --throttle-query until doppel implements it
// (issue 5). gh-ost's harness passes a throttle query that holds the row copy
// back until the changelog table's first heartbeat is two seconds old, so the
// case's scheduled DML piles up in the binlog while the streamer already
// reads it, and reaches the ghost through the replication path, racing the
// copy. Sleeping before starting doppel does not do that: doppel migrates
// these small tables in about 100 ms, and every row then arrives by the copy
// alone (measured: "changes_applied":0 on gh-ost's tz case).
//
// So the runner holds the copy itself. Before starting doppel it opens a
// READ COMMITTED transaction on the replica that locks (FOR UPDATE) the first
// row of gh_ost_test in the order of each of its unique keys. doppel's copier
// reads every chunk with a locking read starting at the migration key's first
// row, so its first chunk waits; its streamer, the replication thread (which
// only waits if the case's DML touches one of those few rows) and everything
// else go on. The hold ends two seconds after doppel's changelog table
// appears, or when doppel exits.
type copyHold struct {
	conn *sql.Conn
	rows int // rows locked
}

func takeCopyHold(ctx context.Context, e *runEnv) (*copyHold, error) {
	keys, err := uniqueKeyColumns(ctx, e.replica)
	if err != nil {
		return nil, err
	}
	conn, err := e.replica.Conn(ctx)
	if err != nil {
		return nil, err
	}
	h := &copyHold{conn: conn}
	for _, q := range []string{
		"SET SESSION innodb_lock_wait_timeout = 5",
		"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
		"BEGIN",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, err
		}
	}
	for _, k := range keys {
		q := fmt.Sprintf("SELECT 1 FROM test.gh_ost_test FORCE INDEX (%s) ORDER BY %s LIMIT 1 FOR UPDATE",
			quoteIdent(k.name), strings.Join(k.columns, ", "))
		var one int
		switch err := conn.QueryRowContext(ctx, q).Scan(&one); err {
		case nil:
			h.rows++
		case sql.ErrNoRows:
		default:
			h.release(context.Background(), e, 0)
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return h, nil
}

type uniqueKey struct {
	name    string
	columns []string // quoted
}

// uniqueKeyColumns lists gh_ost_test's unique keys over whole columns.
func uniqueKeyColumns(ctx context.Context, db *sql.DB) ([]uniqueKey, error) {
	rows, err := db.QueryContext(ctx, `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = 'test' AND TABLE_NAME = 'gh_ost_test' AND NON_UNIQUE = 0
		ORDER BY INDEX_NAME, SEQ_IN_INDEX`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []uniqueKey
	for rows.Next() {
		var index string
		var col sql.NullString
		if err := rows.Scan(&index, &col); err != nil {
			return nil, err
		}
		if len(keys) == 0 || keys[len(keys)-1].name != index {
			keys = append(keys, uniqueKey{name: index})
		}
		k := &keys[len(keys)-1]
		if !col.Valid { // an expression part: no ORDER BY can follow it
			k.columns = nil
			continue
		}
		k.columns = append(k.columns, quoteIdent(col.String))
	}
	out := keys[:0]
	for _, k := range keys {
		if len(k.columns) > 0 {
			out = append(out, k)
		}
	}
	return out, rows.Err()
}

// release ends the hold: hold after doppel's changelog table appears, or
// when ctx ends with the doppel run. A nil hold does nothing.
func (h *copyHold) release(ctx context.Context, e *runEnv, hold time.Duration) holdResult {
	if h == nil {
		return holdResult{}
	}
	defer func() {
		h.conn.ExecContext(context.Background(), "ROLLBACK")
		h.conn.Close()
	}()
	if hold <= 0 {
		return holdResult{}
	}
	if h.rows == 0 {
		return holdResult{note: "no copy hold: gh_ost_test had no rows (or no unique key) when doppel started"}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return holdResult{note: "no copy hold: doppel ended before it created its changelog table"}
		case <-tick.C:
		}
		var n int
		err := e.replica.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES "+
			"WHERE TABLE_SCHEMA = 'test' AND TABLE_NAME = '_gh_ost_test_ghc'").Scan(&n)
		if err != nil && ctx.Err() == nil {
			return holdResult{note: "copy hold ended early: " + err.Error()}
		}
		if n > 0 {
			break
		}
	}
	select {
	case <-ctx.Done():
		return holdResult{note: "no copy hold: doppel finished while the first rows were locked, so its copy never waited for them"}
	case <-time.After(hold):
	}
	return holdResult{held: true, note: fmt.Sprintf("held the copy back %v after doppel created its changelog table (stand-in for --throttle-query)", hold)}
}

// waitForFirstRow gives a case whose create.sql seeds no rows the time for
// its event to insert one (it fires every second), so that the copy hold has
// a row to hold; an empty table would be migrated in a blink, with none of
// the event's DML passing through the binlog. It returns at once when the
// table has rows, and after limit when it stays empty (or has no event).
func (e *runEnv) waitForFirstRow(ctx context.Context, limit time.Duration) error {
	var events int
	if err := e.primary.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.EVENTS "+
		"WHERE EVENT_SCHEMA = 'test' AND STATUS = 'ENABLED'").Scan(&events); err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	deadline := time.Now().Add(limit)
	for {
		var any int
		err := e.replica.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM test.gh_ost_test)").Scan(&any)
		if err != nil || any == 1 || events == 0 || time.Now().After(deadline) {
			return nil // a missing table is the case's business, not the hold's
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if err := e.waitReplica(ctx); err != nil {
			return fmt.Errorf("replica did not catch up: %w", err)
		}
	}
}
