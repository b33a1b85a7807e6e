package main

import (
	"slices"
	"strings"
	"testing"
)

const sampleHelp = `Usage:
  doppel --host=HOST

Flags:
  --alter string
        the ALTER TABLE statement
  --execute
        really migrate
  --test-on-replica
        with --test-on-replica, stop replication
  --throttle-query string
        query that pauses the migration

gh-ost flags not implemented yet. doppel knows them but refuses to run
  --checkpoint
        write checkpoints
  --serve-socket-file string
        unix socket
`

func TestImplementedFlags(t *testing.T) {
	got := implementedFlags(sampleHelp)
	for _, f := range []string{"alter", "execute", "test-on-replica", "throttle-query"} {
		if !got[f] {
			t.Errorf("--%s not seen as implemented", f)
		}
	}
	for _, f := range []string{"checkpoint", "serve-socket-file", "host"} {
		if got[f] {
			t.Errorf("--%s seen as implemented", f)
		}
	}
}

func TestStandardArgsAddLaterFlagsOnceImplemented(t *testing.T) {
	env := &runEnv{user: "u", password: "p", replicaHost: "127.0.0.1", replicaPort: 3307,
		primaryAddr: "127.0.0.1:3306", throttleFlagFile: "/tmp/x.flag", socketFile: "/tmp/x.sock"}

	without := standardArgs(env, implementedFlags(sampleHelp))
	if !slices.Contains(without, "--throttle-query="+throttleQuery) {
		t.Errorf("an implemented later flag is missing: %q", without)
	}
	for _, a := range without {
		if strings.HasPrefix(a, "--checkpoint") || strings.HasPrefix(a, "--serve-socket-file") {
			t.Errorf("a flag doppel refuses was passed: %s", a)
		}
	}
	if without[len(without)-1] != "--execute" {
		t.Errorf("--execute must come last among the standard flags: %q", without)
	}

	all := map[string]bool{}
	for _, f := range laterFlags {
		all[f.name] = true
	}
	with := standardArgs(env, all)
	for _, want := range []string{"--throttle-flag-file=/tmp/x.flag", "--serve-socket-file=/tmp/x.sock",
		"--initially-drop-socket-file", "--checkpoint", "--test-on-replica", "--port=3307",
		"--assume-master-host=127.0.0.1:3306", "--alter=engine=innodb", "--chunk-size=10", "--target-chunk-time=0"} {
		if !slices.Contains(with, want) {
			t.Errorf("standard args lack %s: %q", want, with)
		}
	}
	if got := missingLaterFlags(all); len(got) != 0 {
		t.Errorf("missingLaterFlags = %q, want none", got)
	}
}
