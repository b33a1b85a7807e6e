package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/plan"
)

// printPlan writes the plan as exactly one JSON document (--plan-format=json).
func printPlan(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write the plan: %w", err)
	}
	return nil
}

// failOn applies --fail-on to a passed dry run: it reports whether the
// plan has findings at or above the threshold, and logs why the run fails.
func failOn(log zerolog.Logger, flag string, p *plan.Plan) bool {
	threshold, err := plan.ParseFailOn(flag) // validated with the other flags
	if err != nil || threshold == "" || p == nil {
		return false
	}
	failing := p.Failing(threshold)
	if len(failing) == 0 {
		return false
	}
	var codes []string
	for _, f := range failing {
		what := f.Code
		if f.Column != "" {
			what += " (" + f.Column + ")"
		}
		codes = append(codes, what)
	}
	log.Error().Str("fail_on", flag).Int("findings", len(failing)).Strs("codes", codes).
		Msgf("dry run refused by --fail-on=%s: the plan has %d finding(s) of severity %s or worse; see the plan's findings (docs/plan.md)", flag, len(failing), threshold)
	return true
}
