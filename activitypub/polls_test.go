package activitypub

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// questionFrom is a Create{Question} by the fake peer's alice, addressed
// to a local account (so that it is wanted), with the fields of fields.
func questionFrom(p *fakePeer, path string, to *model.Account, toURI string, fields map[string]any) (map[string]any, string) {
	id := p.url + path
	q := map[string]any{
		"id": id, "type": "Question", "attributedTo": p.actor, "content": "<p>Which one?</p>",
		"published": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339),
		"to":        []string{Public}, "cc": []string{p.actor + "/followers", toURI},
		"tag": []any{map[string]any{"type": "Mention", "href": toURI, "name": "@" + to.Username}},
	}
	for k, v := range fields {
		q[k] = v
	}
	return map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams",
			map[string]any{"toot": "http://joinmastodon.org/ns#", "votersCount": "toot:votersCount"}},
		"id": id + "/activity", "type": "Create", "actor": p.actor, "to": q["to"], "cc": q["cc"], "object": q,
	}, id
}

func option(name string, votes int) map[string]any {
	return map[string]any{"type": "Note", "name": name, "replies": map[string]any{"type": "Collection", "totalItems": votes}}
}

// Questions as Mastodon, GoToSocial and snac send them are stored as
// polls (they arrived as text with poll: null before); a local vote goes
// to the poll's author as Create{Note{name, inReplyTo}}; the author's
// Update{Question} moves the counts without making an edit.
func TestRemoteQuestionsArePolls(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	bobC := ti.caller(bob)
	bobURI := ti.svc.LocalActorURI("bob")
	p := newFakePeer(t)
	end := time.Now().UTC().Add(time.Hour).Truncate(time.Second)

	send := func(act map[string]any) {
		t.Helper()
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, act), nil); status != http.StatusAccepted {
			t.Fatalf("inbox: %d %s", status, msg)
		}
		ti.waitInboxEmpty()
	}
	pollOf := func(uri string) (*model.Status, *core.PollView) {
		t.Helper()
		st, err := ti.svc.StatusByURI(ctx, uri)
		if err != nil {
			t.Fatalf("%s not stored: %v", uri, err)
		}
		v, s, err := ti.svc.Poll(ctx, bobC, st.ID)
		if err != nil {
			t.Fatalf("poll of %s: %v", uri, err)
		}
		return st, v.PollOf(s)
	}

	// Mastodon: oneOf, endTime, votersCount.
	masto, mastoID := questionFrom(p, "/users/alice/statuses/1", bob, bobURI, map[string]any{
		"endTime": end.Format(time.RFC3339), "votersCount": 7, "oneOf": []any{option("yes", 4), option("no", 3)}})
	send(masto)
	st, pv := pollOf(mastoID)
	if pv == nil || !slices.Equal(pv.Poll.Options, []string{"yes", "no"}) || !slices.Equal(pv.Poll.Counts, []int64{4, 3}) ||
		pv.Poll.VotersCount != 7 || pv.Poll.Multiple || pv.Expired || !pv.Poll.ExpiresAt.Equal(end) {
		t.Fatalf("Mastodon's poll: %+v", pv)
	}
	if st.Content != "<p>Which one?</p>" {
		t.Fatalf("the options are the poll, not text: %q", st.Content)
	}

	// bob votes: the author gets a Create{Note} naming the option.
	if _, _, err := ti.svc.VotePoll(ctx, bobC, st.ID, []int{1}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the vote at the poll's server", func() bool {
		return p.sawActivity("Create", func(a *Object) bool {
			o := a.Object.Obj
			return o != nil && o.Type.Is("Note") && o.Name == "no" && o.InReplyTo.ID == mastoID &&
				o.AttributedTo.ID == bobURI && o.To.Has(p.actor) && !o.To.HasPublic() && o.Content == ""
		})
	})
	if _, _, err := ti.svc.VotePoll(ctx, bobC, st.ID, []int{0}); err == nil {
		t.Fatal("a second vote passed")
	}

	// The author's server updates the counts (no "updated": no edit).
	upd, _ := questionFrom(p, "/users/alice/statuses/1", bob, bobURI, map[string]any{
		"endTime": end.Format(time.RFC3339), "votersCount": 9, "oneOf": []any{option("yes", 4), option("no", 5)}})
	upd["type"], upd["id"] = "Update", mastoID+"#updates/1"
	send(upd)
	st, pv = pollOf(mastoID)
	if !slices.Equal(pv.Poll.Counts, []int64{4, 5}) || pv.Poll.VotersCount != 9 || !slices.Equal(pv.OwnVotes, []int{1}) || st.EditedAt != nil {
		t.Fatalf("after the Update: %+v (edited %v)", pv, st.EditedAt)
	}

	// GoToSocial: anyOf, closed when it ended.
	gts, gtsID := questionFrom(p, "/users/alice/statuses/01GTS", bob, bobURI, map[string]any{
		"endTime": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), "closed": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"votersCount": 2, "anyOf": []any{option("tea", 2), option("coffee", 1), option("water", 0)}})
	send(gts)
	st, pv = pollOf(gtsID)
	if pv == nil || !pv.Poll.Multiple || !pv.Expired || !slices.Equal(pv.Poll.Counts, []int64{2, 1, 0}) || pv.Poll.VotesCount != 3 {
		t.Fatalf("GoToSocial's poll: %+v", pv)
	}
	if _, _, err := ti.svc.VotePoll(ctx, bobC, st.ID, []int{0}); err == nil {
		t.Fatal("a vote on a closed poll passed")
	}

	// snac: oneOf without votersCount, closed as a boolean.
	snac, snacID := questionFrom(p, "/users/alice/p/1700000000.1", bob, bobURI, map[string]any{
		"closed": true, "oneOf": []any{option("a", 1), option("b", 2)}})
	send(snac)
	_, pv = pollOf(snacID)
	if pv == nil || !pv.Expired || pv.Poll.VotersCount != 3 {
		t.Fatalf("snac's poll: %+v", pv)
	}
}

// Votes on a local poll from another server: a Create{Note{name}} in reply
// to the poll is a vote (counted, no reply); a second vote on the same
// option and a vote after the end are dropped; the poll is served as a
// Question with its counts.
func TestRemoteVotesOnLocalPoll(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	bobC := ti.caller(bob)
	p := newFakePeer(t)
	st, err := ti.svc.PostStatus(ctx, bobC, core.PostParams{Text: "pick", Visibility: "public",
		Poll: &core.PollParams{Options: []string{"one", "two"}, ExpiresIn: time.Hour, Multiple: true}})
	if err != nil {
		t.Fatal(err)
	}
	vote := func(n int, name string) {
		t.Helper()
		id := p.actor + "#votes/" + name + "/" + time.Now().Format("150405.000000000")
		act := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id + "/activity", "type": "Create",
			"actor": p.actor, "to": []string{bob.URI}, "object": map[string]any{"id": id, "type": "Note", "name": name,
				"attributedTo": p.actor, "to": []string{bob.URI}, "inReplyTo": st.URI}}
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, act), nil); status != http.StatusAccepted {
			t.Fatalf("inbox: %d %s", status, msg)
		}
		ti.waitInboxEmpty()
	}
	vote(1, "two")
	vote(2, "one") // a multiple-choice vote comes as one Note per choice
	vote(3, "two") // again: dropped
	v, s, err := ti.svc.Poll(ctx, bobC, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	pv := v.PollOf(s)
	if !slices.Equal(pv.Poll.Counts, []int64{1, 1}) || pv.Poll.VotersCount != 1 || pv.Poll.VotesCount != 2 {
		t.Fatalf("counts: %+v", pv.Poll)
	}
	if got, _ := ti.svc.StatusByID(ctx, st.ID); got.RepliesCount != 0 {
		t.Fatalf("votes counted as replies: %d", got.RepliesCount)
	}

	// Served as a Question.
	status, _, body := get(t, st.URI, "application/activity+json", p)
	if status != 200 {
		t.Fatalf("GET %s: %d", st.URI, status)
	}
	o, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Type.Is("Question") || len(o.AnyOf) != 2 || o.AnyOf[1].Name != "two" || o.AnyOf[1].Replies.Obj == nil ||
		o.AnyOf[1].Replies.Obj.TotalNum != 1 || o.Voters != 1 || o.EndTime.IsZero() || o.Closed.Closed {
		t.Fatalf("served Question: %s", body)
	}

	// After the end, votes are refused and the Question says closed.
	ti.svc.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	vote(4, "one")
	v, s, _ = ti.svc.Poll(ctx, bobC, st.ID)
	if pv := v.PollOf(s); pv.Poll.VotesCount != 2 || !pv.Expired {
		t.Fatalf("after the end: %+v", pv.Poll)
	}
}
