package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The signal tests send real signals to the test process, so they must not
// run in parallel with anything else that calls run: they are deliberately
// not t.Parallel, and Go runs them before any parallel test resumes.

func TestFirstSignalCancelsTheMigration(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			h := harness{during: func(ctx context.Context) error {
				if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
					return err
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(10 * time.Second):
					t.Error("the context was not cancelled")
					return nil
				}
			}}
			out := h.run(t, withRequired("--execute")...)
			if out.code != exitFailed {
				t.Errorf("exit code %d, want %d", out.code, exitFailed)
			}
			lines := logLines(t, out.stderr)
			if findLog(lines, "migration interrupted") == nil {
				t.Errorf("no interruption logged:\n%s", out.stderr)
			}
			if !strings.Contains(out.stderr, "send it again to exit at once") {
				t.Errorf("the operator is not told about the second signal:\n%s", out.stderr)
			}
		})
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	exited := make(chan int, 1)
	h := harness{
		exit: func(code int) { exited <- code },
		during: func(ctx context.Context) error {
			syscall.Kill(syscall.Getpid(), syscall.SIGINT)
			<-ctx.Done()
			// Pretend the cleanup hangs; only the second signal gets us out.
			syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
			select {
			case code := <-exited:
				exited <- code
			case <-time.After(10 * time.Second):
				t.Error("the second signal did not exit")
			}
			return ctx.Err()
		},
	}
	out := h.run(t, withRequired("--execute")...)
	if code := <-exited; code != exitFailed {
		t.Errorf("hard exit code %d, want %d", code, exitFailed)
	}
	if findLog(logLines(t, out.stderr), "second signal received, exiting without cleanup") == nil {
		t.Errorf("no hard exit logged:\n%s", out.stderr)
	}
}
