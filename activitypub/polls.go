package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Polls federate as Mastodon's: a post with a poll is a Question whose
// oneOf (single choice) or anyOf (multiple) lists Notes named by their
// options, each with replies.totalItems its votes; endTime, closed and
// votersCount say the rest. A vote is a Create{Note{name: option,
// inReplyTo: the question}} sent to the author alone; the author's server
// sends Update{Question} with the new counts.

func init() {
	activityBuilders[core.EventPollVote] = (*Federation).buildPollVote
	activityBuilders[core.EventPollUpdate] = (*Federation).buildPollUpdate
}

// Closure is a Question's "closed": when it ended, or true (some servers
// send a boolean).
type Closure struct {
	At     time.Time
	Closed bool
}

func (c *Closure) UnmarshalJSON(b []byte) error {
	*c = Closure{}
	var flag bool
	if json.Unmarshal(b, &flag) == nil {
		c.Closed = flag
		return nil
	}
	var t Time
	_ = t.UnmarshalJSON(b)
	if !t.IsZero() {
		c.At, c.Closed = t.Time, true
	}
	return nil
}

// maxRemotePollOptions bounds the options kept of a remote poll.
const maxRemotePollOptions = 20

// pollOf reads a Question's poll (nil: not a poll).
func pollOf(o *Object) *model.Poll {
	if !o.Type.Is("Question") {
		return nil
	}
	opts, multiple := o.OneOf, false
	if len(opts) == 0 {
		opts, multiple = o.AnyOf, true
	}
	if len(opts) == 0 {
		return nil
	}
	p := &model.Poll{Multiple: multiple}
	for _, opt := range opts {
		if len(p.Options) == maxRemotePollOptions {
			break
		}
		name := strings.TrimSpace(string(opt.Name))
		if name == "" {
			continue
		}
		var n int64
		if opt.Replies.Obj != nil {
			n = max(int64(opt.Replies.Obj.TotalNum), 0)
		}
		p.Options = append(p.Options, name)
		p.Counts = append(p.Counts, n)
		p.VotesCount += n
	}
	if len(p.Options) == 0 {
		return nil
	}
	if !o.EndTime.IsZero() {
		t := o.EndTime.Time
		p.ExpiresAt = &t
	}
	// A closed poll ends when it closed (Mastodon: expires_at = closed);
	// core ends it here then, notifying the local voters.
	if o.Closed.Closed {
		at := o.Closed.At
		if at.IsZero() {
			at = time.Now().UTC()
		}
		if p.ExpiresAt == nil || at.Before(*p.ExpiresAt) {
			p.ExpiresAt = &at
		}
	}
	p.VotersCount = max(int64(o.Voters), 0)
	if p.VotersCount == 0 && !multiple {
		p.VotersCount = p.VotesCount
	}
	return p
}

// questionDoc turns a rendered Note into the Question of its poll.
func questionDoc(d doc, p *model.Poll) {
	d["type"] = "Question"
	opts := make([]any, len(p.Options))
	for i, o := range p.Options {
		var n int64
		if i < len(p.Counts) {
			n = p.Counts[i]
		}
		opts[i] = doc{"type": "Note", "name": o, "replies": doc{"type": "Collection", "totalItems": n}}
	}
	if p.Multiple {
		d["anyOf"] = opts
	} else {
		d["oneOf"] = opts
	}
	if p.ExpiresAt != nil {
		d["endTime"] = asTime(*p.ExpiresAt)
	}
	if p.ClosedAt != nil {
		d["closed"] = asTime(*p.ClosedAt)
	} else if p.ExpiresAt != nil && !p.ExpiresAt.After(time.Now()) {
		d["closed"] = asTime(*p.ExpiresAt)
	}
	d["votersCount"] = p.VotersCount
}

// loadPoll adds a status's poll to its bundle.
func (f *Federation) loadPoll(ctx context.Context, b *statusBundle) error {
	p, err := f.svc.PollOfStatus(ctx, b.st.ID)
	if err != nil {
		return err
	}
	b.poll = p
	return nil
}

// buildPollVote is one choice of a local vote on a remote poll: a
// Create{Note} with the option's name, to the poll's author alone.
func (f *Federation) buildPollVote(ctx context.Context, j outboxJob) (doc, []string, error) {
	var p core.PollVotePayload
	if err := json.Unmarshal([]byte(j.ev.Payload), &p); err != nil || p.URI == "" || p.Name == "" {
		return nil, nil, drop("poll vote without its choice")
	}
	st, err := f.svc.StatusByID(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, notFound(err, "the poll")
	}
	author, err := f.svc.AccountByID(ctx, st.AccountID)
	if err != nil {
		return nil, nil, notFound(err, "the poll's author")
	}
	if author.Local() || author.InboxURL == "" {
		return nil, nil, drop("the poll's author is not remote")
	}
	note := doc{"id": p.URI, "type": "Note", "name": p.Name, "attributedTo": j.actor.URI, "inReplyTo": st.URI,
		"to": []string{author.URI}}
	return withContext(doc{"id": p.URI + "/activity", "type": "Create", "actor": j.actor.URI, "to": []string{author.URI},
		"object": note}), []string{author.InboxURL}, nil
}

// buildPollUpdate is an Update{Question} with a local poll's counts (no
// "updated": it is no edit), to the post's audience and its remote voters.
func (f *Federation) buildPollUpdate(ctx context.Context, j outboxJob) (doc, []string, error) {
	st, err := f.svc.StatusByID(ctx, j.ev.ObjectID)
	if err != nil {
		return nil, nil, notFound(err, "the poll")
	}
	if !st.Local || st.PendingApproval {
		return nil, nil, drop("status %d is not a published local post", st.ID)
	}
	b, err := f.loadStatus(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	if b.poll == nil {
		return nil, nil, drop("status %d has no poll", st.ID)
	}
	note := f.noteDoc(b)
	inboxes, err := f.statusInboxes(ctx, j.actor, st.Visibility, b.mentions, 0)
	if err != nil {
		return nil, nil, err
	}
	voters, err := f.svc.PollVoterAccounts(ctx, st.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(voters) > 0 {
		accs, err := f.accountsByIDs(ctx, voters)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range accs {
			if !a.Local() && a.InboxURL != "" && a.SuspendedAt == nil && a.GoneAt == nil {
				inboxes = append(inboxes, a.InboxURL)
			}
		}
	}
	return withContext(doc{
		"id":     fmt.Sprintf("%s#updates/poll/%d", st.URI, j.ev.ID),
		"type":   "Update",
		"actor":  j.actor.URI,
		"to":     note["to"],
		"cc":     note["cc"],
		"object": note,
	}), inboxes, nil
}

// pollVote applies a Create{Note} that is a vote on a local poll; handled
// is false for any other note.
func (f *Federation) pollVote(ctx context.Context, actor *model.Account, o *Object) (handled bool, err error) {
	if !o.Type.Is("Note") || strings.TrimSpace(string(o.Name)) == "" || o.InReplyTo.ID == "" || !f.isLocal(o.InReplyTo.ID) {
		return false, nil
	}
	handled, err = f.svc.RemotePollVote(ctx, actor.ID, o.InReplyTo.ID, strings.TrimSpace(string(o.Name)), string(o.ID))
	var he *herr.Error
	if handled && errors.As(err, &he) && he.Status < 500 {
		f.log.Debug("poll vote refused", "actor", actor.URI, "poll", o.InReplyTo.ID, "err", err)
		return true, nil // nothing to retry: a vote on an ended poll, a second vote
	}
	return handled, err
}
