package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// No Docker engine runs in CI, so the Dockerfile is kept right by
// construction and this test: its builder must use the Go release go.mod
// asks for and run the Makefile's build target (the flags CI tests), and the
// image must run doppel as a non-root user.
func TestDockerfileBuildsWithTheMakefile(t *testing.T) {
	t.Parallel()
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if goVersion == nil {
		t.Fatal("no go directive in go.mod")
	}
	text := string(df)
	for _, want := range []string{
		"FROM golang:" + string(goVersion[1]) + "-",
		"RUN make build ",
		"COPY --from=build /src/bin/doppel ",
		"USER nonroot",
		`ENTRYPOINT ["doppel"]`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Contains(text, "go build") {
		t.Error("the Dockerfile builds with its own go build line; it must run `make build`")
	}
}
