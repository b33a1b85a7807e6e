package main

import (
	"bufio"
	"errors"
	"flag"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// ghostFlagsFile is gh-ost's flag list (name, type, default), kept next to
// the repository by the team.
const ghostFlagsFile = "../../../shared/ghost-flags.tsv"

// TestFlagsMatchGhost checks that every flag gh-ost accepts exists in doppel
// with the same type and default, so any gh-ost command line parses, and
// that the only others are doppel's own.
func TestFlagsMatchGhost(t *testing.T) {
	t.Parallel()
	f, err := os.Open(ghostFlagsFile)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s not found; cannot compare with gh-ost's flags", ghostFlagsFile)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var o options
	flags := defineFlags(&o)
	goTypes := map[string]reflect.Type{
		"String":  reflect.TypeFor[string](),
		"Bool":    reflect.TypeFor[bool](),
		"Int":     reflect.TypeFor[int](),
		"Int64":   reflect.TypeFor[int64](),
		"Uint":    reflect.TypeFor[uint](),
		"Float64": reflect.TypeFor[float64](),
	}
	seen := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if n == 1 || len(cols) == 1 && cols[0] == "" {
			continue // header or blank
		}
		if len(cols) != 3 {
			t.Fatalf("%s:%d: want 3 tab-separated columns, got %q", ghostFlagsFile, n, sc.Text())
		}
		name, typ, def := cols[0], cols[1], cols[2]
		seen++
		fl := flags.Lookup(name)
		if fl == nil {
			t.Errorf("gh-ost flag --%s is not defined", name)
			continue
		}
		want, ok := goTypes[typ]
		if !ok {
			t.Fatalf("%s:%d: unknown type %q", ghostFlagsFile, n, typ)
		}
		got := fl.Value.(flag.Getter).Get()
		if reflect.TypeOf(got) != want {
			t.Errorf("--%s is %T, gh-ost's is %s", name, got, typ)
			continue
		}
		if wantDef := parseDefault(t, typ, def); !reflect.DeepEqual(got, wantDef) {
			t.Errorf("--%s defaults to %#v, gh-ost's to %#v", name, got, wantDef)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	defined := 0
	flags.VisitAll(func(*flag.Flag) { defined++ })
	for _, name := range ownFlags {
		if flags.Lookup(name) == nil {
			t.Errorf("doppel's own --%s is not defined", name)
		}
	}
	if defined != seen+len(ownFlags) {
		t.Errorf("doppel defines %d flags, gh-ost %d and doppel's own %d: doppel's must be gh-ost's plus ownFlags", defined, seen, len(ownFlags))
	}
}

func parseDefault(t *testing.T, typ, s string) any {
	t.Helper()
	var v any
	var err error
	switch typ {
	case "String":
		v, err = strconv.Unquote(s)
	case "Bool":
		v, err = strconv.ParseBool(s)
	case "Int":
		v, err = strconv.Atoi(s)
	case "Int64":
		v, err = strconv.ParseInt(s, 10, 64)
	case "Uint":
		var u uint64
		u, err = strconv.ParseUint(s, 10, 0)
		v = uint(u)
	case "Float64":
		v, err = strconv.ParseFloat(s, 64)
	}
	if err != nil {
		t.Fatalf("default %q of type %s: %v", s, typ, err)
	}
	return v
}
