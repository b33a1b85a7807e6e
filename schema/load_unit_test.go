package schema

import (
	"reflect"
	"testing"
)

func TestParseEnumValues(t *testing.T) {
	tests := []struct {
		columnType string
		want       []string
	}{
		{"enum('a','b')", []string{"a", "b"}},
		{"set('x','y''z')", []string{"x", "y'z"}},
		{`enum('d\\e','f,g','','h"i')`, []string{`d\e`, "f,g", "", `h"i`}},
		{`enum('nl\nz','zero\0z','tab	z',' sp ')`, []string{"nl\nz", "zero\x00z", "tab\tz", " sp "}},
		{`enum('it\'s','x)y')`, []string{"it's", "x)y"}},
		{"enum('ü','日本')", []string{"ü", "日本"}},
	}
	for _, tt := range tests {
		got, err := parseEnumValues(tt.columnType)
		if err != nil {
			t.Errorf("parseEnumValues(%q): %v", tt.columnType, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseEnumValues(%q) = %q, want %q", tt.columnType, got, tt.want)
		}
	}
	for _, bad := range []string{"enum", "enum(", "enum('a'", "enum('a' 'b')", "enum(a)", "enum('a',)"} {
		if got, err := parseEnumValues(bad); err == nil {
			t.Errorf("parseEnumValues(%q) = %q, want an error", bad, got)
		}
	}
}

func TestIsGeneratedExtra(t *testing.T) {
	tests := map[string]bool{
		"":                     false,
		"auto_increment":       false,
		"VIRTUAL GENERATED":    true,
		"STORED GENERATED":     true,
		"PERSISTENT GENERATED": true,
		"DEFAULT_GENERATED":    false,
		"DEFAULT_GENERATED on update CURRENT_TIMESTAMP": false,
		"on update current_timestamp()":                 false,
		"INVISIBLE":                                     false,
	}
	for extra, want := range tests {
		if got := isGeneratedExtra(extra); got != want {
			t.Errorf("isGeneratedExtra(%q) = %v, want %v", extra, got, want)
		}
	}
}
