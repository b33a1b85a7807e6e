package hooks

import (
	"os"
	"strings"
	"testing"
)

// docs/hooks.md must name every event and every variable.
func TestHooksDocNamesEveryEventAndVariable(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/hooks.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, ev := range Events {
		if !strings.Contains(text, "| `"+string(ev)+"` |") {
			t.Errorf("docs/hooks.md lacks the event %s", ev)
		}
	}
	for _, v := range []string{VarDatabaseName, VarTableName, VarGhostTableName, VarOldTableName, VarDDL,
		VarElapsedSeconds, VarElapsedCopySeconds, VarEstimatedRows, VarCopiedRows, VarMigratedHost,
		VarInspectedHost, VarExecutingHost, VarInspectedLag, VarHeartbeatLag, VarProgress, VarETASeconds,
		VarDryRun, VarRevert, VarStatus, VarCommand, VarLastBatchCopyError, VarInstantDDL,
		VarHooksHint, VarHooksHintOwner, VarHooksHintToken} {
		if !strings.Contains(text, "| `"+v+"` |") {
			t.Errorf("docs/hooks.md lacks the variable %s", v)
		}
	}
}
