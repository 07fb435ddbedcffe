package core

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// Profile limits, as Mastodon.
const (
	MaxDisplayNameLength = 30
	MaxProfileNoteLength = 500
	MaxProfileFields     = 4
	MaxFieldNameLength   = 255
	MaxFieldValueLength  = 2047
)

// FieldParam is one profile field as the user typed it.
type FieldParam struct{ Name, Value string }

// ProfileParams is PATCH /api/v1/accounts/update_credentials; nil fields
// stay as they are.
type ProfileParams struct {
	DisplayName  *string
	Note         *string
	Fields       *[]FieldParam
	Locked       *bool
	Bot          *bool
	Discoverable *bool
	// Posting defaults (source[privacy], source[sensitive], source[language]).
	Privacy   *string
	Sensitive *bool
	Language  *string
	// HideCollections hides the followers and following lists from
	// others; AttributionDomains (attribution_domains[]) are the sites
	// allowed to credit the account as an article's author.
	HideCollections    *bool
	AttributionDomains *[]string
}

// MaxAttributionDomains is Mastodon's limit on attribution_domains.
const MaxAttributionDomains = 10

var attributionDomainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$`)

// attributionDomains normalises and validates attribution_domains[]: host
// names (a scheme, a path and a leading "*." are dropped, as people paste
// them), lower case, without repeats, at most MaxAttributionDomains.
func attributionDomains(in []string) ([]string, error) {
	out := []string{}
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		if i := strings.Index(d, "://"); i >= 0 {
			d = d[i+3:]
		}
		d, _, _ = strings.Cut(d, "/")
		d = strings.TrimSuffix(strings.TrimPrefix(d, "*."), ".")
		if d == "" {
			continue
		}
		if !attributionDomainRe.MatchString(d) {
			return nil, herr.Unprocessable("Validation failed: Attribution domains %s is not a valid domain", d)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) > MaxAttributionDomains {
		return nil, herr.Unprocessable("Validation failed: Attribution domains is too long (maximum is %d elements)", MaxAttributionDomains)
	}
	return out, nil
}

var languageRe = regexp.MustCompile(`^[a-z]{2,3}$`)

// UpdateCredentials validates and applies a profile update of the caller,
// renders the note and field values to HTML and queues an account update
// for federation. It returns the stored account and user.
func (s *Service) UpdateCredentials(ctx context.Context, c *Caller, p ProfileParams) (*model.Account, *model.User, error) {
	me, err := actor(c)
	if err != nil {
		return nil, nil, err
	}
	var up storage.ProfileUpdate
	if p.DisplayName != nil {
		dn := text.SanitizeName(*p.DisplayName, 0)
		if len([]rune(dn)) > MaxDisplayNameLength {
			return nil, nil, herr.Unprocessable("Validation failed: Display name is too long (maximum is %d characters)", MaxDisplayNameLength)
		}
		up.DisplayName = &dn
	}
	if p.Note != nil {
		src := strings.TrimSpace(strings.ReplaceAll(*p.Note, "\r\n", "\n"))
		if len([]rune(src)) > MaxProfileNoteLength {
			return nil, nil, herr.Unprocessable("Validation failed: Note is too long (maximum is %d characters)", MaxProfileNoteLength)
		}
		html := s.RenderProfileText(ctx, src)
		up.Note, up.NoteSource = &html, &src
	}
	if p.Fields != nil {
		fields := make([]model.Field, 0, len(*p.Fields))
		for _, f := range *p.Fields {
			name := text.SanitizeName(f.Name, 0)
			value := strings.TrimSpace(f.Value)
			if name == "" && value == "" {
				continue
			}
			if len([]rune(name)) > MaxFieldNameLength {
				return nil, nil, herr.Unprocessable("Validation failed: Fields name is too long (maximum is %d characters)", MaxFieldNameLength)
			}
			if len([]rune(value)) > MaxFieldValueLength {
				return nil, nil, herr.Unprocessable("Validation failed: Fields value is too long (maximum is %d characters)", MaxFieldValueLength)
			}
			fields = append(fields, model.Field{Name: name, Value: s.renderFieldValue(ctx, value), Raw: value})
		}
		if len(fields) > MaxProfileFields {
			return nil, nil, herr.Unprocessable("Validation failed: Fields is too long (maximum is %d fields)", MaxProfileFields)
		}
		up.Fields = &fields
	}
	up.Locked, up.Bot, up.Discoverable, up.HideCollections = p.Locked, p.Bot, p.Discoverable, p.HideCollections
	if p.AttributionDomains != nil {
		domains, err := attributionDomains(*p.AttributionDomains)
		if err != nil {
			return nil, nil, err
		}
		up.AttributionDomains = &domains
	}

	u := c.User
	if u == nil {
		if u, err = s.store.UserByAccountID(ctx, me.ID); err != nil {
			return nil, nil, storeErr(err)
		}
	}
	vis, sens, lang := u.DefaultVisibility, u.DefaultSensitive, u.DefaultLanguage
	prefs := false
	if p.Privacy != nil {
		switch *p.Privacy {
		case "public", "unlisted", "private":
			vis, prefs = *p.Privacy, true
		default:
			return nil, nil, herr.Unprocessable("Validation failed: Default privacy is not included in the list")
		}
	}
	if p.Sensitive != nil {
		sens, prefs = *p.Sensitive, true
	}
	if p.Language != nil {
		l := strings.ToLower(strings.TrimSpace(*p.Language))
		if l != "" && !languageRe.MatchString(l) {
			return nil, nil, herr.Unprocessable("Validation failed: Default language is not included in the list")
		}
		lang, prefs = l, true
	}

	events := []model.OutboxEvent{{Kind: model.EventAccountUpdate, AccountID: me.ID, ObjectID: me.ID}}
	if err := s.store.UpdateProfile(ctx, me.ID, up, events); err != nil {
		return nil, nil, storeErr(err)
	}
	s.kick()
	s.webhookEvent(ctx, EventAccountUpdated, me.ID)
	if prefs {
		if err := s.store.UpdatePreferences(ctx, u.ID, vis, sens, lang); err != nil {
			return nil, nil, herr.Internal(err)
		}
	}
	acc, err := s.store.AccountByID(ctx, me.ID)
	if err != nil {
		return nil, nil, storeErr(err)
	}
	nu, err := s.store.UserByAccountID(ctx, me.ID)
	if err != nil {
		return nil, nil, storeErr(err)
	}
	return acc, nu, nil
}

// RenderProfileText renders a profile note: paragraphs, links, mentions of
// known accounts and hashtags, as Mastodon.
func (s *Service) RenderProfileText(ctx context.Context, src string) string {
	known := map[text.MentionRef]text.ResolvedMention{}
	key := func(r text.MentionRef) text.MentionRef {
		return text.MentionRef{Username: strings.ToLower(r.Username), Domain: strings.ToLower(r.Domain)}
	}
	for _, m := range text.Parse(src).Mentions {
		domain := m.Domain
		if domain == s.Cfg.Instance.Domain {
			domain = ""
		}
		a, err := s.store.AccountByUsername(ctx, m.Username, domain)
		if err != nil || a.SuspendedAt != nil {
			continue
		}
		url := a.URL
		if url == "" {
			url = a.URI
		}
		known[key(m)] = text.ResolvedMention{Username: a.Username, Domain: a.Domain, URL: url}
	}
	return text.Render(src, text.RenderOptions{
		Mention: func(r text.MentionRef) (text.ResolvedMention, bool) {
			v, ok := known[key(r)]
			return v, ok
		},
		TagURL: s.TagURL,
	})
}

// renderFieldValue renders a field value as Mastodon: linkified, without
// paragraphs.
func (s *Service) renderFieldValue(ctx context.Context, value string) string {
	html := s.RenderProfileText(ctx, strings.Join(strings.Fields(value), " "))
	if strings.HasPrefix(html, "<p>") && strings.HasSuffix(html, "</p>") && strings.Count(html, "<p>") == 1 {
		html = html[3 : len(html)-4]
	}
	return html
}
