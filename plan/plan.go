package plan

import (
	"fmt"
	"strings"
)

// SchemaVersion is the version of the Plan document; it changes when a
// field changes meaning or is removed (added fields keep it).
const SchemaVersion = 1

// Plan is the dry run's account of what a migration would do.
type Plan struct {
	SchemaVersion int       `json:"schema_version"`
	Server        Server    `json:"server"`
	Table         Table     `json:"table"`
	Key           Key       `json:"migration_key"`
	Columns       Columns   `json:"columns"`
	InPlace       InPlace   `json:"in_place"`
	Estimate      Estimate  `json:"estimate"`
	Disk          Disk      `json:"disk"`
	Checks        []Check   `json:"checks"`
	Findings      []Finding `json:"findings"`
	// Refused is the refusal that stopped the dry run ("" when every check
	// passed); the plan then holds only what was learnt before it.
	Refused string `json:"refused"`
}

// Server is what doppel connected to.
type Server struct {
	Flavor    string `json:"flavor"`  // "mariadb" or "mysql"
	Version   string `json:"version"` // @@version
	Inspected string `json:"inspected"`
	Replica   bool   `json:"replica"`
	// Primary is the inspected server's primary ("" when it is none);
	// WritesTo is where the ghost would be built and written.
	Primary  string `json:"primary"`
	WritesTo string `json:"writes_to"`
}

// Table is the original table's size.
type Table struct {
	Database string `json:"database"`
	Name     string `json:"name"`
	Rows     int64  `json:"rows"`
	// RowsExact: Rows was counted (--exact-rowcount), not the server's
	// estimate.
	RowsExact  bool  `json:"rows_exact"`
	DataBytes  int64 `json:"data_bytes"`
	IndexBytes int64 `json:"index_bytes"`
}

// Key is the migration key and why it was chosen.
type Key struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Reason  string   `json:"reason"`
}

// Columns is what the ALTER does to the columns.
type Columns struct {
	Shared      []string     `json:"shared"`
	Added       []string     `json:"added"`
	Dropped     []string     `json:"dropped"`
	Renamed     []Rename     `json:"renamed"`
	TypeChanged []TypeChange `json:"type_changed"`
}

// Rename is a column copied under a new name.
type Rename struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// TypeChange is a shared column whose type the ALTER changes.
type TypeChange struct {
	Column string `json:"column"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// In-place algorithms the server may accept for the ALTER.
const (
	AlgInstant = "INSTANT"
	AlgNoCopy  = "NOCOPY"
	AlgInplace = "INPLACE"
	AlgNone    = "none"
)

// InPlace is whether the server itself could apply the ALTER without a
// copy, as tried on the dry run's empty copy of the table.
type InPlace struct {
	Algorithm string `json:"algorithm"` // AlgInstant, AlgNoCopy, AlgInplace or AlgNone
	// AttemptInstantDDL: --attempt-instant-ddl would apply the ALTER this
	// way (INSTANT or NOCOPY; not INPLACE, which may block or rebuild).
	AttemptInstantDDL bool   `json:"attempt_instant_ddl"`
	Reason            string `json:"reason"`
}

// Check is one preflight check.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Severity says what a finding means for the run.
type Severity string

// Severities, least to most severe.
const (
	Info    Severity = "info"    // a change the operator should know of; nothing is lost
	Warning Severity = "warning" // data or behaviour may be lost, though no row shows it now
	Error   Severity = "error"   // existing data would be lost or refused: the migration fails
)

func (s Severity) rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Error:
		return 3
	}
	return 0
}

// AtLeast reports whether s is as severe as t or more.
func (s Severity) AtLeast(t Severity) bool { return s.rank() >= t.rank() && t.rank() > 0 }

// Finding is one result of the lossy-change lint.
type Finding struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Column   string   `json:"column"` // the original's column ("" for table-wide findings)
	Reason   string   `json:"reason"` // one line; never a row's values
}

// FailOnValues are the values --fail-on accepts.
var FailOnValues = []string{"none", "warning", "error"}

// ParseFailOn reads --fail-on: the least severity that fails the dry run,
// "" for none.
func ParseFailOn(s string) (Severity, error) {
	switch s {
	case "none":
		return "", nil
	case "warning":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return "", fmt.Errorf("--fail-on=%s: give one of %s", s, strings.Join(FailOnValues, ", "))
}

// FormatValues are the values --plan-format accepts.
var FormatValues = []string{"text", "json"}

// ValidFormat reports whether s is a --plan-format value.
func ValidFormat(s string) bool { return s == "text" || s == "json" }

// Failing returns the findings at threshold or above (none when threshold
// is "").
func (p *Plan) Failing(threshold Severity) []Finding {
	if threshold == "" {
		return nil
	}
	var out []Finding
	for _, f := range p.Findings {
		if f.Severity.AtLeast(threshold) {
			out = append(out, f)
		}
	}
	return out
}

// Count returns how many findings have each severity.
func (p *Plan) Count() map[Severity]int {
	n := map[Severity]int{}
	for _, f := range p.Findings {
		n[f.Severity]++
	}
	return n
}

// Normalize replaces nil lists by empty ones, so the JSON document has
// arrays where the schema says so, never null.
func (p *Plan) Normalize() {
	p.SchemaVersion = SchemaVersion
	for _, l := range []*[]string{&p.Key.Columns, &p.Columns.Shared, &p.Columns.Added, &p.Columns.Dropped} {
		if *l == nil {
			*l = []string{}
		}
	}
	if p.Columns.Renamed == nil {
		p.Columns.Renamed = []Rename{}
	}
	if p.Columns.TypeChanged == nil {
		p.Columns.TypeChanged = []TypeChange{}
	}
	if p.Checks == nil {
		p.Checks = []Check{}
	}
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	if p.InPlace.Algorithm == "" {
		p.InPlace.Algorithm = AlgNone
	}
	if p.Estimate.Method == "" {
		p.Estimate.Method = "not measured"
	}
	if p.Disk.FreeSource == "" {
		p.Disk.FreeSource = "unknown"
	}
}
