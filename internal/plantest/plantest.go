// Package plantest checks documents against the plan's published JSON Schema,
// docs/plan.schema.json, for the tests of every package that emits a plan.
// It lives apart from package plan so the schema library stays out of the
// doppel binary.
package plantest

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var compiled struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

// schemaPath is found from this file rather than the working directory, so
// a test in any package reads the same docs/plan.schema.json.
func schemaPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "plan.schema.json")
}

func compile() (*jsonschema.Schema, error) {
	compiled.once.Do(func() {
		f, err := os.Open(schemaPath())
		if err != nil {
			compiled.err = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			compiled.err = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("plan.schema.json", doc); err != nil {
			compiled.err = err
			return
		}
		compiled.schema, compiled.err = c.Compile("plan.schema.json")
	})
	return compiled.schema, compiled.err
}

// Validate reports whether raw is one JSON document the schema accepts. A
// schema that does not load or compile, or raw that is not JSON, fails the
// test: only a document the schema refuses is returned as an error.
func Validate(t testing.TB, raw []byte) error {
	t.Helper()
	sch, err := compile()
	if err != nil {
		t.Fatalf("docs/plan.schema.json: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, raw)
	}
	return sch.Validate(inst)
}
