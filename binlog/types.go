package binlog

import "fmt"

// Position is a point in the binary log. GTID is the server's GTID position
// (MariaDB domain-server-seq list, or a MySQL GTID set) when known.
type Position struct {
	File string
	Pos  uint32
	GTID string
}

func (p Position) String() string {
	if p.GTID != "" {
		return fmt.Sprintf("%s:%d (gtid %s)", p.File, p.Pos, p.GTID)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Pos)
}

// IsZero reports whether p names no position.
func (p Position) IsZero() bool { return p.File == "" && p.GTID == "" }

// Compare orders two positions of the same server by file and offset: -1 if p
// is before q, 0 if equal, +1 if after. GTID is ignored: file and offset
// already order a single server's log totally, a GTID set does not.
func (p Position) Compare(q Position) int {
	if c := compareFiles(p.File, q.File); c != 0 {
		return c
	}
	switch {
	case p.Pos < q.Pos:
		return -1
	case p.Pos > q.Pos:
		return 1
	}
	return 0
}

// Kind is the kind of row change.
type Kind uint8

const (
	Insert Kind = iota + 1
	Update
	Delete
)

func (k Kind) String() string {
	switch k {
	case Insert:
		return "insert"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// RowChange is one row of a row event. Values are go-mysql's decoding of the
// full row image, one entry per column in the table's ordinal order: Before is
// nil for an insert, After is nil for a delete.
type RowChange struct {
	Table  string
	Kind   Kind
	Before []any
	After  []any
}

// Txn is every change to the watched tables in one committed transaction, and
// the position just after its commit (resuming there never replays a part of it).
type Txn struct {
	Changes []RowChange
	End     Position

	// GTID is this transaction's own GTID ("domain-server-seq" on MariaDB,
	// "uuid:n" on MySQL); empty when the server logs none.
	GTID string

	// DDL is the statement text when the transaction ran a statement that
	// names a watched table (or drops the watched database) other than row
	// DML: ALTER, DROP, RENAME, TRUNCATE, ... The table under migration has
	// drifted and the migration must stop. The match is deliberately loose (a
	// statement that merely mentions a watched table name counts), because a
	// missed drift corrupts the ghost table while a false alarm only aborts.
	// A DML statement logged as text also counts, so DDL may hold row values:
	// report DDLTables and End, not the text.
	DDL string
	// DDLTables are the watched tables DDL names; empty when it names the
	// watched database as a whole.
	DDLTables []string
}
