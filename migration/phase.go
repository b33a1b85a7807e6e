package migration

import "time"

// setPhase moves the migration to phase, which status, metrics and
// checkpoints read, and logs the transition as one event. Entering the
// phase it is already in logs nothing: some paths set it again on the way
// (the copy after a resume check, a postpone that waits again).
func (m *migrator) setPhase(phase string) {
	prev, _ := m.phase.Swap(phase).(string)
	if prev == phase {
		return
	}
	m.log.Info().Str("phase", phase).Str("previous", prev).
		Dur("elapsed", time.Since(m.started).Round(time.Millisecond)).Msg("phase changed")
}
