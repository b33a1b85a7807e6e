package migration

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doppel-dev/doppel/applier"
	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/schema"
)

// applyLinger bounds how long changes wait to be batched with later ones.
// Ten milliseconds of apply lag is nothing next to a migration's, and at a
// thousand single-row transactions a second it makes full batches of the
// default ten (bench/RESULTS.md).
const applyLinger = 10 * time.Millisecond

// applyLoop feeds the applier from the stream, in commit order. Changes to
// the original accumulate into batches; a barrier marker in the changelog
// flushes everything before it and then signals whoever wrote it.
func (m *migrator) applyLoop(ctx context.Context, in <-chan binlog.Txn) error {
	var pending []binlog.RowChange
	// seen is the end of the last transaction handed to pending in full.
	// lastApplied moves to it only once nothing is pending, so it never
	// runs ahead of what the ghost holds: a checkpoint may resume there.
	var seen binlog.Position
	// beat is the newest heartbeat read while changes were pending: the
	// applier has passed it once they are applied.
	var beat time.Time
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		// While throttled, the buffered stream fills and reading pauses;
		// the server keeps the binlogs.
		if err := m.throttle.Wait(ctx); err != nil {
			return err
		}
		var err error
		began := time.Now()
		if conn := m.applyConn.Load(); conn != nil {
			err = m.applier.ApplyOn(ctx, conn, pending)
		} else {
			err = m.applier.Apply(ctx, pending)
		}
		if err != nil {
			return err
		}
		m.metrics.ApplyBatch(time.Since(began))
		if m.metrics != nil {
			var counts changeCounts
			for _, ch := range pending {
				counts.add(ch.Kind)
			}
			counts.report(m.metrics.Applied)
		}
		m.applied.Add(int64(len(pending)))
		pending = pending[:0]
		if seen.File != "" {
			m.lastApplied.Store(seen)
		}
		if !beat.IsZero() {
			m.balance.passed(beat)
			beat = time.Time{}
		}
		return nil
	}
	for {
		var txn binlog.Txn
		select {
		case <-ctx.Done():
			return ctx.Err()
		case txn = <-in:
		}
		// A flush waits up to applyLinger after the first change it holds
		// for more to arrive, so a trickle of small transactions costs the
		// server one ghost commit per batch rather than one per row.
		linger := time.NewTimer(applyLinger)
		for more := true; more; {
			if m.isDrift(txn) {
				return fmt.Errorf("the original table's definition changed during the migration (%s on %v in the binlog at %s); the migration cannot continue and nothing was swapped: the original is untouched, start again once no one alters it", describeStatement(txn.DDL), txn.DDLTables, txn.End)
			}
			for _, ch := range txn.Changes {
				if strings.EqualFold(ch.Table, m.cfg.Table) {
					if err := m.checkKeyNotNull(ch); err != nil {
						return err
					}
					m.dirty.add(ch, m.keyRange.Cols[0], m.keyPos, m.keyTrackable)
					pending = append(pending, ch)
					continue
				}
				if at, ok := heartbeatTime(ch); ok {
					if len(pending) == 0 {
						m.balance.passed(at)
					} else {
						beat = at
					}
					continue
				}
				if token, ok := barrierToken(ch); ok {
					if err := flush(); err != nil {
						return err
					}
					if err := m.barriers.reached(ctx, token); err != nil {
						return err
					}
				}
			}
			seen = txn.End
			if len(pending) == 0 {
				m.lastApplied.Store(seen)
			}
			// With apply threads, a flush spreads over that many
			// transactions of a batch each.
			if len(pending) >= int(m.dmlBatch.Load())*max(m.cfg.ApplyThreads, 1) {
				if err := flush(); err != nil {
					return err
				}
			}
			select {
			case txn = <-in:
				continue
			default:
			}
			if len(pending) == 0 {
				more = false
				continue
			}
			select {
			case <-ctx.Done():
				linger.Stop()
				return ctx.Err()
			case txn = <-in:
			case <-linger.C:
				more = false
			}
		}
		linger.Stop()
		if err := flush(); err != nil {
			return err
		}
	}
}

// checkKeyNotNull stops the migration when a change writes NULL into a
// nullable migration key (--allow-nullable-unique-key): such rows cannot be
// told apart, so replaying them could duplicate or lose rows.
func (m *migrator) checkKeyNotNull(ch binlog.RowChange) error {
	if !m.mapping.KeyNullable {
		return nil
	}
	for _, img := range [][]any{ch.Before, ch.After} {
		for _, i := range m.keyPos {
			if img != nil && i < len(img) && img[i] == nil {
				return fmt.Errorf("a change wrote NULL into the nullable migration key %s; rows with NULL keys cannot be migrated safely: the original is untouched, give the table a NOT NULL unique key", m.mapping.KeyName)
			}
		}
	}
	return nil
}

// isDrift reports whether txn changed the original table's definition (or
// dropped its database). doppel's own statements on the changelog are not
// drift: through a replica they arrive after the start position.
func (m *migrator) isDrift(txn binlog.Txn) bool {
	if txn.DDL == "" {
		return false
	}
	if len(txn.DDLTables) == 0 {
		return true
	}
	for _, t := range txn.DDLTables {
		if t == m.cfg.Table {
			return true
		}
	}
	return false
}

// describeStatement names a statement that changed the original. Schema
// statements are quoted (up to 200 bytes): they hold definitions, not rows.
// Anything else (DML logged as text) is named by its first word only, as
// it may carry row values.
func describeStatement(stmt string) string {
	f := strings.Fields(stmt[:min(len(stmt), 400)])
	if len(f) == 0 {
		return "a statement"
	}
	switch strings.ToUpper(f[0]) {
	case "ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE":
		q := strings.Join(f, " ")
		if len(q) > 200 {
			q = q[:200] + "…"
		}
		return strconv.Quote(q)
	}
	return "a statement logged as text (" + strings.ToUpper(f[0]) + ")"
}

// barrierToken reads a barrier marker from a changelog row change.
func barrierToken(ch binlog.RowChange) (string, bool) {
	if ch.Kind == binlog.Delete || len(ch.After) < 4 {
		return "", false
	}
	if asString(ch.After[2]) != hintBarrier {
		return "", false
	}
	return asString(ch.After[3]), true
}

// heartbeatTime reads the time doppel wrote into a heartbeat row change.
func heartbeatTime(ch binlog.RowChange) (time.Time, bool) {
	if ch.Kind == binlog.Delete || len(ch.After) < 4 || asString(ch.After[2]) != hintHeartbeat {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, asString(ch.After[3]))
	return at, err == nil
}

func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// barrier is one marker written to the changelog. reachedCh closes when the
// applier has applied every change committed before the marker; with hold,
// the applier then stops until release is called, so nothing reaches the
// ghost while a cut-over attempt is in progress.
type barrier struct {
	token     string
	reachedCh chan struct{}
	hold      bool
	releaseCh chan struct{}
	once      sync.Once
}

func (b *barrier) release() { b.once.Do(func() { close(b.releaseCh) }) }

type barrierSet struct {
	mu   sync.Mutex
	seq  atomic.Int64
	open map[string]*barrier
	// run makes this process's tokens its own. A resumed run replays the
	// binlog from its checkpoint, markers of the interrupted run included;
	// were tokens only numbered, its own first barriers would be met by
	// those old markers before the ghost had caught up.
	run string
}

func (s *barrierSet) register(hold bool) *barrier {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == "" {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			// crypto/rand does not fail on Linux; the clock still tells runs apart.
			binary.BigEndian.PutUint64(r[:], uint64(time.Now().UnixNano()))
		}
		s.run = hex.EncodeToString(r[:])
	}
	b := &barrier{token: s.run + "-" + strconv.FormatInt(s.seq.Add(1), 10), reachedCh: make(chan struct{}), hold: hold, releaseCh: make(chan struct{})}
	if s.open == nil {
		s.open = map[string]*barrier{}
	}
	s.open[b.token] = b
	return b
}

func (s *barrierSet) forget(b *barrier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.open, b.token)
}

// reached runs on the apply loop when token's marker arrives.
func (s *barrierSet) reached(ctx context.Context, token string) error {
	s.mu.Lock()
	b := s.open[token]
	delete(s.open, token)
	s.mu.Unlock()
	if b == nil {
		return nil // a marker from an attempt that already gave up
	}
	close(b.reachedCh)
	if !b.hold {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-b.releaseCh:
		return nil
	}
}

// barrier writes a marker and waits until the applier has applied everything
// committed before it.
func (m *migrator) barrier(ctx context.Context, hold bool) (*barrier, error) {
	b := m.barriers.register(hold)
	if err := m.writeChangelog(ctx, m.write, hintBarrier, b.token); err != nil {
		m.barriers.forget(b)
		return nil, err
	}
	select {
	case <-b.reachedCh:
		return b, nil
	case <-ctx.Done():
		m.barriers.forget(b)
		b.release()
		return nil, fmt.Errorf("wait for the applier to reach the binlog marker: %w", ctx.Err())
	}
}

// catchUp returns once the ghost holds every change committed so far.
func (m *migrator) catchUp(ctx context.Context) error {
	return m.rideOut(ctx, "catch up", func(ctx context.Context) error {
		_, err := m.barrier(ctx, false)
		return err
	})
}

// verifySuspects proves that no row collided away: every key the copier
// skipped or the applier displaced is either in the ghost or gone from the
// original. A key can be missing only transiently (the change that resolves
// the collision is still in flight), so it is re-checked after catching up.
func (m *migrator) verifySuspects(ctx context.Context) error {
	var missing [][]any
	var displacedErr error
	for attempt := 0; attempt < 3; attempt++ {
		missing = missing[:0]
		for _, k := range m.suspects.list() {
			lost, err := m.lostRow(ctx, k)
			if err != nil {
				return err
			}
			if lost {
				missing = append(missing, k)
			} else {
				m.suspects.remove(k)
			}
		}
		displacedErr = m.applier.CheckDisplaced(ctx, m.write, m.write)
		if displacedErr != nil && !errors.Is(displacedErr, applier.ErrRowsLost) {
			return displacedErr
		}
		if len(missing) == 0 && displacedErr == nil {
			return nil
		}
		if err := m.catchUp(ctx); err != nil {
			return err
		}
	}
	if displacedErr != nil {
		var keys [][]any
		for _, k := range m.applier.Displaced() {
			if len(keys) < 10 {
				keys = append(keys, k.Values)
			}
		}
		return fmt.Errorf("%w; %s; the original is untouched and %s is kept for inspection", displacedErr, m.describeCollisions(ctx, keys), m.names.ghost)
	}
	shown := missing[:min(len(missing), 10)]
	return fmt.Errorf("%d row(s) of the original cannot be copied to the ghost: they collide on a unique key other than %s; %s; the original is untouched and %s is kept for inspection; first keys (%s): %v",
		len(missing), m.mapping.KeyName, m.describeCollisions(ctx, shown), m.names.ghost, strings.Join(m.mapping.KeyOrig, ","), shown)
}

// describeCollisions names, for lost rows, the ghost's unique index they
// collide on and the duplicated values: the operator's next step is to fix
// those values or drop the new UNIQUE key. The values are part of the
// error on purpose; it is the one place doppel shows table data.
func (m *migrator) describeCollisions(ctx context.Context, keys [][]any) string {
	byIndex := map[string][]string{}
	var order []string
	for _, k := range keys {
		for _, idx := range m.ghost.Keys {
			if !idx.Unique || strings.EqualFold(idx.Name, m.mapping.GhostKeyName) {
				continue
			}
			vals, ok := m.collision(ctx, idx, k)
			if !ok {
				continue
			}
			if _, seen := byIndex[idx.Name]; !seen {
				order = append(order, idx.Name)
			}
			byIndex[idx.Name] = append(byIndex[idx.Name], "("+vals+")")
			break
		}
	}
	if len(order) == 0 {
		return "did the ALTER add a UNIQUE key over duplicate values?"
	}
	var parts []string
	for _, name := range order {
		parts = append(parts, fmt.Sprintf("unique key %s: duplicated values %s", name, strings.Join(byIndex[name], " ")))
	}
	return strings.Join(parts, "; ") + "; the new UNIQUE key does not hold for the existing data: fix the duplicates or drop the key from the ALTER"
}

// collision reports whether the original's row with key collides on the
// ghost's unique index idx with a row already in the ghost, and the
// duplicated values.
func (m *migrator) collision(ctx context.Context, idx schema.Key, key []any) (string, bool) {
	origCols := make([]string, len(idx.Columns))
	for i, gc := range idx.Columns {
		origCols[i] = ""
		for j, g := range m.mapping.GhostColumns {
			if strings.EqualFold(g, gc) {
				origCols[i] = m.mapping.OrigColumns[j]
			}
		}
		if origCols[i] == "" {
			return "", false // a column the ALTER adds: not the original's data
		}
	}
	where, args := m.keyRange.In([][]any{key})
	vals := make([]sql.NullString, len(origCols))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s", schema.ColumnList(origCols), schema.QuoteTable(m.cfg.Database, m.cfg.Table), where)
	if err := m.write.QueryRowContext(ctx, q, args...).Scan(dest...); err != nil {
		return "", false
	}
	var conds []string
	var cargs []any
	shown := make([]string, len(vals))
	for i, v := range vals {
		if !v.Valid {
			return "", false // NULLs never collide
		}
		conds = append(conds, schema.QuoteIdent(idx.Columns[i])+" = ?")
		cargs = append(cargs, v.String)
		shown[i] = strconv.Quote(v.String)
	}
	var n int
	q = fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", schema.QuoteTable(m.cfg.Database, m.names.ghost), strings.Join(conds, " AND "))
	if err := m.write.QueryRowContext(ctx, q, cargs...).Scan(&n); err != nil || n == 0 {
		return "", false
	}
	return strings.Join(shown, ","), true
}

// lostRow reports whether key is in the original but not in the ghost.
func (m *migrator) lostRow(ctx context.Context, key []any) (bool, error) {
	in := func(table string, cols []string) (bool, error) {
		var conds []string
		for _, c := range cols {
			conds = append(conds, schema.QuoteIdent(c)+" = ?")
		}
		var n int
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", schema.QuoteTable(m.cfg.Database, table), strings.Join(conds, " AND "))
		if err := m.write.QueryRowContext(ctx, q, key...).Scan(&n); err != nil {
			return false, fmt.Errorf("look up key in %s: %w", table, err)
		}
		return n > 0, nil
	}
	inOrig, err := in(m.cfg.Table, m.mapping.KeyOrig)
	if err != nil || !inOrig {
		return false, err
	}
	inGhost, err := in(m.names.ghost, m.mapping.KeyGhost)
	return !inGhost, err
}

// applyConnHolder lets the MySQL cut-over path route the applier's writes
// through the session that holds the tables' write locks.
type applyConnHolder = atomic.Pointer[sql.Conn]
