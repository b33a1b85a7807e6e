package throttle

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitBlocksWhilePausedAndReleasesOnResume(t *testing.T) {
	th := New(Config{})
	if err := th.Wait(context.Background()); err != nil {
		t.Fatalf("unpaused Wait: %v", err)
	}
	th.Pause("cut-over")
	if th.Reason() != "cut-over" {
		t.Fatalf("reason %q", th.Reason())
	}
	done := make(chan error, 1)
	go func() { done <- th.Wait(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Wait returned while paused: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	th.Resume()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after Resume")
	}
	if th.Throttled() < 50*time.Millisecond {
		t.Fatalf("throttled time %v, want at least the 50ms paused", th.Throttled())
	}
}

func TestWaitHonoursCancellation(t *testing.T) {
	th := New(Config{})
	th.Pause("operator")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := th.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on cancelled ctx = %v, want context.Canceled", err)
	}
}
