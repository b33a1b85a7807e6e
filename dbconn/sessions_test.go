package dbconn

import (
	"context"
	"database/sql/driver"
	"io"
	"testing"
)

// fakeConn answers SELECT CONNECTION_ID() with one value.
type fakeConn struct {
	driver.Conn
	value driver.Value
}

func (c fakeConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &fakeRows{value: c.value}, nil
}

type fakeRows struct {
	value driver.Value
	done  bool
}

func (r *fakeRows) Columns() []string { return []string{"CONNECTION_ID()"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = r.value
	return nil
}

func TestConnectionIDReadsEveryRepresentation(t *testing.T) {
	for _, v := range []driver.Value{int64(42), uint64(42), []byte("42")} {
		id, err := connectionID(context.Background(), fakeConn{value: v})
		if err != nil || id != 42 {
			t.Errorf("%T: id %d, err %v", v, id, err)
		}
	}
	if _, err := connectionID(context.Background(), fakeConn{value: "42"}); err == nil {
		t.Errorf("a string id was accepted")
	}
}

func TestSessionsRemembersOnlyWhatWasAdded(t *testing.T) {
	var none *Sessions
	if none.Has(1) {
		t.Errorf("a nil set has members")
	}
	var s Sessions
	s.add(7)
	if !s.Has(7) || s.Has(8) {
		t.Errorf("Has(7) %v, Has(8) %v", s.Has(7), s.Has(8))
	}
}
