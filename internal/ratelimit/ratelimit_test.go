package ratelimit

import (
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
