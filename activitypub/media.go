package activitypub

import (
	"context"
	"strings"

	"github.com/herald-social/herald/internal/core"
)

// Media attachments and custom emoji, both ways: outgoing Notes carry
// their attachments as Documents and their emoji as Emoji tags; incoming
// ones go through core (which caches files unless the domain's media is
// rejected, per DomainPolicy).

// attachmentDocs renders a local status's attachments.
func attachmentDocs(atts []core.NoteAttachment) []any {
	out := []any{}
	for _, a := range atts {
		typ := a.Type
		if typ == "" {
			typ = "Document"
		}
		d := doc{"type": typ, "mediaType": a.MediaType, "url": a.URL, "name": nil}
		if a.Name != "" {
			d["name"] = a.Name
		}
		if a.Blurhash != "" {
			d["blurhash"] = a.Blurhash
		}
		d["focalPoint"] = []float64{a.FocalPoint[0], a.FocalPoint[1]}
		if a.Width > 0 && a.Height > 0 {
			d["width"], d["height"] = a.Width, a.Height
		}
		out = append(out, d)
	}
	return out
}

// emojiTags renders Emoji tags.
func emojiTags(emojis []core.NoteEmoji) []any {
	var out []any
	for _, e := range emojis {
		icon := doc{"type": "Image", "url": e.URL}
		if e.MediaType != "" {
			icon["mediaType"] = e.MediaType
		}
		t := doc{"id": e.ID, "type": "Emoji", "name": e.Name, "icon": icon}
		if !e.Updated.IsZero() {
			t["updated"] = asTime(e.Updated)
		}
		out = append(out, t)
	}
	return out
}

// loadMedia fills a bundle's attachments and emoji.
func (f *Federation) loadMedia(ctx context.Context, b *statusBundle) {
	if f.svc == nil {
		return
	}
	if atts, err := f.svc.AttachmentsOf(ctx, []int64{b.st.ID}); err == nil {
		b.attachments = atts[b.st.ID]
	} else {
		f.log.Warn("attachments of a status", "status", b.st.ID, "err", err)
	}
	b.emojis = f.svc.EmojiTags(ctx, b.st.Content, b.st.SpoilerText)
}

// remoteAttachments reads an object's attachments for core.
func remoteAttachments(o *Object) []core.RemoteAttachment {
	var out []core.RemoteAttachment
	for _, att := range o.Attachment {
		if att == nil || att.Type.Is("PropertyValue") {
			continue
		}
		u := att.URL.HTML()
		if u == "" {
			u = string(att.Href)
		}
		if hostOf(u) == "" {
			continue
		}
		mt := string(att.MediaType)
		if mt == "" && len(att.URL) > 0 {
			mt = att.URL[0].MediaType
		}
		// The description: summary first, then name, as Mastodon reads it
		// (GoToSocial puts alt text in summary alone).
		desc := strings.TrimSpace(string(att.Summary))
		if desc == "" {
			desc = string(att.Name)
		}
		ra := core.RemoteAttachment{URL: u, MediaType: mt, Name: desc, Blurhash: string(att.Blurhash),
			Width: int(att.Width), Height: int(att.Height)}
		if len(att.FocalPoint) == 2 {
			ra.FocalPoint = []float64{att.FocalPoint[0], att.FocalPoint[1]}
		}
		out = append(out, ra)
		if len(out) >= 16 {
			break
		}
	}
	return out
}

// ingestEmojis stores the Emoji tags of an object from domain.
func (f *Federation) ingestEmojis(ctx context.Context, domain string, o *Object) {
	if f.svc == nil || o == nil {
		return
	}
	var emojis []core.RemoteEmoji
	for _, t := range o.Tag {
		if t == nil || !t.Type.Is("Emoji") {
			continue
		}
		u := iconURL(t.Icon)
		name := strings.TrimSpace(string(t.Name))
		if name == "" || hostOf(u) == "" {
			continue
		}
		emojis = append(emojis, core.RemoteEmoji{ID: string(t.ID), Shortcode: name, URL: u, Updated: t.Updated.Time})
	}
	if len(emojis) == 0 {
		return
	}
	if err := f.svc.IngestRemoteEmojis(ctx, domain, emojis); err != nil {
		f.log.Info("remote emoji not stored", "domain", domain, "err", err)
	}
}
