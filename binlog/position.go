package binlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Server flavors, spelled as go-mysql spells them.
const (
	FlavorMariaDB = "mariadb"
	FlavorMySQL   = "mysql"
)

// DetectFlavor tells MariaDB from MySQL by the server's version string.
func DetectFlavor(ctx context.Context, db *sql.DB) (string, error) {
	var version string
	if err := db.QueryRowContext(ctx, "SELECT @@version").Scan(&version); err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return FlavorMariaDB, nil
	}
	return FlavorMySQL, nil
}

// stableStatusAttempts bounds how often CurrentPosition re-reads MariaDB's
// status while commits keep moving it, before it asks the server to map the
// position to a GTID instead.
const stableStatusAttempts = 5

// CurrentPosition is the server's binlog position now: the end of its current
// binlog file and the GTID position that goes with it. The two are read so
// that they agree; a stream started there sees every later transaction and
// no earlier one.
func CurrentPosition(ctx context.Context, db *sql.DB, flavor string) (Position, error) {
	switch flavor {
	case FlavorMariaDB:
		return currentMariaDBPosition(ctx, db)
	case FlavorMySQL:
		return currentMySQLPosition(ctx, db)
	}
	return Position{}, fmt.Errorf("current binlog position: unknown flavor %q", flavor)
}

func currentMariaDBPosition(ctx context.Context, db *sql.DB) (Position, error) {
	// SHOW MASTER STATUS has no GTID column on MariaDB, so the GTID is read
	// between two status reads: if the position did not move, no commit
	// happened in between and the three values describe one moment.
	var last Position
	for range stableStatusAttempts {
		before, err := binlogStatus(ctx, db, "SHOW MASTER STATUS")
		if err != nil {
			return Position{}, err
		}
		var gtid string
		if err := db.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&gtid); err != nil {
			return Position{}, fmt.Errorf("read gtid_binlog_pos: %w", err)
		}
		after, err := binlogStatus(ctx, db, "SHOW MASTER STATUS")
		if err != nil {
			return Position{}, err
		}
		if before.File == after.File && before.Pos == after.Pos {
			after.GTID = gtid
			return after, nil
		}
		last = after
	}
	// A busy server: let it compute the GTID position of a file/offset we hold
	// (it scans that binlog file, so this is the slow path).
	var gtid sql.NullString
	err := db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", last.File, last.Pos).Scan(&gtid)
	if err != nil {
		return Position{}, fmt.Errorf("map %s:%d to a gtid position: %w", last.File, last.Pos, err)
	}
	if !gtid.Valid {
		return Position{}, fmt.Errorf("map %s:%d to a gtid position: server returned NULL", last.File, last.Pos)
	}
	last.GTID = gtid.String
	return last, nil
}

func currentMySQLPosition(ctx context.Context, db *sql.DB) (Position, error) {
	// MySQL 8.4 removed SHOW MASTER STATUS; older servers lack the new name.
	// Its Executed_Gtid_Set column comes from the same snapshot as the file
	// and offset, so no second read is needed.
	p, err := binlogStatus(ctx, db, "SHOW BINARY LOG STATUS")
	if err != nil {
		p, err = binlogStatus(ctx, db, "SHOW MASTER STATUS")
		if err != nil {
			return Position{}, err
		}
	}
	p.GTID = stripSpace(p.GTID)
	return p, nil
}

// binlogStatus runs a SHOW ... STATUS statement and takes File, Position and,
// when the server has it (MySQL), Executed_Gtid_Set.
func binlogStatus(ctx context.Context, db *sql.DB, stmt string) (Position, error) {
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return Position{}, fmt.Errorf("%s: %w", strings.ToLower(stmt), err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Position{}, fmt.Errorf("%s: %w", strings.ToLower(stmt), err)
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Position{}, fmt.Errorf("%s: %w", strings.ToLower(stmt), err)
		}
		return Position{}, errors.New("binary logging is disabled on the server")
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return Position{}, fmt.Errorf("%s: %w", strings.ToLower(stmt), err)
	}
	var p Position
	for i, c := range cols {
		switch strings.ToLower(c) {
		case "file":
			p.File = vals[i].String
		case "position":
			n, err := strconv.ParseUint(vals[i].String, 10, 32)
			if err != nil {
				return Position{}, fmt.Errorf("%s: position %q: %w", strings.ToLower(stmt), vals[i].String, err)
			}
			p.Pos = uint32(n)
		case "executed_gtid_set":
			p.GTID = vals[i].String
		}
	}
	if p.File == "" {
		return Position{}, fmt.Errorf("%s: no file column", strings.ToLower(stmt))
	}
	return p, rows.Err()
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// compareFiles orders binlog file names. Names of one server share a base and
// differ in a numeric extension that may outgrow its zero padding
// (mysql-bin.999999 → mysql-bin.1000000), so the extension is compared as a
// number.
func compareFiles(a, b string) int {
	if a == b {
		return 0
	}
	ab, an, aok := splitFile(a)
	bb, bn, bok := splitFile(b)
	if aok && bok && ab == bb {
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		// Same number spelled differently (padding): fall back to the text.
	}
	return strings.Compare(a, b)
}

func splitFile(name string) (base string, n uint64, ok bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(name[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return name[:i], n, true
}

// mariaGTID is one MariaDB GTID, domain-server-sequence.
type mariaGTID struct {
	Domain, Server uint32
	Seq            uint64
}

func (g mariaGTID) String() string {
	return fmt.Sprintf("%d-%d-%d", g.Domain, g.Server, g.Seq)
}

func parseMariaGTID(s string) (mariaGTID, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return mariaGTID{}, fmt.Errorf("gtid %q: want domain-server-sequence", s)
	}
	d, err := strconv.ParseUint(parts[0], 10, 32)
	if err != nil {
		return mariaGTID{}, fmt.Errorf("gtid %q: domain: %w", s, err)
	}
	srv, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return mariaGTID{}, fmt.Errorf("gtid %q: server id: %w", s, err)
	}
	seq, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return mariaGTID{}, fmt.Errorf("gtid %q: sequence: %w", s, err)
	}
	return mariaGTID{Domain: uint32(d), Server: uint32(srv), Seq: seq}, nil
}

// mariaGTIDPos is a gtid_binlog_pos: the last GTID logged in each domain.
type mariaGTIDPos map[uint32]mariaGTID

// parseMariaGTIDPos reads a gtid_binlog_pos-style list. A domain listed twice
// (as in gtid_binlog_state, one entry per server) keeps its highest sequence:
// that is the one logged last.
func parseMariaGTIDPos(s string) (mariaGTIDPos, error) {
	pos := mariaGTIDPos{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		g, err := parseMariaGTID(part)
		if err != nil {
			return nil, err
		}
		if old, ok := pos[g.Domain]; !ok || g.Seq >= old.Seq {
			pos[g.Domain] = g
		}
	}
	return pos, nil
}

// String lists the domains in ascending order, so that equal positions are
// equal strings.
func (p mariaGTIDPos) String() string {
	domains := make([]uint32, 0, len(p))
	for d := range p {
		domains = append(domains, d)
	}
	sort.Slice(domains, func(i, j int) bool { return domains[i] < domains[j] })
	var b strings.Builder
	for i, d := range domains {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p[d].String())
	}
	return b.String()
}

// equalMariaGTIDPos reports whether two MariaDB GTID positions name the same
// GTID in every domain, whatever order they list the domains in.
func equalMariaGTIDPos(a, b string) (bool, error) {
	pa, err := parseMariaGTIDPos(a)
	if err != nil {
		return false, err
	}
	pb, err := parseMariaGTIDPos(b)
	if err != nil {
		return false, err
	}
	return pa.String() == pb.String(), nil
}
