package activitypub

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Rendering of local accounts and statuses as ActivityStreams (interop
// doc §7, §8). Documents are maps: the compacted property names Mastodon
// reads literally, nothing more.

// doc is an ActivityStreams JSON document.
type doc = map[string]any

// asContext is the @context of every top-level document: ActivityStreams,
// the security vocabulary (publicKey) and the extension terms Mastodon uses.
var asContext = []any{
	"https://www.w3.org/ns/activitystreams",
	"https://w3id.org/security/v1",
	doc{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"sensitive":                 "as:sensitive",
		"Hashtag":                   "as:Hashtag",
		"movedTo":                   doc{"@id": "as:movedTo", "@type": "@id"},
		"alsoKnownAs":               doc{"@id": "as:alsoKnownAs", "@type": "@id"},
		"toot":                      "http://joinmastodon.org/ns#",
		"featured":                  doc{"@id": "toot:featured", "@type": "@id"},
		"featuredTags":              doc{"@id": "toot:featuredTags", "@type": "@id"},
		// Collections (Mastodon 4.6): its main branch names no namespace
		// for these terms yet; toot: is Mastodon's own.
		"featuredCollections": doc{"@id": "toot:featuredCollections", "@type": "@id"},
		"FeaturedCollection":  "toot:FeaturedCollection",
		"FeaturedItem":        "toot:FeaturedItem",
		"featuredObject":      doc{"@id": "toot:featuredObject", "@type": "@id"},
		"featuredObjectType":  "toot:featuredObjectType",
		"topic":               "toot:topic",
		"discoverable":        "toot:discoverable",
		"indexable":           "toot:indexable",
		"attributionDomains":  doc{"@id": "toot:attributionDomains", "@type": "@id"},
		"suspended":           "toot:suspended",
		"memorial":            "toot:memorial",
		"Emoji":               "toot:Emoji",
		"blurhash":            "toot:blurhash",
		"focalPoint":          doc{"@container": "@list", "@id": "toot:focalPoint"},
		"votersCount":         "toot:votersCount",
		"schema":              "http://schema.org#",
		"PropertyValue":       "schema:PropertyValue",
		"value":               "schema:value",
		// Interaction policies and approvals (GoToSocial's terms, as
		// Mastodon inlines them; FEP-044f's for quotes).
		"gts":                   "https://gotosocial.org/ns#",
		"interactionPolicy":     doc{"@id": "gts:interactionPolicy", "@type": "@id"},
		"canLike":               doc{"@id": "gts:canLike", "@type": "@id"},
		"canReply":              doc{"@id": "gts:canReply", "@type": "@id"},
		"canAnnounce":           doc{"@id": "gts:canAnnounce", "@type": "@id"},
		"canQuote":              doc{"@id": "gts:canQuote", "@type": "@id"},
		"automaticApproval":     doc{"@id": "gts:automaticApproval", "@type": "@id"},
		"manualApproval":        doc{"@id": "gts:manualApproval", "@type": "@id"},
		"always":                doc{"@id": "gts:always", "@type": "@id"},
		"approvalRequired":      doc{"@id": "gts:approvalRequired", "@type": "@id"},
		"approvedBy":            doc{"@id": "gts:approvedBy", "@type": "@id"},
		"replyAuthorization":    doc{"@id": "gts:replyAuthorization", "@type": "@id"},
		"announceAuthorization": doc{"@id": "gts:announceAuthorization", "@type": "@id"},
		"interactingObject":     doc{"@id": "gts:interactingObject", "@type": "@id"},
		"interactionTarget":     doc{"@id": "gts:interactionTarget", "@type": "@id"},
		"LikeRequest":           "gts:LikeRequest",
		"ReplyRequest":          "gts:ReplyRequest",
		"AnnounceRequest":       "gts:AnnounceRequest",
		"LikeAuthorization":     "gts:LikeAuthorization",
		"ReplyAuthorization":    "gts:ReplyAuthorization",
		"AnnounceAuthorization": "gts:AnnounceAuthorization",
		"QuoteRequest":          "https://w3id.org/fep/044f#QuoteRequest",
		"QuoteAuthorization":    "https://w3id.org/fep/044f#QuoteAuthorization",
		"quoteAuthorization":    doc{"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
		"quote":                 doc{"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
		"quoteUri":              "http://fedibird.com/ns#quoteUri",
		"_misskey_quote":        "https://misskey-hub.net/ns#_misskey_quote",
	},
}

func withContext(d doc) doc {
	d["@context"] = asContext
	return d
}

func asTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (f *Federation) sharedInbox() string { return f.base + "/inbox" }

// keyIDOf is a local account's key id.
func keyIDOf(a *model.Account) string {
	if a.KeyID != "" {
		return a.KeyID
	}
	return a.URI + "#main-key"
}

// actorDoc is a local account's full actor document.
func (f *Federation) actorDoc(ctx context.Context, a *model.Account) doc {
	typ := "Person"
	if a.Bot {
		typ = "Service"
	}
	d := doc{
		"id":                        a.URI,
		"type":                      typ,
		"preferredUsername":         a.Username,
		"name":                      a.DisplayName,
		"summary":                   a.Note,
		"url":                       a.URL,
		"inbox":                     a.URI + "/inbox",
		"outbox":                    a.URI + "/outbox",
		"followers":                 a.URI + "/followers",
		"following":                 a.URI + "/following",
		"featured":                  a.URI + "/collections/featured",
		"featuredCollections":       f.svc.FeaturedCollectionsURI(a.Username),
		"endpoints":                 doc{"sharedInbox": f.sharedInbox()},
		"manuallyApprovesFollowers": a.Locked,
		"discoverable":              a.Discoverable,
		"indexable":                 false,
		"published":                 asTime(a.CreatedAt),
		"publicKey": doc{
			"id":           keyIDOf(a),
			"owner":        a.URI,
			"publicKeyPem": a.PublicKeyPEM,
		},
		"attachment": f.fieldsDoc(a.Fields),
		"tag":        append([]any{}, emojiTags(f.svc.EmojiTags(ctx, a.DisplayName, a.Note))...),
	}
	if a.AvatarURL != "" {
		d["icon"] = doc{"type": "Image", "url": a.AvatarURL}
	}
	if a.HeaderURL != "" {
		d["image"] = doc{"type": "Image", "url": a.HeaderURL}
	}
	if a.MovedToID != 0 {
		if to, err := f.svc.AccountByID(ctx, a.MovedToID); err == nil {
			d["movedTo"] = to.URI
		}
	}
	if len(a.AttributionDomains) > 0 {
		d["attributionDomains"] = a.AttributionDomains
	}
	if aliases, err := f.svc.LocalAccountAliases(ctx, a.ID); err == nil && len(aliases) > 0 {
		d["alsoKnownAs"] = aliases
	}
	if a.SuspendedAt != nil {
		d["suspended"] = true
		d["name"], d["summary"], d["attachment"] = "", "", []any{}
	}
	return withContext(d)
}

func (f *Federation) fieldsDoc(fields []model.Field) []any {
	out := []any{}
	for _, fl := range fields {
		out = append(out, doc{"type": "PropertyValue", "name": fl.Name, "value": fl.Value})
	}
	return out
}

// minimalActorDoc is what an unsigned fetch gets under authorized fetch:
// enough to verify the account's signatures, nothing else.
func (f *Federation) minimalActorDoc(a *model.Account) doc {
	typ := "Person"
	if a.Bot {
		typ = "Service"
	}
	return withContext(doc{
		"id":                a.URI,
		"type":              typ,
		"preferredUsername": a.Username,
		"inbox":             a.URI + "/inbox",
		"endpoints":         doc{"sharedInbox": f.sharedInbox()},
		"publicKey": doc{
			"id":           keyIDOf(a),
			"owner":        a.URI,
			"publicKeyPem": a.PublicKeyPEM,
		},
	})
}

// instanceActorDoc is the instance actor (Mastodon: /actor, Application,
// preferredUsername = the domain), always served without a signature.
// Its username is the domain's host without the port: a ':' is no valid
// username elsewhere (GoToSocial fails on it, and so fetched nothing signed
// by a Herald on a non-default port).
func (f *Federation) instanceActorDoc(ctx context.Context) (doc, error) {
	_, pub, err := f.instanceKey(ctx)
	if err != nil {
		return nil, err
	}
	id := f.InstanceActorURI()
	return withContext(doc{
		"id":                        id,
		"type":                      "Application",
		"preferredUsername":         f.instanceActorUsername(),
		"name":                      f.cfg.Instance.Title,
		"url":                       f.base + "/about/more?instance_actor=true",
		"inbox":                     id + "/inbox",
		"outbox":                    id + "/outbox",
		"endpoints":                 doc{"sharedInbox": f.sharedInbox()},
		"manuallyApprovesFollowers": true,
		"publicKey": doc{
			"id":           id + "#main-key",
			"owner":        id,
			"publicKeyPem": pub,
		},
	}), nil
}

// addressing computes to/cc of a local status (§8's table).
func addressing(vis model.Visibility, followers string, mentions []*model.Account) (to, cc []string) {
	var m []string
	for _, a := range mentions {
		m = append(m, a.URI)
	}
	switch vis {
	case model.Public:
		return []string{Public}, append([]string{followers}, m...)
	case model.Unlisted:
		return []string{followers}, append([]string{Public}, m...)
	case model.Private:
		return append([]string{followers}, m...), []string{}
	default: // direct
		if m == nil {
			m = []string{}
		}
		return m, []string{}
	}
}

// statusBundle is a local status with what renders it.
type statusBundle struct {
	st       *model.Status
	author   *model.Account
	mentions []*model.Account
	parent   string // inReplyTo IRI

	attachments []core.NoteAttachment
	emojis      []core.NoteEmoji
	poll        *model.Poll // rendered as a Question (polls.go)
}

// loadStatus gathers a status's author, mentions and parent.
func (f *Federation) loadStatus(ctx context.Context, st *model.Status) (*statusBundle, error) {
	author, err := f.svc.AccountByID(ctx, st.AccountID)
	if err != nil {
		return nil, err
	}
	b := &statusBundle{st: st, author: author, parent: st.InReplyToURI}
	if len(st.MentionIDs) > 0 {
		m, err := f.svc.AccountsByIDs(ctx, st.MentionIDs)
		if err != nil {
			return nil, err
		}
		for _, id := range st.MentionIDs {
			if a := m[id]; a != nil {
				b.mentions = append(b.mentions, a)
			}
		}
	}
	if b.parent == "" && st.InReplyToID != 0 {
		if p, err := f.svc.StatusByID(ctx, st.InReplyToID); err == nil {
			b.parent = p.URI
		}
	}
	f.loadMedia(ctx, b)
	if err := f.loadPoll(ctx, b); err != nil {
		return nil, err
	}
	return b, nil
}

// acctOf is the @user@domain form of an account, for Mention names.
func (f *Federation) acctOf(a *model.Account) string {
	if a.Local() {
		return "@" + a.Username + "@" + f.cfg.Instance.Domain
	}
	return "@" + a.Username + "@" + a.Domain
}

// noteDoc renders a local status as a Note (without @context: wrap it with
// withContext when it is the top-level document).
func (f *Federation) noteDoc(b *statusBundle) doc {
	st, a := b.st, b.author
	to, cc := addressing(st.Visibility, a.URI+"/followers", b.mentions)
	tags := []any{}
	for _, m := range b.mentions {
		tags = append(tags, doc{"type": "Mention", "href": m.URI, "name": f.acctOf(m)})
	}
	sortedTags := append([]string(nil), st.Tags...)
	sort.Strings(sortedTags)
	for _, t := range sortedTags {
		tags = append(tags, doc{"type": "Hashtag", "href": f.svc.TagURL(t), "name": "#" + t})
	}
	tags = append(tags, emojiTags(b.emojis)...)
	url := st.URL
	if url == "" {
		url = st.URI
	}
	d := doc{
		"id":           st.URI,
		"type":         "Note",
		"summary":      nil,
		"inReplyTo":    nil,
		"published":    asTime(st.CreatedAt),
		"url":          url,
		"attributedTo": a.URI,
		"to":           to,
		"cc":           cc,
		"sensitive":    st.Sensitive,
		"content":      st.Content,
		"tag":          tags,
		"attachment":   attachmentDocs(b.attachments),
		"replies": doc{
			"id":   st.URI + "/replies",
			"type": "Collection",
			"first": doc{
				"type":   "CollectionPage",
				"next":   st.URI + "/replies?page=true",
				"partOf": st.URI + "/replies",
				"items":  []any{},
			},
		},
	}
	if st.SpoilerText != "" {
		d["summary"] = st.SpoilerText
	}
	if b.parent != "" {
		d["inReplyTo"] = b.parent
	}
	if st.Language != "" {
		d["contentMap"] = doc{st.Language: st.Content}
	}
	if st.EditedAt != nil {
		d["updated"] = asTime(*st.EditedAt)
	}
	if b.poll != nil {
		questionDoc(d, b.poll)
	}
	d["interactionPolicy"] = f.interactionPolicyDoc(b)
	// An approved reply proves its approval to the servers it reaches
	// (GoToSocial: approvedBy before 0.20, replyAuthorization since).
	if st.ApprovedBy != "" {
		d["approvedBy"] = st.ApprovedBy
	}
	if st.Authorization != "" {
		d["replyAuthorization"] = st.Authorization
	}
	quoteFields(d, st)
	return d
}

// interactionPolicyDoc renders a local post's policy as GoToSocial's
// interactionPolicy (Mastodon reads its canQuote). Every kind is set: a
// kind set tells other servers that Herald enforces it. As GoToSocial
// does, the author is always named, and the accounts the post mentions for
// replies (unless public covers them).
func (f *Federation) interactionPolicyDoc(b *statusBundle) doc {
	p := core.EffectivePolicy(b.st)
	a := b.author
	iris := func(values []string) []string {
		out := []string{}
		add := func(v string) {
			if v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		for _, v := range values {
			switch v {
			case model.PolicyPublic:
				// "Anyone who may see it": for a followers-only or direct
				// post, say who that is, so that Public is never named in
				// a post that is not public (servers that look for it
				// anywhere would take the post for public).
				switch b.st.Visibility {
				case model.Private:
					add(a.URI + "/followers")
					for _, m := range b.mentions {
						add(m.URI)
					}
				case model.Direct:
					for _, m := range b.mentions {
						add(m.URI)
					}
				default:
					add(Public)
				}
			case model.PolicyFollowers:
				add(a.URI + "/followers")
			case model.PolicyFollowing:
				add(a.URI + "/following")
			case model.PolicyAuthor:
				add(a.URI)
			case model.PolicyMentioned:
				for _, m := range b.mentions {
					add(m.URI)
				}
			default:
				add(v)
			}
		}
		return out
	}
	sub := func(kind model.InteractionKind) doc {
		r := p.Rule(kind)
		auto, manual := iris(r.Automatic), iris(r.Manual)
		if !slices.Contains(auto, Public) {
			if !slices.Contains(auto, a.URI) {
				auto = append(auto, a.URI)
			}
			if kind == model.InteractReply {
				for _, m := range b.mentions {
					if !slices.Contains(auto, m.URI) {
						auto = append(auto, m.URI)
					}
				}
			}
		}
		// always and approvalRequired: GoToSocial before 0.20.
		return doc{"automaticApproval": auto, "manualApproval": manual, "always": auto, "approvalRequired": manual}
	}
	return doc{
		"canLike":     sub(model.InteractFavourite),
		"canReply":    sub(model.InteractReply),
		"canAnnounce": sub(model.InteractReblog),
		"canQuote":    sub(model.InteractQuote),
	}
}

// createDoc wraps a Note in its Create (id: status URI + "/activity").
func (f *Federation) createDoc(b *statusBundle) doc {
	note := f.noteDoc(b)
	return withContext(doc{
		"id":        b.st.URI + "/activity",
		"type":      "Create",
		"actor":     b.author.URI,
		"published": note["published"],
		"to":        note["to"],
		"cc":        note["cc"],
		"object":    note,
	})
}

// updateDoc wraps an edited Note in an Update.
func (f *Federation) updateDoc(b *statusBundle) doc {
	note := f.noteDoc(b)
	at := time.Now()
	if b.st.EditedAt != nil {
		at = *b.st.EditedAt
	} else {
		note["updated"] = asTime(at)
	}
	return withContext(doc{
		"id":        fmt.Sprintf("%s#updates/%d", b.st.URI, at.Unix()),
		"type":      "Update",
		"actor":     b.author.URI,
		"published": asTime(at),
		"to":        note["to"],
		"cc":        note["cc"],
		"object":    note,
	})
}

// announceID is the id of a boost's Announce: the boost's own URI, which
// core makes as the status URI + "/activity" (Mastodon's shape).
func announceID(boostURI string) string { return boostURI }

// announceDoc renders a local boost.
func (f *Federation) announceDoc(boost *model.Status, booster *model.Account, original *model.Status, originalAuthor *model.Account) doc {
	var to, cc []string
	switch boost.Visibility {
	case model.Public:
		to, cc = []string{Public}, []string{originalAuthor.URI, booster.URI + "/followers"}
	case model.Unlisted:
		to, cc = []string{booster.URI + "/followers"}, []string{Public, originalAuthor.URI}
	default:
		to, cc = []string{booster.URI + "/followers"}, []string{originalAuthor.URI}
	}
	d := doc{
		"id":        announceID(boost.URI),
		"type":      "Announce",
		"actor":     booster.URI,
		"published": asTime(boost.CreatedAt),
		"to":        to,
		"cc":        cc,
		"object":    original.URI,
	}
	// An approved boost proves its approval (GoToSocial).
	if boost.ApprovedBy != "" {
		d["approvedBy"] = boost.ApprovedBy
	}
	if boost.Authorization != "" {
		d["announceAuthorization"] = boost.Authorization
	}
	return withContext(d)
}

// tombstoneDoc is what a deleted object answers, with 410.
func tombstoneDoc(id string, deleted *time.Time) doc {
	d := doc{"id": id, "type": "Tombstone"}
	if deleted != nil {
		d["deleted"] = asTime(*deleted)
	}
	return withContext(d)
}

// statusActivityDoc is the activity of a status: Create for a post,
// Announce for a boost.
func (f *Federation) statusActivityDoc(ctx context.Context, st *model.Status) (doc, error) {
	if st.ReblogOfID != 0 {
		booster, err := f.svc.AccountByID(ctx, st.AccountID)
		if err != nil {
			return nil, err
		}
		orig, err := f.svc.StatusByID(ctx, st.ReblogOfID)
		if err != nil {
			return nil, err
		}
		origAuthor, err := f.svc.AccountByID(ctx, orig.AccountID)
		if err != nil {
			return nil, err
		}
		return f.announceDoc(st, booster, orig, origAuthor), nil
	}
	b, err := f.loadStatus(ctx, st)
	if err != nil {
		return nil, err
	}
	return f.createDoc(b), nil
}

// localPathUsername extracts the username of a local actor IRI
// (base/users/NAME), or "".
func (f *Federation) localUsername(iri string) string {
	rest, ok := strings.CutPrefix(iri, f.base+"/users/")
	if !ok || rest == "" || strings.ContainsAny(rest, "/#?") {
		return ""
	}
	return rest
}
