package core_test

import (
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The one rule, as a table: who may reply to (and favourite) a post of
// account 1, which mentions account 3, for a set of policies.
func TestDecideInteraction(t *testing.T) {
	rule := func(auto, manual []string) *model.InteractionPolicy {
		p := model.OpenInteractionPolicy()
		p.Reply = model.PolicyRule{Automatic: auto, Manual: manual}
		return &p
	}
	pub, fol, men := model.PolicyPublic, model.PolicyFollowers, model.PolicyMentioned
	followersOnly := rule([]string{fol}, nil)
	followersElseApproval := rule([]string{fol}, []string{pub})
	nobody := rule([]string{model.PolicyAuthor}, nil)
	approvalAll := rule(nil, []string{pub})
	byURI := rule([]string{pub}, []string{"https://remote.test/users/x"})

	const author, stranger, mentioned, follower = 1, 2, 3, 4
	cases := []struct {
		name   string
		policy *model.InteractionPolicy
		kind   model.InteractionKind
		f      core.InteractionFacts
		want   core.Approval
		rel    bool
	}{
		{"no policy: anyone", nil, model.InteractReply, core.InteractionFacts{ActorID: stranger}, core.Approved, false},
		{"no policy: quotes are the author's", nil, model.InteractQuote, core.InteractionFacts{ActorID: stranger}, core.Denied, false},
		{"the author always", nobody, model.InteractReply, core.InteractionFacts{ActorID: author}, core.Approved, false},
		{"mentioned may always reply", nobody, model.InteractReply, core.InteractionFacts{ActorID: mentioned}, core.Approved, false},
		{"mentioned may not favourite a closed post", &model.InteractionPolicy{Favourite: model.PolicyRule{Automatic: []string{model.PolicyAuthor}}},
			model.InteractFavourite, core.InteractionFacts{ActorID: mentioned}, core.Denied, false},
		{"followers only: a stranger", followersOnly, model.InteractReply, core.InteractionFacts{ActorID: stranger}, core.Denied, false},
		{"followers only: a follower", followersOnly, model.InteractReply, core.InteractionFacts{ActorID: follower, Follows: true}, core.Approved, true},
		{"followers, others approve: a stranger", followersElseApproval, model.InteractReply, core.InteractionFacts{ActorID: stranger}, core.NeedsApproval, false},
		{"followers, others approve: a follower", followersElseApproval, model.InteractReply, core.InteractionFacts{ActorID: follower, Follows: true}, core.Approved, true},
		{"nobody: a follower", nobody, model.InteractReply, core.InteractionFacts{ActorID: follower, Follows: true}, core.Denied, false},
		{"approval for all", approvalAll, model.InteractReply, core.InteractionFacts{ActorID: follower, Follows: true}, core.NeedsApproval, false},
		{"the more specific entry wins", byURI, model.InteractReply, core.InteractionFacts{ActorID: stranger, ActorURI: "https://remote.test/users/x"}, core.NeedsApproval, false},
		{"others under public", byURI, model.InteractReply, core.InteractionFacts{ActorID: stranger, ActorURI: "https://remote.test/users/y"}, core.Approved, false},
		{"mentioned keyword", rule([]string{men}, nil), model.InteractReply, core.InteractionFacts{ActorID: mentioned}, core.Approved, false},
	}
	for _, c := range cases {
		st := &model.Status{ID: 10, AccountID: author, MentionIDs: []int64{mentioned}, Policy: c.policy}
		d := core.DecideInteraction(c.kind, st, c.f)
		if d.Approval != c.want || d.ByRelation != c.rel {
			t.Errorf("%s: %+v, want %v (by relation %v)", c.name, d, c.want, c.rel)
		}
	}
	// An interaction with a post that waits for approval waits too.
	held := &model.Status{AccountID: author, PendingApproval: true}
	if d := core.DecideInteraction(model.InteractReply, held, core.InteractionFacts{ActorID: stranger}); d.Approval != core.NeedsApproval {
		t.Errorf("reply to a held reply: %+v", d)
	}
}

// Local accounts: a denied interaction is a 422; one that needs approval
// waits as the author's interaction request until it is answered.
func TestLocalInteractionsFollowThePolicy(t *testing.T) {
	e := newEnv(t)
	ann, bob, cat := e.user("ann"), e.user("bob"), e.user("cat")
	e.follow(cat, ann)
	policy := core.PolicyChoice{
		model.InteractReply:     {Automatic: []string{model.PolicyFollowers}, Manual: []string{model.PolicyPublic}},
		model.InteractReblog:    {Automatic: []string{model.PolicyAuthor}},
		model.InteractFavourite: {Automatic: []string{model.PolicyFollowers}, Manual: []string{model.PolicyPublic}},
	}
	post := e.post(ann, core.PostParams{Text: "followers may reply", Visibility: "public", InteractionPolicy: policy})
	if post.Policy.Quote.Automatic[0] != model.PolicyAuthor {
		t.Fatalf("a kind left out did not take the default: %+v", post.Policy)
	}

	// Denied: 422 with a clear message.
	if _, err := e.svc.Reblog(e.ctx, bob, post.ID, ""); status(err) != 422 {
		t.Fatalf("boost of a no-boost post: %v", err)
	}
	// A follower replies at once.
	ok := e.post(cat, core.PostParams{Text: "me too", InReplyToID: post.ID})
	if ok.PendingApproval {
		t.Fatal("a follower's reply was held")
	}
	// A stranger's reply is held: only bob sees it, ann has a request.
	held := e.post(bob, core.PostParams{Text: "can I?", InReplyToID: post.ID})
	if !held.PendingApproval {
		t.Fatal("a stranger's reply was not held")
	}
	ctxOf := func(c *core.Caller) []*model.Status {
		sc, err := e.svc.Context(e.ctx, c, post.ID)
		if err != nil {
			t.Fatal(err)
		}
		return sc.Descendants
	}
	if d := ctxOf(ann); len(d) != 1 || d[0].ID != ok.ID {
		t.Fatalf("ann's thread shows %d replies, want only cat's", len(d))
	}
	if _, err := e.svc.Status(e.ctx, cat, held.ID); status(err) != 404 {
		t.Fatalf("another account opens a held reply: %v", err)
	}
	if _, err := e.svc.Status(e.ctx, bob, held.ID); err != nil {
		t.Fatalf("bob cannot open his own held reply: %v", err)
	}
	if _, err := e.svc.PostStatus(e.ctx, bob, core.PostParams{Text: "and more", InReplyToID: held.ID}); status(err) != 422 {
		t.Fatalf("a reply to a held reply: %v", err)
	}
	if _, err := e.svc.Favourite(e.ctx, bob, post.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.StatusByID(e.ctx, post.ID); got.FavouritesCount != 0 || got.RepliesCount != 1 {
		t.Fatalf("held interactions counted: %d favourites, %d replies", got.FavouritesCount, got.RepliesCount)
	}
	page, err := e.svc.InteractionRequests(e.ctx, ann, storage.InteractionRequestFilter{}, model.Page{Limit: 20})
	if err != nil || len(page.Requests) != 2 {
		t.Fatalf("ann's requests: %+v %v", page, err)
	}
	if !page.View.Has(held.ID) {
		t.Fatal("ann's request page does not show the held reply")
	}
	if _, err := e.svc.InteractionRequests(e.ctx, bob, storage.InteractionRequestFilter{}, model.Page{Limit: 20}); err != nil {
		t.Fatal(err)
	}
	var replyReq, favReq int64
	for _, r := range page.Requests {
		if r.Kind == model.InteractReply {
			replyReq = r.ID
		} else {
			favReq = r.ID
		}
	}
	if _, err := e.svc.AnswerInteractionRequest(e.ctx, bob, replyReq, true); status(err) != 404 {
		t.Fatalf("bob answers ann's request: %v", err)
	}
	if _, err := e.svc.AnswerInteractionRequest(e.ctx, ann, replyReq, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AnswerInteractionRequest(e.ctx, ann, favReq, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AnswerInteractionRequest(e.ctx, ann, favReq, true); status(err) != 422 {
		t.Fatalf("accepting a rejected request: %v", err)
	}
	if d := ctxOf(cat); len(d) != 2 {
		t.Fatalf("after approval cat sees %d replies, want 2", len(d))
	}
	got, _ := e.store.StatusByID(e.ctx, post.ID)
	if got.FavouritesCount != 0 || got.RepliesCount != 2 {
		t.Fatalf("after the answers: %d favourites, %d replies", got.FavouritesCount, got.RepliesCount)
	}
	if r, _ := e.store.StatusByID(e.ctx, held.ID); r.ApprovedBy == "" || r.Authorization == "" {
		t.Fatalf("the approved reply keeps no approval: %+v", r)
	}

	// Defaults: the instance's until the account sets its own.
	defs, err := e.svc.InteractionDefaults(e.ctx, bob)
	if err != nil || defs[model.Public].Reply.Automatic[0] != model.PolicyPublic || defs[model.Private].Reblog.Automatic[0] != model.PolicyAuthor {
		t.Fatalf("instance defaults: %+v %v", defs, err)
	}
	mine := core.PolicyChoice{model.InteractReply: {Automatic: []string{model.PolicyMentioned}}}
	if _, err := e.svc.SetInteractionDefaults(e.ctx, bob, map[model.Visibility]core.PolicyChoice{model.Public: mine}); err != nil {
		t.Fatal(err)
	}
	bad := core.PolicyChoice{model.InteractReply: {Automatic: []string{"friends"}}}
	if _, err := e.svc.SetInteractionDefaults(e.ctx, bob, map[model.Visibility]core.PolicyChoice{model.Public: bad}); status(err) != 422 {
		t.Fatalf("a bad policy value: %v", err)
	}
	closed := e.post(bob, core.PostParams{Text: "mentioned only", Visibility: "public"})
	if closed.Policy == nil || closed.Policy.Reply.Automatic[0] != model.PolicyMentioned {
		t.Fatalf("bob's default not applied: %+v", closed.Policy)
	}
	if _, err := e.svc.PostStatus(e.ctx, cat, core.PostParams{Text: "hi", InReplyToID: closed.ID}); status(err) != 422 {
		t.Fatalf("reply to a mentioned-only post: %v", err)
	}
}
