package main

import (
	"flag"
	"os"
	"strings"
	"testing"
)

const flagsDoc = "../../docs/flags.md"

// docs/flags.md must be what the code generates; DOPPEL_UPDATE_DOCS=1 (as
// `make docs` sets) rewrites it instead of failing.
func TestFlagsDocIsCurrent(t *testing.T) {
	want := flagsMarkdown()
	if os.Getenv("DOPPEL_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(flagsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(flagsDoc)
	if err != nil {
		t.Fatalf("%v: run `make docs`", err)
	}
	if string(got) != want {
		t.Fatal("docs/flags.md is stale: run `make docs` and commit the result")
	}
}

func TestFlagsDocListsEveryFlagOnce(t *testing.T) {
	t.Parallel()
	doc := flagsMarkdown()
	defineFlags(&options{}).VisitAll(func(f *flag.Flag) {
		if n := strings.Count(doc, "| `--"+f.Name+"` |"); n != 1 {
			t.Errorf("--%s appears %d times in the flags page, want 1", f.Name, n)
		}
	})
	for _, own := range ownFlags {
		if !strings.Contains(doc[strings.Index(doc, "## doppel's own flags"):strings.Index(doc, "## gh-ost's flags doppel does not")], "`--"+own+"`") {
			t.Errorf("--%s is not in the own-flags section", own)
		}
	}
}
