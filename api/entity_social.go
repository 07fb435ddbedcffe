package api

import (
	"strings"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Relationship is Mastodon's Relationship entity: every boolean is always
// present.
type Relationship struct {
	ID                  string   `json:"id"`
	Following           bool     `json:"following"`
	ShowingReblogs      bool     `json:"showing_reblogs"`
	Notifying           bool     `json:"notifying"`
	Languages           []string `json:"languages"`
	FollowedBy          bool     `json:"followed_by"`
	Blocking            bool     `json:"blocking"`
	BlockedBy           bool     `json:"blocked_by"`
	Muting              bool     `json:"muting"`
	MutingNotifications bool     `json:"muting_notifications"`
	Requested           bool     `json:"requested"`
	RequestedBy         bool     `json:"requested_by"`
	DomainBlocking      bool     `json:"domain_blocking"`
	Endorsed            bool     `json:"endorsed"`
	Note                string   `json:"note"`
}

func relationship(r *model.Relationship) Relationship {
	return Relationship{
		ID:                  idString(r.TargetID),
		Following:           r.Following,
		ShowingReblogs:      r.ShowingReblogs,
		Notifying:           r.Notifying,
		FollowedBy:          r.FollowedBy,
		Blocking:            r.Blocking,
		BlockedBy:           r.BlockedBy,
		Muting:              r.Muting,
		MutingNotifications: r.MutingNotifications,
		Requested:           r.Requested,
		RequestedBy:         r.RequestedBy,
		DomainBlocking:      r.DomainBlocking,
		Endorsed:            r.Endorsed,
		Note:                r.Note,
	}
}

// MutedAccount is an Account with the end of its mute.
type MutedAccount struct {
	Account
	MuteExpiresAt *string `json:"mute_expires_at"`
}

// List is Mastodon's List entity.
type List struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	RepliesPolicy string `json:"replies_policy"`
	Exclusive     bool   `json:"exclusive"`
}

func listEntity(l *model.List) List {
	return List{ID: idString(l.ID), Title: l.Title, RepliesPolicy: l.RepliesPolicy, Exclusive: l.Exclusive}
}

func listEntities(ls []model.List) []List {
	out := make([]List, 0, len(ls))
	for i := range ls {
		out = append(out, listEntity(&ls[i]))
	}
	return out
}

// Filter is Mastodon's (v2) Filter entity.
type Filter struct {
	ID           string          `json:"id"`
	Title        string          `json:"title"`
	Context      []string        `json:"context"`
	ExpiresAt    *string         `json:"expires_at"`
	FilterAction string          `json:"filter_action"`
	Keywords     []FilterKeyword `json:"keywords"`
	Statuses     []FilterStatus  `json:"statuses"`
}

// FilterKeyword is Mastodon's FilterKeyword entity.
type FilterKeyword struct {
	ID        string `json:"id"`
	Keyword   string `json:"keyword"`
	WholeWord bool   `json:"whole_word"`
}

// FilterStatus is Mastodon's FilterStatus entity.
type FilterStatus struct {
	ID       string `json:"id"`
	StatusID string `json:"status_id"`
}

// V1Filter is Mastodon's deprecated V1_Filter entity.
type V1Filter struct {
	ID           string   `json:"id"`
	Phrase       string   `json:"phrase"`
	Context      []string `json:"context"`
	WholeWord    bool     `json:"whole_word"`
	ExpiresAt    *string  `json:"expires_at"`
	Irreversible bool     `json:"irreversible"`
}

func filterKeyword(k *model.FilterKeyword) FilterKeyword {
	return FilterKeyword{ID: idString(k.ID), Keyword: k.Keyword, WholeWord: k.WholeWord}
}

func filterStatus(s *model.FilterStatus) FilterStatus {
	return FilterStatus{ID: idString(s.ID), StatusID: idString(s.StatusID)}
}

func filterEntity(f *model.Filter) Filter {
	out := Filter{
		ID:           idString(f.ID),
		Title:        f.Title,
		Context:      f.Context,
		ExpiresAt:    fmtTimePtr(f.ExpiresAt),
		FilterAction: f.Action,
		Keywords:     make([]FilterKeyword, 0, len(f.Keywords)),
		Statuses:     make([]FilterStatus, 0, len(f.Statuses)),
	}
	if out.Context == nil {
		out.Context = []string{}
	}
	for i := range f.Keywords {
		out.Keywords = append(out.Keywords, filterKeyword(&f.Keywords[i]))
	}
	for i := range f.Statuses {
		out.Statuses = append(out.Statuses, filterStatus(&f.Statuses[i]))
	}
	return out
}

// v1Filter is keyword k of filter f as a v1 filter.
func v1Filter(f *model.Filter, k *model.FilterKeyword) V1Filter {
	ctx := f.Context
	if ctx == nil {
		ctx = []string{}
	}
	return V1Filter{
		ID:           idString(k.ID),
		Phrase:       k.Keyword,
		Context:      ctx,
		WholeWord:    k.WholeWord,
		ExpiresAt:    fmtTimePtr(f.ExpiresAt),
		Irreversible: f.Action == "hide",
	}
}

// Marker is Mastodon's Marker entity.
type Marker struct {
	LastReadID string `json:"last_read_id"`
	Version    int64  `json:"version"`
	UpdatedAt  string `json:"updated_at"`
}

func markers(ms []model.Marker) map[string]Marker {
	out := make(map[string]Marker, len(ms))
	for _, m := range ms {
		out[m.Timeline] = Marker{LastReadID: m.LastReadID, Version: m.Version, UpdatedAt: fmtTime(m.UpdatedAt)}
	}
	return out
}

// Tag is Mastodon's Tag entity.
type Tag struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	History   []any  `json:"history"`
	Following bool   `json:"following"`
	Featuring bool   `json:"featuring"`
}

func (a *API) tag(t storage.HashtagRef) Tag {
	out := Tag{Name: t.Name, URL: a.svc.TagURL(t.Name), History: []any{}}
	if t.ID != 0 {
		out.ID = idString(t.ID)
	}
	return out
}

// expiresIn reads Mastodon's expires_in (seconds; "" or 0: never).
func expiresIn(p *Params, key string) (set bool, seconds int64, err error) {
	if !p.Has(key) {
		return false, 0, nil
	}
	s := strings.TrimSpace(p.String(key))
	if s == "" {
		return true, 0, nil
	}
	n, err := p.Int(key, 0, 0, int(100*365*24*time.Hour/time.Second))
	return true, int64(n), err
}
