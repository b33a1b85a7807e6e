package schema

import (
	"github.com/pingcap/tidb/pkg/parser/charset"
)

// serverCharsets are the character sets MariaDB and MySQL accept in column
// and table definitions. The parser only accepts the few TiDB implements
// (utf8, utf8mb4, ascii, latin1, binary, gbk, gb18030) and rejects every
// other one as unknown, so an ALTER such as "MODIFY t varchar(10) CHARACTER
// SET latin2" would be refused although the server runs it. doppel only
// reads the ALTER's structure, never encodes text with these, so it is
// enough for the parser to know their names and collations (which it already
// does, as "unsupported").
var serverCharsets = []string{
	"armscii8", "ascii", "big5", "binary", "cp1250", "cp1251", "cp1256", "cp1257",
	"cp850", "cp852", "cp866", "cp932", "dec8", "eucjpms", "euckr", "gb18030",
	"gb2312", "gbk", "geostd8", "greek", "hebrew", "hp8", "keybcs2", "koi8r",
	"koi8u", "latin1", "latin2", "latin5", "latin7", "macce", "macroman", "sjis",
	"swe7", "tis620", "ucs2", "ujis", "utf16", "utf16le", "utf32", "utf8",
	"utf8mb4",
}

func init() {
	for _, name := range serverCharsets {
		// For a charset the parser knows but does not support, it returns
		// the charset's description together with an "unsupported" error.
		if c, err := charset.GetCharsetInfo(name); c != nil && err != nil {
			charset.AddCharset(c)
		}
	}
}
