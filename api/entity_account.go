package api

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Timestamps are RFC 3339 with milliseconds and Z, as Mastodon sends them.
const timeFormat = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func fmtTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := fmtTime(*t)
	return &s
}

// Account is Mastodon's Account entity.
type Account struct {
	ID                string          `json:"id"`
	Username          string          `json:"username"`
	Acct              string          `json:"acct"`
	URL               string          `json:"url"`
	URI               string          `json:"uri"`
	DisplayName       string          `json:"display_name"`
	Note              string          `json:"note"`
	Avatar            string          `json:"avatar"`
	AvatarStatic      string          `json:"avatar_static"`
	AvatarDescription string          `json:"avatar_description"`
	Header            string          `json:"header"`
	HeaderStatic      string          `json:"header_static"`
	HeaderDescription string          `json:"header_description"`
	Locked            bool            `json:"locked"`
	Fields            []Field         `json:"fields"`
	Emojis            []CustomEmoji   `json:"emojis"`
	Bot               bool            `json:"bot"`
	Group             bool            `json:"group"`
	Discoverable      *bool           `json:"discoverable"`
	Indexable         bool            `json:"indexable"`
	HideCollections   *bool           `json:"hide_collections"`
	Noindex           bool            `json:"noindex"`
	Suspended         bool            `json:"suspended,omitempty"`
	Limited           bool            `json:"limited,omitempty"`
	CreatedAt         string          `json:"created_at"`
	LastStatusAt      *string         `json:"last_status_at"`
	StatusesCount     int64           `json:"statuses_count"`
	FollowersCount    int64           `json:"followers_count"`
	FollowingCount    int64           `json:"following_count"`
	ShowMedia         bool            `json:"show_media"`
	ShowMediaReplies  bool            `json:"show_media_replies"`
	ShowFeatured      bool            `json:"show_featured"`
	FeatureApproval   FeatureApproval `json:"feature_approval"`
	Roles             []AccountRole   `json:"roles"`
	Moved             *Account        `json:"moved,omitempty"`

	// CredentialAccount only.
	Source *Source      `json:"source,omitempty"`
	Role   *AccountRole `json:"role,omitempty"`
}

type FeatureApproval struct {
	Automatic   []string `json:"automatic"`
	Manual      []string `json:"manual"`
	CurrentUser string   `json:"current_user"`
}

type Field struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

type CustomEmoji struct {
	Shortcode       string `json:"shortcode"`
	URL             string `json:"url"`
	StaticURL       string `json:"static_url"`
	VisibleInPicker bool   `json:"visible_in_picker"`
	Category        string `json:"category,omitempty"`
}

type Source struct {
	Privacy             string   `json:"privacy"`
	Sensitive           bool     `json:"sensitive"`
	Language            string   `json:"language"`
	Note                string   `json:"note"`
	Fields              []Field  `json:"fields"`
	FollowRequestsCount int64    `json:"follow_requests_count"`
	HideCollections     bool     `json:"hide_collections"`
	Discoverable        bool     `json:"discoverable"`
	Indexable           bool     `json:"indexable"`
	AttributionDomains  []string `json:"attribution_domains"`
	QuotePolicy         string   `json:"quote_policy"`
}

type AccountRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Permissions string `json:"permissions,omitempty"`
	Highlighted bool   `json:"highlighted"`
}

// Role entities are rendered from the roles table: see roleEntity (admin_entities.go).

// missingAvatar and missingHeader are served by the web UI for accounts
// without images: clients need a URL, never null.
const (
	missingAvatar = "/avatars/original/missing.png"
	missingHeader = "/headers/original/missing.png"
)

func (a *API) account(acc *model.Account) Account {
	avatar := a.svc.AccountImageURL(acc, "avatar")
	if avatar == "" {
		avatar = a.absolute(missingAvatar)
	}
	header := a.svc.AccountImageURL(acc, "header")
	if header == "" {
		header = a.absolute(missingHeader)
	}
	url := acc.URL
	if url == "" {
		url = acc.URI
	}
	fields := make([]Field, 0, len(acc.Fields))
	for _, f := range acc.Fields {
		fields = append(fields, Field{Name: f.Name, Value: f.Value, VerifiedAt: fmtTimePtr(f.VerifiedAt)})
	}
	disc := acc.Discoverable
	hide := acc.HideCollections
	created := acc.CreatedAt.UTC().Truncate(24 * time.Hour) // Mastodon rounds to the day
	out := Account{
		ID:              idString(acc.ID),
		Username:        acc.Username,
		Acct:            acc.Acct(),
		URL:             url,
		URI:             acc.URI,
		DisplayName:     acc.DisplayName,
		Note:            acc.Note,
		Avatar:          avatar,
		AvatarStatic:    avatar,
		Header:          header,
		HeaderStatic:    header,
		Locked:          acc.Locked,
		Fields:          fields,
		Emojis:          a.accountEmojis(acc),
		Bot:             acc.Bot || acc.ActorType == "Service" || acc.ActorType == "Application",
		Group:           acc.ActorType == "Group",
		Discoverable:    &disc,
		Indexable:       disc,
		HideCollections: &hide,
		Suspended:       acc.SuspendedAt != nil,
		Limited:         acc.SilencedAt != nil,
		CreatedAt:       fmtTime(created),
		StatusesCount:   acc.StatusesCount,
		FollowersCount:  acc.FollowersCount,
		FollowingCount:  acc.FollowingCount,
		ShowMedia:       true,
		ShowFeatured:    true,
		FeatureApproval: FeatureApproval{Automatic: []string{}, Manual: []string{}, CurrentUser: "missing"},
		Roles:           []AccountRole{},
	}
	if acc.LastStatusAt != nil {
		d := acc.LastStatusAt.UTC().Format("2006-01-02")
		out.LastStatusAt = &d
	}
	if acc.MovedToID != 0 {
		// Moved accounts are rare, so this look-up does not run per row
		// of a page in practice; the new account is shown without its
		// own move, as Mastodon does.
		if to, err := a.svc.AccountByID(context.Background(), acc.MovedToID); err == nil {
			t := *to
			t.MovedToID = 0
			m := a.account(&t)
			out.Moved = &m
		}
	}
	return out
}

// accounts renders the accounts of ids a list may show (core's
// VisibleAccounts), in order.
func (a *API) accounts(ctx context.Context, ids []int64) ([]Account, error) {
	accs, err := a.svc.VisibleAccounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Account, 0, len(accs))
	for _, acc := range accs {
		out = append(out, a.account(acc))
	}
	return out, nil
}

// credentialAccount is the caller's own account, with source and role.
func (a *API) credentialAccount(ctx context.Context, acc *model.Account, u *model.User) Account {
	out := a.account(acc)
	srcFields := make([]Field, 0, len(acc.Fields))
	for _, f := range acc.Fields {
		srcFields = append(srcFields, Field{Name: f.Name, Value: f.Raw, VerifiedAt: fmtTimePtr(f.VerifiedAt)})
	}
	var requests int64
	if n, err := a.svc.FollowRequestCount(ctx, acc.ID); err == nil {
		requests = n
	}
	out.Source = &Source{
		Privacy:             u.DefaultVisibility,
		Sensitive:           u.DefaultSensitive,
		Language:            u.DefaultLanguage,
		Note:                acc.NoteSource,
		Fields:              srcFields,
		FollowRequestsCount: requests,
		Discoverable:        acc.Discoverable,
		Indexable:           acc.Discoverable,
		HideCollections:     acc.HideCollections,
		AttributionDomains:  append([]string{}, acc.AttributionDomains...),
		QuotePolicy:         a.defaultQuotePolicy(ctx, acc.ID),
	}
	role := a.roleEntity(ctx, u)
	out.Role = &role
	if u.Role != model.RoleUser && role.Highlighted {
		out.Roles = []AccountRole{{ID: role.ID, Name: role.Name, Color: role.Color}}
	}
	return out
}
