package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// testCase is one directory in gh-ost's case format; see
// ../shared/ghost-localtests/README.md for what each file means.
type testCase struct {
	Name string
	Dir  string

	ExtraArgs      []string
	ExpectFailure  *string // nil: the run must succeed
	OrigColumns    string
	GhostColumns   string
	OrderBy        string // "" or "order by <file text>"
	SQLMode        *string
	IgnoreVersions string
	GTIDMode       string
	ExpectStruct   string
}

// file returns the path of one of the case's files if it exists.
func (c *testCase) file(name string) (string, bool) {
	p := filepath.Join(c.Dir, name)
	_, err := os.Stat(p)
	return p, err == nil
}

// discoverCases lists the case directories (those holding a create.sql) under
// each of dirs, skipping dirs that do not exist with a note. Case names must
// be unique across dirs: unsupported.txt and the filter name cases by it.
func discoverCases(dirs []string, note func(string)) ([]string, error) {
	var out []string
	seen := map[string]string{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			note(fmt.Sprintf("case directory %s does not exist; skipping it", dir))
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if _, err := os.Stat(filepath.Join(p, "create.sql")); err != nil {
				continue
			}
			if prev, dup := seen[e.Name()]; dup {
				return nil, fmt.Errorf("case %q exists in both %s and %s; case names must be unique", e.Name(), prev, p)
			}
			seen[e.Name()] = p
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return filepath.Base(out[i]) < filepath.Base(out[j]) })
	return out, nil
}

// loadCase reads a case directory. Values are read as gh-ost's harness reads
// them with $(cat file): trailing newlines dropped.
func loadCase(dir string) (*testCase, error) {
	c := &testCase{Name: filepath.Base(dir), Dir: dir, OrigColumns: "*", GhostColumns: "*"}
	read := func(name string) (string, bool, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		return strings.TrimRight(string(b), "\r\n"), true, nil
	}
	var err error
	text := func(name string) (string, bool) {
		if err != nil {
			return "", false
		}
		var s string
		var ok bool
		s, ok, err = read(name)
		return s, ok
	}
	if s, ok := text("extra_args"); ok {
		args, serr := splitShellWords(s)
		if serr != nil {
			return nil, fmt.Errorf("%s/extra_args: %w", dir, serr)
		}
		c.ExtraArgs = args
	}
	if s, ok := text("expect_failure"); ok {
		c.ExpectFailure = &s
	}
	if s, ok := text("orig_columns"); ok && strings.TrimSpace(s) != "" {
		c.OrigColumns = strings.TrimSpace(s)
	}
	if s, ok := text("ghost_columns"); ok && strings.TrimSpace(s) != "" {
		c.GhostColumns = strings.TrimSpace(s)
	}
	if s, ok := text("order_by"); ok && strings.TrimSpace(s) != "" {
		c.OrderBy = "order by " + strings.TrimSpace(s)
	}
	if s, ok := text("sql_mode"); ok {
		s = strings.TrimSpace(s)
		c.SQLMode = &s
	}
	if s, ok := text("ignore_versions"); ok {
		c.IgnoreVersions = strings.TrimSpace(s)
	}
	if s, ok := text("gtid_mode"); ok {
		c.GTIDMode = strings.TrimSpace(s)
	}
	if s, ok := text("expect_table_structure"); ok {
		c.ExpectStruct = s
	}
	if err != nil {
		return nil, fmt.Errorf("read case %s: %w", dir, err)
	}
	return c, nil
}
