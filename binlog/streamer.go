package binlog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/rs/zerolog"
)

// Config is what a Streamer needs to read one server's binlog.
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	// ServerID is the replica id the stream registers with; it must differ
	// from every server's and every other replica's id in the topology, or
	// the server drops the older connection with the same id.
	ServerID uint32
	Flavor   string // FlavorMariaDB or FlavorMySQL
	Database string
	// Tables are the tables of Database to watch (e.g. the original table and
	// the changelog table). Rows of every other table are not even decoded.
	Tables []string
	Logger zerolog.Logger

	// MaxReconnectAttempts bounds how often go-mysql re-dials a broken stream
	// (one second apart) before Run fails; zero means DefaultMaxReconnectAttempts.
	MaxReconnectAttempts int

	// TLS, when set, encrypts the stream's connections; it must name the
	// server (ServerName) unless it skips verification. A server that
	// offers no TLS is refused.
	TLS *tls.Config

	// UseGTID asks the server for the stream by the start position's GTID
	// set instead of its file and offset (gh-ost's --gtid). The GTID names
	// the same point on every server of the topology, so it survives a
	// binlog file rename or a failover; the file is still used for logs.
	UseGTID bool

	// OnTxn sees each transaction Run sends, as it is read and before it
	// is queued (for metrics: what was read, not yet what was applied). It
	// runs on Run's goroutine and must be quick; nil does nothing.
	OnTxn func(Txn)
}

// Defaults for the stream connection.
const (
	// DefaultMaxReconnectAttempts rides out a server restart or failover of
	// a virtual IP (tens of seconds) but fails a migration whose server is
	// gone for good instead of retrying forever.
	DefaultMaxReconnectAttempts = 30

	dialTimeout = 10 * time.Second
	// The server sends a heartbeat whenever the binlog is idle this long, so
	// a healthy stream is never silent for longer.
	heartbeatPeriod = 5 * time.Second
	// A server that vanished (host down, network cut) leaves a half-open
	// connection that would stall the stream without an error; silence for
	// several heartbeats means that, and go-mysql re-dials. The deadline
	// covers waiting on the socket only: go-mysql renews it before each
	// read, so a consumer slow to take transactions does not trip it.
	readTimeout = 4 * heartbeatPeriod
	// Events buffered between go-mysql's reader and Run. Row events are up
	// to binlog_row_event_max_size (8 KiB by default) each.
	eventBuffer = 1024
)

func (c Config) validate() error {
	switch {
	case c.Host == "":
		return errors.New("binlog config: host is required")
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("binlog config: port %d out of range", c.Port)
	case c.ServerID == 0:
		return errors.New("binlog config: server id must not be 0")
	case c.Flavor != FlavorMariaDB && c.Flavor != FlavorMySQL:
		return fmt.Errorf("binlog config: flavor %q is neither %q nor %q", c.Flavor, FlavorMariaDB, FlavorMySQL)
	case c.Database == "":
		return errors.New("binlog config: database is required")
	case len(c.Tables) == 0:
		return errors.New("binlog config: no tables to watch")
	}
	return nil
}

// Streamer reads a server's binlog as a replica and hands on the committed
// transactions that touched the watched tables. One Streamer runs one stream
// at a time.
type Streamer struct {
	cfg      Config
	log      zerolog.Logger
	watched  map[string]bool
	lastRead atomic.Pointer[Position]

	// dial opens the stream's connections; tests replace it to cut them.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// The server's idle heartbeat period and the read deadline; tests
	// shorten them.
	heartbeat   time.Duration
	readTimeout time.Duration
}

// New returns a Streamer for cfg. Config errors are reported by Run.
func New(cfg Config) *Streamer {
	watched := make(map[string]bool, len(cfg.Tables))
	for _, t := range cfg.Tables {
		watched[t] = true
	}
	d := &net.Dialer{Timeout: dialTimeout}
	return &Streamer{
		cfg:         cfg,
		log:         cfg.Logger.With().Str("component", "binlog").Logger(),
		watched:     watched,
		dial:        d.DialContext,
		heartbeat:   heartbeatPeriod,
		readTimeout: readTimeout,
	}
}

// LastRead is the position after the last transaction the stream has read in
// full, watched or not: how far the reader got. It is safe to call from any
// goroutine, and is the zero Position before Run starts.
func (s *Streamer) LastRead() Position {
	if p := s.lastRead.Load(); p != nil {
		return *p
	}
	return Position{}
}

// Run streams from start, which must be a transaction boundary (a
// CurrentPosition, or the End of a Txn), and sends each committed transaction
// that touched a watched table on out, in commit order. It returns when ctx
// ends (an error wrapping ctx.Err()) or the stream fails for good; it never
// returns nil. Every goroutine it started has ended when it returns.
//
// Positions carry a GTID derived from start.GTID plus every transaction read
// since; an empty start.GTID is taken as an empty GTID history.
func (s *Streamer) Run(ctx context.Context, start Position, out chan<- Txn) error {
	if err := s.cfg.validate(); err != nil {
		return err
	}
	if start.File == "" {
		return errors.New("stream binlog: start position names no binlog file")
	}
	asm, err := newAssembler(s.cfg.Flavor, s.cfg.Database, s.watched, start)
	if err != nil {
		return fmt.Errorf("stream binlog: %w", err)
	}
	if s.cfg.Flavor == FlavorMySQL && asm.mysql == nil {
		s.log.Warn().Msg("gtid set not understood; positions will carry no gtid")
	}
	s.lastRead.Store(&start)

	syncer := replication.NewBinlogSyncer(s.syncerConfig(ctx))
	// Close stops go-mysql's reader goroutine and waits for it.
	defer syncer.Close()

	var stream *replication.BinlogStreamer
	if s.cfg.UseGTID {
		var set mysql.GTIDSet
		if set, err = mysql.ParseGTIDSet(s.cfg.Flavor, start.GTID); err != nil {
			return fmt.Errorf("stream binlog by gtid: start gtid %q: %w", start.GTID, err)
		}
		stream, err = syncer.StartSyncGTID(set)
	} else {
		stream, err = syncer.StartSync(mysql.Position{Name: start.File, Pos: start.Pos})
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("start binlog stream: %w", ctx.Err())
		}
		return fmt.Errorf("start binlog stream at %s: %w", start, connectionError(err))
	}
	s.log.Info().Str("position", start.String()).Str("database", s.cfg.Database).
		Strs("tables", s.cfg.Tables).Msg("binlog stream started")

	for {
		ev, err := stream.GetEvent(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("stream binlog: %w", ctx.Err())
			}
			return fmt.Errorf("read binlog after %s: %w", s.LastRead(), connectionError(redactEventError(err)))
		}
		st, err := asm.handle(ev)
		if err != nil {
			return fmt.Errorf("stream binlog: %w", err)
		}
		if st.boundary != nil {
			s.lastRead.Store(st.boundary)
		}
		if st.txn == nil {
			continue
		}
		if st.txn.DDL != "" {
			// The statement itself is not logged: statement-logged DML
			// would put row values in the log.
			s.log.Warn().Strs("tables", st.txn.DDLTables).Str("position", st.txn.End.String()).
				Msg("statement changed a watched table")
		}
		if s.cfg.OnTxn != nil {
			s.cfg.OnTxn(*st.txn)
		}
		select {
		case out <- *st.txn:
		case <-ctx.Done():
			return fmt.Errorf("stream binlog: %w", ctx.Err())
		}
	}
}

// ErrConnection marks a stream that failed because its connection did (the
// server restarted, went away, or killed the connection) rather than because
// the server refused the request or the events could not be used: running
// the stream again from LastRead may succeed.
var ErrConnection = errors.New("binlog connection lost")

// connectionError marks err with ErrConnection unless the server itself
// answered with an error (a purged binlog, a duplicate server id, missing
// privileges), which no reconnect cures.
func connectionError(err error) error {
	var server *mysql.MyError
	var decode *DecodeError
	if errors.As(err, &server) || errors.As(err, &decode) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrConnection, err)
}

func (s *Streamer) syncerConfig(ctx context.Context) replication.BinlogSyncerConfig {
	attempts := s.cfg.MaxReconnectAttempts
	if attempts <= 0 {
		attempts = DefaultMaxReconnectAttempts
	}
	return replication.BinlogSyncerConfig{
		ServerID:  s.cfg.ServerID,
		Flavor:    s.cfg.Flavor,
		Host:      s.cfg.Host,
		Port:      uint16(s.cfg.Port),
		User:      s.cfg.User,
		Password:  s.cfg.Password,
		TLSConfig: s.cfg.TLS,
		// The decoding contract documented in doc.go; the applier relies on it.
		ParseTime:               false,
		UseDecimal:              false,
		TimestampStringLocation: time.UTC,

		HeartbeatPeriod:      s.heartbeat,
		ReadTimeout:          s.readTimeout,
		MaxReconnectAttempts: attempts,
		EventCacheCount:      eventBuffer,
		// MariaDB 11.4+ leaves log_pos 0 on some events unless the replica
		// asks for annotate events; go-mysql then computes the positions.
		FillZeroLogPos:      s.cfg.Flavor == FlavorMariaDB,
		Logger:              slogFor(ctx, s.log),
		Dialer:              s.dialer(ctx),
		RowsEventDecodeFunc: s.decodeRows,
	}
}

// decodeRows decodes a rows event's values only for the watched tables: the
// other tables' rows are skipped undecoded, which is most of the work on a
// busy server.
func (s *Streamer) decodeRows(e *replication.RowsEvent, data []byte) error {
	pos, err := e.DecodeHeader(data)
	if err != nil {
		return err
	}
	if string(e.Table.Schema) != s.cfg.Database || !s.watched[string(e.Table.Table)] {
		return nil
	}
	return e.DecodeData(pos, data)
}

// dialer ties every connection of the stream to ctx: go-mysql's connect,
// handshake and reads take no context, so cancelling ctx expires the
// connection's deadlines to unblock them.
func (s *Streamer) dialer(ctx context.Context) func(context.Context, string, string) (net.Conn, error) {
	return func(_ context.Context, network, addr string) (net.Conn, error) {
		conn, err := s.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := &ctxConn{Conn: conn, ctx: ctx}
		c.stop = context.AfterFunc(ctx, c.expire)
		return c, nil
	}
}

// ctxConn is a connection that stays expired once its context ends. go-mysql
// re-arms the read deadline after every packet it reads; if that raced with
// the cancel, the deadline moved back into the future and the reader stayed
// blocked until the next heartbeat (seconds) before Run could return.
type ctxConn struct {
	net.Conn
	ctx  context.Context
	stop func() bool
}

var expired = time.Unix(1, 0)

func (c *ctxConn) expire() { _ = c.Conn.SetDeadline(expired) }

// Each setter applies the deadline and then keepExpired re-checks the
// context, so whichever of it and expire runs last, an ended context leaves
// the connection expired.
func (c *ctxConn) SetDeadline(t time.Time) error { return c.keepExpired(c.Conn.SetDeadline(t)) }

func (c *ctxConn) SetReadDeadline(t time.Time) error {
	return c.keepExpired(c.Conn.SetReadDeadline(t))
}

func (c *ctxConn) SetWriteDeadline(t time.Time) error {
	return c.keepExpired(c.Conn.SetWriteDeadline(t))
}

func (c *ctxConn) keepExpired(setErr error) error {
	if c.ctx.Err() != nil {
		c.expire()
	}
	return setErr
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// redactEventError drops the raw event bytes go-mysql puts in its decode
// errors: they are row values, which must not reach a log.
func redactEventError(err error) error {
	var ee *replication.EventError
	if !errors.As(err, &ee) {
		return err
	}
	reason := ee.Err
	if i := strings.Index(reason, ", data "); i >= 0 {
		reason = reason[:i]
	}
	return &DecodeError{EventType: ee.Header.EventType.String(), LogPos: ee.Header.LogPos, Reason: reason}
}

// DecodeError is an event go-mysql could not decode, without its bytes.
type DecodeError struct {
	EventType string
	LogPos    uint32 // the end of the event in its binlog file
	Reason    string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode %s ending at %d: %s", e.EventType, e.LogPos, e.Reason)
}
