package schema

import (
	"errors"
	"reflect"
	"testing"
)

// The server runs these ALTERs; the parser alone refuses them (found by the
// alter-varchar-to-inet6 and alter-mariadb-syntax end-to-end cases).
func TestParseAlterAcceptsMariaDBSyntax(t *testing.T) {
	cases := []struct {
		clause string
		want   Alter
	}{
		{"modify addr inet6 not null, modify uid UUID", Alter{Text: "modify addr inet6 not null, modify uid UUID",
			ChangesColumns: map[string]string{"addr": "", "uid": ""}}},
		{"add column ip4 inet4 default '0.0.0.0'", Alter{Text: "add column ip4 inet4 default '0.0.0.0'", Added: []string{"ip4"}}},
		{"add column c int invisible, add index ci (c) invisible", Alter{Text: "add column c int invisible, add index ci (c) invisible", Added: []string{"c"}}},
		{"add column s int as (a + 1) persistent", Alter{Text: "add column s int as (a + 1) persistent", Added: []string{"s"}}},
		{"add column t text compressed", Alter{Text: "add column t text compressed", Added: []string{"t"}}},
		{"add column g POINT not null, add spatial index gi (g)", Alter{Text: "add column g POINT not null, add spatial index gi (g)", Added: []string{"g"}}},
		{"add column shape geometry, add column path linestring, add column area multipolygon",
			Alter{Text: "add column shape geometry, add column path linestring, add column area multipolygon", Added: []string{"shape", "path", "area"}}},
		{"convert to character set utf8mb4 collate utf8mb4_uca1400_ai_ci", Alter{Text: "convert to character set utf8mb4 collate utf8mb4_uca1400_ai_ci"}},
		{"add column loc point not null default (point(1, 2)), add spatial index (loc)",
			Alter{Text: "add column loc point not null default (point(1, 2)), add spatial index (loc)", Added: []string{"loc"}}},
		// Quoted text keeps its words; a call keeps working.
		{"add column u uuid not null default (uuid()), add column note varchar(9) default 'invisible'",
			Alter{Text: "add column u uuid not null default (uuid()), add column note varchar(9) default 'invisible'", Added: []string{"u", "note"}}},
		// A full statement, and a trailing comment after the masked word.
		{"ALTER TABLE t ADD COLUMN `point` POINT; -- where", Alter{Table: "t", Text: "ADD COLUMN `point` POINT", Added: []string{"point"}}},
	}
	for _, c := range cases {
		t.Run(c.clause, func(t *testing.T) {
			got, err := ParseAlter(c.clause)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want.Renames == nil {
				want.Renames = map[string]string{}
			}
			if want.ChangesColumns == nil {
				want.ChangesColumns = map[string]string{}
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("ParseAlter(%q)\n got %+v\nwant %+v", c.clause, *got, want)
			}
		})
	}
}

// A clause that needs masking may also use one of the masked words as a
// column name; masking must not turn that into another name. The stand-ins
// are reserved words, so such a clause stays refused (quoting the name
// makes it parse).
func TestMaskedNamesDoNotParse(t *testing.T) {
	for _, clause := range []string{
		"add column uuid int, add column x inet6",
		"drop column point, add column x inet6",
		"change invisible v inet6",
	} {
		if a, err := ParseAlter(clause); !errors.Is(err, ErrAlterSyntax) {
			t.Errorf("ParseAlter(%q) = %+v, %v; want ErrAlterSyntax", clause, a, err)
		}
	}
	a, err := ParseAlter("add column `uuid` int, drop column `point`, add column x inet6")
	if err != nil || !reflect.DeepEqual(a.Added, []string{"uuid", "x"}) || !reflect.DeepEqual(a.Dropped, []string{"point"}) {
		t.Fatalf("quoted names: %+v, %v", a, err)
	}
}

func TestMaskMariaDBKeepsLengthAndLeavesTheRest(t *testing.T) {
	for in, want := range map[string]string{
		"modify a inet6":                        "modify a blob ",
		"modify a `inet6` int":                  "modify a `inet6` int",
		"modify a int default (uuid())":         "modify a int default (f___())",
		"modify g point default (point(1, 2))":  "modify g blob  default (f____(1, 2))",
		"add spatial key k (g)":                 "add         key k (g)",
		"modify c text collate = uca1400_ai_ci": "modify c text                        ",
		"add column x int /* uuid */":           "add column x int /* uuid */",
	} {
		got := maskMariaDB(in)
		if got != want || len(got) != len(in) {
			t.Errorf("maskMariaDB(%q) = %q, want %q", in, got, want)
		}
	}
}
