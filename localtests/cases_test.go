package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseUnsupported(t *testing.T) {
	in := `# cases that cannot pass yet
gtid	needs --gtid (issue 3)

checksum-case   needs --checksum (issue 4): two words of reason
`
	got, err := parseUnsupported(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"gtid":          "needs --gtid (issue 3)",
		"checksum-case": "needs --checksum (issue 4): two words of reason",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseUnsupported = %q, want %q", got, want)
	}
}

func TestParseUnsupportedRefusesBadEntries(t *testing.T) {
	for name, in := range map[string]string{
		"an entry without a reason": "gtid\n",
		"a case listed twice":       "a reason one\na reason two\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseUnsupported(strings.NewReader(in)); err == nil {
				t.Errorf("parseUnsupported(%q) did not fail", in)
			}
		})
	}
}

func TestVersionIgnored(t *testing.T) {
	const (
		debianVersion = "10.11.19-MariaDB-0+deb12u1-log"
		debianComment = "Debian 12"
	)
	tests := []struct {
		pattern, version, comment string
		want                      bool
	}{
		{"Percona", debianVersion, debianComment, false},
		{"Percona", "8.0.36-28", "Percona Server (GPL), Release 28", true},
		{"Percona|mariadb", debianVersion, debianComment, true},
		{"Percona|mariadb", "8.0.36", "MySQL Community Server - GPL", false},
		{"(5.5)", "5.5.62-log", "MySQL Community Server (GPL)", true},
		{"(5.5)", debianVersion, debianComment, false},
		{"(5.5)", "8.0.5", "x", false}, // anchored at the start, as gh-ost's egrep "^…"
		{"mariadb", "10.6.1-MariaDB", "mariadb.org binary distribution", true},
		{"", debianVersion, debianComment, false},
	}
	for _, tt := range tests {
		got, err := versionIgnored(tt.pattern, tt.version, tt.comment)
		if err != nil {
			t.Fatalf("versionIgnored(%q): %v", tt.pattern, err)
		}
		if got != tt.want {
			t.Errorf("versionIgnored(%q, %q, %q) = %v, want %v", tt.pattern, tt.version, tt.comment, got, tt.want)
		}
	}
	if _, err := versionIgnored("(", "x", "y"); err == nil {
		t.Error("a bad regex was accepted")
	}
}

func TestLoadCase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-case")
	files := map[string]string{
		"create.sql":             "create table gh_ost_test (id int primary key);\n",
		"extra_args":             `--alter="add column c int comment 'x y'" --approve-renamed-columns` + "\n",
		"expect_failure":         "\n",
		"orig_columns":           "id, c\n",
		"order_by":               "id desc\n",
		"sql_mode":               "\n",
		"expect_table_structure": "AUTO_INCREMENT=5\n",
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := loadCase(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--alter=add column c int comment 'x y'", "--approve-renamed-columns"}; !reflect.DeepEqual(c.ExtraArgs, want) {
		t.Errorf("ExtraArgs = %q, want %q", c.ExtraArgs, want)
	}
	if c.ExpectFailure == nil || *c.ExpectFailure != "" {
		t.Errorf("an empty expect_failure file must mean: any failure")
	}
	if c.OrigColumns != "id, c" || c.GhostColumns != "*" || c.OrderBy != "order by id desc" {
		t.Errorf("columns %q / %q, order %q", c.OrigColumns, c.GhostColumns, c.OrderBy)
	}
	if c.SQLMode == nil || *c.SQLMode != "" {
		t.Errorf("an empty sql_mode file must set the empty sql_mode")
	}
	if _, ok := c.file("before.sql"); ok {
		t.Error("before.sql reported present")
	}
}

func TestDiscoverCasesRefusesDuplicateNames(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/x", "b/x"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, d, "create.sql"), nil, 0o644)
	}
	if _, err := discoverCases([]string{filepath.Join(root, "a"), filepath.Join(root, "b")}, func(string) {}); err == nil {
		t.Error("two cases named x were accepted")
	}
	var notes []string
	got, err := discoverCases([]string{filepath.Join(root, "a"), filepath.Join(root, "missing")}, func(s string) { notes = append(notes, s) })
	if err != nil || len(got) != 1 || len(notes) != 1 {
		t.Errorf("discoverCases = %q, %v, notes %q", got, err, notes)
	}
}
