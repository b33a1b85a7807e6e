package schema

import "testing"

func TestParseAlterAcceptsEveryServerCharset(t *testing.T) {
	for _, text := range []string{
		// gh-ost's alter-charset case.
		"MODIFY `t1` varchar(128) CHARACTER SET utf8mb4 NOT NULL, MODIFY `t2` varchar(128) CHARACTER SET latin2 NOT NULL, MODIFY `tutf8` varchar(128) CHARACTER SET latin1 NOT NULL",
		"convert to character set cp1251",
		"add column c varchar(10) charset koi8r collate koi8r_bin",
		"modify c text character set utf16 collate utf16_unicode_ci",
		"default character set = hebrew",
		"modify c varchar(3) character set utf8mb3",
	} {
		if _, err := ParseAlter(text); err != nil {
			t.Errorf("ParseAlter(%q): %v", text, err)
		}
	}
	if _, err := ParseAlter("modify c varchar(3) character set klingon"); err == nil {
		t.Error("an unknown character set was accepted")
	}
}
