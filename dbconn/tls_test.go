package dbconn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/doppel-dev/doppel/sandbox"
)

func TestLoadTLS(t *testing.T) {
	t.Parallel()
	c, err := sandbox.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := sandbox.NewCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a CA and a client certificate", func(t *testing.T) {
		cfg, err := LoadTLS(TLSFiles{CA: c.CA, Cert: c.ClientCert, Key: c.ClientKey})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.InsecureSkipVerify || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.MinVersion != tls.VersionTLS12 {
			t.Fatalf("config %+v", cfg)
		}
		// The pool is the given CA: it verifies the server certificate
		// that CA signed, and not one another CA signed.
		if err := verifyWith(cfg.RootCAs, c.ServerCert); err != nil {
			t.Errorf("own server certificate: %v", err)
		}
		if err := verifyWith(cfg.RootCAs, other.ServerCert); err == nil {
			t.Errorf("another CA's server certificate verified")
		}
	})
	t.Run("no CA means the system's", func(t *testing.T) {
		cfg, err := LoadTLS(TLSFiles{})
		if err != nil || cfg.RootCAs != nil || cfg.InsecureSkipVerify {
			t.Fatalf("config %+v, err %v", cfg, err)
		}
	})
	t.Run("allow insecure", func(t *testing.T) {
		cfg, err := LoadTLS(TLSFiles{AllowInsecure: true})
		if err != nil || !cfg.InsecureSkipVerify {
			t.Fatalf("config %+v, err %v", cfg, err)
		}
	})

	notPEM := filepath.Join(t.TempDir(), "x.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyOnly := filepath.Join(t.TempDir(), "key-only.pem")
	if b, err := os.ReadFile(c.ClientKey); err != nil || os.WriteFile(keyOnly, b, 0o600) != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files TLSFiles
		file  TLSFile
		want  string
	}{
		{"missing CA", TLSFiles{CA: "/nonexistent/ca.pem"}, TLSFileCA, "no such file"},
		{"CA without PEM", TLSFiles{CA: notPEM}, TLSFileCA, "holds no PEM certificate"},
		{"CA file holding only a key", TLSFiles{CA: keyOnly}, TLSFileCA, "holds no PEM certificate"},
		{"certificate without key", TLSFiles{Cert: c.ClientCert}, TLSFileClient, "needs both"},
		{"key without certificate", TLSFiles{Key: c.ClientKey}, TLSFileClient, "needs both"},
		{"mismatched pair", TLSFiles{Cert: c.ClientCert, Key: other.ClientKey}, TLSFileClient, "does not match"},
		{"missing key", TLSFiles{Cert: c.ClientCert, Key: "/nonexistent/key.pem"}, TLSFileClient, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadTLS(tc.files)
			var fe *TLSFileError
			if !errors.As(err, &fe) || fe.File != tc.file || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a TLSFileError for file %d saying %q", err, tc.file, tc.want)
			}
		})
	}
}

// verifyWith checks the certificate in certFile against pool alone.
func verifyWith(pool *x509.CertPool, certFile string) error {
	b, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return errors.New("no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"})
	return err
}

func TestEveryConnectionNamesItsHost(t *testing.T) {
	t.Parallel()
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	c := Config{Host: "db7.example", Port: 3306, User: "u", Password: "p", TLS: base}
	got := c.TLSConfig()
	if got == base || got.ServerName != "db7.example" || base.ServerName != "" {
		t.Fatalf("TLSConfig %p %q, base %p %q: want a copy naming the host", got, got.ServerName, base, base.ServerName)
	}
	if mc := c.driverConfig(); mc.TLS == nil || mc.TLS.ServerName != "db7.example" {
		t.Fatalf("driver config TLS %+v", mc.TLS)
	}
	// A DSN cannot carry the configuration; it must not pretend to.
	parsed, err := mysql.ParseDSN(c.DSN())
	if err != nil || parsed.TLS != nil || strings.Contains(c.DSN(), "tls=") {
		t.Fatalf("DSN %q parsed as %+v (%v)", c.DSN(), parsed, err)
	}
	if (Config{Host: "h"}).TLSConfig() != nil {
		t.Fatal("TLS without a base configuration")
	}
}
