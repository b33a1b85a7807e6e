package main

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The flag package's own parse errors, which name flags with one dash and
// say nothing about what to do.
var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -(.*)$`)
	badValue      = regexp.MustCompile(`^invalid (?:boolean )?value "((?s).*)" for (?:flag )?-([^:]*): (.*)$`)
	missingValue  = regexp.MustCompile(`^flag needs an argument: -(.*)$`)
)

const helpHint = "run 'doppel --help' for the list of flags"

// describeParseError turns an error of fs.Parse into a line that says what
// is wrong with the command line and how to fix it.
func describeParseError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		if s := suggestFlag(fs, m[1]); s != "" {
			return fmt.Sprintf("unknown flag --%s (did you mean --%s?); %s", m[1], s, helpHint)
		}
		return fmt.Sprintf("unknown flag --%s; %s", m[1], helpHint)
	}
	if m := missingValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("--%s needs a value, e.g. --%s=VALUE; %s", m[1], m[1], helpHint)
	}
	if m := badValue.FindStringSubmatch(msg); m != nil {
		value, name := m[1], m[2]
		f := fs.Lookup(name)
		if strings.Contains(m[3], "out of range") {
			return fmt.Sprintf("--%s: %q is out of range; %s", name, value, helpHint)
		}
		if f == nil {
			return fmt.Sprintf("--%s: %q: %s; %s", name, value, m[3], helpHint)
		}
		return fmt.Sprintf("--%s: %q %s; %s", name, value, expected(f), helpHint)
	}
	return fmt.Sprintf("%s; %s", msg, helpHint)
}

// expected says what a flag takes, from the type of its value.
func expected(f *flag.Flag) string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return "is not a valid value"
	}
	switch g.Get().(type) {
	case bool:
		return "is not true or false"
	case int, int64:
		return "is not a number (a whole number is expected)"
	case uint, uint64:
		return "is not a number (a whole number, 0 or more, is expected)"
	case float64:
		return "is not a number"
	case time.Duration:
		return "is not a duration (a number with a unit, e.g. 30s, 5m or 1h)"
	}
	return "is not a valid value"
}

// suggestFlag returns the defined flag the unknown name most likely meant:
// the same name with different separators, or one at most two edits away.
func suggestFlag(fs *flag.FlagSet, name string) string {
	squash := func(s string) string { return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s)) }
	best, bestDist := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(squash(name), squash(f.Name))
		if d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
