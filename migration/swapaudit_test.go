package migration

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/schema"
)

func TestLateWritesAreThoseBetweenTheLastMarkerAndTheRename(t *testing.T) {
	t.Parallel()
	old := &schema.Table{Name: "_t_del", Columns: []schema.Column{{Name: "id"}, {Name: "v"}},
		Keys: []schema.Key{{Name: "k", Columns: []string{"v"}}, {Name: "PRIMARY", Columns: []string{"id"}, Primary: true}}}
	key, err := keyPositions(old)
	if err != nil || !slices.Equal(key, []int{0}) {
		t.Fatalf("key positions %v (%v), want [0]: the primary key, not the plain index", key, err)
	}
	row := func(kind binlog.Kind, id int64) binlog.RowChange {
		img := []any{id, []byte("value")}
		if kind == binlog.Delete {
			return binlog.RowChange{Table: "t", Kind: kind, Before: img}
		}
		return binlog.RowChange{Table: "t", Kind: kind, After: img}
	}
	marker := binlog.RowChange{Table: "_t_ghc", Kind: binlog.Update, After: []any{int64(2), nil, hintBarrier, "run-7"}}
	heartbeat := binlog.RowChange{Table: "_t_ghc", Kind: binlog.Update, After: []any{int64(1), nil, hintHeartbeat, "2026-11-27T08:00:00Z"}}
	stream := []binlog.Txn{
		{Changes: []binlog.RowChange{row(binlog.Update, 1), row(binlog.Insert, 2)}}, // drained
		{Changes: []binlog.RowChange{marker}},
		{DDL: "CREATE TABLE `_t_del` (id int) COMMENT='doppel cut-over sentry'"},
		{Changes: []binlog.RowChange{row(binlog.Update, 3)}},
		{Changes: []binlog.RowChange{heartbeat, row(binlog.Delete, 4)}},
		{DDL: "DROP TABLE `_t_del`"},
		{DDL: "RENAME TABLE `t` TO `_t_del`, `_t_gho` TO `t`"},
		{Changes: []binlog.RowChange{row(binlog.Update, 5)}}, // into the new table: fine
	}
	next := func() (binlog.Txn, error) {
		if len(stream) == 0 {
			return binlog.Txn{}, errors.New("end of stream without a rename")
		}
		txn := stream[0]
		stream = stream[1:]
		return txn, nil
	}
	late, err := lateWrites(next, "t", func(ch binlog.RowChange) string { return describeChange(ch, old, key) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("%s (id=3)", binlog.Update), fmt.Sprintf("%s (id=4)", binlog.Delete)}
	if !slices.Equal(late, want) {
		t.Fatalf("late writes %q, want %q", late, want)
	}
	if len(stream) != 1 {
		t.Fatalf("read past the rename: %d transactions left, want 1", len(stream))
	}
}

func TestLateWritesNeedTheRename(t *testing.T) {
	t.Parallel()
	next := func() (binlog.Txn, error) { return binlog.Txn{}, errors.New("stream ended") }
	if _, err := lateWrites(next, "t", func(binlog.RowChange) string { return "" }); err == nil {
		t.Fatal("no error when the rename never came")
	}
}
