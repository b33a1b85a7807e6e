package migration

import "testing"

// A resumed run replays the interrupted run's barrier markers; its own
// tokens must never equal them, or its first barriers would be met before
// the ghost caught up (a checksum repair after a kill inside a checksum pass
// or the cut-over was this).
func TestBarrierTokensDifferBetweenRuns(t *testing.T) {
	t.Parallel()
	var interrupted, resumed barrierSet
	old := map[string]bool{}
	for range 50 {
		old[interrupted.register(false).token] = true
	}
	for range 50 {
		if tok := resumed.register(true).token; old[tok] {
			t.Fatalf("the resumed run's token %q was also the interrupted run's", tok)
		}
	}
}
