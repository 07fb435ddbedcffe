package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/stream"
	"github.com/herald-social/herald/internal/testutil"
)

// streamEvent is one event as a client sees it; Payload is the decoded
// payload string (Mastodon sends a JSON string inside the event).
type streamEvent struct {
	Stream  []string
	Event   string
	Payload string
	At      time.Time
}

// eventSource is a streaming client (websocket or server-sent events).
type eventSource struct {
	t      *testing.T
	mu     sync.Mutex
	events []streamEvent
	signal chan struct{}
	send   func(v any)
	close  func()
	ended  chan struct{} // closed when the connection ends
}

func newSource(t *testing.T) *eventSource {
	return &eventSource{t: t, signal: make(chan struct{}, 1)}
}

func (s *eventSource) add(e streamEvent) {
	e.At = time.Now()
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// wait returns the first event matching, failing after d.
func (s *eventSource) wait(what string, d time.Duration, match func(streamEvent) bool) streamEvent {
	s.t.Helper()
	deadline := time.After(d)
	for {
		s.mu.Lock()
		for _, e := range s.events {
			if match(e) {
				s.mu.Unlock()
				return e
			}
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-deadline:
			s.t.Fatalf("%s: no event within %v; got %s", what, d, s.dump())
		}
	}
}

// none checks that no event matching has arrived. Call it after a
// barrier (streamFixture.barrier): an event that was going to come has
// come by then.
func (s *eventSource) none(what string, match func(streamEvent) bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if match(e) {
			s.t.Fatalf("%s: got %s %s", what, e.Event, e.Payload)
		}
	}
}

// sync waits until the server has read every message sent on the
// websocket before it, and registered the stream it was opened with: the
// server reads a socket's messages in order, once the connection is in the
// hub, and answers a request for an unknown stream with an error frame.
// That frame is taken out of the events.
func (s *eventSource) sync() {
	s.t.Helper()
	s.mu.Lock()
	from := len(s.events)
	s.mu.Unlock()
	s.send(map[string]any{"type": "unsubscribe", "stream": "test-sync"})
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		for i := from; i < len(s.events); i++ {
			if s.events[i].Event == "error" {
				s.events = append(s.events[:i], s.events[i+1:]...)
				s.mu.Unlock()
				return
			}
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-deadline:
			s.t.Fatalf("sync: no error frame within 5 s; got %s", s.dump())
		}
	}
}

// waitEnded waits for the server to close the connection.
func (s *eventSource) waitEnded(what string, d time.Duration) {
	s.t.Helper()
	select {
	case <-s.ended:
	case <-time.After(d):
		s.t.Fatalf("%s: the connection is still open after %v", what, d)
	}
}

func (s *eventSource) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, e := range s.events {
		fmt.Fprintf(&b, "\n  %v %s %.120s", e.Stream, e.Event, e.Payload)
	}
	return b.String()
}

// dialWS opens the multiplexed websocket; how says where the token goes:
// "header", "protocol" or "query".
func dialWS(t *testing.T, ts *server.TestServer, token, how, query string) *eventSource {
	t.Helper()
	u := "ws://" + ts.Domain + "/api/v1/streaming"
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	q := url.Values{}
	if query != "" {
		q, _ = url.ParseQuery(query)
	}
	switch how {
	case "header":
		opts.HTTPHeader.Set("Authorization", "Bearer "+token)
	case "protocol":
		opts.Subprotocols = []string{token}
	case "query":
		q.Set("access_token", token)
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		cancel()
		t.Fatalf("dial %s: %v (%v)", u, err, resp)
	}
	if how == "protocol" && c.Subprotocol() != token {
		t.Errorf("subprotocol %q not echoed", c.Subprotocol())
	}
	s := newSource(t)
	s.send = func(v any) {
		b, _ := json.Marshal(v)
		if err := c.Write(ctx, websocket.MessageText, b); err != nil {
			t.Errorf("ws write: %v", err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			var raw struct {
				Stream  []string `json:"stream"`
				Event   string   `json:"event"`
				Payload *string  `json:"payload"`
				Error   string   `json:"error"`
			}
			if err := json.Unmarshal(msg, &raw); err != nil {
				t.Errorf("ws frame is not JSON: %s", msg)
				continue
			}
			if raw.Error != "" {
				s.add(streamEvent{Event: "error", Payload: raw.Error})
				continue
			}
			e := streamEvent{Stream: raw.Stream, Event: raw.Event}
			if raw.Payload != nil {
				e.Payload = *raw.Payload
			}
			s.add(e)
		}
	}()
	s.close = func() { cancel(); c.CloseNow(); <-done }
	s.ended = done
	t.Cleanup(s.close)
	s.sync() // in the hub, with its first stream
	return s
}

// dialSSE opens a server-sent-events stream, and returns once it is
// subscribed to the hub's topic key (the server writes the response head
// before it subscribes the connection).
func dialSSE(t *testing.T, ts *server.TestServer, token, path, key string) *eventSource {
	t.Helper()
	hub := ts.Srv.API.StreamHub()
	before := hub.Subscribers(key)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("SSE %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := newSource(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev streamEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					s.add(ev)
				}
				ev = streamEvent{}
			case strings.HasPrefix(line, ":"):
				s.add(streamEvent{Event: "heartbeat", Payload: line})
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Payload += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	s.close = func() { cancel(); resp.Body.Close(); <-done }
	s.ended = done
	t.Cleanup(s.close)
	s.wait("SSE open", 2*time.Second, func(e streamEvent) bool { return e.Event == "heartbeat" })
	testutil.Eventually(t, 2*time.Second, "the SSE stream subscribed to "+key, func() bool { return hub.Subscribers(key) > before })
	return s
}

// statusEvent matches an update (or status.update) of a status id.
func statusEvent(event, id string) func(streamEvent) bool {
	return func(e streamEvent) bool {
		if e.Event != event {
			return false
		}
		var st struct {
			ID string `json:"id"`
		}
		return json.Unmarshal([]byte(e.Payload), &st) == nil && st.ID == id
	}
}

func notificationEvent(typ string) func(streamEvent) bool {
	return func(e streamEvent) bool {
		if e.Event != "notification" {
			return false
		}
		var n struct {
			Type    string         `json:"type"`
			Account map[string]any `json:"account"`
		}
		return json.Unmarshal([]byte(e.Payload), &n) == nil && n.Type == typ && n.Account != nil
	}
}

func anyStatus(id string) func(streamEvent) bool {
	return func(e streamEvent) bool { return strings.Contains(e.Payload, `"id":"`+id+`"`) }
}

type streamFixture struct {
	ts                 *server.TestServer
	alice, bob, carol  *model.Account
	dave               *model.Account
	tAlice, tBob, tCar string
	tDave              string
}

func startStreaming(t *testing.T) *streamFixture {
	t.Helper()
	ts := server.StartTest(t)
	f := &streamFixture{ts: ts}
	f.alice = ts.CreateUser(t, "alice", "user")
	f.bob = ts.CreateUser(t, "bob", "user")
	f.carol = ts.CreateUser(t, "carol", "user")
	f.dave = ts.CreateUser(t, "dave", "user")
	f.tAlice = ts.Token(t, "alice", "read write follow push")
	f.tBob = ts.Token(t, "bob", "read write follow push")
	f.tCar = ts.Token(t, "carol", "read write follow push")
	f.tDave = ts.Token(t, "dave", "read write follow push")
	// bob follows alice; carol and dave do not.
	ts.JSON(t, "POST", "/api/v1/accounts/"+fmt.Sprint(f.alice.ID)+"/follow", f.tBob, nil, 200, nil)
	return f
}

// barrier posts a status and deletes it, and waits for the delete event on
// every source. The dispatcher streams core's changes one at a time, in
// order, a connection gets its events in order, and a delete goes to every
// stream: once it arrived, every event of an earlier change has arrived.
func (f *streamFixture) barrier(t *testing.T, sources ...*eventSource) {
	t.Helper()
	id := f.post(t, f.tAlice, "barrier", "public")
	f.ts.JSON(t, "DELETE", "/api/v1/statuses/"+id, f.tAlice, nil, 200, nil)
	for _, s := range sources {
		s.wait("the barrier's delete", 5*time.Second, func(e streamEvent) bool { return e.Event == "delete" && e.Payload == id })
	}
}

func (f *streamFixture) post(t *testing.T, token, text, vis string) string {
	t.Helper()
	var st struct {
		ID string `json:"id"`
	}
	f.ts.JSON(t, "POST", "/api/v1/statuses", token, map[string]any{"status": text, "visibility": vis}, 200, &st)
	return st.ID
}

func TestStreamingLocalUpdateReachesWebsocketAndSSE(t *testing.T) {
	f := startStreaming(t)
	ws := dialWS(t, f.ts, f.tBob, "protocol", "stream=user")
	sse := dialSSE(t, f.ts, f.tBob, "/api/v1/streaming/user", stream.UserKey(f.bob.ID))
	start := time.Now()
	id := f.post(t, f.tAlice, "hello streams", "public")
	e1 := ws.wait("websocket update", time.Second, statusEvent("update", id))
	e2 := sse.wait("SSE update", time.Second, statusEvent("update", id))
	if len(e1.Stream) != 1 || e1.Stream[0] != "user" {
		t.Errorf("stream = %v, want [user]", e1.Stream)
	}
	t.Logf("post to delivery: websocket %v, SSE %v", e1.At.Sub(start), e2.At.Sub(start))
	// The payload is a Status, rendered for a signed-in viewer.
	var st map[string]any
	if err := json.Unmarshal([]byte(e1.Payload), &st); err != nil {
		t.Fatal(err)
	}
	if st["favourited"] != false || st["content"] == nil || st["account"] == nil {
		t.Errorf("payload: %v", st)
	}

	// Edit and delete follow.
	f.ts.JSON(t, "PUT", "/api/v1/statuses/"+id, f.tAlice, map[string]any{"status": "hello, edited"}, 200, nil)
	ws.wait("status.update", time.Second, statusEvent("status.update", id))
	f.ts.JSON(t, "DELETE", "/api/v1/statuses/"+id, f.tAlice, nil, 200, nil)
	ws.wait("delete", time.Second, func(e streamEvent) bool { return e.Event == "delete" && e.Payload == id })
	sse.wait("SSE delete", time.Second, func(e streamEvent) bool { return e.Event == "delete" && e.Payload == id })
}

func TestStreamingTokenStylesAndErrors(t *testing.T) {
	f := startStreaming(t)
	for _, how := range []string{"header", "protocol", "query"} {
		ws := dialWS(t, f.ts, f.tBob, how, "stream=public:local")
		id := f.post(t, f.tAlice, "token via "+how, "public")
		e := ws.wait(how, time.Second, statusEvent("update", id))
		if len(e.Stream) != 1 || e.Stream[0] != "public:local" {
			t.Errorf("%s: stream %v", how, e.Stream)
		}
	}
	// Bad tokens and streams are HTTP errors before the upgrade.
	_, resp, err := websocket.Dial(context.Background(), "ws://"+f.ts.Domain+"/api/v1/streaming?stream=user&access_token=nope", nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("bad token: %v %v", err, resp)
	}
	st, _, body := f.ts.Do(t, "GET", "/api/v1/streaming/hashtag", f.tBob, nil)
	if st != 400 || !strings.Contains(string(body), "error") {
		t.Errorf("hashtag without tag: %d %s", st, body)
	}
	st, _, _ = f.ts.Do(t, "GET", "/api/v1/streaming/user", "", nil)
	if st != 401 {
		t.Errorf("SSE without token: %d", st)
	}
	readOnlyNotifs := f.ts.Token(t, "bob", "read:notifications")
	st, _, _ = f.ts.Do(t, "GET", "/api/v1/streaming/public", readOnlyNotifs, nil)
	if st != 403 {
		t.Errorf("public with read:notifications only: %d", st)
	}
	// An unknown stream in a subscribe message is an error frame.
	ws := dialWS(t, f.ts, f.tBob, "header", "")
	ws.send(map[string]any{"type": "subscribe", "stream": "nonsense"})
	ws.wait("error frame", time.Second, func(e streamEvent) bool { return e.Event == "error" && strings.Contains(e.Payload, "Unknown stream") })
	// Health.
	st, _, body = f.ts.Do(t, "GET", "/api/v1/streaming/health", "", nil)
	if st != 200 || string(body) != "OK" {
		t.Errorf("health: %d %s", st, body)
	}
}

func TestStreamingSubscribeUnsubscribeHashtagAndList(t *testing.T) {
	f := startStreaming(t)
	ws := dialWS(t, f.ts, f.tCar, "header", "")
	ws.send(map[string]any{"type": "subscribe", "stream": "hashtag", "tag": "Herald"})
	ws.send(map[string]any{"type": "subscribe", "stream": "hashtag:local", "tag": "herald"})
	ws.sync()
	id := f.post(t, f.tAlice, "tagged #herald", "public")
	e := ws.wait("hashtag", time.Second, func(e streamEvent) bool {
		return statusEvent("update", id)(e) && len(e.Stream) == 2 && e.Stream[0] == "hashtag" && e.Stream[1] == "herald"
	})
	_ = e
	ws.wait("hashtag:local", time.Second, func(e streamEvent) bool {
		return statusEvent("update", id)(e) && len(e.Stream) == 2 && e.Stream[0] == "hashtag:local"
	})
	ws.send(map[string]any{"type": "unsubscribe", "stream": "hashtag", "tag": "herald"})
	ws.send(map[string]any{"type": "unsubscribe", "stream": "hashtag:local", "tag": "herald"})
	// A stream that id2 does not reach, for the barrier's delete.
	ws.send(map[string]any{"type": "subscribe", "stream": "direct"})
	ws.sync()
	id2 := f.post(t, f.tAlice, "again #herald", "public")
	f.barrier(t, ws)
	ws.none("after unsubscribe", anyStatus(id2))

	// Lists: bob lists alice; only bob may open the list stream.
	var list struct {
		ID string `json:"id"`
	}
	f.ts.JSON(t, "POST", "/api/v1/lists", f.tBob, map[string]any{"title": "friends"}, 200, &list)
	f.ts.JSON(t, "POST", "/api/v1/lists/"+list.ID+"/accounts", f.tBob, map[string]any{"account_ids": []string{fmt.Sprint(f.alice.ID)}}, 200, nil)
	if st, _, _ := f.ts.Do(t, "GET", "/api/v1/streaming/list?list="+list.ID, f.tCar, nil); st != 404 {
		t.Errorf("someone else's list: %d", st)
	}
	lw := dialWS(t, f.ts, f.tBob, "header", "stream=list&list="+list.ID)
	id3 := f.post(t, f.tAlice, "for my list", "private")
	lw.wait("list update", time.Second, func(e streamEvent) bool {
		return statusEvent("update", id3)(e) && len(e.Stream) == 2 && e.Stream[0] == "list" && e.Stream[1] == list.ID
	})
}

// TestStreamingVisibility: private posts reach followers only, direct
// posts the mentioned only, on every stream.
func TestStreamingVisibility(t *testing.T) {
	f := startStreaming(t)
	// Every client listens to everything it may open.
	all := func(token string) *eventSource {
		ws := dialWS(t, f.ts, token, "header", "stream=user")
		for _, s := range []string{"public", "public:local", "direct", "user:notification"} {
			ws.send(map[string]any{"type": "subscribe", "stream": s})
		}
		ws.send(map[string]any{"type": "subscribe", "stream": "hashtag", "tag": "secret"})
		ws.sync()
		return ws
	}
	bob, carol, dave := all(f.tBob), all(f.tCar), all(f.tDave)
	carolSSE := dialSSE(t, f.ts, f.tCar, "/api/v1/streaming/public", stream.PublicKey(false, false, false))
	daveDirect := dialSSE(t, f.ts, f.tDave, "/api/v1/streaming/direct", stream.DirectKey(f.dave.ID))

	priv := f.post(t, f.tAlice, "followers only #secret", "private")
	bob.wait("follower gets the private post", time.Second, statusEvent("update", priv))
	f.barrier(t, carol, dave, carolSSE)
	carol.none("non-follower", anyStatus(priv))
	dave.none("non-follower", anyStatus(priv))
	carolSSE.none("non-follower SSE public", anyStatus(priv))

	dm := f.post(t, f.tAlice, "@dave just you", "direct")
	// dave does not follow alice: as Mastodon, the DM is no update on his
	// user stream (checked below), only a conversation and a notification.
	dave.wait("mentioned gets a conversation", time.Second, func(e streamEvent) bool {
		return e.Event == "conversation" && strings.Contains(e.Payload, `"id":"`+dm+`"`)
	})
	dave.wait("mention notification", time.Second, notificationEvent("mention"))
	daveDirect.wait("direct SSE", time.Second, func(e streamEvent) bool {
		return e.Event == "conversation" && strings.Contains(e.Payload, dm)
	})
	f.barrier(t, bob, carol, carolSSE, dave)
	dave.none("mentioned non-follower gets no update", statusEvent("update", dm))
	bob.none("follower does not get the DM", anyStatus(dm))
	carol.none("stranger does not get the DM", anyStatus(dm))
	carolSSE.none("SSE public", anyStatus(dm))

	// A block hides public posts on the public streams too.
	f.ts.JSON(t, "POST", "/api/v1/accounts/"+fmt.Sprint(f.alice.ID)+"/block", f.tCar, nil, 200, nil)
	pub := f.post(t, f.tAlice, "public #secret", "public")
	bob.wait("public", time.Second, statusEvent("update", pub))
	dave.wait("public stream", time.Second, statusEvent("update", pub))
	f.barrier(t, carol, carolSSE)
	carol.none("blocker", anyStatus(pub))
	carolSSE.none("blocker SSE", anyStatus(pub))
}

func TestStreamingNotificationEvents(t *testing.T) {
	f := startStreaming(t)
	aliceN := dialSSE(t, f.ts, f.tAlice, "/api/v1/streaming/user/notification", stream.UserNotificationKey(f.alice.ID))
	aliceWS := dialWS(t, f.ts, f.tAlice, "protocol", "stream=user")
	id := f.post(t, f.tAlice, "like me", "public")
	f.ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", f.tCar, nil, 200, nil)
	e := aliceN.wait("favourite notification (SSE)", time.Second, notificationEvent("favourite"))
	aliceWS.wait("favourite notification (ws)", time.Second, notificationEvent("favourite"))
	var n struct {
		GroupKey string `json:"group_key"`
		Status   struct {
			ID string `json:"id"`
		} `json:"status"`
	}
	json.Unmarshal([]byte(e.Payload), &n)
	if n.Status.ID != id || !strings.HasPrefix(n.GroupKey, "favourite-"+id+"-") {
		t.Errorf("notification: %+v", n)
	}
	// Follows notify too.
	f.ts.JSON(t, "POST", "/api/v1/accounts/"+fmt.Sprint(f.alice.ID)+"/follow", f.tDave, nil, 200, nil)
	aliceN.wait("follow notification", time.Second, notificationEvent("follow"))
}

// TestStreamingFederatedMention: a remote post mentioning a local user,
// delivered by federation between two servers, reaches the user's stream
// as an update (alice follows the author) and a mention notification.
func TestStreamingFederatedMention(t *testing.T) {
	ctx := context.Background()
	A, B := server.StartTest(t), server.StartTest(t)
	alice := A.CreateUser(t, "alice", "user")
	B.CreateUser(t, "rob", "user")
	tAlice := A.Token(t, "alice", "read write follow")
	tRob := B.Token(t, "rob", "read write follow")
	// alice finds and follows rob@B.
	rob, err := A.Srv.Svc.LookupAcct(ctx, "rob@"+B.Domain, true)
	if err != nil {
		t.Fatalf("resolve rob: %v", err)
	}
	robOnA := fmt.Sprint(rob.ID)
	A.JSON(t, "POST", "/api/v1/accounts/"+robOnA+"/follow", tAlice, nil, 200, nil)
	testutil.Eventually(t, 10*time.Second, "the follow accepted", func() bool {
		var rels []struct {
			Following bool `json:"following"`
		}
		A.JSON(t, "GET", "/api/v1/accounts/relationships?id[]="+robOnA, tAlice, nil, 200, &rels)
		return len(rels) == 1 && rels[0].Following
	})
	ws := dialWS(t, A, tAlice, "protocol", "stream=user")
	sse := dialSSE(t, A, tAlice, "/api/v1/streaming/user", stream.UserKey(alice.ID))
	start := time.Now()
	var st struct {
		URI string `json:"uri"`
	}
	B.JSON(t, "POST", "/api/v1/statuses", tRob, map[string]any{"status": "@alice@" + A.Domain + " hi from B", "visibility": "public"}, 200, &st)
	match := func(e streamEvent) bool { return e.Event == "update" && strings.Contains(e.Payload, st.URI) }
	e := ws.wait("federated update (ws)", 5*time.Second, match)
	sse.wait("federated update (SSE)", 5*time.Second, match)
	n := ws.wait("federated mention (ws)", 5*time.Second, notificationEvent("mention"))
	sse.wait("federated mention (SSE)", 5*time.Second, notificationEvent("mention"))
	t.Logf("remote post to local stream: update %v, mention %v", e.At.Sub(start), n.At.Sub(start))
	// And the federated arrival goes to the public streams of A.
	pub := dialWS(t, A, tAlice, "header", "stream=public:remote")
	B.JSON(t, "POST", "/api/v1/statuses", tRob, map[string]any{"status": "remote public", "visibility": "public"}, 200, &st)
	pub.wait("public:remote", 5*time.Second, func(e streamEvent) bool { return e.Event == "update" && strings.Contains(e.Payload, st.URI) })
}

// TestStreamingIngestRemoteStatus drives a federated arrival through core
// directly (independent of the federation engine).
func TestStreamingIngestRemoteStatus(t *testing.T) {
	f := startStreaming(t)
	ctx := context.Background()
	remote := &model.Account{Username: "zed", Domain: "remote.example", URI: "https://remote.example/users/zed",
		URL: "https://remote.example/@zed", InboxURL: "https://remote.example/users/zed/inbox", Discoverable: true}
	if err := f.ts.Srv.Store.UpsertRemoteAccount(ctx, remote); err != nil {
		t.Fatal(err)
	}
	if remote.ID == 0 {
		acc, err := f.ts.Srv.Store.AccountByURI(ctx, remote.URI)
		if err != nil {
			t.Fatal(err)
		}
		remote = acc
	}
	ws := dialWS(t, f.ts, f.tBob, "header", "stream=user")
	st, err := f.ts.Srv.Svc.IngestRemoteStatus(ctx, &model.Status{URI: "https://remote.example/notes/1", AccountID: remote.ID,
		Content: "<p>hi @bob</p>", Visibility: model.Direct}, []int64{f.bob.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.wait("remote mention", time.Second, notificationEvent("mention"))
	// bob does not follow zed: as Mastodon, the DM is no update on his
	// user stream.
	f.barrier(t, ws)
	ws.none("remote DM from an account not followed", statusEvent("update", fmt.Sprint(st.ID)))
	_ = core.StreamUser
}

// Announcements reach every user stream when published, changed while
// published, and deleted (as Mastodon's announcement and
// announcement.delete events); not the notification-only stream.
func TestStreamingAnnouncements(t *testing.T) {
	f := startStreaming(t)
	f.ts.CreateUser(t, "root", "owner")
	tRoot := f.ts.Token(t, "root", "read write admin:read admin:write")
	user := dialSSE(t, f.ts, f.tBob, "/api/v1/streaming/user", stream.UserKey(f.bob.ID))
	notes := dialSSE(t, f.ts, f.tCar, "/api/v1/streaming/user/notification", stream.UserNotificationKey(f.carol.ID))
	var an struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	}
	f.ts.JSON(t, "POST", "/api/v1/admin/announcements", tRoot, map[string]any{"text": "maintenance tonight"}, 200, &an)
	e := user.wait("announcement", 2*time.Second, func(e streamEvent) bool {
		return e.Event == "announcement" && strings.Contains(e.Payload, `"id":"`+an.ID+`"`)
	})
	if !strings.Contains(e.Payload, "maintenance tonight") {
		t.Errorf("payload: %s", e.Payload)
	}
	f.ts.JSON(t, "PUT", "/api/v1/admin/announcements/"+an.ID, tRoot, map[string]any{"text": "maintenance tomorrow"}, 200, nil)
	user.wait("changed announcement", 2*time.Second, func(e streamEvent) bool {
		return e.Event == "announcement" && strings.Contains(e.Payload, "maintenance tomorrow")
	})
	f.ts.JSON(t, "DELETE", "/api/v1/admin/announcements/"+an.ID, tRoot, nil, 200, nil)
	user.wait("announcement.delete", 2*time.Second, func(e streamEvent) bool { return e.Event == "announcement.delete" && e.Payload == an.ID })
	f.barrier(t, user, notes)
	notes.none("the notification stream", func(e streamEvent) bool { return strings.HasPrefix(e.Event, "announcement") })
}
