// Command doppel-demo shows doppel migrating a table that keeps taking
// writes, on a throwaway local MariaDB primary and replica, and proves the
// result: every row of the migrated table equals an untouched reference
// table that received the same writes in the same transactions.
//
// It is what `make demo` runs; nothing outside its temporary directory is
// touched.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

func main() {
	doppel := flag.String("doppel", "bin/doppel", "path to the doppel binary to run")
	rows := flag.Int("rows", 300_000, "rows in the demo table")
	rate := flag.Int("writes-per-second", 500, "application writes per second during the migration")
	alter := flag.String("alter", "ADD COLUMN note varchar(64) NOT NULL DEFAULT 'migrated', ADD INDEX k_ts (k, ts)", "the ALTER to run")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *doppel, *rows, *rate, *alter); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func run(ctx context.Context, doppel string, rows, rate int, alter string) error {
	say("starting a MariaDB primary and replica in a temporary directory")
	cluster, err := sandbox.Start(ctx, sandbox.Options{Replica: true})
	if err != nil {
		return err
	}
	defer func() {
		say("stopping the sandbox")
		cluster.Close()
	}()
	say("primary %s, replica %s (user doppel, password doppel)", cluster.Primary.Addr(), cluster.Replica.Addr())

	admin, err := sql.Open("mysql", cluster.Primary.DSN(""))
	if err != nil {
		return err
	}
	defer admin.Close()
	for _, q := range []string{"CREATE DATABASE demo", "CREATE TABLE demo.orders " + workload.LiveSchema, "CREATE TABLE demo.orders_ref " + workload.LiveSchema} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	db, err := sql.Open("mysql", cluster.Primary.DSN("demo"))
	if err != nil {
		return err
	}
	defer db.Close()
	say("seeding demo.orders with %d rows (and the reference copy demo.orders_ref)", rows)
	for _, q := range []string{workload.SeedSQL(workload.Live, "orders", rows), "INSERT INTO orders_ref SELECT * FROM orders"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if err := cluster.WaitReplicaCaughtUp(ctx); err != nil {
		return err
	}

	say("starting application writers: %d writes/s, each applied to orders and orders_ref in one transaction", rate)
	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"orders", "orders_ref"}, Workers: 4, Rate: rate, MaxID: int64(rows)})
	defer w.Stop()
	time.Sleep(time.Second)

	args := []string{
		"--host=" + cluster.Replica.Host, fmt.Sprintf("--port=%d", cluster.Replica.Port),
		"--user=doppel", "--password=doppel", "--database=demo", "--table=orders",
		"--alter=" + alter, "--chunk-size=2000", "--ok-to-drop-table", "--initially-drop-socket-file", "--execute",
	}
	say("running: %s %s", doppel, strings.Join(redact(args), " "))
	cmd := exec.CommandContext(ctx, doppel, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("doppel: %w", err)
	}
	took := time.Since(start)
	time.Sleep(time.Second) // writes keep landing in the new table
	w.Stop()
	res := w.Result()
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d application writes failed during the migration, first: %v", len(res.Errors), res.Errors[0])
	}

	say("verifying: every row of the migrated table against the reference")
	got, err := workload.Dump(db, "SELECT id, uk, k, c, pad, amount, ts FROM orders ORDER BY id")
	if err != nil {
		return err
	}
	want, err := workload.Dump(db, "SELECT id, uk, k, c, pad, amount, ts FROM orders_ref ORDER BY id")
	if err != nil {
		return err
	}
	if d := workload.Diff(got, want, 5); len(d) > 0 {
		return fmt.Errorf("the migrated table differs from the reference:\n%s", strings.Join(d, "\n"))
	}
	var create string
	if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE orders").Scan(new(string), &create); err != nil {
		return err
	}
	say("verified: all %d rows identical to the reference; %d application writes, none failed, longest write %v",
		len(got), res.Writes, res.Longest.Round(time.Millisecond))
	say("migration took %v; the table is now:\n%s", took.Round(time.Millisecond), create)
	return nil
}

func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "--password=") {
			a = "--password=***"
		}
		out[i] = a
	}
	return out
}
