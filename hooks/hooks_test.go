//go:build unix

package hooks

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/syncbuf"
)

// writeHook writes a /bin/sh script into dir with the given mode.
func writeHook(t *testing.T, dir, name, body string, mode os.FileMode) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask-proof
		t.Fatal(err)
	}
}

func newRunner(t *testing.T, cfg Config) (*Runner, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	cfg.Logger = zerolog.New(logs).Level(zerolog.DebugLevel)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, logs
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// envFile parses `env` output; the test values hold no newlines.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(readFile(t, path), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestRunMatchesHooksByPrefixInLexicalOrder(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	order := filepath.Join(out, "order")
	// Written out of order on purpose: the run order is by name.
	writeHook(t, dir, "gh-ost-on-startup-02-notify", `echo 02-notify >> "`+order+`"`, 0o755)
	writeHook(t, dir, "gh-ost-on-startup-01", `echo 01 >> "`+order+`"`, 0o755)
	writeHook(t, dir, "gh-ost-on-startup", `echo bare >> "`+order+`"`, 0o755)
	writeHook(t, dir, "gh-ost-on-startup-nonexec", `echo nonexec >> "`+order+`"`, 0o644)
	writeHook(t, dir, "gh-ost-on-status", `echo status >> "`+order+`"`, 0o755)
	writeHook(t, dir, "on-startup", `echo unprefixed >> "`+order+`"`, 0o755)
	if err := os.Mkdir(filepath.Join(dir, "gh-ost-on-startup-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, logs := newRunner(t, Config{Path: dir})

	if err := r.Run(context.Background(), OnStartup, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, order), "bare\n01\n02-notify\n"; got != want {
		t.Errorf("hooks ran %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), `"hook":"gh-ost-on-startup-nonexec"`) ||
		!strings.Contains(logs.String(), "hook skipped: not executable") {
		t.Errorf("no warning for the non-executable hook; logs:\n%s", logs)
	}
	if strings.Contains(logs.String(), "gh-ost-on-startup-dir") {
		t.Errorf("a directory was reported as a hook; logs:\n%s", logs)
	}
}

func TestRunFindsHooksAddedAfterNew(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	r, _ := newRunner(t, Config{Path: dir})
	if err := r.Run(context.Background(), OnValidated, nil); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(out, "ran")
	writeHook(t, dir, "gh-ost-on-validated", `touch "`+marker+`"`, 0o755)
	if err := r.Run(context.Background(), OnValidated, nil); err != nil {
		t.Fatal(err)
	}
	if !exists(marker) {
		t.Error("hook added after New did not run")
	}
}

func TestRunPassesVariablesWithBothPrefixes(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	dump := filepath.Join(out, "env")
	ddl := filepath.Join(out, "ddl")
	writeHook(t, dir, "gh-ost-on-before-cut-over", `env > "`+dump+`"; printf '%s' "$GH_OST_DDL" > "`+ddl+`"`, 0o755)
	t.Setenv("DOPPEL_HOOKS_TEST_INHERITED", "from-parent")
	t.Setenv("GH_OST_TABLE_NAME", "stale-from-parent")
	r, _ := newRunner(t, Config{Path: dir, Hint: "deploy 42", Owner: "alice", Token: "tok-123"})

	vars := Vars{
		VarDatabaseName: "shop",
		VarTableName:    "orders",
		VarCopiedRows:   "1234",
		VarProgress:     Float(37.5),
		VarInspectedLag: Seconds(1500 * time.Millisecond),
		VarDryRun:       "false",
		VarDDL:          `ADD COLUMN note varchar(20) DEFAULT 'a "b" $c'`,
		VarHooksHint:    "overridden by Config",
	}
	if err := r.Run(context.Background(), OnBeforeCutOver, vars); err != nil {
		t.Fatal(err)
	}
	env := envFile(t, dump)
	want := map[string]string{
		"DATABASE_NAME":    "shop",
		"TABLE_NAME":       "orders",
		"COPIED_ROWS":      "1234",
		"PROGRESS":         "37.500000",
		"INSPECTED_LAG":    "1.500000",
		"DRY_RUN":          "false",
		"HOOKS_HINT":       "deploy 42",
		"HOOKS_HINT_OWNER": "alice",
		"HOOKS_HINT_TOKEN": "tok-123",
	}
	for name, v := range want {
		for _, prefix := range []string{"GH_OST_", "DOPPEL_"} {
			if got, ok := env[prefix+name]; !ok || got != v {
				t.Errorf("%s%s = %q (set %v), want %q", prefix, name, got, ok, v)
			}
		}
	}
	if env["DOPPEL_HOOKS_TEST_INHERITED"] != "from-parent" {
		t.Errorf("process environment not inherited: %v", env["DOPPEL_HOOKS_TEST_INHERITED"])
	}
	if got := readFile(t, ddl); got != vars[VarDDL] {
		t.Errorf("GH_OST_DDL = %q, want %q", got, vars[VarDDL])
	}
}

func TestRunQuotesStatusAndCommandForGhostOnly(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	dump := filepath.Join(out, "env")
	writeHook(t, dir, "gh-ost-on-status", `env > "`+dump+`"`, 0o755)
	r, _ := newRunner(t, Config{Path: dir})

	if err := r.Run(context.Background(), OnStatus, Vars{VarStatus: "Copy: 1/2 50.0%"}); err != nil {
		t.Fatal(err)
	}
	env := envFile(t, dump)
	if got, want := env["GH_OST_STATUS"], "'Copy: 1/2 50.0%'"; got != want {
		t.Errorf("GH_OST_STATUS = %q, want %q (gh-ost's quoting)", got, want)
	}
	if got, want := env["DOPPEL_STATUS"], "Copy: 1/2 50.0%"; got != want {
		t.Errorf("DOPPEL_STATUS = %q, want %q", got, want)
	}
}

func TestRunNeverLogsVariableValues(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, "gh-ost-on-success", `echo visible-output; echo visible-error >&2`, 0o755)
	r, logs := newRunner(t, Config{Path: dir, Token: "secret-token-value"})

	if err := r.Run(context.Background(), OnSuccess, Vars{VarDDL: "secret-ddl-value"}); err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	for _, s := range []string{"secret-token-value", "secret-ddl-value"} {
		if strings.Contains(got, s) {
			t.Errorf("logs contain %q:\n%s", s, got)
		}
	}
	for _, s := range []string{`"line":"visible-output"`, `"stream":"stdout"`, `"line":"visible-error"`, `"stream":"stderr"`, `"level":"debug"`} {
		if !strings.Contains(got, s) {
			t.Errorf("logs lack %s:\n%s", s, got)
		}
	}
}

func TestRunStopsAtFirstFailingHook(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	writeHook(t, dir, "gh-ost-on-startup-01", `touch "`+filepath.Join(out, "01")+`"`, 0o755)
	writeHook(t, dir, "gh-ost-on-startup-02", `echo "checking replicas"; echo "replica r2 is lagging" >&2; exit 3`, 0o755)
	writeHook(t, dir, "gh-ost-on-startup-03", `touch "`+filepath.Join(out, "03")+`"`, 0o755)
	r, _ := newRunner(t, Config{Path: dir})

	err := r.Run(context.Background(), OnStartup, nil)
	if err == nil {
		t.Fatal("Run succeeded; want the failure of gh-ost-on-startup-02")
	}
	for _, s := range []string{"gh-ost-on-startup-02", "exit status 3", "replica r2 is lagging"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("error %T is not a *hooks.Error", err)
	}
	if he.ExitCode != 3 || he.Hook != "gh-ost-on-startup-02" || he.Event != OnStartup || he.Stream != "stderr" {
		t.Errorf("error fields = %+v", he)
	}
	if !exists(filepath.Join(out, "01")) {
		t.Error("the hook before the failing one did not run")
	}
	if exists(filepath.Join(out, "03")) {
		t.Error("a hook after the failing one ran")
	}
}

func TestFailureCarriesOnlyTheTailOfStderr(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, "gh-ost-on-failure",
		`i=0; while [ $i -lt 200 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo "the real reason" >&2; exit 1`, 0o755)
	r, _ := newRunner(t, Config{Path: dir})

	err := r.Run(context.Background(), OnFailure, nil)
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("Run = %v, want a *hooks.Error", err)
	}
	if !strings.HasSuffix(he.Output, "the real reason") {
		t.Errorf("output tail does not end with the last line: %q", he.Output)
	}
	if len(he.Output) > tailSize || strings.Contains(he.Output, "noise line 0\n") {
		t.Errorf("output tail is %d bytes, want at most %d: %q", len(he.Output), tailSize, he.Output)
	}
}

func TestFailureFallsBackToStdoutWhenStderrIsEmpty(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, "gh-ost-on-begin-postponed", `echo "not now: business hours"; exit 2`, 0o755)
	r, _ := newRunner(t, Config{Path: dir})

	err := r.Run(context.Background(), OnBeginPostponed, nil)
	if err == nil || !strings.Contains(err.Error(), `stdout: "not now: business hours"`) {
		t.Errorf("Run = %v, want the stdout tail", err)
	}
}

func TestHookThatCannotStartFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gh-ost-on-validated")
	if err := os.WriteFile(path, []byte("not a script\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, _ := newRunner(t, Config{Path: dir})

	err := r.Run(context.Background(), OnValidated, nil)
	var he *Error
	if !errors.As(err, &he) || he.ExitCode != -1 || !strings.Contains(err.Error(), "gh-ost-on-validated") {
		t.Errorf("Run = %v, want a start failure naming the hook", err)
	}
}

// waitGone waits until pid no longer runs (gone or a zombie).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("process %d still runs: the hook's process group was not killed", pid)
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, path)))
	if err != nil {
		t.Fatalf("hook wrote no child pid: %v", err)
	}
	return pid
}

func TestTimeoutKillsHookAndItsChildren(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	pidFile := filepath.Join(out, "pid")
	after := filepath.Join(out, "after")
	writeHook(t, dir, "gh-ost-on-row-copy-complete",
		`sleep 30 & echo $! > "`+pidFile+`.tmp"; mv "`+pidFile+`.tmp" "`+pidFile+`"; wait; touch "`+after+`"`, 0o755)
	r, _ := newRunner(t, Config{Path: dir, Timeout: 300 * time.Millisecond})

	start := time.Now()
	err := r.Run(context.Background(), OnRowCopyComplete, nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v after a 300ms timeout", took)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "gh-ost-on-row-copy-complete") || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error %q does not name the hook and the timeout", err)
	}
	waitGone(t, readPID(t, pidFile))
	if exists(after) {
		t.Error("the hook went on after its timeout")
	}
}

func TestCancelKillsHook(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	pidFile := filepath.Join(out, "pid")
	writeHook(t, dir, "gh-ost-on-interactive-command-1", `sleep 30 & echo $! > "`+pidFile+`.tmp"; mv "`+pidFile+`.tmp" "`+pidFile+`"; wait`, 0o755)
	writeHook(t, dir, "gh-ost-on-interactive-command-2", `touch "`+filepath.Join(out, "2")+`"`, 0o755)
	r, _ := newRunner(t, Config{Path: dir})

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for !exists(pidFile) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	err := r.Run(ctx, OnInteractiveCommand, Vars{VarCommand: "throttle"})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v after cancel", took)
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	waitGone(t, readPID(t, pidFile))
	if exists(filepath.Join(out, "2")) {
		t.Error("a hook ran after cancellation")
	}
}

func TestEndedContextRunsNothing(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	writeHook(t, dir, "gh-ost-on-failure", `touch "`+filepath.Join(out, "ran")+`"`, 0o755)
	r, _ := newRunner(t, Config{Path: dir})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if err := r.Run(ctx, OnFailure, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if exists(filepath.Join(out, "ran")) {
		t.Error("a hook ran on an ended context")
	}
}

func TestHookMayLeaveABackgroundJob(t *testing.T) {
	dir := t.TempDir()
	// The job inherits stdout and stderr and keeps them open after the hook
	// exits; Run must not wait for it.
	writeHook(t, dir, "gh-ost-on-success", `sleep 4 & echo notified`, 0o755)
	r, _ := newRunner(t, Config{Path: dir})

	start := time.Now()
	if err := r.Run(context.Background(), OnSuccess, nil); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if took := time.Since(start); took > 3500*time.Millisecond {
		t.Errorf("Run took %v, waiting for the background job", took)
	}
}

func TestNewChecksPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"a missing path is refused", filepath.Join(dir, "missing"), "no such file"},
		{"a file path is refused", file, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Path: tc.path})
			if err == nil || !strings.Contains(err.Error(), "--hooks-path") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error about --hooks-path saying %q", err, tc.want)
			}
		})
	}
	t.Run("a negative timeout is refused", func(t *testing.T) {
		if _, err := New(Config{Path: dir, Timeout: -time.Second}); err == nil {
			t.Error("New accepted a negative timeout")
		}
	})
}

func TestRelativePathSurvivesChdir(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	marker := filepath.Join(out, "ran")
	writeHook(t, dir, "gh-ost-on-startup", `touch "`+marker+`"`, 0o755)
	t.Chdir(filepath.Dir(dir))
	r, _ := newRunner(t, Config{Path: filepath.Base(dir)})
	t.Chdir(out)

	if err := r.Run(context.Background(), OnStartup, nil); err != nil {
		t.Fatal(err)
	}
	if !exists(marker) {
		t.Error("hook did not run after a change of directory")
	}
}

func TestDisabledRunnerIsANoOp(t *testing.T) {
	var nilRunner *Runner
	if err := nilRunner.Run(context.Background(), OnStartup, Vars{"bad name": "x"}); err != nil {
		t.Errorf("nil Runner: Run = %v", err)
	}
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), OnStartup, nil); err != nil {
		t.Errorf("Runner without a path: Run = %v", err)
	}
}

func TestRunRefusesProgrammingErrors(t *testing.T) {
	dir := t.TempDir()
	r, _ := newRunner(t, Config{Path: dir})
	t.Run("an unknown event is refused, not matched as a prefix", func(t *testing.T) {
		if err := r.Run(context.Background(), Event(""), nil); err == nil {
			t.Error("Run accepted the empty event")
		}
		if err := r.Run(context.Background(), Event("on-start"), nil); err == nil {
			t.Error("Run accepted an unknown event")
		}
	})
	t.Run("a variable name outside [A-Z0-9_] is refused", func(t *testing.T) {
		for _, name := range []string{"", "table_name", "A=B", "X Y"} {
			if err := r.Run(context.Background(), OnStartup, Vars{name: "v"}); err == nil {
				t.Errorf("Run accepted variable name %q", name)
			}
		}
	})
}

func TestEventsHaveDistinctPrefixes(t *testing.T) {
	// No event's file prefix may start another's, or one event would run
	// the other's hooks.
	for _, a := range Events {
		for _, b := range Events {
			if a != b && strings.HasPrefix(b.FilePrefix(), a.FilePrefix()) {
				t.Errorf("hooks of %s would match %s", b, a)
			}
		}
	}
}
