package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// newLogger builds the one logger of the process: JSON lines on stderr for
// machines, a readable console format when a person is watching stderr.
func newLogger(w io.Writer, o *options) zerolog.Logger {
	level := zerolog.InfoLevel
	switch {
	case o.quiet:
		level = zerolog.ErrorLevel
	case o.debug:
		level = zerolog.DebugLevel
	}
	out := w
	if isTerminal(w) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	// Every component logs from its own goroutines; zerolog leaves locking to
	// the writer, and a bare writer would interleave or race.
	out = zerolog.SyncWriter(out)
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// logFailure logs the error that ends the run. With --stack it adds the
// detailed form (%+v) of the error and of every error it wraps that formats
// itself, which is where stack traces live (fmt.Errorf's wrappers drop them),
// and the type of every error in the chain: what a bug report needs. The
// password is scrubbed in case a lower layer put a DSN in an error message.
//
// The message is gh-ost's "FATAL <error>", so wrappers and harnesses that
// grep gh-ost's output for it keep working; outcome says which kind of end
// it was (refused, failed, interrupted).
func logFailure(log zerolog.Logger, outcome string, err error, stack bool, password string) {
	text := redact(err.Error(), password)
	ev := log.Error().Str("outcome", outcome).Str("error", text)
	if stack {
		chain := errorChain(err)
		var detail strings.Builder
		types := make([]string, len(chain))
		fmt.Fprintf(&detail, "%+v", err)
		for i, e := range chain {
			types[i] = fmt.Sprintf("%T", e)
			if _, ok := e.(fmt.Formatter); ok && i > 0 {
				fmt.Fprintf(&detail, "\n--- %T: %+v", e, e)
			}
		}
		ev = ev.Str("stack", redact(detail.String(), password)).Strs("chain", types)
	}
	ev.Msg("FATAL " + text)
}

// redact hides password in s. Very short passwords are left alone: replacing
// every "a" in a message would destroy it and such a password protects
// nothing anyway.
func redact(s, password string) string {
	if password == "" {
		return s
	}
	// In a DSN the password sits between ':' and '@', whatever its length.
	s = strings.ReplaceAll(s, ":"+password+"@", ":***@")
	if len(password) < 8 {
		return s
	}
	return strings.ReplaceAll(s, password, "***")
}

// errorChain lists err and everything it wraps, depth first.
func errorChain(err error) []error {
	var chain []error
	var walk func(error)
	walk = func(e error) {
		for e != nil {
			chain = append(chain, e)
			if multi, ok := e.(interface{ Unwrap() []error }); ok {
				for _, inner := range multi.Unwrap() {
					walk(inner)
				}
				return
			}
			e = errors.Unwrap(e)
		}
	}
	walk(err)
	return chain
}
