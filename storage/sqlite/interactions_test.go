package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// A held reply is stored but brings nothing (no feed row, no notification,
// no reply count) until its request is accepted; a rejected one is
// deleted and its request kept, rejected.
func TestHeldReplyReleasedOrDeleted(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	ann := mkLocal(t, s, "ann")
	bob := mkRemote(t, s, "bob", "remote.test")
	policy := &model.InteractionPolicy{Reply: model.PolicyRule{Automatic: []string{model.PolicyFollowers}, Manual: []string{model.PolicyPublic}}}
	post := &model.Status{ID: id.New(), URI: "http://x.test/s/post", AccountID: ann.ID, Local: true, Policy: policy}
	if _, _, err := s.CreateStatus(ctx, storage.NewStatus{Status: post}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.StatusByID(ctx, post.ID); err != nil || got.Policy == nil || got.Policy.Reply.Manual[0] != model.PolicyPublic {
		t.Fatalf("policy not kept: %+v %v", got, err)
	}

	hold := func(n int) (*model.Status, *model.InteractionRequest) {
		reply := &model.Status{URI: "https://remote.test/r/" + string(rune('a'+n)), AccountID: bob.ID, InReplyToID: post.ID,
			InReplyToAccountID: ann.ID, MentionIDs: []int64{ann.ID}, PendingApproval: true}
		req := &model.InteractionRequest{Kind: model.InteractReply, StatusID: post.ID, TargetAccountID: ann.ID, AccountID: bob.ID, URI: reply.URI}
		if _, _, err := s.CreateStatus(ctx, storage.NewStatus{Status: reply, MentionIDs: []int64{ann.ID}, Request: req}); err != nil {
			t.Fatal(err)
		}
		return reply, req
	}
	reply, req := hold(0)
	if n := count(t, s, "SELECT count(*) FROM notifications WHERE account_id = ?", ann.ID); n != 0 {
		t.Fatalf("%d notifications for a held reply", n)
	}
	if p, _ := s.StatusByID(ctx, post.ID); p.RepliesCount != 0 {
		t.Fatalf("held reply counted: %d", p.RepliesCount)
	}
	pending, err := s.PendingInteractionRequests(ctx, ann.ID, storage.InteractionRequestFilter{}, model.Page{Limit: 10})
	if err != nil || len(pending) != 1 || pending[0].ReplyID != reply.ID {
		t.Fatalf("pending: %+v %v", pending, err)
	}

	if err := s.AnswerInteraction(ctx, storage.InteractionAnswer{RequestID: req.ID, Accept: true, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.StatusByID(ctx, reply.ID); got.PendingApproval {
		t.Fatal("accepted reply still pending")
	}
	if p, _ := s.StatusByID(ctx, post.ID); p.RepliesCount != 1 {
		t.Fatalf("accepted reply not counted: %d", p.RepliesCount)
	}
	if n := count(t, s, "SELECT count(*) FROM notifications WHERE account_id = ? AND type = 'mention'", ann.ID); n != 1 {
		t.Fatalf("%d mention notifications after approval", n)
	}
	if err := s.AnswerInteraction(ctx, storage.InteractionAnswer{RequestID: req.ID, Accept: false, At: time.Now()}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second answer: %v, want a conflict", err)
	}

	reply2, req2 := hold(1)
	if err := s.AnswerInteraction(ctx, storage.InteractionAnswer{RequestID: req2.ID, Accept: false, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StatusByID(ctx, reply2.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rejected reply kept: %v", err)
	}
	if r, err := s.InteractionRequest(ctx, req2.ID); err != nil || r.RejectedAt == nil || r.ReplyID != 0 {
		t.Fatalf("rejected request: %+v %v", r, err)
	}
	if p, _ := s.StatusByID(ctx, post.ID); p.RepliesCount != 1 {
		t.Fatalf("replies count after a rejection: %d", p.RepliesCount)
	}

	// A held reply deleted by its author withdraws its request.
	reply3, req3 := hold(2)
	if err := s.DeleteStatus(ctx, reply3.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InteractionRequest(ctx, req3.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("request of a deleted held reply: %v", err)
	}
}
