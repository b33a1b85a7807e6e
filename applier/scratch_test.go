//go:build scratch

package applier

import (
	"database/sql"
	"fmt"
	"testing"

	_ "github.com/go-sql-driver/mysql"
)

func TestScratch(t *testing.T) {
	db, err := sql.Open("mysql", "doppel:doppel@tcp(127.0.0.1:33917)/s?charset=utf8mb4&time_zone=%27%2B00%3A00%27")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ex := func(q string, args ...any) {
		_, err := db.Exec(q, args...)
		fmt.Printf("%s %v -> err=%v\n", q, args, err)
	}
	show := func(q string) {
		rows, err := db.Query(q)
		if err != nil {
			fmt.Println(q, err)
			return
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = fmt.Sprintf("%q", b)
				}
			}
			fmt.Println(q, "=>", vals)
		}
		rows.Close()
	}
	ex("DROP TABLE IF EXISTS t2")
	ex("CREATE TABLE t2 (id int primary key, vb varbinary(10), l varchar(10) charset latin1, lt text charset latin1, u varchar(10) charset utf8mb4)")
	bad := []byte{0xe9, 0xff}
	ex("INSERT INTO t2 (id,vb) VALUES (1, ?)", bad)
	ex("INSERT INTO t2 (id,vb) VALUES (2, CAST(? AS BINARY))", bad)
	ex("INSERT INTO t2 (id,l) VALUES (3, ?)", bad)
	ex("INSERT INTO t2 (id,l) VALUES (4, CONVERT(? USING binary))", bad)
	ex("INSERT INTO t2 (id,l) VALUES (5, CONVERT(UNHEX(?) USING latin1))", "E9FF")
	ex("INSERT INTO t2 (id,u) VALUES (6, CONVERT(UNHEX(?) USING latin1))", "E9FF")
	ex("INSERT INTO t2 (id,l) VALUES (7, CONVERT(CONVERT(? USING binary) USING latin1))", bad)
	ex("INSERT INTO t2 (id,l) VALUES (8, CAST(? AS CHAR CHARACTER SET latin1))", bad)
	ex("INSERT INTO t2 (id,l) VALUES (9, CONVERT(? USING latin1))", []byte{0x41, 0x42})
	ex("INSERT INTO t2 (id,l) VALUES (10, CONVERT(BINARY ? USING latin1))", bad)
	ex("INSERT INTO t2 (id,l) VALUES (11, CONVERT(CAST(? AS BINARY) USING latin1))", []byte{0xe9, 0x41})
	ex("INSERT INTO t2 (id,l) VALUES (12, CONVERT(? USING latin1))", []byte{0xc3, 0xa9})
	show("SELECT id, HEX(vb), HEX(l), HEX(lt), HEX(u) FROM t2")
	show("SELECT @@character_set_client, @@character_set_connection, @@collation_connection")
}
