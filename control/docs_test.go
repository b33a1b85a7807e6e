package control

import (
	"os"
	"strings"
	"testing"
)

// docs/commands.md must name every command and alias this package knows.
func TestCommandsDocNamesEveryCommand(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, c := range commands {
		for _, n := range c.names {
			if !strings.Contains(text, "`"+n+"`") {
				t.Errorf("docs/commands.md does not name %q", n)
			}
		}
	}
}
