package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// readOptionFile reads user and password from the [client] group of a MySQL
// option file (my.cnf syntax), the only two settings gh-ost takes from --conf.
//
// The file is read the way the mysql client reads it, so a file that works
// with `mysql --defaults-file` works here: group names are case-insensitive,
// '-' and '_' are the same in option names, a later value wins, '#' starts a
// comment unless quoted, values may be quoted and may use the client's
// backslash escapes. As in gh-ost, a value that is exactly ${NAME} is taken
// from the environment variable NAME. !include directives are not followed.
func readOptionFile(path string, getenv func(string) string) (user, password string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()

	inClient := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		switch {
		case line == "", line[0] == '#', line[0] == ';', line[0] == '!':
			continue
		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return "", "", fmt.Errorf("%s:%d: group header without closing ]", path, n)
			}
			inClient = strings.EqualFold(strings.TrimSpace(line[1:end]), "client")
			continue
		}
		if !inClient {
			continue
		}
		key, raw, hasValue := strings.Cut(line, "=")
		key = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(key)), "_", "-")
		if key != "user" && key != "password" {
			continue
		}
		if !hasValue {
			// A bare `password` makes the mysql client prompt; doppel cannot
			// guess that intent, so it points at --ask-pass instead.
			return "", "", fmt.Errorf("%s:%d: %s has no value (use --ask-pass to be prompted)", path, n, key)
		}
		value, err := optionValue(raw)
		if err != nil {
			return "", "", fmt.Errorf("%s:%d: %s: %w", path, n, key, err)
		}
		if name, ok := envReference(value); ok {
			value = getenv(name)
		}
		if key == "user" {
			user = value
		} else {
			password = value
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("read %s: %w", path, err)
	}
	return user, password, nil
}

// optionValue decodes the text after '=' on an option line.
func optionValue(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw != "" && (raw[0] == '"' || raw[0] == '\'') {
		quote := raw[0]
		for i := 1; i < len(raw); i++ {
			if raw[i] == '\\' {
				i++
				continue
			}
			if raw[i] == quote {
				// Whatever follows the closing quote can only be a comment.
				return unescapeOption(raw[1:i]), nil
			}
		}
		return "", fmt.Errorf("unterminated %c quote", quote)
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = strings.TrimSpace(raw[:i])
	}
	return unescapeOption(raw), nil
}

// unescapeOption applies the escapes the mysql client understands in option
// values. Any other backslash is kept, which is what a Windows path or an
// unusual password needs.
func unescapeOption(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 's':
			b.WriteByte(' ')
		case '\\', '"', '\'':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// envReference reports whether v is exactly ${NAME}.
func envReference(v string) (string, bool) {
	if !strings.HasPrefix(v, "${") || !strings.HasSuffix(v, "}") || len(v) < 4 {
		return "", false
	}
	name := v[2 : len(v)-1]
	if strings.ContainsAny(name, "${} \t") {
		return "", false
	}
	return name, true
}
