package schema

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAlter(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Alter // nil maps and slices compare as empty
	}{
		{
			name: "adding a column records it with its spelling",
			text: "add column NewCol int not null default 0",
			want: Alter{Text: "add column NewCol int not null default 0", Added: []string{"NewCol"}},
		},
		{
			name: "adding several columns in parentheses records each",
			text: "add column (a int, b varchar(10))",
			want: Alter{Text: "add column (a int, b varchar(10))", Added: []string{"a", "b"}},
		},
		{
			name: "dropping a column records it lower-cased",
			text: "DROP COLUMN OldCol",
			want: Alter{Text: "DROP COLUMN OldCol", Dropped: []string{"oldcol"}},
		},
		{
			name: "multiple specs are all recorded",
			text: "add column x int, drop column y, drop z, add index ix (x)",
			want: Alter{Text: "add column x int, drop column y, drop z, add index ix (x)",
				Added: []string{"x"}, Dropped: []string{"y", "z"}},
		},
		{
			name: "change with a new name is a rename and a change",
			text: "change column Old New bigint not null",
			want: Alter{Text: "change column Old New bigint not null",
				Renames:        map[string]string{"old": "New"},
				ChangesColumns: map[string]string{"old": "`New` BIGINT NOT NULL"}},
		},
		{
			name: "change with the same name is only a change",
			text: "change c c bigint",
			want: Alter{Text: "change c c bigint", ChangesColumns: map[string]string{"c": "`c` BIGINT"}},
		},
		{
			name: "change that only respells the name is no rename",
			text: "change c C int",
			want: Alter{Text: "change c C int", ChangesColumns: map[string]string{"c": "`C` INT"}},
		},
		{
			name: "modify is a change",
			text: "modify column c varchar(20) character set utf8mb4",
			want: Alter{Text: "modify column c varchar(20) character set utf8mb4",
				ChangesColumns: map[string]string{"c": "`c` VARCHAR(20) CHARACTER SET UTF8MB4"}},
		},
		{
			name: "rename column is a rename",
			text: "rename column a to b",
			want: Alter{Text: "rename column a to b", Renames: map[string]string{"a": "b"}},
		},
		{
			name: "rename to renames the table",
			text: "rename to other",
			want: Alter{Text: "rename to other", RenamesTable: true, NewTableName: "other"},
		},
		{
			name: "rename as renames the table",
			text: "add column x int, rename as other",
			want: Alter{Text: "add column x int, rename as other", Added: []string{"x"},
				RenamesTable: true, NewTableName: "other"},
		},
		{
			name: "rename index is not a table rename",
			text: "rename index a to b",
			want: Alter{Text: "rename index a to b"},
		},
		{
			name: "engine only is a rebuild",
			text: "engine=innodb",
			want: Alter{Text: "engine=innodb", Engine: "innodb"},
		},
		{
			name: "an auto_increment table option is noted",
			text: "auto_increment=100",
			want: Alter{Text: "auto_increment=100", SetsAutoIncrement: true},
		},
		{
			name: "a full alter table statement gives its table and clause",
			text: "ALTER TABLE `my``db`.tbl add column x int;",
			want: Alter{Text: "add column x int", Database: "my`db", Table: "tbl", Added: []string{"x"}},
		},
		{
			name: "a full statement with comments, ignore and if exists",
			text: "/* c */ alter ignore table if exists t -- why\n add unique key (a) # end",
			want: Alter{Text: "add unique key (a)", Table: "t", Ignore: true, AddsUniqueKey: true},
		},
		{
			name: "a clause starting with alter column is no statement",
			text: "alter column c set default 1",
			want: Alter{Text: "alter column c set default 1"},
		},
		{
			name: "primary key replacement is seen",
			text: "drop primary key, add primary key (uk_col)",
			want: Alter{Text: "drop primary key, add primary key (uk_col)",
				DropsPrimaryKey: true, AddsPrimaryKey: true, AddsUniqueKey: true},
		},
		{
			name: "drop index primary drops the primary key",
			text: "drop index `PRIMARY`, drop index ix",
			want: Alter{Text: "drop index `PRIMARY`, drop index ix", DropsPrimaryKey: true, DroppedKeys: []string{"ix"}},
		},
		{
			name: "a column declared unique adds a unique key",
			text: "add column e varchar(100) unique",
			want: Alter{Text: "add column e varchar(100) unique", Added: []string{"e"}, AddsUniqueKey: true},
		},
		{
			name: "foreign keys are seen",
			text: "add constraint fk foreign key (a) references p (id), drop foreign key old_fk",
			want: Alter{Text: "add constraint fk foreign key (a) references p (id), drop foreign key old_fk",
				AddsForeignKey: true, DropsForeignKey: true},
		},
		{
			name: "a semicolon inside a string is kept",
			text: "  add column x int comment 'a;b' ;  ",
			want: Alter{Text: "add column x int comment 'a;b'", Added: []string{"x"}},
		},
		{
			name: "executable comments are code and stay",
			text: "add column x int /*!50000 comment 'c' */ -- trailing",
			want: Alter{Text: "add column x int /*!50000 comment 'c' */", Added: []string{"x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAlter(tt.text)
			if err != nil {
				t.Fatalf("ParseAlter(%q): %v", tt.text, err)
			}
			if tt.want.Renames == nil {
				tt.want.Renames = map[string]string{}
			}
			if tt.want.ChangesColumns == nil {
				tt.want.ChangesColumns = map[string]string{}
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseAlter(%q)\n got %+v\nwant %+v", tt.text, *got, tt.want)
			}
		})
	}
}

func TestParseAlterRefuses(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		is      error
		message string
	}{
		{"garbage", "xyzzy plugh", ErrAlterSyntax, `line 1 column 5 near "xyzzy plugh"`},
		{"an unfinished clause", "add column x int,\n drop column", ErrAlterSyntax, "line 2 column 13: unexpected end of text"},
		{"an empty text", "   ", ErrEmptyAlter, ""},
		{"only a comment", "/* nothing */", ErrEmptyAlter, ""},
		{"a statement without a clause", "ALTER TABLE t;", ErrEmptyAlter, ""},
		{"a second statement", "add column x int; drop table users", ErrAlterSyntax, "2 statements"},
		{"another table smuggled in", ".other add column x int", ErrAlterSyntax, "not an alter table clause"},
		{"a statement of another kind", "analyze partition p1", ErrAlterSyntax, "not an alter table clause"},
		{"a statement without a table name", "alter table ;", ErrAlterSyntax, "no table name"},
		{"a qualified name without its table", "alter table db.;", ErrAlterSyntax, "no table name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAlter(tt.text)
			if !errors.Is(err, tt.is) {
				t.Fatalf("ParseAlter(%q) = %+v, %v; want %v", tt.text, got, err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
		})
	}
}

func TestTrimClause(t *testing.T) {
	tests := map[string]string{
		"":                               "",
		"  a  ":                          "a",
		"a;":                             "a",
		"a ; ;":                          "a",
		"a -- c":                         "a",
		"a --c":                          "a --c", // not a comment without the space
		"a # c\n":                        "a",
		"/* x */ a /* y */":              "a",
		"a /*! b */":                     "a /*! b */",
		"a /*M! b */":                    "a /*M! b */",
		"a 'x -- y'":                     "a 'x -- y'",
		"a 'it''s' -- c":                 "a 'it''s'",
		`a 'x\' -- y'`:                   `a 'x\' -- y'`,
		"a `col -- c`":                   "a `col -- c`",
		"a \"str # c\" # c":              "a \"str # c\"",
		"a 'unterminated -- whatever":    "a 'unterminated -- whatever",
		"a /* unterminated comment":      "a",
		"add x int comment 'a;b' ; -- z": "add x int comment 'a;b'",
	}
	for in, want := range tests {
		if got := trimClause(in); got != want {
			t.Errorf("trimClause(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseAlter(f *testing.F) {
	for _, s := range []string{
		"add column x int, drop column y",
		"engine=innodb",
		"ALTER TABLE `d`.`t` change a b bigint unsigned not null default 3 comment 'x;y'",
		"rename column a to b, rename to c",
		"drop primary key, add primary key (a, b)",
		"add column e enum('a','b''c') /*!50000 comment 'x' */ -- c",
		"alter online ignore table if exists t modify c int",
		"; drop table x",
		"`",
		"'",
		"/*",
		"alter table `",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, err := ParseAlter(text)
		if err != nil {
			return
		}
		if a.Text == "" {
			t.Errorf("ParseAlter(%q) accepted an empty clause", text)
		}
		// doppel runs the user's own words, never text of its making.
		if !strings.Contains(text, a.Text) {
			t.Errorf("ParseAlter(%q).Text = %q is not part of the input", text, a.Text)
		}
		// What doppel will run must itself be an alter clause that parses
		// to the same thing.
		again, err := ParseAlter(a.Text)
		if err != nil {
			t.Fatalf("ParseAlter(%q).Text = %q does not parse again: %v", text, a.Text, err)
		}
		if again.Text != a.Text {
			t.Errorf("ParseAlter(%q).Text = %q, but parsing that gives %q", text, a.Text, again.Text)
		}
		if !reflect.DeepEqual(again.Renames, a.Renames) || !reflect.DeepEqual(again.Dropped, a.Dropped) ||
			!reflect.DeepEqual(again.Added, a.Added) || again.RenamesTable != a.RenamesTable {
			t.Errorf("ParseAlter(%q) = %+v, but its Text parses to %+v", text, a, again)
		}
	})
}
