package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// throttleQuery is gh-ost's: it holds the row copy back until the changelog
// table's first heartbeat is two seconds old, so the scheduled DML of the case
// piles up in the binlog before the copy starts.
const throttleQuery = "select timestampdiff(second, min(last_update), now()) < 2 from _gh_ost_test_ghc"

// laterFlag is one of gh-ost's standard harness flags that doppel gained
// after its first version. Each is added to the command line as soon as
// `doppel --help` lists it as implemented; a doppel build without it runs
// the cases without it (doppel refuses unimplemented flags with exit 2).
type laterFlag struct {
	name  string // without the leading --
	issue int    // the issue that brings it
	value func(r *runEnv) string
}

// laterFlags: the standard flags that came with later issues.
//
//	issue 5 (throttling, interactive socket; implemented): --throttle-query,
//	         --throttle-flag-file, --serve-socket-file, --initially-drop-socket-file
//	issue 6 (checkpoint/resume; implemented): --checkpoint
//	issue 7 (speed; implemented): --target-chunk-time=0, doppel's own: gh-ost's
//	         harness passes --chunk-size=10 so the copy lasts while the cases'
//	         scheduled DML runs; an adaptive chunk size would grow past it and
//	         finish the copy before the DML reaches it through the binlog
var laterFlags = []laterFlag{
	{name: "throttle-query", issue: 5, value: func(*runEnv) string { return throttleQuery }},
	{name: "throttle-flag-file", issue: 5, value: func(r *runEnv) string { return r.throttleFlagFile }},
	{name: "serve-socket-file", issue: 5, value: func(r *runEnv) string { return r.socketFile }},
	{name: "initially-drop-socket-file", issue: 5},
	{name: "checkpoint", issue: 6},
	{name: "target-chunk-time", issue: 7, value: func(*runEnv) string { return "0" }},
}

// standardArgs is the command line gh-ost's harness gives every case (see
// ../shared/ghost-localtests/README.md), in its order, without the flags
// doppel does not implement yet. The case's extra_args follow it.
func standardArgs(r *runEnv, implemented map[string]bool) []string {
	has := func(name string) bool { return implemented[name] }
	var later = map[string]laterFlag{}
	for _, f := range laterFlags {
		later[f.name] = f
	}
	flag := func(name string) []string {
		f, ok := later[name]
		if !ok || !has(name) {
			return nil
		}
		if f.value == nil {
			return []string{"--" + name}
		}
		return []string{"--" + name + "=" + f.value(r)}
	}
	args := []string{
		"--user=" + r.user,
		"--password=" + r.password,
		"--host=" + r.replicaHost,
		fmt.Sprintf("--port=%d", r.replicaPort),
		"--assume-master-host=" + r.primaryAddr,
		"--database=test",
		"--table=gh_ost_test",
		"--storage-engine=innodb",
		"--alter=engine=innodb",
		"--exact-rowcount",
		"--assume-rbr",
		"--skip-metadata-lock-check",
		"--initially-drop-old-table",
		"--initially-drop-ghost-table",
	}
	args = append(args, flag("throttle-query")...)
	args = append(args, flag("throttle-flag-file")...)
	args = append(args, flag("serve-socket-file")...)
	args = append(args, flag("initially-drop-socket-file")...)
	args = append(args,
		"--test-on-replica",
		"--default-retries=3",
		"--chunk-size=10",
	)
	args = append(args, flag("target-chunk-time")...)
	args = append(args,
		"--verbose",
		"--debug",
		"--stack",
	)
	args = append(args, flag("checkpoint")...)
	return append(args, "--execute")
}

// missingLaterFlags lists the later flags doppel does not accept yet, for the
// runner's opening line.
func missingLaterFlags(implemented map[string]bool) []string {
	var out []string
	for _, f := range laterFlags {
		if !implemented[f.name] {
			out = append(out, fmt.Sprintf("--%s (issue %d)", f.name, f.issue))
		}
	}
	return out
}

// pendingMarker starts the part of `doppel --help` that lists the gh-ost
// flags doppel knows but refuses.
const pendingMarker = "not implemented yet"

var helpFlag = regexp.MustCompile(`(?m)^ {1,4}--([a-z0-9][a-z0-9-]*)\b`)

// implementedFlags reads `doppel --help`: every flag listed before the
// not-implemented section is implemented. A flag help does not list at all
// counts as not implemented.
func implementedFlags(help string) map[string]bool {
	if i := strings.Index(help, pendingMarker); i >= 0 {
		// Cut at the start of the marker's line.
		if j := strings.LastIndexByte(help[:i], '\n'); j >= 0 {
			i = j
		}
		help = help[:i]
	}
	out := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(help, -1) {
		out[m[1]] = true
	}
	return out
}

// probeDoppel runs `doppel --help` once.
func probeDoppel(ctx context.Context, doppel string) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, doppel, "--help").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s --help: %w\n%s", doppel, err, out)
	}
	flags := implementedFlags(string(out))
	if !flags["test-on-replica"] || !flags["execute"] {
		return nil, fmt.Errorf("%s --help does not list --test-on-replica and --execute as implemented; is it doppel?", doppel)
	}
	return flags, nil
}
