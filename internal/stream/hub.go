// Package stream is Herald's in-process event hub for the streaming API:
// connections subscribe to topics (a user's home feed, the public
// timelines, a hashtag, a list...), publishers hand it events already
// rendered, and a small pool of writer goroutines copies them to the
// connections.
//
// Design, for many idle connections and rare bursts:
//   - a connection costs its transport (one goroutine, kept by the HTTP
//     handler) and a Sub; no writer goroutine of its own: a Sub with pending
//     events is put on the pool's work queue once, and one pool goroutine
//     drains it, so a connection is written by one goroutine at a time;
//   - an event is encoded once per topic (Message caches both the websocket
//     frame and the server-sent-events form), not once per connection;
//   - every Sub has a bounded queue: a consumer that falls QueueLen events
//     behind is disconnected (clients reconnect and refetch); publishers
//     never block.
package stream

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Message is one event as written to the wire, shared by every connection
// that receives it.
type Message struct {
	Stream  []string
	Event   string
	Payload string
	// NoPayload: the event carries none (filters_changed).
	NoPayload bool

	wsOnce, sseOnce sync.Once
	ws, sse         []byte
}

// Heartbeat is the keep-alive sent to every connection periodically.
var Heartbeat = &Message{}

// WS is the websocket text frame: {"stream":[...],"event":"...","payload":"..."}.
func (m *Message) WS() []byte {
	m.wsOnce.Do(func() {
		v := struct {
			Stream  []string `json:"stream"`
			Event   string   `json:"event"`
			Payload *string  `json:"payload,omitempty"`
		}{Stream: m.Stream, Event: m.Event}
		if !m.NoPayload {
			v.Payload = &m.Payload
		}
		m.ws, _ = json.Marshal(v)
	})
	return m.ws
}

// SSE is the server-sent event: "event: name\ndata: payload\n\n".
func (m *Message) SSE() []byte {
	m.sseOnce.Do(func() {
		if m == Heartbeat {
			m.sse = []byte(":thump\n\n")
			return
		}
		var b strings.Builder
		b.WriteString("event: ")
		b.WriteString(m.Event)
		b.WriteString("\ndata: ")
		if m.NoPayload {
			b.WriteString("undefined")
		} else {
			// A payload is one line (JSON or an id); guard anyway.
			b.WriteString(strings.ReplaceAll(m.Payload, "\n", "\ndata: "))
		}
		b.WriteString("\n\n")
		m.sse = []byte(b.String())
	})
	return m.sse
}

// Conn is a transport (websocket or server-sent events) as the hub sees it.
type Conn interface {
	// Write sends one message (Heartbeat: a keep-alive); an error closes
	// the subscriber. The hub never calls Write concurrently for one Conn.
	Write(m *Message) error
	// Abort unblocks the transport's handler after Close.
	Abort()
}

// Sub is one connection's subscription state.
type Sub struct {
	AccountID int64
	TokenID   int64 // the access token it was opened with
	hub       *Hub
	conn      Conn

	mu        sync.Mutex
	queue     []*Message
	scheduled bool
	closed    bool
	topics    []string

	noDirect atomic.Bool // see HideDirect

	writing sync.Mutex // held while the pool writes to conn
	done    chan struct{}
	reason  string
}

// Done is closed when the subscriber is closed (by its handler, the hub
// shutting down, its credentials ending, a failed write or an overflowing
// queue).
func (s *Sub) Done() <-chan struct{} { return s.done }

// Reason says why the hub closed the subscriber ("" when its handler did).
func (s *Sub) Reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// HideDirect keeps the events marked Direct from the subscriber (its
// credential may not read direct messages); call it before subscribing.
func (s *Sub) HideDirect() { s.noDirect.Store(true) }

// Topics lists the topics the subscriber is in.
func (s *Sub) Topics() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.topics...)
}

// Options tune a Hub.
type Options struct {
	Writers   int           // pool goroutines (default 16)
	QueueLen  int           // pending events per connection before it is dropped (default 128)
	Heartbeat time.Duration // keep-alive period (default 30 s)
}

// Hub routes events to subscribers.
type Hub struct {
	opt Options

	mu       sync.RWMutex
	topics   map[string]*topic
	subs     map[*Sub]struct{}
	accounts map[int64]map[*Sub]struct{} // connections by account
	tokens   map[int64]map[*Sub]struct{} // connections by access token
	closed   bool

	work chan *Sub

	Dropped atomic.Int64 // subscribers dropped for falling behind
	Sent    atomic.Int64 // messages written
}

type topic struct {
	names []string
	subs  map[*Sub]struct{}
}

// New makes a hub; Run starts its writers.
func New(o Options) *Hub {
	if o.Writers <= 0 {
		o.Writers = 16
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 128
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 30 * time.Second
	}
	return &Hub{opt: o, topics: map[string]*topic{}, subs: map[*Sub]struct{}{}, accounts: map[int64]map[*Sub]struct{}{},
		tokens: map[int64]map[*Sub]struct{}{}, work: make(chan *Sub, 4096)}
}

// Run runs the writer pool and the heartbeat until ctx ends, then closes
// every subscriber.
func (h *Hub) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range h.opt.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case s := <-h.work:
					h.flush(s)
				}
			}
		}()
	}
	t := time.NewTicker(h.opt.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			h.Close()
			wg.Wait()
			return
		case <-t.C:
			h.mu.RLock()
			for s := range h.subs {
				s.enqueue(Heartbeat)
			}
			h.mu.RUnlock()
		}
	}
}

// Close closes every subscriber; later Adds fail.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	subs := make([]*Sub, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.closeWith("server shutting down")
	}
}

// Add registers a connection of an account, opened with an access token;
// its handler must call Remove when done. It returns nil when the hub is
// closed.
func (h *Hub) Add(accountID, tokenID int64, c Conn) *Sub {
	s := &Sub{AccountID: accountID, TokenID: tokenID, hub: h, conn: c, done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.subs[s] = struct{}{}
	addIndex(h.accounts, accountID, s)
	addIndex(h.tokens, tokenID, s)
	return s
}

func addIndex(m map[int64]map[*Sub]struct{}, k int64, s *Sub) {
	if m[k] == nil {
		m[k] = map[*Sub]struct{}{}
	}
	m[k][s] = struct{}{}
}

func removeIndex(m map[int64]map[*Sub]struct{}, k int64, s *Sub) {
	if set := m[k]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// CloseAccount closes every connection of an account (its credentials
// ended) and returns how many it closed.
func (h *Hub) CloseAccount(accountID int64, reason string) int {
	return h.closeIndexed(h.accounts, []int64{accountID}, reason)
}

// CloseTokens closes every connection opened with one of the access
// tokens (they were revoked) and returns how many it closed.
func (h *Hub) CloseTokens(tokenIDs []int64, reason string) int {
	return h.closeIndexed(h.tokens, tokenIDs, reason)
}

func (h *Hub) closeIndexed(m map[int64]map[*Sub]struct{}, keys []int64, reason string) int {
	var subs []*Sub
	h.mu.RLock()
	for _, k := range keys {
		for s := range m[k] {
			subs = append(subs, s)
		}
	}
	h.mu.RUnlock()
	// Closing aborts the transport; its handler then calls Remove.
	for _, s := range subs {
		s.closeWith(reason)
	}
	return len(subs)
}

// Remove closes a subscriber, takes it out of every topic, and waits for
// a write in progress to end: after it the transport is the handler's alone.
func (h *Hub) Remove(s *Sub) {
	s.closeWith("")
	h.mu.Lock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		removeIndex(h.accounts, s.AccountID, s)
		removeIndex(h.tokens, s.TokenID, s)
	}
	for _, key := range s.topics {
		h.leave(s, key)
	}
	h.mu.Unlock()
	s.writing.Lock()
	//lint:ignore SA2001 waiting for the writer to finish
	s.writing.Unlock()
}

// Subscribe adds s to a topic; names is the "stream" array its events
// carry (Mastodon's: ["user"], ["hashtag", "foo"], ...).
func (h *Hub) Subscribe(s *Sub, key string, names []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; !ok {
		return
	}
	t := h.topics[key]
	if t == nil {
		t = &topic{names: names, subs: map[*Sub]struct{}{}}
		h.topics[key] = t
	}
	if _, ok := t.subs[s]; ok {
		return
	}
	t.subs[s] = struct{}{}
	s.mu.Lock()
	s.topics = append(s.topics, key)
	s.mu.Unlock()
}

// Unsubscribe takes s out of a topic.
func (h *Hub) Unsubscribe(s *Sub, key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leave(s, key)
	s.mu.Lock()
	for i, k := range s.topics {
		if k == key {
			s.topics = append(s.topics[:i], s.topics[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
}

func (h *Hub) leave(s *Sub, key string) {
	if t := h.topics[key]; t != nil {
		delete(t.subs, s)
		if len(t.subs) == 0 {
			delete(h.topics, key)
		}
	}
}

// Has reports whether a topic has subscribers.
func (h *Hub) Has(key string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.topics[key] != nil
}

// Subscribers is the number of connections subscribed to a topic.
func (h *Hub) Subscribers(key string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if t := h.topics[key]; t != nil {
		return len(t.subs)
	}
	return 0
}

// TokenIDs lists the access tokens that hold connections.
func (h *Hub) TokenIDs() []int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]int64, 0, len(h.tokens))
	for id := range h.tokens {
		out = append(out, id)
	}
	return out
}

// Accounts lists the signed-in accounts subscribed to a topic (each once).
func (h *Hub) Accounts(key string) []int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	t := h.topics[key]
	if t == nil {
		return nil
	}
	seen := map[int64]bool{}
	var out []int64
	for s := range t.subs {
		if s.AccountID != 0 && !seen[s.AccountID] {
			seen[s.AccountID] = true
			out = append(out, s.AccountID)
		}
	}
	return out
}

// Connected reports whether an account has a connection.
func (h *Hub) Connected(accountID int64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.accounts[accountID]) > 0
}

// Len is the number of connections.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs)
}

// Event is what a publisher hands the hub for one topic.
type Event struct {
	Name      string
	Payload   string
	NoPayload bool
	// Skip, when set, names accounts that must not receive the event.
	Skip map[int64]bool
	// Per gives some accounts their own payload (rendered for them);
	// Only, when true, sends to those accounts alone.
	Per  map[int64]string
	Only bool
	// Direct: the event shows a direct message; subscribers that
	// HideDirect do not receive it.
	Direct bool
}

// Publish sends ev to every subscriber of key; it never blocks on a
// connection. It returns how many connections it reached.
func (h *Hub) Publish(key string, ev Event) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	t := h.topics[key]
	if t == nil {
		return 0
	}
	var def *Message
	var per map[int64]*Message
	n := 0
	for s := range t.subs {
		if ev.Skip[s.AccountID] || (ev.Direct && s.noDirect.Load()) {
			continue
		}
		var m *Message
		if p, ok := ev.Per[s.AccountID]; ok {
			if m = per[s.AccountID]; m == nil {
				if per == nil {
					per = map[int64]*Message{}
				}
				m = &Message{Stream: t.names, Event: ev.Name, Payload: p, NoPayload: ev.NoPayload}
				per[s.AccountID] = m
			}
		} else if ev.Only {
			continue
		} else {
			if def == nil {
				def = &Message{Stream: t.names, Event: ev.Name, Payload: ev.Payload, NoPayload: ev.NoPayload}
			}
			m = def
		}
		if s.enqueue(m) {
			n++
		}
	}
	return n
}

// BroadcastUsers publishes ev on every user stream ("user:<id>", not its
// notification half): what every signed-in user hears (announcements).
func (h *Hub) BroadcastUsers(ev Event) int {
	h.mu.RLock()
	var keys []string
	for k := range h.topics {
		if strings.HasPrefix(k, "user:") && !strings.HasPrefix(k, "user:notification:") {
			keys = append(keys, k)
		}
	}
	h.mu.RUnlock()
	n := 0
	for _, k := range keys {
		n += h.Publish(k, ev)
	}
	return n
}

// Broadcast publishes ev on every topic (delete events: their payload is
// an id, harmless to anyone).
func (h *Hub) Broadcast(ev Event) int {
	h.mu.RLock()
	keys := make([]string, 0, len(h.topics))
	for k := range h.topics {
		keys = append(keys, k)
	}
	h.mu.RUnlock()
	n := 0
	for _, k := range keys {
		n += h.Publish(k, ev)
	}
	return n
}

func (s *Sub) enqueue(m *Message) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	if len(s.queue) >= s.hub.opt.QueueLen {
		s.closeLocked("too slow")
		s.mu.Unlock()
		s.hub.Dropped.Add(1)
		s.conn.Abort()
		return false
	}
	s.queue = append(s.queue, m)
	sched := !s.scheduled
	s.scheduled = true
	s.mu.Unlock()
	if sched {
		select {
		case s.hub.work <- s:
		default:
			go s.hub.flush(s)
		}
	}
	return true
}

// flush writes a subscriber's pending messages.
func (h *Hub) flush(s *Sub) {
	s.writing.Lock()
	defer s.writing.Unlock()
	for {
		s.mu.Lock()
		if s.closed || len(s.queue) == 0 {
			s.queue = nil
			s.scheduled = false
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, m := range batch {
			if err := s.conn.Write(m); err != nil {
				s.closeWith("write failed")
				break
			}
			h.Sent.Add(1)
		}
	}
}

// Close closes the subscriber (idempotent).
func (s *Sub) Close() { s.closeWith("") }

func (s *Sub) closeWith(reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closeLocked(reason)
	s.mu.Unlock()
	s.conn.Abort()
}

func (s *Sub) closeLocked(reason string) {
	s.closed = true
	s.reason = reason
	s.queue = nil
	close(s.done)
}

// Topic keys. Per-account topics carry the account id; their stream names
// do not.

func UserKey(accountID int64) string { return "user:" + strconv.FormatInt(accountID, 10) }
func UserNotificationKey(accountID int64) string {
	return "user:notification:" + strconv.FormatInt(accountID, 10)
}
func DirectKey(accountID int64) string { return "direct:" + strconv.FormatInt(accountID, 10) }
func ListKey(listID int64) string      { return "list:" + strconv.FormatInt(listID, 10) }
func HashtagKey(tag string, local bool) string {
	if local {
		return "hashtag:local:" + tag
	}
	return "hashtag:" + tag
}

// PublicKey is "public", "public:local" or "public:remote", with ":media"
// appended for the media-only variants.
func PublicKey(local, remote, media bool) string {
	k := "public"
	if local {
		k += ":local"
	} else if remote {
		k += ":remote"
	}
	if media {
		k += ":media"
	}
	return k
}
