package dbconn

import "testing"

func TestModePolicy(t *testing.T) {
	const server = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO"
	cases := []struct {
		name   string
		p      ModePolicy
		server string
		want   string
	}{
		{"default adds strict and keeps zero-date checks", ModePolicy{}, server,
			"STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"},
		{"allow zero in date drops both zero-date modes", ModePolicy{AllowZeroInDate: true}, server,
			"STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"},
		{"skip strict keeps the server's mode", ModePolicy{SkipStrict: true}, "NO_ENGINE_SUBSTITUTION",
			"NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO"},
		{"empty server mode", ModePolicy{}, "", "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"},
		{"no duplicates", ModePolicy{}, "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO", "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Apply(c.server); got != c.want {
				t.Fatalf("Apply(%q) = %q, want %q", c.server, got, c.want)
			}
		})
	}
}
