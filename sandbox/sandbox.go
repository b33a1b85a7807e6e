package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// dirPrefix names every directory this package creates under the temp dir, so
// directories left by a test binary that was killed can be recognised.
const dirPrefix = "doppel-sandbox-"

// ownerFile holds the pid of the process that owns a sandbox directory.
const ownerFile = "owner.pid"

// Options configures Start.
type Options struct {
	// Dir is where the cluster's temporary directory is created; empty means
	// the system temp dir. The directory is removed by Close.
	Dir string
	// Replica starts a second server replicating from the primary by GTID.
	Replica bool
	// ServerArgs are appended to every mariadbd command line, after the
	// defaults, so they override them. They are not passed to
	// mariadb-install-db.
	ServerArgs []string
	// TLS, when set, makes every server offer TLS with these files (see
	// NewCerts) and verify client certificates against their CA. Without
	// it the servers speak plaintext only.
	TLS *Certs
	// Log receives progress lines (ports, timings); nil discards them.
	Log io.Writer
}

// Cluster is a primary and, with Options.Replica, its replica.
type Cluster struct {
	Primary *Server
	Replica *Server // nil unless Options.Replica

	root      string
	log       *logger
	closeOnce sync.Once
	closeErr  error
}

// Start bootstraps and starts the servers and, with Options.Replica, sets up
// replication. ctx bounds the start only: the servers run until Close, or
// until the calling process exits, whichever comes first.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	began := time.Now()
	log := &logger{w: o.Log}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	sweepStale(log)
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("sandbox: create %s: %w", o.Dir, err)
		}
	}
	root, err := os.MkdirTemp(o.Dir, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("sandbox: create temp dir: %w", err)
	}
	c := &Cluster{root: root, log: log}
	defer func() {
		if err != nil {
			if cerr := c.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
	}()
	if err := writeOwner(root); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	bootstrap := filepath.Join(root, "bootstrap.sql")
	if err := os.WriteFile(bootstrap, []byte(bootstrapSQL()), 0o600); err != nil {
		return nil, fmt.Errorf("sandbox: write bootstrap sql: %w", err)
	}

	if c.Primary, err = newServer("primary", root, log); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	servers := []*Server{c.Primary}
	if o.Replica {
		if c.Replica, err = newServer("replica", root, log); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		c.Primary.follower = c.Replica
		servers = append(servers, c.Replica)
	}

	// Bootstrap and start the servers side by side: each is mostly waiting
	// on fsync and its own startup, so this halves the time to a cluster.
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range servers {
		g.Go(func() error {
			began := time.Now()
			if err := s.install(gctx, bin, bootstrap); err != nil {
				return err
			}
			s.log.printf("%s: data directory bootstrapped in %v", s.name, time.Since(began).Round(time.Millisecond))
			return s.start(gctx, bin, append(o.TLS.serverArgs(), o.ServerArgs...))
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if c.Replica != nil {
		if err := c.startReplication(ctx); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	log.printf("cluster ready in %v (dir %s)", time.Since(began).Round(time.Millisecond), root)
	return c, nil
}

// bootstrapSQL runs inside mariadb-install-db, where grant tables are off
// until FLUSH PRIVILEGES loads them. The replication user exists on every
// server so that a replica can be promoted in a test without more setup.
func bootstrapSQL() string {
	var b strings.Builder
	b.WriteString("FLUSH PRIVILEGES;\n")
	for _, host := range []string{"%", "localhost"} {
		fmt.Fprintf(&b, "CREATE USER '%s'@'%s' IDENTIFIED BY '%s';\n", userName, host, userPassword)
		fmt.Fprintf(&b, "GRANT ALL PRIVILEGES ON *.* TO '%s'@'%s' WITH GRANT OPTION;\n", userName, host)
	}
	fmt.Fprintf(&b, "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n", replUser, replPassword)
	fmt.Fprintf(&b, "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%s'@'%%';\n", replUser)
	return b.String()
}

func (c *Cluster) startReplication(ctx context.Context) error {
	p, r := c.Primary, c.Replica
	change := fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='%s', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', "+
		"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", p.Host, p.Port, replUser, replPassword)
	if _, err := r.admin.ExecContext(ctx, change); err != nil {
		return fmt.Errorf("change master on replica: %w", err)
	}
	if _, err := r.admin.ExecContext(ctx, "START SLAVE"); err != nil {
		return fmt.Errorf("start slave on replica: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		st, err := replicaStatus(ctx, r.admin)
		if err != nil {
			return fmt.Errorf("replica status: %w", err)
		}
		if st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes" {
			c.log.printf("replica: replicating from %s", p.Addr())
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replication did not start: %w (%s)", ctx.Err(), describeStatus(st))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// replicaStatus reads SHOW SLAVE STATUS by column name, because its column
// list differs between server versions.
func replicaStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	st := map[string]string{}
	if !rows.Next() {
		return st, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, col := range cols {
		st[col] = vals[i].String
	}
	return st, rows.Err()
}

func describeStatus(st map[string]string) string {
	if len(st) == 0 {
		return "replication is not configured"
	}
	var parts []string
	for _, k := range []string{"Slave_IO_Running", "Slave_SQL_Running", "Last_IO_Error", "Last_SQL_Error", "Gtid_IO_Pos", "Seconds_Behind_Master"} {
		if v := st[k]; v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, ", ")
}

// WaitReplicaCaughtUp waits until the replica has applied every transaction
// the primary had written when it was called. Without a replica it returns
// nil at once. Without a deadline on ctx it gives up after a minute.
func (c *Cluster) WaitReplicaCaughtUp(ctx context.Context) error {
	if c.Replica == nil {
		return nil
	}
	return waitCaughtUp(ctx, c.Primary, c.Replica)
}

func waitCaughtUp(ctx context.Context, primary, replica *Server) error {
	p, r := primary.admin, replica.admin
	if p == nil || r == nil {
		return errors.New("sandbox: wait for replica: cluster is closed")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	var pos string
	if err := p.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
		return fmt.Errorf("sandbox: read primary gtid_binlog_pos: %w", err)
	}
	for {
		// Short waits, so a broken replication is reported as such instead
		// of as a timeout.
		var res sql.NullInt64
		err := r.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, 0.5)", pos).Scan(&res)
		if err == nil && res.Valid && res.Int64 == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("sandbox: replica did not reach primary position %q: %w (%s)",
				pos, ctx.Err(), replicaState(r))
		}
		if err != nil {
			return fmt.Errorf("sandbox: wait for replica: %w", err)
		}
		st, err := replicaStatus(ctx, r)
		if err == nil && (st["Slave_SQL_Running"] != "Yes" || (st["Last_IO_Error"] != "" && st["Slave_IO_Running"] != "Yes")) {
			return fmt.Errorf("sandbox: replication is broken while waiting for %q: %s", pos, describeStatus(st))
		}
	}
}

// replicaState is best-effort context for an error message; the caller's
// ctx is already done, so it uses its own short one.
func replicaState(r *sql.DB) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := replicaStatus(ctx, r)
	if err != nil {
		return "replica status unavailable: " + err.Error()
	}
	var slavePos string
	_ = r.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_slave_pos").Scan(&slavePos)
	return fmt.Sprintf("gtid_slave_pos=%q, %s", slavePos, describeStatus(st))
}

// Close stops the servers and removes their directories. It is safe to call
// more than once; later calls return the first call's result.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		began := time.Now()
		var errs []error
		// Replica first, so it does not spend the primary's shutdown
		// reconnecting and logging errors.
		for _, s := range []*Server{c.Replica, c.Primary} {
			if s == nil {
				continue
			}
			if err := s.stop(); err != nil {
				errs = append(errs, err)
			}
			if dir := filepath.Dir(s.Socket); dir != s.Dir && strings.HasPrefix(filepath.Base(dir), dirPrefix) {
				if err := os.RemoveAll(dir); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if len(errs) == 0 && c.root != "" {
			// Keep the directory when a server could not be stopped: it may
			// still be writing there, and its logs explain why.
			if err := os.RemoveAll(c.root); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			c.closeErr = fmt.Errorf("sandbox: close: %w", errors.Join(errs...))
			return
		}
		c.log.printf("cluster stopped and removed in %v", time.Since(began).Round(time.Millisecond))
	})
	return c.closeErr
}

type binaries struct {
	mariadbd  string
	installDB string
}

// Debian installs mariadbd in /usr/sbin, which is not on a non-root PATH.
var searchDirs = []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/mysql/bin"}

func findBinary(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	for _, d := range searchDirs {
		for _, n := range names {
			p := filepath.Join(d, n)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("sandbox: %s not found on PATH or in %s (install mariadb-server)",
		strings.Join(names, "/"), strings.Join(searchDirs, ", "))
}

func findBinaries() (binaries, error) {
	d, err := findBinary("mariadbd", "mysqld")
	if err != nil {
		return binaries{}, err
	}
	i, err := findBinary("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return binaries{}, err
	}
	return binaries{mariadbd: d, installDB: i}, nil
}

func writeOwner(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// sweepStale removes sandbox directories whose owning process is gone. Their
// servers died with it (Pdeathsig), but the data directories, a few hundred
// MB each, would otherwise pile up on developer machines after every killed
// or timed-out test run.
func sweepStale(log *logger) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range matches {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being created
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(dir); err == nil {
			log.printf("removed stale sandbox directory %s (owner pid %d is gone)", dir, pid)
		}
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

type logger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logger) printf(format string, args ...any) {
	if l == nil || l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "sandbox: "+format+"\n", args...)
}
