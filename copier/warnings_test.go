package copier

import (
	"context"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/schema"
)

// A stored generated column that exists only in the ghost is computed by the
// server from copied values; rounding its result raises a Note per row
// ("Data truncated for column 'tax'"), as the same ALTER run directly would,
// silently. No copied value changed, so the copy must go on (found by the
// generated-columns end-to-end case). The same Note on a column the copy
// writes is lost precision and still stops it.
func TestCopyJudgesNotesByTheColumnTheyName(t *testing.T) {
	cases := []struct {
		name, ghostAlter, wantErr string
	}{
		{"generated column rounds", "ADD COLUMN tax decimal(12,2) AS (price * qty * 0.2) STORED", ""},
		{"copied column rounds", "MODIFY price decimal(8,1) NOT NULL", "would lose data"},
	}
	cluster := sandbox.Shared(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, cp := newTestCopier(t, cluster, 10,
				"CREATE TABLE t (id int NOT NULL PRIMARY KEY, price decimal(8,2) NOT NULL, qty int NOT NULL)",
				"INSERT INTO t SELECT seq, seq / 7, seq % 9 FROM seq_1_to_100",
				"CREATE TABLE _t_gho LIKE t",
				"ALTER TABLE _t_gho "+c.ghostAlter)
			err := cp.Run(context.Background())
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("copy: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("copy: %v, want an error containing %q", err, c.wantErr)
			case c.wantErr == "" && cp.Copied() != 100:
				t.Fatalf("copied %d rows, want 100", cp.Copied())
			}
		})
	}
}

func TestComputedByGhostReadsBothColumnSpellings(t *testing.T) {
	c := &Copier{cfg: Config{Mapping: &schema.Mapping{GhostColumns: []string{"id", "Price"}}}}
	cases := []struct {
		w    warning
		want bool
	}{
		{warning{"Note", 1265, "Data truncated for column 'tax' at row 1"}, true},
		{warning{"Note", 1265, "Data truncated for column 'price' at row 3"}, false},
		{warning{"Note", 1366, "Incorrect decimal value: 'x' for column `db`.`_t_gho`.`tax` at row 1"}, true},
		{warning{"Note", 1366, "Incorrect decimal value: 'x' for column `db`.`_t_gho`.`price` at row 1"}, false},
		{warning{"Warning", 1264, "Out of range value for column 'tax' at row 1"}, false},
		{warning{"Note", 1000, "no column named"}, false},
	}
	for _, tc := range cases {
		if got := c.computedByGhost(tc.w); got != tc.want {
			t.Errorf("computedByGhost(%q %q) = %v, want %v", tc.w.Level, tc.w.Message, got, tc.want)
		}
	}
}
