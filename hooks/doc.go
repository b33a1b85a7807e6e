// Package hooks runs the operator's hook executables at points of a
// migration, the way gh-ost does, so a --hooks-path directory written for
// gh-ost works unchanged.
//
// What it owns:
//
//   - Discovery. At every Run the directory is listed afresh (hooks may be
//     added or removed while a migration runs). A file belongs to an event
//     when its name starts with "gh-ost-" followed by the event name, e.g.
//     gh-ost-on-startup, gh-ost-on-startup-01-notify. Matching files run one
//     after the other, in byte-wise lexical order of their names (gh-ost
//     globs "<path>/gh-ost-<event>*", which sorts the same way).
//   - Environment. A hook gets doppel's own environment plus, for every
//     variable the caller passes, GH_OST_<NAME> and DOPPEL_<NAME>, plus the
//     --hooks-hint, --hooks-hint-owner and --hooks-hint-token values as
//     GH_OST_HOOKS_HINT, GH_OST_HOOKS_HINT_OWNER, GH_OST_HOOKS_HINT_TOKEN
//     (and their DOPPEL_ twins). gh-ost passes STATUS and COMMAND wrapped in
//     single quotes (the quotes are part of the value); the GH_OST_ copies
//     keep that quirk, the DOPPEL_ copies carry the plain value.
//   - Failure. The first hook that fails (non-zero exit, killed, could not
//     start, outlived Config.Timeout, or the context ended) stops the event:
//     later hooks of that event do not run and Run returns a *Error naming
//     the file, how it ended and the tail of its stderr. Whether that fails
//     the migration is the caller's decision, per event (see the package
//     migration), mirroring gh-ost.
//   - Processes. Each hook runs in its own process group; when its time is up
//     or the context ends, the whole group is killed, so a shell hook's
//     children do not outlive it. Stdin is /dev/null. Stdout and stderr are
//     logged line by line at debug level; nothing else about the environment
//     is logged.
//
// Where doppel differs from gh-ost on purpose:
//
//   - A matching file that is not executable, not a regular file, or a
//     dangling symlink is skipped with a warning; gh-ost tries to execute
//     it and fails the event. Directories are skipped silently.
//   - Each hook has a time limit (gh-ost has none) and honours cancellation.
//   - A directory that cannot be read is an error; gh-ost's glob ignores
//     read errors and runs nothing.
//
// A Runner holds no mutable state and may be used from several goroutines.
package hooks
