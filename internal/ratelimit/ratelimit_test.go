package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestLimiterWindow(t *testing.T) {
	l := New(3, time.Minute)
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if r := l.Allow("a", now); !r.Allowed || r.Remaining != 2-i {
			t.Fatalf("request %d: %+v", i, r)
		}
	}
	if r := l.Allow("a", now); r.Allowed || r.Remaining != 0 {
		t.Fatalf("4th request allowed: %+v", r)
	}
	if r := l.Allow("b", now); !r.Allowed {
		t.Fatalf("other key limited: %+v", r)
	}
	if r := l.Allow("a", now.Add(61*time.Second)); !r.Allowed {
		t.Fatalf("new window still limited: %+v", r)
	}
}

// sharedCounts is what the store's table does for Share: it adds counts
// and returns the totals.
type sharedCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

func (s *sharedCounts) exchange(_ context.Context, name string, counts []Count) ([]Count, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Count, len(counts))
	for i, c := range counts {
		k := name + " " + c.Key + " " + strconv.FormatInt(c.Start, 10)
		s.n[k] += c.N
		out[i] = Count{Key: c.Key, Start: c.Start, N: s.n[k]}
	}
	return out, nil
}

// Limiters that share their counts enforce one limit together, once
// synced: what one process counted is refused by the other; a new window
// (the same for both) starts afresh.
func TestSharedLimitersCountTogether(t *testing.T) {
	shared := &sharedCounts{n: map[string]int64{}}
	a, b := New(10, time.Minute), New(10, time.Minute)
	a.Share("api", shared.exchange)
	b.Share("api", shared.exchange)
	now := time.Date(2026, 1, 1, 12, 0, 10, 0, time.UTC)
	for range 6 {
		if !a.Allow("k", now).Allowed {
			t.Fatal("refused under the limit")
		}
	}
	for range 3 {
		b.Allow("k", now)
	}
	ctx := context.Background()
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// 9 counted in all: b knows it; one more is allowed, then refused.
	if r := b.Allow("k", now); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("the tenth: %+v", r)
	}
	if r := b.Allow("k", now); r.Allowed {
		t.Fatalf("the eleventh was allowed: %+v", r)
	}
	// a learns of them at its next sync.
	a.Allow("k", now)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if r := a.Allow("k", now); r.Allowed {
		t.Fatalf("a allowed past the shared limit: %+v", r)
	}
	// Both windows end at the same minute.
	if ra, rb := a.Allow("k", now), b.Allow("k", now); !ra.Reset.Equal(rb.Reset) || !ra.Reset.Equal(now.Truncate(time.Minute).Add(time.Minute)) {
		t.Fatalf("windows differ: %v %v", ra.Reset, rb.Reset)
	}
	next := now.Add(time.Minute)
	if !a.Allow("k", next).Allowed || !b.Allow("k", next).Allowed {
		t.Fatal("the next window did not start afresh")
	}
}

// A failed exchange keeps the counts for the next one.
func TestSharedLimiterKeepsCountsWhenTheExchangeFails(t *testing.T) {
	shared := &sharedCounts{n: map[string]int64{}}
	fail := true
	l := New(5, time.Minute)
	l.Share("api", func(ctx context.Context, name string, counts []Count) ([]Count, error) {
		if fail {
			return nil, errors.New("database away")
		}
		return shared.exchange(ctx, name, counts)
	})
	now := time.Now()
	l.Allow("k", now)
	l.Allow("k", now)
	if err := l.Sync(context.Background()); err == nil {
		t.Fatal("no error")
	}
	fail = false
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := shared.n["api k "+strconv.FormatInt(now.Truncate(time.Minute).UnixMilli(), 10)]; got != 2 {
		t.Fatalf("shared count %d, want 2", got)
	}
}
