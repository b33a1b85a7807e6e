package main

import "testing"

func TestAlterTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alter     string
		db, table string
		ok        bool
	}{
		{"ADD COLUMN c INT", "", "", false},
		{"ALTER TABLE t ADD COLUMN c INT", "", "t", true},
		{"alter table shop.orders engine=innodb", "shop", "orders", true},
		{"  ALTER\n\tTABLE  `shop`.`orders` ADD c INT", "shop", "orders", true},
		{"ALTER TABLE `a``b` ADD c INT", "", "a`b", true},
		{"ALTER TABLE `x``; DROP TABLE y; --` ADD COLUMN `n``ew;` INT", "", "x`; DROP TABLE y; --", true},
		{"ALTER TABLE `with space`.t2 DROP x", "with space", "t2", true},
		{"ALTER ONLINE IGNORE TABLE t ADD c INT", "", "t", true},
		{"ALTER TABLE IF EXISTS shop.t ADD c INT", "shop", "t", true},
		{"ALTER TABLE if_t ADD c INT", "", "if_t", true},
		{"ALTER TABLE `if` ADD c INT", "", "if", true},
		{"ALTER TABLE t_ä$1 ADD c INT", "", "t_ä$1", true},
		{"ALTER TABLE", "", "", false},
		{"ALTER TABLE `unterminated ADD c INT", "", "", false},
		{"ALTER TABLE shop. ADD c INT", "", "", false},
		{"ALTER VIEW v AS SELECT 1", "", "", false},
		{"ALTERTABLE t", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.alter, func(t *testing.T) {
			t.Parallel()
			db, table, ok := alterTarget(tc.alter)
			if db != tc.db || table != tc.table || ok != tc.ok {
				t.Errorf("got (%q, %q, %v), want (%q, %q, %v)", db, table, ok, tc.db, tc.table, tc.ok)
			}
		})
	}
}

func TestCheckHostPort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"primary", true},
		{"primary:3306", true},
		{"10.0.0.1:3307", true},
		{"[::1]:3306", true},
		{"::1", true},
		{"primary:", false},
		{"primary:0", false},
		{"primary:http", false},
		{":3306", false},
		{"[::1]", false},
	}
	for _, tc := range tests {
		if got := checkHostPort(tc.in) == ""; got != tc.ok {
			t.Errorf("checkHostPort(%q) ok=%v, want %v (%q)", tc.in, got, tc.ok, checkHostPort(tc.in))
		}
	}
}
