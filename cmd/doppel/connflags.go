package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/doppel-dev/doppel/dbconn"
)

// maxMySQLTimeout bounds --mysql-timeout: a day is already far beyond any
// statement doppel runs, and a larger float would overflow a Duration.
const maxMySQLTimeout = 24 * time.Hour

// bindConnectionFlags registers how doppel reaches MySQL beyond host, port
// and credentials: gh-ost's TLS and timeout flags. The migration and `doppel
// checksum` share them.
func bindConnectionFlags(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.ssl, "ssl", false, "connect over TLS: every connection (inspected server, primary, control replicas, binlog stream) is encrypted, and each server's certificate is verified against the system's CAs or --ssl-ca and against the host as given")
	fs.StringVar(&o.sslCA, "ssl-ca", "", "PEM file of the CA that signed the servers' certificates, instead of the system's CAs (needs --ssl)")
	fs.StringVar(&o.sslCert, "ssl-cert", "", "PEM client certificate, for accounts created with REQUIRE X509 or SUBJECT (needs --ssl and --ssl-key)")
	fs.StringVar(&o.sslKey, "ssl-key", "", "PEM private key of --ssl-cert (needs --ssl and --ssl-cert)")
	fs.BoolVar(&o.sslAllowInsecure, "ssl-allow-insecure", false, "encrypt, but do not verify the servers' certificate chain and host name (needs --ssl)")
	fs.Float64Var(&o.mysqlTimeout, "mysql-timeout", 0, "seconds (e.g. 30 or 2.5) doppel's SQL connections wait to connect and for each read or write; a statement still running then fails, so keep it above --cut-over-lock-timeout-seconds (0: 30s to connect, reads and writes unbounded). Not the binlog stream, which waits for events as long as the server's heartbeats arrive")
}

// connectionSettings checks the TLS and timeout flags together and loads the
// TLS files now, so a typo or a bad file stops doppel before it connects.
func connectionSettings(o *options) (*tls.Config, time.Duration, []string) {
	var problems []string
	var timeout time.Duration
	switch v := o.mysqlTimeout; {
	case math.IsNaN(v) || v < 0 || v > maxMySQLTimeout.Seconds() || v > 0 && v < 0.001:
		problems = append(problems, fmt.Sprintf("--mysql-timeout=%g: give a number of seconds from 0.001 to %d, e.g. 30 or 2.5, or 0 for the defaults", v, int(maxMySQLTimeout.Seconds())))
	default:
		timeout = time.Duration(v * float64(time.Second))
	}
	cfg, msg := tlsSettings(o)
	if msg != "" {
		problems = append(problems, msg)
	}
	return cfg, timeout, problems
}

// tlsSettings builds the TLS configuration of gh-ost's --ssl flags; nil
// without --ssl. A problem is returned as the message to print.
func tlsSettings(o *options) (*tls.Config, string) {
	if !o.ssl {
		var given []string
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"--ssl-ca", o.sslCA != ""},
			{"--ssl-cert", o.sslCert != ""},
			{"--ssl-key", o.sslKey != ""},
			{"--ssl-allow-insecure", o.sslAllowInsecure},
		} {
			if f.set {
				given = append(given, f.name)
			}
		}
		if len(given) > 0 {
			return nil, fmt.Sprintf("%s only apply to TLS connections: add --ssl, or drop them to connect in plaintext", strings.Join(given, ", "))
		}
		return nil, ""
	}
	if (o.sslCert == "") != (o.sslKey == "") {
		return nil, "--ssl-cert and --ssl-key go together: give the client certificate and its private key, or neither"
	}
	cfg, err := dbconn.LoadTLS(dbconn.TLSFiles{CA: o.sslCA, Cert: o.sslCert, Key: o.sslKey, AllowInsecure: o.sslAllowInsecure})
	var fe *dbconn.TLSFileError
	switch {
	case err == nil:
		return cfg, ""
	case errors.As(err, &fe) && fe.File == dbconn.TLSFileCA:
		return nil, fmt.Sprintf("--ssl-ca=%s: %v; give a readable PEM file holding the certificate of the CA that signed the servers' certificates", o.sslCA, fe.Err)
	case errors.As(err, &fe):
		return nil, fmt.Sprintf("--ssl-cert=%s and --ssl-key=%s: %v; give a readable PEM client certificate and the private key that belongs to it", o.sslCert, o.sslKey, fe.Err)
	}
	return nil, fmt.Sprintf("--ssl: %v", err)
}
