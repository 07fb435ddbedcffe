// Package testutil holds the helpers that the tests of several packages
// share. It is imported by tests only.
package testutil

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, and fails the test with what once
// timeout has passed. The polls start at 1 ms apart (a quick condition
// costs nothing) and slow to 25 ms.
//
// It is for positive conditions only. To show that something did not
// happen, wait here for a signal that the code under test ran (a queue
// drained, a later event arrived: processing is ordered), then check the
// absence once; never sleep and then look.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", timeout, what)
		}
		time.Sleep(pause)
		pause = min(2*pause, 25*time.Millisecond)
	}
}
