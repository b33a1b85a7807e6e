// Package sandbox owns the throwaway MariaDB servers that doppel's integration
// tests, end-to-end cases and demos run against.
//
// It starts mariadbd processes from the machine's own packages (Debian's
// mariadb-server) in temporary directories on free loopback ports, never on
// 3306 and never touching a server it did not start. Every server has a row
// binlog with full images and GTIDs, and a user doppel/doppel with all
// privileges. With Options.Replica a second server replicates from the first
// by GTID, so tests can exercise --test-on-replica and lag throttling.
//
// Test binaries share one primary+replica pair through Shared, closed by Main
// from TestMain; each test gets its own database from Server.NewDatabase:
//
//	func TestMain(m *testing.M) { sandbox.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		c := sandbox.Shared(t) // skips in -short mode or without mariadbd
//		name, db := c.Primary.NewDatabase(t)
//		...
//		if err := c.WaitReplicaCaughtUp(ctx); err != nil { t.Fatal(err) }
//	}
//
// A test that needs servers set up otherwise starts its own cluster with
// StartForTest, e.g. servers offering TLS with certificates from NewCerts:
//
//	certs, _ := sandbox.NewCerts(t.TempDir())
//	c := sandbox.StartForTest(t, sandbox.Options{Replica: true, TLS: &certs})
//
// Shared skips the test when mariadbd is not installed, unless
// DOPPEL_REQUIRE_DB=1, in which case a missing server fails the test so CI
// cannot pass by running nothing.
package sandbox
