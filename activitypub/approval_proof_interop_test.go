package activitypub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// forger is a server no real Herald can stand in for: it sends replies
// claiming approvals they do not have. It serves its actor and signs
// what it posts.
type forger struct {
	url, actor string

	docs sync.Map // path -> JSON
}

func newForger(t *testing.T) (*forger, func(inbox string, activity map[string]any)) {
	t.Helper()
	key, err := httpsig.GenerateKey(0)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := httpsig.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forger{url: "http://" + ln.Addr().String()}
	f.actor = f.url + "/users/mallory"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/mallory", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       f.actor, "type": "Person", "preferredUsername": "mallory",
			"inbox": f.actor + "/inbox", "followers": f.actor + "/followers",
			"publicKey": map[string]string{"id": f.actor + "#main-key", "owner": f.actor, "publicKeyPem": pem},
		})
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if v, ok := f.docs.Load(r.URL.Path); ok {
			w.Header().Set("Content-Type", "application/activity+json")
			w.Write(v.([]byte))
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	send := func(inbox string, activity map[string]any) {
		t.Helper()
		body, _ := json.Marshal(activity)
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := httpsig.Sign(req, f.actor+"#main-key", key, body); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("inbox answered %d", resp.StatusCode)
		}
	}
	return f, send
}

// Issue 18, approvals checked by a third server: bob on B lets anyone
// reply to and boost his post only with his approval. On A, amy follows
// bob and carl (on C). carl's reply and boost wait on C for bob; bob
// approves both; C then sends them to A carrying bob's authorizations,
// which A fetches from B, checks and accepts: the reply shows under the
// post on A, the boost counts. Replies that come to A from a server that
// has no such approval (none, one for another reply, one served by
// itself) are dropped; one to an open post of bob's is kept.
func TestThirdServerChecksApprovals(t *testing.T) {
	ctx := context.Background()
	A, B, C := startHerald(t), startHerald(t), startHerald(t)
	amy := A.user(t, "amy", false)
	bob := B.user(t, "bob", false)
	carl := C.user(t, "carl", false)

	bobOnA, carlOnA := A.resolve(t, "bob@"+B.Domain), A.resolve(t, "carl@"+C.Domain)
	bobOnC := C.resolve(t, "bob@"+B.Domain)
	for _, f := range []struct {
		h         *herald
		c         *core.Caller
		target    int64
		following func() bool
	}{
		{A, amy, bobOnA.ID, nil}, {A, amy, carlOnA.ID, nil}, {C, carl, bobOnC.ID, nil},
	} {
		if _, err := f.h.svc.Follow(ctx, f.c, f.target, core.FollowOptions{}); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 15*time.Second, "follow accepted", func() bool { return f.h.following(f.c.Account.ID, f.target) })
	}

	askFirst := core.PolicyChoice{
		model.InteractReply:  {Automatic: []string{model.PolicyAuthor}, Manual: []string{model.PolicyPublic}},
		model.InteractReblog: {Automatic: []string{model.PolicyAuthor}, Manual: []string{model.PolicyPublic}},
	}
	guarded := post(t, B, bob, core.PostParams{Text: "ask me first", Visibility: "public", InteractionPolicy: askFirst})
	open := post(t, B, bob, core.PostParams{Text: "anyone may answer", Visibility: "public"})
	testutil.Eventually(t, 15*time.Second, "bob's posts on A and C", func() bool {
		return A.homeHas(t, amy, guarded.URI) && A.homeHas(t, amy, open.URI) && C.homeHas(t, carl, guarded.URI)
	})
	guardedOnA, guardedOnC := A.byURI(guarded.URI), C.byURI(guarded.URI)

	// --- carl asks; bob approves; A checks and shows ---
	reply := post(t, C, carl, core.PostParams{Text: "may I?", InReplyToID: guardedOnC.ID, Visibility: "public"})
	boost, err := C.svc.Reblog(ctx, carl, guardedOnC.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reply.PendingApproval || !boost.PendingApproval {
		t.Fatalf("carl's interactions do not wait for bob: reply %v, boost %v", reply.PendingApproval, boost.PendingApproval)
	}
	bobToken := B.Token(t, "bob", "read write")
	var reqs []struct {
		ID string `json:"id"`
	}
	testutil.Eventually(t, 15*time.Second, "carl's reply and boost held on B", func() bool {
		B.JSON(t, "GET", "/api/v1/interaction_requests", bobToken, nil, 200, &reqs)
		return len(reqs) == 2
	})
	for _, r := range reqs {
		B.JSON(t, "POST", "/api/v1/interaction_requests/"+r.ID+"/authorize", bobToken, nil, 200, nil)
	}
	testutil.Eventually(t, 15*time.Second, "the approved reply under bob's post on A", func() bool {
		st := A.byURI(reply.URI)
		return st != nil && st.InReplyToID == guardedOnA.ID && has(A.threadOf(t, amy, guardedOnA.ID), reply.URI)
	})
	testutil.Eventually(t, 15*time.Second, "the approved boost on A", func() bool { return A.byURI(boost.URI) != nil })
	approved := C.byURI(reply.URI)
	if approved.Authorization == "" || approved.ApprovedBy == "" {
		t.Fatalf("C keeps no approval: %+v", approved)
	}

	// --- a server with no approval of its own ---
	f, send := newForger(t)
	forged := func(name, inReplyTo string, extra map[string]any) string {
		note := map[string]any{
			"id": f.url + "/notes/" + name, "type": "Note", "attributedTo": f.actor,
			"content": "<p>" + name + "</p>", "inReplyTo": inReplyTo,
			"published": time.Now().UTC().Format(time.RFC3339),
			"to":        []string{"https://www.w3.org/ns/activitystreams#Public"},
			"cc":        []string{amy.Account.URI},
		}
		for k, v := range extra {
			note[k] = v
		}
		b, _ := json.Marshal(note)
		f.docs.Store("/notes/"+name, b)
		send(A.URL+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams",
			"id":       f.url + "/activities/" + name, "type": "Create", "actor": f.actor,
			"to": note["to"], "cc": note["cc"], "object": note,
		})
		return note["id"].(string)
	}
	// Served by the forger itself, for its own reply.
	own := f.url + "/authorizations/1"
	ownDoc, _ := json.Marshal(map[string]any{"id": own, "type": "ReplyAuthorization", "attributedTo": bobOnA.URI,
		"interactingObject": f.url + "/notes/self-made", "interactionTarget": guarded.URI})
	f.docs.Store("/authorizations/1", ownDoc)

	unasked := forged("unasked", guarded.URI, nil)
	borrowed := forged("borrowed", guarded.URI, map[string]any{"replyAuthorization": approved.Authorization, "approvedBy": approved.ApprovedBy})
	selfMade := forged("self-made", guarded.URI, map[string]any{"replyAuthorization": own})
	fine := forged("fine", open.URI, nil)
	testutil.Eventually(t, 15*time.Second, "the reply to the open post on A", func() bool { return A.byURI(fine) != nil })
	A.idle(t)
	for _, uri := range []string{unasked, borrowed, selfMade} {
		if A.byURI(uri) != nil {
			t.Errorf("%s kept on A", uri)
		}
	}
	thread := A.threadOf(t, amy, guardedOnA.ID)
	if len(thread) != 1 || thread[0] != reply.URI {
		t.Fatalf("thread of bob's post on A: %v", thread)
	}
}
