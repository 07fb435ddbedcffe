//go:build !unix

package cli

// lockDataDir is a no-op where flock is not available: restore then
// relies on the operator having stopped the server.
func lockDataDir(dir string) (func(), error) { return func() {}, nil }
