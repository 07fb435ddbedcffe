// Package id makes Herald's identifiers: 64-bit integers that sort by
// creation time, as Mastodon's do (milliseconds since the Unix epoch in the
// high bits, a sequence in the low 16). Clients such as Ivory rely on that
// order, and time-ordered keys keep SQLite's B-trees appending at the end.
//
// Several processes on one PostgreSQL database each get a node number from
// the database (SetNode): the low 6 bits then hold it and the 10 above a
// sequence, so that two processes never make the same id in the same
// millisecond.
package id

import (
	"math/rand/v2"
	"sync"
	"time"
)

var (
	mu       sync.Mutex
	lastMs   int64
	sequence int64
	node     int64 = -1 // none: the low 16 bits are the sequence
)

// NodeBits is the width of the node number in an id made after SetNode.
const NodeBits = 6

// SetNode makes the ids of this process carry node (taken modulo
// 1<<NodeBits) in their low bits.
func SetNode(n int64) {
	mu.Lock()
	defer mu.Unlock()
	node = n & (1<<NodeBits - 1)
	// The ids of this millisecond were made with the other layout: go on
	// from the next one.
	sequence = 1<<(16-NodeBits) - 1
}

// New returns a fresh identifier, strictly greater than any returned before
// by this process.
func New() int64 { return At(time.Now()) }

// At returns a fresh identifier for a given creation time (used for remote
// objects, so that they sort by their published date).
func At(t time.Time) int64 {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	mu.Lock()
	defer mu.Unlock()
	if node >= 0 {
		return withNode(ms, t)
	}
	if ms == lastMs {
		sequence++
		if sequence > 0xffff {
			// More than 65,536 IDs in one millisecond: borrow the next one.
			ms++
			sequence = 0
		}
	} else if ms < lastMs && t.After(time.Now().Add(-time.Second)) {
		// The clock stepped back a little: stay monotonic.
		ms = lastMs
		sequence++
	} else {
		sequence = randomStart(ms)
	}
	lastMs = ms
	return ms<<16 | sequence
}

// withNode is At with the node number in the low bits (mu held).
func withNode(ms int64, t time.Time) int64 {
	const maxSeq = 1<<(16-NodeBits) - 1
	switch {
	case ms == lastMs:
		sequence++
	case ms < lastMs && t.After(time.Now().Add(-time.Second)):
		ms = lastMs
		sequence++
	default:
		sequence = rand.Int64N(maxSeq/4 + 1)
	}
	if sequence > maxSeq {
		ms++
		sequence = 0
	}
	lastMs = ms
	return ms<<16 | sequence<<NodeBits | node
}

// randomStart spreads the first sequence number of a millisecond so that IDs
// made by two processes (the CLI and the server) in the same millisecond
// rarely collide; the store retries an insert on the rare collision.
func randomStart(int64) int64 { return rand.Int64N(0x4000) }

// Min is the smallest identifier for a given time: useful for time cursors.
func Min(t time.Time) int64 { return t.UnixMilli() << 16 }

// Time returns when an identifier was made.
func Time(v int64) time.Time { return time.UnixMilli(v >> 16) }
