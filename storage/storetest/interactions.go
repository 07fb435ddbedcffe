package storetest

import (
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// request stores an interaction request of kind by from on st.
func (e *env) request(kind model.InteractionKind, from *model.Account, st *model.Status, uri string) *model.InteractionRequest {
	e.t.Helper()
	r := &model.InteractionRequest{Kind: kind, StatusID: st.ID, TargetAccountID: st.AccountID, AccountID: from.ID, URI: uri}
	e.ok(e.s.CreateInteractionRequest(e.ctx, r, nil))
	if r.ID == 0 {
		e.t.Fatal("CreateInteractionRequest set no id")
	}
	return r
}

func interactionsArea() area {
	return area{"Interactions", []testCase{
		{"Defaults", func(e *env) {
			a := e.local("alice")
			d, err := e.s.InteractionDefaults(e.ctx, a.ID)
			e.ok(err)
			if d.Public != nil || d.Private != nil {
				e.t.Fatalf("defaults of a new account = %+v", d)
			}
			p := model.OpenInteractionPolicy()
			p.Reply = model.PolicyRule{Automatic: []string{model.PolicyFollowers}, Manual: []string{model.PolicyPublic}}
			e.ok(e.s.SetInteractionDefaults(e.ctx, a.ID, model.InteractionDefaults{Public: &p}))
			d, err = e.s.InteractionDefaults(e.ctx, a.ID)
			e.ok(err)
			if d.Public == nil || !slices.Equal(d.Public.Reply.Manual, []string{model.PolicyPublic}) || d.Unlisted != nil {
				e.t.Fatalf("defaults = %+v", d)
			}
		}},
		{"StatusPolicy", func(e *env) {
			a := e.local("alice")
			st := e.pub(a)
			if e.status(st.ID).Policy != nil {
				e.t.Fatal("a post without a policy has one")
			}
			p := model.OpenInteractionPolicy()
			p.Favourite = model.PolicyRule{Automatic: []string{model.PolicyAuthor}}
			e.ok(e.s.SetStatusPolicy(e.ctx, st.ID, &p, []model.OutboxEvent{{Kind: model.EventStatusUpdate, AccountID: a.ID, ObjectID: st.ID}}))
			got := e.status(st.ID)
			if got.Policy == nil || !slices.Equal(got.Policy.Favourite.Automatic, []string{model.PolicyAuthor}) || got.EditedAt != nil {
				e.t.Fatalf("status policy = %+v (edited %v)", got.Policy, got.EditedAt)
			}
			edits, _ := e.s.StatusEdits(e.ctx, st.ID)
			if len(edits) != 0 {
				e.t.Fatal("a policy change made an edit")
			}
			e.federateJobs(1)
			e.is(e.s.SetStatusPolicy(e.ctx, 424242, &p, nil), storage.ErrNotFound, "policy of no status")
		}},
		{"RequestsOnePerInteraction", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			st := e.pub(a)
			q1 := e.request(model.InteractFavourite, r, st, "https://remote.test/likes/1")
			q2 := e.request(model.InteractFavourite, r, st, "https://remote.test/likes/1")
			if q1.ID != q2.ID {
				e.t.Fatalf("the same interaction made requests %d and %d", q1.ID, q2.ID)
			}
			got, err := e.s.InteractionRequest(e.ctx, q1.ID)
			e.ok(err)
			if got.Kind != model.InteractFavourite || got.AccountID != r.ID || got.TargetAccountID != a.ID || !got.Pending() {
				e.t.Fatalf("request = %+v", got)
			}
			_, err = e.s.InteractionRequest(e.ctx, 424242)
			e.is(err, storage.ErrNotFound, "no request")
		}},
		{"PendingListedAndFiltered", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			st1, st2 := e.pub(a), e.pub(a)
			f := e.request(model.InteractFavourite, r, st1, "https://remote.test/likes/1")
			b := e.request(model.InteractReblog, r, st1, "https://remote.test/boosts/1")
			f2 := e.request(model.InteractFavourite, r, st2, "https://remote.test/likes/2")
			get := func(fl storage.InteractionRequestFilter, p model.Page) []int64 {
				if p.Limit == 0 {
					p.Limit = 10
				}
				rs, err := e.s.PendingInteractionRequests(e.ctx, a.ID, fl, p)
				e.ok(err)
				var out []int64
				for _, r := range rs {
					out = append(out, r.ID)
				}
				return out
			}
			e.equal("all", get(storage.InteractionRequestFilter{}, model.Page{}), []int64{f2.ID, b.ID, f.ID})
			e.equal("of st1", get(storage.InteractionRequestFilter{StatusID: st1.ID}, model.Page{}), []int64{b.ID, f.ID})
			e.equal("favourites", get(storage.InteractionRequestFilter{Kinds: []model.InteractionKind{model.InteractFavourite}}, model.Page{}), []int64{f2.ID, f.ID})
			e.equal("max_id", get(storage.InteractionRequestFilter{}, model.Page{Limit: 1, MaxID: f2.ID}), []int64{b.ID})
			e.ok(e.s.WithdrawInteraction(e.ctx, r.ID, "https://remote.test/boosts/1"))
			e.equal("after withdraw", get(storage.InteractionRequestFilter{}, model.Page{}), []int64{f2.ID, f.ID})
		}},
		{"AnswerFavouriteOnce", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			st := e.pub(a)
			q := e.request(model.InteractFavourite, r, st, "https://remote.test/likes/1")
			e.ok(e.s.AnswerInteraction(e.ctx, storage.InteractionAnswer{RequestID: q.ID, Accept: true, At: time.Now(),
				Events: []model.OutboxEvent{{Kind: model.EventInteractionAccept, ObjectID: q.ID}}}))
			if n := e.status(st.ID).FavouritesCount; n != 1 {
				e.t.Fatalf("accepted favourite count = %d", n)
			}
			got, _ := e.s.InteractionRequest(e.ctx, q.ID)
			if got.AcceptedAt == nil {
				e.t.Fatal("request not marked accepted")
			}
			e.federateJobs(1)
			e.is(e.s.AnswerInteraction(e.ctx, storage.InteractionAnswer{RequestID: q.ID, Accept: false, At: time.Now()}),
				storage.ErrConflict, "answering twice")
			rs, _ := e.s.PendingInteractionRequests(e.ctx, a.ID, storage.InteractionRequestFilter{}, model.Page{Limit: 10})
			if len(rs) != 0 {
				e.t.Fatal("an answered request is still pending")
			}
		}},
		{"HeldReplyReleasedOnAccept", func(e *env) {
			a, b, c := e.local("alice"), e.local("bob"), e.local("carol")
			e.follow(c, b) // carol follows bob and alice
			e.follow(c, a)
			st := e.pub(a)
			reply := e.newStatus(b, post{replyTo: st, mentions: []int64{a.ID}, pending: true})
			req := &model.InteractionRequest{Kind: model.InteractReply, StatusID: st.ID, TargetAccountID: a.ID, AccountID: b.ID, URI: reply.URI}
			held, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: reply, MentionIDs: []int64{a.ID}, Request: req})
			e.ok(err)
			if req.ReplyID != held.ID {
				e.t.Fatalf("request's reply = %d, want %d", req.ReplyID, held.ID)
			}
			if n := e.status(st.ID).RepliesCount; n != 0 {
				e.t.Fatalf("a held reply was counted: %d", n)
			}
			if contains(e.home(c.ID), held.ID) || e.hasNotification(a.ID, model.NotifyMention, b.ID, held.ID) {
				e.t.Fatal("a held reply reached a feed or a notification")
			}
			if !contains(e.home(b.ID), held.ID) {
				e.t.Fatal("a held reply is not in its author's own feed")
			}
			e.ok(e.s.AnswerInteraction(e.ctx, storage.InteractionAnswer{RequestID: req.ID, Accept: true, At: time.Now(),
				ApprovedBy: "https://local.test/accepts/1", Authorization: "https://local.test/auth/1"}))
			got := e.status(held.ID)
			if got.PendingApproval || got.ApprovedBy != "https://local.test/accepts/1" || got.Authorization != "https://local.test/auth/1" {
				e.t.Fatalf("released reply = %+v", got)
			}
			if n := e.status(st.ID).RepliesCount; n != 1 {
				e.t.Fatalf("released reply count = %d", n)
			}
			if !contains(e.home(c.ID), held.ID) || !e.hasNotification(a.ID, model.NotifyMention, b.ID, held.ID) {
				e.t.Fatal("a released reply reached no feed or notification")
			}
		}},
		{"HeldReplyDeletedOnReject", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			reply := e.newStatus(b, post{replyTo: st, pending: true})
			req := &model.InteractionRequest{Kind: model.InteractReply, StatusID: st.ID, TargetAccountID: a.ID, AccountID: b.ID, URI: reply.URI}
			held, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: reply, Request: req})
			e.ok(err)
			e.ok(e.s.AnswerInteraction(e.ctx, storage.InteractionAnswer{RequestID: req.ID, Accept: false, At: time.Now()}))
			_, err = e.s.StatusByID(e.ctx, held.ID)
			e.is(err, storage.ErrNotFound, "rejected reply")
			if n := e.status(st.ID).RepliesCount; n != 0 {
				e.t.Fatalf("replies_count after a rejection = %d", n)
			}
		}},
		{"HeldReplyDeletedByItsAuthor", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			reply := e.newStatus(b, post{replyTo: st, pending: true})
			req := &model.InteractionRequest{Kind: model.InteractReply, StatusID: st.ID, TargetAccountID: a.ID, AccountID: b.ID, URI: reply.URI}
			held, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: reply, Request: req})
			e.ok(err)
			e.ok(e.s.DeleteStatus(e.ctx, held.ID, nil))
			rs, err := e.s.PendingInteractionRequests(e.ctx, a.ID, storage.InteractionRequestFilter{}, model.Page{Limit: 10})
			e.ok(err)
			if len(rs) != 0 {
				e.t.Fatalf("a deleted held reply's request is still pending: %+v", rs[0])
			}
			if n := e.status(st.ID).RepliesCount; n != 0 {
				e.t.Fatalf("replies_count = %d", n)
			}
		}},
		{"PendingFavouriteUndone", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			st := e.pub(r)
			e.ok(e.s.PendingFavourite(e.ctx, a.ID, st.ID, "https://local.test/likes/p", nil))
			e.ok(e.s.Unfavourite(e.ctx, a.ID, st.ID, []model.OutboxEvent{{Kind: model.EventUnfavourite, AccountID: a.ID}}))
			if n := e.status(st.ID).FavouritesCount; n != 0 {
				e.t.Fatalf("favourites_count = %d", n)
			}
			e.federateJobs(1) // its Like is still undone
			answered, err := e.s.AnswerFavourite(e.ctx, "https://local.test/likes/p", true)
			e.ok(err)
			if answered || e.status(st.ID).FavouritesCount != 0 {
				e.t.Fatal("an undone favourite was accepted")
			}
		}},
		{"AcceptBoostCreatesIt", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			st := e.pub(a)
			q := e.request(model.InteractReblog, r, st, "https://remote.test/boosts/1")
			boost := e.boostOf(r, st)
			boost.URI = "https://remote.test/boosts/1"
			e.ok(e.s.AnswerInteraction(e.ctx, storage.InteractionAnswer{RequestID: q.ID, Accept: true, At: time.Now(), Boost: boost}))
			if n := e.status(st.ID).ReblogsCount; n != 1 {
				e.t.Fatalf("accepted boost count = %d", n)
			}
			if _, err := e.s.ReblogOf(e.ctx, r.ID, st.ID); err != nil {
				e.t.Fatal("accepted boost not stored:", err)
			}
		}},
		{"ApproveOwnPendingStatus", func(e *env) {
			a, r, c := e.local("alice"), e.remote("r", "remote.test"), e.local("carol")
			e.follow(c, a)
			e.follow(c, r)
			theirs := e.pub(r)
			mine := e.post(a, post{replyTo: theirs, pending: true})
			if contains(e.home(c.ID), mine.ID) {
				e.t.Fatal("a pending reply reached a follower")
			}
			e.ok(e.s.ApproveStatus(e.ctx, mine.ID, "https://remote.test/accepts/1", "https://remote.test/auth/1", nil))
			got := e.status(mine.ID)
			if got.PendingApproval || got.ApprovedBy == "" || e.status(theirs.ID).RepliesCount != 1 {
				e.t.Fatalf("approved reply = %+v", got)
			}
			if !contains(e.home(c.ID), mine.ID) {
				e.t.Fatal("an approved reply reached no follower")
			}
		}},
	}}
}

func quotesArea() area {
	return area{"Quotes", []testCase{
		{"SharerFollowerInboxes", func(e *env) {
			// The remote followers of the local accounts that boosted or
			// quote (accepted) a remote post: where its edits are forwarded.
			author := e.remote("fw", "author.test")
			st := e.pub(author)
			quoter, booster, pending := e.local("quoter"), e.local("booster"), e.local("pending")
			e.post(quoter, post{quote: st, qstate: model.QuoteAccepted})
			e.post(pending, post{quote: st, qstate: model.QuotePending})
			e.boost(booster, st)
			f1, f2, f3 := e.remote("f1", "one.test"), e.remote("f2", "one.test"), e.remote("f3", "two.test")
			e.follow(f1, quoter)
			e.follow(f2, booster)
			e.follow(f3, pending)
			e.follow(e.local("localfan"), quoter)
			sharers, inboxes, err := e.s.SharerFollowerInboxes(e.ctx, st.ID)
			e.ok(err)
			if !slices.Equal(sharers, sortedIDs(quoter.ID, booster.ID)) || !slices.Equal(inboxes, []string{"https://one.test/inbox"}) {
				e.t.Fatalf("sharers %v, inboxes %v", sharers, inboxes)
			}
			none, inboxes, err := e.s.SharerFollowerInboxes(e.ctx, e.pub(author).ID)
			e.ok(err)
			if len(none) != 0 || len(inboxes) != 0 {
				e.t.Fatalf("a post nobody shared: %v %v", none, inboxes)
			}
		}},
		{"AcceptedQuoteNotifiesAndLists", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			q := e.post(b, post{quote: st, qstate: model.QuoteAccepted})
			got := e.status(q.ID)
			if got.QuoteOfID != st.ID || got.QuoteState != model.QuoteAccepted || got.QuoteURI != st.URI {
				e.t.Fatalf("quote = %+v", got)
			}
			if !e.hasNotification(a.ID, model.NotifyQuote, b.ID, q.ID) {
				e.t.Fatal("quoted author not notified")
			}
			if n := e.status(st.ID).QuotesCount; n != 1 {
				e.t.Fatalf("quotes_count = %d", n)
			}
			e.post(b, post{quote: st, qstate: model.QuotePending})
			qs, err := e.s.QuotesOf(e.ctx, st.ID, model.Page{Limit: 10})
			e.ok(err)
			e.equal("accepted quotes", ids(qs), sids(q))
		}},
		{"QuotedStatusDeleted", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			q := e.post(b, post{quote: st})
			pending := e.post(b, post{quote: st, qstate: model.QuotePending})
			if e.hasNotification(a.ID, model.NotifyQuote, b.ID, pending.ID) {
				e.t.Fatal("a pending quote notified")
			}
			e.ok(e.s.DeleteStatus(e.ctx, q.ID, nil))
			if n := e.status(st.ID).QuotesCount; n != 0 {
				e.t.Fatalf("quotes_count after the quote went = %d", n)
			}
			e.ok(e.s.DeleteStatus(e.ctx, st.ID, nil))
			got := e.status(pending.ID)
			if got.QuoteOfID != 0 || got.QuoteURI != st.URI {
				e.t.Fatalf("quote of a deleted status = %+v", got)
			}
		}},
		{"StateChangesAndRequests", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			st := e.pub(a)
			q := e.post(r, post{quote: st, qstate: model.QuotePending})
			req := e.request(model.InteractQuote, r, st, q.URI)
			found, err := e.s.QuoteRequestFor(e.ctx, st.ID, q.URI)
			e.ok(err)
			if found.ID != req.ID {
				e.t.Fatalf("quote request = %d, want %d", found.ID, req.ID)
			}
			_, err = e.s.QuoteRequestFor(e.ctx, st.ID, "https://remote.test/other")
			e.is(err, storage.ErrNotFound, "no quote request")
			e.ok(e.s.SetQuoteState(e.ctx, q.ID, model.QuoteAccepted, "https://local.test/qa/1", req.ID,
				[]model.OutboxEvent{{Kind: model.EventInteractionAccept, AccountID: a.ID, ObjectID: req.ID}}))
			got := e.status(q.ID)
			if got.QuoteState != model.QuoteAccepted || got.QuoteAuthorization != "https://local.test/qa/1" {
				e.t.Fatalf("accepted quote = %+v", got)
			}
			if r2, _ := e.s.InteractionRequest(e.ctx, req.ID); r2.AcceptedAt == nil {
				e.t.Fatal("request not accepted")
			}
			proven, err := e.s.StatusesByQuoteAuthorization(e.ctx, "https://local.test/qa/1")
			e.ok(err)
			e.equal("proven quotes", ids(proven), sids(q))
			e.federateJobs(1)
			e.ok(e.s.SetQuoteState(e.ctx, q.ID, model.QuoteRevoked, "", req.ID, nil))
			if r2, _ := e.s.InteractionRequest(e.ctx, req.ID); r2.RejectedAt == nil {
				e.t.Fatal("a revoked quote's request is not rejected")
			}
			qs, _ := e.s.QuotesOf(e.ctx, st.ID, model.Page{Limit: 10})
			if len(qs) != 0 {
				e.t.Fatal("a revoked quote is still listed")
			}
			e.is(e.s.SetQuoteState(e.ctx, 424242, model.QuoteAccepted, "", 0, nil), storage.ErrNotFound, "quote state of no status")
		}},
	}}
}

func sortedIDs(ids ...int64) []int64 {
	slices.Sort(ids)
	return ids
}
