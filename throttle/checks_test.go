package throttle

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/sandbox"
)

func TestThresholdsParse(t *testing.T) {
	got, err := ParseThresholds(" Threads_running=25, Threads_connected=500 ")
	if err != nil || got.String() != "Threads_running=25,Threads_connected=500" {
		t.Fatalf("%v, %v", got, err)
	}
	for _, bad := range []string{"Threads_running", "Threads_running=x", "=5", "Threads_running=-1", "a b=1", "x';drop=1"} {
		if _, err := ParseThresholds(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got, err := ParseThresholds(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
}

func TestLimitsRefuseBadValuesAndKeepTheOldOnes(t *testing.T) {
	l := &Limits{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.SetMaxLag(2 * time.Second))
	must(l.SetNiceRatio(0.5))
	must(l.SetThrottleHTTP("http://127.0.0.1:1/x"))
	must(l.SetControlReplicas("r1, r2:3307"))
	must(l.SetMaxLoad("Threads_running=9"))
	for name, err := range map[string]error{
		"max lag":   l.SetMaxLag(time.Millisecond),
		"nice":      l.SetNiceRatio(101),
		"http":      l.SetThrottleHTTP("ftp://x"),
		"replicas":  l.SetControlReplicas("r1:notaport"),
		"max load":  l.SetMaxLoad("nope"),
		"crit load": l.SetCriticalLoad("x=y"),
		"query":     l.SetThrottleQuery("DELETE FROM t"),
	} {
		if err == nil {
			t.Errorf("%s: bad value accepted", name)
		}
	}
	if l.MaxLag() != 2*time.Second || l.NiceRatio() != 0.5 || l.ThrottleHTTP() != "http://127.0.0.1:1/x" ||
		strings.Join(l.ControlReplicas(), ",") != "r1:3306,r2:3307" || l.MaxLoad().String() != "Threads_running=9" {
		t.Fatalf("a refused value changed a setting: %+v", l)
	}
}

// run starts th's loop and returns a function that stops it and returns
// Run's error.
func run(t *testing.T, th *Throttler) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- th.Run(ctx) }()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
}

// eventually waits for cond, for up to 5s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFlagFilesPauseAndResume(t *testing.T) {
	dir := t.TempDir()
	flag, extra := filepath.Join(dir, "throttle"), filepath.Join(dir, "extra")
	th := New(Config{FlagFile: flag, AdditionalFlagFile: extra, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	stop := run(t, th)
	defer stop()
	for _, f := range []string{flag, extra} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		eventually(t, "throttle on "+f, func() bool { return strings.Contains(th.Reason(), f) })
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		if err := th.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait returned %v while throttled", err)
		}
		cancel()
		os.Remove(f)
		eventually(t, "release after removing "+f, func() bool { return th.Reason() == "" })
	}
}

func TestPanicEndsRun(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "panic")
	th := New(Config{PanicFlagFile: flag})
	stop := run(t, th)
	os.WriteFile(flag, nil, 0o644)
	time.Sleep(300 * time.Millisecond)
	if err := stop(); !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), flag) {
		t.Fatalf("Run = %v, want ErrPanic naming the file", err)
	}
	th = New(Config{})
	stop = run(t, th)
	th.Panic()
	time.Sleep(300 * time.Millisecond)
	if err := stop(); !errors.Is(err, ErrPanic) {
		t.Fatalf("Run = %v after Panic", err)
	}
}

func TestThrottleHTTP(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			t.Errorf("method %s", r.Method)
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	l := &Limits{}
	l.SetThrottleHTTP(srv.URL)
	th := New(Config{Limits: l, HTTPInterval: 20 * time.Millisecond, HTTPTimeout: time.Second})
	stop := run(t, th)
	defer stop()
	eventually(t, "throttle on 503", func() bool { return th.Reason() == "throttle-http returned 503" })
	status.Store(http.StatusOK)
	eventually(t, "release on 200", func() bool { return th.Reason() == "" })

	srv.Close()
	eventually(t, "throttle when unreachable", func() bool { return strings.HasPrefix(th.Reason(), "throttle-http unreachable") })
	stop()
	th = New(Config{Limits: l, HTTPInterval: 20 * time.Millisecond, IgnoreHTTPErrors: true})
	stop = run(t, th)
	time.Sleep(300 * time.Millisecond)
	if r := th.Reason(); r != "" {
		t.Fatalf("--ignore-http-errors still throttles: %s", r)
	}
}

// CheckHTTP only asks whether the URL answers: a status that asks for a
// pause is an answer.
func TestCheckHTTPAcceptsAnyAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	if err := CheckHTTP(t.Context(), srv.URL, time.Second); err != nil {
		t.Fatalf("a 503 is an answer: %v", err)
	}
	srv.Close()
	err := CheckHTTP(t.Context(), srv.URL, time.Second)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("closed server: %v; want the cause without the URL", err)
	}
}

func TestNiceSleepsTheRatio(t *testing.T) {
	l := &Limits{}
	l.SetNiceRatio(2)
	th := New(Config{Limits: l})
	start := time.Now()
	if err := th.Nice(context.Background(), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("slept %v, want 2 × 50ms", d)
	}
}

// The primary's status variables and a query decide; Threads_running
// counts at least the thread asking, so a threshold of 1 is always met.
func TestLoadAndQueryOnTheServer(t *testing.T) {
	srv := sandbox.Shared(t).Primary
	// Opened as doppel opens its pools: server-side prepared statements.
	db, err := dbconn.Open(context.Background(), dbconn.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := zerolog.New(zerolog.NewTestWriter(t))

	l := &Limits{}
	l.SetMaxLoad("Threads_running=1")
	th := New(Config{Limits: l, Primary: db, Logger: log})
	stop := run(t, th)
	eventually(t, "max-load throttle", func() bool { return strings.HasPrefix(th.Reason(), "max-load Threads_running=") })
	l.SetMaxLoad("Threads_running=100000")
	eventually(t, "max-load release", func() bool { return th.Reason() == "" })
	l.SetMaxLoad("No_such_variable=1")
	eventually(t, "unknown variable throttles", func() bool { return strings.Contains(th.Reason(), "No_such_variable") })
	l.SetMaxLoad("")
	l.SetThrottleQuery("SELECT 1")
	eventually(t, "throttle-query", func() bool { return th.Reason() == "throttle-query returned 1" })
	l.SetThrottleQuery("SELECT 0")
	eventually(t, "throttle-query release", func() bool { return th.Reason() == "" })
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}

	l = &Limits{}
	l.SetCriticalLoad("Threads_running=1")
	th = New(Config{Limits: l, Primary: db, CriticalLoadInterval: 50 * time.Millisecond, Logger: log})
	stop = run(t, th)
	time.Sleep(1500 * time.Millisecond)
	if err := stop(); !errors.Is(err, ErrCriticalLoad) || !strings.Contains(err.Error(), "Threads_running") {
		t.Fatalf("Run = %v, want ErrCriticalLoad", err)
	}

	th = New(Config{Limits: l, Primary: db, CriticalLoadHibernate: time.Second, Logger: log})
	stop = run(t, th)
	eventually(t, "hibernation", func() bool { return strings.HasPrefix(th.Reason(), "hibernating") })
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("hibernating Run = %v", err)
	}
}

// Lag is read back from the heartbeat on the replica: a stopped SQL thread
// lets it grow past the limit; restarting replication releases it.
func TestReplicaLagFromTheHeartbeat(t *testing.T) {
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	if _, err := db.Exec("CREATE TABLE hb (hint varchar(20) PRIMARY KEY, value varchar(64))"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			db.ExecContext(ctx, "REPLACE INTO hb VALUES ('heartbeat', ?)", time.Now().UTC().Format(time.RFC3339Nano))
			time.Sleep(50 * time.Millisecond)
		}
	}()
	if err := cluster.WaitReplicaCaughtUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	replica, err := sql.Open("mysql", cluster.Replica.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	l := &Limits{}
	l.SetMaxLag(500 * time.Millisecond)
	th := New(Config{Limits: l, Replicas: []Replica{{Name: "replica", DB: replica}},
		HeartbeatQuery: "SELECT value FROM `" + name + "`.hb WHERE hint = 'heartbeat'", Logger: zerolog.New(zerolog.NewTestWriter(t))})
	stop := run(t, th)
	defer stop()
	time.Sleep(300 * time.Millisecond)
	if r := th.Reason(); r != "" {
		t.Fatalf("throttled with replication running: %s", r)
	}
	if _, err := replica.Exec("STOP SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	defer replica.Exec("START SLAVE SQL_THREAD")
	eventually(t, "lag throttle", func() bool { return strings.HasPrefix(th.Reason(), "lag ") })
	if worst, _ := th.Lag(); worst < 500*time.Millisecond {
		t.Fatalf("reported lag %v", worst)
	}
	if _, err := replica.Exec("START SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "lag release", func() bool { return th.Reason() == "" })
}
