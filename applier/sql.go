package applier

import (
	"strings"
	"sync"

	"github.com/doppel-dev/doppel/schema"
)

// maxPlaceholders is the server's limit on arguments in one prepared
// statement (a 16-bit count in the protocol).
const maxPlaceholders = 65535

// maxStatementBytes bounds the argument bytes of one multi-row statement, well
// under the smallest max_allowed_packet doppel meets (MariaDB's 16MiB).
const maxStatementBytes = 4 << 20

// statements builds the SQL text of each statement shape once. Shapes differ
// only in their row count, so the text is cached per count and the hot path
// only binds arguments.
type statements struct {
	table      string // quoted `db`.`ghost`
	insertHead string // INSERT INTO t (cols) VALUES
	rowTuple   string // (?, CONVERT(...), ...)
	keyColumns string // `k` or (`k1`,`k2`)
	keyTuple   string // ? or (?,?)
	keyWidth   int
	rowWidth   int

	mu      sync.Mutex
	inserts map[int]string
	deletes map[int]string
}

// newStatements takes the ghost names of the shared columns and of the key
// columns, with the placeholder expression of each.
func newStatements(database, ghost string, cols []string, colPH []string, keys []string, keyPH []string) *statements {
	s := &statements{
		table:    schema.QuoteTable(database, ghost),
		keyWidth: len(keys),
		rowWidth: len(cols),
		inserts:  map[int]string{},
		deletes:  map[int]string{},
	}
	s.insertHead = "INSERT INTO " + s.table + " (" + schema.ColumnList(cols) + ") VALUES "
	s.rowTuple = "(" + strings.Join(colPH, ", ") + ")"
	if len(keys) == 1 {
		s.keyColumns, s.keyTuple = schema.QuoteIdent(keys[0]), keyPH[0]
	} else {
		s.keyColumns = "(" + schema.ColumnList(keys) + ")"
		s.keyTuple = "(" + strings.Join(keyPH, ", ") + ")"
	}
	return s
}

// insert is a multi-row INSERT of n rows. Plain INSERT, never REPLACE or
// IGNORE: a duplicate must surface as error 1062 so that it is resolved
// explicitly rather than by losing a row.
func (s *statements) insert(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.inserts[n]; ok {
		return q
	}
	var b strings.Builder
	b.Grow(len(s.insertHead) + n*(len(s.rowTuple)+2))
	b.WriteString(s.insertHead)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.rowTuple)
	}
	q := b.String()
	s.inserts[n] = q
	return q
}

// delete removes n keys. A row constructor IN list is a range scan of the key
// on both MySQL and MariaDB.
func (s *statements) delete(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.deletes[n]; ok {
		return q
	}
	var b strings.Builder
	b.WriteString("DELETE FROM " + s.table + " WHERE " + s.keyColumns + " IN (")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.keyTuple)
	}
	b.WriteString(")")
	q := b.String()
	s.deletes[n] = q
	return q
}

// rowsPerStatement is how many rows of width arguments fit in one statement.
func rowsPerStatement(width int) int {
	if width < 1 {
		width = 1
	}
	return maxPlaceholders / width
}

// argBytes estimates what an argument adds to a statement packet.
func argBytes(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 9
	case []byte:
		return len(x) + 9
	}
	return 9
}

// chunks splits n items into runs that fit in one statement: at most
// perStatement items, and no more argument bytes than maxStatementBytes unless
// a single item is larger on its own.
func chunks(n, perStatement int, size func(i int) int) [][2]int {
	var out [][2]int
	start, bytes := 0, 0
	for i := 0; i < n; i++ {
		sz := size(i)
		if i > start && (i-start >= perStatement || bytes+sz > maxStatementBytes) {
			out = append(out, [2]int{start, i})
			start, bytes = i, 0
		}
		bytes += sz
	}
	if start < n {
		out = append(out, [2]int{start, n})
	}
	return out
}
