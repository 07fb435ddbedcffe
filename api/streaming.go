package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
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

// clearDeadlines lifts the server's read and write timeouts from a
// long-lived connection.
func clearDeadlines(c echo.Context) {
	rc := http.NewResponseController(c.Response().Writer)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// --- server-sent events ---

type sseConn struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (s *sseConn) Write(m *stream.Message) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := s.w.Write(m.SSE()); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sseConn) Abort() {}

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
	w := c.Response().Writer
	conn := &sseConn{w: w, rc: http.NewResponseController(w)}
	sub := hub.Add(cl.Account.ID, conn)
	if sub == nil {
		return herr.New(http.StatusServiceUnavailable, "Server is shutting down")
	}
	defer hub.Remove(sub)
	clearDeadlines(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The first bytes go out before any subscription can write.
	if _, err := w.Write([]byte(":)\n\n")); err != nil {
		return nil
	}
	_ = conn.rc.Flush()
	key, names := topicOf(cl.Account.ID, spec)
	hub.Subscribe(sub, key, names)
	select {
	case <-sub.Done():
	case <-r.Context().Done():
	}
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
		// A ping waits for its pong, read by the handler's loop; never hold
		// a pool writer for it.
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
	clearDeadlines(c)
	ws, err := websocket.Accept(c.Response(), r, opts)
	if err != nil {
		return nil // Accept answered the client
	}
	ws.SetReadLimit(4096)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := a.realtime().hub
	conn := &wsConn{c: ws, cancel: cancel}
	sub := hub.Add(cl.Account.ID, conn)
	if sub == nil {
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return nil
	}
	conn.sub = sub
	defer hub.Remove(sub)
	if first != nil {
		key, names := topicOf(cl.Account.ID, *first)
		hub.Subscribe(sub, key, names)
	}
	for {
		typ, msg, err := ws.Read(ctx)
		if err != nil {
			break
		}
		if typ != websocket.MessageText {
			continue
		}
		var req wsRequest
		if json.Unmarshal(msg, &req) != nil {
			continue
		}
		if req.Type != "subscribe" && req.Type != "unsubscribe" {
			continue
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
				break
			}
			continue
		}
		key, names := topicOf(cl.Account.ID, spec)
		if req.Type == "subscribe" {
			hub.Subscribe(sub, key, names)
		} else {
			hub.Unsubscribe(sub, key)
		}
	}
	hub.Remove(sub)
	// A cancelled read has closed the connection already; else close it.
	ws.CloseNow()
	return nil
}
