package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/stream"
)

// The streaming API: one multiplexed websocket (/api/v1/streaming) and the
// server-sent-events endpoints, on the same port as everything else. Events
// come from the stream hub (internal/stream), fed by the dispatcher
// (stream_dispatch.go).

// realtime is the API's streaming state; its zero value is ready (see hub).
type realtime struct {
	once  sync.Once
	hub   *stream.Hub
	hints chan hint
	wake  chan struct{} // the notification tailer
}

// StreamingOptions tune the hub; set before the first connection (tests).
var StreamingOptions = stream.Options{}

// writeTimeout bounds one write to a streaming client.
const streamWriteTimeout = 15 * time.Second

func (a *API) realtime() *realtime {
	a.rt.once.Do(func() {
		a.rt.hub = stream.New(StreamingOptions)
		a.rt.hints = make(chan hint, 8192)
		a.rt.wake = make(chan struct{}, 1)
	})
	return &a.rt
}

// StreamHub is the hub (benchmarks and tests read its counters).
func (a *API) StreamHub() *stream.Hub { return a.realtime().hub }

// CloseStreams ends every streaming connection (server shutdown: the
// server-sent-events handlers would otherwise hold Shutdown up).
func (a *API) CloseStreams() { a.realtime().hub.Close() }

// EndStreams closes the connections that hold credentials which just
// ended (set as core.Service.Revoked): revoked tokens, and every
// connection of an account whose password changed or that was suspended,
// disabled or deleted.
func (a *API) EndStreams(r core.Revocation) {
	hub := a.realtime().hub
	if r.AccountID != 0 {
		hub.CloseAccount(r.AccountID, "credentials ended")
	}
	if len(r.TokenIDs) > 0 {
		hub.CloseTokens(r.TokenIDs, "access token revoked")
	}
}

// streamRecheck is how often the tokens of open streams are checked for
// revocations made by another process.
const streamRecheck = time.Minute

// RecheckStreams closes the streams whose token was deleted by another
// process (the command line sets passwords): its change could not be
// announced to this one. It returns how many it closed.
func (a *API) RecheckStreams(ctx context.Context) (int, error) {
	hub := a.realtime().hub
	ids := hub.TokenIDs()
	if len(ids) == 0 {
		return 0, nil
	}
	gone, err := a.svc.RevokedTokens(ctx, ids)
	if err != nil || len(gone) == 0 {
		return 0, err
	}
	return hub.CloseTokens(gone, "access token revoked"), nil
}

// register adds a connection to the hub and subscribes it to its first
// stream, if any; then it checks the credential again: one that ended
// between the authentication and the registration (whose announcement
// found nothing to close) is not kept. It returns nil when the connection
// must end.
func (a *API) register(ctx context.Context, cl *core.Caller, conn stream.Conn, first *core.StreamSpec) *stream.Sub {
	hub := a.realtime().hub
	sub := hub.Add(cl.Account.ID, cl.Token.ID, conn)
	if sub == nil {
		return nil
	}
	if !cl.SeesDirect() {
		sub.HideDirect()
	}
	if first != nil {
		key, names := topicOf(cl.Account.ID, *first)
		hub.Subscribe(sub, key, names)
		a.subscribed(*first)
	}
	if a.svc.CheckCaller(ctx, cl) != nil {
		hub.Remove(sub)
		return nil
	}
	return sub
}

// subscribed wakes the notification tailer for a new user stream: a
// notification committed just before is sent at once.
func (a *API) subscribed(spec core.StreamSpec) {
	if spec.Name == core.StreamUser || spec.Name == core.StreamUserNotification {
		a.wakeTail()
	}
}

func (a *API) registerStreaming(e *echo.Echo) {
	// The websocket authenticates in its handler: browsers cannot set
	// headers on a websocket, so the token may come as the
	// Sec-WebSocket-Protocol. Server-sent events take the usual header or
	// access_token parameter.
	a.handle(e, http.MethodGet, "/api/v1/streaming", a.streamingSocket, public())
	sse := func(path, name string, scope string) {
		a.handle(e, http.MethodGet, "/api/v1/streaming"+path, func(c echo.Context) error { return a.streamingEvents(c, name) }, user(scope))
	}
	sse("/user", core.StreamUser, "read:statuses")
	sse("/user/notification", core.StreamUserNotification, "read:notifications")
	sse("/public", core.StreamPublic, "read:statuses")
	sse("/public/local", core.StreamPublicLocal, "read:statuses")
	sse("/public/remote", core.StreamPublicRemote, "read:statuses")
	sse("/public/media", core.StreamPublic+":media", "read:statuses")
	sse("/public/local/media", core.StreamPublicLocal+":media", "read:statuses")
	sse("/public/remote/media", core.StreamPublicRemote+":media", "read:statuses")
	sse("/hashtag", core.StreamHashtag, "read:statuses")
	sse("/hashtag/local", core.StreamHashtagLocal, "read:statuses")
	sse("/list", core.StreamList, "read:statuses")
	sse("/direct", core.StreamDirect, "read:statuses")
}

// topicOf maps a stream to its hub key and the "stream" array of its events.
func topicOf(accountID int64, spec core.StreamSpec) (key string, names []string) {
	name := spec.Name
	if spec.Media {
		name += ":media"
	}
	switch spec.Name {
	case core.StreamUser:
		return stream.UserKey(accountID), []string{name}
	case core.StreamUserNotification:
		return stream.UserNotificationKey(accountID), []string{name}
	case core.StreamDirect:
		return stream.DirectKey(accountID), []string{name}
	case core.StreamList:
		return stream.ListKey(spec.ListID), []string{name, idString(spec.ListID)}
	case core.StreamHashtag, core.StreamHashtagLocal:
		return stream.HashtagKey(spec.Tag, spec.Name == core.StreamHashtagLocal), []string{name, spec.Tag}
	}
	return stream.PublicKey(spec.Name == core.StreamPublicLocal, spec.Name == core.StreamPublicRemote, spec.Media), []string{name}
}

// Connections are lean: once a stream is authorised its HTTP connection is
// hijacked and the handler returns, so that neither the request nor the
// server's connection goroutine and 4 KiB buffers stay behind. What remains
// per connection is the socket, one reading goroutine (it notices the
// client leaving and reads websocket frames), small buffers and the hub's
// Sub.

// hijack takes the connection over with no deadlines. The returned reader
// is a small buffer holding what the server had already read from the
// client (a websocket client may send its first frames at once).
func hijack(w http.ResponseWriter) (net.Conn, *bufio.Reader, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	n := brw.Reader.Buffered()
	if n == 0 {
		return conn, bufio.NewReaderSize(conn, 512), nil
	}
	b, _ := brw.Reader.Peek(n)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), conn), max(512, n))
	if _, err := br.Peek(n); err != nil { // the leftover becomes buffered data
		conn.Close()
		return nil, nil, err
	}
	return conn, br, nil
}

// leanWriter hands coder/websocket small buffers instead of the server's.
type leanWriter struct{ http.ResponseWriter }

func (l leanWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, br, err := hijack(l.ResponseWriter)
	if err != nil {
		return nil, nil, err
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, 1024)), nil
}

// slimCaller keeps what a stream needs of its caller (not the keys and
// secrets loaded with the account and user).
func slimCaller(cl *core.Caller) *core.Caller {
	out := &core.Caller{Token: &model.Token{ID: cl.Token.ID, AppID: cl.Token.AppID, UserID: cl.Token.UserID, Scopes: cl.Token.Scopes}}
	if cl.User != nil {
		out.User = &model.User{ID: cl.User.ID, AccountID: cl.User.AccountID, Role: cl.User.Role}
	}
	if cl.Account != nil {
		out.Account = &model.Account{ID: cl.Account.ID, Username: cl.Account.Username}
	}
	return out
}

// --- server-sent events ---

// sseConn is a hijacked connection answering with server-sent events. Its
// response head goes out before the first event, whoever writes first:
// the handler once the stream is registered, or the hub with an event
// published in between (so none is lost between the two).
type sseConn struct {
	conn net.Conn
	mu   sync.Mutex
	head []byte // not yet written
}

func (s *sseConn) Write(m *stream.Message) error { return s.send(m.SSE()) }

func (s *sseConn) send(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head != nil {
		b = append(s.head, b...)
		s.head = nil
	}
	if len(b) == 0 {
		return nil
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_, err := s.conn.Write(b)
	return err
}

func (s *sseConn) Abort() { s.conn.Close() }

func (a *API) streamingEvents(c echo.Context, name string) error {
	r := c.Request()
	if r.Method == http.MethodHead {
		return c.NoContent(http.StatusOK)
	}
	q := r.URL.Query()
	cl := caller(c)
	spec, err := a.svc.ResolveStream(r.Context(), cl, name, q.Get("tag"), q.Get("list"))
	if err != nil {
		return err
	}
	hub := a.realtime().hub
	// The response head, with what the middlewares set (CORS...): the body
	// is delimited by the end of the connection.
	var head strings.Builder
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "close")
	for k, vs := range h {
		for _, v := range vs {
			head.WriteString(k + ": " + strings.NewReplacer("\r", "", "\n", "").Replace(v) + "\r\n")
		}
	}
	head.WriteString("\r\n:)\n\n") // a first comment: the stream is open
	conn, rd, err := hijack(c.Response().Writer)
	if err != nil {
		return err
	}
	// Registered first, then the head: an event published meanwhile
	// follows the head out (sseConn.send).
	sc := &sseConn{conn: conn, head: []byte(head.String())}
	sub := a.register(r.Context(), cl, sc, &spec)
	if sub == nil {
		conn.Close()
		return nil
	}
	if err := sc.send(nil); err != nil {
		hub.Remove(sub)
		conn.Close()
		return nil
	}
	go func() {
		// The client sends nothing more; a read returns when it leaves (or
		// when the hub closes the socket).
		var buf [64]byte
		for {
			if _, err := rd.Read(buf[:]); err != nil {
				break
			}
		}
		hub.Remove(sub)
		conn.Close()
	}()
	return nil
}

// --- websocket ---

type wsConn struct {
	c      *websocket.Conn
	cancel context.CancelFunc
	sub    *stream.Sub
}

func (w *wsConn) Write(m *stream.Message) error {
	if m == stream.Heartbeat {
		// A ping waits for its pong, read by the connection's loop; never
		// hold a pool writer for it.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), streamWriteTimeout)
			defer cancel()
			if err := w.c.Ping(ctx); err != nil && w.sub != nil {
				w.sub.Close()
			}
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), streamWriteTimeout)
	defer cancel()
	return w.c.Write(ctx, websocket.MessageText, m.WS())
}

func (w *wsConn) Abort() { w.cancel() }

// wsToken finds the token of a websocket request: header, then
// Sec-WebSocket-Protocol, then access_token.
func wsToken(r *http.Request) (token string, viaProtocol bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		return bearer(r), false
	}
	if p := strings.TrimSpace(r.Header.Get("Sec-WebSocket-Protocol")); p != "" {
		first, _, _ := strings.Cut(p, ",")
		return strings.TrimSpace(first), true
	}
	return r.URL.Query().Get("access_token"), false
}

// wsError is what Mastodon sends for a bad subscription.
func wsError(err error) []byte {
	he := herr.As(err)
	b, _ := json.Marshal(map[string]any{"error": he.Msg, "status": he.Status})
	return b
}

type wsRequest struct {
	Type   string `json:"type"`
	Stream string `json:"stream"`
	Tag    string `json:"tag"`
	List   any    `json:"list"`
}

func (a *API) streamingSocket(c echo.Context) error {
	r := c.Request()
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if r.URL.Query().Get("stream") != "" {
			// A plain GET with ?stream=: server-sent events.
			token := bearer(r)
			cl, err := a.svc.CallerByToken(r.Context(), token)
			if err != nil {
				return err
			}
			c.Set(callerKey, cl)
			return a.streamingEvents(c, r.URL.Query().Get("stream"))
		}
		// Mastodon's REST host answers 404 here when streaming is served
		// on the same host.
		return herr.NotFound("streaming")
	}
	token, viaProtocol := wsToken(r)
	cl, err := a.svc.CallerByToken(r.Context(), token)
	if err != nil {
		return err
	}
	if cl.User == nil {
		return herr.Unauthorized("Error connecting to the streaming server: a user token is required")
	}
	if !cl.Allows("read:statuses") && !cl.Allows("read:notifications") {
		return herr.Forbidden("Access token does not have the required scopes")
	}
	// An initial stream is checked before the upgrade, so that a bad one
	// is an HTTP error.
	q := r.URL.Query()
	var first *core.StreamSpec
	if name := q.Get("stream"); name != "" {
		spec, err := a.svc.ResolveStream(r.Context(), cl, name, q.Get("tag"), q.Get("list"))
		if err != nil {
			return err
		}
		first = &spec
	}
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true} // any origin: the token is the credential
	if viaProtocol {
		opts.Subprotocols = []string{token}
	}
	ws, err := websocket.Accept(leanWriter{c.Response().Writer}, r, opts)
	if err != nil {
		return nil // Accept answered the client
	}
	ws.SetReadLimit(4096)
	ctx, cancel := context.WithCancel(context.Background())
	conn := &wsConn{c: ws, cancel: cancel}
	sub := a.register(r.Context(), cl, conn, first)
	if sub == nil {
		cancel()
		ws.Close(websocket.StatusPolicyViolation, "connection refused")
		return nil
	}
	conn.sub = sub
	go a.websocketLoop(ctx, ws, sub, slimCaller(cl))
	return nil
}

// websocketLoop reads subscribe and unsubscribe messages until the client
// leaves or the hub closes the subscriber.
func (a *API) websocketLoop(ctx context.Context, ws *websocket.Conn, sub *stream.Sub, cl *core.Caller) {
	hub := a.realtime().hub
	defer func() {
		hub.Remove(sub)
		// A cancelled read has closed the connection already; else close it.
		ws.CloseNow()
	}()
	for {
		typ, msg, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		var req wsRequest
		if json.Unmarshal(msg, &req) != nil || (req.Type != "subscribe" && req.Type != "unsubscribe") {
			continue
		}
		if req.Type == "subscribe" {
			// Another process (the command line) may have revoked the
			// token since the connection opened, unannounced here: check
			// it again before any new stream.
			if err := a.svc.CheckCaller(ctx, cl); err != nil {
				wctx, wcancel := context.WithTimeout(ctx, streamWriteTimeout)
				_ = ws.Write(wctx, websocket.MessageText, wsError(err))
				wcancel()
				ws.Close(websocket.StatusPolicyViolation, "access token revoked")
				return
			}
		}
		list := ""
		switch v := req.List.(type) {
		case string:
			list = v
		case float64:
			list = idString(int64(v))
		}
		spec, err := a.svc.ResolveStream(ctx, cl, req.Stream, req.Tag, list)
		if err != nil {
			wctx, wcancel := context.WithTimeout(ctx, streamWriteTimeout)
			werr := ws.Write(wctx, websocket.MessageText, wsError(err))
			wcancel()
			if werr != nil {
				return
			}
			continue
		}
		key, names := topicOf(cl.Account.ID, spec)
		if req.Type == "subscribe" {
			hub.Subscribe(sub, key, names)
			a.subscribed(spec)
		} else {
			hub.Unsubscribe(sub, key)
		}
	}
}
