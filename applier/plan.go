package applier

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"

	"github.com/doppel-dev/doppel/binlog"
)

// entry is where one migration key stands after a batch.
type entry struct {
	id  string // keyID of key
	key []any  // converted key values, in Mapping.KeyOrig order
	row []any  // converted shared values; nil when the batch leaves the key deleted
	seq int    // index of the batch's last change to the key
}

// plan is a batch coalesced per key: inside one transaction only the last
// image of a key is observable, so earlier images are never written.
type plan struct {
	entries []entry // ordered by seq: rows go in in the order the original last wrote them
	changes int
}

// split deals p's keys to at most n plans by a hash of the key, keeping
// each plan's entries in p's order. Changes are counted where their key's
// last change went, which is only for logs.
func (p plan) split(n int) []plan {
	if n <= 1 || len(p.entries) <= 1 {
		return []plan{p}
	}
	parts := make([]plan, n)
	for _, e := range p.entries {
		h := fnv.New32a()
		h.Write([]byte(e.id))
		i := int(h.Sum32() % uint32(n))
		parts[i].entries = append(parts[i].entries, e)
		parts[i].changes++
	}
	out := parts[:0]
	for _, sub := range parts {
		if len(sub.entries) > 0 {
			out = append(out, sub)
		}
	}
	out[0].changes += p.changes - len(p.entries)
	return out
}

func (p plan) rows() []entry {
	var out []entry
	for _, e := range p.entries {
		if e.row != nil {
			out = append(out, e)
		}
	}
	return out
}

func (a *Applier) plan(changes []binlog.RowChange) (plan, error) {
	p := plan{changes: len(changes)}
	at := map[string]int{}
	set := func(e entry) {
		if i, ok := at[e.id]; ok {
			p.entries[i] = e
			return
		}
		at[e.id] = len(p.entries)
		p.entries = append(p.entries, e)
	}
	for i, c := range changes {
		if c.Table != "" && c.Table != a.origName {
			return plan{}, fmt.Errorf("row change %d is for table %q, not %q", i, c.Table, a.origName)
		}
		switch c.Kind {
		case binlog.Delete:
			key, err := a.keyOf(c.Before)
			if err != nil {
				return plan{}, fmt.Errorf("row change %d (delete): %w", i, err)
			}
			set(entry{id: keyID(key), key: key, seq: i})
		case binlog.Insert:
			e, err := a.write(c.After, i)
			if err != nil {
				return plan{}, fmt.Errorf("row change %d (insert): %w", i, err)
			}
			set(e)
		case binlog.Update:
			before, err := a.keyOf(c.Before)
			if err != nil {
				return plan{}, fmt.Errorf("row change %d (update): %w", i, err)
			}
			e, err := a.write(c.After, i)
			if err != nil {
				return plan{}, fmt.Errorf("row change %d (update): %w", i, err)
			}
			if id := keyID(before); id != e.id {
				set(entry{id: id, key: before, seq: i})
			}
			set(e)
		default:
			return plan{}, fmt.Errorf("row change %d: kind %s", i, c.Kind)
		}
	}
	sort.SliceStable(p.entries, func(i, j int) bool { return p.entries[i].seq < p.entries[j].seq })
	return p, nil
}

// write converts an after image into the entry that writes it.
func (a *Applier) write(image []any, seq int) (entry, error) {
	if len(image) != a.width {
		return entry{}, fmt.Errorf("row image has %d values, table %s has %d columns", len(image), a.origTable, a.width)
	}
	row := make([]any, len(a.cols))
	for i, c := range a.cols {
		v, err := c.conv.value(image[c.pos])
		if err != nil {
			return entry{}, err
		}
		row[i] = v
	}
	key := make([]any, len(a.key))
	for j, i := range a.key {
		if row[i] == nil {
			return entry{}, fmt.Errorf("migration key column %s is NULL", a.keyOrig[j])
		}
		key[j] = row[i]
	}
	return entry{id: keyID(key), key: key, row: row, seq: seq}, nil
}

// keyOf converts only the key columns of a before image.
func (a *Applier) keyOf(image []any) ([]any, error) {
	if len(image) != a.width {
		return nil, fmt.Errorf("row image has %d values, table %s has %d columns", len(image), a.origTable, a.width)
	}
	key := make([]any, len(a.key))
	for j, i := range a.key {
		c := a.cols[i]
		v, err := c.conv.value(image[c.pos])
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, fmt.Errorf("migration key column %s is NULL", a.keyOrig[j])
		}
		key[j] = v
	}
	return key, nil
}

// keyID is a map key equal for equal key values, whichever Go type carried
// them: the binlog and the ghost hand the same integer or string back in
// different types.
func keyID(vals []any) string {
	var b []byte
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b = append(b, 'N')
		case uint64:
			b = append(b, 'I')
			b = strconv.AppendUint(b, x, 10)
		case uint32, uint16, uint8, uint:
			i, _ := toInt64(x)
			b = append(b, 'I')
			b = strconv.AppendUint(b, uint64(i), 10)
		case string:
			b = appendBytes(append(b, 'S'), x)
		case []byte:
			b = appendBytes(append(b, 'S'), string(x))
		case float32:
			b = append(b, 'F')
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
		case float64:
			b = append(b, 'F')
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		default:
			if i, ok := toInt64(x); ok {
				b = append(b, 'I')
				b = strconv.AppendInt(b, i, 10)
				break
			}
			b = appendBytes(append(b, 'O'), fmt.Sprintf("%T %v", x, x))
		}
		b = append(b, ';')
	}
	return string(b)
}

func appendBytes(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}
