package plan

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// allCodes is every finding code the lint and the disk check emit.
var allCodes = []string{CodeColumnDropped, CodeLengthNarrowed, CodeIntegerNarrowed, CodeSignChanged, CodeDecimalNarrowed,
	CodeFractionNarrowed, CodeEnumValuesRemoved, CodeTypeChanged, CodeCharsetChanged, CodeNotNullAdded,
	CodeUniqueKeyAdded, CodeDefaultRemoved, CodeDefaultChanged, CodeAutoIncrementChanged, CodeDiskSpace}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../docs/plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("plan.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("plan.schema.json")
	if err != nil {
		t.Fatalf("compile docs/plan.schema.json: %v", err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, p Plan) error {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func TestSchemaAcceptsEveryCodeAndRefusesOthers(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for _, code := range allCodes {
		p := Plan{Findings: []Finding{{Severity: Warning, Code: code, Reason: "one line"}}}
		p.Normalize()
		if err := validate(t, sch, p); err != nil {
			t.Errorf("code %s: %v", code, err)
		}
	}
	bad := Plan{Findings: []Finding{{Severity: "fatal", Code: "no_such_code", Reason: "x"}}}
	bad.Normalize()
	if err := validate(t, sch, bad); err == nil {
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
