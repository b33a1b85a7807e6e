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

// The values of --log-format.
const (
	logAuto    = "auto" // console on a terminal, JSON otherwise
	logJSON    = "json"
	logConsole = "console"
)

// logFormatProblem says what is wrong with a --log-format value, or "".
func logFormatProblem(format string) string {
	switch format {
	case logAuto, logJSON, logConsole:
		return ""
	}
	return fmt.Sprintf("--log-format=%s: give json, console or auto (console when stderr is a terminal, json otherwise)", format)
}

// newLogger builds the one logger of the process: JSON lines on stderr for
// machines, a readable console format when a person is watching stderr
// (tty) or asks for it. On a terminal the console format also gets a live
// progress line, returned for the migration's status to draw; it is nil
// otherwise, and with --quiet, which asks for silence.
func newLogger(w io.Writer, o *options, tty bool) (zerolog.Logger, *progressLine) {
	level := zerolog.InfoLevel
	switch {
	case o.quiet:
		level = zerolog.ErrorLevel
	case o.debug:
		level = zerolog.DebugLevel
	}
	out := w
	var progress *progressLine
	// An empty format (doppel checksum has no flag for it) is auto.
	if o.logFormat == logConsole || (o.logFormat != logJSON && tty) {
		if tty && !o.quiet {
			progress = newProgressLine(w, func() int { return terminalWidth(w) })
			out = progress
		}
		// Colours only where they are shown: not in a file or a pipe.
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.RFC3339, NoColor: !tty}
	}
	// Every component logs from its own goroutines; zerolog leaves locking to
	// the writer, and a bare writer would interleave or race.
	out = zerolog.SyncWriter(out)
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), progress
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is w's width in columns, 0 when it is not a terminal; read
// at every update, so a resized window is followed.
func terminalWidth(w io.Writer) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
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
