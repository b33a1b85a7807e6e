package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// statsdServer is a UDP socket that records every datagram it receives.
type statsdServer struct {
	pc net.PacketConn
}

func newStatsDServer(t *testing.T) *statsdServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &statsdServer{pc: pc}
}

func (s *statsdServer) addr() string { return s.pc.LocalAddr().String() }

// datagrams reads until none has come for quiet.
func (s *statsdServer) datagrams(t *testing.T, quiet time.Duration) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 65536)
	for {
		_ = s.pc.SetReadDeadline(time.Now().Add(quiet))
		n, _, err := s.pc.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(buf[:n]))
	}
}

// pusher dials this server with a pusher of reg, closed when the test ends.
func (s *statsdServer) pusher(t *testing.T, reg prometheus.Gatherer) *StatsD {
	t.Helper()
	p, err := DialStatsD(s.addr(), reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func push(t *testing.T, s *StatsD) {
	t.Helper()
	if err := s.Push(); err != nil {
		t.Fatal(err)
	}
}

func linesOf(datagrams []string) []string {
	var lines []string
	for _, d := range datagrams {
		lines = append(lines, strings.Split(d, "\n")...)
	}
	sort.Strings(lines)
	return lines
}

func TestStatsDSendsGaugesAndWhatCountersGrew(t *testing.T) {
	t.Parallel()
	srv := newStatsDServer(t)
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"database": "shop", "table": "orders"}
	rows := prometheus.NewCounter(prometheus.CounterOpts{Name: "doppel_rows_copied_total", Help: "h", ConstLabels: labels})
	eta := prometheus.NewGauge(prometheus.GaugeOpts{Name: "doppel_eta_seconds", Help: "h", ConstLabels: labels})
	lag := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "doppel_replica_lag_seconds", Help: "h"}, []string{"replica"})
	chunk := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "doppel_chunk_seconds", Help: "h", Buckets: []float64{1}})
	reg.MustRegister(rows, eta, lag, chunk)
	rows.Add(1000)
	eta.Set(-1)
	lag.WithLabelValues("db2:3307").Set(0.25)
	chunk.Observe(0.5)
	chunk.Observe(0.25)

	s := srv.pusher(t, reg)
	push(t, s)
	got := strings.Join(linesOf(srv.datagrams(t, 300*time.Millisecond)), "\n")
	want := strings.Join([]string{
		"doppel_chunk_seconds_count:2|c",
		"doppel_chunk_seconds_sum:0.75|c",
		// A negative gauge is a reset and a change: a bare "-1" would
		// lower whatever the server held by one.
		"doppel_eta_seconds:-1|g|#database:shop,table:orders",
		"doppel_eta_seconds:0|g|#database:shop,table:orders",
		"doppel_replica_lag_seconds:0.25|g|#replica:db2:3307",
		"doppel_rows_copied_total:1000|c|#database:shop,table:orders",
	}, "\n")
	if got != want {
		t.Fatalf("first push:\n%s\nwant:\n%s", got, want)
	}

	rows.Add(234)
	eta.Set(42)
	push(t, s)
	got = strings.Join(linesOf(srv.datagrams(t, 300*time.Millisecond)), "\n")
	want = strings.Join([]string{
		"doppel_eta_seconds:42|g|#database:shop,table:orders",
		"doppel_replica_lag_seconds:0.25|g|#replica:db2:3307",
		"doppel_rows_copied_total:234|c|#database:shop,table:orders",
	}, "\n")
	if got != want {
		t.Fatalf("second push (counters only by what they grew, unchanged ones not at all):\n%s\nwant:\n%s", got, want)
	}
}

func TestStatsDPacksLinesIntoWholeDatagrams(t *testing.T) {
	t.Parallel()
	srv := newStatsDServer(t)
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "doppel_test_gauge", Help: "h"}, []string{"n"})
	reg.MustRegister(g)
	var want []string
	for i := range 300 {
		g.WithLabelValues(fmt.Sprint(i)).Set(float64(i))
		want = append(want, fmt.Sprintf("doppel_test_gauge:%d|g|#n:%d", i, i))
	}
	sort.Strings(want)
	s := srv.pusher(t, reg)
	push(t, s)
	grams := srv.datagrams(t, 300*time.Millisecond)
	if len(grams) < 2 {
		t.Fatalf("%d datagrams for 300 lines", len(grams))
	}
	for _, d := range grams {
		if len(d) > maxDatagram || strings.HasSuffix(d, "\n") || strings.HasPrefix(d, "\n") {
			t.Errorf("datagram of %d bytes (max %d), or with a stray newline", len(d), maxDatagram)
		}
	}
	if got := linesOf(grams); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines received differ from the 300 sent: got %d", len(got))
	}
}

// Run pushes on its interval and once more when stopped, so a short
// migration's last values arrive.
func TestStatsDRunPushesOnTheIntervalAndAtTheEnd(t *testing.T) {
	t.Parallel()
	srv := newStatsDServer(t)
	reg := prometheus.NewRegistry()
	rows := prometheus.NewCounter(prometheus.CounterOpts{Name: "doppel_rows_copied_total", Help: "h"})
	reg.MustRegister(rows)
	s := srv.pusher(t, reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx, 50*time.Millisecond) }()
	rows.Add(5)
	if got := linesOf(srv.datagrams(t, 500*time.Millisecond)); strings.Join(got, ",") != "doppel_rows_copied_total:5|c" {
		t.Fatalf("on the interval: %q", got)
	}
	rows.Add(7)
	cancel()
	<-done
	if got := linesOf(srv.datagrams(t, 300*time.Millisecond)); strings.Join(got, ",") != "doppel_rows_copied_total:7|c" {
		t.Fatalf("at the end: %q", got)
	}
}

func TestStatsDRefusesABadAddress(t *testing.T) {
	t.Parallel()
	if _, err := DialStatsD("no-port", prometheus.NewRegistry(), zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "no-port") {
		t.Fatalf("err = %v, want one naming the address", err)
	}
}
