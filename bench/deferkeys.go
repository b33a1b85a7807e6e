package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/doppel-dev/doppel/sandbox"
)

// deferKeys measures what copying without the secondary index and adding it
// afterwards would save (issue 7's optional --defer-secondary-keys, not
// built): doppel's copy of the table with its index k_1, its copy of the
// same table without it, and the in-place build of k_1 on the copied table
// without it, which is what a deferred build on the ghost would cost.
func deferKeys(ctx context.Context, db *sql.DB, s *sandbox.Server, doppel string, rows, chunk, rounds int, extra []string) error {
	type round struct{ withKey, withoutKey, build time.Duration }
	var results []round
	copyTime := func(dropKey bool) (time.Duration, error) {
		if err := seed(ctx, db, rows); err != nil {
			return 0, err
		}
		if dropKey {
			if _, err := db.ExecContext(ctx, "ALTER TABLE sbtest1 DROP INDEX k_1"); err != nil {
				return 0, err
			}
		}
		r := measure(ctx, db, s, "doppel", 0, rows, doppel, chunk, extra)
		if r.err != nil {
			return 0, r.err
		}
		return time.Duration(r.phases.Copy * float64(time.Millisecond)), nil
	}
	for i := range rounds {
		fmt.Fprintf(os.Stderr, "bench: deferred keys, round %d of %d\n", i+1, rounds)
		var r round
		var err error
		if r.withKey, err = copyTime(false); err != nil {
			return fmt.Errorf("deferred keys, copy with k_1: %w", err)
		}
		if r.withoutKey, err = copyTime(true); err != nil {
			return fmt.Errorf("deferred keys, copy without k_1: %w", err)
		}
		began := time.Now()
		if _, err := db.ExecContext(ctx, "ALTER TABLE sbtest1 ADD INDEX k_1 (k), ALGORITHM=INPLACE, LOCK=NONE"); err != nil {
			return fmt.Errorf("deferred keys, build k_1: %w", err)
		}
		r.build = time.Since(began)
		results = append(results, r)
	}
	fmt.Printf("\ndeferred secondary keys: doppel's copy (idle) with the index k_1, without it, and k_1 built in place afterwards\n\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "round\tcopy with k_1 s\tcopy without s\tbuild k_1 s\twithout + build\tvs with")
	for i, r := range results {
		deferred := r.withoutKey + r.build
		fmt.Fprintf(tw, "%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f%%\n", i+1, r.withKey.Seconds(), r.withoutKey.Seconds(), r.build.Seconds(),
			deferred.Seconds(), 100*deferred.Seconds()/r.withKey.Seconds())
	}
	return tw.Flush()
}
