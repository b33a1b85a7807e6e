package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// parseUnsupported reads localtests/unsupported.txt: one case per line, its
// name, then blanks (spaces or a tab), then why it cannot pass yet. Blank
// lines and lines starting with # are ignored. A case listed without a
// reason, or twice, is an error: the list only shrinks, and each entry must
// say what it waits for.
func parseUnsupported(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, reason := text, ""
		if i := strings.IndexAny(text, " \t"); i >= 0 {
			name, reason = text[:i], strings.TrimSpace(text[i+1:])
		}
		if reason == "" {
			return nil, fmt.Errorf("line %d: case %q has no reason", line, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("line %d: case %q is listed twice", line, name)
		}
		out[name] = reason
	}
	return out, sc.Err()
}
