package plan

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/internal/plantest"
)

// allCodes is every finding code the lint and the disk check emit.
var allCodes = []string{CodeColumnDropped, CodeLengthNarrowed, CodeIntegerNarrowed, CodeSignChanged, CodeDecimalNarrowed,
	CodeFractionNarrowed, CodeEnumValuesRemoved, CodeTypeChanged, CodeCharsetChanged, CodeNotNullAdded,
	CodeUniqueKeyAdded, CodeDefaultRemoved, CodeDefaultChanged, CodeAutoIncrementChanged, CodeDiskSpace}

// validate marshals p as the dry run prints it and checks it against the
// published schema.
func validate(t *testing.T, p Plan) error {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return plantest.Validate(t, raw)
}

func TestSchemaAcceptsEveryCodeAndRefusesOthers(t *testing.T) {
	t.Parallel()
	for _, code := range allCodes {
		p := Plan{Findings: []Finding{{Severity: Warning, Code: code, Reason: "one line"}}}
		p.Normalize()
		if err := validate(t, p); err != nil {
			t.Errorf("code %s: %v", code, err)
		}
	}
	bad := Plan{Findings: []Finding{{Severity: "fatal", Code: "no_such_code", Reason: "x"}}}
	bad.Normalize()
	if err := validate(t, bad); err == nil {
		t.Error("the schema accepts an unknown severity and code")
	}
}

// docs/plan.md describes every code.
func TestPlanDocNamesEveryCode(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/plan.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range allCodes {
		if !strings.Contains(string(doc), "`"+code+"`") {
			t.Errorf("docs/plan.md does not describe %s", code)
		}
	}
	if !slices.Contains(FailOnValues, "none") {
		t.Error("--fail-on has no none")
	}
}
