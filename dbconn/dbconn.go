package dbconn

import (
	"context"
	"crypto/tls"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Config names one server and the credentials to reach it.
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// Timeout bounds connecting, reading and writing on one connection;
	// zero means 30 seconds for connecting and no read/write bound.
	Timeout time.Duration
	// TLS, when set, encrypts every connection and is required: a server
	// that offers no TLS is refused, never spoken to in plaintext. It is a
	// base configuration (LoadTLS); TLSConfig fills in the server name.
	TLS *tls.Config
	// Sessions, when set, records the server thread id of every connection
	// the pool opens (see Sessions).
	Sessions *Sessions
}

// Addr is host:port, bracketed for IPv6.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// DSN builds the go-sql-driver DSN, for tools and tests that take one. A DSN
// cannot carry a TLS configuration, so it is plaintext even when c.TLS is
// set: doppel itself connects through Open.
func (c Config) DSN() string {
	mc := c.driverConfig()
	mc.TLS = nil
	return mc.FormatDSN()
}

// driverConfig is the driver's view of c. Every session runs in UTC so that
// TIMESTAMP values read from the binlog (rendered in UTC) and written back
// mean the same instant, and with utf8mb4 so no character is lost on the wire.
func (c Config) driverConfig() *mysql.Config {
	mc := mysql.NewConfig()
	mc.User = c.User
	mc.Passwd = c.Password
	mc.Net = "tcp"
	mc.Addr = c.Addr()
	mc.DBName = c.Database
	mc.Timeout = 30 * time.Second
	if c.Timeout > 0 {
		mc.Timeout = c.Timeout
		mc.ReadTimeout = c.Timeout
		mc.WriteTimeout = c.Timeout
	}
	mc.InterpolateParams = false
	mc.ParseTime = false
	mc.MultiStatements = false
	mc.AllowNativePasswords = true
	// Set as an option, not a parameter: only the DSN parser turns a
	// "charset" parameter into SET NAMES; as a parameter here it would be
	// sent as a session variable that does not exist.
	_ = mc.Apply(mysql.Charset("utf8mb4", "")) // sets a field; cannot fail
	mc.Params = map[string]string{
		"time_zone": "'+00:00'",
	}
	mc.TLS = c.TLSConfig()
	return mc
}

// Open returns a pool for c and proves the server answers with these credentials.
func Open(ctx context.Context, c Config) (*sql.DB, error) {
	connector, err := mysql.NewConnector(c.driverConfig())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c.Addr(), err)
	}
	var db *sql.DB
	if c.Sessions != nil {
		db = sql.OpenDB(recordingConnector{Connector: connector, sessions: c.Sessions})
	} else {
		db = sql.OpenDB(connector)
	}
	db.SetConnMaxLifetime(time.Hour)
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s as %q: %w", c.Addr(), c.User, err)
	}
	return db, nil
}

// Discard closes conn without returning it to the pool: its session may be
// in LOCK TABLES mode, hold a named lock, carry changed session variables or
// be in an unknown state, and none of that may reach the pool's next user.
// database/sql drops a connection, rather than pooling it, when Raw reports
// it bad.
func Discard(conn *sql.Conn) {
	if conn == nil {
		return
	}
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close() // already closed by Raw; ErrConnDone is expected
}
