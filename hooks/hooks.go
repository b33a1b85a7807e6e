package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Event names the point in the migration, as gh-ost's file-name suffix.
type Event string

// The events gh-ost defines. Hooks for an event are the files named
// "gh-ost-" + event + anything.
const (
	OnStartup            Event = "on-startup"
	OnValidated          Event = "on-validated"
	OnRowCountComplete   Event = "on-rowcount-complete"
	OnBeforeRowCopy      Event = "on-before-row-copy"
	OnRowCopyComplete    Event = "on-row-copy-complete"
	OnBeginPostponed     Event = "on-begin-postponed"
	OnBeforeCutOver      Event = "on-before-cut-over"
	OnSuccess            Event = "on-success"
	OnFailure            Event = "on-failure"
	OnStatus             Event = "on-status"
	OnStopReplication    Event = "on-stop-replication"
	OnStartReplication   Event = "on-start-replication"
	OnInteractiveCommand Event = "on-interactive-command"
	OnBatchCopyRetry     Event = "on-batch-copy-retry"
)

// Events lists every event, in the order a migration meets them.
var Events = []Event{
	OnStartup, OnValidated, OnRowCountComplete, OnBeforeRowCopy, OnBatchCopyRetry,
	OnStatus, OnInteractiveCommand, OnRowCopyComplete, OnBeginPostponed,
	OnBeforeCutOver, OnStopReplication, OnStartReplication, OnSuccess, OnFailure,
}

// FilePrefix is the file-name prefix of the hooks of e.
func (e Event) FilePrefix() string { return "gh-ost-" + string(e) }

func (e Event) known() bool {
	for _, k := range Events {
		if e == k {
			return true
		}
	}
	return false
}

// Names of the variables gh-ost sets (without the GH_OST_ prefix). gh-ost
// sets the first group on every event, always, even when empty; the caller
// should do the same. Formats, as gh-ost writes them: seconds, lags and
// progress as decimals with six places (see Seconds and Float), rows and
// ETA_SECONDS as integers, DRY_RUN, REVERT and INSTANT_DDL as true/false.
const (
	VarDatabaseName       = "DATABASE_NAME"
	VarTableName          = "TABLE_NAME"
	VarGhostTableName     = "GHOST_TABLE_NAME"
	VarOldTableName       = "OLD_TABLE_NAME" // the name the original gets at cut-over
	VarDDL                = "DDL"            // the --alter value
	VarElapsedSeconds     = "ELAPSED_SECONDS"
	VarElapsedCopySeconds = "ELAPSED_COPY_SECONDS"
	VarEstimatedRows      = "ESTIMATED_ROWS"
	VarCopiedRows         = "COPIED_ROWS"
	VarMigratedHost       = "MIGRATED_HOST"  // the server written to
	VarInspectedHost      = "INSPECTED_HOST" // the server read from
	VarExecutingHost      = "EXECUTING_HOST" // this machine's host name
	VarInspectedLag       = "INSPECTED_LAG"  // replication lag, seconds
	VarHeartbeatLag       = "HEARTBEAT_LAG"  // time since the last heartbeat seen, seconds
	VarProgress           = "PROGRESS"       // percent, 0..100
	VarETASeconds         = "ETA_SECONDS"
	VarDryRun             = "DRY_RUN" // true unless --execute
	VarRevert             = "REVERT"  // true for --revert runs

	// Set on one event only.
	VarStatus             = "STATUS"                // on-status: the status line
	VarCommand            = "COMMAND"               // on-interactive-command: the command word, without "=argument"
	VarLastBatchCopyError = "LAST_BATCH_COPY_ERROR" // on-batch-copy-retry: the error being retried
	VarInstantDDL         = "INSTANT_DDL"           // on-success: whether ALGORITHM=INSTANT did it

	// Set by the Runner from Config; a Vars entry of the same name is
	// overridden.
	VarHooksHint      = "HOOKS_HINT"
	VarHooksHintOwner = "HOOKS_HINT_OWNER"
	VarHooksHintToken = "HOOKS_HINT_TOKEN"
)

// quotedByGhost are the variables gh-ost hands over wrapped in single quotes.
var quotedByGhost = map[string]bool{VarStatus: true, VarCommand: true}

// Seconds formats d the way gh-ost writes seconds (and lags) for hooks.
func Seconds(d time.Duration) string { return Float(d.Seconds()) }

// Float formats f the way gh-ost writes decimals for hooks ("%f").
func Float(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// DefaultTimeout bounds one hook's run when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Minute

// outputGrace is how long Run waits, after a hook has exited or been killed,
// for its stdout and stderr to close. A background job the hook started can
// hold them open; it is left running, and its later output is not read.
const outputGrace = 2 * time.Second

// tailSize is how much of a failed hook's output its Error carries.
const tailSize = 1024

// ErrTimeout is the cause of an Error for a hook that outlived Config.Timeout.
var ErrTimeout = errors.New("hook timed out")

// Config is where the hooks are and what they are told.
type Config struct {
	Path string // --hooks-path; "" disables hooks

	Hint  string // --hooks-hint
	Owner string // --hooks-hint-owner
	Token string // --hooks-hint-token

	// Timeout bounds each hook's run; a hook that outlives it is killed,
	// with its process group, and counts as failed. 0 means DefaultTimeout.
	Timeout time.Duration

	Logger zerolog.Logger
}

// Vars are the migration's values at the time of the event, keyed by the
// variable name without prefix: "DATABASE_NAME", "TABLE_NAME", "COPIED_ROWS",
// ... (the Var constants). Names are upper-case letters, digits and '_'.
type Vars map[string]string

// Runner runs the hooks of one migration.
type Runner struct {
	path    string
	hint    [3]string // hint, owner, token
	timeout time.Duration
	log     zerolog.Logger
}

// New checks cfg. Path must name an existing directory; it is resolved to an
// absolute path now, so later changes of the working directory do not
// matter. With Path "" the Runner runs nothing.
func New(cfg Config) (*Runner, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("hooks timeout %v: must not be negative", cfg.Timeout)
	}
	r := &Runner{
		hint:    [3]string{cfg.Hint, cfg.Owner, cfg.Token},
		timeout: cfg.Timeout,
		log:     cfg.Logger.With().Str("component", "hooks").Logger(),
	}
	if r.timeout == 0 {
		r.timeout = DefaultTimeout
	}
	if cfg.Path == "" {
		return r, nil
	}
	fi, err := os.Stat(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("--hooks-path %q: %w", cfg.Path, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("--hooks-path %q: not a directory", cfg.Path)
	}
	abs, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("--hooks-path %q: %w", cfg.Path, err)
	}
	r.path = abs
	return r, nil
}

// Run runs every hook of event, one at a time in lexical order of file name,
// with vars in its environment (see the package comment). It returns a
// *Error for the first hook that fails, and does not run the ones after it.
// A ctx that ends kills the running hook; a ctx already ended runs nothing
// and returns its error, so run on-failure hooks with a context that
// outlives the migration's (e.g. context.WithoutCancel plus a timeout).
//
// Run on a nil *Runner or one without a path does nothing and returns nil.
func (r *Runner) Run(ctx context.Context, event Event, vars Vars) error {
	if r == nil || r.path == "" {
		return nil
	}
	if !event.known() {
		return fmt.Errorf("run hooks: unknown event %q", event)
	}
	env, err := r.environment(vars)
	if err != nil {
		return fmt.Errorf("run %s hooks: %w", event, err)
	}
	hooks, err := r.find(event)
	if err != nil {
		return fmt.Errorf("run %s hooks: %w", event, err)
	}
	for _, name := range hooks {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("run %s hooks: %w", event, err)
		}
		if err := r.runOne(ctx, event, name, env); err != nil {
			return err
		}
	}
	return nil
}

// find lists the runnable hooks of event, in lexical order.
func (r *Runner) find(event Event) ([]string, error) {
	entries, err := os.ReadDir(r.path) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("read --hooks-path: %w", err)
	}
	prefix := event.FilePrefix()
	var hooks []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		fi, err := os.Stat(filepath.Join(r.path, name)) // follows symlinks, as exec does
		switch {
		case err != nil:
			r.log.Warn().Err(err).Str("event", string(event)).Str("hook", name).Msg("hook skipped: cannot stat")
		case fi.IsDir():
			// a directory is never a hook
		case !fi.Mode().IsRegular():
			r.log.Warn().Str("event", string(event)).Str("hook", name).Str("mode", fi.Mode().String()).Msg("hook skipped: not a regular file")
		case fi.Mode().Perm()&0o111 == 0:
			r.log.Warn().Str("event", string(event)).Str("hook", name).Str("mode", fi.Mode().String()).Msg("hook skipped: not executable")
		default:
			hooks = append(hooks, name)
		}
	}
	return hooks, nil
}

// environment is the process environment plus the hook variables. exec uses
// the last of duplicate entries, so ours win over inherited ones.
func (r *Runner) environment(vars Vars) ([]string, error) {
	names := make([]string, 0, len(vars))
	for name := range vars {
		if !validName(name) {
			return nil, fmt.Errorf("invalid hook variable name %q", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	env := os.Environ()
	add := func(name, value string) {
		ghost := value
		if quotedByGhost[name] {
			ghost = "'" + value + "'"
		}
		env = append(env, "GH_OST_"+name+"="+ghost, "DOPPEL_"+name+"="+value)
	}
	for _, name := range names {
		add(name, vars[name])
	}
	add(VarHooksHint, r.hint[0])
	add(VarHooksHintOwner, r.hint[1])
	add(VarHooksHintToken, r.hint[2])
	return env, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// runOne runs one hook to its end.
func (r *Runner) runOne(ctx context.Context, event Event, name string, env []string) error {
	hookCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	path := filepath.Join(r.path, name)
	log := r.log.With().Str("event", string(event)).Str("hook", name).Logger()
	stdout := &outputLog{log: log, stream: "stdout"}
	stderr := &outputLog{log: log, stream: "stderr"}

	cmd := exec.CommandContext(hookCtx, path)
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.WaitDelay = outputGrace
	ownProcessGroup(cmd)

	log.Debug().Msg("hook starting")
	start := time.Now()
	err := cmd.Run()
	stdout.flush()
	stderr.flush()
	took := time.Since(start)

	if err == nil || (errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success()) {
		if err != nil {
			log.Debug().Msg("hook left its output open; not waiting for it")
		}
		log.Info().Dur("took", took).Msg("hook ran")
		return nil
	}

	he := &Error{Event: event, Hook: name, Path: path, ExitCode: -1, Err: err}
	if cmd.ProcessState != nil {
		he.ExitCode = cmd.ProcessState.ExitCode()
		he.Status = cmd.ProcessState.String()
	}
	switch {
	case ctx.Err() != nil:
		he.Err = context.Cause(ctx)
	case hookCtx.Err() != nil:
		he.Err = ErrTimeout
		he.Timeout = r.timeout
	}
	he.Output, he.Stream = stderr.tail.String(), "stderr"
	if strings.TrimSpace(he.Output) == "" {
		he.Output, he.Stream = stdout.tail.String(), "stdout"
	}
	he.Output = strings.TrimSpace(he.Output)
	return he
}

// Error is a hook that failed.
type Error struct {
	Event    Event
	Hook     string // file name
	Path     string
	ExitCode int    // -1 when it did not exit normally (killed, never started)
	Status   string // how the process ended, e.g. "exit status 3", "signal: killed"; "" if it never started
	// Timeout is set when the hook was killed for outliving it; Err is then
	// ErrTimeout.
	Timeout time.Duration
	// Output is the last ~1 KiB of the hook's stderr, or of its stdout when
	// stderr was empty; Stream says which.
	Output string
	Stream string
	// Err is the cause: an *exec.ExitError, ErrTimeout, the context's error
	// when the context ended, or why the hook could not start.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hook %s (%s)", e.Hook, e.Event)
	switch {
	case e.Timeout > 0:
		fmt.Fprintf(&b, " killed after timeout %v", e.Timeout)
	case e.Status != "" && errors.As(e.Err, new(*exec.ExitError)):
		fmt.Fprintf(&b, " failed: %s", e.Status)
	case e.Status != "":
		fmt.Fprintf(&b, " stopped (%s): %v", e.Status, e.Err)
	default:
		fmt.Fprintf(&b, " failed: %v", e.Err)
	}
	if e.Output != "" {
		fmt.Fprintf(&b, "; %s: %q", e.Stream, e.Output)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// outputLog logs one output stream of a hook line by line at debug level and
// keeps its tail. exec feeds each stream from one goroutine.
type outputLog struct {
	log     zerolog.Logger
	stream  string
	partial []byte
	tail    tail
}

// maxLine bounds a logged line; longer lines are logged in pieces.
const maxLine = 4096

func (o *outputLog) Write(p []byte) (int, error) {
	o.tail.Write(p)
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			o.partial = append(o.partial, rest...)
			for len(o.partial) >= maxLine {
				o.emit(o.partial[:maxLine])
				o.partial = append(o.partial[:0], o.partial[maxLine:]...)
			}
			break
		}
		o.partial = append(o.partial, rest[:i]...)
		o.emit(o.partial)
		o.partial = o.partial[:0]
		rest = rest[i+1:]
	}
	return len(p), nil
}

func (o *outputLog) flush() {
	if len(o.partial) > 0 {
		o.emit(o.partial)
		o.partial = o.partial[:0]
	}
}

func (o *outputLog) emit(line []byte) {
	o.log.Debug().Str("stream", o.stream).Str("line", strings.TrimRight(string(line), "\r")).Msg("hook output")
}

// tail keeps the last tailSize bytes written to it.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) {
	if len(p) >= tailSize {
		t.buf = append(t.buf[:0], p[len(p)-tailSize:]...)
		return
	}
	if over := len(t.buf) + len(p) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
}

// String is the tail as text, starting at a character boundary.
func (t *tail) String() string {
	b := t.buf
	for i := 0; i < 3 && len(b) > 0 && b[0]&0xC0 == 0x80; i++ {
		b = b[1:]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
