// Package metrics exports a migration's progress to Prometheus.
//
// It owns two kinds of series, on a registry the caller injects (never the
// global one, so two migrations in one test binary cannot collide):
//
//   - State (phase, rows copied, backlog, lags, throttle, checksum progress,
//     ETA) is read through a Snapshot function at scrape time. Nothing is
//     copied into gauges in between, so a scrape can never show a value the
//     migration no longer holds.
//   - Events (chunks copied, binlog changes, apply batches, cut-over
//     attempts, errors, retries) are counted as they happen, through the
//     methods of Metrics. A nil *Metrics ignores them all, so components
//     built without metrics need no checks.
//
// Every series carries the labels database and table. Label values are
// names (phases, change types, throttle reasons, replica addresses, error
// kinds), never row values or credentials.
//
// Server serves the registry on /metrics, and /healthz, over plain HTTP.
package metrics
