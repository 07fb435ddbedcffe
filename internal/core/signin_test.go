package core

import (
	"testing"
	"time"
)

// The failure window: a lock-out lasts a whole window from the failure
// that caused it, then the account may try again; a success gives back
// only its own attempt; attempts in flight count against the limit.
func TestSignInFailuresWindow(t *testing.T) {
	var f signInFailures
	const limit, window = 3, 15 * time.Minute
	t0 := time.Unix(1_000_000, 0)
	failAt := func(key string, now time.Time) time.Time {
		t.Helper()
		w, until := f.begin(key, limit, window, now)
		if w == nil {
			t.Fatalf("%s refused at %v (locked until %v)", key, now, until)
		}
		_, locked := f.fail(w, limit, window, now)
		return locked
	}
	failAt("a", t0)
	// A success in between does not wipe the earlier failures.
	w, _ := f.begin("a", limit, window, t0.Add(time.Minute))
	f.succeed(w)
	failAt("a", t0.Add(2*time.Minute))
	until := failAt("a", t0.Add(10*time.Minute))
	if want := t0.Add(10*time.Minute + window); !until.Equal(want) {
		t.Fatalf("locked until %v, want %v", until, want)
	}
	// Locked past the first window's end, for a whole window.
	for _, at := range []time.Duration{11 * time.Minute, 20 * time.Minute, 24*time.Minute + 59*time.Second} {
		if w, u := f.begin("a", limit, window, t0.Add(at)); w != nil || !u.Equal(until) {
			t.Fatalf("at +%v: attempt allowed (%v)", at, u)
		}
	}
	// Other keys are not affected.
	if w, _ := f.begin("b", limit, window, t0.Add(11*time.Minute)); w == nil {
		t.Fatal("another account locked")
	}
	// After the lock-out the count starts again.
	if w, _ := f.begin("a", limit, window, until); w == nil || w.count != 1 {
		t.Fatalf("after the lock-out: %+v", w)
	}

	// Concurrent attempts reserve their place: only limit of them proceed.
	var g signInFailures
	var inFlight []*failWindow
	for i := 0; i < limit+2; i++ {
		if w, _ := g.begin("c", limit, window, t0); w != nil {
			inFlight = append(inFlight, w)
		}
	}
	if len(inFlight) != limit {
		t.Fatalf("%d attempts in flight, want %d", len(inFlight), limit)
	}
	// They all succeed: the account is free again.
	for _, w := range inFlight {
		g.succeed(w)
	}
	if w, _ := g.begin("c", limit, window, t0); w == nil || w.count != 1 {
		t.Fatalf("after successes: %+v", w)
	}
}
