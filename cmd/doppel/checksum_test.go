package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/migration"
)

// runChecksumCmd runs `doppel checksum args…` with a fake comparison.
func runChecksumCmd(t *testing.T, result error, args ...string) (code int, cfg migration.CompareConfig, called bool, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := app{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		compare: func(ctx context.Context, c migration.CompareConfig, log zerolog.Logger) (migration.CompareReport, error) {
			called, cfg = true, c
			return migration.CompareReport{Chunks: 3, Rows: 25000, Skipped: []string{"x: varchar → inet6: not verified"}}, result
		},
		getenv: func(string) string { return "" },
		exit:   func(code int) { t.Errorf("unexpected hard exit %d", code) },
	}
	code = a.run(append([]string{"checksum"}, args...))
	return code, cfg, called, out.String(), errOut.String()
}

func TestChecksumCommand(t *testing.T) {
	t.Parallel()
	base := []string{"--host=db1", "--port=3307", "--user=u", "--password=secretpassword", "--database=d", "--table=t", "--against=_t_gho"}
	code, cfg, called, stdout, _ := runChecksumCmd(t, nil, append(base, "--checksum-threads=2", "--chunk-size=500", "--lock-timeout-seconds=5")...)
	want := migration.CompareConfig{Host: "db1", Port: 3307, User: "u", Password: "secretpassword", Database: "d", Table: "t", Against: "_t_gho",
		Threads: 2, ChunkSize: 500, LockTimeout: 5 * time.Second}
	if code != exitOK || !called || cfg != want {
		t.Fatalf("exit %d, called %v, config %+v", code, called, cfg)
	}
	for _, s := range []string{"hold the same rows: 25000 rows in 3 chunks", "not compared: x: varchar → inet6"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout)
		}
	}

	diff := fmt.Errorf("%w: chunk (1 .. 5] differs", migration.ErrTablesDiffer)
	code, _, _, _, stderr := runChecksumCmd(t, diff, base...)
	if code != exitFailed || !strings.Contains(stderr, "tables differ") || !strings.Contains(stderr, "chunk (1 .. 5]") {
		t.Fatalf("differing tables: exit %d, stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "secretpassword") {
		t.Fatal("the password reached the log")
	}
	code, _, _, _, _ = runChecksumCmd(t, errors.New("connection refused"), base...)
	if code != exitFailed {
		t.Fatalf("failed comparison: exit %d", code)
	}
}

func TestChecksumCommandRefusesBadUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--database=d", "--table=t"},
		{"--database=d", "--table=t", "--against=g", "--checksum-threads=-1"},
		{"--database=d", "--table=t", "--against=g", "--chunk-size=1"},
		{"--database=d", "--table=t", "--against=g", "stray"},
		{"--database=d", "--table=t", "--against=g", "--no-such-flag"},
	} {
		code, _, called, _, stderr := runChecksumCmd(t, nil, args...)
		if code != exitUsage || called {
			t.Errorf("%v: exit %d, compared %v; stderr:\n%s", args, code, called, stderr)
		}
	}
	code, _, _, stdout, _ := runChecksumCmd(t, nil, "--help")
	if code != exitOK || !strings.Contains(stdout, "doppel checksum compares two tables") || !strings.Contains(stdout, "--against") {
		t.Fatalf("--help: exit %d:\n%s", code, stdout)
	}
}

// Throttle and socket values are checked with the throttle's own parser
// before doppel connects anywhere.
func TestBadThrottleValuesAreRefused(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{
		"--max-load=Threads_running", "--critical-load=x=y", "--max-lag-millis=5", "--nice-ratio=101",
		"--throttle-http=ftp://h", "--throttle-query=DELETE FROM t", "--throttle-control-replicas=h:port",
		"--heartbeat-interval-millis=0", "--serve-tcp-port=70000", "--hooks-status-interval=0",
	} {
		out := harness{}.run(t, withRequired(arg)...)
		if out.code != exitUsage || out.called {
			t.Errorf("%s: exit %d, migration called %v", arg, out.code, out.called)
		}
		name := strings.SplitN(strings.TrimPrefix(arg, "--"), "=", 2)[0]
		if !strings.Contains(out.stderr, "--"+name) {
			t.Errorf("%s: stderr does not name the flag:\n%s", arg, out.stderr)
		}
	}
}

// The password may come from DOPPEL_PASSWORD or MYSQL_PWD, after
// --password and --conf, so it need not appear in the process list.
func TestPasswordFromTheEnvironment(t *testing.T) {
	t.Parallel()
	base := []string{"--user=u", "--database=d", "--table=t", "--alter=ADD COLUMN c INT"}
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"MYSQL_PWD": "from-mysql-pwd"}, nil, "from-mysql-pwd"},
		{map[string]string{"MYSQL_PWD": "from-mysql-pwd", "DOPPEL_PASSWORD": "from-doppel"}, nil, "from-doppel"},
		{map[string]string{"DOPPEL_PASSWORD": "from-doppel"}, []string{"--password=from-flag"}, "from-flag"},
	} {
		out := harness{env: c.env}.run(t, append(base, c.args...)...)
		if out.code != exitOK || out.cfg.Password != c.want {
			t.Errorf("env %v args %v: exit %d, password %q, want %q", c.env, c.args, out.code, out.cfg.Password, c.want)
		}
		if strings.Contains(out.stderr, c.want) {
			t.Errorf("the password reached the log:\n%s", out.stderr)
		}
	}
}
