package metrics

import (
	"context"
	"fmt"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
)

// StatsDInterval is how often a StatsD pusher sends the registry.
const StatsDInterval = 10 * time.Second

// maxDatagram keeps each UDP packet within one Ethernet frame after the IP
// and UDP headers, so no StatsD server sees a fragment.
const maxDatagram = 1432

// StatsD pushes a registry to a StatsD server over UDP, for operators whose
// dashboards read StatsD (gh-ost's --statsd-addr). The series and names are
// the Prometheus ones; labels travel as DogStatsD tags (|#label:value),
// which Datadog's agent, Telegraf and Prometheus' statsd_exporter read.
// Gauges are sent as they are; counters as what they grew since the last
// push; a histogram as its _count and _sum, both counters.
type StatsD struct {
	conn net.Conn
	g    prometheus.Gatherer
	log  zerolog.Logger
	sent map[string]float64 // each counter's value at the last push
}

// DialStatsD resolves addr ("host:port") and opens the UDP socket, so a bad
// address fails before the migration starts. Nothing is sent yet.
func DialStatsD(addr string, g prometheus.Gatherer, log zerolog.Logger) (*StatsD, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("statsd address %q: %w", addr, err)
	}
	return &StatsD{conn: conn, g: g, log: log.With().Str("component", "statsd").Logger(), sent: map[string]float64{}}, nil
}

// Run pushes every interval until ctx ends, then once more, so the final
// values (the last phase, the last rows) reach the server too. A push that
// fails is logged once per run of failures and retried at the next tick:
// metrics are never a reason to stop a migration.
func (s *StatsD) Run(ctx context.Context, interval time.Duration) {
	s.log.Info().Str("addr", s.conn.RemoteAddr().String()).Dur("interval", interval).Msg("sending metrics to statsd")
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	push := func() {
		err := s.Push()
		switch {
		case err != nil && !failing:
			s.log.Warn().Err(err).Msg("statsd push failed; retrying at each interval")
		case err == nil && failing:
			s.log.Info().Msg("statsd push works again")
		}
		failing = err != nil
	}
	for {
		select {
		case <-ctx.Done():
			push()
			return
		case <-t.C:
			push()
		}
	}
}

// Close releases the socket.
func (s *StatsD) Close() error { return s.conn.Close() }

// Push gathers the registry and sends it. It is not safe to call
// concurrently (Run calls it from one goroutine).
func (s *StatsD) Push() error {
	families, err := s.g.Gather()
	if err != nil && len(families) == 0 {
		return fmt.Errorf("gather metrics: %w", err)
	}
	var lines []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			tags := statsdTags(m.GetLabel())
			switch f.GetType() {
			case dto.MetricType_GAUGE:
				lines = append(lines, gaugeLines(f.GetName(), m.GetGauge().GetValue(), tags)...)
			case dto.MetricType_UNTYPED:
				lines = append(lines, gaugeLines(f.GetName(), m.GetUntyped().GetValue(), tags)...)
			case dto.MetricType_COUNTER:
				lines = append(lines, s.counterLine(f.GetName(), m.GetCounter().GetValue(), tags)...)
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				lines = append(lines, s.counterLine(f.GetName()+"_count", float64(h.GetSampleCount()), tags)...)
				lines = append(lines, s.counterLine(f.GetName()+"_sum", h.GetSampleSum(), tags)...)
			case dto.MetricType_SUMMARY:
				sm := m.GetSummary()
				lines = append(lines, s.counterLine(f.GetName()+"_count", float64(sm.GetSampleCount()), tags)...)
				lines = append(lines, s.counterLine(f.GetName()+"_sum", sm.GetSampleSum(), tags)...)
			}
		}
	}
	return s.send(lines)
}

// counterLine is the growth of a counter since the last push, if any.
func (s *StatsD) counterLine(name string, v float64, tags string) []string {
	key := name + tags
	delta := v - s.sent[key]
	s.sent[key] = v
	if delta <= 0 || math.IsNaN(delta) {
		return nil
	}
	return []string{name + ":" + formatValue(delta) + "|c" + tags}
}

// gaugeLines sets a gauge. A signed value means "change by" in StatsD, so
// a negative one (an unknown ETA is -1) is sent as a reset to 0 and then
// the change.
func gaugeLines(name string, v float64, tags string) []string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	if v < 0 {
		return []string{name + ":0|g" + tags, name + ":" + formatValue(v) + "|g" + tags}
	}
	return []string{name + ":" + formatValue(v) + "|g" + tags}
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// statsdTags renders labels as DogStatsD tags. The characters that end a
// tag or a line cannot appear in one, so they become underscores; a colon
// may (a tag is split at its first), as in a replica's host:port.
func statsdTags(labels []*dto.LabelPair) string {
	if len(labels) == 0 {
		return ""
	}
	tags := make([]string, 0, len(labels))
	for _, l := range labels {
		tags = append(tags, l.GetName()+":"+statsdSafe(l.GetValue()))
	}
	sort.Strings(tags)
	return "|#" + strings.Join(tags, ",")
}

func statsdSafe(v string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '|', ',', '#', '\n':
			return '_'
		}
		return r
	}, v)
}

// send packs lines into datagrams of at most maxDatagram bytes.
func (s *StatsD) send(lines []string) error {
	var b strings.Builder
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		_, err := s.conn.Write([]byte(b.String()))
		b.Reset()
		return err
	}
	for _, l := range lines {
		if b.Len() > 0 && b.Len()+1+len(l) > maxDatagram {
			if err := flush(); err != nil {
				return fmt.Errorf("send to statsd: %w", err)
			}
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("send to statsd: %w", err)
	}
	return nil
}
