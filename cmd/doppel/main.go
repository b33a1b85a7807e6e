// Command doppel migrates the schema of a live MySQL or MariaDB table. It
// takes gh-ost's command line, turns it into a migration.Config, and runs the
// migration with a logger and a context cancelled by SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/metrics"
	"github.com/doppel-dev/doppel/migration"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "unknown"
	date    = "unknown"
)

const (
	exitOK     = 0
	exitFailed = 1 // the migration failed or was interrupted
	exitUsage  = 2 // the command line is wrong; nothing was touched
)

// migrateFunc is migration.Run's signature; tests substitute a fake.
type migrateFunc func(ctx context.Context, cfg migration.Config, log zerolog.Logger) (migration.Report, error)

var runMigration migrateFunc = migration.Run

func main() {
	hidePassword()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := app{
		stdin:   stdin,
		stdout:  stdout,
		stderr:  stderr,
		migrate: runMigration,
		compare: migration.Compare,
		getenv:  os.Getenv,
		exit:    os.Exit,
		isTTY:   isTerminal,
	}
	return a.run(args)
}

// app is the process's outside world, so tests can run doppel without a
// database, an environment or a real exit.
type app struct {
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	migrate migrateFunc
	compare compareFunc
	getenv  func(string) string
	exit    func(int)            // used only by the second-signal hard exit
	isTTY   func(io.Writer) bool // nil: nothing is a terminal
}

// terminal reports whether w is an interactive terminal.
func (a *app) terminal(w io.Writer) bool { return a.isTTY != nil && a.isTTY(w) }

func (a *app) run(args []string) int {
	if len(args) > 0 && args[0] == "checksum" {
		return a.runChecksum(args[1:])
	}
	var o options
	fs := defineFlags(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // -h, which is not a gh-ost flag but is what people type
			printHelp(a.stdout, fs)
			return exitOK
		}
		fmt.Fprintf(a.stderr, "doppel: %s\n", describeParseError(fs, err))
		return exitUsage
	}
	// flag stops at the first non-flag word and ignores everything after it;
	// an unquoted --alter would silently drop the flags that follow.
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "doppel: unexpected argument %q: doppel takes flags only; quote the whole --alter value, e.g. --alter=\"ADD COLUMN c INT\"\n", fs.Arg(0))
		return exitUsage
	}
	if o.help {
		printHelp(a.stdout, fs)
		return exitOK
	}
	if o.version {
		fmt.Fprintf(a.stdout, "doppel %s (commit %s, built %s)\n", version, commit, date)
		return exitOK
	}
	if refused := refusedFlags(fs); len(refused) > 0 {
		for _, name := range refused {
			fmt.Fprintf(a.stderr, "doppel: --%s is not implemented yet in this version of doppel; remove it or use gh-ost for now\n", name)
		}
		return exitUsage
	}
	cfg, adjusted, problems := buildConfig(&o, a.getenv)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "doppel: %s\n", p)
		}
		fmt.Fprintln(a.stderr, "Run 'doppel --help' for the list of flags.")
		return exitUsage
	}

	if cfg.MetricsAddr != "" || cfg.StatsDAddr != "" {
		// The registry is the process's: the migration adds its collectors.
		cfg.Metrics = prometheus.NewRegistry()
		if err := metrics.RegisterBuildInfo(cfg.Metrics, cfg.Database, cfg.Table, version, runtime.Version()); err != nil {
			fmt.Fprintf(a.stderr, "doppel: %v\n", err)
			return exitFailed
		}
	}

	log, progress := newLogger(a.stderr, &o, a.terminal(a.stderr))
	if progress != nil {
		cfg.OnStatus = progress.status
	}
	for _, adj := range adjusted {
		log.Warn().Str("flag", "--"+adj.flag).Int64("requested", adj.requested).Int64("used", adj.used).
			Str("reason", adj.why).Msg("flag value adjusted")
	}
	if o.askPass {
		password, err := readPassword(a.stdin, a.stderr)
		if err != nil {
			fmt.Fprintf(a.stderr, "doppel: %v\n", err)
			return exitUsage
		}
		// As with --password, an empty answer leaves the --conf password in place.
		if password != "" {
			cfg.Password = password
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := watchSignals(log, cancel, a.exit)
	defer stop()

	log.Info().Str("version", version).Str("commit", commit).
		Str("host", cfg.Host).Int("port", cfg.Port).Str("database", cfg.Database).Str("table", cfg.Table).
		Str("alter", cfg.Alter).Bool("execute", cfg.Execute).Msg("doppel starting")
	if !cfg.Execute {
		log.Info().Msg("dry run: checks only, nothing is changed; add --execute to migrate")
	}

	report, err := a.migrate(ctx, cfg, log)
	progress.Clear() // the outcome is logged on a clean line, and nothing is drawn after it
	if !cfg.Execute && o.planFormat == "json" && report.Plan != nil {
		if perr := printPlan(a.stdout, report.Plan); perr != nil {
			fmt.Fprintf(a.stderr, "doppel: %v\n", perr)
			return exitFailed
		}
	}
	if err != nil {
		// All three exit 1, as in gh-ost; the message tells the operator
		// whether to fix the setup, look into a failure, or nothing at all.
		var refused *migration.UsageError
		msg := "migration failed"
		switch {
		case ctx.Err() != nil:
			msg = "migration interrupted"
		case errors.As(err, &refused):
			msg = "migration refused"
		}
		logFailure(log, msg, err, o.stack, cfg.Password)
		return exitFailed
	}
	if !cfg.Execute {
		if failOn(log, o.failOn, report.Plan) {
			return exitFailed
		}
		log.Info().Str("in_place_algorithm", report.InstantDDL).Dur("duration", report.Duration).Msg("dry run finished; add --execute to migrate")
		return exitOK
	}
	if report.InstantDDL != "" {
		log.Info().Str("algorithm", report.InstantDDL).Bool("instant_ddl", true).Dur("duration", report.Duration).
			Msg("migration finished: the server applied the ALTER in place (--attempt-instant-ddl); nothing was copied")
		return exitOK
	}
	log.Info().Int64("rows_copied", report.RowsCopied).Int64("changes_applied", report.ChangesApplied).
		Dur("cut_over_stall", report.CutOverStall).Str("old_table", report.OldTable).
		Dur("copy_duration", report.CopyDuration).Dur("checksum_duration", report.ChecksumDuration).
		Dur("checksum_lock_wait", report.ChecksumLockWait).Dur("checksum_lock_held", report.ChecksumLockHeld).Int("checksum_repairs", report.ChecksumRepairs).
		Str("instant_ddl_refused", report.InstantRefused).Dur("duration", report.Duration).Msg("migration finished")
	return exitOK
}
