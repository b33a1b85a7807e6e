package applier

import (
	"context"
	"fmt"
	"slices"

	"github.com/doppel-dev/doppel/dbconn"
)

// transaction applies one plan in one transaction on s and commits it. The
// session is in autocommit=0, so the first statement opens the transaction.
func (a *Applier) transaction(ctx context.Context, s *session, p plan) error {
	if err := a.deleteKeys(ctx, s, p.entries); err != nil {
		return err
	}
	rows := p.rows()
	var displaced []KeyValues
	for _, c := range chunks(len(rows), rowsPerStatement(a.stmts.rowWidth), func(i int) int { return rowBytes(rows[i].row) }) {
		part := rows[c[0]:c[1]]
		err := s.exec(ctx, a.stmts.insert(len(part)), flatten(part)...)
		if err == nil {
			continue
		}
		if dbconn.ErrorNumber(err) != dbconn.ErDupEntry {
			return fmt.Errorf("insert %d rows: %w", len(part), err)
		}
		// A failed INSERT is undone as a statement; the transaction and its
		// earlier statements stand, so the rest of the batch continues row by
		// row from this chunk on.
		a.log.Info().Str("key", dupKeyName(err)).Int("rows", len(rows)-c[0]).
			Msg("duplicate on a ghost unique key, inserting row by row")
		for _, e := range rows[c[0]:] {
			d, err := a.insertResolving(ctx, s, e)
			if err != nil {
				return err
			}
			displaced = append(displaced, d...)
		}
		break
	}
	return a.commit(ctx, s, p, displaced)
}

// deleteKeys removes every key the batch touches: keys whose last change was
// a delete, and keys about to be written, so that the INSERT cannot meet an
// older image of its own row.
func (a *Applier) deleteKeys(ctx context.Context, s *session, entries []entry) error {
	for _, c := range chunks(len(entries), rowsPerStatement(a.stmts.keyWidth), func(i int) int { return rowBytes(entries[i].key) }) {
		part := entries[c[0]:c[1]]
		args := make([]any, 0, len(part)*a.stmts.keyWidth)
		for _, e := range part {
			args = append(args, e.key...)
		}
		if err := s.exec(ctx, a.stmts.delete(len(part)), args...); err != nil {
			return fmt.Errorf("delete %d keys: %w", len(part), err)
		}
	}
	return nil
}

// commit ends the transaction and brings the displaced set up to date in
// the same order as the commits: a commit that displaced rows holds commitMu
// exclusively from COMMIT until its displacements are recorded, so a
// concurrent commit that rewrote one of those keys cannot record its
// rewrite out of order.
func (a *Applier) commit(ctx context.Context, s *session, p plan, displaced []KeyValues) error {
	if len(displaced) > 0 {
		a.commitMu.Lock()
		defer a.commitMu.Unlock()
	} else {
		a.commitMu.RLock()
		defer a.commitMu.RUnlock()
	}
	err := s.exec(ctx, "COMMIT")
	a.dispMu.Lock()
	if err == nil && len(a.displaced) > 0 {
		for _, e := range p.entries {
			delete(a.displaced, e.id)
		}
	}
	// Recorded even when COMMIT failed: it may have committed all the same,
	// and a retry would then find nothing left to displace. An entry the
	// ghost does hold costs CheckDisplaced one lookup.
	for _, d := range displaced {
		a.displaced[d.id] = d
	}
	a.dispMu.Unlock()
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if len(displaced) > 0 {
		var keys []string
		for _, d := range displaced {
			if !slices.Contains(keys, d.Conflict) {
				keys = append(keys, d.Conflict)
			}
		}
		a.log.Warn().Int("rows", len(displaced)).Strs("keys", keys).Msg("rows displaced from the ghost by duplicates on its unique keys")
	}
	a.log.Debug().Int("changes", p.changes).Int("keys", len(p.entries)).Msg("batch applied")
	return nil
}

func flatten(entries []entry) []any {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, len(entries)*len(entries[0].row))
	for _, e := range entries {
		args = append(args, e.row...)
	}
	return args
}

func rowBytes(vals []any) int {
	n := 0
	for _, v := range vals {
		n += argBytes(v)
	}
	return n
}
