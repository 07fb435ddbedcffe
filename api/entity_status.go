package api

import (
	"slices"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Status is Mastodon's Status entity.
type Status struct {
	ID                 string             `json:"id"`
	URI                string             `json:"uri"`
	URL                *string            `json:"url"`
	CreatedAt          string             `json:"created_at"`
	Account            Account            `json:"account"`
	Content            string             `json:"content"`
	Visibility         string             `json:"visibility"`
	Sensitive          bool               `json:"sensitive"`
	SpoilerText        string             `json:"spoiler_text"`
	MediaAttachments   []MediaAttachment  `json:"media_attachments"`
	Application        *StatusApplication `json:"application,omitempty"`
	Mentions           []StatusMention    `json:"mentions"`
	Tags               []StatusTag        `json:"tags"`
	Emojis             []CustomEmoji      `json:"emojis"`
	ReblogsCount       int64              `json:"reblogs_count"`
	FavouritesCount    int64              `json:"favourites_count"`
	RepliesCount       int64              `json:"replies_count"`
	QuotesCount        int64              `json:"quotes_count"`
	QuoteApproval      QuoteApproval      `json:"quote_approval"`
	TaggedCollections  []any              `json:"tagged_collections"`
	InReplyToID        *string            `json:"in_reply_to_id"`
	InReplyToAccountID *string            `json:"in_reply_to_account_id"`
	Reblog             *Status            `json:"reblog"`
	Poll               *Poll              `json:"poll"`
	Card               *PreviewCard       `json:"card"`
	Quote              any                `json:"quote"`
	Language           *string            `json:"language"`
	Text               *string            `json:"text,omitempty"`
	EditedAt           *string            `json:"edited_at"`
	Favourited         *bool              `json:"favourited,omitempty"`
	Reblogged          *bool              `json:"reblogged,omitempty"`
	Muted              *bool              `json:"muted,omitempty"`
	Bookmarked         *bool              `json:"bookmarked,omitempty"`
	Pinned             *bool              `json:"pinned,omitempty"`
	Filtered           []any              `json:"filtered,omitempty"`
	// InteractionPolicy is GoToSocial's (not Mastodon's): who may
	// favourite, reply, boost and quote. Optional, so that clients that do
	// not know it are not affected.
	InteractionPolicy *InteractionPolicy `json:"interaction_policy,omitempty"`
}

type StatusApplication struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

type StatusMention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

type StatusTag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Quote is Mastodon's Quote entity: a quote's state and, when accepted
// and visible, the quoted status.
type Quote struct {
	State        string  `json:"state"`
	QuotedStatus *Status `json:"quoted_status"`
}

// ShallowQuote is Mastodon's ShallowQuote: a quoted status's own quote.
type ShallowQuote struct {
	State          string  `json:"state"`
	QuotedStatusID *string `json:"quoted_status_id"`
}

// quoteState is the state a viewer is shown: an accepted quote whose
// quoted post is gone is "deleted", one the viewer may not see
// "unauthorized" (Mastodon's).
func quoteState(v *core.StatusView, st *model.Status) string {
	state := st.QuoteState
	if state == "" {
		state = model.QuotePending
	}
	if state != model.QuoteAccepted {
		return state
	}
	if st.QuoteOfID == 0 {
		return "deleted"
	}
	if v != nil && v.Quoted[st.QuoteOfID] == nil {
		return "unauthorized"
	}
	return state
}

func (a *API) quote(m *pageMemo, v *core.StatusView, st *model.Status) *Quote {
	q := &Quote{State: quoteState(v, st)}
	if q.State == model.QuoteAccepted {
		if r, ok := a.statusIn(m, v, v.Quoted[st.QuoteOfID], true); ok {
			q.QuotedStatus = &r
		} else {
			q.State = "unauthorized"
		}
	}
	return q
}

func (a *API) shallowQuote(st *model.Status) *ShallowQuote {
	q := &ShallowQuote{State: st.QuoteState}
	if q.State == "" {
		q.State = model.QuotePending
	}
	if q.State == model.QuoteAccepted {
		if st.QuoteOfID == 0 {
			q.State = "deleted"
		} else {
			q.QuotedStatusID = strPtr(idString(st.QuoteOfID))
		}
	}
	return q
}

type QuoteApproval struct {
	Automatic   []string `json:"automatic"`
	Manual      []string `json:"manual"`
	CurrentUser string   `json:"current_user"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func boolPtr(b bool) *bool { return &b }

// statuses renders a view's statuses in order.
func (a *API) statuses(v *core.StatusView) []Status {
	out := make([]Status, 0, len(v.Statuses))
	m := &pageMemo{}
	for _, st := range v.Statuses {
		if s, ok := a.statusIn(m, v, st, false); ok {
			out = append(out, s)
		}
	}
	return out
}

// statusList renders the statuses of sts that the view shows, in sts's order.
func (a *API) statusList(v *core.StatusView, sts []*model.Status) []Status {
	out := make([]Status, 0, len(sts))
	m := &pageMemo{}
	for _, st := range sts {
		if s, ok := a.statusIn(m, v, st, false); ok {
			out = append(out, s)
		}
	}
	return out
}

// pageMemo holds what the statuses of one page share, rendered once: the
// entity of an account that wrote several of them, and the interaction
// policy that most statuses have. The entities of a page share them (the
// JSON is the same as with copies; nothing changes an entity once built).
type pageMemo struct {
	accounts  map[int64]Account
	policyIn  model.InteractionPolicy
	policyOut *InteractionPolicy
}

func (a *API) memoAccount(m *pageMemo, acc *model.Account) Account {
	if m == nil {
		return a.account(acc)
	}
	if e, ok := m.accounts[acc.ID]; ok {
		return e
	}
	if m.accounts == nil {
		m.accounts = map[int64]Account{}
	}
	e := a.account(acc)
	m.accounts[acc.ID] = e
	return e
}

func memoPolicy(m *pageMemo, p model.InteractionPolicy) *InteractionPolicy {
	if m == nil {
		return interactionPolicy(p)
	}
	if m.policyOut == nil || !samePolicy(m.policyIn, p) {
		m.policyIn, m.policyOut = p, interactionPolicy(p)
	}
	return m.policyOut
}

func samePolicy(x, y model.InteractionPolicy) bool {
	same := func(a, b model.PolicyRule) bool {
		return slices.Equal(a.Automatic, b.Automatic) && slices.Equal(a.Manual, b.Manual)
	}
	return same(x.Favourite, y.Favourite) && same(x.Reply, y.Reply) && same(x.Reblog, y.Reblog) && same(x.Quote, y.Quote)
}

// status renders one status from a view (no queries); ok is false when
// its author is missing.
func (a *API) status(v *core.StatusView, st *model.Status) (Status, bool) {
	return a.statusIn(nil, v, st, false)
}

// statusIn renders a status, sharing what m holds with the page's other
// statuses (m may be nil); nested is set for a quoted status, whose own
// quote is a ShallowQuote (Mastodon nests one level).
func (a *API) statusIn(m *pageMemo, v *core.StatusView, st *model.Status, nested bool) (Status, bool) {
	author := v.Accounts[st.AccountID]
	if author == nil {
		return Status{}, false
	}
	out := Status{
		ID:                idString(st.ID),
		URI:               st.URI,
		URL:               strPtr(st.URL),
		CreatedAt:         fmtTime(st.CreatedAt),
		Account:           a.memoAccount(m, author),
		Content:           st.Content,
		Visibility:        st.Visibility.String(),
		Sensitive:         st.Sensitive,
		SpoilerText:       st.SpoilerText,
		MediaAttachments:  a.mediaAttachments(v.Media[st.ID]),
		Mentions:          make([]StatusMention, 0, len(st.MentionIDs)),
		Tags:              make([]StatusTag, 0, len(st.Tags)),
		Emojis:            a.emojisIn(author.Domain, st.Content, st.SpoilerText),
		Card:              a.previewCard(v.Cards[st.ID]),
		ReblogsCount:      st.ReblogsCount,
		FavouritesCount:   st.FavouritesCount,
		RepliesCount:      st.RepliesCount,
		QuotesCount:       st.QuotesCount,
		QuoteApproval:     quoteApproval(st, v),
		InteractionPolicy: memoPolicy(m, core.EffectivePolicy(st)),
		TaggedCollections: []any{},
		Language:          strPtr(st.Language),
		EditedAt:          fmtTimePtr(st.EditedAt),
		Poll:              a.poll(v, st, author.Domain),
	}
	if st.InReplyToID != 0 {
		out.InReplyToID = strPtr(idString(st.InReplyToID))
	}
	if st.InReplyToAccountID != 0 {
		out.InReplyToAccountID = strPtr(idString(st.InReplyToAccountID))
	}
	for _, mid := range st.MentionIDs {
		if m := v.Accounts[mid]; m != nil {
			u := m.URL
			if u == "" {
				u = m.URI
			}
			out.Mentions = append(out.Mentions, StatusMention{ID: idString(m.ID), Username: m.Username, URL: u, Acct: m.Acct()})
		}
	}
	for _, t := range st.Tags {
		out.Tags = append(out.Tags, StatusTag{Name: t, URL: a.svc.TagURL(t)})
	}
	if st.ReblogOfID != 0 {
		orig := v.Originals[st.ReblogOfID]
		if orig == nil {
			return Status{}, false
		}
		r, ok := a.statusIn(m, v, orig, nested)
		if !ok {
			return Status{}, false
		}
		out.Reblog = &r
		// A boost has no content of its own; Mastodon mirrors the original's.
		out.Content, out.SpoilerText, out.Sensitive, out.Language = "", "", false, nil
		out.URL = nil
	}
	if st.QuoteURI != "" && st.ReblogOfID == 0 {
		if nested {
			out.Quote = a.shallowQuote(st)
		} else {
			out.Quote = a.quote(m, v, st)
		}
	}
	if app, ok := v.Apps[st.AppID]; ok && app != nil && st.AccountID == v.ViewerID {
		out.Application = &StatusApplication{Name: app.Name, Website: strPtr(app.Website)}
	}
	if v.ViewerID != 0 {
		f := v.Flags[st.ID]
		if st.ReblogOfID != 0 {
			f = v.Flags[st.ReblogOfID]
		}
		out.Favourited, out.Reblogged, out.Bookmarked = boolPtr(f.Favourited), boolPtr(f.Reblogged), boolPtr(f.Bookmarked)
		out.Muted = boolPtr(f.Muted)
		if st.ReblogOfID == 0 {
			out.Muted = boolPtr(v.Flags[st.ID].Muted)
		}
		if st.AccountID == v.ViewerID {
			out.Pinned = boolPtr(f.Pinned)
		}
		out.Filtered = []any{}
		for _, r := range v.Filtered[st.ID] {
			out.Filtered = append(out.Filtered, filterResult(r))
		}
	}
	return out, true
}
