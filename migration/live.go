package migration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"strconv"
	"strings"
	"time"

	"database/sql"

	"github.com/doppel-dev/doppel/control"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
	"github.com/doppel-dev/doppel/throttle"
)

// newThrottler builds the decision loop once the servers are known: the
// primary answers --max-load, --critical-load and --throttle-query; the
// inspected replica and the control replicas are watched for lag through
// the heartbeat.
func (m *migrator) newThrottler(ctx context.Context) error {
	limits := &throttle.Limits{}
	maxLag := m.cfg.MaxLag
	if maxLag <= 0 {
		maxLag = 1500 * time.Millisecond
	}
	for _, err := range []error{
		limits.SetMaxLag(maxLag),
		limits.SetMaxLoad(m.cfg.MaxLoad),
		limits.SetCriticalLoad(m.cfg.CriticalLoad),
		limits.SetThrottleQuery(m.cfg.ThrottleQuery),
		limits.SetThrottleHTTP(m.cfg.ThrottleHTTP),
		limits.SetControlReplicas(m.cfg.ThrottleControlReplicas),
		limits.SetNiceRatio(m.cfg.NiceRatio),
	} {
		if err != nil {
			return refuse("%v", err)
		}
	}
	// An unreachable URL would hold the migration paused from its first
	// chunk on, which looks like a hang; a wrong URL is far likelier than
	// an outage at the very start, so it is refused before anything exists.
	if u := m.cfg.ThrottleHTTP; u != "" && !m.cfg.IgnoreHTTPErrors {
		if err := throttle.CheckHTTP(ctx, u, m.cfg.ThrottleHTTPTimeout); err != nil {
			return refuse("--throttle-http=%s cannot be reached (%v); start the service or fix the URL, or pass --ignore-http-errors to migrate without pausing while it is unreachable", u, err)
		}
	}
	// gh-ost runs --throttle-query in the migrated database, so harnesses
	// and runbooks name its tables unqualified.
	queryDB, err := dbconn.Open(ctx, m.serverConfig(m.writeCfg.Host, m.writeCfg.Port, m.cfg.Database))
	if err != nil {
		return fmt.Errorf("connect for the throttle: %w", err)
	}
	m.throttleDB = queryDB
	var replicas []throttle.Replica
	if m.write != m.inspect {
		replicas = append(replicas, throttle.Replica{Name: m.inspectCfg.Addr(), DB: m.inspect})
	}
	m.throttle = throttle.New(throttle.Config{
		Limits: limits, Primary: queryDB, Replicas: replicas,
		HeartbeatQuery: fmt.Sprintf("SELECT value FROM %s WHERE hint = '%s'", schema.QuoteTable(m.cfg.Database, m.names.changelog), hintHeartbeat),
		Connect: func(ctx context.Context, hostPort string) (*sql.DB, error) {
			// Limits keeps control replicas as host:port, port included.
			host, port, err := net.SplitHostPort(hostPort)
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(port)
			if err != nil {
				return nil, fmt.Errorf("%q is not host:port", hostPort)
			}
			return dbconn.Open(ctx, m.serverConfig(host, n, ""))
		},
		FlagFile: m.cfg.ThrottleFlagFile, AdditionalFlagFile: m.cfg.ThrottleAdditionalFlagFile, PanicFlagFile: m.cfg.PanicFlagFile,
		HTTPInterval: m.cfg.ThrottleHTTPInterval, HTTPTimeout: m.cfg.ThrottleHTTPTimeout, IgnoreHTTPErrors: m.cfg.IgnoreHTTPErrors,
		CriticalLoadInterval: m.cfg.CriticalLoadInterval, CriticalLoadHibernate: m.cfg.CriticalLoadHibernate,
		Logger: m.base.With().Str("component", "throttle").Logger(),
	})
	return nil
}

// listenControl opens the interactive socket before any work starts, so a
// socket that cannot be served stops the migration while nothing changed.
func (m *migrator) listenControl() error {
	path := m.cfg.ServeSocketFile
	if path == "" {
		path = fmt.Sprintf("/tmp/gh-ost.%s.%s.sock", m.cfg.Database, m.cfg.Table)
		// A unix socket path holds at most 107 bytes; long names get a
		// hash instead, logged below.
		if len(path) > 100 {
			h := fnv.New64a()
			h.Write([]byte(m.cfg.Database + "." + m.cfg.Table))
			path = fmt.Sprintf("/tmp/gh-ost.%x.sock", h.Sum64())
		}
	}
	srv, err := control.Listen(control.Config{
		SocketFile: path, InitiallyDrop: m.cfg.InitiallyDropSocketFile, TCPAddr: m.cfg.ServeTCPAddr,
		OnCommand: m.onCommand, Logger: m.base,
	}, m)
	if err != nil {
		return refuse("interactive socket: %v", err)
	}
	m.control = srv
	m.log.Info().Str("socket", path).Str("tcp", m.cfg.ServeTCPAddr).Msg("serving interactive commands")
	return nil
}

// The methods below make the migrator the control socket's Target.

// Status is the `status` reply: one line per fact an operator looks for.
func (m *migrator) Status() string {
	s := m.status()
	var b strings.Builder
	fmt.Fprintf(&b, "# Migrating %s.%s; ghost table %s\n", m.cfg.Database, m.cfg.Table, m.names.ghost)
	fmt.Fprintf(&b, "# Phase: %s; elapsed %s\n", s.Phase, s.Elapsed.Round(time.Second))
	fmt.Fprintf(&b, "# Copied: %d/%d rows (%s)", s.RowsCopied, s.RowsEstimate, formatPct(s.Progress))
	if s.ETA >= 0 {
		fmt.Fprintf(&b, "; ETA %s", s.ETA)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "# Applied: %d changes; backlog %d; apply lag %s; binlog applied %s\n", s.ChangesApplied, s.Backlog, s.ApplyLag.Round(time.Millisecond), s.Applied)
	if s.ChecksumTotal > 0 {
		fmt.Fprintf(&b, "# Checksum: %d/%d chunks\n", s.ChecksumDone, s.ChecksumTotal)
	}
	fmt.Fprintf(&b, "# Lag: %s (max-lag-millis %d)\n", s.Lag.Round(time.Millisecond), m.throttle.Limits().MaxLag().Milliseconds())
	if s.Throttle != "" {
		fmt.Fprintf(&b, "# Throttled: %s\n", s.Throttle)
	} else {
		b.WriteString("# Throttled: no\n")
	}
	fmt.Fprintf(&b, "# Chunk size: %d; dml batch size: %d; nice ratio: %g\n", m.chunkSize(), m.dmlBatch.Load(), m.throttle.Limits().NiceRatio())
	if m.cfg.PostponeCutOverFlagFile != "" {
		fmt.Fprintf(&b, "# Postpone flag file: %s (exists: %v; unpostponed: %v)\n", m.cfg.PostponeCutOverFlagFile, fileExists(m.cfg.PostponeCutOverFlagFile), m.unpostponed.Load())
	}
	return b.String()
}

// StatusJSON is the `status-json` reply.
func (m *migrator) StatusJSON() ([]byte, error) { return json.Marshal(m.status()) }

// Info is the `info` reply.
func (m *migrator) Info() string {
	return fmt.Sprintf("doppel migrating %s.%s: ALTER TABLE %s %s; inspecting %s, writing to %s",
		m.cfg.Database, m.cfg.Table, m.cfg.Table, m.cfg.Alter, m.inspectCfg.Addr(), m.writeCfg.Addr())
}

// Coordinates is the `coordinates` reply.
func (m *migrator) Coordinates() string {
	s := m.status()
	return fmt.Sprintf("read: %s; applied: %s", s.Read, s.Applied)
}

// Applier is the server doppel writes to.
func (m *migrator) Applier() string { return m.writeCfg.Addr() }

// Inspector is the server doppel inspects.
func (m *migrator) Inspector() string { return m.inspectCfg.Addr() }

func (m *migrator) chunkSize() int64 {
	if m.copier != nil {
		return m.copier.ChunkSize()
	}
	return m.cfg.ChunkSize
}

// Get reads a live setting by its gh-ost name.
func (m *migrator) Get(name string) (string, error) {
	l := m.throttle.Limits()
	switch name {
	case "chunk-size":
		return strconv.FormatInt(m.chunkSize(), 10), nil
	case "dml-batch-size":
		return strconv.FormatInt(m.dmlBatch.Load(), 10), nil
	case "max-lag-millis":
		return strconv.FormatInt(l.MaxLag().Milliseconds(), 10), nil
	case "max-load":
		return l.MaxLoad().String(), nil
	case "critical-load":
		return l.CriticalLoad().String(), nil
	case "nice-ratio":
		return strconv.FormatFloat(l.NiceRatio(), 'g', -1, 64), nil
	case "throttle-query":
		return l.ThrottleQuery(), nil
	case "throttle-http":
		return l.ThrottleHTTP(), nil
	case "throttle-control-replicas":
		return strings.Join(l.ControlReplicas(), ","), nil
	}
	return "", control.ErrUnknownSetting
}

// Set changes a live setting; a bad value changes nothing.
func (m *migrator) Set(name, value string) error {
	l := m.throttle.Limits()
	integer := func(lo, hi int64) (int64, error) {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("give a whole number from %d to %d", lo, hi)
		}
		return n, nil
	}
	switch name {
	case "chunk-size":
		n, err := integer(10, 100000)
		if err != nil {
			return err
		}
		if m.copier == nil {
			return errors.New("the copy has not started yet")
		}
		return m.copier.SetChunkSize(n)
	case "dml-batch-size":
		n, err := integer(1, 1000)
		if err != nil {
			return err
		}
		m.dmlBatch.Store(n)
		return nil
	case "max-lag-millis":
		n, err := integer(100, 1<<40)
		if err != nil {
			return err
		}
		return l.SetMaxLag(time.Duration(n) * time.Millisecond)
	case "max-load":
		return l.SetMaxLoad(value)
	case "critical-load":
		return l.SetCriticalLoad(value)
	case "nice-ratio":
		r, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return errors.New("give a number from 0 to 100")
		}
		return l.SetNiceRatio(r)
	case "throttle-query":
		return l.SetThrottleQuery(value)
	case "throttle-http":
		return l.SetThrottleHTTP(value)
	case "throttle-control-replicas":
		return l.SetControlReplicas(value)
	}
	return control.ErrUnknownSetting
}

// Throttle pauses the migration until Unthrottle.
func (m *migrator) Throttle() { m.throttle.Pause("commanded by user") }

// Unthrottle undoes Throttle.
func (m *migrator) Unthrottle() { m.throttle.Resume() }

// Unpostpone releases a postponed cut-over, even while the flag file exists.
func (m *migrator) Unpostpone() error {
	if m.cfg.PostponeCutOverFlagFile == "" {
		return errors.New("the cut-over is not postponed (no --postpone-cut-over-flag-file)")
	}
	m.unpostponed.Store(true)
	return nil
}

// Panic aborts the migration at once.
func (m *migrator) Panic() { m.throttle.Panic() }

var _ control.Target = (*migrator)(nil)

// lagOf is the worst replica lag the throttle measured.
func (m *migrator) lagOf() time.Duration {
	worst, _ := m.throttle.Lag()
	return worst
}
