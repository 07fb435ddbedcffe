package core

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Interaction policies (issue 18): a post says who may reply to, boost,
// favourite and quote it, automatically or after its author approves
// (GoToSocial's interaction policies, Mastodon's quote policies).
// DecideInteraction is the one rule; the client API (422 when denied,
// held when approval is needed), the federation engine (remote
// interactions held, local ones with remote posts made to wait for the
// author's Accept) and the Status entity all ask it.

// Approval is how an interaction with a post is allowed.
type Approval int

const (
	// Denied: the policy does not allow it.
	Denied Approval = iota
	// NeedsApproval: allowed once the post's author approves it.
	NeedsApproval
	// Approved: allowed without asking.
	Approved
)

// InteractionDecision is DecideInteraction's answer.
type InteractionDecision struct {
	Approval Approval
	// ByRelation: approved only because the actor follows the author (or
	// is followed), which other servers cannot check: the interacting
	// server waits for the author's Accept, and the author's server sends
	// one (GoToSocial's "conditional on presence in a collection").
	ByRelation bool
}

// InteractionFacts are what an actor is to a post's author.
type InteractionFacts struct {
	ActorID    int64
	ActorURI   string
	Follows    bool // the actor follows the author
	FollowedBy bool // the author follows the actor
}

// DecideInteraction is Herald's one interaction rule: whether the actor
// may do kind to st (whose visibility the caller checked: who may not see
// a post may not interact with it).
//
//   - an interaction with a post that itself waits for approval waits too
//     (GoToSocial: else one could answer one's own held reply);
//   - the author always may;
//   - the accounts a post mentions, and the one it replies to, may always
//     reply (so that nobody can be mentioned with no way to answer);
//   - otherwise the post's policy (model.OpenInteractionPolicy when it
//     declares none): the most specific entry naming the actor decides
//     (an account named by its id or as mentioned, then followers or
//     following, then public); on a tie, automatic approval wins. Nobody
//     named: denied.
func DecideInteraction(kind model.InteractionKind, st *model.Status, f InteractionFacts) InteractionDecision {
	if st.PendingApproval {
		return InteractionDecision{Approval: NeedsApproval}
	}
	if f.ActorID != 0 && f.ActorID == st.AccountID {
		return InteractionDecision{Approval: Approved}
	}
	if kind == model.InteractReply && f.ActorID != 0 &&
		(slices.Contains(st.MentionIDs, f.ActorID) || st.InReplyToAccountID == f.ActorID) {
		return InteractionDecision{Approval: Approved}
	}
	rule := effectivePolicy(st).Rule(kind)
	auto, autoRel := policyMatch(rule.Automatic, st, f)
	manual, _ := policyMatch(rule.Manual, st, f)
	switch {
	case auto == 0 && manual == 0:
		return InteractionDecision{Approval: Denied}
	case auto >= manual:
		return InteractionDecision{Approval: Approved, ByRelation: autoRel}
	}
	return InteractionDecision{Approval: NeedsApproval}
}

// effectivePolicy is st's policy, or the open one when it declares none.
func effectivePolicy(st *model.Status) model.InteractionPolicy {
	if st.Policy != nil {
		return *st.Policy
	}
	return model.OpenInteractionPolicy()
}

// EffectivePolicy is st's policy as it applies (the open one when the
// post declares none), for the surfaces that show it.
func EffectivePolicy(st *model.Status) model.InteractionPolicy { return effectivePolicy(st) }

// policyMatch returns how specifically values name the actor (0: not at
// all, 1: public, 2: followers or following, 3: by id, as mentioned or as
// the author) and whether the best match is a relation.
func policyMatch(values []string, st *model.Status, f InteractionFacts) (specificity int, byRelation bool) {
	for _, v := range values {
		s, rel := 0, false
		switch v {
		case model.PolicyPublic:
			s = 1
		case model.PolicyFollowers:
			if f.Follows {
				s, rel = 2, true
			}
		case model.PolicyFollowing:
			if f.FollowedBy {
				s, rel = 2, true
			}
		case model.PolicyMentioned:
			if f.ActorID != 0 && slices.Contains(st.MentionIDs, f.ActorID) {
				s = 3
			}
		case model.PolicyAuthor:
			if f.ActorID != 0 && f.ActorID == st.AccountID {
				s = 3
			}
		default:
			if f.ActorURI != "" && v == f.ActorURI {
				s = 3
			}
		}
		if s > specificity || (s == specificity && s > 0 && !rel) {
			specificity, byRelation = s, rel
		}
	}
	return specificity, byRelation
}

// interactionFacts loads what actor is to st's author.
func (s *Service) interactionFacts(ctx context.Context, actor *model.Account, st *model.Status) (InteractionFacts, error) {
	f := InteractionFacts{}
	if actor == nil {
		return f, nil
	}
	f.ActorID, f.ActorURI = actor.ID, actor.URI
	if actor.ID == st.AccountID {
		return f, nil
	}
	for _, pair := range []struct {
		from, to int64
		set      *bool
	}{{actor.ID, st.AccountID, &f.Follows}, {st.AccountID, actor.ID, &f.FollowedBy}} {
		_, err := s.store.FollowBetween(ctx, pair.from, pair.to)
		if err == nil {
			*pair.set = true
		} else if !errors.Is(err, storage.ErrNotFound) {
			return f, herr.Internal(err)
		}
	}
	return f, nil
}

// decide is DecideInteraction with the facts loaded.
func (s *Service) decide(ctx context.Context, kind model.InteractionKind, st *model.Status, actor *model.Account) (InteractionDecision, error) {
	f, err := s.interactionFacts(ctx, actor, st)
	if err != nil {
		return InteractionDecision{}, err
	}
	return DecideInteraction(kind, st, f), nil
}

// deniedMessage is the 422 a client gets for an interaction the policy
// does not allow.
func deniedMessage(kind model.InteractionKind) error {
	what := map[model.InteractionKind]string{
		model.InteractReply:     "reply to",
		model.InteractReblog:    "boost",
		model.InteractFavourite: "favourite",
		model.InteractQuote:     "quote",
	}[kind]
	return herr.Unprocessable("Validation failed: The author of this post does not allow you to %s it", what)
}

// InstanceInteractionPolicy is the instance's default policy for new posts
// of a visibility ([interactions] in the configuration). Followers-only
// and direct posts cannot be boosted or quoted by others, whatever it says.
func (s *Service) InstanceInteractionPolicy(vis model.Visibility) model.InteractionPolicy {
	in := s.Cfg.Interactions
	p := model.InteractionPolicy{
		Favourite: model.PolicyRule{Automatic: in.Favourite, Manual: in.FavouriteApproval},
		Reply:     model.PolicyRule{Automatic: in.Reply, Manual: in.ReplyApproval},
		Reblog:    model.PolicyRule{Automatic: in.Reblog, Manual: in.ReblogApproval},
		Quote:     model.PolicyRule{Automatic: in.Quote, Manual: in.QuoteApproval},
	}
	if vis == model.Private || vis == model.Direct {
		authorOnly := model.PolicyRule{Automatic: []string{model.PolicyAuthor}}
		p.Reblog, p.Quote = authorOnly, authorOnly
	}
	return normalPolicy(p)
}

// defaultInteractionPolicy is the policy a new post of an account gets
// when the post names none: the account's default for the visibility, else
// the instance's.
func (s *Service) defaultInteractionPolicy(ctx context.Context, accountID int64, vis model.Visibility) (model.InteractionPolicy, error) {
	d, err := s.interactionDefaults(ctx, accountID)
	if err != nil {
		return model.InteractionPolicy{}, herr.Internal(err)
	}
	if p := d.For(vis); p != nil {
		return *p, nil
	}
	return s.InstanceInteractionPolicy(vis), nil
}

// PolicyChoice is a policy a client chose, kind by kind; the kinds it
// leaves out keep what they were (for a new post: the author's default).
type PolicyChoice map[model.InteractionKind]model.PolicyRule

// onto applies the choice to base and checks the result.
func (c PolicyChoice) onto(base model.InteractionPolicy) (model.InteractionPolicy, error) {
	for kind, r := range c {
		base.SetRule(kind, r)
	}
	return CheckInteractionPolicy(base)
}

// CheckInteractionPolicy validates a policy a local user chose: only the
// keywords (public, followers, following, mentioned, author), each kind's
// lists without repeats.
func CheckInteractionPolicy(p model.InteractionPolicy) (model.InteractionPolicy, error) {
	for _, kind := range model.InteractionKinds {
		r := p.Rule(kind)
		for _, v := range append(append([]string{}, r.Automatic...), r.Manual...) {
			if !slices.Contains(model.PolicyKeywords, v) {
				return p, herr.Unprocessable("Validation failed: %q is not a valid interaction policy value (%s)",
					v, strings.Join(model.PolicyKeywords, ", "))
			}
		}
	}
	return normalPolicy(p), nil
}

// normalPolicy drops repeats and empty lists (nil, so that stored and
// compared policies look alike).
func normalPolicy(p model.InteractionPolicy) model.InteractionPolicy {
	norm := func(vs []string) []string {
		var out []string
		for _, v := range vs {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	for _, kind := range model.InteractionKinds {
		r := p.Rule(kind)
		p.SetRule(kind, model.PolicyRule{Automatic: norm(r.Automatic), Manual: norm(r.Manual)})
	}
	return p
}

// The ActivityPub ids of a local author's answers to interaction request
// id: the Accept, the Reject and the authorization object the Accept names
// (GoToSocial's ReplyAuthorization and the like, Mastodon's
// QuoteAuthorization). The federation engine serves the authorization and
// the Accept at these URIs: other servers dereference them to check an
// approval.

func (s *Service) InteractionAcceptURI(author *model.Account, requestID int64) string {
	return s.LocalActorURI(author.Username) + "/accepts/" + strconv.FormatInt(requestID, 10)
}

func (s *Service) InteractionRejectURI(author *model.Account, requestID int64) string {
	return s.LocalActorURI(author.Username) + "/rejects/" + strconv.FormatInt(requestID, 10)
}

func (s *Service) InteractionAuthorizationURI(author *model.Account, requestID int64) string {
	return s.LocalActorURI(author.Username) + "/authorizations/" + strconv.FormatInt(requestID, 10)
}
