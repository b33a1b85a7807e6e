// Command localtests runs doppel's end-to-end cases: directories in gh-ost's
// localtests format, each a table, scheduled DML, a migration and the
// expected outcome (see ../shared/ghost-localtests/README.md). It starts its
// own MariaDB primary and replica, runs every case's migration on the replica
// with --test-on-replica, and compares the original and ghost tables there
// byte for byte.
//
//	go run ./localtests [-doppel bin/doppel] [-cases DIR,DIR] [-timeout 120s] [-keep] [-v] [-all] [filter-regex]
//
// It prints one line per case (pass, FAIL with what differed, skip with the
// reason) and closes with "N passed, N failed, N skipped"; the exit status is
// non-zero if any case failed. Cases that cannot pass yet are listed, with
// the issue or MariaDB limitation that holds them back, in
// localtests/unsupported.txt.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run())
}

const (
	exitOK     = 0
	exitFailed = 1
	exitSetup  = 2
)

func run() int {
	root := repoRoot()
	fl := flag.NewFlagSet("localtests", flag.ContinueOnError)
	doppel := fl.String("doppel", "bin/doppel", "doppel binary (relative paths are relative to the repository root)")
	cases := fl.String("cases", "localtests,../shared/ghost-localtests", "comma-separated case directories (relative to the repository root)")
	timeout := fl.Duration("timeout", 120*time.Second, "time limit of one doppel run")
	keep := fl.Bool("keep", false, "stop after the first failing case (or the last case) and keep the servers running, with that case's tables, until interrupted")
	verbose := fl.Bool("v", false, "print the sandbox's progress and doppel's output as it runs")
	all := fl.Bool("all", false, "also run the cases listed in localtests/unsupported.txt, to see whether they pass by now")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: go run ./localtests [flags] [filter-regex]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(os.Args[1:]); err != nil {
		return exitSetup
	}
	if fl.NArg() > 1 {
		fl.Usage()
		return exitSetup
	}
	var filter *regexp.Regexp
	if fl.NArg() == 1 {
		var err error
		if filter, err = regexp.Compile(fl.Arg(0)); err != nil {
			fmt.Fprintf(os.Stderr, "localtests: filter: %v\n", err)
			return exitSetup
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r, caseDirs, err := prepare(ctx, root, *doppel, *cases, filter)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localtests: %v\n", err)
		return exitSetup
	}
	r.timeout, r.verbose, r.out = *timeout, *verbose, os.Stdout
	if *all {
		r.unsupported = nil
	}
	if len(caseDirs) == 0 {
		fmt.Println("localtests: no case matches")
		fmt.Println("0 passed, 0 failed, 0 skipped")
		return exitFailed
	}
	fmt.Printf("localtests: %d cases, doppel %s\n", len(caseDirs), r.doppel)
	if missing := missingLaterFlags(r.implemented); len(missing) > 0 {
		fmt.Printf("localtests: standard flags doppel does not implement yet, left out: %s\n", strings.Join(missing, ", "))
	}

	env, err := startEnv(ctx, *verbose)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localtests: start sandbox: %v\n", err)
		return exitSetup
	}
	r.env = env
	fmt.Printf("localtests: sandbox primary %s, replica %s (%s)\n", env.primaryAddr,
		env.cluster.Replica.Addr(), env.version)

	var passed, failed, skipped int
	for _, dir := range caseDirs {
		if ctx.Err() != nil {
			break
		}
		c, err := loadCase(dir)
		var o outcome
		if err != nil {
			o = fail("%v", err)
			c = &testCase{Name: filepath.Base(dir)}
		} else {
			o = r.runCase(ctx, c)
		}
		switch o.status {
		case "pass":
			passed++
			fmt.Printf("pass  %s (%.1fs)\n", c.Name, o.elapsed.Seconds())
		case "skip":
			skipped++
			fmt.Printf("skip  %s: %s\n", c.Name, o.reason)
		default:
			failed++
			fmt.Printf("FAIL  %s: %s\n", c.Name, o.reason)
			for _, d := range o.details {
				fmt.Printf("    %s\n", d)
			}
		}
		for _, n := range o.notes {
			fmt.Printf("      note: %s\n", n)
		}
		if *keep && o.status == "FAIL" {
			break
		}
	}
	interrupted := ctx.Err() != nil

	if *keep && !interrupted {
		fmt.Printf("localtests: -keep: servers left running with the last case's tables in database test.\n"+
			"  primary: mariadb -h%s -P%d -u%s -p%s test\n"+
			"  replica: mariadb -h%s -P%d -u%s -p%s test\n"+
			"  press Ctrl-C to stop them\n",
			env.cluster.Primary.Host, env.cluster.Primary.Port, env.user, env.password,
			env.replicaHost, env.replicaPort, env.user, env.password)
		<-ctx.Done()
	}
	if err := env.close(); err != nil {
		fmt.Fprintf(os.Stderr, "localtests: %v\n", err)
	}
	if interrupted {
		fmt.Println("localtests: interrupted")
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || interrupted {
		return exitFailed
	}
	return exitOK
}

// prepare checks everything that does not need the servers: the doppel
// binary and the flags it implements, unsupported.txt, the case directories.
func prepare(ctx context.Context, root, doppel, cases string, filter *regexp.Regexp) (*runner, []string, error) {
	if !filepath.IsAbs(doppel) {
		doppel = filepath.Join(root, doppel)
	}
	if _, err := os.Stat(doppel); err != nil {
		return nil, nil, fmt.Errorf("doppel binary: %w (run `make build` first, or `make localtests`)", err)
	}
	implemented, err := probeDoppel(ctx, doppel)
	if err != nil {
		return nil, nil, err
	}
	unsupported := map[string]string{}
	ufile := filepath.Join(root, "localtests", "unsupported.txt")
	if f, err := os.Open(ufile); err == nil {
		unsupported, err = parseUnsupported(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", ufile, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	var dirs []string
	for _, d := range strings.Split(cases, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		dirs = append(dirs, d)
	}
	all, err := discoverCases(dirs, func(s string) { fmt.Printf("localtests: %s\n", s) })
	if err != nil {
		return nil, nil, err
	}
	known := map[string]bool{}
	var selected []string
	for _, p := range all {
		name := filepath.Base(p)
		known[name] = true
		if filter == nil || filter.MatchString(name) {
			selected = append(selected, p)
		}
	}
	if filter == nil {
		for name := range unsupported {
			if !known[name] {
				fmt.Printf("localtests: unsupported.txt lists %q, which is not a case\n", name)
			}
		}
	}
	r := &runner{doppel: doppel, implemented: implemented, unsupported: unsupported}
	if !implemented["throttle-query"] {
		r.holdCopy = 2 * time.Second
	}
	return r, selected, nil
}

// repoRoot is the directory of the go.mod above the working directory (the
// repository root when run with `go run ./localtests` or `make`), or the
// working directory itself.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/doppel-dev/doppel") {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}
