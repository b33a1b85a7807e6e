package applier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// ErrRowsLost is returned by CheckDisplaced when a row the original holds is
// missing from the ghost because a duplicate on one of the ghost's unique
// keys displaced it.
var ErrRowsLost = errors.New("rows displaced from the ghost table")

// KeyValues names a row by its migration key.
type KeyValues struct {
	// Columns are the migration key's columns in the original table
	// (Mapping.KeyOrig); Values are in the same order, in the form the
	// applier binds them (unsigned integers as uint64, enum labels, raw
	// bytes for text in a non-UTF-8 charset).
	Columns []string
	Values  []any
	// Conflict is the ghost's unique key whose duplicate displaced the row.
	Conflict string

	id string
}

func (k KeyValues) String() string {
	var b strings.Builder
	for i, c := range k.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
		b.WriteByte('=')
		if i < len(k.Values) {
			b.WriteString(formatValue(k.Values[i]))
		}
	}
	return b.String()
}

func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []byte:
		return strconv.Quote(string(x))
	}
	return fmt.Sprint(v)
}

// Displaced returns the migration keys of the rows that duplicates on the
// ghost's unique keys removed from the ghost and that no later change has
// rewritten or deleted, ordered by key.
func (a *Applier) Displaced() []KeyValues {
	a.dispMu.Lock()
	defer a.dispMu.Unlock()
	out := make([]KeyValues, 0, len(a.displaced))
	for _, k := range a.displaced {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Querier runs a query: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// CheckDisplaced proves that no displaced row is lost: each displaced key
// the ghost holds again, or the original no longer holds, is dropped from the
// set; each one the original holds and the ghost does not makes the check
// fail with ErrRowsLost, naming the keys. ghost reads the ghost table and
// orig the original (they differ during a MariaDB cut-over, when only the
// lock connection may read the original).
//
// The answer is final only when the applier has drained every change up to
// a point at which the original cannot change, as under the cut-over lock;
// earlier, a failure may be transient (the change that resolves it not yet
// applied) and is worth re-checking after draining further.
func (a *Applier) CheckDisplaced(ctx context.Context, ghost, orig Querier) error {
	var lost []string
	for _, k := range a.Displaced() {
		inGhost, err := exists(ctx, ghost, "SELECT 1 FROM "+a.stmts.table+" WHERE "+a.ghostWhere()+" LIMIT 1", k.Values)
		if err != nil {
			return fmt.Errorf("look up displaced key in ghost: %w", err)
		}
		inOrig := false
		if !inGhost {
			if inOrig, err = exists(ctx, orig, "SELECT 1 FROM "+a.origTable+" WHERE "+a.origWhere+" LIMIT 1", k.Values); err != nil {
				return fmt.Errorf("look up displaced key in original: %w", err)
			}
		}
		if inOrig {
			lost = append(lost, fmt.Sprintf("(%s) by a duplicate on ghost key %s", k, schema.QuoteIdent(k.Conflict)))
			continue
		}
		a.dispMu.Lock()
		if cur, ok := a.displaced[k.id]; ok && cur.Conflict == k.Conflict {
			delete(a.displaced, k.id)
		}
		a.dispMu.Unlock()
	}
	if len(lost) > 0 {
		return fmt.Errorf("%w: %d rows of %s are missing from the ghost: %s", ErrRowsLost, len(lost), a.origTable, strings.Join(lost, "; "))
	}
	return nil
}

func (a *Applier) ghostWhere() string {
	cols := make([]string, len(a.key))
	ph := make([]string, len(a.key))
	for j, i := range a.key {
		cols[j], ph[j] = a.cols[i].ghost, a.cols[i].conv.placeholder()
	}
	return equalsTuple(cols, ph)
}

func exists(ctx context.Context, q Querier, query string, args []any) (bool, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// maxDisplaceAttempts bounds the insert/displace loop for one row: each
// round removes every row holding the duplicate value of one unique key, so
// only a concurrent writer could keep it going.
const maxDisplaceAttempts = 16

// insertResolving inserts one row, and on a duplicate on another unique key
// of the ghost removes the rows holding that value and tries again.
func (a *Applier) insertResolving(ctx context.Context, s *session, e entry) ([]KeyValues, error) {
	var displaced []KeyValues
	for attempt := 1; ; attempt++ {
		err := s.exec(ctx, a.stmts.insert(1), e.row...)
		if err == nil {
			return displaced, nil
		}
		if dbconn.ErrorNumber(err) != dbconn.ErDupEntry || attempt == maxDisplaceAttempts {
			return nil, fmt.Errorf("insert row (%s): %w", a.keyValues(e.key, ""), err)
		}
		d, err := a.displace(ctx, s, e, err)
		if err != nil {
			return nil, err
		}
		displaced = append(displaced, d...)
	}
}

// displace deletes the ghost rows that hold the value e duplicates, and
// returns their keys. A row with e's own key (written concurrently by the
// copier) is replaced, not displaced.
func (a *Applier) displace(ctx context.Context, s *session, e entry, dup error) ([]KeyValues, error) {
	name := dupKeyName(dup)
	uk, err := a.uniqueKey(ctx, s, name)
	if err != nil {
		return nil, fmt.Errorf("insert row (%s): %w: %w", a.keyValues(e.key, ""), err, dup)
	}
	conds := make([]string, len(uk.columns))
	args := make([]any, len(uk.columns))
	for i, gc := range uk.columns {
		idx := a.sharedByGhost(gc)
		if idx < 0 {
			return nil, fmt.Errorf("insert row (%s): duplicate on ghost key %s, whose column %s the original lacks, so the rows holding the value cannot be found: %w",
				a.keyValues(e.key, ""), schema.QuoteIdent(uk.name), schema.QuoteIdent(gc), dup)
		}
		conds[i] = schema.QuoteIdent(gc) + " = " + a.cols[idx].conv.placeholder()
		args[i] = e.row[idx]
	}
	query := "SELECT " + a.keySelect() + " FROM " + a.stmts.table + " WHERE " + strings.Join(conds, " AND ") + " FOR UPDATE"
	rows, err := s.conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find rows duplicating ghost key %s: %w", schema.QuoteIdent(uk.name), err)
	}
	var holders []entry
	for rows.Next() {
		vals := make([]any, len(a.key))
		ptrs := make([]any, len(a.key))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read rows duplicating ghost key %s: %w", schema.QuoteIdent(uk.name), err)
		}
		key, err := a.normalizeKey(vals)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read rows duplicating ghost key %s: %w", schema.QuoteIdent(uk.name), err)
		}
		holders = append(holders, entry{id: keyID(key), key: key})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rows duplicating ghost key %s: %w", schema.QuoteIdent(uk.name), err)
	}
	if len(holders) == 0 {
		return nil, fmt.Errorf("insert row (%s): duplicate on ghost key %s, but no ghost row holds its value as the applier compares it: %w",
			a.keyValues(e.key, ""), schema.QuoteIdent(uk.name), dup)
	}
	if err := a.deleteKeys(ctx, s, holders); err != nil {
		return nil, err
	}
	var out []KeyValues
	for _, h := range holders {
		if h.id != e.id {
			kv := a.keyValues(h.key, uk.name)
			out = append(out, kv)
		}
	}
	return out, nil
}

func (a *Applier) keyValues(key []any, conflict string) KeyValues {
	return KeyValues{Columns: a.keyOrig, Values: key, Conflict: conflict, id: keyID(key)}
}

// sharedByGhost finds a shared column by its ghost name.
func (a *Applier) sharedByGhost(name string) int {
	for i, c := range a.cols {
		if strings.EqualFold(c.ghost, name) {
			return i
		}
	}
	return -1
}

// keySelect reads the migration key back from the ghost in the form the
// binlog side binds it, so that the same values delete the row and compare
// equal with the keys of later changes.
func (a *Applier) keySelect() string {
	exprs := make([]string, len(a.key))
	for j, i := range a.key {
		c := a.cols[i]
		q := schema.QuoteIdent(c.ghost)
		switch c.conv.kind {
		case kindRelabel:
			exprs[j] = "CONVERT(CONVERT(" + q + " USING " + c.conv.charset + ") USING binary)"
		case kindBit:
			exprs[j] = q + " + 0"
		case kindFixedBinary:
			if c.conv.binaryCast {
				// INET6, UUID and INET4 read back as their text form; the
				// key placeholders take the binary one.
				exprs[j] = "CAST(" + q + " AS BINARY(" + strconv.Itoa(c.conv.length) + "))"
			} else {
				exprs[j] = q
			}
		default:
			exprs[j] = q
		}
	}
	return strings.Join(exprs, ", ")
}

// normalizeKey gives key values read from the ghost the Go types of the
// binlog side: the driver returns an unsigned BIGINT above 2^63-1 as text.
func (a *Applier) normalizeKey(vals []any) ([]any, error) {
	out := make([]any, len(vals))
	for j, v := range vals {
		c := a.cols[a.key[j]]
		switch c.conv.kind {
		case kindInt, kindUint, kindBit:
			var (
				s   string
				err error
			)
			switch x := v.(type) {
			case []byte:
				s = string(x)
			case string:
				s = x
			case int64:
				if c.conv.kind != kindInt && x >= 0 {
					out[j] = uint64(x)
				} else {
					out[j] = x
				}
				continue
			default:
				out[j] = v
				continue
			}
			if c.conv.kind == kindInt {
				out[j], err = strconv.ParseInt(s, 10, 64)
			} else {
				out[j], err = strconv.ParseUint(s, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("key column %s: not an integer", schema.QuoteIdent(c.ghost))
			}
		case kindRelabel, kindFixedBinary:
			out[j] = v
		default:
			if b, ok := v.([]byte); ok {
				out[j] = string(b)
			} else {
				out[j] = v
			}
		}
	}
	return out, nil
}

// dupKeyName reads the key name out of a 1062 message: MariaDB writes
// "... for key 'name'", MySQL 8.0.19+ "... for key 'table.name'". The last
// occurrence is taken because the duplicate value, earlier in the message,
// may contain anything.
func dupKeyName(err error) string {
	var me *mysql.MySQLError
	msg := err.Error()
	if errors.As(err, &me) {
		msg = me.Message
	}
	const marker = " for key '"
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(msg[i+len(marker):], "'")
}

// uniqueKey is a unique key of the ghost table.
type uniqueKey struct {
	name    string
	columns []string
}

// uniqueKey resolves the key named by a duplicate-key message. The ghost's
// keys are read on the session itself, which works under LOCK TABLES too.
func (a *Applier) uniqueKey(ctx context.Context, s *session, name string) (uniqueKey, error) {
	if name == "" {
		return uniqueKey{}, errors.New("duplicate-key message names no key")
	}
	a.keysMu.Lock()
	defer a.keysMu.Unlock()
	if a.ghostKeys == nil {
		keys, err := loadUniqueKeys(ctx, s, a.database, a.ghost)
		if err != nil {
			return uniqueKey{}, fmt.Errorf("load unique keys of %s: %w", a.stmts.table, err)
		}
		a.ghostKeys = keys
	}
	candidates := []string{name}
	if rest, ok := strings.CutPrefix(name, a.ghost+"."); ok {
		candidates = append(candidates, rest)
	}
	for _, n := range candidates {
		if k, ok := a.ghostKeys[n]; ok {
			return k, nil
		}
		for kn, k := range a.ghostKeys {
			if strings.EqualFold(kn, n) {
				return k, nil
			}
		}
	}
	return uniqueKey{}, fmt.Errorf("ghost has no usable unique key %s (prefix and expression keys are not resolved)", schema.QuoteIdent(name))
}

// loadUniqueKeys reads the ghost's unique keys over whole columns. A key
// over a prefix or an expression is left out: equality on the columns would
// not find the rows it considers duplicates.
func loadUniqueKeys(ctx context.Context, s *session, database, table string) (map[string]uniqueKey, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, SUB_PART
		FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
		ORDER BY INDEX_NAME, SEQ_IN_INDEX`, database, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keys := map[string]uniqueKey{}
	unusable := map[string]bool{}
	for rows.Next() {
		var (
			tableName, index string
			col              sql.NullString
			sub              sql.NullInt64
		)
		if err := rows.Scan(&tableName, &index, &col, &sub); err != nil {
			return nil, err
		}
		if tableName != table {
			continue // information_schema compares names case-insensitively on MariaDB
		}
		if !col.Valid || sub.Valid {
			unusable[index] = true
			continue
		}
		k := keys[index]
		k.name = index
		k.columns = append(k.columns, col.String)
		keys[index] = k
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for name := range unusable {
		delete(keys, name)
	}
	return keys, nil
}
