package main

import (
	"reflect"
	"testing"
)

func TestPasswordIsMovedOutOfTheArguments(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args     []string
		rest     []string
		password string
		found    bool
	}{
		{[]string{"--host=h", "--password=s3cret", "--execute"}, []string{"--host=h", "--execute"}, "s3cret", true},
		{[]string{"-password", "s3cret", "--table=t"}, []string{"--table=t"}, "s3cret", true},
		{[]string{"--password", "a=b", "--x"}, []string{"--x"}, "a=b", true},
		{[]string{"--passwords=x", "--password-file=y"}, []string{"--passwords=x", "--password-file=y"}, "", false},
		{[]string{"--alter=--password=x"}, []string{"--alter=--password=x"}, "", false},
		{[]string{"--password"}, []string{"--password"}, "", false},
		{[]string{"--", "--password=x"}, []string{"--", "--password=x"}, "", false},
	}
	for _, c := range cases {
		rest, pw, found := movePasswordOut(c.args)
		if !reflect.DeepEqual(rest, c.rest) || pw != c.password || found != c.found {
			t.Errorf("movePasswordOut(%q) = %q, %q, %v; want %q, %q, %v", c.args, rest, pw, found, c.rest, c.password, c.found)
		}
	}
}

func TestPasswordMovedOutKeepsItsPrecedence(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DOPPEL_PASSWORD": "from-args", passwordFromArgsEnv: "1"}
	out := harness{env: env}.run(t, required...)
	if out.code != exitOK || out.cfg.Password != "from-args" {
		t.Fatalf("exit %d, password %q", out.code, out.cfg.Password)
	}
}

func TestMovedPasswordReplacesAnEarlierOne(t *testing.T) {
	t.Parallel()
	env := withPassword([]string{"PATH=/bin", "DOPPEL_PASSWORD=old", passwordFromArgsEnv + "=0"}, "new")
	want := []string{"PATH=/bin", "DOPPEL_PASSWORD=new", passwordFromArgsEnv + "=1"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("env = %q, want %q", env, want)
	}
}
