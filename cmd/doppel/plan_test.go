package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/internal/plantest"

	"github.com/doppel-dev/doppel/migration"
	"github.com/doppel-dev/doppel/plan"
	"github.com/doppel-dev/doppel/sandbox"
)

// planReport is a dry run's report whose plan has one finding of each
// severity given.
func planReport(severities ...plan.Severity) migration.Report {
	p := &plan.Plan{}
	for _, s := range severities {
		p.Findings = append(p.Findings, plan.Finding{Severity: s, Code: "code_" + string(s), Column: "c", Reason: "why"})
	}
	p.Normalize()
	return migration.Report{DryRun: true, Plan: p}
}

func TestPlanFormatJSONPrintsOneDocument(t *testing.T) {
	t.Parallel()
	out := harness{report: planReport(plan.Warning)}.run(t, withRequired("--plan-format=json")...)
	if out.code != exitOK {
		t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
	}
	dec := json.NewDecoder(strings.NewReader(out.stdout))
	var got plan.Plan
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not a JSON plan: %v\n%s", err, out.stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", out.stdout)
	}
	if len(got.Findings) != 1 || got.Findings[0].Code != "code_warning" {
		t.Fatalf("plan %+v", got)
	}

	// A refused dry run prints what it learnt, and still exits 1.
	refused := planReport()
	refused.Plan.Refused = "table shop.t does not exist"
	out = harness{report: refused, result: &migration.UsageError{}}.run(t, withRequired("--plan-format=json")...)
	if out.code != exitFailed || !strings.Contains(out.stdout, `"refused": "table shop.t does not exist"`) {
		t.Fatalf("refused dry run: exit code %d, stdout:\n%s", out.code, out.stdout)
	}

	text := harness{report: planReport(plan.Warning)}.run(t, required...)
	if text.stdout != "" {
		t.Fatalf("--plan-format=text printed on stdout:\n%s", text.stdout)
	}
}

func TestFailOnExitsOneOnSevereFindings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		flag       string
		severities []plan.Severity
		want       int
	}{
		{"none", []plan.Severity{plan.Error}, exitOK},
		{"error", []plan.Severity{plan.Warning, plan.Info}, exitOK},
		{"error", []plan.Severity{plan.Error}, exitFailed},
		{"warning", []plan.Severity{plan.Info}, exitOK},
		{"warning", []plan.Severity{plan.Warning}, exitFailed},
		{"warning", []plan.Severity{plan.Error}, exitFailed},
	}
	for _, tc := range cases {
		t.Run(tc.flag+" with "+strings.Join(strs(tc.severities), ","), func(t *testing.T) {
			t.Parallel()
			out := harness{report: planReport(tc.severities...)}.run(t, withRequired("--fail-on="+tc.flag)...)
			if out.code != tc.want {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", out.code, tc.want, out.stderr)
			}
			if tc.want == exitFailed && !strings.Contains(out.stderr, "dry run refused by --fail-on="+tc.flag) {
				t.Fatalf("no clear message:\n%s", out.stderr)
			}
		})
	}
}

func strs(s []plan.Severity) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}

func TestPlanFlagsRefuseBadValues(t *testing.T) {
	t.Parallel()
	for arg, allowed := range map[string]string{
		"--plan-format=yaml": "text, json",
		"--fail-on=info":     "none, warning, error",
	} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(arg)...)
			if out.code != exitUsage || out.called || !strings.Contains(out.stderr, arg) || !strings.Contains(out.stderr, allowed) {
				t.Fatalf("exit code %d, called %v, stderr:\n%s", out.code, out.called, out.stderr)
			}
		})
	}
}

// The real dry run against a real server: --plan-format=json prints one
// document that validates against docs/plan.schema.json, and --fail-on
// decides the exit code from its findings.
func TestDryRunPlanAndFailOnAgainstAServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	p := cluster.Primary
	name, db := p.NewDatabase(t)
	for _, q := range []string{
		"CREATE TABLE t (id int PRIMARY KEY, email varchar(60) NOT NULL)",
		"INSERT INTO t VALUES (1, 'a@example.com'), (2, 'b@example.com'), (3, 'a@example.com')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cases := []struct {
		alter, failOn string
		code          int
		code0         string // a finding the plan must hold ("" for none)
	}{
		{"ADD UNIQUE KEY email_uk (email)", "error", exitFailed, plan.CodeUniqueKeyAdded},
		{"ADD UNIQUE KEY email_uk (email)", "none", exitOK, plan.CodeUniqueKeyAdded},
		{"ADD COLUMN note varchar(10) NULL", "warning", exitOK, ""},
		{"MODIFY email varchar(200) NOT NULL", "warning", exitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.alter+" --fail-on="+c.failOn, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			a := app{
				stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				migrate: migration.Run, compare: migration.Compare,
				getenv: func(k string) string {
					if k == "DOPPEL_PASSWORD" {
						return p.Password
					}
					return ""
				},
				exit: func(code int) { t.Errorf("unexpected hard exit %d", code) },
			}
			code := a.run([]string{"--host=" + p.Host, fmt.Sprintf("--port=%d", p.Port), "--user=" + p.User,
				"--database=" + name, "--table=t", "--alter=" + c.alter, "--allow-on-master",
				"--throttle-additional-flag-file=", "--plan-format=json", "--fail-on=" + c.failOn})
			if code != c.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, c.code, stderr.String())
			}
			if err := plantest.Validate(t, stdout.Bytes()); err != nil {
				t.Fatalf("the plan does not validate: %v\n%s", err, stdout.String())
			}
			var got plan.Plan
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if c.code0 == "" && len(got.Findings) != 0 {
				t.Fatalf("findings %+v, want none", got.Findings)
			}
			if c.code0 != "" && (len(got.Findings) != 1 || got.Findings[0].Code != c.code0 || got.Findings[0].Severity != plan.Error) {
				t.Fatalf("findings %+v, want one %s error", got.Findings, c.code0)
			}
			if c.code == exitFailed && !strings.Contains(stderr.String(), "dry run refused by --fail-on="+c.failOn) {
				t.Fatalf("no --fail-on message:\n%s", stderr.String())
			}
		})
	}
}
