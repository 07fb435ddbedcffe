package api

import (
	"context"
	"encoding/json"

	"github.com/herald-social/herald/internal/model"
)

// MediaAttachment is Mastodon's MediaAttachment entity.
type MediaAttachment struct {
	ID               string         `json:"id"`
	Type             string         `json:"type"`
	URL              *string        `json:"url"`
	PreviewURL       *string        `json:"preview_url"`
	RemoteURL        *string        `json:"remote_url"`
	PreviewRemoteURL *string        `json:"preview_remote_url"`
	TextURL          *string        `json:"text_url"`
	Meta             map[string]any `json:"meta"`
	Description      *string        `json:"description"`
	Blurhash         *string        `json:"blurhash"`
}

func (a *API) mediaAttachment(m *model.MediaAttachment) MediaAttachment {
	u := a.svc.AttachmentURLs(m)
	meta := map[string]any{}
	if b, err := json.Marshal(m.Meta); err == nil {
		_ = json.Unmarshal(b, &meta)
	}
	if m.FocusX != 0 || m.FocusY != 0 {
		meta["focus"] = map[string]float64{"x": m.FocusX, "y": m.FocusY}
	}
	typ := m.Type
	if typ == "" {
		typ = "unknown"
	}
	return MediaAttachment{
		ID:          idString(m.ID),
		Type:        typ,
		URL:         strPtr(u.URL),
		PreviewURL:  strPtr(u.PreviewURL),
		RemoteURL:   strPtr(u.RemoteURL),
		Meta:        meta,
		Description: strPtr(m.Description),
		Blurhash:    strPtr(m.Blurhash),
	}
}

func (a *API) mediaAttachments(list []*model.MediaAttachment) []MediaAttachment {
	out := make([]MediaAttachment, 0, len(list))
	for _, m := range list {
		out = append(out, a.mediaAttachment(m))
	}
	return out
}

// PreviewCard is Mastodon's PreviewCard entity.
type PreviewCard struct {
	URL              string  `json:"url"`
	Title            string  `json:"title"`
	Description      string  `json:"description"`
	Type             string  `json:"type"`
	Authors          []any   `json:"authors"`
	AuthorName       string  `json:"author_name"`
	AuthorURL        string  `json:"author_url"`
	ProviderName     string  `json:"provider_name"`
	ProviderURL      string  `json:"provider_url"`
	HTML             string  `json:"html"`
	Width            int     `json:"width"`
	Height           int     `json:"height"`
	Image            *string `json:"image"`
	ImageDescription string  `json:"image_description"`
	EmbedURL         string  `json:"embed_url"`
	Blurhash         *string `json:"blurhash"`
	Language         *string `json:"language"`
	PublishedAt      *string `json:"published_at"`
}

func (a *API) previewCard(c *model.PreviewCard) *PreviewCard {
	if c == nil {
		return nil
	}
	img := a.svc.CardImageURL(c)
	out := &PreviewCard{URL: c.URL, Title: c.Title, Description: c.Description, Type: c.Type, Authors: []any{},
		AuthorName: c.AuthorName, AuthorURL: c.AuthorURL, ProviderName: c.ProviderName, ProviderURL: c.ProviderURL,
		HTML: c.HTML, EmbedURL: c.EmbedURL, Image: strPtr(img), Language: strPtr(c.Language),
		PublishedAt: fmtTimePtr(c.PublishedAt)}
	if img != "" {
		out.Width, out.Height, out.Blurhash = c.Width, c.Height, strPtr(c.Blurhash)
	}
	if out.Type == "" {
		out.Type = "link"
	}
	return out
}

func (a *API) customEmoji(e *model.CustomEmoji) CustomEmoji {
	u, static := a.svc.EmojiURLs(e)
	return CustomEmoji{Shortcode: e.Shortcode, URL: u, StaticURL: static, VisibleInPicker: e.VisibleInPicker && e.Domain == "",
		Category: e.Category}
}

// emojisIn renders the custom emoji of domain used in texts (served from
// core's emoji cache: no query per status or account).
func (a *API) emojisIn(domain string, texts ...string) []CustomEmoji {
	list := a.svc.EmojisIn(context.Background(), domain, texts...)
	out := make([]CustomEmoji, 0, len(list))
	for _, e := range list {
		out = append(out, a.customEmoji(e))
	}
	return out
}

// AdminCustomEmoji is a custom emoji as the admin API shows it.
type AdminCustomEmoji struct {
	ID              string  `json:"id"`
	Shortcode       string  `json:"shortcode"`
	URL             string  `json:"url"`
	StaticURL       string  `json:"static_url"`
	VisibleInPicker bool    `json:"visible_in_picker"`
	Category        string  `json:"category"`
	Disabled        bool    `json:"disabled"`
	Domain          *string `json:"domain"`
	CreatedAt       string  `json:"created_at"`
	UpdatedAt       string  `json:"updated_at"`
}

func (a *API) adminEmoji(e *model.CustomEmoji) AdminCustomEmoji {
	u, static := a.svc.EmojiURLs(e)
	return AdminCustomEmoji{ID: idString(e.ID), Shortcode: e.Shortcode, URL: u, StaticURL: static,
		VisibleInPicker: e.VisibleInPicker, Category: e.Category, Disabled: e.Disabled, Domain: strPtr(e.Domain),
		CreatedAt: fmtTime(e.CreatedAt), UpdatedAt: fmtTime(e.UpdatedAt)}
}

// accountEmojis are the custom emoji of an account's name, note and fields.
func (a *API) accountEmojis(acc *model.Account) []CustomEmoji {
	texts := make([]string, 0, 2+2*len(acc.Fields))
	texts = append(texts, acc.DisplayName, acc.Note)
	for _, f := range acc.Fields {
		texts = append(texts, f.Name, f.Value)
	}
	return a.emojisIn(acc.Domain, texts...)
}
