package main

import (
	"reflect"
	"testing"
)

func TestSplitShellWords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"an empty file has no arguments", "", nil},
		{"blank lines and spaces have no arguments", " \n\t\n", nil},
		{"words split on blanks", "--a  --b\t--c\n--d", []string{"--a", "--b", "--c", "--d"}},
		{"double quotes keep single quotes inside",
			`--alter="change e e enum('red', 'green') null default null collate 'utf8_bin'" `,
			[]string{"--alter=change e e enum('red', 'green') null default null collate 'utf8_bin'"}},
		{"single quotes keep backticks and double quotes",
			"--alter='MODIFY `t1` varchar(128) CHARACTER SET utf8mb4 NOT NULL, comment \"x\"'",
			[]string{"--alter=MODIFY `t1` varchar(128) CHARACTER SET utf8mb4 NOT NULL, comment \"x\""}},
		{"a flag and its value may be separate words",
			`--panic-on-warnings --alter "add unique index name_index(name)"`,
			[]string{"--panic-on-warnings", "--alter", "add unique index name_index(name)"}},
		{"backslash escapes inside double quotes", `"a\"b\\c\$d\e"`, []string{`a"b\c$d\e`}},
		{"backslash outside quotes escapes one character", `a\ b \'c`, []string{"a b", "'c"}},
		{"backslash-newline continues the line", "--a \\\n--b", []string{"--a", "--b"}},
		{"adjacent quoted parts make one word", `--x='a b'"c d"e`, []string{"--x=a bc de"}},
		{"an empty quoted string is an argument", `--a '' ""`, []string{"--a", "", ""}},
		{"a lone dollar sign is literal", `"price $ 5" a$`, []string{"price $ 5", "a$"}},
		{"a comment runs to the end of the line", "--a # --b\n--c", []string{"--a", "--c"}},
		{"a hash inside a word is literal", "--a=b#c", []string{"--a=b#c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitShellWords(tt.in)
			if err != nil {
				t.Fatalf("splitShellWords(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitShellWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitShellWordsRefusesWhatBashWouldExpand(t *testing.T) {
	for _, in := range []string{
		`--alter="x" ; rm -rf /`,
		"--alter=`date`",
		`--alter="$(date)"`,
		`--alter=$HOME`,
		`--alter="${x}"`,
		`--a | tee x`,
		`--a > out`,
		`--alter='unterminated`,
		`--alter="unterminated`,
		`trailing\`,
	} {
		if got, err := splitShellWords(in); err == nil {
			t.Errorf("splitShellWords(%q) = %q, want an error", in, got)
		}
	}
}

func TestShellQuoteRoundTrips(t *testing.T) {
	args := []string{"bin/doppel", "--alter=add column x int comment 'it''s'", "--a", "", "--b=`x` \"y\" $z"}
	got, err := splitShellWords(shellQuote(args))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, args) {
		t.Errorf("round trip = %q, want %q", got, args)
	}
}
