package model

import (
	"slices"
	"time"
)

// InteractionKind is an interaction an interaction policy governs.
type InteractionKind string

const (
	InteractReply     InteractionKind = "reply"
	InteractReblog    InteractionKind = "reblog"
	InteractFavourite InteractionKind = "favourite"
	InteractQuote     InteractionKind = "quote"
)

// InteractionKinds lists the kinds, in the order policies show them.
var InteractionKinds = []InteractionKind{InteractFavourite, InteractReply, InteractReblog, InteractQuote}

// Who a policy rule names (GoToSocial's client API values). Any other
// value is the ActivityPub id of one actor: remote servers' policies may
// name accounts one by one.
const (
	PolicyPublic    = "public"    // anyone who may see the post
	PolicyFollowers = "followers" // the author's followers
	PolicyFollowing = "following" // the accounts the author follows
	PolicyMentioned = "mentioned" // the accounts the post mentions
	PolicyAuthor    = "author"    // the author alone
)

// PolicyKeywords are the values local policies may use.
var PolicyKeywords = []string{PolicyPublic, PolicyFollowers, PolicyFollowing, PolicyMentioned, PolicyAuthor}

// PolicyRule says who may do one kind of interaction: those named in
// Automatic without asking, those named in Manual once the author approves.
// Whoever neither names may not.
type PolicyRule struct {
	Automatic []string `json:"automatic,omitempty"`
	Manual    []string `json:"manual,omitempty"`
}

// InteractionPolicy is a post's rules for each kind of interaction.
type InteractionPolicy struct {
	Favourite PolicyRule `json:"favourite"`
	Reply     PolicyRule `json:"reply"`
	Reblog    PolicyRule `json:"reblog"`
	Quote     PolicyRule `json:"quote"`
}

// Rule returns the rule for kind.
func (p InteractionPolicy) Rule(kind InteractionKind) PolicyRule {
	switch kind {
	case InteractReply:
		return p.Reply
	case InteractReblog:
		return p.Reblog
	case InteractQuote:
		return p.Quote
	}
	return p.Favourite
}

// SetRule replaces the rule for kind.
func (p *InteractionPolicy) SetRule(kind InteractionKind, r PolicyRule) {
	switch kind {
	case InteractReply:
		p.Reply = r
	case InteractReblog:
		p.Reblog = r
	case InteractQuote:
		p.Quote = r
	default:
		p.Favourite = r
	}
}

// OpenInteractionPolicy is the policy of a post that declares none: what
// servers without interaction policies assume (GoToSocial's implicit
// default): anyone who may see it may favourite, reply and boost; only its
// author may quote it (quoting is opt-in, as in Mastodon and GoToSocial).
func OpenInteractionPolicy() InteractionPolicy {
	public := PolicyRule{Automatic: []string{PolicyPublic}}
	return InteractionPolicy{Favourite: public, Reply: public, Reblog: public,
		Quote: PolicyRule{Automatic: []string{PolicyAuthor}}}
}

// Names reports whether the rule names value in either list.
func (r PolicyRule) Names(value string) bool {
	return slices.Contains(r.Automatic, value) || slices.Contains(r.Manual, value)
}

// InteractionDefaults are an account's default policies for its new
// posts, per visibility; nil: the instance's default.
type InteractionDefaults struct {
	Public   *InteractionPolicy `json:"public,omitempty"`
	Unlisted *InteractionPolicy `json:"unlisted,omitempty"`
	Private  *InteractionPolicy `json:"private,omitempty"`
	Direct   *InteractionPolicy `json:"direct,omitempty"`
}

// For returns the default set for a visibility (nil when none is).
func (d InteractionDefaults) For(v Visibility) *InteractionPolicy {
	switch v {
	case Unlisted:
		return d.Unlisted
	case Private:
		return d.Private
	case Direct:
		return d.Direct
	}
	return d.Public
}

// Set replaces the default of a visibility (nil: the instance's).
func (d *InteractionDefaults) Set(v Visibility, p *InteractionPolicy) {
	switch v {
	case Unlisted:
		d.Unlisted = p
	case Private:
		d.Private = p
	case Direct:
		d.Direct = p
	default:
		d.Public = p
	}
}

// InteractionRequest is an interaction with a local account's post that
// waits for (or received) that account's answer: a reply, favourite,
// boost or quote its policy did not approve automatically. Requests
// approved automatically are recorded too when the interacting server
// waits for an Accept (approval conditional on following the author).
type InteractionRequest struct {
	ID              int64
	Kind            InteractionKind
	StatusID        int64 // the status interacted with
	TargetAccountID int64 // its author, who answers
	AccountID       int64 // who interacts
	ReplyID         int64 // a reply's held status (0 once it is gone)
	// URI is the ActivityPub id of the interaction: the reply, the Like,
	// the Announce or the quoting post ("" for local interactions).
	URI string
	// RequestURI is the id of the request activity (ReplyRequest,
	// QuoteRequest, ...) when the interaction was asked for politely; the
	// answer then names it.
	RequestURI string
	CreatedAt  time.Time
	AcceptedAt *time.Time
	RejectedAt *time.Time
}

// Pending reports a request not answered yet.
func (r *InteractionRequest) Pending() bool { return r.AcceptedAt == nil && r.RejectedAt == nil }

// Clone copies the policy's rules, so that a kept value is never changed
// through a copy handed out.
func (p InteractionPolicy) Clone() InteractionPolicy {
	for _, r := range []*PolicyRule{&p.Favourite, &p.Reply, &p.Reblog, &p.Quote} {
		r.Automatic = slices.Clone(r.Automatic)
		r.Manual = slices.Clone(r.Manual)
	}
	return p
}

// Clone copies the defaults, rules included.
func (d InteractionDefaults) Clone() InteractionDefaults {
	cp := func(p *InteractionPolicy) *InteractionPolicy {
		if p == nil {
			return nil
		}
		c := p.Clone()
		return &c
	}
	return InteractionDefaults{Public: cp(d.Public), Unlisted: cp(d.Unlisted), Private: cp(d.Private), Direct: cp(d.Direct)}
}
