package dbconn

import (
	"context"
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
	// Sessions, when set, records the server thread id of every connection
	// the pool opens (see Sessions).
	Sessions *Sessions
}

// Addr is host:port, bracketed for IPv6.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// DSN builds the go-sql-driver DSN. Every session runs in UTC so that
// TIMESTAMP values read from the binlog (rendered in UTC) and written back
// mean the same instant, and with utf8mb4 so no character is lost on the wire.
func (c Config) DSN() string {
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
	mc.Params = map[string]string{
		"charset":   "utf8mb4",
		"time_zone": "'+00:00'",
	}
	return mc.FormatDSN()
}

// Open returns a pool for c and proves the server answers with these credentials.
func Open(ctx context.Context, c Config) (*sql.DB, error) {
	// Through the DSN text, which is what gives "charset" its meaning
	// (as a Config field it would be sent as a session variable).
	mc, err := mysql.ParseDSN(c.DSN())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c.Addr(), err)
	}
	connector, err := mysql.NewConnector(mc)
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
