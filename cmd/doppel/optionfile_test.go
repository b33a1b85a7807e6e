package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doppel.cnf")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadOptionFile(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DB_USER": "env-user", "DB_PASS": "env-pass"}
	tests := []struct {
		name     string
		content  string
		user     string
		password string
	}{
		{"plain client section", "[client]\nuser=app\npassword=pw\n", "app", "pw"},
		{"spaces around equals", "[client]\n  user =  app  \npassword = pw\n", "app", "pw"},
		{"other sections are ignored", "[mysqld]\nuser=mysql\n[client]\nuser=app\n[mysql]\npassword=other\n", "app", ""},
		{"group names ignore case", "[CLIENT]\nuser=app\n", "app", ""},
		{"comments and blank lines", "# top\n; also\n\n[client]\n# user=nobody\nuser=app # trailing\n", "app", ""},
		{"double-quoted value keeps #", "[client]\npassword=\"p#w d\"  # comment\n", "", "p#w d"},
		{"single-quoted value", "[client]\npassword='it''s'\n", "", "it"},
		{"escapes", "[client]\npassword=a\\sb\\\\c\\qd\n", "", "a b\\c\\qd"},
		{"escaped quote inside quotes", "[client]\npassword=\"a\\\"b\"\n", "", "a\"b"},
		{"later value wins", "[client]\nuser=first\n[client]\nuser=second\n", "second", ""},
		{"underscore spelling of keys is fine", "[client]\nUSER=app\n", "app", ""},
		{"environment references", "[client]\nuser=${DB_USER}\npassword=${DB_PASS}\n", "env-user", "env-pass"},
		{"unset environment reference", "[client]\npassword=${NOPE}\n", "", ""},
		{"only whole-value references", "[client]\npassword=x${DB_PASS}\n", "", "x${DB_PASS}"},
		{"include directives are skipped", "!includedir /etc/mysql/conf.d/\n[client]\nuser=app\n", "app", ""},
		{"byte order mark", "\ufeff[client]\nuser=app\n", "app", ""},
		{"equals sign inside the value", "[client]\npassword=a=b\n", "", "a=b"},
		{"no client section", "[mysqld]\nport=3306\n", "", ""},
		{"other client options are ignored", "[client]\nhost=db1\nport=3307\nsocket=/tmp/s\n", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			user, password, err := readOptionFile(writeFile(t, tc.content), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if user != tc.user || password != tc.password {
				t.Errorf("user %q password %q, want %q %q", user, password, tc.user, tc.password)
			}
		})
	}
}

func TestReadOptionFileErrorsNameTheLineNotTheSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"unterminated quote", "[client]\npassword=\"topsecret\n", ":2: password: unterminated \" quote"},
		{"bare password", "[client]\npassword\n", ":2: password has no value (use --ask-pass to be prompted)"},
		{"broken group header", "[client\nuser=x\n", ":1: group header without closing ]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := readOptionFile(writeFile(t, tc.content), func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Errorf("error reveals the value: %v", err)
			}
		})
	}
}

func TestConfFileGivesCredentialsTheCommandLineOverrides(t *testing.T) {
	t.Parallel()
	conf := writeFile(t, "[client]\nuser=file-user\npassword=file-pass\n")
	userOnly := writeFile(t, "[client]\nuser=file-user\n")
	envConf := writeFile(t, "[client]\nuser=${U}\npassword=${P}\n")
	tests := []struct {
		name     string
		args     []string
		stdin    string
		user     string
		password string
	}{
		{"file alone", []string{"--conf=" + conf}, "", "file-user", "file-pass"},
		{"--user wins", []string{"--conf=" + conf, "--user=cli-user"}, "", "cli-user", "file-pass"},
		{"--password wins", []string{"--conf=" + conf, "--password=cli-pass"}, "", "file-user", "cli-pass"},
		{"flag order does not matter", []string{"--user=cli-user", "--conf", conf}, "", "cli-user", "file-pass"},
		{"--ask-pass wins", []string{"--conf=" + conf, "--ask-pass"}, "typed-pass\n", "file-user", "typed-pass"},
		{"empty --ask-pass answer keeps the file's", []string{"--conf=" + conf, "--ask-pass"}, "\n", "file-user", "file-pass"},
		{"file without password", []string{"--conf=" + userOnly, "--password=cli-pass"}, "", "file-user", "cli-pass"},
		{"environment references", []string{"--conf=" + envConf}, "", "env-user", "env-pass"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := harness{stdin: strings.NewReader(tc.stdin), env: map[string]string{"U": "env-user", "P": "env-pass"}}
			out := h.run(t, withRequired(tc.args...)...)
			if out.code != exitOK {
				t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
			}
			if out.cfg.User != tc.user || out.cfg.Password != tc.password {
				t.Errorf("user %q password %q, want %q %q", out.cfg.User, out.cfg.Password, tc.user, tc.password)
			}
			if strings.Contains(out.stderr, tc.password) {
				t.Errorf("password appears on stderr:\n%s", out.stderr)
			}
		})
	}
}

func TestBrokenConfFileIsAUsageError(t *testing.T) {
	t.Parallel()
	conf := writeFile(t, "[client]\npassword='oops\n")
	out := harness{}.run(t, withRequired("--conf="+conf)...)
	if out.code != exitUsage || out.called {
		t.Fatalf("exit code %d, called %v", out.code, out.called)
	}
	if !strings.Contains(out.stderr, "doppel: --conf: "+conf+":2: password: unterminated ' quote") {
		t.Errorf("stderr:\n%s", out.stderr)
	}
}
