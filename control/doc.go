// Package control serves the interactive socket an operator steers a running
// migration through: a unix socket (and optionally a TCP port) speaking
// gh-ost's line protocol, so runbooks written for gh-ost work unchanged:
//
//	echo status | nc -U /tmp/gh-ost.db.t.sock
//	echo chunk-size=500 | nc -U /tmp/gh-ost.db.t.sock
//	echo chunk-size=? | nc -U /tmp/gh-ost.db.t.sock
//
// The protocol: one command per connection. The server reads one line (up to
// the first newline, or to end of input), runs it, writes the reply and
// closes the connection. A line is `name`, `name=value` or `name=?`; spaces
// around the name and the value are ignored, a trailing "\r" too, and a value
// written as a Go/JSON double-quoted or backquoted string is unquoted.
//
// What the package owns and guarantees:
//   - Commands act only through the Target interface the migration
//     implements; this package holds no migration state.
//   - A command that is unknown, malformed or whose value the Target refuses
//     gets a one-line reply and changes nothing.
//   - The unix socket is never reachable by other users: it is bound in a
//     private directory, set to mode 0600 and only then linked into place
//     (a path too long for that detour is bound in place and restricted at
//     once).
//     An existing file at that path is an error unless InitiallyDrop is set,
//     and even then only a stale socket is replaced, never a regular file or a
//     socket some process still answers on.
//   - Every connection is bounded: a read deadline, a write deadline, a size
//     limit, and a cap on connections served at once.
//   - Serve owns every goroutine it starts and returns only after they end;
//     it removes the socket file it created, and no other.
//   - Logs never carry secrets: the throttle-http URL is logged without its
//     user info and query, and the value of a setting this package does not
//     know is not logged at all.
package control
