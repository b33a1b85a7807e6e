package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/syncbuf"
)

// socketPath is a fresh socket path short enough for sun_path (t.TempDir's
// paths carry the test name and can exceed it).
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "gh-ost.db.t.sock")
}

// serve listens and serves until the test ends, then checks that Serve
// returned nil.
func serve(t *testing.T, cfg Config, target Target, adjust ...func(*Server)) *Server {
	t.Helper()
	s, err := Listen(cfg, target)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	for _, a := range adjust {
		a(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return s
}

// send does what `echo … | nc -N -U path` does: writes the bytes, closes
// for writing, reads the reply until the server closes.
func send(t *testing.T, network, addr, data string) string {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, data); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatalf("close for writing: %v", err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	return string(b)
}

func statusOf(chunk string, throttled bool) string {
	return fmt.Sprintf("# Migrating `db`.`t`\nCopy: 5/10 50.0%%; chunk-size: %s; throttled: %v\n", chunk, throttled)
}

func TestCommandsOverUnixSocket(t *testing.T) {
	note := throttleNote + "\n"
	cases := []struct {
		name  string
		line  string
		setup func(f *fakeTarget)
		want  string
		calls []string
		check func(t *testing.T, f *fakeTarget)
	}{
		{name: "status prints the status", line: "status\n", want: statusOf("1000", false), calls: []string{"Status"}},
		{name: "sup is status", line: "sup\n", want: statusOf("1000", false), calls: []string{"Status"}},
		{name: "status-json prints one compact JSON line", line: "status-json\n", want: `{"copied":5,"total":10}` + "\n", calls: []string{"StatusJSON"}},
		{name: "info prints what is migrated", line: "info\n", want: "# Migrating `db`.`t`: ADD COLUMN c INT\n", calls: []string{"Info"}},
		{name: "coordinates prints the positions", line: "coordinates\n", want: "read mysql-bin.000003:4567; applied mysql-bin.000003:4000\n", calls: []string{"Coordinates"}},
		{name: "coordinates=? prints the positions too", line: "coordinates=?\n", want: "read mysql-bin.000003:4567; applied mysql-bin.000003:4000\n", calls: []string{"Coordinates"}},
		{name: "applier prints the host", line: "applier\n", want: "db1:3306\n", calls: []string{"Applier"}},
		{name: "inspector keeps a single newline", line: "inspector\n", want: "db2:3306\n", calls: []string{"Inspector"}},

		{name: "a read prints the bare value", line: "chunk-size=?\n", want: "1000\n", calls: []string{"Get chunk-size"}},
		{name: "a quoted question mark reads too", line: `max-lag-millis="?"` + "\n", want: "1500\n", calls: []string{"Get max-lag-millis"}},
		{name: "a set echoes the new value, then the status", line: "chunk-size=500\n",
			want:  "chunk-size=500\n" + statusOf("500", false),
			calls: []string{"Set chunk-size 500", "Get chunk-size", "Status"},
			check: func(t *testing.T, f *fakeTarget) { wantSetting(t, f, "chunk-size", "500") }},
		{name: "spaces and CRLF around name and value are ignored", line: "  chunk-size = 700 \r\n",
			want:  "chunk-size=700\n" + statusOf("700", false),
			calls: []string{"Set chunk-size 700", "Get chunk-size", "Status"}},
		{name: "dml-batch-size sets", line: "dml-batch-size=20\n", want: "dml-batch-size=20\n" + statusOf("1000", false),
			calls: []string{"Set dml-batch-size 20", "Get dml-batch-size", "Status"}},
		{name: "max-lag-millis sets", line: "max-lag-millis=2000\n", want: "max-lag-millis=2000\n" + statusOf("1000", false),
			calls: []string{"Set max-lag-millis 2000", "Get max-lag-millis", "Status"}},
		{name: "max-load keeps the = inside its value", line: "max-load=Threads_running=50,threads_connected=1000\n",
			want:  "max-load=Threads_running=50,threads_connected=1000\n" + statusOf("1000", false),
			calls: []string{"Set max-load Threads_running=50,threads_connected=1000", "Get max-load", "Status"}},
		{name: "critical-load sets", line: "critical-load=Threads_running=1000\n",
			want:  "critical-load=Threads_running=1000\n" + statusOf("1000", false),
			calls: []string{"Set critical-load Threads_running=1000", "Get critical-load", "Status"}},
		{name: "nice-ratio sets", line: "nice-ratio=0.5\n", want: "nice-ratio=0.5\n" + statusOf("1000", false),
			calls: []string{"Set nice-ratio 0.5", "Get nice-ratio", "Status"}},
		{name: "throttle-query is unquoted and followed by the note", line: `throttle-query="select count(*) > 10 from t"` + "\n",
			want:  "throttle-query=select count(*) > 10 from t\n" + note + statusOf("1000", false),
			calls: []string{"Set throttle-query select count(*) > 10 from t", "Get throttle-query", "Status"}},
		{name: "an empty throttle-query clears it", line: "throttle-query=\n", setup: func(f *fakeTarget) { f.settings["throttle-query"] = "select 1" },
			want:  "throttle-query=\n" + note + statusOf("1000", false),
			calls: []string{"Set throttle-query ", "Get throttle-query", "Status"},
			check: func(t *testing.T, f *fakeTarget) { wantSetting(t, f, "throttle-query", "") }},
		{name: "throttle-http sets", line: "throttle-http=http://h:8080/t\n",
			want:  "throttle-http=http://h:8080/t\n" + note + statusOf("1000", false),
			calls: []string{"Set throttle-http http://h:8080/t", "Get throttle-http", "Status"}},
		{name: "throttle-control-replicas echoes the value as the target normalised it", line: "throttle-control-replicas=r1:3306, r2:3306\n",
			want:  "throttle-control-replicas=r1:3306,r2:3306\n" + statusOf("1000", false),
			calls: []string{"Set throttle-control-replicas r1:3306, r2:3306", "Get throttle-control-replicas", "Status"}},
		{name: "a setting the package does not list goes to the target", line: "threads=8\n",
			want:  "threads=8\n" + statusOf("1000", false),
			calls: []string{"Set threads 8", "Get threads", "Status"}},
		{name: "and reads from it", line: "threads=?\n", want: "4\n", calls: []string{"Get threads"}},

		{name: "throttle pauses", line: "throttle\n", want: note + statusOf("1000", true), calls: []string{"Throttle", "Status"}},
		{name: "pause is throttle", line: "pause\n", want: note + statusOf("1000", true), calls: []string{"Throttle", "Status"}},
		{name: "suspend is throttle", line: "suspend\n", want: note + statusOf("1000", true), calls: []string{"Throttle", "Status"}},
		{name: "no-throttle resumes", line: "no-throttle\n", setup: func(f *fakeTarget) { f.throttled = true },
			want: statusOf("1000", false), calls: []string{"Unthrottle", "Status"}},
		{name: "resume is no-throttle", line: "resume\n", setup: func(f *fakeTarget) { f.throttled = true },
			want: statusOf("1000", false), calls: []string{"Unthrottle", "Status"}},
		{name: "continue is no-throttle", line: "continue\n", setup: func(f *fakeTarget) { f.throttled = true },
			want: statusOf("1000", false), calls: []string{"Unthrottle", "Status"}},
		{name: "unthrottle is no-throttle", line: "unthrottle\n", setup: func(f *fakeTarget) { f.throttled = true },
			want: statusOf("1000", false), calls: []string{"Unthrottle", "Status"}},
		{name: "unpostpone releases a postponed cut-over", line: "unpostpone\n", setup: func(f *fakeTarget) { f.postponed = true },
			want: "Unpostponed\n" + statusOf("1000", false), calls: []string{"Unpostpone", "Status"}},
		{name: "no-postpone is unpostpone", line: "no-postpone\n", setup: func(f *fakeTarget) { f.postponed = true },
			want: "Unpostponed\n" + statusOf("1000", false), calls: []string{"Unpostpone", "Status"}},
		{name: "cut-over is unpostpone", line: "cut-over\n", setup: func(f *fakeTarget) { f.postponed = true },
			want: "Unpostponed\n" + statusOf("1000", false), calls: []string{"Unpostpone", "Status"}},
		{name: "panic aborts", line: "panic\n", want: "panic: aborting the migration now\n", calls: []string{"Panic"},
			check: func(t *testing.T, f *fakeTarget) {
				if !f.panicked {
					t.Error("Panic not called")
				}
			}},
		{name: "a line without newline ending the input is run", line: "status", want: statusOf("1000", false), calls: []string{"Status"}},
		{name: "only the first line is run", line: "throttle\npanic\n", want: note + statusOf("1000", true), calls: []string{"Throttle", "Status"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			path := socketPath(t)
			serve(t, Config{SocketFile: path}, f)
			got := send(t, "unix", path, tc.line)
			if got != tc.want {
				t.Errorf("reply to %q:\n got %q\nwant %q", tc.line, got, tc.want)
			}
			if calls := f.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls: got %q, want %q", calls, tc.calls)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func wantSetting(t *testing.T, f *fakeTarget, name, want string) {
	t.Helper()
	if got := f.setting(name); got != want {
		t.Errorf("%s is %q, want %q", name, got, want)
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	f := newFake()
	path := socketPath(t)
	serve(t, Config{SocketFile: path}, f)
	got := send(t, "unix", path, "help\n")
	if !strings.HasPrefix(got, "available commands") || !strings.HasSuffix(got, "\n") {
		t.Errorf("help reply:\n%s", got)
	}
	for _, c := range commands {
		for _, n := range c.names {
			if strings.Contains(got, n) != (c.kind != kindUnsupported) {
				t.Errorf("help mentions %q: %v, want %v", n, !(c.kind != kindUnsupported), c.kind != kindUnsupported)
			}
		}
	}
	if !strings.Contains(got, "chunk-size=?") {
		t.Error("help does not explain name=?")
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("help called the target: %q", calls)
	}
}

func TestBadCommandsGetOneLineAndChangeNothing(t *testing.T) {
	cases := []struct {
		name  string
		line  string
		setup func(f *fakeTarget)
		want  string
		calls []string
	}{
		{name: "an unknown command", line: "foo\n", want: "unknown command: foo"},
		{name: "names are case-sensitive, as in gh-ost", line: "Status\n", want: "unknown command: Status"},
		{name: "an unknown setting", line: "foo=1\n", want: "unknown command: foo", calls: []string{"Set foo 1"}},
		{name: "an unknown setting read", line: "foo=?\n", want: "unknown command: foo", calls: []string{"Get foo"}},
		{name: "an empty line", line: "\n", want: "empty command; send help for the list of commands"},
		{name: "a blank line", line: "  \r\n", want: "empty command; send help for the list of commands"},
		{name: "a setting without a value", line: "chunk-size\n",
			want: "chunk-size needs a value: chunk-size=<value> sets it, chunk-size=? shows it"},
		{name: "a value the target refuses", line: "chunk-size=abc\n",
			want: `chunk-size: invalid value "abc": must be a positive integer`, calls: []string{"Set chunk-size abc"}},
		{name: "an empty number", line: "chunk-size=\n",
			want: `chunk-size: invalid value "": must be a positive integer`, calls: []string{"Set chunk-size "}},
		{name: "a negative ratio", line: "nice-ratio=-1\n",
			want: `nice-ratio: invalid value "-1": must be a number >= 0`, calls: []string{"Set nice-ratio -1"}},
		{name: "a target error that repeats the value stays one line", line: "throttle-http=ftp://x\n",
			want: `throttle-http: invalid value "ftp://x": must be an http(s) URL, not "ftp://x"`, calls: []string{"Set throttle-http ftp://x"}},
		{name: "a named panic", line: "panic=t\n",
			want: `panic takes no table name in doppel (--force-named-panic is not supported); send "panic" alone`},
		{name: "a panic read", line: "panic=?\n",
			want: `panic takes no table name in doppel (--force-named-panic is not supported); send "panic" alone`},
		{name: "a named cut-over", line: "cut-over=t\n",
			want: `cut-over takes no table name in doppel (--force-named-cut-over is not supported); send "cut-over" alone`},
		{name: "a named unpostpone", line: "unpostpone=t\n",
			want: `unpostpone takes no table name in doppel (--force-named-cut-over is not supported); send "unpostpone" alone`},
		{name: "a named throttle", line: "throttle=t\n", want: `throttle takes no table name in doppel; send "throttle" alone`},
		{name: "a named no-throttle", line: "resume=t\n", want: `resume takes no table name in doppel; send "resume" alone`},
		{name: "setting the coordinates", line: "coordinates=mysql-bin.000001:4\n", want: "coordinates are read-only"},
		{name: "a value for status", line: "status=now\n", want: "status takes no value"},
		{name: "a gh-ost command doppel does not serve", line: "cpu-profile=10s\n",
			want: "cpu-profile is not supported by doppel: CPU profiles are not served on this socket"},
		{name: "gh-ost's deprecated lag query", line: "replication-lag-query=select 1\n",
			want: "replication-lag-query is not supported by doppel: lag is measured on doppel's own heartbeat"},
		{name: "unpostpone when not postponed", line: "unpostpone\n",
			want: "unpostpone: the cut-over is not postponed", calls: []string{"Unpostpone"}},
		{name: "a status-json failure", line: "status-json\n", setup: func(f *fakeTarget) { f.jsonErr = errors.New("status\nunavailable") },
			want: "status-json: status unavailable", calls: []string{"StatusJSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			before := maps(f)
			path := socketPath(t)
			serve(t, Config{SocketFile: path}, f)
			got := send(t, "unix", path, tc.line)
			if got != tc.want+"\n" {
				t.Errorf("reply to %q:\n got %q\nwant %q", tc.line, got, tc.want+"\n")
			}
			if calls := f.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("calls: got %q, want %q", calls, tc.calls)
			}
			if after := maps(f); after != before {
				t.Errorf("state changed:\n%s\n->\n%s", before, after)
			}
		})
	}
}

// maps renders all the fake's state, to compare before and after.
func maps(f *fakeTarget) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("%v throttled=%v postponed=%v panicked=%v", f.settings, f.throttled, f.postponed, f.panicked)
}

func TestSocketHasMode0600(t *testing.T) {
	path := socketPath(t)
	serve(t, Config{SocketFile: path}, newFake())
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the socket (no temporary left)", len(entries))
	}
}

func TestSocketNearThePathLimitHasMode0600Too(t *testing.T) {
	// A path whose private temporary name would be too long for a socket:
	// the socket is bound in place instead, and restricted as well.
	base, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	dir := base + "/" + strings.Repeat("d", 100-len(base)-1)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.sock")
	if len(path) != maxUnixPath {
		t.Fatalf("path is %d bytes, want %d", len(path), maxUnixPath)
	}
	serve(t, Config{SocketFile: path}, newFake())
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	if got := send(t, "unix", path, "applier\n"); got != "db1:3306\n" {
		t.Errorf("reply %q", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the socket", len(entries))
	}
}

// staleSocket leaves a socket file at path that no process listens on, as a
// killed migration does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	_ = l.Close()
}

func TestExistingSocketFile(t *testing.T) {
	t.Run("is refused without InitiallyDrop, and left alone", func(t *testing.T) {
		path := socketPath(t)
		staleSocket(t, path)
		before, _ := os.Lstat(path)
		_, err := Listen(Config{SocketFile: path}, newFake())
		if err == nil || !strings.Contains(err.Error(), "--initially-drop-socket-file") || !strings.Contains(err.Error(), path) {
			t.Fatalf("Listen: %v, want an error naming the file and --initially-drop-socket-file", err)
		}
		after, err := os.Lstat(path)
		if err != nil || !os.SameFile(before, after) {
			t.Errorf("the existing socket was touched: %v", err)
		}
	})
	t.Run("is replaced with InitiallyDrop", func(t *testing.T) {
		path := socketPath(t)
		staleSocket(t, path)
		serve(t, Config{SocketFile: path, InitiallyDrop: true}, newFake())
		if got := send(t, "unix", path, "sup\n"); got != statusOf("1000", false) {
			t.Errorf("reply %q", got)
		}
	})
	t.Run("that is no socket is not removed even with InitiallyDrop", func(t *testing.T) {
		path := socketPath(t)
		if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Listen(Config{SocketFile: path, InitiallyDrop: true}, newFake())
		if err == nil || !strings.Contains(err.Error(), "not a socket") {
			t.Fatalf("Listen: %v, want a not-a-socket error", err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
			t.Errorf("the file was changed: %q, %v", b, err)
		}
	})
	t.Run("served by a live process is not replaced even with InitiallyDrop", func(t *testing.T) {
		path := socketPath(t)
		f := newFake()
		serve(t, Config{SocketFile: path}, f)
		_, err := Listen(Config{SocketFile: path, InitiallyDrop: true}, newFake())
		if err == nil || !strings.Contains(err.Error(), "in use") {
			t.Fatalf("Listen: %v, want an in-use error", err)
		}
		if got := send(t, "unix", path, "sup\n"); got != statusOf("1000", false) {
			t.Errorf("the first server no longer answers: %q", got)
		}
	})
}

func TestTCP(t *testing.T) {
	f := newFake()
	s := serve(t, Config{TCPAddr: "127.0.0.1:0"}, f)
	addr := s.tcp.Addr().String()
	if got := send(t, "tcp", addr, "chunk-size=?\n"); got != "1000\n" {
		t.Errorf("chunk-size=? over TCP: %q", got)
	}
	if got := send(t, "tcp", addr, "throttle\n"); got != throttleNote+"\n"+statusOf("1000", true) {
		t.Errorf("throttle over TCP: %q", got)
	}
}

// The TCP port listens on the address it is given and nowhere else: with
// cmd's default, 127.0.0.1, only this host can send commands.
func TestTCPListensOnlyOnTheGivenAddress(t *testing.T) {
	s := serve(t, Config{TCPAddr: "127.0.0.1:0"}, newFake())
	addr, ok := s.tcp.Addr().(*net.TCPAddr)
	if !ok || !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.IP.IsUnspecified() {
		t.Fatalf("listening on %v, want 127.0.0.1 only", s.tcp.Addr())
	}
}

func TestUnixAndTCPTogether(t *testing.T) {
	path := socketPath(t)
	s := serve(t, Config{SocketFile: path, TCPAddr: "127.0.0.1:0"}, newFake())
	if got := send(t, "unix", path, "applier\n"); got != "db1:3306\n" {
		t.Errorf("unix: %q", got)
	}
	if got := send(t, "tcp", s.tcp.Addr().String(), "applier\n"); got != "db1:3306\n" {
		t.Errorf("tcp: %q", got)
	}
}

func TestTCPBindFailureRemovesTheSocket(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	path := socketPath(t)
	if _, err := Listen(Config{SocketFile: path, TCPAddr: taken.Addr().String()}, newFake()); err == nil {
		t.Fatal("Listen on a taken port succeeded")
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind after a failed Listen: %v", err)
	}
}

func TestServeRemovesTheSocketWhenItsContextEnds(t *testing.T) {
	path := socketPath(t)
	s, err := Listen(Config{SocketFile: path}, newFake())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	if got := send(t, "unix", path, "sup\n"); got != statusOf("1000", false) {
		t.Fatalf("reply %q", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file still there: %v", err)
	}
	if _, err := net.Dial("unix", path); err == nil {
		t.Error("still accepting connections")
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

func TestCloseEndsServe(t *testing.T) {
	path := socketPath(t)
	s, err := Listen(Config{SocketFile: path}, newFake())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file still there: %v", err)
	}
}

func TestCloseLeavesAnotherProcesssSocket(t *testing.T) {
	path := socketPath(t)
	s, err := Listen(Config{SocketFile: path}, newFake())
	if err != nil {
		t.Fatal(err)
	}
	// Someone else replaced the file meanwhile (another run with
	// --initially-drop-socket-file, say): it is theirs now.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	staleSocket(t, path)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("Close removed a socket it did not create: %v", err)
	}
}

func TestConcurrentConnections(t *testing.T) {
	f := newFake()
	path := socketPath(t)
	s := serve(t, Config{SocketFile: path, TCPAddr: "127.0.0.1:0"}, f)
	lines := []string{"status\n", "chunk-size=?\n", "chunk-size=700\n", "throttle\n", "no-throttle\n", "status-json\n", "foo\n", "nice-ratio=0.1\n"}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			network, addr := "unix", path
			if i%3 == 0 {
				network, addr = "tcp", s.tcp.Addr().String()
			}
			line := lines[i%len(lines)]
			if got := send(t, network, addr, line); got == "" || !strings.HasSuffix(got, "\n") {
				t.Errorf("reply to %q: %q", line, got)
			}
		}()
	}
	wg.Wait()
	wantSetting(t, f, "chunk-size", "700")
}

func TestOnCommandGetsTheWordOfAcceptedCommands(t *testing.T) {
	var mu sync.Mutex
	var got []string
	hook := func(c string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, c)
	}
	path := socketPath(t)
	s := serve(t, Config{SocketFile: path, OnCommand: hook}, newFake())
	for _, line := range []string{"pause\n", "chunk-size=5\n", "chunk-size=abc\n", "foo\n", "panic=t\n", "chunk-size=?\n"} {
		send(t, "unix", path, line)
	}
	s.Handle("resume")
	s.Handle("bar")
	// The hook runs after the reply; the last connection's call may still be
	// on its way.
	deadline := time.Now().Add(5 * time.Second)
	want := []string{"chunk-size", "chunk-size", "pause", "resume"}
	for {
		mu.Lock()
		snapshot := slices.Clone(got)
		mu.Unlock()
		slices.Sort(snapshot)
		done := slices.Equal(snapshot, want)
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hook calls %q, want %q", snapshot, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHandle(t *testing.T) {
	f := newFake()
	s, err := Listen(Config{}, f)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if got := s.Handle("chunk-size=?"); got != "1000\n" {
		t.Errorf("chunk-size=?: %q", got)
	}
	if got := s.Handle("  nice-ratio = `1.5`\t\n"); got != "nice-ratio=1.5\n"+statusOf("1000", false) {
		t.Errorf("nice-ratio: %q", got)
	}
	if got := s.Handle("nosuch"); got != "unknown command: nosuch\n" {
		t.Errorf("nosuch: %q", got)
	}
}

func TestLimits(t *testing.T) {
	f := newFake()
	path := socketPath(t)
	serve(t, Config{SocketFile: path}, f, func(s *Server) { s.readTimeout = 200 * time.Millisecond })

	t.Run("a line over the size limit is refused", func(t *testing.T) {
		got := send(t, "unix", path, "throttle-query="+strings.Repeat("x", maxCommandBytes)+"\n")
		if !strings.HasPrefix(got, "command longer than") || strings.Count(got, "\n") != 1 {
			t.Errorf("reply %q", got)
		}
	})
	t.Run("a line cut short by the deadline is refused", func(t *testing.T) {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "panic"); err != nil { // no newline, connection kept open
			t.Fatal(err)
		}
		b, _ := io.ReadAll(c)
		if got := string(b); !strings.HasPrefix(got, "incomplete command") || strings.Count(got, "\n") != 1 {
			t.Errorf("reply %q", got)
		}
	})
	t.Run("a client that keeps its side open gets the reply after the newline", func(t *testing.T) {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "applier\n"); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(c)
		if got := string(b); err != nil || got != "db1:3306\n" {
			t.Errorf("reply %q, %v", got, err)
		}
	})
	t.Run("a connection that sends nothing is closed", func(t *testing.T) {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
			t.Errorf("got %q, %v; want a silent close", b, err)
		}
	})
	if calls := f.Calls(); !slices.Equal(calls, []string{"Applier"}) {
		t.Errorf("the target was called: %q", calls)
	}
	if f.panicked {
		t.Error("an incomplete panic ran")
	}
}

func TestLogs(t *testing.T) {
	var logs syncbuf.Buffer
	f := newFake()
	s, err := Listen(Config{Logger: zerolog.New(&logs)}, f)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	s.Handle("chunk-size=500")
	s.Handle("throttle-query=select 1")
	s.Handle("throttle-http=https://user:hunter2@throttle.example:8080/hook/s3cr3t?token=abc")
	s.Handle("throttle-http=ftp://user:hunter2@x/s3cr3t")
	s.Handle("threads=8")
	s.Handle("threads=hunter2")
	s.Handle("nope=hunter2")
	out := logs.String()

	for _, want := range []string{
		`"component":"control"`,
		`"level":"info","component":"control","command":"chunk-size","via":"handle","value":"500","message":"command accepted"`,
		`"command":"throttle-query","via":"handle","value":"select 1","message":"command accepted"`,
		`"command":"throttle-http","via":"handle","value":"https://throttle.example:8080/…","message":"command accepted"`,
		`"level":"warn","component":"control","command":"throttle-http","via":"handle","value":"ftp://x/…","message":"command rejected"`,
		`"command":"threads","via":"handle","message":"command accepted"`,
		`"command":"nope","via":"handle","reason":"unknown command: nope","message":"command rejected"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s\nlogs:\n%s", want, out)
		}
	}
	for _, secret := range []string{"hunter2", "s3cr3t", "token", "abc", "=8"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs carry %q:\n%s", secret, out)
		}
	}
}
