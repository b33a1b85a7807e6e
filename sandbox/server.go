package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	// sandbox hands out *sql.DB of driver "mysql".
	_ "github.com/go-sql-driver/mysql"
)

// Credentials every sandbox server is bootstrapped with. They are fixed so a
// developer can connect to a sandbox left running in a debugger without
// looking anything up.
const (
	userName     = "doppel"
	userPassword = "doppel"
	replUser     = "repl"
	replPassword = "repl"
)

// Bounds on waiting for a server; generous because CI runs several test
// binaries at once on two cores, each bootstrapping its own servers.
const (
	readyTimeout    = 90 * time.Second
	shutdownTimeout = 30 * time.Second
	bindAttempts    = 5
)

// A unix socket path is limited to 108 bytes including the NUL; paths under
// t.TempDir() for long test names easily exceed that.
const maxSocketPath = 100

// nextServerID is process-wide so that servers of different clusters in one
// test binary never share an id, which keeps binlog streamers and replicas
// that tests point at "the wrong" server from silently filtering events.
var nextServerID atomic.Uint32

// Server is one running mariadbd that this package started.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	Dir      string // the server's own directory: data/, tmp/, error.log
	Socket   string
	ServerID uint32

	name     string
	dataDir  string
	tmpDir   string
	errorLog string
	pidFile  string
	log      *logger

	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait returns
	waitErr error         // valid after exited is closed

	admin *sql.DB
	extra []string // the mariadbd arguments it was started with, for Restart

	// follower is the replica of this server, if any, so NewDatabase can hand
	// out a database that already exists on the replica too.
	follower *Server
}

// Addr is the server's TCP address.
func (s *Server) Addr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// DSN is a go-sql-driver DSN for the doppel user. The parameters are spelled
// out, even where they equal the driver's defaults, so the DSN means the same
// thing to every tool a test hands it to.
func (s *Server) DSN(database string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?charset=utf8mb4&interpolateParams=true&parseTime=false&timeout=10s",
		s.User, s.Password, s.Addr(), url.PathEscape(database))
}

func newServer(name, root string, log *logger) (*Server, error) {
	dir := filepath.Join(root, name)
	s := &Server{
		Host:     "127.0.0.1",
		User:     userName,
		Password: userPassword,
		Dir:      dir,
		ServerID: nextServerID.Add(1),
		name:     name,
		dataDir:  filepath.Join(dir, "data"),
		tmpDir:   filepath.Join(dir, "tmp"),
		errorLog: filepath.Join(dir, "error.log"),
		pidFile:  filepath.Join(dir, "mariadbd.pid"),
		log:      log,
	}
	// mariadb-install-db wants to create the data directory itself.
	if err := os.MkdirAll(s.tmpDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", s.tmpDir, err)
	}
	s.Socket = filepath.Join(dir, "mariadbd.sock")
	if len(s.Socket) > maxSocketPath {
		short, err := os.MkdirTemp("", dirPrefix+"sock-")
		if err != nil {
			return nil, fmt.Errorf("create socket dir: %w", err)
		}
		if err := writeOwner(short); err != nil {
			return nil, err
		}
		s.Socket = filepath.Join(short, "mariadbd.sock")
		if len(s.Socket) > maxSocketPath {
			return nil, fmt.Errorf("socket path %q is too long for a unix socket; set TMPDIR to a shorter directory", s.Socket)
		}
	}
	return s, nil
}

// install creates the data directory. The users are created by the bootstrap
// itself rather than over a connection later, so they are not written to the
// binlog: otherwise the replica would replay CREATE USER for a user it already
// has and stop with an error.
func (s *Server) install(ctx context.Context, bin binaries, bootstrapSQL string) error {
	args := []string{
		"--no-defaults",
		"--auth-root-authentication-method=normal",
		"--datadir=" + s.dataDir,
		// Every mariadbd deletes #sql* files in its tmpdir when it starts, so
		// a shared /tmp lets one server's start (or another bootstrap) delete
		// the temporary tables a bootstrap is using, and the install fails.
		"--tmpdir=" + s.tmpDir,
		"--skip-test-db",
		"--extra-file=" + bootstrapSQL,
	}
	args = append(args, asRoot()...)
	// Options that fix the on-disk layout must match at bootstrap, or the
	// first start spends its time resizing the redo log.
	args = append(args, layoutArgs...)
	cmd := exec.CommandContext(ctx, bin.installDB, args...)
	cmd.SysProcAttr = childAttrs()
	// The script runs mariadbd --bootstrap as its own child, which neither a
	// kill of the script nor Pdeathsig reaches; its process group does.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mariadb-install-db for %s: %w\n%s", s.name, err, tail(installDiagnosis(out.Bytes()), 30))
	}
	return nil
}

var layoutArgs = []string{
	"--innodb-log-file-size=256M",
}

func asRoot() []string {
	// mariadbd refuses to run as root unless told to, and refuses --user when
	// it cannot switch users.
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}

func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		// Its own process group keeps a terminal's ^C away from the server so
		// that shutdown is ours to sequence.
		Setpgid: true,
		// If the test binary dies (timeout panic, SIGKILL) nothing runs our
		// cleanup; the kernel must take the server down with it.
		Pdeathsig: syscall.SIGKILL,
	}
}

func (s *Server) args(extra []string) []string {
	a := []string{
		"--no-defaults", // must come first
		"--datadir=" + s.dataDir,
		"--tmpdir=" + s.tmpDir,
		"--socket=" + s.Socket,
		"--pid-file=" + s.pidFile,
		"--log-error=" + s.errorLog,
		"--bind-address=" + s.Host,
		"--port=" + strconv.Itoa(s.Port),
		"--server-id=" + strconv.FormatUint(uint64(s.ServerID), 10),
		// gh-ost style tools discover replicas through SHOW SLAVE HOSTS.
		"--report-host=" + s.Host,
		"--report-port=" + strconv.Itoa(s.Port),
		"--log-bin=mysql-bin",
		"--relay-log=relay-bin",
		"--binlog-format=ROW",
		"--binlog-row-image=FULL",
		"--log-slave-updates",
		"--skip-slave-start",
		"--skip-name-resolve",
		"--innodb-buffer-pool-size=256M",
		"--innodb-flush-log-at-trx-commit=2",
		"--sync-binlog=0",
		// The data is thrown away, so saving and reloading the buffer pool
		// only slows down start and stop.
		"--innodb-buffer-pool-dump-at-shutdown=OFF",
		"--innodb-buffer-pool-load-at-startup=OFF",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
		"--max-connections=500",
		"--event-scheduler=OFF",
	}
	a = append(a, layoutArgs...)
	a = append(a, asRoot()...)
	return append(a, extra...)
}

// start launches mariadbd and waits until the doppel user can log in over TCP.
// The port is picked by the kernel and released before mariadbd binds it, so
// another process can steal it in between; that case is retried on a new port.
func (s *Server) start(ctx context.Context, bin binaries, extra []string) error {
	s.extra = extra
	var lastErr error
	for attempt := 1; attempt <= bindAttempts; attempt++ {
		port, err := pickPort()
		if err != nil {
			return err
		}
		s.Port = port
		began := time.Now()
		err = s.launch(ctx, bin, extra)
		if err == nil {
			s.log.printf("%s: mariadbd ready on %s (server_id %d) in %v", s.name, s.Addr(), s.ServerID, time.Since(began).Round(time.Millisecond))
			return nil
		}
		lastErr = err
		if !errors.Is(err, errNotOurServer) && !s.lostPortRace() {
			return err
		}
		s.log.printf("%s: port %d was taken, retrying", s.name, port)
	}
	return fmt.Errorf("%s: no free port after %d attempts: %w", s.name, bindAttempts, lastErr)
}

func (s *Server) launch(ctx context.Context, bin binaries, extra []string) error {
	// A fresh log per attempt, so the tail we report is about this attempt.
	if err := os.Remove(s.errorLog); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reset error log: %w", err)
	}
	// Not CommandContext: ctx bounds the start only, the server must outlive it.
	cmd := exec.Command(bin.mariadbd, s.args(extra)...)
	cmd.SysProcAttr = childAttrs()
	out, err := os.OpenFile(s.errorLog+".stdout", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open stdout log: %w", err)
	}
	defer out.Close() // the child holds its own descriptor
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mariadbd for %s: %w", s.name, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return err
	}
	return nil
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		return fmt.Errorf("open %s: %w", s.name, err)
	}
	db.SetMaxOpenConns(4)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var pingErr error
	for {
		select {
		case <-s.exited:
			db.Close()
			return fmt.Errorf("mariadbd for %s exited during startup (%v); error log %s:\n%s",
				s.name, s.waitErr, s.errorLog, s.errorTail())
		default:
		}
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		pingErr = db.PingContext(pctx)
		pcancel()
		if pingErr == nil {
			// Another test binary's server may hold the port we picked (it
			// was free when we probed it), and it takes the same login. A
			// server that is not ours must never be handed out: a test would
			// reconfigure or shut down someone else's replica.
			if err := s.checkIdentity(ctx, db); err != nil {
				db.Close()
				return err
			}
			s.admin = db
			return nil
		}
		select {
		case <-ctx.Done():
			db.Close()
			return fmt.Errorf("mariadbd for %s not accepting connections on %s: %w (last error: %v); error log %s:\n%s",
				s.name, s.Addr(), ctx.Err(), pingErr, s.errorLog, s.errorTail())
		case <-tick.C:
		}
	}
}

// errNotOurServer means the server answering on our port runs from another
// data directory: the port was taken between our probe and mariadbd's bind.
var errNotOurServer = errors.New("another server answers on the port")

// checkIdentity tells whether db reaches the server this Server started, by
// its data directory; the file comparison sees through symlinks and trailing
// slashes in the path the server reports.
func (s *Server) checkIdentity(ctx context.Context, db *sql.DB) error {
	var dir string
	if err := db.QueryRowContext(ctx, "SELECT @@datadir").Scan(&dir); err != nil {
		return fmt.Errorf("read datadir of the server on %s: %w", s.Addr(), err)
	}
	theirs, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%w: %s (its datadir %s: %v)", errNotOurServer, s.Addr(), dir, err)
	}
	ours, err := os.Stat(s.dataDir)
	if err != nil {
		return fmt.Errorf("stat %s: %w", s.dataDir, err)
	}
	if !os.SameFile(theirs, ours) {
		return fmt.Errorf("%w: %s is served from %s, not %s", errNotOurServer, s.Addr(), dir, s.dataDir)
	}
	return nil
}

// lostPortRace tells whether the last launch failed because the port we
// picked was taken before mariadbd could bind it.
func (s *Server) lostPortRace() bool {
	b, err := os.ReadFile(s.errorLog)
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte("Address already in use")) ||
		bytes.Contains(b, []byte("Bind on TCP/IP port"))
}

// pickPort is a variable so a test can hand out a taken port and exercise
// the retry.
var pickPort = freePort

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release free port: %w", err)
	}
	return port, nil
}

// stop shuts the server down: SIGTERM lets mariadbd close cleanly (which also
// proves it was still healthy), SIGKILL bounds the wait.
func (s *Server) stop() error {
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
	if s.cmd == nil {
		return nil
	}
	cmd := s.cmd
	s.cmd = nil
	select {
	case <-s.exited:
		return nil // already gone; its exit status was reported when it mattered
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s: %w", s.name, err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(shutdownTimeout):
	}
	s.log.printf("%s: mariadbd did not stop within %v, killing it", s.name, shutdownTimeout)
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", s.name, err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("mariadbd for %s (pid %d) survived SIGKILL", s.name, cmd.Process.Pid)
	}
}

func (s *Server) errorTail() string {
	b, err := os.ReadFile(s.errorLog)
	if err != nil {
		return fmt.Sprintf("(cannot read error log: %v)", err)
	}
	if extra, err := os.ReadFile(s.errorLog + ".stdout"); err == nil {
		b = append(b, extra...)
	}
	return tail(b, 25)
}

// installDiagnosis drops the generic advice mariadb-install-db prints after
// a failure, which would otherwise push the actual error out of the tail.
func installDiagnosis(out []byte) []byte {
	if i := bytes.Index(out, []byte("Installation of system tables failed")); i > 0 {
		return out[:i]
	}
	return out
}

func tail(b []byte, lines int) string {
	s := strings.TrimRight(string(b), "\n")
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return "    " + strings.Join(parts, "\n    ")
}
