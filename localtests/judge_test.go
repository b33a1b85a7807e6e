package main

import (
	"strings"
	"testing"
)

func rows(rs ...[]value) [][]value { return rs }

func v(s string) value { return value(s) }

func TestCompareTables(t *testing.T) {
	cols := []string{"id", "c"}
	base := table{Columns: cols, Rows: rows([]value{v("1"), v("a")}, []value{v("2"), nil})}
	tests := []struct {
		name      string
		ghost     [][]value
		wantEqual bool
		wantIn    []string
	}{
		{"identical rows are equal", rows([]value{v("1"), v("a")}, []value{v("2"), nil}), true, nil},
		{"NULL differs from the string NULL", rows([]value{v("1"), v("a")}, []value{v("2"), v("NULL")}), false,
			[]string{"first difference at row 2", `row 2: ("2", NULL)`, `row 2: ("2", "NULL")`}},
		{"NULL differs from the empty string", rows([]value{v("1"), v("a")}, []value{v("2"), value{}}), false,
			[]string{`row 2: ("2", "")`}},
		{"a trailing byte is a difference", rows([]value{v("1"), v("a\x00")}, []value{v("2"), nil}), false,
			[]string{`row 1: ("1", "a\x00")`}},
		{"a missing row is reported with the counts", rows([]value{v("1"), v("a")}), false,
			[]string{"rows: original 2, ghost 1", "ghost    (id, c): no more rows"}},
		{"an extra row is reported", rows([]value{v("1"), v("a")}, []value{v("2"), nil}, []value{v("3"), v("x")}), false,
			[]string{"rows: original 2, ghost 3; first difference at row 3", `row 3: ("3", "x")`}},
		{"invalid UTF-8 is shown escaped", rows([]value{v("1"), v("\xff")}, []value{v("2"), nil}), false,
			[]string{`("1", "\xff")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			equal, report := compareTables(base, table{Columns: cols, Rows: tt.ghost})
			if equal != tt.wantEqual {
				t.Fatalf("equal = %v, want %v (report %q)", equal, tt.wantEqual, report)
			}
			text := strings.Join(report, "\n")
			for _, w := range tt.wantIn {
				if !strings.Contains(text, w) {
					t.Errorf("report lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestCompareTablesShowsFewRows(t *testing.T) {
	var a, b [][]value
	for i := range 100 {
		a = append(a, []value{v(string(rune('a' + i%26)))})
		b = append(b, []value{v("z")})
	}
	_, report := compareTables(table{Columns: []string{"c"}, Rows: a}, table{Columns: []string{"c"}, Rows: b})
	if len(report) > 1+2*(1+maxDiffRows) {
		t.Errorf("report has %d lines, want at most %d:\n%s", len(report), 1+2*(1+maxDiffRows), strings.Join(report, "\n"))
	}
}

func TestDecodeTextRow(t *testing.T) {
	// "1", NULL, "", 300 bytes (a 0xfc length prefix)
	long := strings.Repeat("x", 300)
	raw := []byte{1, '1', 0xfb, 0}
	raw = append(raw, 0xfc, 300&0xff, 300>>8)
	raw = append(raw, long...)
	row, err := decodeTextRow(raw, 4)
	if err != nil {
		t.Fatal(err)
	}
	if string(row[0]) != "1" || row[1] != nil || row[2] == nil || len(row[2]) != 0 || string(row[3]) != long {
		t.Errorf("decodeTextRow = %q", row)
	}
	if _, err := decodeTextRow(raw, 5); err == nil {
		t.Error("decoding more values than the packet holds did not fail")
	}
	if _, err := decodeTextRow(raw, 3); err == nil {
		t.Error("leaving bytes of the packet undecoded did not fail")
	}
}

func TestStructureMissing(t *testing.T) {
	ddl := "CREATE TABLE `_gh_ost_test_gho` (\n  `id` int(11) NOT NULL AUTO_INCREMENT\n) ENGINE=InnoDB AUTO_INCREMENT=8 DEFAULT CHARSET=utf8mb4"
	if m := structureMissing(ddl, "AUTO_INCREMENT=8\n"); m != "" {
		t.Errorf("AUTO_INCREMENT=8 reported missing")
	}
	if m := structureMissing(ddl, "AUTO_INCREMENT=5\n"); m != "AUTO_INCREMENT=5" {
		t.Errorf("structureMissing = %q, want AUTO_INCREMENT=5", m)
	}
}

func TestFailureMessageFound(t *testing.T) {
	out := "{\"level\":\"error\",\"error\":\"Error 1067 (42000): Invalid default value for 'dt'\"}\n"
	if !failureMessageFound(out, "Invalid default value for 'dt'\n") {
		t.Error("message present in the output was not found")
	}
	if failureMessageFound(out, "FATAL Error 1067 (42000): Invalid default value for 'dt'") {
		t.Error("message absent from the output was found")
	}
	if !failureMessageFound(out, "\n") {
		t.Error("an empty expect_failure file must accept any failure")
	}
}

func TestLastError(t *testing.T) {
	out := `{"level":"info","message":"doppel starting"}
{"level":"error","error":"no shared unique key","message":"migration refused"}
{"level":"info","message":"bye"}
`
	if got, want := lastError(out), "migration refused: no shared unique key"; got != want {
		t.Errorf("lastError = %q, want %q", got, want)
	}
	if got := lastError("panic: boom\n\ngoroutine 1\n"); got != "goroutine 1" {
		t.Errorf("lastError of plain text = %q", got)
	}
}
