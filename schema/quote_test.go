package schema

import "testing"

func TestQuoting(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"a plain name is backticked", QuoteIdent("users"), "`users`"},
		{"a backtick inside a name is doubled", QuoteIdent("we`ird"), "`we``ird`"},
		{"an empty name stays quoted", QuoteIdent(""), "``"},
		{"spaces and dots are kept inside the quotes", QuoteIdent("a b.c"), "`a b.c`"},
		{"a table is qualified by its database", QuoteTable("shop", "orders"), "`shop`.`orders`"},
		{"a table without a database is unqualified", QuoteTable("", "orders"), "`orders`"},
		{"both parts are escaped", QuoteTable("d`b", "t`"), "`d``b`.`t```"},
		{"a column list is quoted and comma-separated", ColumnList([]string{"id", "na`me", "x"}), "`id`, `na``me`, `x`"},
		{"an empty column list is empty", ColumnList(nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}
