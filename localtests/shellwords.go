package main

import (
	"fmt"
	"strings"
)

// splitShellWords splits an extra_args file into arguments the way bash does
// when gh-ost's harness evals its command line: words separated by blanks,
// '…' taken literally, "…" with \" \\ \$ \` and \newline escapes, and a
// backslash outside quotes escaping the next character. Anything that would
// make bash do more than split words (expansions, command substitution,
// pipes, redirections, separators) is refused rather than passed on
// literally, so a case never silently means something else here than in
// gh-ost.
func splitShellWords(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool // cur holds a word, possibly empty ('' is a word)
		squote  bool
		dquote  bool
		quoteAt int
	)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case squote:
			if c == '\'' {
				squote = false
			} else {
				cur.WriteRune(c)
			}
		case dquote:
			switch c {
			case '"':
				dquote = false
			case '\\':
				if i+1 < len(rs) && strings.ContainsRune("$`\"\\\n", rs[i+1]) {
					i++
					if rs[i] != '\n' {
						cur.WriteRune(rs[i])
					}
				} else {
					cur.WriteRune(c)
				}
			case '`':
				return nil, fmt.Errorf("command substitution (`) at offset %d is not supported", i)
			case '$':
				if expands(rs, i) {
					return nil, fmt.Errorf("shell expansion ($) at offset %d is not supported", i)
				}
				cur.WriteRune(c)
			default:
				cur.WriteRune(c)
			}
		default:
			switch c {
			case ' ', '\t', '\n', '\r':
				flush()
			case '\'':
				squote, inWord, quoteAt = true, true, i
			case '"':
				dquote, inWord, quoteAt = true, true, i
			case '\\':
				if i+1 >= len(rs) {
					return nil, fmt.Errorf("trailing backslash")
				}
				i++
				if rs[i] != '\n' { // backslash-newline continues the line
					cur.WriteRune(rs[i])
					inWord = true
				}
			case '#':
				if inWord {
					cur.WriteRune(c)
					continue
				}
				for i < len(rs) && rs[i] != '\n' {
					i++
				}
			case '`':
				return nil, fmt.Errorf("command substitution (`) at offset %d is not supported", i)
			case '$':
				if expands(rs, i) {
					return nil, fmt.Errorf("shell expansion ($) at offset %d is not supported", i)
				}
				cur.WriteRune(c)
				inWord = true
			case ';', '|', '&', '<', '>', '(', ')':
				return nil, fmt.Errorf("shell operator %q at offset %d is not supported", c, i)
			default:
				cur.WriteRune(c)
				inWord = true
			}
		}
	}
	if squote || dquote {
		return nil, fmt.Errorf("unterminated quote opened at offset %d", quoteAt)
	}
	flush()
	return words, nil
}

// expands reports whether the $ at rs[i] starts something bash would expand.
func expands(rs []rune, i int) bool {
	if i+1 >= len(rs) {
		return false
	}
	n := rs[i+1]
	return n == '{' || n == '(' || n == '_' || n == '?' || n == '@' || n == '*' || n == '#' || n == '$' || n == '!' ||
		(n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || (n >= '0' && n <= '9')
}

// shellQuote renders args as one line a person can paste into a shell.
func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./:,@+%", r))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
