package activitypub

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Resolving remote accounts and statuses for the client API
// (core.Resolver), and turning remote objects into statuses.

var _ core.Resolver = (*Federation)(nil)

// ResolveAccount finds a remote account by "user@domain" (WebFinger) or
// by actor or profile URL, fetching it when unknown or stale.
// ActorAliases fetches a remote actor afresh (its alsoKnownAs may have
// just changed) and returns its alsoKnownAs.
func (f *Federation) ActorAliases(ctx context.Context, actorURI string) ([]string, error) {
	if err := f.checkURL(ctx, actorURI); err != nil {
		return nil, err
	}
	_, o, err := f.fetchActor(ctx, actorURI)
	if err != nil {
		return nil, err
	}
	return o.AlsoKnownAs, nil
}

func (f *Federation) ResolveAccount(ctx context.Context, query string) (*model.Account, error) {
	q := strings.TrimSpace(query)
	q = strings.TrimPrefix(strings.TrimPrefix(q, "acct:"), "@")
	if strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://") {
		return f.resolveAccountURL(ctx, q)
	}
	at := strings.LastIndex(q, "@")
	if at <= 0 || at == len(q)-1 {
		return nil, fmt.Errorf("%q is neither user@domain nor a URL", query)
	}
	user, domain := q[:at], strings.ToLower(q[at+1:])
	if domain == strings.ToLower(f.cfg.Instance.Domain) {
		return f.svc.AccountByUsername(ctx, user, "")
	}
	if err := f.checkDomain(ctx, domain); err != nil {
		return nil, err
	}
	if a, err := f.svc.AccountByUsername(ctx, user, domain); err == nil {
		if a.FetchedAt != nil && time.Since(*a.FetchedAt) < f.Tuning.ActorRefresh {
			return a, nil
		}
	}
	actorURI, err := f.webfinger(ctx, user, domain)
	if err != nil {
		if a, err2 := f.svc.AccountByUsername(ctx, user, domain); err2 == nil {
			return a, nil // stale beats nothing
		}
		return nil, err
	}
	a, _, err := f.fetchActor(ctx, actorURI)
	if err != nil {
		if a, err2 := f.svc.AccountByURI(ctx, actorURI); err2 == nil {
			return a, nil
		}
		return nil, err
	}
	return a, nil
}

func (f *Federation) resolveAccountURL(ctx context.Context, u string) (*model.Account, error) {
	if f.isLocal(u) {
		if name := f.localUsername(u); name != "" {
			return f.svc.AccountByUsername(ctx, name, "")
		}
		if rest, ok := strings.CutPrefix(u, f.base+"/@"); ok && !strings.ContainsAny(rest, "/?#") {
			return f.svc.AccountByUsername(ctx, rest, "")
		}
		return nil, storage.ErrNotFound
	}
	if err := f.checkURL(ctx, u); err != nil {
		return nil, err
	}
	if a, err := f.svc.AccountByURI(ctx, u); err == nil {
		return f.accountByURI(ctx, a.URI)
	}
	// Anything else is fetched, and the document's id (on the host of u)
	// names the account, as Mastodon's ResolveURLService does: a stored
	// profile url is only what some actor claimed.
	o, err := f.fetchObject(ctx, u)
	if err != nil {
		if a, err2 := f.accountByProfileURL(ctx, u); err2 == nil {
			return a, nil // stale beats nothing
		}
		return nil, err
	}
	if !o.IsActor() {
		return nil, fmt.Errorf("%s is not an actor", u)
	}
	return f.storeActor(ctx, o)
}

// accountByProfileURL finds a known account by its profile URL, only
// among the accounts of the URL's host: actors' urls on other hosts are
// dropped when stored, and rows stored before that are not trusted.
func (f *Federation) accountByProfileURL(ctx context.Context, u string) (*model.Account, error) {
	host := hostOf(u)
	if host == "" {
		return nil, storage.ErrNotFound
	}
	if f.isLocal(u) {
		host = ""
	}
	return f.svc.AccountByProfileURL(ctx, u, host)
}

// webfinger looks acct:user@domain up and returns the actor's id. It tries
// https first, and http too when this instance runs on http or the domain
// is a loopback host with a port (local development).
func (f *Federation) webfinger(ctx context.Context, user, domain string) (string, error) {
	body, err := f.webfingerDoc(ctx, user, domain)
	if err != nil {
		return "", err
	}
	actor, err := parseWebFinger(body)
	if err != nil {
		return "", fmt.Errorf("webfinger acct:%s@%s: %w", user, domain, err)
	}
	return actor, nil
}

// webfingerDoc fetches the WebFinger document (JRD) of acct:user@domain.
func (f *Federation) webfingerDoc(ctx context.Context, user, domain string) ([]byte, error) {
	schemes := []string{"https"}
	if f.cfg.Instance.Protocol == "http" || loopbackWithPort(domain) {
		schemes = append(schemes, "http")
	}
	resource := "acct:" + user + "@" + domain
	var lastErr error
	for _, scheme := range schemes {
		u := scheme + "://" + domain + "/.well-known/webfinger?resource=" + url.QueryEscape(resource)
		body, _, _, err := f.signedGet(ctx, u, "application/jrd+json, application/json")
		if err != nil {
			lastErr = err
			if statusOf(err) != 0 { // the server answered: no point in another scheme
				break
			}
			continue
		}
		return body, nil
	}
	if statusOf(lastErr) == 410 {
		return nil, fmt.Errorf("%w: %v", errGone, lastErr)
	}
	return nil, lastErr
}

func isASMediaType(t string) bool {
	t = strings.ToLower(t)
	return strings.HasPrefix(t, "application/activity+json") ||
		(strings.HasPrefix(t, "application/ld+json") && strings.Contains(t, "activitystreams"))
}

// loopbackWithPort reports "localhost:PORT" or "127.0.0.1:PORT" ([::1]:PORT).
func loopbackWithPort(domain string) bool {
	host, port, err := net.SplitHostPort(domain)
	if err != nil || port == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ResolveStatus finds a status by its id (or URL), fetching a remote one.
func (f *Federation) ResolveStatus(ctx context.Context, uri string) (*model.Status, error) {
	return f.resolveStatus(ctx, strings.TrimSpace(uri), 0)
}

// resolveStatus finds or fetches a status; depth counts the reply
// ancestors fetched so far.
func (f *Federation) resolveStatus(ctx context.Context, uri string, depth int) (*model.Status, error) {
	if st, err := f.svc.StatusByURI(ctx, uri); err == nil {
		return st, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if f.isLocal(uri) {
		return nil, storage.ErrNotFound
	}
	if hostOf(uri) == "" {
		return nil, fmt.Errorf("not an http(s) URL: %q", uri)
	}
	o, err := f.fetchObject(ctx, uri) // signedGet checks the domain policy
	if err != nil {
		return nil, err
	}
	if string(o.ID) != uri {
		if st, err := f.svc.StatusByURI(ctx, string(o.ID)); err == nil {
			return st, nil
		}
	}
	if !isStatusType(o) {
		return nil, permanentf("%s is a %v, not a post", uri, o.Type)
	}
	authorURI := o.AttributedTo.ID
	if authorURI == "" || hostOf(authorURI) != hostOf(string(o.ID)) {
		return nil, permanentf("%s: author %q is not on the object's host", o.ID, authorURI)
	}
	author, err := f.accountByURI(ctx, authorURI)
	if err != nil {
		return nil, err
	}
	return f.ingestNote(ctx, author, o, depth)
}

// statusTypes are the object types stored as statuses (others are
// converted to a Note as Mastodon does).
var statusTypes = []string{"Note", "Question", "Article", "Page", "Image", "Video", "Audio", "Event"}

func isStatusType(o *Object) bool { return o != nil && o.Type.Is(statusTypes...) }

// visibilityOf derives a remote status's visibility from its addressing.
func visibilityOf(o *Object, followersURL string) model.Visibility {
	switch {
	case o.To.HasPublic():
		return model.Public
	case o.Cc.HasPublic():
		return model.Unlisted
	case followersURL != "" && (o.To.Has(followersURL) || o.Cc.Has(followersURL)):
		return model.Private
	}
	return model.Direct
}

// ingestNote stores a remote post whose author was checked (the signer of
// its Create, or the owner of the host it was fetched from).
func (f *Federation) ingestNote(ctx context.Context, author *model.Account, o *Object, depth int) (*model.Status, error) {
	return f.ingestRequestedNote(ctx, author, o, depth, "")
}

// ingestRequestedNote is ingestNote for a reply that came as the
// instrument of a ReplyRequest (requestURI its id).
func (f *Federation) ingestRequestedNote(ctx context.Context, author *model.Account, o *Object, depth int, requestURI string) (*model.Status, error) {
	if string(o.AttributedTo.ID) != author.URI {
		return nil, permanentf("%s is attributed to %q, not %s", o.ID, o.AttributedTo.ID, author.URI)
	}
	if hostOf(string(o.ID)) != hostOf(author.URI) {
		return nil, permanentf("%s is not on its author's host", o.ID)
	}
	if st, err := f.svc.StatusByURI(ctx, string(o.ID)); err == nil {
		return st, nil
	}
	content, lang := o.ContentHTML()
	st := &model.Status{
		URI:         string(o.ID),
		URL:         o.URL.HTML(),
		AccountID:   author.ID,
		Content:     f.convertContent(o, content),
		SpoilerText: string(o.Summary),
		Sensitive:   bool(o.Sensitive),
		Visibility:  visibilityOf(o, author.FollowersURL),
		Language:    lang,
		CreatedAt:   o.Published.Time,
		Policy:      policyOf(o, author),
	}
	// As for actors, a url on another host is not the post's (Mastodon's
	// invalid_origin check): it would pass the post off as someone else's.
	if st.URL == "" || hostOf(st.URL) != hostOf(st.URI) {
		st.URL = st.URI
	}
	if parent := o.InReplyTo.ID; parent != "" {
		st.InReplyToURI = parent
		if p, err := f.svc.StatusByURI(ctx, parent); err == nil {
			st.InReplyToID, st.InReplyToAccountID = p.ID, p.AccountID
		} else if depth < f.Tuning.ReplyDepth && f.checkURL(ctx, parent) == nil {
			if p, err := f.resolveStatus(ctx, parent, depth+1); err == nil {
				st.InReplyToID, st.InReplyToAccountID = p.ID, p.AccountID
			} else {
				f.log.Debug("reply parent not fetched", "parent", parent, "err", err)
			}
		}
	}
	f.readQuote(ctx, author, st, o, depth)
	mentionIDs, tags := f.tagsOf(ctx, o)
	if st.InReplyToID != 0 {
		// A reply to a remote post from a third server: shown only as
		// the post's policy allows, or with its author's approval.
		parent, err := f.svc.StatusByID(ctx, st.InReplyToID)
		if err != nil {
			return nil, err
		}
		if err := f.checkApproval(ctx, model.InteractReply, author, st.URI, parent,
			string(o.ReplyAuthorization), string(o.ApprovedBy)); err != nil {
			return nil, err
		}
	}
	// The post, its poll and its attachments in one transaction.
	stored, err := f.svc.IngestRemotePost(ctx, core.RemotePost{Status: st, MentionIDs: mentionIDs, Tags: tags,
		RequestURI: requestURI, Poll: pollOf(o), Attachments: remoteAttachments(o)})
	if err != nil {
		return nil, err
	}
	f.ingestEmojis(ctx, author.Domain, o)
	return stored, nil
}

// policyOf reads a remote post's interactionPolicy in Herald's terms: the
// public collection, the author's followers and following collections and
// the author become keywords; other actors stay named by their ids. A kind
// the policy leaves out takes GoToSocial's default for it; no policy at
// all is nil (model.OpenInteractionPolicy).
func policyOf(o *Object, author *model.Account) *model.InteractionPolicy {
	doc := o.InteractionPolicy
	if !doc.Present {
		return nil
	}
	values := func(iris IRIs) []string {
		var out []string
		for _, iri := range iris {
			v := iri
			switch {
			case isPublic(iri):
				v = model.PolicyPublic
			case iri == author.URI:
				v = model.PolicyAuthor
			case author.FollowersURL != "" && iri == author.FollowersURL:
				v = model.PolicyFollowers
			case author.FollowingURL != "" && iri == author.FollowingURL:
				v = model.PolicyFollowing
			}
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	p := model.OpenInteractionPolicy()
	for _, k := range []struct {
		kind model.InteractionKind
		sub  SubPolicy
	}{{model.InteractFavourite, doc.CanLike}, {model.InteractReply, doc.CanReply}, {model.InteractReblog, doc.CanAnnounce}, {model.InteractQuote, doc.CanQuote}} {
		if k.sub.Present {
			p.SetRule(k.kind, model.PolicyRule{Automatic: values(k.sub.Automatic), Manual: values(k.sub.Manual)})
		}
	}
	return &p
}

// convertContent turns non-Note objects into a Note's HTML, as Mastodon
// does: a title and a link for articles and media. Attachments are stored
// as media (media.go).
func (f *Federation) convertContent(o *Object, content string) string {
	var b strings.Builder
	if !o.Type.Is("Note", "Question") && o.Name != "" {
		b.WriteString("<p><strong>" + html.EscapeString(string(o.Name)) + "</strong></p>")
	}
	b.WriteString(content) // a Question's options are its poll (polls.go)
	if !o.Type.Is("Note", "Question") {
		if u := o.URL.HTML(); u != "" && hostOf(u) != "" {
			b.WriteString(`<p><a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + `</a></p>`)
		}
	}
	return b.String()
}

// maxMentionFetches bounds how many unknown mentioned actors one post may
// make us fetch.
const maxMentionFetches = 5

// tagsOf reads a post's mentions (as account ids: Mention tags, plus local
// accounts addressed directly) and hashtags.
func (f *Federation) tagsOf(ctx context.Context, o *Object) ([]int64, []string) {
	seen := map[int64]bool{}
	var ids []int64
	addAccount := func(a *model.Account) {
		if a != nil && !seen[a.ID] {
			seen[a.ID] = true
			ids = append(ids, a.ID)
		}
	}
	fetches := 0
	var tags []string
	for _, t := range o.Tag {
		switch {
		case t.Type.Is("Mention"):
			href := string(t.Href)
			if href == "" {
				continue
			}
			if a, err := f.svc.AccountByURI(ctx, href); err == nil {
				addAccount(a)
				continue
			}
			if a, err := f.accountByProfileURL(ctx, href); err == nil {
				addAccount(a)
				continue
			}
			if f.isLocal(href) || fetches >= maxMentionFetches || f.checkURL(ctx, href) != nil {
				continue
			}
			fetches++
			if a, _, err := f.fetchActor(ctx, href); err == nil {
				addAccount(a)
			}
		case t.Type.Is("Hashtag"):
			name := strings.TrimPrefix(strings.TrimSpace(string(t.Name)), "#")
			if name != "" && len(tags) < 32 {
				tags = append(tags, strings.ToLower(name))
			}
		}
	}
	// Local recipients addressed without a Mention tag (some servers'
	// direct messages) still receive the post.
	for _, iri := range append(append([]string{}, o.To...), o.Cc...) {
		if !f.isLocal(iri) {
			continue
		}
		if name := f.localUsername(iri); name != "" {
			if a, err := f.svc.AccountByUsername(ctx, name, ""); err == nil {
				addAccount(a)
			}
		}
	}
	return ids, tags
}
