// Package migration runs one online schema change from start to end:
//
//	preflight → ghost → stream+copy+apply → catch up → cut-over → cleanup
//
// Each phase is a short function in its own file, called in that order from
// Run. The package wires the workers (binlog, applier, copier, cutover,
// throttle); the workers know nothing of each other.
//
// Topology follows gh-ost: doppel inspects --host (ideally a replica) and
// reads its binlog there, and writes the ghost, changelog and cut-over on the
// primary it finds (or --assume-master-host). With --allow-on-master both are
// the same server; with --test-on-replica / --migrate-on-replica the replica
// itself is written.
package migration
