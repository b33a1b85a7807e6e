package migration

import (
	"strings"
	"testing"
	"time"
)

func TestCutOverBackoff(t *testing.T) {
	for _, c := range []struct {
		failed      int
		exponential bool
		max, want   time.Duration
	}{
		{1, false, 64 * time.Second, time.Second},
		{7, false, 64 * time.Second, time.Second},
		{1, true, 64 * time.Second, time.Second},
		{2, true, 64 * time.Second, 2 * time.Second},
		{4, true, 64 * time.Second, 8 * time.Second},
		{20, true, 64 * time.Second, 64 * time.Second},
		{5, true, 5 * time.Second, 5 * time.Second},
	} {
		if got := cutOverBackoff(c.failed, c.exponential, c.max); got != c.want {
			t.Errorf("after %d failures (exponential %v, max %v): %v, want %v", c.failed, c.exponential, c.max, got, c.want)
		}
	}
}

func TestLockNameFitsTheServersLimit(t *testing.T) {
	if got := lockName("shop", "orders"); got != "doppel.shop.orders" {
		t.Fatalf("lock name %q", got)
	}
	long := lockName(strings.Repeat("d", 64), strings.Repeat("t", 64))
	if len(long) > 64 || long == lockName(strings.Repeat("d", 64), strings.Repeat("t", 63)) {
		t.Fatalf("long names: %q", long)
	}
}
