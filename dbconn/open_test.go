package dbconn

import (
	"context"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

// Open builds its connections from a driver configuration rather than a
// DSN; the session settings must survive that.
func TestOpenSetsTheSessionUp(t *testing.T) {
	srv := sandbox.Shared(t).Primary
	c := Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password}
	db, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var charset, collation, tz string
	if err := db.QueryRow("SELECT @@character_set_client, @@collation_connection, @@time_zone").Scan(&charset, &collation, &tz); err != nil {
		t.Fatal(err)
	}
	if charset != "utf8mb4" || tz != "+00:00" {
		t.Fatalf("session charset %q (collation %q), time zone %q; want utf8mb4 and +00:00", charset, collation, tz)
	}
}

// A server that offers no TLS is refused when TLS is asked for, never used
// in plaintext.
func TestOpenRequiresTLSWhenAsked(t *testing.T) {
	srv := sandbox.Shared(t).Primary // its servers offer no TLS
	base, err := LoadTLS(TLSFiles{AllowInsecure: true})
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, TLS: base}
	db, err := Open(context.Background(), c)
	if err == nil {
		db.Close()
		t.Fatal("connected without TLS")
	}
	if !IsNoTLS(err) {
		t.Fatalf("error %v, want the driver's no-TLS error", err)
	}
}

// Timeout (--mysql-timeout) bounds a read: a statement running longer fails
// on the client instead of waiting for the server.
func TestTimeoutBoundsAStatement(t *testing.T) {
	srv := sandbox.Shared(t).Primary
	c := Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 500 * time.Millisecond}
	db, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT SLEEP(0.1)").Scan(&n); err != nil {
		t.Fatalf("a statement shorter than the timeout: %v", err)
	}
	began := time.Now()
	err = db.QueryRow("SELECT SLEEP(3)").Scan(&n)
	if err == nil || time.Since(began) > 2*time.Second {
		t.Fatalf("a 3s statement under a 500ms timeout: err %v after %v", err, time.Since(began))
	}
	t.Logf("cut off after %v: %v", time.Since(began).Round(time.Millisecond), err)
}
