package main

import (
	"fmt"
	"regexp"
	"strings"
)

// versionIgnored applies an ignore_versions file the way gh-ost's harness
// does: `egrep -q "^<regex>"` on @@version, or `egrep -i -q "^<regex>"` on
// @@version_comment. The regex is pasted after ^ as text, so an alternation
// like "Percona|mariadb" anchors only its first branch, exactly as in egrep.
//
// One deliberate difference: the @@version match is case-insensitive too.
// gh-ost's CI sees MariaDB's name in @@version_comment ("MariaDB Server"),
// while Debian's build reports "Debian 12" there and "10.11.x-MariaDB-…" in
// @@version, so "mariadb" in a case meant for MariaDB would otherwise only
// ever match on gh-ost's machines.
func versionIgnored(pattern, version, comment string) (bool, error) {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return false, nil
	}
	re, err := regexp.Compile("(?i)^" + pattern)
	if err != nil {
		return false, fmt.Errorf("ignore_versions %q: %w", pattern, err)
	}
	return re.MatchString(version) || re.MatchString(comment), nil
}
