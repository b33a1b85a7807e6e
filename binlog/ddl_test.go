package binlog

import (
	"slices"
	"testing"
)

func TestMatchStatement(t *testing.T) {
	watched := map[string]bool{"orders": true, "_orders_ghc": true}
	cases := []struct {
		name       string
		stmt, dflt string
		tables     []string
		database   bool
	}{
		{"an alter in the watched database matches", "ALTER TABLE orders ADD COLUMN x int", "shop", []string{"orders"}, false},
		{"a qualified name matches from any default schema", "alter table `shop`.`orders` drop column x", "other", []string{"orders"}, false},
		{"an unqualified name in another schema does not match", "ALTER TABLE orders ADD x int", "other", nil, false},
		{"a name qualified with another schema does not match", "DROP TABLE other.orders", "shop", nil, false},
		{"names compare without case", "RENAME TABLE Orders TO old_orders", "SHOP", []string{"orders"}, false},
		{"every watched table named is listed once", "RENAME TABLE orders TO x, _orders_ghc TO y, orders TO z", "shop", []string{"orders", "_orders_ghc"}, false},
		{"a different table does not match", "ALTER TABLE orders_archive ADD x int", "shop", nil, false},
		{"string literals are not names", "ALTER TABLE customers COMMENT 'orders'", "shop", nil, false},
		{"plain comments are not names", "/* orders */ ALTER TABLE customers ADD x int -- orders\n", "shop", nil, false},
		{"hash comments are not names", "ALTER TABLE customers ADD x int # orders", "shop", nil, false},
		{"versioned comments are code", "/*!40000 ALTER TABLE `orders` DISABLE KEYS */", "shop", []string{"orders"}, false},
		{"mariadb versioned comments are code", "/*M!100100 ALTER TABLE orders FORCE */", "shop", []string{"orders"}, false},
		{"a backquoted name with a doubled quote", "CREATE TABLE `a``b` LIKE orders", "shop", []string{"orders"}, false},
		{"truncate matches", "TRUNCATE TABLE orders", "shop", []string{"orders"}, false},
		{"statement-logged dml matches", "INSERT INTO shop.orders VALUES (1)", "", []string{"orders"}, false},
		{"a column qualified with schema and table matches its table", "CREATE VIEW v AS SELECT shop.orders.id FROM t", "x", []string{"orders"}, false},
		{"analyze is harmless", "ANALYZE TABLE orders", "shop", nil, false},
		{"optimize is harmless", "OPTIMIZE TABLE orders", "shop", nil, false},
		{"dropping the watched database matches", "DROP DATABASE IF EXISTS `shop`", "", nil, true},
		{"dropping another database does not", "DROP SCHEMA other", "shop", nil, false},
		{"an escaped quote does not end a literal", `ALTER TABLE customers COMMENT 'it\'s orders' `, "shop", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := matchStatement(c.stmt, c.dflt, "shop", watched)
			if !slices.Equal(m.tables, c.tables) || m.database != c.database {
				t.Errorf("matchStatement(%q, %q) = %+v, want tables %v database %v", c.stmt, c.dflt, m, c.tables, c.database)
			}
		})
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"ALTER TABLE `a``b` ADD c int", "/*!40000 x */", "'unterminated", "`open", "-- c\nx", "/* open"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Must terminate without panicking on any input.
		matchStatement(s, "shop", "shop", map[string]bool{"orders": true})
	})
}
