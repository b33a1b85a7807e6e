// Package cutover swaps the original table and its ghost while writers wait,
// so that every writer sees either the old table or the new one: never an
// error, never a missing table, never a row written to the table that is
// being retired after the last change was drained into the ghost.
//
// One call is one attempt. Atomic picks the algorithm by flavor:
//
//   - MySQL >= 8.0.13: LOCK TABLES orig WRITE, ghost WRITE; drain on the lock
//     connection; RENAME TABLE under the lock; UNLOCK TABLES.
//   - MariaDB (and MySQL 5.7): the sentry scheme, made safe by checking,
//     before anything is released, the one fact the scheme depends on.
//
// TwoStep is gh-ost's --cut-over=two-step: simpler, but writers get "table
// doesn't exist" for the few milliseconds between its two renames.
//
// Invariants, on every path:
//
//   - The original table is renamed only by one RENAME TABLE statement that
//     renames both tables at once (except TwoStep, by design), and that
//     statement can succeed only after every write committed to the original
//     before the lock has been drained.
//   - On MariaDB the lock connection drops the sentry table only while the
//     rename is queued, and releases the original table only after proving
//     that the rename's exclusive lock request is waiting on the original
//     table itself. Metadata locks grant a pending exclusive request before
//     any pending write, so the rename then runs ahead of every queued writer.
//     Until the sentry is dropped, a rename that slips through fails on
//     "table exists"; after it is dropped, an attempt that cannot prove the
//     queue position kills the rename session and waits for it to be gone
//     from the server before it releases anything.
//   - The proof is a probe: a PREPARE of a SELECT on the original takes a
//     plain shared metadata lock, which is compatible with the lock
//     connection's LOCK TABLES WRITE but waits behind a pending exclusive
//     request. The probe session is seen "Waiting for table metadata lock"
//     if and only if such a request is queued on the original. Where the
//     metadata_lock_info plugin is available (it is installed if allowed), or
//     else performance_schema's metadata locks, it is used in addition, to
//     fail fast on a session that has held the ghost longer than the lock
//     timeout (the plugin only: it has the locks' age) and to name the holder
//     in errors; it never decides that the rename may go, since it shows no
//     waiters.
//   - The server must keep its write-lock priority: an attempt refuses a
//     max_write_lock_count low enough to let queued writers overtake a
//     pending exclusive lock.
//   - A returned ErrLockTimeout or ErrGhostInUse means nothing was renamed,
//     every lock was released and the original table is intact and
//     writable; the caller resumes its applier and retries later.
//   - Sessions whose state was changed or is uncertain (the lock, rename and
//     probe connections) are closed, never returned to the pool; sessions
//     that may still be running server-side are killed by id.
//   - Cleanup runs on a fresh, short context when the caller's context has
//     been cancelled.
//
// A Forcer (--force-cut-over-after) runs beside attempts and kills the
// sessions it sees holding a metadata lock on the original or the ghost for
// a grace period, never the caller's own sessions nor mere waiters. It only
// frees locks sooner; no invariant above depends on it.
//
// The caller's part of the contract is on Drain: when the drain returns, its
// applier must hold no open transaction on the ghost until the attempt ends.
package cutover
