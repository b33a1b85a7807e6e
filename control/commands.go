package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Target is what the commands act on; the migration implements it. Every
// method must be safe to call from any goroutine, and none may block for
// long: an operator is waiting on the socket.
type Target interface {
	Status() string              // multi-line human status: `status`, `sup`
	StatusJSON() ([]byte, error) // the full status as one JSON object: `status-json` (doppel's own)
	Info() string                // `info`: what is migrated, the ALTER, the hosts
	Coordinates() string         // `coordinates`: binlog position read/applied
	Applier() string             // `applier`: host:port doppel writes to
	Inspector() string           // `inspector`: host:port doppel inspects
	// Get and Set read and change a live setting by its gh-ost name:
	// chunk-size, dml-batch-size, max-lag-millis, max-load, critical-load,
	// nice-ratio, throttle-query, throttle-http, throttle-control-replicas
	// (and threads later). Set validates and changes nothing on error; its
	// error says what values are allowed. Unknown names give ErrUnknownSetting.
	Get(name string) (string, error)
	Set(name, value string) error
	Throttle()         // pause until Unthrottle: throttle, pause, suspend
	Unthrottle()       // no-throttle, resume, continue, unthrottle
	Unpostpone() error // unpostpone, no-postpone, cut-over: release a postponed cut-over (error when not postponed)
	Panic()            // panic: abort the migration at once
}

// ErrUnknownSetting is what Target.Get and Target.Set return for a name they
// do not know. A `name=value` line whose name is no command of this package is
// still offered to the Target, so a setting the migration adds later needs no
// change here; ErrUnknownSetting turns it into "unknown command".
var ErrUnknownSetting = errors.New("unknown setting")

// throttleNote follows every reply that may leave the migration paused.
const throttleNote = "# Note: throttle only while the server keeps its binary logs: doppel reads them again when it resumes"

type kind int

const (
	kindShow        kind = iota // prints something; takes no value ("=?" is accepted and ignored)
	kindSetting                 // name=value sets, name=? shows
	kindAction                  // changes the migration's state; takes no value
	kindUnsupported             // a gh-ost command doppel refuses, with the reason in help
)

// command is one entry of the table below.
type command struct {
	names []string // the name help shows first, then gh-ost's aliases
	arg   string   // a setting's value placeholder in help
	help  string
	kind  kind
	// run answers a show or action command.
	run func(t Target) (string, error)
	// redact, for a setting, is how its value appears in logs; nil: as sent.
	redact func(string) string
	// note: the reply to a change ends with throttleNote before the status.
	note bool
	// named is gh-ost's flag that makes an action take the table name.
	named string
}

var commands = []command{
	{names: []string{"help"}, kind: kindShow, help: "this list"},
	{names: []string{"status", "sup"}, kind: kindShow, help: "progress, throttle state and live settings",
		run: func(t Target) (string, error) { return t.Status(), nil }},
	{names: []string{"status-json"}, kind: kindShow, help: "the status as one JSON object (doppel's own)",
		run: statusJSON},
	{names: []string{"info"}, kind: kindShow, help: "the table being migrated, the ALTER and the hosts",
		run: func(t Target) (string, error) { return t.Info(), nil }},
	{names: []string{"coordinates"}, kind: kindShow, help: "binlog position read and applied",
		run: func(t Target) (string, error) { return t.Coordinates(), nil }},
	{names: []string{"applier"}, kind: kindShow, help: "host:port doppel writes to",
		run: func(t Target) (string, error) { return t.Applier(), nil }},
	{names: []string{"inspector"}, kind: kindShow, help: "host:port doppel inspects",
		run: func(t Target) (string, error) { return t.Inspector(), nil }},

	{names: []string{"chunk-size"}, arg: "rows", kind: kindSetting, help: "rows copied per chunk"},
	{names: []string{"dml-batch-size"}, arg: "events", kind: kindSetting, help: "binlog events applied per transaction"},
	{names: []string{"max-lag-millis"}, arg: "ms", kind: kindSetting, help: "throttle while replication lag exceeds this"},
	{names: []string{"max-load"}, arg: "Status=value,...", kind: kindSetting, help: "throttle while a status variable exceeds its threshold"},
	{names: []string{"critical-load"}, arg: "Status=value,...", kind: kindSetting, help: "abort when a status variable exceeds its threshold"},
	{names: []string{"nice-ratio"}, arg: "ratio", kind: kindSetting, help: "after each chunk sleep ratio x its copy time (0: never)"},
	{names: []string{"throttle-query"}, arg: "query", kind: kindSetting, note: true, help: "throttle while this query returns a value above zero"},
	{names: []string{"throttle-http"}, arg: "url", kind: kindSetting, note: true, redact: redactURL, help: "throttle while this URL answers anything but 200"},
	{names: []string{"throttle-control-replicas"}, arg: "host:port,...", kind: kindSetting, help: "replicas whose lag is watched"},

	{names: []string{"throttle", "pause", "suspend"}, kind: kindAction, note: true, help: "pause copy and apply until no-throttle",
		run: func(t Target) (string, error) { t.Throttle(); return "", nil }},
	{names: []string{"no-throttle", "resume", "continue", "unthrottle"}, kind: kindAction, help: "end a commanded pause (other reasons may still throttle)",
		run: func(t Target) (string, error) { t.Unthrottle(); return "", nil }},
	{names: []string{"unpostpone", "no-postpone", "cut-over"}, kind: kindAction, named: "--force-named-cut-over", help: "release a postponed cut-over",
		run: func(t Target) (string, error) {
			if err := t.Unpostpone(); err != nil {
				return "", err
			}
			return "Unpostponed", nil
		}},
	{names: []string{"panic"}, kind: kindAction, named: "--force-named-panic", help: "abort the migration now",
		run: func(t Target) (string, error) { t.Panic(); return "panic: aborting the migration now", nil }},

	{names: []string{"cpu-profile"}, kind: kindUnsupported, help: "CPU profiles are not served on this socket"},
	{names: []string{"postpone-cut-over-flag-file"}, kind: kindUnsupported, help: "give --postpone-cut-over-flag-file when starting"},
	{names: []string{"replication-lag-query"}, kind: kindUnsupported, help: "lag is measured on doppel's own heartbeat"},
}

// byName finds a command by its name or an alias.
var byName = func() map[string]*command {
	m := make(map[string]*command)
	for i := range commands {
		for _, n := range commands[i].names {
			m[n] = &commands[i]
		}
	}
	return m
}()

// helpText is the reply to `help`.
var helpText = func() string {
	var b strings.Builder
	b.WriteString("available commands (one per connection, e.g. echo status | nc -U <socket>):\n")
	w := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, c := range commands {
		left := strings.Join(c.names, ", ")
		switch c.kind {
		case kindUnsupported:
			continue
		case kindSetting:
			left = c.names[0] + "=<" + c.arg + ">"
		}
		fmt.Fprintf(w, "  %s\t%s\n", left, c.help)
	}
	_ = w.Flush() // writes to a strings.Builder, which cannot fail
	b.WriteString("<setting>=? shows a setting's current value, e.g. chunk-size=?\n")
	return b.String()
}()

// request is one parsed command line.
type request struct {
	name     string // the command word, as sent
	value    string // after "=", trimmed and unquoted
	hasValue bool   // the line had "="
}

// parse splits a line the way gh-ost does: the first line only, the word
// before the first "=", the rest as the value, both trimmed; a value that is
// a valid Go string literal ("…" or `…`) is unquoted.
func parse(line string) request {
	line, _, _ = strings.Cut(line, "\n")
	name, value, has := strings.Cut(line, "=")
	r := request{name: strings.TrimSpace(name), hasValue: has}
	if has {
		r.value = strings.TrimSpace(value)
		if u, err := strconv.Unquote(r.value); err == nil {
			r.value = u
		}
	}
	return r
}

// result is the outcome of one command: the reply and what may be logged.
type result struct {
	reply    string
	command  string // the command word as sent: what the hook receives
	accepted bool   // the command ran
	value    string // the value as it may be logged
	logValue bool   // value may be logged
	reason   string // why it was rejected, when that may be logged
}

// execute runs one command line against the target.
func (s *Server) execute(line string) result {
	req := parse(line)
	res := result{command: req.name}
	if req.name == "" {
		return res.reject("empty command; send help for the list of commands", true)
	}
	c, ok := byName[req.name]
	if !ok {
		return s.setting(req, nil)
	}
	switch c.kind {
	case kindSetting:
		return s.setting(req, c)
	case kindUnsupported:
		return res.reject(fmt.Sprintf("%s is not supported by doppel: %s", req.name, c.help), true)
	}
	if req.value != "" && (c.kind == kindAction || req.value != "?") {
		res.value, res.logValue = req.value, true
		return res.reject(noValue(c, req), true)
	}
	if c.names[0] == "help" {
		return res.accept(helpText)
	}
	out, err := c.run(s.target)
	if err != nil {
		return res.reject(req.name+": "+err.Error(), true)
	}
	if c.kind == kindShow {
		return res.accept(terminated(out))
	}
	// An action: what it says, the note if it may leave the migration
	// paused, then the status (gh-ost answers its actions the same way).
	reply := terminated(out)
	if c.note {
		reply += throttleNote + "\n"
	}
	if c.names[0] != "panic" {
		reply += terminated(s.target.Status())
	}
	return res.accept(reply)
}

// noValue is the reply to a value given to a command that takes none.
func noValue(c *command, req request) string {
	switch {
	case c.names[0] == "coordinates":
		return "coordinates are read-only"
	case c.kind == kindShow:
		return req.name + " takes no value"
	case c.named != "":
		return fmt.Sprintf("%s takes no table name in doppel (%s is not supported); send %q alone", req.name, c.named, req.name)
	default:
		return fmt.Sprintf("%s takes no table name in doppel; send %q alone", req.name, req.name)
	}
}

// setting reads or changes a setting. c is nil for a name this package does
// not know: the Target decides whether it is one, and its value is not
// logged.
func (s *Server) setting(req request, c *command) result {
	res := result{command: req.name}
	if c != nil {
		res.value, res.logValue = req.value, true
		if c.redact != nil {
			res.value = c.redact(req.value)
		}
	}
	// A Target's error may repeat the value; log it only when the value may be.
	plain := c != nil && c.redact == nil
	switch {
	case !req.hasValue && c == nil:
		return res.reject("unknown command: "+req.name, true)
	case !req.hasValue:
		return res.reject(fmt.Sprintf("%s needs a value: %s=<value> sets it, %s=? shows it", req.name, req.name, req.name), true)
	case req.value == "?":
		v, err := s.target.Get(req.name)
		if errors.Is(err, ErrUnknownSetting) && c == nil {
			return res.reject("unknown command: "+req.name, true)
		}
		if err != nil {
			return res.reject(req.name+": "+err.Error(), plain)
		}
		return res.accept(v + "\n")
	}
	if err := s.target.Set(req.name, req.value); err != nil {
		if errors.Is(err, ErrUnknownSetting) && c == nil {
			return res.reject("unknown command: "+req.name, true)
		}
		return res.reject(fmt.Sprintf("%s: invalid value %q: %v", req.name, req.value, err), plain)
	}
	// The setting as it now reads (normalised by the Target), any note, then
	// the status, as gh-ost follows a change with its status.
	now, err := s.target.Get(req.name)
	if err != nil {
		now = req.value
	}
	reply := req.name + "=" + now + "\n"
	if c != nil && c.note {
		reply += throttleNote + "\n"
	}
	return res.accept(reply + terminated(s.target.Status()))
}

func (r result) accept(reply string) result {
	r.accepted, r.reply = true, reply
	return r
}

// reject makes a one-line error reply; loggable says whether the message may
// go to the log too.
func (r result) reject(msg string, loggable bool) result {
	msg = oneLine(msg)
	r.reply = msg + "\n"
	if loggable {
		r.reason = msg
	}
	return r
}

func statusJSON(t Target) (string, error) {
	b, err := t.StatusJSON()
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "", fmt.Errorf("the status is not valid JSON: %w", err)
	}
	return buf.String(), nil
}

// terminated ends non-empty text with exactly the newline it may lack.
func terminated(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// oneLine folds line breaks so an error reply stays one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(strings.TrimSpace(s))
}

// redactURL keeps only a URL's scheme and host: user info, path and query
// may all carry credentials.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not logged)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
