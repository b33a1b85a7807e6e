package throttle

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits are the throttle's settings an operator may change while the
// migration runs (through the control socket). Every setter validates and
// changes nothing on error.
type Limits struct {
	mu              sync.Mutex
	maxLag          time.Duration
	maxLoad         Thresholds
	criticalLoad    Thresholds
	niceRatio       float64
	throttleQuery   string
	throttleHTTP    string
	controlReplicas []string
}

// MaxLag is the replication lag above which work pauses.
func (l *Limits) MaxLag() time.Duration { l.mu.Lock(); defer l.mu.Unlock(); return l.maxLag }

// SetMaxLag sets --max-lag-millis.
func (l *Limits) SetMaxLag(d time.Duration) error {
	if d < 100*time.Millisecond {
		return fmt.Errorf("max-lag-millis must be at least 100 (got %d)", d.Milliseconds())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxLag = d
	return nil
}

// MaxLoad is --max-load.
func (l *Limits) MaxLoad() Thresholds { l.mu.Lock(); defer l.mu.Unlock(); return l.maxLoad }

// SetMaxLoad parses and sets --max-load ("" clears it).
func (l *Limits) SetMaxLoad(s string) error {
	t, err := ParseThresholds(s)
	if err != nil {
		return fmt.Errorf("max-load: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxLoad = t
	return nil
}

// CriticalLoad is --critical-load.
func (l *Limits) CriticalLoad() Thresholds { l.mu.Lock(); defer l.mu.Unlock(); return l.criticalLoad }

// SetCriticalLoad parses and sets --critical-load ("" clears it).
func (l *Limits) SetCriticalLoad(s string) error {
	t, err := ParseThresholds(s)
	if err != nil {
		return fmt.Errorf("critical-load: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.criticalLoad = t
	return nil
}

// NiceRatio is --nice-ratio.
func (l *Limits) NiceRatio() float64 { l.mu.Lock(); defer l.mu.Unlock(); return l.niceRatio }

// SetNiceRatio sets --nice-ratio: after each chunk, sleep ratio times the
// chunk's time. gh-ost accepts 0 to 100.
func (l *Limits) SetNiceRatio(r float64) error {
	if r < 0 || r > 100 {
		return fmt.Errorf("nice-ratio must be between 0 and 100 (got %g)", r)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.niceRatio = r
	return nil
}

// ThrottleQuery is --throttle-query.
func (l *Limits) ThrottleQuery() string { l.mu.Lock(); defer l.mu.Unlock(); return l.throttleQuery }

// SetThrottleQuery sets --throttle-query ("" clears it). Only a SELECT is
// accepted: it runs every second on the primary.
func (l *Limits) SetThrottleQuery(q string) error {
	q = strings.TrimSpace(q)
	if q != "" && !strings.HasPrefix(strings.ToUpper(q), "SELECT") {
		return errors.New("throttle-query must be a SELECT returning one number")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttleQuery = q
	return nil
}

// ThrottleHTTP is --throttle-http.
func (l *Limits) ThrottleHTTP() string { l.mu.Lock(); defer l.mu.Unlock(); return l.throttleHTTP }

// SetThrottleHTTP sets --throttle-http ("" clears it).
func (l *Limits) SetThrottleHTTP(u string) error {
	u = strings.TrimSpace(u)
	if u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("throttle-http must be an http:// or https:// URL (got %q)", u)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttleHTTP = u
	return nil
}

// ControlReplicas is --throttle-control-replicas, as host:port entries.
func (l *Limits) ControlReplicas() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.controlReplicas...)
}

// SetControlReplicas parses and sets --throttle-control-replicas: a
// comma-separated host[:port] list (port 3306 when omitted).
func (l *Limits) SetControlReplicas(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		host, port, err := net.SplitHostPort(part)
		if err != nil {
			host, port = part, "3306"
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
			return fmt.Errorf("throttle-control-replicas: %q is not host[:port]", part)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.controlReplicas = out
	return nil
}

// Threshold is one status variable and the value at which it trips.
type Threshold struct {
	Name  string
	Value int64
}

// Thresholds is a --max-load or --critical-load value.
type Thresholds []Threshold

// ParseThresholds reads "Threads_running=25,Threads_connected=500".
func ParseThresholds(s string) (Thresholds, error) {
	var out Thresholds
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if !ok || !isIdentifier(name) || err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not status_variable=number (e.g. Threads_running=25)", part)
		}
		out = append(out, Threshold{Name: name, Value: n})
	}
	return out, nil
}

func (t Thresholds) String() string {
	parts := make([]string, len(t))
	for i, th := range t {
		parts[i] = th.Name + "=" + strconv.FormatInt(th.Value, 10)
	}
	return strings.Join(parts, ",")
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
