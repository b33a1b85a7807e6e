package sandbox

import (
	"context"
	"fmt"
	"time"
)

// Restart shuts s down cleanly, keeps it down for down, and starts it again
// on the same port with the same data: what clients see when an operator
// restarts the server. Every connection to it is dropped. A replica of s
// reconnects by itself; a restarted replica resumes replicating.
func (s *Server) Restart(ctx context.Context, down time.Duration) error {
	bin, err := findBinaries()
	if err != nil {
		return err
	}
	if err := s.stop(); err != nil {
		return fmt.Errorf("restart %s: %w", s.name, err)
	}
	s.log.printf("%s: stopped for a restart", s.name)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(down):
	}
	if err := s.launch(ctx, bin, s.extra); err != nil {
		return fmt.Errorf("restart %s on port %d: %w", s.name, s.Port, err)
	}
	s.log.printf("%s: restarted on %s", s.name, s.Addr())
	return nil
}
