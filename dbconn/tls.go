package dbconn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/go-sql-driver/mysql"
)

// TLSFiles is how connections are encrypted, as gh-ost's --ssl-* flags say
// it: the server's certificate is verified against CA (the system roots when
// empty) unless AllowInsecure; Cert and Key, both or neither, are a client
// certificate for accounts that require one.
type TLSFiles struct {
	CA            string
	Cert, Key     string
	AllowInsecure bool
}

// TLSFile names which of TLSFiles a TLSFileError is about.
type TLSFile int

const (
	TLSFileCA     TLSFile = iota + 1 // TLSFiles.CA
	TLSFileClient                    // TLSFiles.Cert and TLSFiles.Key as a pair
)

// TLSFileError is a TLS file that cannot be used; File lets the caller name
// the option that gave it.
type TLSFileError struct {
	File TLSFile
	Err  error
}

func (e *TLSFileError) Error() string {
	if e.File == TLSFileCA {
		return fmt.Sprintf("CA certificate: %v", e.Err)
	}
	return fmt.Sprintf("client certificate and key: %v", e.Err)
}

func (e *TLSFileError) Unwrap() error { return e.Err }

// LoadTLS reads and checks the files now, so that a bad path or PEM stops
// the caller before any server is contacted. The result is a base
// configuration: Config.TLSConfig adds the server name per host.
func LoadTLS(f TLSFiles) (*tls.Config, error) {
	if (f.Cert == "") != (f.Key == "") {
		return nil, &TLSFileError{File: TLSFileClient, Err: errors.New("a client certificate needs both the certificate and its private key")}
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Skipping verification is the operator's explicit choice
		// (--ssl-allow-insecure), for servers with self-signed certificates.
		InsecureSkipVerify: f.AllowInsecure,
	}
	if f.CA != "" {
		pool, err := loadCA(f.CA)
		if err != nil {
			return nil, &TLSFileError{File: TLSFileCA, Err: err}
		}
		cfg.RootCAs = pool // nil RootCAs means the system roots
	}
	if f.Cert != "" {
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, &TLSFileError{File: TLSFileClient, Err: err}
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// loadCA parses every certificate in a PEM file. x509.CertPool's own
// AppendCertsFromPEM skips what it cannot parse and says only "none found",
// which does not tell an operator what is wrong with the file.
func loadCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue // a bundle may carry other blocks; only certificates count
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

// TLSConfig is c.TLS for c.Host: a copy whose ServerName is the host doppel
// dials, so the server's certificate is checked against that name or IP
// address. nil when c.TLS is nil (plaintext).
func (c Config) TLSConfig() *tls.Config {
	if c.TLS == nil {
		return nil
	}
	t := c.TLS.Clone()
	if t.ServerName == "" {
		t.ServerName = c.Host
	}
	return t
}

// IsTLSVerifyError tells whether err is the client refusing the server's
// certificate (unknown authority, wrong host name, expired), as opposed to
// the connection failing.
func IsTLSVerifyError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// IsNoTLS tells whether err is a server that offers no TLS refused because
// TLS was required.
func IsNoTLS(err error) bool {
	return errors.Is(err, mysql.ErrNoTLS)
}
