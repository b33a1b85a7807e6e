package migration

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
)

// The copy and the checksum are the server's work: every thread of theirs
// is a core the application's queries no longer have. On the project's
// 2-core server a second copy thread and three more checksum threads bought
// no time on an idle table but cost the server about half again as much CPU,
// and under 1000 writes/s the application's writers kept 71–80% of their
// rate with them against 80–97% without (README, "Speed"). So by default
// each gets half the server's CPUs.
const (
	// maxAutoThreads bounds the default on big servers: each thread is a
	// connection holding share locks (copy) or a snapshot (checksum).
	maxAutoThreads = 8
	// unknownCPUThreads is the default where the server does not say how
	// many CPUs it has (MySQL).
	unknownCPUThreads = 2
)

// AutoThreads is how many copy or checksum threads a server with cpus CPUs
// gets by default (cpus 0: unknown).
func AutoThreads(cpus int) int {
	if cpus <= 0 {
		return unknownCPUThreads
	}
	return min(max(cpus/2, 1), maxAutoThreads)
}

// ServerCPUs is how many CPUs a server of flavor (binlog.DetectFlavor) says
// it has, 0 when it does not. MariaDB sizes thread_pool_size to the
// machine's CPUs unless it is configured, and operators who configure it set
// about that. MySQL has the variable only with a thread pool plugin, whose
// default is a fixed number, so it says nothing there.
func ServerCPUs(ctx context.Context, db *sql.DB, flavor string) (int, error) {
	if flavor != binlog.FlavorMariaDB {
		return 0, nil
	}
	var n sql.NullInt64
	err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.thread_pool_size").Scan(&n)
	switch {
	case dbconn.ErrorNumber(err) == erUnknownSystemVariable:
		return 0, nil // a build without the thread pool
	case err != nil:
		// A lost connection is reported rather than taken for "does not
		// say": a dead server is not to be sized.
		return 0, fmt.Errorf("read the server's thread_pool_size: %w", err)
	}
	return int(n.Int64), nil
}

// erUnknownSystemVariable: the server has no such variable.
const erUnknownSystemVariable = 1193

// sizeThreads settles the copy's and the checksum's thread counts: the
// operator's, or AutoThreads of the server that is written to.
func (m *migrator) sizeThreads(ctx context.Context) error {
	m.copyThreads, m.checksumThreads = m.cfg.CopyThreads, m.cfg.ChecksumThreads
	if m.copyThreads > 0 && m.checksumThreads > 0 {
		return nil
	}
	// The flavor is the inspected server's; the server written to is in
	// the same replication topology, so of the same flavor.
	cpus, err := ServerCPUs(ctx, m.write, m.flavor)
	if err != nil {
		return err
	}
	auto := AutoThreads(cpus)
	if m.copyThreads <= 0 {
		m.copyThreads = auto
	}
	if m.checksumThreads <= 0 {
		m.checksumThreads = auto
	}
	ev := m.log.Info().Int("copy_threads", m.copyThreads).Int("checksum_threads", m.checksumThreads)
	if cpus > 0 {
		ev = ev.Int("server_cpus", cpus)
	}
	ev.Msg("threads sized from the server's CPUs (half of them; --threads and --checksum-threads override)")
	return nil
}
