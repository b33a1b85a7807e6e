package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// flagsMarkdown is docs/flags.md: every flag doppel defines, from the same
// definitions --help prints, so the page cannot drift from the code
// (TestFlagsDocIsCurrent; `make docs` rewrites it).
func flagsMarkdown() string {
	fs := defineFlags(&options{})
	own := map[string]bool{}
	for _, n := range ownFlags {
		own[n] = true
	}
	pending := pendingNames()
	var ghost, mine, later []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		switch {
		case own[f.Name]:
			mine = append(mine, f)
		case pending[f.Name]:
			later = append(later, f)
		default:
			ghost = append(ghost, f)
		}
	})
	var b strings.Builder
	b.WriteString("# Flags\n\n")
	b.WriteString("<!-- Generated from cmd/doppel/flags.go by `make docs`; do not edit by hand. -->\n\n")
	b.WriteString("doppel accepts gh-ost's command line: every gh-ost flag is defined, with gh-ost's default.\n")
	b.WriteString("Flags take one or two dashes, and `--flag=value` or `--flag value`.\n")
	b.WriteString("`doppel --help` prints the same list.\n\n")
	section := func(title, intro string, flags []*flag.Flag) {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n| flag | default | meaning |\n|---|---|---|\n", title, intro)
		slices.SortFunc(flags, func(a, c *flag.Flag) int { return strings.Compare(a.Name, c.Name) })
		for _, f := range flags {
			def := f.DefValue
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(&b, "| `--%s` | `%s` | %s |\n", f.Name, def, cell(f.Usage))
		}
		b.WriteString("\n")
	}
	section("gh-ost's flags", "Same name, same default, same meaning as in gh-ost.", ghost)
	section("doppel's own flags", "gh-ost has no such flag.", mine)
	section("gh-ost's flags doppel does not implement yet",
		"Accepted by the parser so that the message can be clear: giving one stops doppel before it connects, naming the flag.", later)
	return b.String()
}

// cell makes a usage string safe inside a Markdown table cell: one line,
// no column separators, and no angle brackets a renderer would take for
// HTML (the usage strings say _<table>_ghk).
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(strings.Join(strings.Fields(s), " "))
}
