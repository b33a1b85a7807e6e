package migration

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/schema"
)

// auditWait bounds how long the audit reads the binlog looking for the
// interrupted run's rename.
const auditWait = 2 * time.Minute

// maxLostShown bounds the keys a lost-writes error lists.
const maxLostShown = 20

// auditSwap checks the swap an interrupted run completed. The cut-over's
// point of no return is the sentry's drop: a run killed between the drop
// and the rename's arrival in the original table's lock queue lets writers
// that were waiting for the lock in ahead of the rename, and their rows
// land in the old table after the drain (docs/operations.md, "Resuming").
// The binlog says whether that happened: such writes are changes to the
// original that follow the cut-over's last barrier marker and precede the
// rename. It reads from the checkpoint to the rename and returns those
// changes, described by the old table's key.
func (m *migrator) auditSwap(ctx context.Context, from binlog.Position) ([]string, error) {
	old, err := schema.LoadTable(ctx, m.inspect, m.cfg.Database, m.names.old)
	if err != nil {
		return nil, fmt.Errorf("audit the swap: load %s: %w", m.names.old, err)
	}
	key, err := keyPositions(old)
	if err != nil {
		return nil, fmt.Errorf("audit the swap: %w", err)
	}
	streamer := binlog.New(binlog.Config{
		Host: m.inspectCfg.Host, Port: m.inspectCfg.Port, User: m.cfg.User, Password: m.cfg.Password,
		TLS:      m.inspectCfg.TLSConfig(),
		ServerID: m.cfg.ReplicaServerID, Flavor: m.flavor, Database: m.cfg.Database,
		Tables: []string{m.cfg.Table, m.names.changelog}, UseGTID: m.cfg.GTID,
		Logger: m.base,
	})
	ctx, cancel := context.WithTimeout(ctx, auditWait)
	defer cancel()
	txns := make(chan binlog.Txn, 64)
	streamed := make(chan error, 1)
	go func() { streamed <- streamer.Run(ctx, from, txns) }()
	next := func() (binlog.Txn, error) {
		select {
		case txn := <-txns:
			return txn, nil
		case err := <-streamed:
			if ctx.Err() != nil {
				return binlog.Txn{}, fmt.Errorf("audit the swap: no rename of %s found in the binlog after %s within %s", m.cfg.Table, from, auditWait)
			}
			return binlog.Txn{}, fmt.Errorf("audit the swap: read the binlog: %w", err)
		}
	}
	return lateWrites(next, m.cfg.Table, func(ch binlog.RowChange) string { return describeChange(ch, old, key) })
}

// lateWrites reads transactions up to the swap's rename and returns, as
// described by describe, the changes to table after the last barrier marker.
func lateWrites(next func() (binlog.Txn, error), table string, describe func(binlog.RowChange) string) ([]string, error) {
	var late []string
	for {
		txn, err := next()
		if err != nil {
			return nil, err
		}
		if txn.DDL != "" && isRename(txn) {
			return late, nil
		}
		for _, ch := range txn.Changes {
			if strings.EqualFold(ch.Table, table) {
				late = append(late, describe(ch))
				continue
			}
			if _, ok := barrierToken(ch); ok {
				late = late[:0]
			}
		}
	}
}

// isRename reports whether a statement in the binlog is the swap's rename.
// Other statements naming the table (the sentry's CREATE mentions the old
// name, which contains the original's) are not.
func isRename(txn binlog.Txn) bool {
	return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(txn.DDL)), "RENAME ")
}

// keyPositions finds the columns of a table's first unique key (PRIMARY
// when there is one) in its row images.
func keyPositions(t *schema.Table) ([]int, error) {
	for _, k := range t.Keys {
		if !k.Primary && !k.Unique {
			continue
		}
		pos := make([]int, 0, len(k.Columns))
		for _, name := range k.Columns {
			for i, c := range t.Columns {
				if strings.EqualFold(c.Name, name) {
					pos = append(pos, i)
				}
			}
		}
		if len(pos) == len(k.Columns) {
			return pos, nil
		}
	}
	return nil, fmt.Errorf("%s has no unique key to name rows by", t.Name)
}

// describeChange names a change by its kind and key, e.g. "update
// (id=42)". Key values are what an operator needs to find the row; no
// other column is shown.
func describeChange(ch binlog.RowChange, t *schema.Table, key []int) string {
	img := ch.After
	if ch.Kind == binlog.Delete {
		img = ch.Before
	}
	parts := make([]string, 0, len(key))
	for _, i := range key {
		if i < len(img) && i < len(t.Columns) {
			v := img[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts = append(parts, fmt.Sprintf("%s=%v", t.Columns[i].Name, v))
		}
	}
	return fmt.Sprintf("%s (%s)", ch.Kind, strings.Join(parts, ", "))
}

// lostWritesError reports writes the audit found in the old table only.
func (m *migrator) lostWritesError(late []string) error {
	shown := late
	if len(shown) > maxLostShown {
		shown = shown[:maxLostShown]
	}
	more := ""
	if len(late) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(late)-len(shown))
	}
	return fmt.Errorf("the interrupted run was killed inside its cut-over after the point of no return, and %d write(s) to %s committed to the old table between the drain and the rename: they are in %s but not in %s: %s%s; "+
		"apply them to %s by hand (compare the rows by key), then drop %s and %s; the binlog from %s holds them",
		len(late), m.cfg.Table, m.names.old, m.cfg.Table, strings.Join(shown, "; "), more,
		m.cfg.Table, m.names.checkpoint, m.names.changelog, m.swapCheckpoint)
}
