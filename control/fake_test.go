package control

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// fakeTarget records every call and validates a few settings the way the
// migration will: a bad value changes nothing and says what is allowed.
type fakeTarget struct {
	mu        sync.Mutex
	calls     []string
	settings  map[string]string
	throttled bool
	postponed bool
	panicked  bool
	jsonErr   error
}

func newFake() *fakeTarget {
	return &fakeTarget{settings: map[string]string{
		"chunk-size":                "1000",
		"dml-batch-size":            "10",
		"max-lag-millis":            "1500",
		"max-load":                  "",
		"critical-load":             "",
		"nice-ratio":                "0",
		"throttle-query":            "",
		"throttle-http":             "",
		"throttle-control-replicas": "",
		"threads":                   "4", // a setting the control package does not list
	}}
}

func (f *fakeTarget) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// Calls returns the calls so far and forgets them.
func (f *fakeTarget) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeTarget) setting(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settings[name]
}

func (f *fakeTarget) Status() string {
	f.record("Status")
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("# Migrating `db`.`t`\nCopy: 5/10 50.0%%; chunk-size: %s; throttled: %v", f.settings["chunk-size"], f.throttled)
}

func (f *fakeTarget) StatusJSON() ([]byte, error) {
	f.record("StatusJSON")
	if f.jsonErr != nil {
		return nil, f.jsonErr
	}
	return []byte("{\n  \"copied\": 5,\n  \"total\": 10\n}\n"), nil
}

func (f *fakeTarget) Info() string {
	f.record("Info")
	return "# Migrating `db`.`t`: ADD COLUMN c INT"
}

func (f *fakeTarget) Coordinates() string {
	f.record("Coordinates")
	return "read mysql-bin.000003:4567; applied mysql-bin.000003:4000"
}

func (f *fakeTarget) Applier() string {
	f.record("Applier")
	return "db1:3306"
}

func (f *fakeTarget) Inspector() string {
	f.record("Inspector")
	return "db2:3306\n"
}

func (f *fakeTarget) Get(name string) (string, error) {
	f.record("Get " + name)
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.settings[name]
	if !ok {
		return "", ErrUnknownSetting
	}
	return v, nil
}

func (f *fakeTarget) Set(name, value string) error {
	f.record("Set " + name + " " + value)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.settings[name]; !ok {
		return ErrUnknownSetting
	}
	switch name {
	case "chunk-size", "dml-batch-size", "max-lag-millis", "threads":
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			return errors.New("must be a positive integer")
		}
	case "nice-ratio":
		r, err := strconv.ParseFloat(value, 64)
		if err != nil || r < 0 {
			return errors.New("must be a number >= 0")
		}
	case "throttle-http":
		if value != "" && !strings.HasPrefix(value, "http") {
			return fmt.Errorf("must be an http(s) URL, not %q", value)
		}
	case "throttle-control-replicas":
		value = strings.ReplaceAll(value, " ", "") // normalised, as the migration would
	}
	f.settings[name] = value
	return nil
}

func (f *fakeTarget) Throttle() {
	f.record("Throttle")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttled = true
}

func (f *fakeTarget) Unthrottle() {
	f.record("Unthrottle")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttled = false
}

func (f *fakeTarget) Unpostpone() error {
	f.record("Unpostpone")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.postponed {
		return errors.New("the cut-over is not postponed")
	}
	f.postponed = false
	return nil
}

func (f *fakeTarget) Panic() {
	f.record("Panic")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panicked = true
}
