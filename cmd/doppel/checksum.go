package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/migration"
)

// compareFunc is migration.Compare's signature; tests substitute a fake.
type compareFunc func(ctx context.Context, cfg migration.CompareConfig, log zerolog.Logger) (migration.CompareReport, error)

const checksumHelp = `doppel checksum compares two tables of one database with the checksum a
migration runs before its swap: both tables are read-locked for a moment while
one consistent snapshot per thread opens, then hashed chunk by chunk over a
unique key they share, in the server. Columns whose type differs are compared
after conversion to the new type; any that cannot be compared are listed.
Nothing is written.

Usage:
  doppel checksum --host=HOST --user=USER --ask-pass --database=DB \
         --table=TABLE --against=_TABLE_gho

Exit codes: 0 the tables hold the same rows, 1 they differ (the differing
chunks and keys are logged) or the comparison failed, 2 bad usage.

Flags:
`

// runChecksum is `doppel checksum …`.
func (a *app) runChecksum(args []string) int {
	var o options
	var against string
	var chunk int64
	var lockSeconds int64
	fs := flag.NewFlagSet("doppel checksum", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.host, "host", "127.0.0.1", "MySQL host holding both tables")
	fs.IntVar(&o.port, "port", 3306, "MySQL port of --host")
	fs.StringVar(&o.user, "user", "", "MySQL user (overrides user in the --conf file)")
	fs.StringVar(&o.password, "password", "", "MySQL password; prefer --ask-pass, --conf or DOPPEL_PASSWORD/MYSQL_PWD in the environment")
	fs.StringVar(&o.conf, "conf", "", "MySQL option file whose [client] section gives user and password")
	fs.BoolVar(&o.askPass, "ask-pass", false, "read the MySQL password from the terminal (or one line of stdin)")
	bindConnectionFlags(fs, &o)
	fs.StringVar(&o.database, "database", "", "database of both tables (required)")
	fs.StringVar(&o.table, "table", "", "the reference table (required)")
	fs.StringVar(&against, "against", "", "the table compared with --table, e.g. its ghost _TABLE_gho (required)")
	fs.IntVar(&o.checksumThreads, "checksum-threads", autoThreads, fmt.Sprintf("chunks hashed at once (%d..%d); 0 is half the server's CPUs (1 on 2 cores)", minChecksumThreads, maxChecksumThreads))
	fs.Int64Var(&chunk, "chunk-size", 10000, "rows per chunk")
	fs.Int64Var(&lockSeconds, "lock-timeout-seconds", defaultLockTimeout, "seconds to wait for the tables' read lock")
	fs.BoolVar(&o.debug, "debug", false, "log debug detail")
	fs.BoolVar(&o.quiet, "quiet", false, "log errors only")
	fs.BoolVar(&o.help, "help", false, "print this help and exit")
	usage := func(w io.Writer) {
		var b strings.Builder
		b.WriteString(checksumHelp)
		fs.VisitAll(func(f *flag.Flag) { writeFlagHelp(&b, f) })
		_, _ = io.WriteString(w, b.String())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(a.stdout)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "doppel checksum: %v\n\n", err)
		usage(a.stderr)
		return exitUsage
	}
	if o.help {
		usage(a.stdout)
		return exitOK
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q: doppel checksum takes flags only", fs.Arg(0)))
	}
	if o.database == "" || o.table == "" || against == "" {
		problems = append(problems, "--database, --table and --against are required")
	}
	if o.checksumThreads < minChecksumThreads || o.checksumThreads > maxChecksumThreads {
		problems = append(problems, fmt.Sprintf("--checksum-threads=%d: give %d to %d (0: half the server's CPUs)", o.checksumThreads, minChecksumThreads, maxChecksumThreads))
	}
	if chunk < minChunkSize || chunk > maxChunkSize {
		problems = append(problems, fmt.Sprintf("--chunk-size=%d: give %d to %d", chunk, minChunkSize, maxChunkSize))
	}
	if lockSeconds < 1 {
		problems = append(problems, fmt.Sprintf("--lock-timeout-seconds=%d: give at least 1", lockSeconds))
	}
	if o.password == "" {
		o.password = movedPassword(a.getenv)
	}
	if o.askPass && o.password != "" {
		problems = append(problems, "--ask-pass and --password are mutually exclusive; give the password one way")
	}
	tlsCfg, timeout, connProblems := connectionSettings(&o)
	problems = append(problems, connProblems...)
	user, password := o.user, o.password
	if o.conf != "" {
		u, p, err := readOptionFile(o.conf, a.getenv)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--conf: %v", err))
		}
		if user == "" {
			user = u
		}
		if password == "" {
			password = p
		}
	}
	if password == "" && !o.askPass {
		password = envPassword(a.getenv)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "doppel checksum: %s\n", p)
		}
		fmt.Fprintln(a.stderr, "Run 'doppel checksum --help' for the list of flags.")
		return exitUsage
	}
	if o.askPass {
		p, err := readPassword(a.stdin, a.stderr)
		if err != nil {
			fmt.Fprintf(a.stderr, "doppel checksum: %v\n", err)
			return exitUsage
		}
		if p != "" {
			password = p
		}
	}
	log, _ := newLogger(a.stderr, &o, a.terminal(a.stderr))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := watchSignals(log, cancel, a.exit)
	defer stop()
	rep, err := a.compare(ctx, migration.CompareConfig{
		Host: o.host, Port: o.port, User: user, Password: password, TLS: tlsCfg, MySQLTimeout: timeout, Database: o.database,
		Table: o.table, Against: against, Threads: o.checksumThreads, ChunkSize: chunk,
		LockTimeout: time.Duration(lockSeconds) * time.Second,
	}, log)
	for _, s := range rep.Skipped {
		fmt.Fprintf(a.stdout, "not compared: %s\n", s)
	}
	if err != nil {
		var refused *migration.UsageError
		switch {
		case errors.As(err, &refused):
			logFailure(log, "checksum refused", err, false, password)
			return exitUsage
		case errors.Is(err, migration.ErrTablesDiffer):
			logFailure(log, "tables differ", err, false, password)
		default:
			logFailure(log, "checksum failed", err, false, password)
		}
		return exitFailed
	}
	fmt.Fprintf(a.stdout, "%s.%s and %s.%s hold the same rows: %d rows in %d chunks compared in %s (tables locked %s)\n",
		o.database, o.table, o.database, against, rep.Rows, rep.Chunks, rep.Duration.Round(time.Millisecond), rep.LockHeld.Round(time.Millisecond))
	return exitOK
}
