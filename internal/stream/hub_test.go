package stream

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/testutil"
)

type fakeConn struct {
	mu    sync.Mutex
	got   []*Message
	block chan struct{} // when set, Write waits on it
	fail  bool
}

func (f *fakeConn) Write(m *Message) error {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("broken")
	}
	f.got = append(f.got, m)
	return nil
}
func (f *fakeConn) Abort() {}

func (f *fakeConn) messages() []*Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Message(nil), f.got...)
}

func runHub(t *testing.T, o Options) *Hub {
	h := New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func TestPublishSkipAndPer(t *testing.T) {
	h := runHub(t, Options{})
	a, b, c := &fakeConn{}, &fakeConn{}, &fakeConn{}
	sa, sb, sc := h.Add(1, 1, a), h.Add(2, 2, b), h.Add(3, 3, c)
	for _, s := range []*Sub{sa, sb, sc} {
		h.Subscribe(s, "public", []string{"public"})
	}
	n := h.Publish("public", Event{Name: "update", Payload: `{"id":"1"}`, Skip: map[int64]bool{2: true}, Per: map[int64]string{3: `{"id":"1","favourited":true}`}})
	if n != 2 {
		t.Fatalf("reached %d", n)
	}
	testutil.Eventually(t, 2*time.Second, "deliveries", func() bool { return len(a.messages()) == 1 && len(c.messages()) == 1 })
	if len(b.messages()) != 0 {
		t.Fatal("skipped account got the event")
	}
	if got := string(a.messages()[0].WS()); got != `{"stream":["public"],"event":"update","payload":"{\"id\":\"1\"}"}` {
		t.Fatalf("ws frame %s", got)
	}
	if got := string(c.messages()[0].SSE()); got != "event: update\ndata: {\"id\":\"1\",\"favourited\":true}\n\n" {
		t.Fatalf("sse %q", got)
	}
	// No payload: filters_changed.
	m := &Message{Stream: []string{"user"}, Event: "filters_changed", NoPayload: true}
	if string(m.WS()) != `{"stream":["user"],"event":"filters_changed"}` || string(m.SSE()) != "event: filters_changed\ndata: undefined\n\n" {
		t.Fatalf("no payload: %s %q", m.WS(), m.SSE())
	}
	// Unsubscribe and Remove.
	h.Unsubscribe(sa, "public")
	h.Remove(sc)
	if h.Publish("public", Event{Name: "update", Payload: "x"}) != 1 || h.Len() != 2 || h.Connected(3) {
		t.Fatal("unsubscribe/remove")
	}
}

func TestSlowConsumerIsDroppedWithoutBlocking(t *testing.T) {
	h := runHub(t, Options{QueueLen: 8})
	slow := &fakeConn{block: make(chan struct{})}
	fast := &fakeConn{}
	ss, sf := h.Add(1, 1, slow), h.Add(2, 2, fast)
	h.Subscribe(ss, "t", []string{"t"})
	h.Subscribe(sf, "t", []string{"t"})
	for i := range 30 {
		start := time.Now()
		h.Publish("t", Event{Name: "update", Payload: string(rune('a' + i%26))})
		if time.Since(start) > 50*time.Millisecond {
			t.Fatal("publish blocked")
		}
		// The fast consumer keeps up (its queue never fills); the slow
		// one is stuck on its first message.
		testutil.Eventually(t, 2*time.Second, "the fast consumer's message", func() bool { return len(fast.messages()) == i+1 })
	}
	select {
	case <-ss.Done():
	case <-time.After(time.Second):
		t.Fatal("slow consumer not dropped")
	}
	if ss.Reason() != "too slow" || h.Dropped.Load() != 1 {
		t.Fatalf("reason %q dropped %d", ss.Reason(), h.Dropped.Load())
	}
	close(slow.block)
	testutil.Eventually(t, 2*time.Second, "fast consumer got all", func() bool { return len(fast.messages()) == 30 })
}

func TestFailedWriteClosesAndHeartbeats(t *testing.T) {
	h := runHub(t, Options{Heartbeat: 20 * time.Millisecond})
	ok, bad := &fakeConn{}, &fakeConn{fail: true}
	h.Add(1, 1, ok)
	sb := h.Add(2, 2, bad)
	testutil.Eventually(t, 2*time.Second, "heartbeats", func() bool {
		ms := ok.messages()
		return len(ms) >= 2 && ms[0] == Heartbeat
	})
	select {
	case <-sb.Done():
	case <-time.After(time.Second):
		t.Fatal("failed write did not close")
	}
	if string(Heartbeat.SSE()) != ":thump\n\n" {
		t.Fatal("sse heartbeat")
	}
}

func TestCloseEndsEverything(t *testing.T) {
	h := New(Options{})
	s := h.Add(1, 1, &fakeConn{})
	h.Close()
	select {
	case <-s.Done():
	default:
		t.Fatal("not closed")
	}
	if h.Add(2, 2, &fakeConn{}) != nil {
		t.Fatal("add after close")
	}
}

func TestCloseAccountAndTokens(t *testing.T) {
	h := New(Options{})
	// Account 1 holds tokens 10 (twice) and 11; account 2 holds token 20.
	a10, a10b, a11, b20 := h.Add(1, 10, &fakeConn{}), h.Add(1, 10, &fakeConn{}), h.Add(1, 11, &fakeConn{}), h.Add(2, 20, &fakeConn{})
	closed := func(s *Sub) bool {
		select {
		case <-s.Done():
			return true
		default:
			return false
		}
	}
	if n := h.CloseTokens([]int64{10}, "access token revoked"); n != 2 || !closed(a10) || !closed(a10b) || closed(a11) || closed(b20) {
		t.Fatalf("CloseTokens: %d", n)
	}
	if a10.Reason() != "access token revoked" {
		t.Errorf("reason %q", a10.Reason())
	}
	h.Remove(a10)
	h.Remove(a10b)
	if n := h.CloseAccount(1, "credentials ended"); n != 1 || !closed(a11) || closed(b20) {
		t.Fatalf("CloseAccount: %d", n)
	}
	h.Remove(a11)
	if h.Connected(1) || !h.Connected(2) || h.Len() != 1 {
		t.Fatalf("after removal: connected(1)=%v connected(2)=%v len=%d", h.Connected(1), h.Connected(2), h.Len())
	}
}
