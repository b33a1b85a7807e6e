package main

import (
	"os"
	"strings"
	"syscall"
)

// passwordFromArgsEnv marks a DOPPEL_PASSWORD that came from --password on
// the command line: it keeps --password's precedence (over --conf), which
// the environment otherwise does not have.
const passwordFromArgsEnv = "DOPPEL_PASSWORD_FROM_ARGS"

// movedPassword is the --password that hidePassword moved into the
// environment, or "".
func movedPassword(getenv func(string) string) string {
	if getenv(passwordFromArgsEnv) != "1" {
		return ""
	}
	return getenv("DOPPEL_PASSWORD")
}

// envPassword is the password the environment gives, last in precedence as
// in the mysql client.
func envPassword(getenv func(string) string) string {
	for _, name := range []string{"DOPPEL_PASSWORD", "MYSQL_PWD"} {
		if v := getenv(name); v != "" {
			return v
		}
	}
	return ""
}

// movePasswordOut removes --password's value from args. Any of the forms
// flag accepts is recognised; a --password with no value is left for the
// flag parser to refuse.
func movePasswordOut(args []string) (rest []string, password string, found bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i:]...), password, found
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "password" {
			rest = append(rest, a)
			continue
		}
		switch {
		case hasValue:
			password, found = value, true
		case i+1 < len(args):
			password, found = args[i+1], true
			i++
		default:
			rest = append(rest, a)
		}
	}
	return rest, password, found
}

// hidePassword keeps a password given with --password out of the process
// list: doppel runs for hours, and ps shows every user its command line.
// It starts itself again (same pid) with the password moved into its
// environment, which only the same user and root can read. It returns only
// if there was nothing to hide or the re-exec failed, in which case doppel
// runs as it was started.
func hidePassword() {
	if os.Getenv(passwordFromArgsEnv) == "1" {
		return
	}
	rest, password, found := movePasswordOut(os.Args[1:])
	if !found || password == "" {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(self, append([]string{os.Args[0]}, rest...), withPassword(os.Environ(), password))
}

// withPassword is env with DOPPEL_PASSWORD set to password and marked as
// --password's. An earlier DOPPEL_PASSWORD is removed, not shadowed: the
// first of two entries is the one a process sees.
func withPassword(env []string, password string) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DOPPEL_PASSWORD=") && !strings.HasPrefix(kv, passwordFromArgsEnv+"=") {
			out = append(out, kv)
		}
	}
	return append(out, "DOPPEL_PASSWORD="+password, passwordFromArgsEnv+"=1")
}
