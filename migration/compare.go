package migration

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/checksum"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// CompareConfig describes a comparison of two tables by hand (`doppel
// checksum`): typically a table and the ghost or old table of a migration.
type CompareConfig struct {
	Host     string
	Port     int
	User     string
	Password string
	// TLS and MySQLTimeout as for a migration.
	TLS          *tls.Config
	MySQLTimeout time.Duration
	Database     string
	Table        string // the reference table
	Against      string // the table compared with it
	// Threads (0: half the server's CPUs), ChunkSize and LockTimeout as for
	// the migration's checksum.
	Threads     int
	ChunkSize   int64
	LockTimeout time.Duration
}

// CompareReport is what a comparison found.
type CompareReport struct {
	Chunks   int
	Rows     int64
	Skipped  []string // columns not compared, with the reason
	LockHeld time.Duration
	Duration time.Duration
}

// Compare compares two tables with the migration's checksum: both are
// read-locked for a moment while the snapshots open, then hashed chunk by
// chunk over a unique key they share. Nothing is written; a difference is
// an error naming the differing chunks and keys, wrapping ErrTablesDiffer.
func Compare(ctx context.Context, cfg CompareConfig, log zerolog.Logger) (CompareReport, error) {
	var rep CompareReport
	if cfg.Database == "" || cfg.Table == "" || cfg.Against == "" {
		return rep, &UsageError{msg: "doppel checksum needs --database, --table and --against"}
	}
	conn := dbconn.Config{Host: cfg.Host, Port: cfg.Port, User: cfg.User, Password: cfg.Password, TLS: cfg.TLS, Timeout: cfg.MySQLTimeout}
	db, err := dbconn.Open(ctx, conn)
	if err != nil {
		return rep, connectError(err, conn)
	}
	defer db.Close()
	load := func(name string) (*schema.Table, error) {
		t, err := schema.LoadTable(ctx, db, cfg.Database, name)
		if err != nil {
			return nil, fmt.Errorf("load %s.%s: %w", cfg.Database, name, err)
		}
		return t, nil
	}
	orig, err := load(cfg.Table)
	if err != nil {
		return rep, err
	}
	other, err := load(cfg.Against)
	if err != nil {
		return rep, err
	}
	mapping, err := schema.Map(orig, other, nil, schema.MapOptions{})
	if err != nil {
		return rep, fmt.Errorf("compare %s with %s: %w", cfg.Table, cfg.Against, err)
	}
	threads := cfg.Threads
	if threads <= 0 {
		flavor, err := binlog.DetectFlavor(ctx, db)
		if err != nil {
			return rep, err
		}
		cpus, err := ServerCPUs(ctx, db, flavor)
		if err != nil {
			return rep, err
		}
		threads = AutoThreads(cpus)
	}
	c, err := checksum.New(checksum.Config{
		Database: cfg.Database, Orig: orig, Ghost: other, Mapping: mapping,
		Threads: threads, ChunkSize: max(cfg.ChunkSize, 1),
		Logger: log.With().Str("component", "checksum").Logger(),
	})
	if err != nil {
		return rep, err
	}
	for _, p := range c.Plans() {
		if p.Skipped {
			rep.Skipped = append(rep.Skipped, p.Orig+": "+p.Reason)
		}
	}
	open := func(ctx context.Context) (*checksum.Snapshot, error) {
		return checksum.OpenSnapshot(ctx, checksum.PointConfig{
			DB: db, Database: cfg.Database, Lock: []string{cfg.Table, cfg.Against}, Conns: threads,
			LockTimeout: cfg.LockTimeout,
		})
	}
	out, err := c.Verify(ctx, open, nil)
	rep.Chunks, rep.Rows, rep.LockHeld, rep.Duration = out.Chunks, out.Rows, out.LockHeld, out.Duration
	if errors.Is(err, checksum.ErrMismatch) {
		return rep, fmt.Errorf("%w: %w", ErrTablesDiffer, err)
	}
	return rep, err
}

// ErrTablesDiffer is wrapped by Compare's error when the tables differ.
var ErrTablesDiffer = errors.New("tables differ")
