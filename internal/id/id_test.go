package id

import (
	"testing"
	"time"
)

// With a node number, every id carries it and the ids of one process
// still increase, through more ids in one millisecond than the sequence
// holds; two nodes never make the same id.
func TestNodeIDsIncreaseAndCarryTheNode(t *testing.T) {
	t.Cleanup(func() {
		mu.Lock()
		node = -1
		mu.Unlock()
	})
	before := New()
	SetNode(5)
	at := time.Now()
	seen := map[int64]bool{}
	last := before
	for i := 0; i < 3000; i++ {
		v := At(at)
		if v <= last {
			t.Fatalf("id %d after %d: not increasing", v, last)
		}
		if v&(1<<NodeBits-1) != 5 {
			t.Fatalf("id %d: node %d", v, v&(1<<NodeBits-1))
		}
		seen[v] = true
		last = v
	}
	SetNode(6 + 64) // modulo 64
	for i := 0; i < 3000; i++ {
		v := At(at)
		if v&(1<<NodeBits-1) != 6 || seen[v] || v <= last {
			t.Fatalf("id %d after %d on node 6", v, last)
		}
		last = v
	}
	if Time(last).Before(at.Truncate(time.Millisecond)) {
		t.Errorf("time %v before %v", Time(last), at)
	}
}
