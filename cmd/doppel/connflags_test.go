package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every TLS mistake is a usage error that says what to do, found before
// anything connects.
func TestTLSFlagMistakesStopBeforeConnecting(t *testing.T) {
	t.Parallel()
	certs := testCerts(t)
	other := testCerts(t)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("just text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badCert := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(badCert, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca, cert, key := certs+"/ca.pem", certs+"/client-cert.pem", certs+"/client-key.pem"
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"--ssl-ca without --ssl", []string{"--ssl-ca=" + ca}, []string{"--ssl-ca only apply to TLS connections: add --ssl"}},
		{"all TLS options without --ssl", []string{"--ssl-ca=" + ca, "--ssl-cert=" + cert, "--ssl-key=" + key, "--ssl-allow-insecure"},
			[]string{"--ssl-ca, --ssl-cert, --ssl-key, --ssl-allow-insecure only apply to TLS connections: add --ssl"}},
		{"--ssl-allow-insecure without --ssl", []string{"--ssl-allow-insecure"}, []string{"--ssl-allow-insecure only apply", "add --ssl"}},
		{"a certificate without its key", []string{"--ssl", "--ssl-cert=" + cert}, []string{"--ssl-cert and --ssl-key go together"}},
		{"a key without its certificate", []string{"--ssl", "--ssl-key=" + key}, []string{"--ssl-cert and --ssl-key go together"}},
		{"a missing CA file", []string{"--ssl", "--ssl-ca=/nonexistent/ca.pem"}, []string{"--ssl-ca=/nonexistent/ca.pem: open /nonexistent/ca.pem: no such file", "give a readable PEM file"}},
		{"a CA file that is no PEM", []string{"--ssl", "--ssl-ca=" + notPEM}, []string{"holds no PEM certificate", "give a readable PEM file"}},
		{"a CA file with a broken certificate", []string{"--ssl", "--ssl-ca=" + badCert}, []string{"certificate 1: x509:"}},
		{"a key that is not the certificate's", []string{"--ssl", "--ssl-cert=" + cert, "--ssl-key=" + other + "/client-key.pem"},
			[]string{"private key does not match public key", "the private key that belongs to it"}},
		{"a missing client certificate", []string{"--ssl", "--ssl-cert=/nonexistent/c.pem", "--ssl-key=" + key}, []string{"--ssl-cert=/nonexistent/c.pem and --ssl-key=", "no such file"}},
		{"a client certificate that is no PEM", []string{"--ssl", "--ssl-cert=" + notPEM, "--ssl-key=" + key}, []string{"failed to find any PEM data"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(tc.args...)...)
			if out.code != exitUsage || out.called {
				t.Fatalf("exit code %d, migration called %v; stderr:\n%s", out.code, out.called, out.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, out.stderr)
				}
			}
		})
	}
}

func TestTLSFlagsTogether(t *testing.T) {
	t.Parallel()
	certs := testCerts(t)
	out := harness{}.run(t, withRequired("--ssl", "--ssl-ca="+certs+"/ca.pem", "--ssl-cert="+certs+"/client-cert.pem",
		"--ssl-key="+certs+"/client-key.pem", "--ssl-allow-insecure")...)
	if out.code != exitOK {
		t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
	}
	if got := describeTLS(out.cfg.TLS); got != "no verification, client certificate CN=doppel" {
		t.Errorf("TLS %q", got)
	}
	// The server name is set per connection, from the host dialled.
	if out.cfg.TLS.ServerName != "" {
		t.Errorf("base TLS configuration names server %q", out.cfg.TLS.ServerName)
	}
	if out := (harness{}).run(t, required...); out.cfg.TLS != nil {
		t.Errorf("TLS configured without --ssl")
	}
}

func TestMySQLTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		arg  string
		want time.Duration
		ok   bool
	}{
		{"--mysql-timeout=0", 0, true},
		{"--mysql-timeout=30", 30 * time.Second, true},
		{"--mysql-timeout=0.25", 250 * time.Millisecond, true},
		{"--mysql-timeout=86400", 24 * time.Hour, true},
		{"--mysql-timeout=-1", 0, false},
		{"--mysql-timeout=NaN", 0, false},
		{"--mysql-timeout=+Inf", 0, false},
		{"--mysql-timeout=1e12", 0, false},
		{"--mysql-timeout=0.0000001", 0, false},
	} {
		out := harness{}.run(t, withRequired(tc.arg)...)
		switch {
		case tc.ok && (out.code != exitOK || out.cfg.MySQLTimeout != tc.want):
			t.Errorf("%s: exit %d, timeout %v, want %v; stderr:\n%s", tc.arg, out.code, out.cfg.MySQLTimeout, tc.want, out.stderr)
		case !tc.ok && (out.code != exitUsage || out.called || !strings.Contains(out.stderr, "--mysql-timeout=") || !strings.Contains(out.stderr, "e.g. 30 or 2.5")):
			t.Errorf("%s: exit %d, called %v; stderr:\n%s", tc.arg, out.code, out.called, out.stderr)
		}
	}
}

// `doppel checksum` connects the way a migration does.
func TestChecksumCommandTakesTheConnectionFlags(t *testing.T) {
	t.Parallel()
	certs := testCerts(t)
	base := []string{"--database=d", "--table=t", "--against=_t_gho"}
	code, cfg, called, _, stderr := runChecksumCmd(t, nil, append(base, "--ssl", "--ssl-ca="+certs+"/ca.pem",
		"--ssl-cert="+certs+"/client-cert.pem", "--ssl-key="+certs+"/client-key.pem", "--mysql-timeout=7")...)
	if code != exitOK || !called {
		t.Fatalf("exit %d, called %v; stderr:\n%s", code, called, stderr)
	}
	if got := describeTLS(cfg.TLS); got != "verify with given CAs, client certificate CN=doppel" || cfg.MySQLTimeout != 7*time.Second {
		t.Errorf("TLS %q, timeout %v", got, cfg.MySQLTimeout)
	}
	for _, args := range [][]string{
		{"--ssl-ca=" + certs + "/ca.pem"},
		{"--ssl", "--ssl-ca=/nonexistent.pem"},
		{"--ssl", "--ssl-cert=" + certs + "/client-cert.pem"},
		{"--mysql-timeout=-3"},
	} {
		code, _, called, _, stderr := runChecksumCmd(t, nil, append(base, args...)...)
		if code != exitUsage || called || !strings.Contains(stderr, "doppel checksum: --") {
			t.Errorf("%v: exit %d, compared %v; stderr:\n%s", args, code, called, stderr)
		}
	}
}

// The control port listens on the loopback unless told otherwise, and an
// empty address is not taken as "every interface".
func TestServeTCPAddress(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, withRequired("--serve-tcp-port=7001")...)
	if out.code != exitOK || out.cfg.ServeTCPAddr != "127.0.0.1:7001" {
		t.Errorf("default: exit %d, address %q", out.code, out.cfg.ServeTCPAddr)
	}
	out = harness{}.run(t, withRequired("--serve-tcp-port=7001", "--serve-tcp-address=")...)
	if out.code != exitUsage || out.called || !strings.Contains(out.stderr, "--serve-tcp-address is empty") {
		t.Errorf("empty address: exit %d, called %v; stderr:\n%s", out.code, out.called, out.stderr)
	}
}
