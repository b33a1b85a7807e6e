package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/migration"
	"github.com/doppel-dev/doppel/plan"
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
