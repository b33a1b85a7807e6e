package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/rs/zerolog"
)

// watchSignals turns the first SIGINT or SIGTERM into a cancellation, so the
// migration stops and cleans up after itself, and the second into an
// immediate exit for an operator who cannot wait for the cleanup. The
// returned stop function restores default signal handling and waits for the
// watcher to end.
func watchSignals(log zerolog.Logger, cancel context.CancelFunc, exit func(int)) (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		received := 0
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				received++
				if received == 1 {
					log.Warn().Str("signal", sig.String()).
						Msg("signal received, stopping the migration and cleaning up; send it again to exit at once")
					cancel()
					continue
				}
				log.Error().Str("signal", sig.String()).
					Msg("second signal received, exiting without cleanup")
				exit(exitFailed)
				return
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
	}
}
