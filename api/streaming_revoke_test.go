package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/stream"
)

// issuedAppToken registers an app and issues a token of username through it,
// returning the app's credentials and the token.
func issuedAppToken(t *testing.T, ts *server.TestServer, username, scopes string) (clientID, secret, token string) {
	t.Helper()
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	ts.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "streamer", "redirect_uris": core.OOB, "scopes": scopes}, 200, &app)
	ctx := context.Background()
	a, err := ts.Srv.Svc.AppByClientID(ctx, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := ts.Srv.Svc.LocalAccount(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := ts.Srv.Svc.IssueToken(ctx, a.ID, acc.ID, strings.Fields(scopes))
	if err != nil {
		t.Fatal(err)
	}
	return app.ClientID, app.ClientSecret, plain
}

// A revoked token's websocket and server-sent-events streams are closed
// by the server at once; the other streams of the same account stay.
func TestStreamingRevokedTokenClosesItsStreams(t *testing.T) {
	f := startStreaming(t)
	clientID, secret, tok := issuedAppToken(t, f.ts, "bob", "read write")
	ws := dialWS(t, f.ts, tok, "header", "stream=public")
	sse := dialSSE(t, f.ts, tok, "/api/v1/streaming/public", stream.PublicKey(false, false, false))
	other := dialWS(t, f.ts, f.tBob, "header", "stream=public")
	// Every stream is live once it got a first post.
	f.liveStreams(t, ws, sse, other)

	st, _, body := f.ts.Do(t, "POST", "/oauth/revoke", "", url.Values{"client_id": {clientID}, "client_secret": {secret}, "token": {tok}})
	if st != 200 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	ws.waitEnded("websocket of a revoked token", 5*time.Second)
	sse.waitEnded("SSE stream of a revoked token", 5*time.Second)
	// Bob's other token still streams.
	id := f.post(t, f.tAlice, "after the revocation", "public")
	other.wait("stream of another token", 10*time.Second, statusEvent("update", id))

	// Revoking an app from the settings (every token of the user held by
	// it) closes its streams too.
	_, _, tok2 := issuedAppToken(t, f.ts, "bob", "read")
	ws2 := dialWS(t, f.ts, tok2, "query", "stream=user")
	ctx := context.Background()
	cl, err := f.ts.Srv.Svc.CallerByToken(ctx, tok2)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ts.Srv.Svc.RevokeAuthorizedApp(ctx, cl, cl.Token.AppID, 0); err != nil {
		t.Fatal(err)
	}
	ws2.waitEnded("websocket of a revoked app", 5*time.Second)
}

// Suspending or disabling an account closes all its streams; the
// streams of other accounts stay.
func TestStreamingSuspensionClosesStreams(t *testing.T) {
	f := startStreaming(t)
	f.ts.CreateUser(t, "mod", "admin")
	admin := f.ts.Token(t, "mod", "admin:read admin:write")
	bobWS := dialWS(t, f.ts, f.tBob, "protocol", "stream=user") // bob follows alice
	bobSSE := dialSSE(t, f.ts, f.tBob, "/api/v1/streaming/public/local", stream.PublicKey(true, false, false))
	carolWS := dialWS(t, f.ts, f.tCar, "header", "stream=public")
	daveSSE := dialSSE(t, f.ts, f.tDave, "/api/v1/streaming/public", stream.PublicKey(false, false, false))
	f.liveStreams(t, bobWS, bobSSE, carolWS, daveSSE)

	f.ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", f.bob.ID), admin, map[string]any{"type": "suspend"}, 200, nil)
	bobWS.waitEnded("websocket of a suspended account", 5*time.Second)
	bobSSE.waitEnded("SSE stream of a suspended account", 5*time.Second)

	f.ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", f.dave.ID), admin, map[string]any{"type": "disable"}, 200, nil)
	daveSSE.waitEnded("SSE stream of a disabled account", 5*time.Second)

	id := f.post(t, f.tAlice, "still streaming", "public")
	carolWS.wait("stream of another account", 10*time.Second, statusEvent("update", id))
}

// A websocket whose token was revoked behind the server's back (by
// another process: the CLI) may not subscribe to anything more.
func TestStreamingSubscribeAfterRevocationRefused(t *testing.T) {
	f := startStreaming(t)
	ws := dialWS(t, f.ts, f.tCar, "header", "")
	ws.send(map[string]any{"type": "subscribe", "stream": "public"})
	ws.sync()
	id := f.post(t, f.tAlice, "before", "public")
	ws.wait("subscribed", 10*time.Second, statusEvent("update", id))

	// The store alone: no announcement reaches the streams.
	if n, err := f.ts.Srv.Store.RevokeToken(context.Background(), f.tCar, 0); err != nil || n == 0 {
		t.Fatalf("revoke in the store: %v %v", n, err)
	}
	ws.send(map[string]any{"type": "subscribe", "stream": "hashtag", "tag": "secret"})
	ws.wait("error frame", 10*time.Second, func(e streamEvent) bool {
		return e.Event == "error" && strings.Contains(e.Payload, "access token is invalid")
	})
	ws.waitEnded("websocket after a refused subscription", 5*time.Second)
}

// A password set by another process (`herald account set-password`
// while the server runs) deletes the tokens without telling this one:
// the periodic check closes their streams.
func TestStreamingRecheckClosesStreamsOfTokensDeletedElsewhere(t *testing.T) {
	f := startStreaming(t)
	ws := dialWS(t, f.ts, f.tCar, "header", "stream=public")
	sse := dialSSE(t, f.ts, f.tCar, "/api/v1/streaming/public", stream.PublicKey(false, false, false))
	other := dialSSE(t, f.ts, f.tDave, "/api/v1/streaming/public", stream.PublicKey(false, false, false))
	f.liveStreams(t, ws, sse, other)
	ctx := context.Background()
	hash, err := core.HashPassword("set by the command line")
	if err != nil {
		t.Fatal(err)
	}
	// What the command line does, in its own process: the store alone.
	if err := f.ts.Srv.Store.SetPassword(ctx, f.carol.ID, hash, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := f.ts.Srv.API.RecheckStreams(ctx); err != nil || n != 2 {
		t.Fatalf("recheck closed %d streams (%v), want 2", n, err)
	}
	ws.waitEnded("websocket of a deleted token", 5*time.Second)
	sse.waitEnded("SSE stream of a deleted token", 5*time.Second)
	id := f.post(t, f.tAlice, "after", "public")
	other.wait("stream of another account", 10*time.Second, statusEvent("update", id))
}

// liveStreams checks that every source receives a public post. dialWS and
// dialSSE return once their streams are in the hub, so one post reaches
// them all.
func (f *streamFixture) liveStreams(t *testing.T, sources ...*eventSource) {
	t.Helper()
	id := f.post(t, f.tAlice, "is this stream live?", "public")
	for _, s := range sources {
		s.wait("a first post", 10*time.Second, statusEvent("update", id))
	}
}
