// Package applier replays the original table's row changes, as the binlog
// streamer hands them over, onto the ghost table.
//
// A batch of changes becomes one transaction. Within it only the last image
// of each migration key matters, so the batch is coalesced per key and
// written as: one DELETE of every key the batch touched, then one multi-row
// INSERT of every key whose last change left a row. Only shared columns are
// written, under their ghost names.
//
// Invariants:
//   - A row only moves forward. Every key a batch touches ends the batch as
//     the original had it after the batch's last change to it: deleted, or
//     holding exactly the last after image. Applying the same changes again
//     yields the same rows, so resuming from an older checkpoint is harmless.
//   - No row is removed silently. REPLACE is never used. The only rows deleted
//     are the keys a batch touches and, when an INSERT hits a duplicate on
//     another unique key of the ghost, the rows holding that duplicate value.
//     Each such row's migration key is recorded as displaced until a later
//     change rewrites or deletes it. Before cut-over the migration must call
//     CheckDisplaced, which fails naming every displaced key that is still in
//     the original but not in the ghost.
//   - The displaced set follows commit order: a transaction that displaces
//     rows commits exclusively, so no concurrent commit's bookkeeping can
//     overtake it. A displacement whose COMMIT failed ambiguously is still
//     recorded; CheckDisplaced drops entries the ghost holds after all.
//   - Values are written as the original stored them: go-mysql's decoding is
//     undone per original column (signedness, enum and set labels, BIT,
//     charset of non-UTF-8 text), and the DML session runs with time_zone
//     '+00:00' and an sql_mode that accepts zero dates and keeps id 0.
//
// The package never logs row values; error values meant for the operator
// may name migration key values.
package applier
