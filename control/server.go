package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

const (
	// maxCommandBytes bounds one command line; a throttle query fits easily.
	maxCommandBytes = 64 << 10
	// readTimeout is how long a client has to send its line. It leaves time
	// to type a command by hand into `nc -U`.
	readTimeout = 10 * time.Second
	// writeTimeout bounds writing the reply to a client that does not read.
	writeTimeout = 10 * time.Second
	// drainTimeout bounds discarding what a client sent after its line, so
	// closing the connection does not reset it before the reply is read.
	drainTimeout = time.Second
	// maxDrainBytes bounds what is discarded that way.
	maxDrainBytes = 1 << 20
	// maxConns is how many connections are served at once; more wait in the
	// listener's backlog.
	maxConns = 32
	// maxUnixPath is the longest path a unix socket can be bound at (Linux's
	// sun_path holds 108 bytes including the terminating NUL).
	maxUnixPath = 107
)

// Config says where to listen and what to tell.
type Config struct {
	SocketFile    string // unix socket path; "" = none
	InitiallyDrop bool   // remove a leftover socket file first (--initially-drop-socket-file); otherwise an existing file is an error that says to use that flag or remove it
	TCPAddr       string // "127.0.0.1:port" or "" = none
	// OnCommand, when set, is called after each accepted command with the
	// command word as sent, without "=value" (gh-ost's on-interactive-command
	// hook gets the same). It runs after the reply has been sent, on the
	// connection's goroutine, so calls may overlap; nil = nothing.
	OnCommand func(command string)
	Logger    zerolog.Logger
}

// Server serves commands until Close or the end of Serve's context.
type Server struct {
	target    Target
	log       zerolog.Logger
	onCommand func(string)

	socketFile string
	socketInfo os.FileInfo // the socket file as bound: Close removes only that file
	unix       net.Listener
	tcp        net.Listener

	readTimeout time.Duration // readTimeout; tests shorten it

	slots     chan struct{} // one per connection being served
	conns     sync.WaitGroup
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Listen binds the socket and the TCP address now, so that errors surface
// before the migration starts. The unix socket has mode 0600.
func Listen(cfg Config, t Target) (*Server, error) {
	s := &Server{
		target:      t,
		log:         cfg.Logger.With().Str("component", "control").Logger(),
		onCommand:   cfg.OnCommand,
		socketFile:  cfg.SocketFile,
		readTimeout: readTimeout,
		slots:       make(chan struct{}, maxConns),
		closed:      make(chan struct{}),
	}
	if cfg.SocketFile != "" {
		l, fi, err := listenUnix(cfg.SocketFile, cfg.InitiallyDrop)
		if err != nil {
			return nil, err
		}
		s.unix, s.socketInfo = l, fi
		s.log.Info().Str("socket", cfg.SocketFile).Msg("control socket listening")
	}
	if cfg.TCPAddr != "" {
		l, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			_ = s.Close() // the error worth reporting is the bind's
			return nil, fmt.Errorf("control: listen on %s: %w", cfg.TCPAddr, err)
		}
		s.tcp = l
		s.log.Info().Str("addr", l.Addr().String()).Msg("control TCP port listening")
	}
	return s, nil
}

// listenUnix binds a unix socket at path with mode 0600. It binds in a new
// private directory beside path, sets the mode, then hard-links the socket
// into place: no one can connect before the mode is set, and an existing file
// is never overwritten. A stale socket is removed first when drop is set.
func listenUnix(path string, drop bool) (*net.UnixListener, os.FileInfo, error) {
	if err := clearStale(path, drop); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".ctl")
	if err != nil || len(filepath.Join(dir, "s")) > maxUnixPath {
		if err == nil {
			_ = os.Remove(dir)
		}
		// No private directory (or its path is too long for a socket): bind
		// in place and restrict the mode at once.
		return bindInPlace(path)
	}
	defer func() { _ = os.RemoveAll(dir) }() // holds at most the temporary name
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "s"), Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(false) // the bound name is temporary; Close removes path
	tmp := filepath.Join(dir, "s")
	if err := os.Chmod(tmp, 0o600); err != nil {
		_ = l.Close()
		return nil, nil, fmt.Errorf("control: restrict socket %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		_ = l.Close()
		if errors.Is(err, fs.ErrExist) {
			return nil, nil, existsError(path)
		}
		return nil, nil, fmt.Errorf("control: place socket at %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		_ = l.Close()
		return nil, nil, fmt.Errorf("control: socket %s: %w", path, err)
	}
	return l, fi, nil
}

// bindInPlace binds at path directly and sets the mode right after.
func bindInPlace(path string) (*net.UnixListener, os.FileInfo, error) {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, existsError(path)
		}
		return nil, nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(false)
	fi, err := os.Lstat(path)
	if err == nil {
		err = os.Chmod(path, 0o600)
	}
	if err != nil {
		_ = l.Close()
		_ = os.Remove(path)
		return nil, nil, fmt.Errorf("control: restrict socket %s: %w", path, err)
	}
	return l, fi, nil
}

// clearStale makes sure nothing is at path, removing a leftover socket when
// drop is set. It never removes anything but a socket no process answers on.
func clearStale(path string, drop bool) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: socket %s: %w", path, err)
	}
	if !drop {
		return existsError(path)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control: %s exists and is not a socket; not removing it", path)
	}
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		_ = c.Close()
		return fmt.Errorf("control: socket %s is in use by a running process; not replacing it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("control: remove leftover socket %s: %w", path, err)
	}
	return nil
}

func existsError(path string) error {
	return fmt.Errorf("control: socket file %s already exists: remove it, or pass --initially-drop-socket-file to replace it", path)
}

// Serve accepts connections until ctx is done or Close is called, then
// closes the listeners, removes the socket file and waits for the
// connections being served. It returns nil then; a failure to remove the
// socket is logged, not returned, so that it cannot fail a finished
// migration. Call it once.
func (s *Server) Serve(ctx context.Context) error {
	var loops sync.WaitGroup
	for _, l := range []net.Listener{s.unix, s.tcp} {
		if l == nil {
			continue
		}
		loops.Add(1)
		go func() {
			defer loops.Done()
			s.accept(l)
		}()
	}
	select {
	case <-ctx.Done():
	case <-s.closed:
	}
	if err := s.Close(); err != nil {
		s.log.Warn().Err(err).Msg("control socket cleanup failed")
	}
	loops.Wait()
	s.conns.Wait()
	return nil
}

// Close stops listening and removes the socket file, if it is still the one
// Listen created. Connections being served finish on their own. It is safe to
// call more than once; later calls return the first one's error.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		var errs []error
		for _, l := range []net.Listener{s.unix, s.tcp} {
			if l != nil {
				if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
					errs = append(errs, err)
				}
			}
		}
		if s.socketInfo != nil {
			if fi, err := os.Lstat(s.socketFile); err == nil && os.SameFile(fi, s.socketInfo) {
				if err := os.Remove(s.socketFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, fmt.Errorf("control: remove socket %s: %w", s.socketFile, err))
				}
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Handle runs one command line and returns the reply text.
func (s *Server) Handle(line string) string {
	res := s.run(line, "handle", "")
	if res.accepted && s.onCommand != nil {
		s.onCommand(res.command)
	}
	return res.reply
}

// run executes a line and logs the outcome.
func (s *Server) run(line, via, peer string) result {
	res := s.execute(line)
	var ev *zerolog.Event
	if res.accepted {
		ev = s.log.Info()
	} else {
		ev = s.log.Warn()
	}
	ev = ev.Str("command", truncate(res.command, 64)).Str("via", via)
	if peer != "" {
		ev = ev.Str("peer", peer)
	}
	if res.logValue {
		ev = ev.Str("value", res.value)
	}
	if res.accepted {
		ev.Msg("command accepted")
		return res
	}
	if res.reason != "" {
		ev = ev.Str("reason", res.reason)
	}
	ev.Msg("command rejected")
	return res
}

// accept serves one listener until it is closed.
func (s *Server) accept(l net.Listener) {
	via := l.Addr().Network()
	var backoff time.Duration
	for {
		select {
		case s.slots <- struct{}{}:
		case <-s.closed:
			return
		}
		conn, err := l.Accept()
		if err != nil {
			<-s.slots
			select {
			case <-s.closed:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: wait and try again rather
			// than let the control socket end the migration.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn().Err(err).Str("via", via).Dur("retry_in", backoff).Msg("control accept failed")
			select {
			case <-time.After(backoff):
			case <-s.closed:
				return
			}
			continue
		}
		backoff = 0
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			defer func() { <-s.slots }()
			s.serveConn(conn, via)
		}()
	}
}

// serveConn answers the one command a connection carries.
func (s *Server) serveConn(conn net.Conn, via string) {
	defer func() { _ = conn.Close() }()
	peer := ""
	if via == "tcp" {
		peer = conn.RemoteAddr().String()
	}
	_ = conn.SetReadDeadline(time.Now().Add(s.readTimeout))
	br := bufio.NewReader(io.LimitReader(conn, maxCommandBytes+1))
	line, err := readCommand(br, s.readTimeout)
	var res result
	switch {
	case errors.Is(err, errNoCommand):
		s.log.Debug().Err(err).Str("via", via).Msg("connection closed without a command")
		return
	case err != nil:
		res = result{}.reject(err.Error(), true)
		s.log.Warn().Str("via", via).Str("reason", res.reason).Msg("command rejected")
	default:
		res = s.run(line, via, peer)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := io.WriteString(conn, res.reply); err != nil {
		s.log.Debug().Err(err).Str("via", via).Msg("reply not delivered")
	} else {
		drain(conn)
	}
	_ = conn.Close()
	if res.accepted && s.onCommand != nil {
		s.onCommand(res.command)
	}
}

var errNoCommand = errors.New("no command received")

// readCommand reads the first line, or everything up to end of input when
// the client sends no newline. A line cut short by the size limit or the
// deadline is refused rather than run: it may not be what was meant.
func readCommand(br *bufio.Reader, timeout time.Duration) (string, error) {
	line, err := br.ReadString('\n')
	switch {
	case err == nil:
		return line, nil
	case len(line) > maxCommandBytes:
		return "", fmt.Errorf("command longer than %d bytes; nothing done", maxCommandBytes)
	case errors.Is(err, io.EOF) && line != "":
		return line, nil
	case line == "":
		return "", fmt.Errorf("%w: %w", errNoCommand, err)
	default:
		return "", fmt.Errorf("incomplete command: no newline within %s; nothing done", timeout)
	}
}

// drain closes our side for writing and discards what the client still
// sends (past its line, or past the size limit), briefly, so that closing
// does not reset the connection before the reply is read.
func drain(conn net.Conn) {
	type closeWriter interface{ CloseWrite() error }
	cw, ok := conn.(closeWriter)
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(conn, maxDrainBytes))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
