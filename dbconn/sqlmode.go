package dbconn

import "strings"

// ModePolicy is how doppel's writing sessions adjust the server's sql_mode,
// following gh-ost's flags so a runbook behaves the same.
type ModePolicy struct {
	// AllowZeroInDate drops NO_ZERO_DATE and NO_ZERO_IN_DATE
	// (--allow-zero-in-date): tables holding zero dates can be rebuilt.
	AllowZeroInDate bool
	// SkipStrict keeps the server's mode instead of adding STRICT_ALL_TABLES
	// (--skip-strict-mode): bad values become warnings, not errors.
	SkipStrict bool
}

// Apply returns the sql_mode for a session whose current mode is current.
// NO_AUTO_VALUE_ON_ZERO is always added: a row whose auto-increment column
// holds 0 must be copied as 0, not given a new value.
func (p ModePolicy) Apply(current string) string {
	var out []string
	seen := map[string]bool{}
	add := func(m string) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, m := range strings.Split(current, ",") {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" || (p.AllowZeroInDate && (m == "NO_ZERO_DATE" || m == "NO_ZERO_IN_DATE")) {
			continue
		}
		add(m)
	}
	if !p.SkipStrict {
		add("STRICT_ALL_TABLES")
	}
	add("NO_AUTO_VALUE_ON_ZERO")
	return strings.Join(out, ",")
}
