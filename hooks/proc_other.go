//go:build !unix

package hooks

import "os/exec"

// ownProcessGroup leaves exec's default: cancellation kills the hook's
// process only.
func ownProcessGroup(*exec.Cmd) {}
