package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// table builds a Table from terse column specs ("name type [null] [generated]")
// and keys ("PRIMARY(a,b)", "UNIQUE uk(a)", "KEY k(a)", "UNIQUE p(a:10)" for
// a prefix).
func table(name string, columns []string, keys ...string) *Table {
	t := &Table{Schema: "db", Name: name, Engine: "InnoDB"}
	for i, spec := range columns {
		f := strings.Fields(spec)
		c := Column{Name: f[0], Ordinal: i + 1, DataType: f[1], ColumnType: f[1]}
		switch f[1] {
		case "varchar", "char", "text":
			c.Charset = "utf8mb4"
		}
		for _, o := range f[2:] {
			switch o {
			case "null":
				c.Nullable = true
			case "generated":
				c.Generated = true
			}
		}
		t.Columns = append(t.Columns, c)
	}
	for _, spec := range keys {
		var k Key
		switch {
		case strings.HasPrefix(spec, "PRIMARY"):
			k = Key{Name: "PRIMARY", Primary: true, Unique: true}
			spec = strings.TrimPrefix(spec, "PRIMARY")
		case strings.HasPrefix(spec, "UNIQUE "):
			k.Unique = true
			spec = strings.TrimPrefix(spec, "UNIQUE ")
		default:
			spec = strings.TrimPrefix(spec, "KEY ")
		}
		open := strings.IndexByte(spec, '(')
		if k.Name == "" {
			k.Name = spec[:open]
		}
		for _, part := range strings.Split(strings.Trim(spec[open:], "()"), ",") {
			name, sub, _ := strings.Cut(part, ":")
			k.Columns = append(k.Columns, name)
			n := 0
			if sub != "" {
				n = len(sub) // any non-zero length will do
			}
			k.SubParts = append(k.SubParts, n)
		}
		t.Keys = append(t.Keys, k)
	}
	return t
}

func mustParse(t *testing.T, text string) *Alter {
	t.Helper()
	a, err := ParseAlter(text)
	if err != nil {
		t.Fatalf("ParseAlter(%q): %v", text, err)
	}
	return a
}

func TestMap(t *testing.T) {
	tests := []struct {
		name        string
		orig, ghost *Table
		alter       string
		opts        MapOptions
		want        Mapping
	}{
		{
			name:  "an added column is not shared and the primary key is kept",
			orig:  table("t", []string{"id bigint", "name varchar null"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id bigint", "name varchar null", "ts timestamp null"}, "PRIMARY(id)"),
			alter: "add column ts timestamp null",
			want: Mapping{OrigColumns: []string{"id", "name"}, GhostColumns: []string{"id", "name"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name:  "a dropped column is not shared even when re-added",
			orig:  table("t", []string{"id int", "a int null", "b int null"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "b int null", "a varchar null"}, "PRIMARY(id)"),
			alter: "drop column a, add column a varchar(10)",
			want: Mapping{OrigColumns: []string{"id", "b"}, GhostColumns: []string{"id", "b"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name:  "column names match case-insensitively and keep each table's spelling",
			orig:  table("t", []string{"ID int", "Name varchar"}, "PRIMARY(ID)"),
			ghost: table("_t_gho", []string{"id int", "NAME varchar"}, "PRIMARY(id)"),
			alter: "change ID id int, modify Name varchar(20) not null",
			want: Mapping{OrigColumns: []string{"ID", "Name"}, GhostColumns: []string{"id", "NAME"},
				KeyName: "PRIMARY", KeyOrig: []string{"ID"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name:  "generated columns are never shared",
			orig:  table("t", []string{"id int", "a int", "g int generated", "h int"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "a int", "g int generated", "h int generated"}, "PRIMARY(id)"),
			alter: "modify h int as (a + 1)",
			want: Mapping{OrigColumns: []string{"id", "a"}, GhostColumns: []string{"id", "a"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name: "a primary key moved onto a unique key's column uses that key",
			orig: table("t", []string{"id int", "uk_col varchar", "v int null"},
				"PRIMARY(id)", "UNIQUE uk(uk_col)"),
			ghost: table("_t_gho", []string{"id int", "uk_col varchar", "v int null"},
				"PRIMARY(uk_col)", "UNIQUE uk(uk_col)"),
			alter: "drop primary key, add primary key (uk_col)",
			want: Mapping{OrigColumns: []string{"id", "uk_col", "v"}, GhostColumns: []string{"id", "uk_col", "v"},
				KeyName: "uk", KeyOrig: []string{"uk_col"}, KeyGhost: []string{"uk_col"}, GhostKeyName: "PRIMARY"},
		},
		{
			// gh-ost's shared-uk case: gh-ost accepts a ghost key that holds
			// the original key's columns and more.
			name:  "a primary key widened by the alter pairs with the original's",
			orig:  table("t", []string{"id int", "i int", "ts timestamp null"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "i int", "ts timestamp null"}, "PRIMARY(id,i)"),
			alter: "drop primary key, add primary key (id, i)",
			want: Mapping{OrigColumns: []string{"id", "i", "ts"}, GhostColumns: []string{"id", "i", "ts"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name: "a widened key the columns lead is preferred over one they do not",
			orig: table("t", []string{"a int", "b int", "c int"}, "PRIMARY(a)"),
			ghost: table("_t_gho", []string{"a int", "b int", "c int"},
				"UNIQUE bac(b,a,c)", "UNIQUE ab(a,b)"),
			alter: "drop primary key, add unique key bac (b, a, c), add unique key ab (a, b)",
			want: Mapping{OrigColumns: []string{"a", "b", "c"}, GhostColumns: []string{"a", "b", "c"},
				KeyName: "PRIMARY", KeyOrig: []string{"a"}, KeyGhost: []string{"a"}, GhostKeyName: "ab"},
		},
		{
			name:  "a widened key is used when the columns do not lead it",
			orig:  table("t", []string{"a int", "b int"}, "PRIMARY(a)"),
			ghost: table("_t_gho", []string{"a int", "b int"}, "PRIMARY(b,a)"),
			alter: "drop primary key, add primary key (b, a)",
			want: Mapping{OrigColumns: []string{"a", "b"}, GhostColumns: []string{"a", "b"},
				KeyName: "PRIMARY", KeyOrig: []string{"a"}, KeyGhost: []string{"a"}, GhostKeyName: "PRIMARY"},
		},
		{
			name: "a unique key renamed by the alter still pairs by its columns",
			orig: table("t", []string{"a int", "b int", "c int null"}, "UNIQUE old_name(a,b)"),
			ghost: table("_t_gho", []string{"a int", "b int", "c int null"},
				"UNIQUE new_name(a,b)"),
			alter: "rename index old_name to new_name",
			want: Mapping{OrigColumns: []string{"a", "b", "c"}, GhostColumns: []string{"a", "b", "c"},
				KeyName: "old_name", KeyOrig: []string{"a", "b"}, KeyGhost: []string{"a", "b"}, GhostKeyName: "new_name"},
		},
		{
			name: "gh-ost's preference: integer before text, then narrower, then fewer columns",
			orig: table("t", []string{"s varchar", "big bigint", "small smallint", "x int", "y int"},
				"UNIQUE by_s(s)", "UNIQUE by_big(big)", "UNIQUE by_xy(x,y)", "UNIQUE by_small(small)"),
			ghost: table("_t_gho", []string{"s varchar", "big bigint", "small smallint", "x int", "y int"},
				"UNIQUE by_s(s)", "UNIQUE by_big(big)", "UNIQUE by_xy(x,y)", "UNIQUE by_small(small)"),
			alter: "engine=innodb",
			want: Mapping{OrigColumns: []string{"s", "big", "small", "x", "y"}, GhostColumns: []string{"s", "big", "small", "x", "y"},
				KeyName: "by_small", KeyOrig: []string{"small"}, KeyGhost: []string{"small"}, GhostKeyName: "by_small"},
		},
		{
			name: "a nullable unique key is passed over for a NOT NULL one",
			orig: table("t", []string{"a int null", "b varchar"}, "UNIQUE ua(a)", "UNIQUE ub(b)"),
			ghost: table("_t_gho", []string{"a int null", "b varchar"},
				"UNIQUE ua(a)", "UNIQUE ub(b)"),
			alter: "force",
			want: Mapping{OrigColumns: []string{"a", "b"}, GhostColumns: []string{"a", "b"},
				KeyName: "ub", KeyOrig: []string{"b"}, KeyGhost: []string{"b"}, GhostKeyName: "ub"},
		},
		{
			name:  "a renamed key column is copied to its new name when approved",
			orig:  table("t", []string{"id int", "v int null"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"row_id int", "v int null"}, "PRIMARY(row_id)"),
			alter: "change id row_id int not null",
			opts:  MapOptions{ApproveRenamed: true},
			want: Mapping{OrigColumns: []string{"id", "v"}, GhostColumns: []string{"row_id", "v"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"row_id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name:  "renamed columns are left out when skipped",
			orig:  table("t", []string{"id int", "a int null", "b int null"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "a2 int null", "b int null", "a int null"}, "PRIMARY(id)"),
			alter: "rename column a to a2, add column a int",
			opts:  MapOptions{SkipRenamed: true},
			want: Mapping{OrigColumns: []string{"id", "b"}, GhostColumns: []string{"id", "b"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
		{
			name:  "swapped column names map crosswise",
			orig:  table("t", []string{"id int", "a int", "b int"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "b int", "a int"}, "PRIMARY(id)"),
			alter: "change a b int, change b a int",
			opts:  MapOptions{ApproveRenamed: true},
			want: Mapping{OrigColumns: []string{"id", "a", "b"}, GhostColumns: []string{"id", "b", "a"},
				KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Map(tt.orig, tt.ghost, mustParse(t, tt.alter), tt.opts)
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Map\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestMapRefuses(t *testing.T) {
	tests := []struct {
		name        string
		orig, ghost *Table
		alter       string
		opts        MapOptions
		is          error
		says        []string
	}{
		{
			name:  "renames need the user's decision",
			orig:  table("t", []string{"id int", "a int", "B int"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "a2 int", "b2 int"}, "PRIMARY(id)"),
			alter: "change a a2 int, rename column b to b2",
			is:    ErrRenameNeedsApproval,
			says:  []string{"`a` to `a2`", "`B` to `b2`", "--approve-renamed-columns", "--skip-renamed-columns"},
		},
		{
			name:  "the two rename flags exclude each other",
			orig:  table("t", []string{"id int"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int"}, "PRIMARY(id)"),
			alter: "force",
			opts:  MapOptions{ApproveRenamed: true, SkipRenamed: true},
			says:  []string{"exclude each other"},
		},
		{
			name:  "a nullable unique key is not a key",
			orig:  table("t", []string{"a int null", "b int null"}, "UNIQUE ua(a)"),
			ghost: table("_t_gho", []string{"a int null", "b int null"}, "UNIQUE ua(a)"),
			alter: "modify b bigint",
			is:    ErrNoSharedKey,
			says:  []string{"`ua` (`a`): column `a` is nullable", "NOT NULL"},
		},
		{
			name:  "a floating point key is refused",
			orig:  table("t", []string{"f float", "v int"}, "PRIMARY(f)"),
			ghost: table("_t_gho", []string{"f float", "v int"}, "PRIMARY(f)"),
			alter: "modify v bigint",
			is:    ErrNoSharedKey,
			says:  []string{"column `f` is float, which cannot be compared exactly"},
		},
		{
			name:  "a key whose column turns nullable in the ghost is refused",
			orig:  table("t", []string{"a int", "v int"}, "UNIQUE ua(a)"),
			ghost: table("_t_gho", []string{"a int null", "v int"}, "UNIQUE ua(a)"),
			alter: "modify a int null",
			is:    ErrNoSharedKey,
			says:  []string{"column `a` is nullable in the ghost table"},
		},
		{
			name:  "a prefix key is refused",
			orig:  table("t", []string{"s varchar"}, "UNIQUE us(s:10)"),
			ghost: table("_t_gho", []string{"s varchar"}, "UNIQUE us(s:10)"),
			alter: "force",
			is:    ErrNoSharedKey,
			says:  []string{"indexes only a prefix of column `s`"},
		},
		{
			name:  "a table without unique keys has no key",
			orig:  table("t", []string{"a int", "b int"}, "KEY ka(a)"),
			ghost: table("_t_gho", []string{"a int", "b int"}, "KEY ka(a)"),
			alter: "modify b bigint",
			is:    ErrNoSharedKey,
			says:  []string{"Unique keys of `db`.`t`: none", "Unique keys of `db`.`_t_gho`: none", "needs a PRIMARY KEY"},
		},
		{
			name:  "a primary key moved to other columns with nothing else is no key",
			orig:  table("t", []string{"id int", "v int"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "v int"}, "PRIMARY(v)"),
			alter: "drop primary key, add primary key (v)",
			is:    ErrNoSharedKey,
			says: []string{"no shared unique key can be found after ALTER", // gh-ost's words
				"`PRIMARY` (`id`): the ghost table has no unique key over (`id`)",
				"`PRIMARY` (`v`): the original has no unique key over (`v`)"},
		},
		{
			name:  "a widened key with a nullable column is no key",
			orig:  table("t", []string{"id int", "v int null"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"id int", "v int null"}, "UNIQUE uv(id,v)"),
			alter: "drop primary key, add unique key uv (id, v)",
			is:    ErrNoSharedKey,
			says:  []string{"`PRIMARY` (`id`): the ghost table has no unique key over (`id`)"},
		},
		{
			name:  "a key over a dropped column is no key",
			orig:  table("t", []string{"id int", "v int"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"v int", "nid int"}, "PRIMARY(nid)"),
			alter: "drop column id, add column nid int primary key",
			is:    ErrNoSharedKey,
			says: []string{"column `id` is not copied: the alter drops it",
				"column `nid` holds no data copied from the original"},
		},
		{
			name:  "a renamed key column skipped is no key",
			orig:  table("t", []string{"id int", "v int"}, "PRIMARY(id)"),
			ghost: table("_t_gho", []string{"nid int", "v int"}, "PRIMARY(nid)"),
			alter: "rename column id to nid",
			opts:  MapOptions{SkipRenamed: true},
			is:    ErrNoSharedKey,
			says:  []string{"--skip-renamed-columns leaves it out"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Map(tt.orig, tt.ghost, mustParse(t, tt.alter), tt.opts)
			if err == nil {
				t.Fatalf("Map = %+v, want an error", got)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Map error %q is not %v", err, tt.is)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Map error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestNoSharedKeyErrorListsRejections(t *testing.T) {
	orig := table("t", []string{"f double", "n int null"}, "PRIMARY(f)", "UNIQUE un(n)")
	ghost := table("_t_gho", []string{"f double", "n int null"}, "PRIMARY(f)", "UNIQUE un(n)")
	_, err := Map(orig, ghost, nil, MapOptions{})
	var e *NoSharedKeyError
	if !errors.As(err, &e) {
		t.Fatalf("Map error = %v, want a *NoSharedKeyError", err)
	}
	if len(e.Orig) != 2 || e.Orig[0].Key != "PRIMARY" || e.Orig[1].Key != "un" {
		t.Errorf("original rejections = %+v, want PRIMARY then un", e.Orig)
	}
	if len(e.Ghost) != 2 || !strings.Contains(e.Ghost[0].Reason, "rejected above") {
		t.Errorf("ghost rejections = %+v, want both paired with rejected keys", e.Ghost)
	}
}

func TestNullableUniqueKeyNeedsPermission(t *testing.T) {
	orig := &Table{Name: "t", Columns: []Column{{Name: "u", DataType: "int", Nullable: true}, {Name: "v", DataType: "int", Nullable: true}},
		Keys: []Key{{Name: "u", Columns: []string{"u"}, Unique: true}}}
	ghost := &Table{Name: "_t_gho", Columns: orig.Columns, Keys: orig.Keys}
	if _, err := Map(orig, ghost, nil, MapOptions{}); !errors.Is(err, ErrNoSharedKey) {
		t.Fatalf("nullable key without permission: err = %v, want ErrNoSharedKey", err)
	}
	m, err := Map(orig, ghost, nil, MapOptions{AllowNullableKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.KeyName != "u" || !m.KeyNullable {
		t.Fatalf("mapping %+v, want key u marked nullable", m)
	}
}
