package migration

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// Accounts of the TLS cluster: one the server lets in over TLS only, and one
// that must also show a client certificate signed by the server's CA.
const (
	tlsUser      = "doppel_tls"
	x509User     = "doppel_x509"
	tlsPassword  = "tls-only-pw"
	x509Password = "x509-only-pw"
)

// TestMigrationOverTLS runs a migration through a replica, against servers
// that refuse the account doppel uses unless the connection is TLS. Every
// connection of the run (pools on both servers, the binlog stream on the
// replica, the throttle's control replica) logs in as that account, so the
// migration can only succeed if each of them is encrypted.
func TestMigrationOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	certs, err := sandbox.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := sandbox.NewCerts(t.TempDir()) // another CA, which signed nothing the servers use
	if err != nil {
		t.Fatal(err)
	}
	cluster := sandbox.StartForTest(t, sandbox.Options{Replica: true, TLS: &certs})
	name, db := cluster.Primary.NewDatabase(t)
	for _, q := range []string{
		"CREATE USER '" + tlsUser + "'@'%' IDENTIFIED BY '" + tlsPassword + "' REQUIRE SSL",
		"GRANT ALL PRIVILEGES ON *.* TO '" + tlsUser + "'@'%'",
		"CREATE USER '" + x509User + "'@'%' IDENTIFIED BY '" + x509Password + "' REQUIRE X509",
		"GRANT ALL PRIVILEGES ON *.* TO '" + x509User + "'@'%'",
	} {
		mustExec(t, db, q)
	}
	const rows = 20_000
	seedLive(t, db, rows)
	if err := cluster.WaitReplicaCaughtUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	loadTLS := func(f dbconn.TLSFiles) *tls.Config {
		t.Helper()
		c, err := dbconn.LoadTLS(f)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tlsConfig := func(tc *tls.Config, user, password string) Config {
		cfg := testConfig(cluster.Replica, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
		cfg.User, cfg.Password, cfg.TLS = user, password, tc
		return cfg
	}
	unchanged := func(t *testing.T, before string) {
		t.Helper()
		if after := snapshot(t, db, "t"); after != before {
			t.Fatalf("the refused run changed the database (original or leftover tables):\nbefore:\n%.500s\nafter:\n%.500s", before, after)
		}
	}

	t.Run("without TLS the account is refused", func(t *testing.T) {
		before := snapshot(t, db, "t")
		_, err := Run(context.Background(), tlsConfig(nil, tlsUser, tlsPassword), testLogger(t))
		expectRefusal(t, err, []string{"access denied", "add --ssl if the account requires TLS"}, true)
		unchanged(t, before)
	})

	t.Run("the binlog stream logs in only over TLS", func(t *testing.T) {
		pos, err := binlog.CurrentPosition(context.Background(), db, binlog.FlavorMariaDB)
		if err != nil {
			t.Fatal(err)
		}
		stream := func(tc *tls.Config) error {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s := binlog.New(binlog.Config{
				Host: cluster.Primary.Host, Port: cluster.Primary.Port, User: tlsUser, Password: tlsPassword, TLS: tc,
				ServerID: 60000 + serverIDs.Add(1), Flavor: binlog.FlavorMariaDB, Database: name, Tables: []string{"ref"},
				MaxReconnectAttempts: 1, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
			})
			out := make(chan binlog.Txn)
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx, pos, out) }()
			mustExec(t, db, "UPDATE ref SET c = 'seen by the stream' WHERE id = 1")
			defer func() { cancel(); <-done }()
			select {
			case txn := <-out:
				if len(txn.Changes) == 0 {
					return errors.New("empty transaction")
				}
				return nil
			case err := <-done:
				done <- err // for the deferred wait
				return err
			}
		}
		err = stream(nil)
		if err == nil || dbconn.ErrorNumber(err) != dbconn.ErAccessDenied && !strings.Contains(err.Error(), "Access denied") {
			t.Fatalf("plaintext stream: %v, want access denied", err)
		}
		t.Logf("plaintext stream refused: %v", err)
		tc := loadTLS(dbconn.TLSFiles{CA: certs.CA})
		tc.ServerName = cluster.Primary.Host
		if err := stream(tc); err != nil {
			t.Fatalf("TLS stream: %v", err)
		}
		mustExec(t, db, "UPDATE ref SET c = (SELECT c FROM t WHERE id = 1) WHERE id = 1")
	})

	t.Run("a server certificate from another CA is refused", func(t *testing.T) {
		before := snapshot(t, db, "t")
		_, err := Run(context.Background(), tlsConfig(loadTLS(dbconn.TLSFiles{CA: wrong.CA}), tlsUser, tlsPassword), testLogger(t))
		expectRefusal(t, err, []string{"over TLS", "certificate signed by unknown authority", "--ssl-ca", "--ssl-allow-insecure"}, true)
		unchanged(t, before)
	})

	t.Run("allow-insecure connects despite another CA", func(t *testing.T) {
		before := snapshot(t, db, "t")
		cfg := tlsConfig(loadTLS(dbconn.TLSFiles{CA: wrong.CA, AllowInsecure: true}), tlsUser, tlsPassword)
		cfg.Execute = false
		if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil {
			t.Fatalf("dry run with --ssl-allow-insecure: %v", err)
		}
		unchanged(t, before)
	})

	t.Run("a client certificate for a REQUIRE X509 account", func(t *testing.T) {
		before := snapshot(t, db, "t")
		cfg := tlsConfig(loadTLS(dbconn.TLSFiles{CA: certs.CA}), x509User, x509Password)
		cfg.Execute = false
		_, err := Run(context.Background(), cfg, testLogger(t))
		expectRefusal(t, err, []string{"access denied", "--ssl-cert/--ssl-key"}, true)
		cfg.TLS = loadTLS(dbconn.TLSFiles{CA: certs.CA, Cert: certs.ClientCert, Key: certs.ClientKey})
		if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil {
			t.Fatalf("dry run with a client certificate: %v", err)
		}
		unchanged(t, before)
	})

	t.Run("the migration runs over TLS", func(t *testing.T) {
		cfg := tlsConfig(loadTLS(dbconn.TLSFiles{CA: certs.CA}), tlsUser, tlsPassword)
		cfg.OkToDropTable = true
		cfg.ThrottleControlReplicas = cluster.Replica.Addr()
		w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 2, MaxID: rows})
		t.Cleanup(w.Stop)
		time.Sleep(200 * time.Millisecond)
		rep, err := Run(context.Background(), cfg, testLogger(t))
		if err != nil {
			t.Fatalf("migration over TLS: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
		w.Stop()
		checkWriters(t, w)
		t.Logf("report: %+v", rep)
		if rep.ChangesApplied == 0 {
			t.Errorf("no change reached the ghost through the binlog stream")
		}
		if got := columnNames(t, db, "t"); got != "id,uk,k,c,pad,amount,ts,extra" {
			t.Fatalf("columns after the migration: %q", got)
		}
		compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id",
			"SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
		if left := dump(t, db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_t\\_%'"); len(left) > 0 {
			t.Errorf("tables left behind: %v", left)
		}
		// doppel checksum's comparison connects the same way.
		cmp, err := Compare(context.Background(), CompareConfig{
			Host: cluster.Primary.Host, Port: cluster.Primary.Port, User: tlsUser, Password: tlsPassword,
			TLS: cfg.TLS, MySQLTimeout: 30 * time.Second, Database: name, Table: "ref", Against: "t",
			Threads: 2, ChunkSize: 5000, LockTimeout: 3 * time.Second,
		}, testLogger(t))
		if err != nil || cmp.Rows == 0 {
			t.Fatalf("compare over TLS: %+v, %v", cmp, err)
		}
		// The server saw TLS sessions of the account, and no other kind
		// could have logged in.
		var accepts string
		if err := db.QueryRow("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SSL_ACCEPTS'").Scan(&accepts); err != nil || accepts == "0" {
			t.Errorf("Ssl_accepts on the primary %q (%v)", accepts, err)
		}
	})
}

// Every dbconn.Config a run builds carries its TLS configuration and
// --mysql-timeout, whichever server it is for.
func TestServerConfigCarriesTLSAndTimeout(t *testing.T) {
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	m := &migrator{cfg: Config{User: "u", Password: "p", TLS: base, MySQLTimeout: 2500 * time.Millisecond}}
	c := m.serverConfig("primary.example", 3307, "shop")
	if c.TLS != base || c.Timeout != 2500*time.Millisecond || c.User != "u" || c.Password != "p" || c.Database != "shop" {
		t.Fatalf("config %+v", c)
	}
	if got := c.TLSConfig().ServerName; got != "primary.example" {
		t.Fatalf("server name %q, want the host dialled", got)
	}
}
