package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// value is one cell exactly as the server sent it in the text protocol; nil
// is SQL NULL, which is distinct from the string 'NULL' and from the empty
// string.
type value []byte

// table is a query result kept byte for byte.
type table struct {
	Columns []string
	Rows    [][]value
}

// maxDiffRows bounds how many rows of each side a diff report shows.
const maxDiffRows = 3

// compareTables reports whether orig and ghost hold the same rows in the same
// order with the same bytes, and if not, a report of the first difference:
// the row counts, then a few rows of each side starting at the first row that
// differs. Column names are not compared (the cases compare renamed columns).
func compareTables(orig, ghost table) (equal bool, report []string) {
	first := -1
	n := min(len(orig.Rows), len(ghost.Rows))
	for i := 0; i < n; i++ {
		if !rowsEqual(orig.Rows[i], ghost.Rows[i]) {
			first = i
			break
		}
	}
	if first < 0 {
		if len(orig.Rows) == len(ghost.Rows) {
			return true, nil
		}
		first = n
	}
	report = append(report, fmt.Sprintf("rows: original %d, ghost %d; first difference at row %d (1-based)",
		len(orig.Rows), len(ghost.Rows), first+1))
	report = append(report, sideReport("original", orig, first)...)
	report = append(report, sideReport("ghost   ", ghost, first)...)
	return false, report
}

func rowsEqual(a, b []value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sideReport(label string, t table, from int) []string {
	head := fmt.Sprintf("%s (%s):", label, strings.Join(t.Columns, ", "))
	if from >= len(t.Rows) {
		return []string{head + " no more rows"}
	}
	lines := []string{head}
	for i := from; i < len(t.Rows) && i < from+maxDiffRows; i++ {
		lines = append(lines, fmt.Sprintf("  row %d: %s", i+1, formatRow(t.Rows[i])))
	}
	return lines
}

// formatRow shows values so that every byte difference is visible: strings
// are Go-quoted (non-printable and invalid UTF-8 bytes escaped) and NULL is
// bare, so NULL and 'NULL' look different.
func formatRow(r []value) string {
	parts := make([]string, len(r))
	for i, v := range r {
		if v == nil {
			parts[i] = "NULL"
		} else {
			parts[i] = strconv.Quote(string(v))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// structureMissing returns the expected text when SHOW CREATE TABLE output
// does not contain it, and "" when it does. gh-ost's harness greps for the
// file's text, so a plain substring test is the same judgement.
func structureMissing(showCreate, expected string) string {
	expected = strings.TrimRight(expected, "\r\n")
	if expected == "" || strings.Contains(showCreate, expected) {
		return ""
	}
	return expected
}

// failureMessageFound reports whether doppel's output contains the text of an
// expect_failure file; an empty file accepts any failure.
func failureMessageFound(output, expected string) bool {
	expected = strings.TrimRight(expected, "\r\n")
	return expected == "" || strings.Contains(output, expected)
}
