package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Server serves a registry over HTTP: /metrics in Prometheus' formats and
// /healthz, which answers 200 "ok" while the process serves.
type Server struct {
	ln   net.Listener
	http *http.Server
	log  zerolog.Logger
}

// Listen binds addr ("host:port"; port 0 picks a free one) before anything
// is served, so a bad address fails at once.
func Listen(addr string, g prometheus.Gatherer, log zerolog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics address %q: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// A collector error (none is expected) should not hide the others.
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return &Server{
		ln: ln,
		// Timeouts keep a stuck client from holding a goroutine for the
		// rest of a long migration.
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second},
		log:  log.With().Str("component", "metrics").Logger(),
	}, nil
}

// Addr is the bound address, with the port chosen when 0 was asked for.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests until ctx ends, then closes the listener and every
// open connection. It returns nil after ctx ended.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info().Str("addr", s.Addr()).Msg("metrics listening")
	stop := context.AfterFunc(ctx, func() { s.http.Close() })
	defer stop()
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve metrics: %w", err)
}

// Close releases the listener of a Server that never served.
func (s *Server) Close() error { return s.http.Close() }
