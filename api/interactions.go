package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Interaction policies in the client API, in GoToSocial's shape (its
// clients and Phanpy read them): the Status entity's optional
// interaction_policy, the interaction_policy parameter of POST and PUT
// /api/v1/statuses, /api/v1/interaction_policies/defaults and
// /api/v1/interaction_requests. Mastodon 4.5's quote_approval_policy
// parameter and quote_approval field map onto the quote rule.

func (a *API) registerInteractions(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/interaction_policies/defaults", a.getInteractionDefaults, user("read:accounts"))
	a.handle(e, http.MethodPatch, "/api/v1/interaction_policies/defaults", a.setInteractionDefaults, user("write:accounts"))
	a.handle(e, http.MethodPut, "/api/v1/statuses/:id/interaction_policy", a.setStatusPolicy, user("write:statuses"))
	a.handle(e, http.MethodGet, "/api/v1/interaction_requests", a.interactionRequests, user("read:notifications"))
	a.handle(e, http.MethodGet, "/api/v1/interaction_requests/:id", a.interactionRequest, user("read:notifications"))
	a.handle(e, http.MethodPost, "/api/v1/interaction_requests/:id/authorize", a.answerInteraction(true), user("write:statuses"))
	a.handle(e, http.MethodPost, "/api/v1/interaction_requests/:id/reject", a.answerInteraction(false), user("write:statuses"))
}

// PolicyRules is GoToSocial's rules for one kind of interaction: the
// current names (automatic_approval, manual_approval) and, for clients of
// GoToSocial before 0.20, the old ones (always, with_approval).
type PolicyRules struct {
	AutomaticApproval []string `json:"automatic_approval"`
	ManualApproval    []string `json:"manual_approval"`
	Always            []string `json:"always"`
	WithApproval      []string `json:"with_approval"`
}

// InteractionPolicy is GoToSocial's interactionPolicy entity.
type InteractionPolicy struct {
	CanFavourite PolicyRules `json:"can_favourite"`
	CanReply     PolicyRules `json:"can_reply"`
	CanReblog    PolicyRules `json:"can_reblog"`
	CanQuote     PolicyRules `json:"can_quote"`
}

// policyKeys are the entity's keys for each kind.
var policyKeys = map[model.InteractionKind]string{
	model.InteractFavourite: "can_favourite",
	model.InteractReply:     "can_reply",
	model.InteractReblog:    "can_reblog",
	model.InteractQuote:     "can_quote",
}

func interactionPolicy(p model.InteractionPolicy) *InteractionPolicy {
	rules := func(r model.PolicyRule) PolicyRules {
		auto, manual := nonNilStrings(r.Automatic), nonNilStrings(r.Manual)
		return PolicyRules{AutomaticApproval: auto, ManualApproval: manual, Always: auto, WithApproval: manual}
	}
	return &InteractionPolicy{CanFavourite: rules(p.Favourite), CanReply: rules(p.Reply), CanReblog: rules(p.Reblog), CanQuote: rules(p.Quote)}
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// quoteApproval is Mastodon's QuoteApproval for a status: its policy,
// and whether the viewer may quote it (core's rule; "denied" for nobody
// signed in).
func quoteApproval(st *model.Status, v *core.StatusView) QuoteApproval {
	r := core.EffectivePolicy(st).Quote
	mastodon := func(values []string) []string {
		out := []string{}
		add := func(v string) {
			for _, have := range out {
				if have == v {
					return
				}
			}
			out = append(out, v)
		}
		for _, v := range values {
			switch v {
			case model.PolicyPublic, model.PolicyFollowers:
				add(v)
			case model.PolicyAuthor:
			default:
				add("unsupported_policy")
			}
		}
		return out
	}
	current := "denied"
	if v != nil {
		if d, ok := v.QuoteApproval[st.ID]; ok {
			current = map[core.Approval]string{core.Approved: "automatic", core.NeedsApproval: "manual", core.Denied: "denied"}[d]
		}
	}
	return QuoteApproval{Automatic: mastodon(r.Automatic), Manual: mastodon(r.Manual), CurrentUser: current}
}

// mastodonQuotePolicy is Mastodon 4.5's quote_policy (public, followers,
// nobody) for a quote rule: who may quote without asking.
func mastodonQuotePolicy(r model.PolicyRule) string {
	switch {
	case slices.Contains(r.Automatic, model.PolicyPublic):
		return "public"
	case slices.Contains(r.Automatic, model.PolicyFollowers):
		return "followers"
	}
	return "nobody"
}

// quoteRule reads Mastodon's quote_policy (and quote_approval_policy)
// values: public, followers, nobody.
func quoteRule(q, param string) (model.PolicyRule, error) {
	switch q {
	case "public", "followers":
		return model.PolicyRule{Automatic: []string{q}}, nil
	case "nobody":
		return model.PolicyRule{Automatic: []string{model.PolicyAuthor}}, nil
	}
	return model.PolicyRule{}, herr.Unprocessable("Validation failed: %s must be public, followers or nobody", param)
}

// defaultQuotePolicy is the account's Mastodon quote_policy: the quote
// rule of its default for public posts.
func (a *API) defaultQuotePolicy(ctx context.Context, accountID int64) string {
	p, err := a.svc.DefaultInteractionPolicy(ctx, accountID, model.Public)
	if err != nil {
		return "nobody"
	}
	return mastodonQuotePolicy(p.Quote)
}

// policyValue reads one policy value as clients send it: GoToSocial's
// plain values, its older "urn:gts:..." forms, and "me" (the author).
func policyValue(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if strings.HasPrefix(v, "urn:") {
		v = v[strings.LastIndex(v, ":")+1:]
	}
	if v == "me" {
		return model.PolicyAuthor
	}
	return v
}

// policyChoice reads an interaction policy parameter at key (the keys of
// nested objects after it, for forms: key[can_reply][always][]=public):
// the kinds given, with their lists; ok is false when it is absent.
func policyChoice(p *Params, key ...string) (core.PolicyChoice, bool) {
	choice := core.PolicyChoice{}
	found := false
	for kind, name := range policyKeys {
		var r model.PolicyRule
		given := false
		for _, l := range []struct {
			names []string
			into  *[]string
		}{{[]string{"automatic_approval", "always"}, &r.Automatic}, {[]string{"manual_approval", "with_approval"}, &r.Manual}} {
			for _, n := range l.names {
				path := append(append([]string{}, key...), name, n)
				values, ok := p.nestedStrings(path)
				if !ok {
					continue
				}
				given = true
				for _, v := range values {
					*l.into = append(*l.into, policyValue(v))
				}
			}
		}
		if given {
			choice[kind] = r
			found = true
		}
	}
	return choice, found
}

// statusPolicyChoice reads the policy a status request asks for: GoToSocial's
// interaction_policy and Mastodon's quote_approval_policy (public,
// followers, nobody), which sets the quote rule unless the first does.
func statusPolicyChoice(p *Params) (core.PolicyChoice, error) {
	choice, _ := policyChoice(p, "interaction_policy")
	if q := strings.TrimSpace(p.String("quote_approval_policy")); q != "" {
		r, err := quoteRule(q, "quote_approval_policy")
		if err != nil {
			return nil, err
		}
		if _, set := choice[model.InteractQuote]; !set {
			choice[model.InteractQuote] = r
		}
	}
	if len(choice) == 0 {
		return nil, nil
	}
	return choice, nil
}

// DefaultPolicies is GoToSocial's defaultPolicies entity.
type DefaultPolicies struct {
	Direct   *InteractionPolicy `json:"direct"`
	Private  *InteractionPolicy `json:"private"`
	Unlisted *InteractionPolicy `json:"unlisted"`
	Public   *InteractionPolicy `json:"public"`
}

func defaultPolicies(d map[model.Visibility]model.InteractionPolicy) DefaultPolicies {
	return DefaultPolicies{Direct: interactionPolicy(d[model.Direct]), Private: interactionPolicy(d[model.Private]),
		Unlisted: interactionPolicy(d[model.Unlisted]), Public: interactionPolicy(d[model.Public])}
}

func (a *API) getInteractionDefaults(c echo.Context) error {
	d, err := a.svc.InteractionDefaults(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, defaultPolicies(d))
}

// setInteractionDefaults is GoToSocial's PATCH: each visibility given is
// set, each omitted (or null) goes back to the instance's default.
func (a *API) setInteractionDefaults(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	set := map[model.Visibility]core.PolicyChoice{}
	for _, vis := range []model.Visibility{model.Public, model.Unlisted, model.Private, model.Direct} {
		if choice, ok := policyChoice(p, vis.String()); ok {
			set[vis] = choice
		}
	}
	d, err := a.svc.SetInteractionDefaults(c.Request().Context(), caller(c), set)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, defaultPolicies(d))
}

// setStatusPolicy is Mastodon 4.5's PUT /api/v1/statuses/:id/interaction_policy
// (quote_approval_policy), which takes GoToSocial's interaction_policy too.
func (a *API) setStatusPolicy(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	choice, err := statusPolicyChoice(p)
	if err != nil {
		return err
	}
	if choice == nil {
		return herr.Unprocessable("Validation failed: quote_approval_policy or interaction_policy is required")
	}
	st, err := a.svc.SetStatusPolicy(c.Request().Context(), caller(c), id, choice)
	if err != nil {
		return err
	}
	return a.respondStatus(c, st)
}

// InteractionRequest is GoToSocial's interactionRequest entity.
type InteractionRequest struct {
	ID         string  `json:"id"`
	Type       string  `json:"type"` // favourite, reply, reblog, quote
	CreatedAt  string  `json:"created_at"`
	Account    Account `json:"account"`
	Status     *Status `json:"status"`
	Reply      *Status `json:"reply,omitempty"`
	AcceptedAt string  `json:"accepted_at,omitempty"`
	RejectedAt string  `json:"rejected_at,omitempty"`
	URI        string  `json:"uri,omitempty"` // the Accept or Reject, once answered
}

// renderRequests renders a page's requests (those whose account or
// status are gone are left out).
func (a *API) renderRequests(c echo.Context, page *core.InteractionRequestPage) []InteractionRequest {
	me := caller(c).Account
	out := make([]InteractionRequest, 0, len(page.Requests))
	for _, r := range page.Requests {
		acc := page.Accounts[r.AccountID]
		if acc == nil {
			continue
		}
		var target *Status
		for _, st := range page.View.Statuses {
			if st.ID == r.StatusID {
				if s, ok := a.status(page.View, st); ok {
					target = &s
				}
			}
		}
		if target == nil {
			continue
		}
		e := InteractionRequest{ID: idString(r.ID), Type: string(r.Kind), CreatedAt: fmtTime(r.CreatedAt),
			Account: a.account(acc), Status: target}
		for _, st := range page.View.Statuses {
			if r.ReplyID != 0 && st.ID == r.ReplyID {
				if s, ok := a.status(page.View, st); ok {
					e.Reply = &s
				}
			}
		}
		if r.AcceptedAt != nil {
			e.AcceptedAt, e.URI = fmtTime(*r.AcceptedAt), a.svc.InteractionAcceptURI(me, r.ID)
		}
		if r.RejectedAt != nil {
			e.RejectedAt, e.URI = fmtTime(*r.RejectedAt), a.svc.InteractionRejectURI(me, r.ID)
		}
		out = append(out, e)
	}
	return out
}

func (a *API) interactionRequests(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	f := storage.InteractionRequestFilter{}
	if f.StatusID, err = p.ID("status_id"); err != nil {
		return err
	}
	for _, k := range []struct {
		param string
		kind  model.InteractionKind
	}{{"favourites", model.InteractFavourite}, {"replies", model.InteractReply}, {"reblogs", model.InteractReblog}, {"quotes", model.InteractQuote}} {
		if p.BoolOr(k.param, true) {
			f.Kinds = append(f.Kinds, k.kind)
		}
	}
	if len(f.Kinds) == 0 {
		return herr.BadRequest("at least one of favourites, replies, reblogs or quotes must be true")
	}
	res, err := a.svc.InteractionRequests(c.Request().Context(), caller(c), f, pg)
	if err != nil {
		return err
	}
	setPageLink(c, pg, res.Newest, res.Oldest)
	return c.JSON(http.StatusOK, a.renderRequests(c, res))
}

func (a *API) interactionRequest(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	res, err := a.svc.InteractionRequest(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return a.oneRequest(c, res)
}

func (a *API) answerInteraction(accept bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		res, err := a.svc.AnswerInteractionRequest(c.Request().Context(), caller(c), id, accept)
		if err != nil {
			return err
		}
		return a.oneRequest(c, res)
	}
}

func (a *API) oneRequest(c echo.Context, res *core.InteractionRequestPage) error {
	out := a.renderRequests(c, res)
	if len(out) == 0 {
		return herr.NotFound("interaction request")
	}
	return c.JSON(http.StatusOK, out[0])
}
