package plan

import (
	"fmt"
	"slices"
	"strings"
)

// Finding codes. docs/plan.md describes each.
const (
	CodeColumnDropped        = "column_dropped"
	CodeLengthNarrowed       = "length_narrowed"
	CodeIntegerNarrowed      = "integer_narrowed"
	CodeSignChanged          = "sign_changed"
	CodeDecimalNarrowed      = "decimal_narrowed"
	CodeFractionNarrowed     = "fraction_narrowed"
	CodeEnumValuesRemoved    = "enum_values_removed"
	CodeTypeChanged          = "type_changed"
	CodeCharsetChanged       = "charset_changed"
	CodeNotNullAdded         = "not_null_added"
	CodeUniqueKeyAdded       = "unique_key_added"
	CodeDefaultRemoved       = "default_removed"
	CodeDefaultChanged       = "default_changed"
	CodeAutoIncrementChanged = "auto_increment_changed"
	CodeDiskSpace            = "disk_space"
)

// Column is a column as information_schema.COLUMNS describes it, with what
// the lint compares.
type Column struct {
	Name       string
	DataType   string // lower-case DATA_TYPE
	ColumnType string // COLUMN_TYPE, e.g. "varchar(20)", "int(10) unsigned"
	Nullable   bool
	// Default is COLUMN_DEFAULT as the server writes it (MariaDB quotes
	// literals and writes NULL for a NULL default); nil when the column has
	// no default.
	Default       *string
	Charset       string // "" for non-text columns
	MaxLength     int64  // CHARACTER_MAXIMUM_LENGTH: characters (bytes for binary types)
	MaxBytes      int64  // CHARACTER_OCTET_LENGTH
	Precision     int64  // NUMERIC_PRECISION (decimal)
	Scale         int64  // NUMERIC_SCALE (decimal)
	FracDigits    int64  // DATETIME_PRECISION (datetime, timestamp, time)
	Unsigned      bool
	EnumValues    []string
	AutoIncrement bool
	Generated     bool
}

// UniqueKey is a unique index (PRIMARY included).
type UniqueKey struct {
	Name    string
	Columns []string
}

// Definition is one table's columns and unique keys.
type Definition struct {
	Columns []Column
	Uniques []UniqueKey
}

func (d Definition) column(name string) (Column, bool) {
	for _, c := range d.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}

// Pair is a column the migration copies: its name in the original and in
// the ghost.
type Pair struct{ Orig, Ghost string }

// Input is what the lint compares.
type Input struct {
	Orig, Ghost Definition
	Shared      []Pair   // from the migration's column mapping
	Dropped     []string // original columns whose data the new table will not hold
	// SetsAutoIncrement: the ALTER sets the table's AUTO_INCREMENT counter.
	SetsAutoIncrement bool
}

// ProbeKind is what a data check looks for.
type ProbeKind string

// Probes. Each names the rows whose value the new definition cannot hold.
const (
	ProbeLonger     ProbeKind = "longer"     // CHAR_LENGTH (Bytes: LENGTH) above Limit
	ProbeOutOfRange ProbeKind = "range"      // below Min or above Max (decimal strings)
	ProbeDecimal    ProbeKind = "decimal"    // needs more than IntDigits integer digits or Scale decimals
	ProbeFraction   ProbeKind = "fraction"   // fractional seconds beyond Digits
	ProbeCharset    ProbeKind = "charset"    // changes when converted From → To → From
	ProbeNull       ProbeKind = "null"       // IS NULL
	ProbeDuplicates ProbeKind = "duplicates" // two rows with equal non-NULL values in Columns
	ProbeIn         ProbeKind = "in"         // one of Values (enum labels the ALTER removes)
)

// Probe describes a check against the original's rows, over Columns (the
// original's names).
type Probe struct {
	Kind      ProbeKind
	Columns   []string
	Limit     int64
	Bytes     bool
	Min, Max  string
	IntDigits int64
	Scale     int64
	Digits    int64
	From, To  string
	Values    []string
}

// Candidate is a finding before the data is looked at. Without a Probe it
// is final. With one, Found is the finding when some row has the problem
// and Clean when none was seen.
type Candidate struct {
	Probe *Probe
	Found Finding
	Clean Finding
}

// Resolve is the finding once the probe ran: found is its answer; sampled
// says that only the first sampleRows rows were looked at, so a clean
// answer cannot rule the problem out: an info becomes a warning and the
// reason says so.
func (c Candidate) Resolve(found, sampled bool, sampleRows int64) Finding {
	if c.Probe == nil {
		return c.Clean
	}
	if found {
		return c.Found
	}
	f := c.Clean
	if sampled {
		if f.Severity == Info {
			f.Severity = Warning
		}
		f.Reason += fmt.Sprintf(" (none in a sample of %d rows; --lint-full-scan checks every row)", sampleRows)
	}
	return f
}

// Lint compares the two definitions and returns the candidates, in the
// original's column order, then table-wide ones.
func Lint(in Input) []Candidate {
	var out []Candidate
	add := func(c Candidate) { out = append(out, c) }
	for _, name := range in.Dropped {
		add(final(Warning, CodeColumnDropped, name, "the ALTER drops the column: its data is not kept in the new table"))
	}
	for _, p := range in.Shared {
		o, ok1 := in.Orig.column(p.Orig)
		g, ok2 := in.Ghost.column(p.Ghost)
		if !ok1 || !ok2 {
			continue
		}
		for _, c := range lintColumn(o, g) {
			add(c)
		}
	}
	for _, c := range lintUniques(in) {
		add(c)
	}
	if in.SetsAutoIncrement {
		add(final(Info, CodeAutoIncrementChanged, "", "the ALTER sets the AUTO_INCREMENT counter; it wins over the original's"))
	}
	return out
}

func final(s Severity, code, column, reason string) Candidate {
	return Candidate{Clean: Finding{Severity: s, Code: code, Column: column, Reason: reason}}
}

func probed(p *Probe, code, column string, found, clean Severity, foundWhy, cleanWhy string) Candidate {
	return Candidate{Probe: p,
		Found: Finding{Severity: found, Code: code, Column: column, Reason: foundWhy},
		Clean: Finding{Severity: clean, Code: code, Column: column, Reason: cleanWhy}}
}

// failNote ends the reason of a finding whose data would stop the copy:
// the migration refuses the value rather than lose it.
const failNote = "; the migration would fail on them (strict mode), fix the data or the ALTER first"

// lintColumn compares one shared column's two definitions.
func lintColumn(o, g Column) []Candidate {
	var out []Candidate
	name := o.Name
	if o.Generated || g.Generated {
		return nil
	}
	if c, ok := lintType(o, g); ok {
		out = append(out, c)
	}
	if c, ok := lintCharset(o, g); ok {
		out = append(out, c)
	}
	if o.Nullable && !g.Nullable {
		out = append(out, probed(&Probe{Kind: ProbeNull, Columns: []string{name}}, CodeNotNullAdded, name, Error, Info,
			"the column becomes NOT NULL and NULL values exist"+failNote,
			"the column becomes NOT NULL; no NULL value was found"))
	}
	switch od, gd := o.Default, g.Default; {
	case o.AutoIncrement || g.AutoIncrement:
	case od != nil && gd == nil && *od == "NULL" && o.Nullable && !g.Nullable:
		// Implied by NOT NULL, which not_null_added reports.
	case od != nil && gd == nil:
		out = append(out, final(Warning, CodeDefaultRemoved, name, fmt.Sprintf("the default %s is removed: inserts that omit the column now fail or get no value", *od)))
	case od == nil && gd != nil:
		out = append(out, final(Info, CodeDefaultChanged, name, fmt.Sprintf("the column gets the default %s", *gd)))
	case od != nil && gd != nil && *od != *gd:
		out = append(out, final(Info, CodeDefaultChanged, name, fmt.Sprintf("the default changes from %s to %s for rows inserted from now on", *od, *gd)))
	}
	if o.AutoIncrement != g.AutoIncrement {
		why := "the column becomes AUTO_INCREMENT"
		if o.AutoIncrement {
			why = "the column loses AUTO_INCREMENT: inserts must give its value"
		}
		out = append(out, final(Info, CodeAutoIncrementChanged, name, why))
	}
	return out
}

// Type families whose members differ only in size.
var (
	charTypes = []string{"char", "varchar"}
	textTypes = []string{"tinytext", "text", "mediumtext", "longtext"}
	byteTypes = []string{"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
	timeTypes = []string{"datetime", "timestamp", "time"}
)

func isText(t string) bool { return slices.Contains(charTypes, t) || slices.Contains(textTypes, t) }

// lintType classifies a change of type: narrowing within a family is
// probed, a change of family is a warning, equal types pass.
func lintType(o, g Column) (Candidate, bool) {
	name := o.Name
	if strings.EqualFold(o.ColumnType, g.ColumnType) {
		return Candidate{}, false
	}
	ot, gt := o.DataType, g.DataType
	switch {
	case isInteger(ot) && isInteger(gt):
		return lintInteger(o, g)
	case isText(ot) && isText(gt):
		return lintLength(o, g, false)
	case slices.Contains(byteTypes, ot) && slices.Contains(byteTypes, gt):
		return lintLength(o, g, true)
	case ot == "decimal" && gt == "decimal":
		return lintDecimal(o, g)
	case slices.Contains(timeTypes, ot) && ot == gt:
		if g.FracDigits >= o.FracDigits {
			return Candidate{}, false
		}
		return probed(&Probe{Kind: ProbeFraction, Columns: []string{name}, Digits: g.FracDigits}, CodeFractionNarrowed, name, Error, Warning,
			fmt.Sprintf("%s keeps %d fractional-second digits and values with more exist: the copy would round them silently (the migration does not fail, the data changes)", g.ColumnType, g.FracDigits),
			fmt.Sprintf("%s → %s keeps fewer fractional-second digits; no value found that uses them", o.ColumnType, g.ColumnType)), true
	case ot == "enum" && gt == "enum":
		var removed []string
		for _, v := range o.EnumValues {
			if !slices.Contains(g.EnumValues, v) {
				removed = append(removed, v)
			}
		}
		if len(removed) == 0 {
			return Candidate{}, false
		}
		return probed(&Probe{Kind: ProbeIn, Columns: []string{name}, Values: removed}, CodeEnumValuesRemoved, name, Error, Warning,
			fmt.Sprintf("the ALTER removes %d enum value(s) and rows hold them%s", len(removed), failNote),
			fmt.Sprintf("the ALTER removes %d enum value(s); no row holds them", len(removed))), true
	case ot == "double" && gt == "float":
		return final(Warning, CodeTypeChanged, name, "double → float keeps about 7 significant digits instead of 15: values are rounded"), true
	}
	if ot == gt && o.Unsigned == g.Unsigned {
		// Same type, other attributes (display width, zerofill, enum order,
		// a wider float): nothing lost.
		return Candidate{}, false
	}
	return final(Warning, CodeTypeChanged, name, fmt.Sprintf("%s → %s converts every value; values that do not convert make the copy fail or change", o.ColumnType, g.ColumnType)), true
}

// lintLength: a character or byte column that holds fewer characters
// (bytes) than before.
func lintLength(o, g Column, bytes bool) (Candidate, bool) {
	name := o.Name
	limit, old := g.MaxLength, o.MaxLength
	unit := "characters"
	probe := &Probe{Kind: ProbeLonger, Columns: []string{name}, Bytes: bytes}
	if bytes {
		unit = "bytes"
	} else if slices.Contains(textTypes, g.DataType) {
		// TEXT types are limited in bytes, whatever the characters.
		limit, old, unit, probe.Bytes = g.MaxBytes, o.MaxBytes, "bytes", true
	}
	if limit <= 0 || old <= limit {
		return Candidate{}, false
	}
	probe.Limit = limit
	return probed(probe, CodeLengthNarrowed, name, Error, Warning,
		fmt.Sprintf("%s → %s: values longer than %d %s exist%s", o.ColumnType, g.ColumnType, limit, unit, failNote),
		fmt.Sprintf("%s → %s holds at most %d %s; no longer value found", o.ColumnType, g.ColumnType, limit, unit)), true
}

func lintDecimal(o, g Column) (Candidate, bool) {
	name := o.Name
	oi, gi := o.Precision-o.Scale, g.Precision-g.Scale
	if gi >= oi && g.Scale >= o.Scale && (g.Unsigned == o.Unsigned || !g.Unsigned) {
		return Candidate{}, false
	}
	p := &Probe{Kind: ProbeDecimal, Columns: []string{name}, IntDigits: gi, Scale: g.Scale}
	if g.Unsigned && !o.Unsigned {
		p.Min = "0"
	}
	return probed(p, CodeDecimalNarrowed, name, Error, Warning,
		fmt.Sprintf("%s → %s: values exist that need the lost digits: the copy would round their decimals silently, and fail on values too large (or negative for unsigned)", o.ColumnType, g.ColumnType),
		fmt.Sprintf("%s → %s holds fewer digits; no value found that needs them", o.ColumnType, g.ColumnType)), true
}

// integer ranges: the smallest and largest value of each type.
var intBits = map[string]uint{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}

func isInteger(t string) bool { _, ok := intBits[t]; return ok }

// intRange returns an integer type's bounds as decimal strings.
func intRange(dataType string, unsigned bool) (lo, hi string) {
	bits := intBits[dataType]
	if unsigned {
		if bits == 64 {
			return "0", "18446744073709551615"
		}
		return "0", fmt.Sprint(uint64(1)<<bits - 1)
	}
	return fmt.Sprint(-(int64(1) << (bits - 1))), fmt.Sprint(int64(1)<<(bits-1) - 1)
}

// contains reports whether integer type a's range covers b's.
func covers(aType string, aUnsigned bool, bType string, bUnsigned bool) bool {
	ab, bb := intBits[aType], intBits[bType]
	switch {
	case aUnsigned == bUnsigned:
		return ab >= bb
	case aUnsigned: // unsigned never covers a signed range (negatives)
		return false
	default: // signed a covers unsigned b when it has a spare bit
		return ab > bb
	}
}

func lintInteger(o, g Column) (Candidate, bool) {
	name := o.Name
	if covers(g.DataType, g.Unsigned, o.DataType, o.Unsigned) {
		return Candidate{}, false
	}
	lo, hi := intRange(g.DataType, g.Unsigned)
	p := &Probe{Kind: ProbeOutOfRange, Columns: []string{name}, Min: lo, Max: hi}
	code, found, clean := CodeIntegerNarrowed,
		fmt.Sprintf("%s → %s: values outside %s..%s exist%s", o.ColumnType, g.ColumnType, lo, hi, failNote),
		fmt.Sprintf("%s → %s holds %s..%s only; no value outside found", o.ColumnType, g.ColumnType, lo, hi)
	if o.Unsigned != g.Unsigned {
		code = CodeSignChanged
		if g.Unsigned {
			found = fmt.Sprintf("%s → %s: negative values exist (or values above %s)%s", o.ColumnType, g.ColumnType, hi, failNote)
			clean = fmt.Sprintf("%s → %s cannot hold negative values; none found", o.ColumnType, g.ColumnType)
		} else {
			found = fmt.Sprintf("%s → %s: values above %s exist%s", o.ColumnType, g.ColumnType, hi, failNote)
			clean = fmt.Sprintf("%s → %s holds at most %s; no larger value found", o.ColumnType, g.ColumnType, hi)
		}
	}
	return probed(p, code, name, Error, Warning, found, clean), true
}

// lossless: every character of from exists in to.
func lossless(from, to string) bool {
	from, to = normalizeCharset(from), normalizeCharset(to)
	switch {
	case from == to:
		return true
	case from == "ascii":
		return to != "binary"
	case to == "utf8mb4" || to == "utf16" || to == "utf32":
		return from != "binary"
	}
	return false
}

func normalizeCharset(s string) string {
	s = strings.ToLower(s)
	if s == "utf8" {
		return "utf8mb3"
	}
	return s
}

func lintCharset(o, g Column) (Candidate, bool) {
	if o.Charset == "" || g.Charset == "" || normalizeCharset(o.Charset) == normalizeCharset(g.Charset) || !isText(o.DataType) {
		return Candidate{}, false
	}
	name := o.Name
	if lossless(o.Charset, g.Charset) {
		return final(Info, CodeCharsetChanged, name, fmt.Sprintf("character set %s → %s can represent every value", o.Charset, g.Charset)), true
	}
	return probed(&Probe{Kind: ProbeCharset, Columns: []string{name}, From: o.Charset, To: g.Charset}, CodeCharsetChanged, name, Error, Warning,
		fmt.Sprintf("character set %s → %s: values exist that %s cannot represent%s", o.Charset, g.Charset, g.Charset, failNote),
		fmt.Sprintf("character set %s → %s cannot represent every %s character; no such value found", o.Charset, g.Charset, o.Charset)), true
}

// lintUniques finds unique keys of the new table that no unique key of the
// original implies, over columns the original has: existing duplicates
// make the copy lose rows or fail.
func lintUniques(in Input) []Candidate {
	toOrig := map[string]string{}
	for _, p := range in.Shared {
		toOrig[strings.ToLower(p.Ghost)] = p.Orig
	}
	var out []Candidate
	for _, k := range in.Ghost.Uniques {
		var cols []string
		for _, c := range k.Columns {
			if o, ok := toOrig[strings.ToLower(c)]; ok {
				cols = append(cols, o)
			}
		}
		if len(cols) != len(k.Columns) || implied(in.Orig.Uniques, cols) {
			continue
		}
		what := fmt.Sprintf("the new unique key %s over (%s)", k.Name, strings.Join(cols, ", "))
		out = append(out, probed(&Probe{Kind: ProbeDuplicates, Columns: cols}, CodeUniqueKeyAdded, strings.Join(cols, ","), Error, Info,
			what+": rows with duplicate values exist; the copy cannot keep both and the migration would fail (doppel never drops rows), remove the duplicates first",
			what+": no duplicate values found"))
	}
	return out
}

// implied: some unique key of the original covers a subset of cols, so
// cols are unique already.
func implied(keys []UniqueKey, cols []string) bool {
	for _, k := range keys {
		all := len(k.Columns) > 0
		for _, c := range k.Columns {
			if !slices.ContainsFunc(cols, func(x string) bool { return strings.EqualFold(x, c) }) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
