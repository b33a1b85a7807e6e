// Package throttle decides whether the migration's workers may proceed.
//
// One loop (Run) re-evaluates every reason to pause, in gh-ost's order, and
// the first that holds is the throttle's reason; the copier, the applier and
// the checksum block in Wait while there is one. Reasons: an operator's
// command, replication lag (read back from the heartbeat on each watched
// replica), flag files, --max-load, --throttle-query and --throttle-http.
// --critical-load and the panic flag file do not pause: they end Run with
// an error, which aborts the migration before anything is swapped.
package throttle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// ErrPanic ends Run when the panic flag file appears or an operator panics.
var ErrPanic = errors.New("panic requested")

// ErrCriticalLoad ends Run when a --critical-load threshold is met.
var ErrCriticalLoad = errors.New("critical load")

// Replica is a server whose replication lag is watched.
type Replica struct {
	Name string // host:port, for status and logs
	DB   *sql.DB
}

// Config is what the decision loop needs. The zero value pauses only on
// Pause.
type Config struct {
	Limits *Limits
	// Primary runs --max-load, --critical-load and --throttle-query.
	Primary *sql.DB
	// Replicas are watched for lag besides the control replicas (the
	// inspected server when it is a replica).
	Replicas []Replica
	// HeartbeatQuery reads the heartbeat's value (a RFC 3339 time written
	// by the migration with its own clock) on a replica.
	HeartbeatQuery string
	// Connect opens a control replica given as host:port.
	Connect func(ctx context.Context, hostPort string) (*sql.DB, error)

	FlagFile, AdditionalFlagFile, PanicFlagFile string

	HTTPInterval, HTTPTimeout time.Duration
	IgnoreHTTPErrors          bool

	// CriticalLoadInterval re-checks a met --critical-load after this long
	// before acting; CriticalLoadHibernate pauses everything that long
	// instead of aborting.
	CriticalLoadInterval, CriticalLoadHibernate time.Duration

	Logger zerolog.Logger
}

// Throttler holds the current decision. Use New.
type Throttler struct {
	cfg Config

	mu      sync.Mutex
	reason  string // the decision: why work is paused, "" when it is not
	user    string // an operator's or the migration's own pause
	changed chan struct{}
	since   time.Time
	total   time.Duration
	lag     map[string]time.Duration // per watched replica, last measured
	panic   bool

	httpReason string // last --throttle-http verdict, refreshed on its own interval
	httpNext   time.Time
	dbNext     time.Time
	dbReason   string

	replicas map[string]*sql.DB // control replicas by host:port
}

// New returns a throttler that lets work proceed until a reason appears.
func New(cfg Config) *Throttler {
	if cfg.Limits == nil {
		cfg.Limits = &Limits{maxLag: 1500 * time.Millisecond}
	}
	return &Throttler{cfg: cfg, changed: make(chan struct{}), lag: map[string]time.Duration{}, replicas: map[string]*sql.DB{}}
}

// Limits returns the live settings.
func (t *Throttler) Limits() *Limits { return t.cfg.Limits }

// Pause makes Wait block until Resume; reason is shown in status.
func (t *Throttler) Pause(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.user = reason
	t.decide(reason)
}

// Resume undoes Pause.
func (t *Throttler) Resume() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.user = ""
	// The other reasons are computed again within 100ms by Run.
	t.decide("")
}

// Panic makes Run return ErrPanic at its next round.
func (t *Throttler) Panic() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.panic = true
}

// decide records a new decision and wakes waiters when it changed.
func (t *Throttler) decide(reason string) {
	if reason == t.reason {
		return
	}
	now := time.Now()
	switch {
	case t.reason == "" && reason != "":
		t.since = now
	case t.reason != "" && reason == "":
		t.total += now.Sub(t.since)
	}
	old := t.reason
	t.reason = reason
	close(t.changed)
	t.changed = make(chan struct{})
	switch {
	case reason == "":
		t.cfg.Logger.Info().Str("was", old).Msg("throttle released")
	default:
		t.cfg.Logger.Info().Str("reason", reason).Msg("throttled")
	}
}

// Reason is why work is paused, or "" when it is not.
func (t *Throttler) Reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reason
}

// Throttled is the total time spent paused so far.
func (t *Throttler) Throttled() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.total
	if t.reason != "" {
		d += time.Since(t.since)
	}
	return d
}

// Lag returns the largest lag last measured over the watched replicas, and
// the lag of each.
func (t *Throttler) Lag() (time.Duration, map[string]time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var worst time.Duration
	each := make(map[string]time.Duration, len(t.lag))
	for name, l := range t.lag {
		each[name] = l
		worst = max(worst, l)
	}
	return worst, each
}

// Wait blocks while work is paused; it returns ctx's error if ctx ends first.
func (t *Throttler) Wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		paused, ch := t.reason != "", t.changed
		t.mu.Unlock()
		if !paused {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Nice sleeps --nice-ratio times took, the time the last chunk took.
func (t *Throttler) Nice(ctx context.Context, took time.Duration) error {
	r := t.cfg.Limits.NiceRatio()
	if r <= 0 || took <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(float64(took) * r)):
		return nil
	}
}

// Prime makes the first decision now, so that work started right after it
// already sees a reason that holds from the start (a flag file, a load).
// Call it before Run, never concurrently with it.
func (t *Throttler) Prime(ctx context.Context) error { return t.round(ctx) }

// Run re-evaluates the decision every 100ms until ctx ends, or until a
// panic or a critical load ends it with an error.
func (t *Throttler) Run(ctx context.Context) error {
	defer t.closeReplicas()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := t.round(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (t *Throttler) round(ctx context.Context) error {
	t.mu.Lock()
	panicked := t.panic
	t.mu.Unlock()
	if panicked {
		return fmt.Errorf("%w by an operator", ErrPanic)
	}
	if f := t.cfg.PanicFlagFile; f != "" && exists(f) {
		return fmt.Errorf("%w: the panic flag file %s exists", ErrPanic, f)
	}
	now := time.Now()
	// Status variables and the throttle query cost a round trip to the
	// primary: once a second, as gh-ost does.
	if now.After(t.dbNext) {
		t.dbNext = now.Add(time.Second)
		if err := t.criticalLoad(ctx); err != nil {
			return err
		}
		t.dbReason = t.dbChecks(ctx)
	}
	if u := t.cfg.Limits.ThrottleHTTP(); u != "" && now.After(t.httpNext) {
		t.httpNext = now.Add(max(t.cfg.HTTPInterval, 10*time.Millisecond))
		t.httpReason = t.httpCheck(ctx, u)
	} else if u == "" {
		t.httpReason = ""
	}
	reason := t.lagCheck(ctx)
	if reason == "" {
		reason = t.flagCheck()
	}
	if reason == "" {
		reason = t.dbReason
	}
	if reason == "" {
		reason = t.httpReason
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.user != "" {
		reason = t.user
	}
	t.decide(reason)
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (t *Throttler) flagCheck() string {
	for _, f := range []string{t.cfg.FlagFile, t.cfg.AdditionalFlagFile} {
		if f != "" && exists(f) {
			return "flag file " + f + " exists"
		}
	}
	return ""
}

// lagCheck measures every watched replica's lag from the heartbeat and
// reports the first over --max-lag-millis. A control replica that cannot
// be read throttles: its lag is unknown.
func (t *Throttler) lagCheck(ctx context.Context) string {
	if t.cfg.HeartbeatQuery == "" {
		return ""
	}
	watched := append([]Replica(nil), t.cfg.Replicas...)
	for _, hp := range t.cfg.Limits.ControlReplicas() {
		db, err := t.controlReplica(ctx, hp)
		if err != nil {
			return "control replica " + hp + " unreachable"
		}
		watched = append(watched, Replica{Name: hp, DB: db})
	}
	maxLag := t.cfg.Limits.MaxLag()
	lags := map[string]time.Duration{}
	reason := ""
	for _, r := range watched {
		lag, err := t.measure(ctx, r.DB)
		if err != nil {
			if reason == "" {
				reason = "replica " + r.Name + ": lag unknown (" + shortError(err) + ")"
			}
			continue
		}
		lags[r.Name] = lag
		if lag > maxLag && reason == "" {
			reason = fmt.Sprintf("lag %s on %s > max-lag-millis %d", lag.Round(time.Millisecond), r.Name, maxLag.Milliseconds())
		}
	}
	t.mu.Lock()
	t.lag = lags
	t.mu.Unlock()
	return reason
}

func (t *Throttler) measure(ctx context.Context, db *sql.DB) (time.Duration, error) {
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var v sql.NullString
	if err := db.QueryRowContext(qctx, t.cfg.HeartbeatQuery).Scan(&v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil // no heartbeat yet: nothing to lag behind
		}
		return 0, err
	}
	at, err := time.Parse(time.RFC3339Nano, v.String)
	if err != nil {
		return 0, fmt.Errorf("heartbeat value %q: %w", v.String, err)
	}
	return max(time.Since(at), 0), nil
}

func (t *Throttler) controlReplica(ctx context.Context, hp string) (*sql.DB, error) {
	t.mu.Lock()
	db := t.replicas[hp]
	t.mu.Unlock()
	if db != nil {
		return db, nil
	}
	if t.cfg.Connect == nil {
		return nil, errors.New("no way to connect")
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	db, err := t.cfg.Connect(cctx, hp)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.replicas[hp] = db
	t.mu.Unlock()
	return db, nil
}

func (t *Throttler) closeReplicas() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for hp, db := range t.replicas {
		db.Close()
		delete(t.replicas, hp)
	}
}

// dbChecks runs --max-load and --throttle-query on the primary.
func (t *Throttler) dbChecks(ctx context.Context) string {
	if t.cfg.Primary == nil {
		return ""
	}
	if th := t.cfg.Limits.MaxLoad(); len(th) > 0 {
		name, value, limit, err := t.exceeded(ctx, th)
		switch {
		case err != nil:
			return "max-load: " + shortError(err)
		case name != "":
			return fmt.Sprintf("max-load %s=%d >= %d", name, value, limit)
		}
	}
	if q := t.cfg.Limits.ThrottleQuery(); q != "" {
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		var v sql.NullFloat64
		if err := t.cfg.Primary.QueryRowContext(qctx, q).Scan(&v); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "throttle-query failed: " + shortError(err)
		}
		if v.Valid && v.Float64 > 0 {
			return "throttle-query returned " + strconv.FormatFloat(v.Float64, 'g', -1, 64)
		}
	}
	return ""
}

// exceeded returns the first status variable at or over its threshold.
func (t *Throttler) exceeded(ctx context.Context, th Thresholds) (string, int64, int64, error) {
	for _, x := range th {
		value, err := t.statusVariable(ctx, x.Name)
		if err != nil {
			return "", 0, 0, err
		}
		if value >= x.Value {
			return x.Name, value, x.Value, nil
		}
	}
	return "", 0, 0, nil
}

// statusVariable reads one global status variable. The name is spelled
// into the statement (SHOW takes no parameters in a prepared statement);
// ParseThresholds lets only letters, digits and underscores through.
func (t *Throttler) statusVariable(ctx context.Context, name string) (int64, error) {
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	rows, err := t.cfg.Primary.QueryContext(qctx, "SHOW GLOBAL STATUS LIKE '"+name+"'")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return 0, err
		}
		if strings.EqualFold(n, name) { // LIKE's _ matches any character
			value, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("status variable %s is not a number (%q)", name, v)
			}
			return value, nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no status variable %s", name)
}

// criticalLoad aborts (or hibernates) when --critical-load is met, after
// re-checking once --critical-load-interval-millis later when set.
func (t *Throttler) criticalLoad(ctx context.Context) error {
	th := t.cfg.Limits.CriticalLoad()
	if len(th) == 0 || t.cfg.Primary == nil {
		return nil
	}
	name, value, limit, err := t.exceeded(ctx, th)
	if err != nil || name == "" {
		return nil // an unreadable variable is reported by max-load, not fatal
	}
	if d := t.cfg.CriticalLoadInterval; d > 0 {
		t.cfg.Logger.Warn().Str("variable", name).Int64("value", value).Int64("limit", limit).Dur("recheck_in", d).Msg("critical load met, re-checking")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		if name, value, limit, err = t.exceeded(ctx, th); err != nil || name == "" {
			return nil
		}
	}
	what := fmt.Sprintf("critical-load %s=%d >= %d", name, value, limit)
	if d := t.cfg.CriticalLoadHibernate; d > 0 {
		t.mu.Lock()
		t.decide("hibernating for " + d.String() + ": " + what)
		t.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		return nil
	}
	return fmt.Errorf("%w: %s", ErrCriticalLoad, what)
}

func (t *Throttler) httpCheck(ctx context.Context, u string) string {
	status, err := probeHTTP(ctx, u, t.cfg.HTTPTimeout)
	if err != nil {
		if t.cfg.IgnoreHTTPErrors {
			return ""
		}
		return "throttle-http unreachable: " + shortError(err)
	}
	if status != http.StatusOK {
		return "throttle-http returned " + strconv.Itoa(status)
	}
	return ""
}

// CheckHTTP reports whether --throttle-http's URL answers at all, with any
// status: a status other than 200 is the service asking for a pause, which
// is its job; no answer means the URL or the service is wrong.
func CheckHTTP(ctx context.Context, u string, timeout time.Duration) error {
	_, err := probeHTTP(ctx, u, timeout)
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err // the caller names the URL already
	}
	return err
}

// probeHTTP sends the HEAD request gh-ost sends, bounded by timeout (1s
// when zero).
func probeHTTP(ctx context.Context, u string, timeout time.Duration) (int, error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, http.MethodHead, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func shortError(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
