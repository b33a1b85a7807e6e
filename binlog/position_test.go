package binlog

import "testing"

func TestPositionCompare(t *testing.T) {
	cases := []struct {
		name string
		a, b Position
		want int
	}{
		{"equal positions are equal", Position{File: "bin.000001", Pos: 4}, Position{File: "bin.000001", Pos: 4}, 0},
		{"a lower offset is earlier", Position{File: "bin.000001", Pos: 4}, Position{File: "bin.000001", Pos: 900}, -1},
		{"a later file wins over any offset", Position{File: "bin.000002", Pos: 4}, Position{File: "bin.000001", Pos: 900}, 1},
		{"file numbers compare as numbers past their padding", Position{File: "bin.999999", Pos: 4}, Position{File: "bin.1000000", Pos: 4}, -1},
		{"gtid does not take part", Position{File: "bin.000001", Pos: 4, GTID: "0-1-9"}, Position{File: "bin.000001", Pos: 4, GTID: "0-1-1"}, 0},
		{"unnumbered names compare as text", Position{File: "a", Pos: 4}, Position{File: "b", Pos: 4}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.a.Compare(c.b); got != c.want {
				t.Errorf("%v.Compare(%v) = %d, want %d", c.a, c.b, got, c.want)
			}
			if got := c.b.Compare(c.a); got != -c.want {
				t.Errorf("%v.Compare(%v) = %d, want %d", c.b, c.a, got, -c.want)
			}
		})
	}
}

func TestMariaGTIDPos(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty is empty", "", ""},
		{"one domain round-trips", "0-1-42", "0-1-42"},
		{"domains are sorted", "2-1-5,0-3-9,1-1-1", "0-3-9,1-1-1,2-1-5"},
		{"spaces and newlines are ignored", " 1-1-1,\n0-1-2 ", "0-1-2,1-1-1"},
		{"a domain listed twice keeps its highest sequence", "0-1-5,0-2-7,0-3-6", "0-2-7"},
		{"large numbers survive", "4294967295-4294967295-18446744073709551615", "4294967295-4294967295-18446744073709551615"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := parseMariaGTIDPos(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.String(); got != c.want {
				t.Errorf("parse(%q).String() = %q, want %q", c.in, got, c.want)
			}
		})
	}
	for _, bad := range []string{"0-1", "x-1-2", "0-1-2-3", "0-1-", "-1-2-3", "0-4294967296-1"} {
		t.Run("rejects "+bad, func(t *testing.T) {
			if _, err := parseMariaGTIDPos(bad); err == nil {
				t.Errorf("parse(%q) succeeded", bad)
			}
		})
	}
	t.Run("equality ignores domain order", func(t *testing.T) {
		eq, err := equalMariaGTIDPos("1-1-1,0-1-2", "0-1-2,1-1-1")
		if err != nil || !eq {
			t.Errorf("equal = %v, %v; want true", eq, err)
		}
		eq, err = equalMariaGTIDPos("0-1-2", "0-1-3")
		if err != nil || eq {
			t.Errorf("equal = %v, %v; want false", eq, err)
		}
	})
}

func FuzzMariaGTIDPos(f *testing.F) {
	for _, s := range []string{"", "0-1-2", "0-1-2,1-2-3", "0-1-5,0-2-7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseMariaGTIDPos(s)
		if err != nil {
			return
		}
		again, err := parseMariaGTIDPos(p.String())
		if err != nil {
			t.Fatalf("reparse %q: %v", p.String(), err)
		}
		if again.String() != p.String() {
			t.Fatalf("not stable: %q then %q", p.String(), again.String())
		}
	})
}
