package plan

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func str(s string) *string { return &s }

func col(name, dataType, columnType string) Column {
	return Column{Name: name, DataType: dataType, ColumnType: columnType}
}

// lintPair lints one shared column changed from o to g.
func lintPair(o, g Column) []Candidate {
	g.Name = o.Name
	return Lint(Input{
		Orig:   Definition{Columns: []Column{o}},
		Ghost:  Definition{Columns: []Column{g}},
		Shared: []Pair{{o.Name, g.Name}},
	})
}

func TestLintClassifiesColumnChanges(t *testing.T) {
	t.Parallel()
	varchar := func(n int64) Column {
		c := col("c", "varchar", "varchar("+itoa(n)+")")
		c.MaxLength, c.MaxBytes, c.Charset = n, 4*n, "utf8mb4"
		return c
	}
	integer := func(dataType string, unsigned bool) Column {
		c := col("c", dataType, dataType)
		if unsigned {
			c.ColumnType += " unsigned"
		}
		c.Unsigned = unsigned
		return c
	}
	decimal := func(p, s int64) Column {
		c := col("c", "decimal", "decimal("+itoa(p)+","+itoa(s)+")")
		c.Precision, c.Scale = p, s
		return c
	}
	datetime := func(fsp int64) Column {
		c := col("c", "datetime", "datetime("+itoa(fsp)+")")
		c.FracDigits = fsp
		return c
	}
	charset := func(cs string) Column {
		c := varchar(20)
		c.Charset = cs
		return c
	}
	nullable := varchar(20)
	nullable.Nullable = true
	withDefault := func(d *string) Column {
		c := varchar(20)
		c.Default = d
		return c
	}
	enum := func(values ...string) Column {
		c := col("c", "enum", "enum('"+strings.Join(values, "','")+"')")
		c.EnumValues = values
		return c
	}
	text := col("c", "text", "text")
	text.MaxLength, text.MaxBytes, text.Charset = 65535, 65535, "utf8mb4"

	cases := []struct {
		name   string
		o, g   Column
		code   string // "" for no finding
		probe  ProbeKind
		severe Severity // severity when the probe finds rows (or the final one)
	}{
		{"a shorter varchar is probed for longer values", varchar(100), varchar(20), CodeLengthNarrowed, ProbeLonger, Error},
		{"a longer varchar is no finding", varchar(20), varchar(100), "", "", ""},
		{"text to varchar is probed", text, varchar(20), CodeLengthNarrowed, ProbeLonger, Error},
		{"varchar to text is no finding", varchar(20), text, "", "", ""},
		{"int to smallint is probed for out-of-range values", integer("int", false), integer("smallint", false), CodeIntegerNarrowed, ProbeOutOfRange, Error},
		{"smallint to int is no finding", integer("smallint", false), integer("int", false), "", "", ""},
		{"signed to unsigned is probed for negatives", integer("int", false), integer("int", true), CodeSignChanged, ProbeOutOfRange, Error},
		{"unsigned to signed of the same width is probed", integer("int", true), integer("int", false), CodeSignChanged, ProbeOutOfRange, Error},
		{"unsigned int to signed bigint is no finding", integer("int", true), integer("bigint", false), "", "", ""},
		{"a smaller decimal scale is probed", decimal(10, 4), decimal(10, 2), CodeDecimalNarrowed, ProbeDecimal, Error},
		{"fewer decimal integer digits are probed", decimal(10, 2), decimal(6, 2), CodeDecimalNarrowed, ProbeDecimal, Error},
		{"a wider decimal is no finding", decimal(10, 2), decimal(12, 3), "", "", ""},
		{"datetime(6) to datetime is probed for fractions", datetime(6), datetime(0), CodeFractionNarrowed, ProbeFraction, Error},
		{"datetime to datetime(3) is no finding", datetime(0), datetime(3), "", "", ""},
		{"utf8mb4 to latin1 is probed", charset("utf8mb4"), charset("latin1"), CodeCharsetChanged, ProbeCharset, Error},
		{"latin1 to utf8mb4 is an info", charset("latin1"), charset("utf8mb4"), CodeCharsetChanged, "", Info},
		{"utf8 and utf8mb3 are the same", charset("utf8"), charset("utf8mb3"), "", "", ""},
		{"NOT NULL added is probed for NULLs", nullable, varchar(20), CodeNotNullAdded, ProbeNull, Error},
		{"a removed default is a warning", withDefault(str("'x'")), withDefault(nil), CodeDefaultRemoved, "", Warning},
		{"a changed default is an info", withDefault(str("'x'")), withDefault(str("'y'")), CodeDefaultChanged, "", Info},
		{"an equal default is no finding", withDefault(str("'x'")), withDefault(str("'x'")), "", "", ""},
		{"removed enum values are probed", enum("a", "b", "c"), enum("a", "b"), CodeEnumValuesRemoved, ProbeIn, Error},
		{"added enum values are no finding", enum("a", "b"), enum("a", "b", "c"), "", "", ""},
		{"int to varchar is a type change", integer("int", false), varchar(20), CodeTypeChanged, "", Warning},
		{"an equal column is no finding", varchar(20), varchar(20), "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := lintPair(tc.o, tc.g)
			if tc.code == "" {
				if len(got) != 0 {
					t.Fatalf("want no finding, got %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one %s finding, got %+v", tc.code, got)
			}
			c := got[0]
			if c.Clean.Code != tc.code {
				t.Fatalf("code %q, want %q", c.Clean.Code, tc.code)
			}
			if tc.probe == "" {
				if c.Probe != nil || c.Clean.Severity != tc.severe {
					t.Fatalf("want a final %s finding, got %+v", tc.severe, c)
				}
				return
			}
			if c.Probe == nil || c.Probe.Kind != tc.probe {
				t.Fatalf("want probe %s, got %+v", tc.probe, c.Probe)
			}
			if f := c.Resolve(true, false, 0); f.Severity != tc.severe {
				t.Fatalf("found: severity %s, want %s", f.Severity, tc.severe)
			}
			if f := c.Resolve(false, false, 0); !f.Severity.AtLeast(Info) || f.Severity == Error {
				t.Fatalf("clean: severity %s, want info or warning", f.Severity)
			}
		})
	}
}

func TestIntegerRangesAreTheServers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ      string
		unsigned bool
		lo, hi   string
	}{
		{"tinyint", false, "-128", "127"},
		{"smallint", true, "0", "65535"},
		{"int", false, "-2147483648", "2147483647"},
		{"bigint", true, "0", "18446744073709551615"},
		{"bigint", false, "-9223372036854775808", "9223372036854775807"},
	} {
		if lo, hi := intRange(tc.typ, tc.unsigned); lo != tc.lo || hi != tc.hi {
			t.Errorf("%s unsigned=%v: %s..%s, want %s..%s", tc.typ, tc.unsigned, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestDroppedColumnsAndNewUniqueKeys(t *testing.T) {
	t.Parallel()
	a, b := col("a", "int", "int"), col("b", "int", "int")
	in := Input{
		Orig:    Definition{Columns: []Column{a, b, col("gone", "int", "int")}, Uniques: []UniqueKey{{"PRIMARY", []string{"a"}}}},
		Ghost:   Definition{Columns: []Column{a, b}, Uniques: []UniqueKey{{"PRIMARY", []string{"a"}}, {"ab", []string{"a", "b"}}, {"ub", []string{"b"}}}},
		Shared:  []Pair{{"a", "a"}, {"b", "b"}},
		Dropped: []string{"gone"},
	}
	got := Lint(in)
	var codes []string
	for _, c := range got {
		codes = append(codes, c.Clean.Code+":"+c.Clean.Column)
	}
	want := "column_dropped:gone unique_key_added:b"
	if strings.Join(codes, " ") != want {
		t.Fatalf("findings %v, want %s (ab is implied by PRIMARY)", codes, want)
	}
	if p := got[1].Probe; p == nil || p.Kind != ProbeDuplicates || strings.Join(p.Columns, ",") != "b" {
		t.Fatalf("probe %+v", got[1].Probe)
	}
}

func TestASampledCleanProbeIsNoProof(t *testing.T) {
	t.Parallel()
	nullable := col("c", "int", "int")
	nullable.Nullable = true
	c := lintPair(nullable, col("c", "int", "int"))[0]
	if f := c.Resolve(false, false, 0); f.Severity != Info {
		t.Fatalf("full scan clean: %s, want info", f.Severity)
	}
	f := c.Resolve(false, true, 1000)
	if f.Severity != Warning || !strings.Contains(f.Reason, "sample of 1000 rows") {
		t.Fatalf("sampled clean: %+v, want a warning naming the sample", f)
	}
}

func TestFailOnThresholds(t *testing.T) {
	t.Parallel()
	p := Plan{Findings: []Finding{{Severity: Info}, {Severity: Warning}}}
	for _, tc := range []struct {
		flag string
		n    int
	}{{"none", 0}, {"warning", 1}, {"error", 0}} {
		th, err := ParseFailOn(tc.flag)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.Failing(th)); got != tc.n {
			t.Errorf("--fail-on=%s: %d failing, want %d", tc.flag, got, tc.n)
		}
	}
	if _, err := ParseFailOn("info"); err == nil || !strings.Contains(err.Error(), "none, warning, error") {
		t.Fatalf("--fail-on=info: %v, want a refusal naming the allowed values", err)
	}
}

func TestExtrapolateAddsTheChecksumShare(t *testing.T) {
	t.Parallel()
	e := Extrapolate(1_000_000, Sample{Rows: 10_000, Chunks: 10, Took: 100 * time.Millisecond})
	if e.RowsPerSecond != 100_000 || e.CopySeconds != 10 || e.Seconds != 13 {
		t.Fatalf("estimate %+v, want 100k rows/s, 10 s copy, 13 s in all", e)
	}
	if !strings.Contains(e.Method, "10000 rows in 10 chunks") {
		t.Fatalf("method %q does not say how it was measured", e.Method)
	}
	if e := Extrapolate(100, Sample{}); e.Seconds != 0 || !strings.HasPrefix(e.Method, "not measured") {
		t.Fatalf("empty sample: %+v", e)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestJudgeDiskNeedsKnownFreeSpace(t *testing.T) {
	t.Parallel()
	unknown := Disk{NeededBytes: 100}
	if f := unknown.JudgeDisk(); f != nil || unknown.Enough != nil {
		t.Fatalf("unknown free space judged: %+v %v", f, unknown.Enough)
	}
	free := int64(50)
	short := Disk{NeededBytes: 100, FreeBytes: &free}
	if f := short.JudgeDisk(); f == nil || f.Code != CodeDiskSpace || f.Severity != Error || *short.Enough {
		t.Fatalf("50 bytes free for 100: %+v", f)
	}
	free2 := int64(500)
	ok := Disk{NeededBytes: 100, FreeBytes: &free2}
	if f := ok.JudgeDisk(); f != nil || !*ok.Enough {
		t.Fatalf("500 bytes free for 100: %+v", f)
	}
}
