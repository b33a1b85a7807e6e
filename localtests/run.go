package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// outcome is the verdict on one case.
type outcome struct {
	status  string // "pass", "FAIL", "skip"
	reason  string // one line; empty for a pass
	details []string
	notes   []string // printed under the verdict whatever it is
	elapsed time.Duration
}

// runner holds what every case needs.
type runner struct {
	env         *runEnv
	doppel      string
	implemented map[string]bool
	unsupported map[string]string
	timeout     time.Duration
	verbose     bool
	out         io.Writer
	// holdCopy stands in for gh-ost's --throttle-query until doppel
	// implements it (issue 5); zero once it does. See copyHold.
	holdCopy time.Duration
}

// settle is gh-ost's harness's "graceful sleep" between create.sql and the
// migration: the case's event has fired at least once.
const settle = time.Second

const doppelTailLines = 40

func (r *runner) runCase(ctx context.Context, c *testCase) (o outcome) {
	began := time.Now()
	defer func() { o.elapsed = time.Since(began) }()

	if reason, ok := r.unsupported[c.Name]; ok {
		return outcome{status: "skip", reason: reason}
	}
	if c.IgnoreVersions != "" {
		ignored, err := versionIgnored(c.IgnoreVersions, r.env.version, r.env.versionComment)
		if err != nil {
			return fail("%v", err)
		}
		if ignored {
			return outcome{status: "skip", reason: fmt.Sprintf("ignore_versions %q matches this server (%s, %s)",
				c.IgnoreVersions, r.env.version, r.env.versionComment)}
		}
	}
	if c.GTIDMode != "" {
		if mode := r.env.gtidMode(ctx); !strings.EqualFold(mode, c.GTIDMode) {
			return outcome{status: "skip", reason: fmt.Sprintf("needs gtid_mode %s, the server has %s", c.GTIDMode, mode)}
		}
	}

	// 1. Replication restarted and caught up, a clean database, sql_mode.
	if err := r.env.reset(ctx); err != nil {
		return fail("prepare the sandbox: %v", err)
	}
	restoreMode := func() error { return nil }
	if c.SQLMode != nil {
		if err := r.env.setSQLMode(ctx, *c.SQLMode, *c.SQLMode); err != nil {
			return fail("set sql_mode: %v", err)
		}
		var once sync.Once
		restoreMode = func() (err error) {
			once.Do(func() { err = r.env.setSQLMode(context.WithoutCancel(ctx), r.env.sqlMode[0], r.env.sqlMode[1]) })
			return err
		}
		defer restoreMode()
	}

	// 2. create.sql and before.sql, then let the scheduled DML run.
	create, _ := c.file("create.sql")
	if err := r.env.runSQLFile(ctx, false, create); err != nil {
		return fail("%v", err)
	}
	if before, ok := c.file("before.sql"); ok {
		if err := r.env.runSQLFile(ctx, false, before); err != nil {
			return fail("%v", err)
		}
		if err := r.env.runSQLFile(ctx, true, before); err != nil {
			return fail("%v", err)
		}
	}
	select {
	case <-ctx.Done():
		return fail("%v", ctx.Err())
	case <-time.After(settle):
	}
	if err := r.env.waitReplica(ctx); err != nil {
		return fail("replica did not catch up after create.sql: %v", err)
	}
	if r.holdCopy > 0 {
		if err := r.env.waitForFirstRow(ctx, 3*time.Second); err != nil {
			return fail("%v", err)
		}
	}

	// 3. doppel against the replica.
	args := append(standardArgs(r.env, r.implemented), c.ExtraArgs...)
	res := r.runDoppel(ctx, c.Name, args)
	if err := restoreMode(); err != nil {
		return fail("restore sql_mode: %v", err)
	}
	if ctx.Err() != nil {
		return fail("interrupted")
	}

	// 4. Judge.
	o = r.judge(ctx, c, res)
	if o.status == "FAIL" {
		o.details = append([]string{"command: " + shellQuote(append([]string{r.doppel}, args...))}, o.details...)
		o.details = append(o.details, doppelTail(res.output)...)
	}

	// 5. after.sql on both servers, destroy.sql on the primary.
	if after, ok := c.file("after.sql"); ok {
		for _, onReplica := range []bool{false, true} {
			if err := r.env.runSQLFile(ctx, onReplica, after); err != nil && o.status != "FAIL" {
				o = fail("%v", err)
			}
		}
	}
	if destroy, ok := c.file("destroy.sql"); ok {
		if err := r.env.runSQLFile(ctx, false, destroy); err != nil && o.status != "FAIL" {
			o = fail("%v", err)
		}
	}
	return o
}

// fail is a FAIL whose reason is one line; a failed SQL file adds the
// client's whole output as details.
func fail(format string, args ...any) outcome {
	o := outcome{status: "FAIL", reason: oneLine(fmt.Sprintf(format, args...))}
	for _, a := range args {
		var se *sqlFileError
		if err, ok := a.(error); ok && errors.As(err, &se) {
			o.details = append(o.details, "mariadb client output:")
			o.details = append(o.details, indent(strings.Split(se.output, "\n"), "  ")...)
		}
	}
	return o
}

type doppelResult struct {
	exitCode int
	timedOut bool
	runErr   error // doppel could not be started or waited for
	output   string
	hold     holdResult
}

// holdResult says whether the runner held doppel's copy back (copyHold).
type holdResult struct {
	held bool
	note string
}

func (r *runner) runDoppel(ctx context.Context, name string, args []string) doppelResult {
	runCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, r.doppel, args...)
	// SIGTERM first: doppel cleans up after itself on the first signal.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	var buf bytes.Buffer
	var w io.Writer = &buf
	if r.verbose {
		w = io.MultiWriter(&buf, &prefixWriter{w: r.out, prefix: "    " + name + "| "})
	}
	cmd.Stdout, cmd.Stderr = w, w
	var hold holdResult
	var h *copyHold
	if r.holdCopy > 0 {
		var herr error
		if h, herr = takeCopyHold(ctx, r.env); herr != nil {
			hold.note = "could not hold the copy back: " + herr.Error()
		}
	}
	err := cmd.Start()
	if err == nil {
		holdCtx, stopHold := context.WithCancel(runCtx)
		held := make(chan holdResult, 1)
		go func() { held <- h.release(holdCtx, r.env, r.holdCopy) }()
		err = cmd.Wait()
		stopHold()
		if hr := <-held; h != nil {
			hold = hr
		}
	} else {
		h.release(context.Background(), r.env, 0)
	}
	if hold.note != "" && r.verbose {
		fmt.Fprintf(r.out, "    %s| runner: %s\n", name, hold.note)
	}
	res := doppelResult{output: buf.String(), timedOut: errors.Is(runCtx.Err(), context.DeadlineExceeded), hold: hold}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	default:
		res.exitCode = -1
		res.runErr = err
	}
	return res
}

func (r *runner) judge(ctx context.Context, c *testCase, res doppelResult) (o outcome) {
	if res.runErr != nil && !res.timedOut {
		return fail("could not run doppel: %v", res.runErr)
	}
	if res.timedOut {
		return fail("doppel did not finish within %v", r.timeout)
	}
	if c.ExpectFailure != nil {
		if res.exitCode == 0 {
			return fail("doppel exited 0, but the case expects a failure%s", expectedText(*c.ExpectFailure))
		}
		if !failureMessageFound(res.output, *c.ExpectFailure) {
			return fail("doppel failed (exit %d: %s), but its output lacks the expected %q",
				res.exitCode, lastError(res.output), strings.TrimRight(*c.ExpectFailure, "\r\n"))
		}
		return outcome{status: "pass"}
	}
	if res.exitCode != 0 {
		return fail("doppel exited %d: %s", res.exitCode, lastError(res.output))
	}
	var note string
	if r.holdCopy > 0 && !res.hold.held {
		// Not a failure of doppel's, but the case then covered less of
		// the replication path than intended: say so.
		note = res.hold.note
	}
	defer func() {
		if note != "" {
			o.notes = append(o.notes, note)
		}
	}()
	if c.ExpectStruct != "" {
		ddl, err := r.env.showCreateGhost(ctx)
		if err != nil {
			return fail("SHOW CREATE TABLE _gh_ost_test_gho on the replica: %v", err)
		}
		if missing := structureMissing(ddl, c.ExpectStruct); missing != "" {
			o := fail("the ghost table's structure lacks %q", missing)
			o.details = append([]string{"SHOW CREATE TABLE _gh_ost_test_gho on the replica:"}, indent(strings.Split(ddl, "\n"), "  ")...)
			return o
		}
	}
	origQ := fmt.Sprintf("select %s from gh_ost_test %s", c.OrigColumns, c.OrderBy)
	ghostQ := fmt.Sprintf("select %s from _gh_ost_test_gho %s", c.GhostColumns, c.OrderBy)
	orig, err := r.env.query(ctx, origQ)
	if err != nil {
		return fail("on the replica, %s: %v", origQ, err)
	}
	ghost, err := r.env.query(ctx, ghostQ)
	if err != nil {
		return fail("on the replica, %s: %v", ghostQ, err)
	}
	if equal, report := compareTables(orig, ghost); !equal {
		o := fail("the ghost table differs from the original on the replica (%d vs %d rows)", len(orig.Rows), len(ghost.Rows))
		o.details = append([]string{"original: " + origQ, "ghost:    " + ghostQ}, report...)
		return o
	}
	return outcome{status: "pass"}
}

func expectedText(s string) string {
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" with %q", s)
}

// lastError finds the message doppel ended with: the last error-level log
// line (JSON, as doppel logs when stderr is not a terminal), else the last
// line of output.
func lastError(output string) string {
	lines := strings.Split(strings.TrimRight(output, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var m map[string]any
		if json.Unmarshal([]byte(lines[i]), &m) != nil {
			continue
		}
		if lvl, _ := m["level"].(string); lvl != "error" && lvl != "fatal" && lvl != "panic" {
			continue
		}
		msg, _ := m["message"].(string)
		if e, ok := m["error"].(string); ok && e != "" {
			msg = strings.TrimPrefix(msg+": "+e, ": ")
		}
		return truncate(oneLine(msg), 300)
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			return truncate(oneLine(s), 300)
		}
	}
	return "(no output)"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, 600)
}

// doppelTail is the end of doppel's output, with JSON log lines rendered as
// "time level message key=value…" so a reader sees the story at a glance.
func doppelTail(output string) []string {
	lines := strings.Split(strings.TrimRight(output, "\n"), "\n")
	if output == "" {
		lines = nil
	}
	from := max(0, len(lines)-doppelTailLines)
	out := []string{fmt.Sprintf("doppel's output (last %d of %d lines):", len(lines)-from, len(lines))}
	for _, l := range lines[from:] {
		out = append(out, "  "+truncate(renderLogLine(l), 400))
	}
	return out
}

func renderLogLine(line string) string {
	var m map[string]any
	if json.Unmarshal([]byte(line), &m) != nil {
		return line
	}
	var b strings.Builder
	if t, ok := m["time"].(string); ok {
		if ts, err := time.Parse(time.RFC3339, t); err == nil {
			t = ts.Format("15:04:05")
		}
		b.WriteString(t + " ")
	}
	if l, ok := m["level"].(string); ok {
		b.WriteString(strings.ToUpper(l) + " ")
	}
	if msg, ok := m["message"].(string); ok {
		b.WriteString(msg)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		switch k {
		case "time", "level", "message", "stack", "chain":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := json.Marshal(m[k])
		if s, ok := m[k].(string); ok && !strings.ContainsAny(s, " \t\"=") {
			v = []byte(s)
		}
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func indent(lines []string, p string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + l
	}
	return out
}

// prefixWriter prefixes every line written through it (for -v).
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	mid    bool // inside a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, c := range b {
		if !p.mid {
			out = append(out, p.prefix...)
			p.mid = true
		}
		out = append(out, c)
		if c == '\n' {
			p.mid = false
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
