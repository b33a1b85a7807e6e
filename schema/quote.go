package schema

import "strings"

// QuoteIdent quotes a name for MySQL SQL text. Names come from the server or
// the command line, so a backtick inside one is doubled rather than trusted.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteTable quotes a database-qualified table name; an empty database
// leaves the table unqualified.
func QuoteTable(database, table string) string {
	if database == "" {
		return QuoteIdent(table)
	}
	return QuoteIdent(database) + "." + QuoteIdent(table)
}

// ColumnList quotes each name and joins them with commas, the form of a
// column list in SELECT, INSERT and ORDER BY.
func ColumnList(cols []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteIdent(c))
	}
	return b.String()
}
