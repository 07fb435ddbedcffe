package activitypub_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// threadOf returns the URIs of the replies a caller sees under a status.
func (h *herald) threadOf(t *testing.T, c *core.Caller, statusID int64) []string {
	t.Helper()
	sc, err := h.svc.Context(context.Background(), c, statusID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, st := range sc.Descendants {
		out = append(out, st.URI)
	}
	return out
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Issue 18's two-instance test: ann on A lets her followers reply, anyone
// else only with her approval. On B, bea follows her and ben does not.
// B holds both to ann's policy: ben's reply goes to ann alone and waits;
// bea's goes too, as only A can vouch that she follows ann, and is
// accepted at once. On A, ben's reply is held (no thread, no notification:
// an interaction request); ann authorizes it through the client API, the
// Accept reaches B, and the reply shows under the post on both sides. A
// second reply she rejects is gone on both sides; where she allows no
// replies at all, B answers ben 422 without asking A. A follower's reply
// to a followers-only post waits on B for A's Accept, which A sends.
func TestRepliesHeldForApprovalAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	amy := A.user(t, "amy", false) // another reader on A
	ben := B.user(t, "ben", false)
	bea := B.user(t, "bea", false)

	annOnB := B.resolve(t, "ann@"+A.Domain)
	if _, err := B.svc.Follow(ctx, bea, annOnB.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "bea follows ann", func() bool { return B.following(bea.Account.ID, annOnB.ID) })

	followersOrApproval := core.PolicyChoice{
		model.InteractReply: {Automatic: []string{model.PolicyFollowers}, Manual: []string{model.PolicyPublic}},
	}
	hello := post(t, A, ann, core.PostParams{Text: "followers may reply; others, ask", Visibility: "public", InteractionPolicy: followersOrApproval})
	testutil.Eventually(t, 15*time.Second, "ann's post on B", func() bool { return B.homeHas(t, bea, hello.URI) })
	helloOnB := B.byURI(hello.URI)
	if p := helloOnB.Policy; p == nil || !has(p.Reply.Automatic, model.PolicyFollowers) || !has(p.Reply.Manual, model.PolicyPublic) {
		t.Fatalf("ann's policy as B read it: %+v", helloOnB.Policy)
	}

	// --- B: both replies wait for A ---
	benReply := post(t, B, ben, core.PostParams{Text: "may I join in?", InReplyToID: helloOnB.ID, Visibility: "public"})
	beaReply := post(t, B, bea, core.PostParams{Text: "a follower's reply", InReplyToID: helloOnB.ID, Visibility: "public"})
	if !benReply.PendingApproval || !beaReply.PendingApproval {
		t.Fatalf("replies not waiting on B: ben %v, bea %v", benReply.PendingApproval, beaReply.PendingApproval)
	}

	// --- A: bea's reply accepted at once, ben's held ---
	testutil.Eventually(t, 15*time.Second, "bea's reply approved on A and on B", func() bool {
		st := B.byURI(beaReply.URI)
		return has(A.threadOf(t, amy, hello.ID), beaReply.URI) && st != nil && !st.PendingApproval && st.Authorization != ""
	})
	var benOnA *model.Status
	testutil.Eventually(t, 15*time.Second, "ben's reply held on A", func() bool {
		benOnA = A.byURI(benReply.URI)
		return benOnA != nil
	})
	if !benOnA.PendingApproval {
		t.Fatal("ben's reply is not held on A")
	}
	for _, c := range []*core.Caller{ann, amy} {
		if has(A.threadOf(t, c, hello.ID), benReply.URI) {
			t.Fatalf("ben's held reply in %s's thread on A", c.Account.Username)
		}
	}
	if has(B.threadOf(t, bea, helloOnB.ID), benReply.URI) {
		t.Fatal("ben's waiting reply in bea's thread on B")
	}
	nts, err := A.svc.Notifications(ctx, ann, storage.NotificationFilter{}, model.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nts.Notifications {
		if n.StatusID == benOnA.ID {
			t.Fatalf("ann notified of a held reply: %+v", n)
		}
	}

	// --- ann approves through the client API ---
	token := A.Token(t, "ann", "read write")
	var reqs []struct {
		ID    string `json:"id"`
		Type  string `json:"type"`
		Reply *struct {
			URI string `json:"uri"`
		} `json:"reply"`
	}
	A.JSON(t, "GET", "/api/v1/interaction_requests", token, nil, 200, &reqs)
	if len(reqs) != 1 || reqs[0].Type != "reply" || reqs[0].Reply == nil || reqs[0].Reply.URI != benReply.URI {
		t.Fatalf("ann's interaction requests: %+v", reqs)
	}
	A.JSON(t, "POST", "/api/v1/interaction_requests/"+reqs[0].ID+"/authorize", token, nil, 200, nil)

	// --- shown on both sides ---
	if !has(A.threadOf(t, amy, hello.ID), benReply.URI) {
		t.Fatal("the approved reply is not in the thread on A")
	}
	if st := A.byURI(benReply.URI); st.ApprovedBy == "" || st.Authorization == "" {
		t.Fatalf("A keeps no approval on the reply: %+v", st)
	}
	testutil.Eventually(t, 15*time.Second, "ben's reply approved on B and in bea's thread", func() bool {
		st := B.byURI(benReply.URI)
		return st != nil && !st.PendingApproval && st.Authorization != "" && has(B.threadOf(t, bea, helloOnB.ID), benReply.URI)
	})
	if got := A.byURI(hello.URI); got.RepliesCount != 2 {
		t.Fatalf("replies counted on A: %d, want 2", got.RepliesCount)
	}
	// The approved reply, fetched from A's thread through the client API
	// as any client would.
	var thread struct {
		Descendants []json.RawMessage `json:"descendants"`
	}
	A.JSON(t, "GET", "/api/v1/statuses/"+idOf(hello.ID)+"/context", "", nil, 200, &thread)
	if len(thread.Descendants) != 2 {
		t.Fatalf("anonymous thread on A: %d replies", len(thread.Descendants))
	}

	// --- a rejected reply is gone on both sides ---
	again := post(t, B, ben, core.PostParams{Text: "one more thing", InReplyToID: helloOnB.ID, Visibility: "public"})
	testutil.Eventually(t, 15*time.Second, "the second reply held on A", func() bool { return A.byURI(again.URI) != nil })
	A.JSON(t, "GET", "/api/v1/interaction_requests", token, nil, 200, &reqs)
	if len(reqs) != 1 {
		t.Fatalf("ann's interaction requests: %+v", reqs)
	}
	A.JSON(t, "POST", "/api/v1/interaction_requests/"+reqs[0].ID+"/reject", token, url.Values{}, 200, nil)
	if A.byURI(again.URI) != nil {
		t.Fatal("the rejected reply is kept on A")
	}
	testutil.Eventually(t, 15*time.Second, "the rejected reply gone on B", func() bool { return B.byURI(again.URI) == nil })

	// --- where ann allows no replies, B refuses ben at once ---
	closed := post(t, A, ann, core.PostParams{Text: "no replies", Visibility: "public",
		InteractionPolicy: core.PolicyChoice{model.InteractReply: {Automatic: []string{model.PolicyAuthor}}}})
	testutil.Eventually(t, 15*time.Second, "the closed post on B", func() bool { return B.byURI(closed.URI) != nil })
	_, err = B.svc.PostStatus(ctx, ben, core.PostParams{Text: "hello?", InReplyToID: B.byURI(closed.URI).ID})
	if err == nil || herr.As(err).Status != 422 {
		t.Fatalf("reply to a post that allows none: %v, want 422", err)
	}
	// --- a followers-only post names her followers, not the public: B
	// waits for A's word on bea's reply, and A gives it ---
	private := post(t, A, ann, core.PostParams{Text: "for my followers", Visibility: "private"})
	testutil.Eventually(t, 15*time.Second, "the followers-only post on B", func() bool { return B.homeHas(t, bea, private.URI) })
	privReply := post(t, B, bea, core.PostParams{Text: "a follower answers", InReplyToID: B.byURI(private.URI).ID, Visibility: "private"})
	if !privReply.PendingApproval {
		t.Fatal("B does not wait for A on a follower's reply to a followers-only post")
	}
	testutil.Eventually(t, 15*time.Second, "bea's reply to the followers-only post approved on B", func() bool {
		st, onA := B.byURI(privReply.URI), A.byURI(privReply.URI)
		return st != nil && !st.PendingApproval && st.Authorization != "" && onA != nil && !onA.PendingApproval
	})

	A.idle(t)
	B.idle(t)
	if n, err := A.Srv.Store.PendingInteractionRequests(ctx, ann.Account.ID, storage.InteractionRequestFilter{}, model.Page{Limit: 10}); err != nil || len(n) != 0 {
		t.Fatalf("requests left on A: %+v %v", n, err)
	}
}

func idOf(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// Issue 18, a favourite that needs approval: ann on A approves likes by
// hand. ben on B favourites her post: B sends the Like but counts it
// nowhere (favourited false, not in his favourites) until ann's Accept
// comes; then both sides count it. A second favourite she rejects is gone
// on B.
func TestFavouritesHeldForApprovalAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	annOnB := B.resolve(t, "ann@"+A.Domain)
	if _, err := B.svc.Follow(ctx, ben, annOnB.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ben follows ann", func() bool { return B.following(ben.Account.ID, annOnB.ID) })

	askFirst := core.PolicyChoice{model.InteractFavourite: {Automatic: []string{model.PolicyAuthor}, Manual: []string{model.PolicyPublic}}}
	hello := post(t, A, ann, core.PostParams{Text: "ask before you like", Visibility: "public", InteractionPolicy: askFirst})
	again := post(t, A, ann, core.PostParams{Text: "this one too", Visibility: "public", InteractionPolicy: askFirst})
	testutil.Eventually(t, 15*time.Second, "ann's posts on B", func() bool {
		return B.homeHas(t, ben, hello.URI) && B.homeHas(t, ben, again.URI)
	})
	helloOnB, againOnB := B.byURI(hello.URI), B.byURI(again.URI)
	if p := helloOnB.Policy; p == nil || !has(p.Favourite.Manual, model.PolicyPublic) {
		t.Fatalf("ann's like policy as B read it: %+v", helloOnB.Policy)
	}

	type entity struct {
		Favourited      bool  `json:"favourited"`
		FavouritesCount int64 `json:"favourites_count"`
	}
	benToken := B.Token(t, "ben", "read write")
	var got entity
	B.JSON(t, "POST", "/api/v1/statuses/"+idOf(helloOnB.ID)+"/favourite", benToken, nil, 200, &got)
	if got.Favourited || got.FavouritesCount != 0 {
		t.Fatalf("a favourite waiting for approval shows on B: %+v", got)
	}
	// Asked twice, it is still one Like.
	B.JSON(t, "POST", "/api/v1/statuses/"+idOf(helloOnB.ID)+"/favourite", benToken, nil, 200, nil)
	B.JSON(t, "POST", "/api/v1/statuses/"+idOf(againOnB.ID)+"/favourite", benToken, nil, 200, nil)
	var favs []json.RawMessage
	B.JSON(t, "GET", "/api/v1/favourites", benToken, nil, 200, &favs)
	if len(favs) != 0 {
		t.Fatalf("waiting favourites listed on B: %d", len(favs))
	}
	var by []json.RawMessage
	B.JSON(t, "GET", "/api/v1/statuses/"+idOf(helloOnB.ID)+"/favourited_by", benToken, nil, 200, &by)
	if len(by) != 0 {
		t.Fatalf("favourited_by on B lists a waiting favourite: %d", len(by))
	}

	// --- A holds both; ann approves one and rejects the other ---
	annToken := A.Token(t, "ann", "read write")
	type request struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Status struct {
			URI string `json:"uri"`
		} `json:"status"`
	}
	var reqs []request
	testutil.Eventually(t, 15*time.Second, "two favourites held on A", func() bool {
		A.JSON(t, "GET", "/api/v1/interaction_requests", annToken, nil, 200, &reqs)
		return len(reqs) == 2
	})
	if A.byURI(hello.URI).FavouritesCount != 0 {
		t.Fatal("a held favourite counted on A")
	}
	for _, r := range reqs {
		if r.Type != "favourite" {
			t.Fatalf("request: %+v", r)
		}
		verb := "/reject"
		if r.Status.URI == hello.URI {
			verb = "/authorize"
		}
		A.JSON(t, "POST", "/api/v1/interaction_requests/"+r.ID+verb, annToken, nil, 200, nil)
	}
	if n := A.byURI(hello.URI).FavouritesCount; n != 1 {
		t.Fatalf("approved favourite counted %d times on A", n)
	}

	// --- B: the approved one counts, the rejected one is gone ---
	testutil.Eventually(t, 15*time.Second, "the approved favourite shown on B", func() bool {
		B.JSON(t, "GET", "/api/v1/statuses/"+idOf(helloOnB.ID), benToken, nil, 200, &got)
		return got.Favourited && got.FavouritesCount == 1
	})
	testutil.Eventually(t, 15*time.Second, "the rejected favourite gone on B", func() bool {
		_, err := B.Srv.Store.FavouriteURI(ctx, ben.Account.ID, againOnB.ID)
		return err != nil
	})
	B.JSON(t, "GET", "/api/v1/statuses/"+idOf(againOnB.ID), benToken, nil, 200, &got)
	if got.Favourited || got.FavouritesCount != 0 {
		t.Fatalf("the rejected favourite on B: %+v", got)
	}
	B.JSON(t, "GET", "/api/v1/favourites", benToken, nil, 200, &favs)
	B.JSON(t, "GET", "/api/v1/statuses/"+idOf(helloOnB.ID)+"/favourited_by", benToken, nil, 200, &by)
	if len(favs) != 1 || len(by) != 1 {
		t.Fatalf("after the answers, B lists %d favourites and %d favouriters", len(favs), len(by))
	}

	// --- undone, it is undone on both sides ---
	B.JSON(t, "POST", "/api/v1/statuses/"+idOf(helloOnB.ID)+"/unfavourite", benToken, nil, 200, &got)
	if got.Favourited || got.FavouritesCount != 0 {
		t.Fatalf("unfavourited on B: %+v", got)
	}
	testutil.Eventually(t, 15*time.Second, "the undone favourite gone on A", func() bool { return A.byURI(hello.URI).FavouritesCount == 0 })

	// --- one undone while it waits is withdrawn on A ---
	B.JSON(t, "POST", "/api/v1/statuses/"+idOf(againOnB.ID)+"/favourite", benToken, nil, 200, nil)
	testutil.Eventually(t, 15*time.Second, "the new favourite held on A", func() bool {
		A.JSON(t, "GET", "/api/v1/interaction_requests", annToken, nil, 200, &reqs)
		return len(reqs) == 1
	})
	B.JSON(t, "POST", "/api/v1/statuses/"+idOf(againOnB.ID)+"/unfavourite", benToken, nil, 200, &got)
	if got.Favourited || got.FavouritesCount != 0 {
		t.Fatalf("a waiting favourite undone on B: %+v", got)
	}
	testutil.Eventually(t, 15*time.Second, "the waiting favourite withdrawn on A", func() bool {
		A.JSON(t, "GET", "/api/v1/interaction_requests", annToken, nil, 200, &reqs)
		return len(reqs) == 0
	})
	if _, err := B.Srv.Store.FavouriteURI(ctx, ben.Account.ID, againOnB.ID); err == nil {
		t.Fatal("the undone favourite is kept on B")
	}
	A.idle(t)
	B.idle(t)
}
