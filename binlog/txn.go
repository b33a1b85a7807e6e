package binlog

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// ErrUnsupported marks binlog content doppel refuses to interpret because doing
// so could silently lose or invent row changes (partial row images, XA
// transactions on watched tables, compressed MySQL transactions).
var ErrUnsupported = errors.New("unsupported binlog content")

// step is what one event changed: a transaction to hand on, and/or a new
// transaction boundary (a position from which streaming can resume).
type step struct {
	txn      *Txn
	boundary *Position
}

// assembler turns the event sequence of a binlog into committed transactions.
// It is not safe for concurrent use; Run owns one per stream.
type assembler struct {
	flavor   string
	database string
	watched  map[string]bool

	file  string
	maria mariaGTIDPos        // MariaDB: last GTID per domain so far
	mysql *mysql.MysqlGTIDSet // MySQL: executed set so far; nil once untrackable

	// The event group being read.
	inGroup   bool // inside BEGIN…COMMIT (or its MariaDB GTID equivalent)
	gtid      string
	pendMaria *mariaGTID
	changes   []RowChange
	ddl       string
	ddlTables []string
}

func newAssembler(flavor, database string, watched map[string]bool, start Position) (*assembler, error) {
	a := &assembler{flavor: flavor, database: database, watched: watched, file: start.File}
	switch flavor {
	case FlavorMariaDB:
		pos, err := parseMariaGTIDPos(start.GTID)
		if err != nil {
			return nil, fmt.Errorf("start gtid position: %w", err)
		}
		a.maria = pos
	case FlavorMySQL:
		set, err := mysql.ParseMysqlGTIDSet(stripSpace(start.GTID))
		if err != nil {
			// Tagged GTIDs (MySQL 8.4) are beyond go-mysql's set type; positions
			// then carry no GTID rather than a wrong one.
			return a, nil
		}
		a.mysql = set.(*mysql.MysqlGTIDSet)
	default:
		return nil, fmt.Errorf("unknown flavor %q", flavor)
	}
	return a, nil
}

func (a *assembler) position(pos uint32) Position {
	p := Position{File: a.file, Pos: pos}
	switch {
	case a.flavor == FlavorMariaDB:
		p.GTID = a.maria.String()
	case a.mysql != nil:
		p.GTID = a.mysql.String()
	}
	return p
}

func (a *assembler) reset() {
	a.inGroup = false
	a.gtid = ""
	a.pendMaria = nil
	a.changes = nil
	a.ddl = ""
	a.ddlTables = nil
}

// touched reports whether the open group holds anything for the watched tables.
func (a *assembler) touched() bool { return len(a.changes) > 0 || a.ddl != "" }

func (a *assembler) handle(ev *replication.BinlogEvent) (step, error) {
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		a.file = string(e.NextLogName)
		if a.inGroup {
			// go-mysql announces a reconnect inside a transaction with an
			// artificial rotate to the same file; the group goes on.
			return step{}, nil
		}
		p := a.position(uint32(e.Position))
		return step{boundary: &p}, nil

	case *replication.MariadbGTIDEvent:
		if err := a.abandonGroup(); err != nil {
			return step{}, err
		}
		g := mariaGTID{Domain: e.GTID.DomainID, Server: e.GTID.ServerID, Seq: e.GTID.SequenceNumber}
		a.pendMaria = &g
		a.gtid = g.String()
		// A standalone group (DDL, or a statement that commits itself) has no
		// closing COMMIT: its one statement closes it.
		a.inGroup = !e.IsStandalone()
		return step{}, nil

	case *replication.GtidTaggedLogEvent:
		return a.mysqlGTID(&e.GTIDEvent)

	case *replication.GTIDEvent:
		return a.mysqlGTID(e)

	case *replication.QueryEvent:
		return a.query(ev.Header, e)

	case *replication.XIDEvent:
		return a.commit(ev.Header)

	case *replication.RowsEvent:
		return step{}, a.rows(ev.Header, e)

	case *replication.TransactionPayloadEvent:
		return step{}, fmt.Errorf("%w: compressed transaction (binlog_transaction_compression) at %s:%d",
			ErrUnsupported, a.file, ev.Header.LogPos)
	}

	switch ev.Header.EventType {
	case replication.XA_PREPARE_LOG_EVENT:
		// The prepared half of an XA transaction ends its group here but
		// commits (or not) later, in a group of its own.
		if a.touched() {
			return step{}, fmt.Errorf("%w: xa transaction on a watched table at %s:%d",
				ErrUnsupported, a.file, ev.Header.LogPos)
		}
		a.reset()
		p := a.position(ev.Header.LogPos)
		return step{boundary: &p}, nil
	}
	return step{}, nil
}

// abandonGroup is called when a new group starts. A group still open then
// ended in a way not recognised; that is harmless unless it held changes to
// the watched tables, which would otherwise be dropped or misattributed.
func (a *assembler) abandonGroup() error {
	if a.touched() {
		return fmt.Errorf("transaction %q on a watched table ended without a commit before %s", a.gtid, a.file)
	}
	a.reset()
	return nil
}

func (a *assembler) mysqlGTID(e *replication.GTIDEvent) (step, error) {
	if err := a.abandonGroup(); err != nil {
		return step{}, err
	}
	if len(e.SID) == 16 && e.GNO > 0 {
		if e.Tag != "" {
			a.gtid = fmt.Sprintf("%s:%s:%d", formatUUID(e.SID), e.Tag, e.GNO)
		} else {
			a.gtid = fmt.Sprintf("%s:%d", formatUUID(e.SID), e.GNO)
		}
	}
	// MySQL opens every group with BEGIN except a self-committing statement,
	// so the group is entered on BEGIN, not here.
	return step{}, nil
}

func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (a *assembler) query(h *replication.EventHeader, e *replication.QueryEvent) (step, error) {
	stmt := strings.TrimSpace(string(e.Query))
	upper := strings.ToUpper(firstWords(stmt, 2))
	switch {
	case upper == "BEGIN" || strings.HasPrefix(upper, "BEGIN "):
		a.inGroup = true
		return step{}, nil
	case upper == "COMMIT":
		return a.commit(h)
	case upper == "ROLLBACK":
		// Only changes to non-transactional tables are logged before a
		// ROLLBACK, and those did happen: hand them on like a commit.
		return a.commit(h)
	case strings.HasPrefix(upper, "SAVEPOINT") || strings.HasPrefix(upper, "ROLLBACK TO") ||
		strings.HasPrefix(upper, "RELEASE SAVEPOINT"):
		return step{}, nil
	case strings.HasPrefix(upper, "XA "):
		if a.touched() {
			return step{}, fmt.Errorf("%w: xa transaction on a watched table at %s:%d",
				ErrUnsupported, a.file, h.LogPos)
		}
		if strings.HasPrefix(upper, "XA START") || strings.HasPrefix(upper, "XA BEGIN") {
			a.inGroup = true
			return step{}, nil
		}
		if a.inGroup {
			return step{}, nil
		}
		return a.commit(h)
	}
	if m := matchStatement(stmt, string(e.Schema), a.database, a.watched); m.any() {
		if a.ddl == "" {
			a.ddl = stmt
		} else {
			a.ddl += ";\n" + stmt
		}
		for _, t := range m.tables {
			if !slices.Contains(a.ddlTables, t) {
				a.ddlTables = append(a.ddlTables, t)
			}
		}
	}
	if a.inGroup {
		// A statement inside a transaction (CREATE TABLE … SELECT): the
		// group's commit event closes it.
		return step{}, nil
	}
	return a.commit(h)
}

func (a *assembler) rows(h *replication.EventHeader, e *replication.RowsEvent) error {
	// Rows of unwatched tables were never decoded (see Streamer.decodeRows).
	if e.Table == nil || e.Rows == nil {
		return nil
	}
	if string(e.Table.Schema) != a.database || !a.watched[string(e.Table.Table)] {
		return nil
	}
	table := string(e.Table.Table)
	a.inGroup = true
	for _, skipped := range e.SkippedColumns {
		if len(skipped) > 0 {
			return fmt.Errorf("%w: partial row image of %s.%s at %s:%d (binlog_row_image must be FULL)",
				ErrUnsupported, a.database, table, a.file, h.LogPos)
		}
	}
	switch h.EventType {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		for _, r := range e.Rows {
			a.changes = append(a.changes, RowChange{Table: table, Kind: Insert, After: r})
		}
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		for _, r := range e.Rows {
			a.changes = append(a.changes, RowChange{Table: table, Kind: Delete, Before: r})
		}
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1:
		if len(e.Rows)%2 != 0 {
			return fmt.Errorf("update rows event for %s.%s at %s:%d has %d images, want before/after pairs",
				a.database, table, a.file, h.LogPos, len(e.Rows))
		}
		for i := 0; i < len(e.Rows); i += 2 {
			a.changes = append(a.changes, RowChange{Table: table, Kind: Update, Before: e.Rows[i], After: e.Rows[i+1]})
		}
	default:
		// PARTIAL_UPDATE_ROWS_EVENT carries JSON diffs, not row images.
		return fmt.Errorf("%w: %s for %s.%s at %s:%d", ErrUnsupported, h.EventType, a.database, table, a.file, h.LogPos)
	}
	return nil
}

func (a *assembler) commit(h *replication.EventHeader) (step, error) {
	if h.LogPos == 0 {
		return step{}, fmt.Errorf("commit event in %s carries no log position", a.file)
	}
	if a.pendMaria != nil {
		a.maria[a.pendMaria.Domain] = *a.pendMaria
	}
	if a.mysql != nil && a.gtid != "" && a.flavor == FlavorMySQL {
		if err := a.mysql.Update(a.gtid); err != nil {
			// A GTID the set type cannot hold (tagged): stop tracking rather
			// than report a set that misses it.
			a.mysql = nil
		}
	}
	p := a.position(h.LogPos)
	var txn *Txn
	if a.touched() {
		txn = &Txn{Changes: a.changes, End: p, GTID: a.gtid, DDL: a.ddl, DDLTables: a.ddlTables}
	}
	a.reset()
	return step{txn: txn, boundary: &p}, nil
}

// firstWords returns up to n leading whitespace-separated words of s, joined
// by single spaces. It looks no further than it must: a statement logged as
// text can be megabytes long.
func firstWords(s string, n int) string {
	var words []string
	i := 0
	for len(words) < n {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		words = append(words, s[i:j])
		i = j
	}
	return strings.Join(words, " ")
}
