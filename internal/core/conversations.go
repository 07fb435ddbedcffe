package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Conversations are a local account's direct-message threads: every
// direct status is filed, for each local participant, under its thread's
// root; the participants shown are those of the last status.

// ConversationPage is conversations ready to render.
type ConversationPage struct {
	Conversations  []storage.Conversation
	View           *StatusView // last statuses, as the caller sees them
	ViewerID       int64
	Newest, Oldest int64 // cursors (last status ids)
}

// LastStatus is a conversation's last status if the viewer may see it.
func (p *ConversationPage) LastStatus(c storage.Conversation) *model.Status {
	for _, st := range p.View.Statuses {
		if st.ID == c.LastStatusID {
			return st
		}
	}
	return nil
}

// Participants are the accounts of a conversation other than the viewer.
func (p *ConversationPage) Participants(c storage.Conversation) []*model.Account {
	st := p.LastStatus(c)
	if st == nil {
		return nil
	}
	var out []*model.Account
	seen := map[int64]bool{p.ViewerID: true}
	for _, id := range append([]int64{st.AccountID}, st.MentionIDs...) {
		if acc := p.View.Accounts[id]; acc != nil && !seen[id] {
			seen[id] = true
			out = append(out, acc)
		}
	}
	return out
}

// recordConversation files a new direct status in its participants'
// conversations and tells the streaming API (ChangeConversation: account,
// conversation id).
func (s *Service) recordConversation(ctx context.Context, st *model.Status) {
	if st.Visibility != model.Direct || st.ReblogOfID != 0 {
		return
	}
	touched, err := s.store.RecordConversation(ctx, st)
	if err != nil {
		s.Log.Error("record conversation", "status", st.ID, "err", err)
		return
	}
	for acc, conv := range touched {
		s.notify(ChangeConversation, acc, conv)
	}
}

// Conversations pages through the caller's conversations.
func (s *Service) Conversations(ctx context.Context, c *Caller, p model.Page) (*ConversationPage, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if err := c.mayAct(DelegationDirect); err != nil {
		return nil, err
	}
	cs, err := s.store.Conversations(ctx, c.Account.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.conversationPage(ctx, c.Account.ID, cs)
}

// ConversationFor loads one conversation of an account (streaming).
func (s *Service) ConversationFor(ctx context.Context, accountID, convID int64) (*ConversationPage, error) {
	cv, err := s.store.ConversationByID(ctx, accountID, convID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("conversation")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.conversationPage(ctx, accountID, []storage.Conversation{*cv})
}

func (s *Service) conversationPage(ctx context.Context, viewerID int64, cs []storage.Conversation) (*ConversationPage, error) {
	out := &ConversationPage{ViewerID: viewerID}
	if len(cs) > 0 {
		out.Newest, out.Oldest = cs[0].LastStatusID, cs[len(cs)-1].LastStatusID
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.LastStatusID
	}
	m, err := s.store.StatusesByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var sts []*model.Status
	for _, id := range ids {
		if st := m[id]; st != nil {
			sts = append(sts, st)
		}
	}
	v, err := s.View(ctx, viewerID, sts, ViewOptions{})
	if err != nil {
		return nil, err
	}
	out.View = v
	for _, c := range cs {
		if v.Has(c.LastStatusID) {
			out.Conversations = append(out.Conversations, c)
		}
	}
	return out, nil
}

// RemoveConversation removes a conversation from the caller's list (a new
// message in the thread brings it back).
func (s *Service) RemoveConversation(ctx context.Context, c *Caller, convID int64) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.store.DeleteConversation(ctx, c.Account.ID, convID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return herr.NotFound("conversation")
		}
		return herr.Internal(err)
	}
	return nil
}

// ReadConversation marks a conversation read and returns it.
func (s *Service) ReadConversation(ctx context.Context, c *Caller, convID int64) (*ConversationPage, error) {
	return s.markConversation(ctx, c, convID, s.store.MarkConversationRead)
}

// UnreadConversation marks one of the caller's conversations unread
// (Mastodon 4.4's POST /api/v1/conversations/:id/unread).
func (s *Service) UnreadConversation(ctx context.Context, c *Caller, convID int64) (*ConversationPage, error) {
	return s.markConversation(ctx, c, convID, s.store.MarkConversationUnread)
}

func (s *Service) markConversation(ctx context.Context, c *Caller, convID int64, mark func(context.Context, int64, int64) error) (*ConversationPage, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if err := mark(ctx, c.Account.ID, convID); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, herr.NotFound("conversation")
		}
		return nil, herr.Internal(err)
	}
	return s.ConversationFor(ctx, c.Account.ID, convID)
}
