package workload

import (
	"database/sql"
	"fmt"
	"strings"
)

// Dump reads every row of q as text, NULL distinct from the string "NULL",
// so two result sets compare byte for byte.
func Dump(db *sql.DB, q string) ([]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, v := range vals {
			if v.Valid {
				fmt.Fprintf(&b, "%q|", v.String)
			} else {
				b.WriteString("NULL|")
			}
		}
		out = append(out, b.String())
	}
	return out, rows.Err()
}

// Diff compares two dumps row by row and describes up to limit differences.
func Diff(got, want []string, limit int) []string {
	var diffs []string
	n := 0
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g == w {
			continue
		}
		n++
		if len(diffs) < limit {
			diffs = append(diffs, fmt.Sprintf("row %d:\n  migrated:  %s\n  reference: %s", i, g, w))
		}
	}
	if n > limit {
		diffs = append(diffs, fmt.Sprintf("... and %d more", n-limit))
	}
	return diffs
}
