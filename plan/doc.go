// Package plan is what a dry run tells the operator before a migration runs:
// the server, the table, the migration key, the column changes, whether the
// server could make the change in place, how long the copy would take, the
// disk it needs, the checks that passed or refuse, and the lossy-change
// lint's findings.
//
// It holds the pure logic only: the Plan document (its JSON form is
// docs/plan.schema.json), the lint's classification of two column
// definitions into findings, and the arithmetic of the estimate. It runs no
// SQL: where a finding depends on the data, Lint returns a Probe saying what
// to look for, the migration package turns it into a query, and Resolve
// turns the answer into the finding's severity.
package plan
