package activitypub

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Serving local actors, statuses and collections. Under authorized fetch
// (Federation.AuthorizedFetch, on by default) every document needs a signed
// GET, except what a peer needs to verify our own signatures: the instance
// actor and a minimal actor document (interop doc §4).
//
// Which statuses a fetch may see is core's rule, not this file's: the
// signer is the viewer (core.SignerCanSee, SignerAccountStatuses,
// SignerReplies), so a peer sees what the client API shows that account.
// A suspended local account is gone to peers: its actor, its collections
// and its statuses all answer 410 Gone, to anyone, until it is unsuspended
// (Mastodon answers 403 while a suspension may be lifted and 410 once it is
// final; Herald's peers learn of the suspension from the actor's Update
// and treat the account as gone either way). Only the actor carries a
// Tombstone: the statuses are not deleted.

const asContentType = "application/activity+json; charset=utf-8"

// pageSize of collection pages.
const pageSize = 20

// Register mounts the engine's routes on e.
func (f *Federation) Register(e *echo.Echo) {
	get := func(path string, h echo.HandlerFunc, public bool) {
		e.GET(path, h)
		e.HEAD(path, h)
		f.routes = append(f.routes, Route{http.MethodGet, path, public}, Route{http.MethodHead, path, public})
	}
	post := func(path string, h echo.HandlerFunc) {
		e.POST(path, h)
		f.routes = append(f.routes, Route{http.MethodPost, path, false})
	}
	// Discovery: always open.
	get("/.well-known/webfinger", f.handleWebFinger, true)
	get("/.well-known/host-meta", f.handleHostMeta, true)
	get("/.well-known/host-meta.json", f.handleHostMetaJSON, true)
	get("/.well-known/nodeinfo", f.handleNodeInfoLinks, true)
	get("/nodeinfo/2.0", f.handleNodeInfo("2.0"), true)
	get("/nodeinfo/2.1", f.handleNodeInfo("2.1"), true)
	// The instance actor: always open (it signs our fetches).
	get("/actor", f.handleInstanceActor, true)
	get("/actor/outbox", f.handleInstanceOutbox, true)
	post("/actor/inbox", f.handleInbox)
	// Local accounts. The actor is public in its minimal form.
	get("/users/:username", f.handleActor, true)
	get("/users/:username/outbox", f.handleOutbox, false)
	get("/users/:username/followers", f.handleFollowers, false)
	get("/users/:username/following", f.handleFollowing, false)
	get("/users/:username/collections/featured", f.handleFeatured, false)
	get("/users/:username/featured_collections", f.handleFeaturedCollections, false)
	get("/users/:username/featured_collections/:id", f.handleFeaturedCollection, false)
	get("/users/:username/statuses/:id", f.handleStatus, false)
	get("/users/:username/statuses/:id/activity", f.handleStatusActivity, false)
	get("/users/:username/statuses/:id/replies", f.handleReplies, false)
	get("/users/:username/authorizations/:id", f.handleAuthorization, false)
	get("/users/:username/accepts/:id", f.handleAccept, false)
	post("/users/:username/inbox", f.handleInbox)
	post("/inbox", f.handleInbox)
}

// writeAS answers an ActivityStreams document.
func writeAS(c echo.Context, status int, d any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "max-age=0, private")
	return c.Blob(status, asContentType, buf.Bytes())
}

// apError answers an error as JSON.
func apError(c echo.Context, status int, msg string) error {
	c.Response().Header().Set("Vary", "Accept")
	return c.JSON(status, map[string]string{"error": msg})
}

// fetchAuth checks the signature of a GET. signer is the verified actor's
// account (nil when unsigned). failed is set when a signature was present
// but did not verify; blocked when it came from a blocked domain.
type fetchAuth struct {
	signer  *model.Account
	signed  bool
	failed  bool
	refused error // the signer's domain is refused by the domain policy
}

func (f *Federation) authorizeFetch(c echo.Context) fetchAuth {
	r := c.Request()
	if r.Header.Get("Signature") == "" && r.Header.Get("Signature-Input") == "" &&
		!strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "signature ") {
		return fetchAuth{}
	}
	actorURI, err := f.verifySignature(r.Context(), r, nil)
	if err != nil {
		a := fetchAuth{failed: true}
		if isPolicyRefusal(err) {
			a.refused = err
		}
		return a
	}
	if actorURI == f.InstanceActorURI() {
		return fetchAuth{signed: true}
	}
	a, err := f.svc.AccountByURI(r.Context(), actorURI)
	if err != nil {
		return fetchAuth{signed: true}
	}
	return fetchAuth{signer: a, signed: true}
}

// verifySignature verifies r and returns the signing actor's IRI.
func (f *Federation) verifySignature(ctx context.Context, r *http.Request, body []byte) (string, error) {
	var actor string
	resolve := func(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, error) {
		k, a, err := f.keys.resolve(ctx, keyID, refresh)
		if err != nil {
			return nil, err
		}
		actor = a
		return k, nil
	}
	// The scheme peers used is the public base URL's (Herald may sit
	// behind a TLS-terminating proxy), for RFC 9421's "@target-uri".
	scheme, _, _ := strings.Cut(f.base, "://")
	v, err := httpsig.VerifyRequest(ctx, r, body, resolve, f.now(), scheme)
	if err != nil {
		return "", err
	}
	// A signature made for another server must not be replayable here:
	// when the Host is signed, it must be ours.
	if slices.Contains(v.SignedHeaders, "host") && !strings.EqualFold(r.Host, f.cfg.Instance.Domain) {
		return "", fmt.Errorf("signed for host %q, not %q", r.Host, f.cfg.Instance.Domain)
	}
	if actor == "" {
		return "", errors.New("no actor for the key")
	}
	if err := f.checkURL(ctx, actor); err != nil {
		return "", err
	}
	return actor, nil
}

// acceptSignature is the RFC 9421 Accept-Signature Herald answers a failed
// signature with: the components it wants covered, and its algorithm.
const acceptSignature = `sig1=("@method" "@target-uri" "@authority" "date");created;keyid;alg="rsa-v1_5-sha256"`

// acceptSignatureBody is acceptSignature for a request with a body.
const acceptSignatureBody = `sig1=("@method" "@target-uri" "@authority" "date" "content-digest");created;keyid;alg="rsa-v1_5-sha256"`

// requireSigned applies authorized fetch to a non-public document: it
// returns a non-nil error (already answered) when the request may not go on.
func (f *Federation) requireSigned(c echo.Context, a fetchAuth) (stop bool, err error) {
	switch {
	case a.refused != nil:
		return true, policyRefusal(c, a.refused)
	case a.failed:
		c.Response().Header().Set("Accept-Signature", acceptSignature)
		return true, apError(c, http.StatusUnauthorized, "Verification failed")
	case !a.signed && f.cfg.Federation.AuthorizedFetch:
		return true, apError(c, http.StatusUnauthorized, "Request not signed")
	}
	return false, nil
}

// localAccount finds a local account by username for serving; gone is
// set for deleted accounts.
func (f *Federation) localAccount(ctx context.Context, username string) (a *model.Account, gone bool, err error) {
	a, err = f.svc.AccountByUsername(ctx, username, "")
	if errors.Is(err, storage.ErrNotFound) {
		if t, err2 := f.svc.TombstoneAt(ctx, f.svc.LocalActorURI(username)); err2 == nil && t != nil {
			return nil, true, nil
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return a, false, nil
}

func (f *Federation) handleActor(c echo.Context) error {
	username := c.Param("username")
	if !WantsActivityJSON(c.Request()) {
		return c.Redirect(http.StatusFound, f.svc.LocalProfileURL(username))
	}
	return f.ServeActor(c, username)
}

// ServeActor answers a local account's actor document (the web UI calls
// it for /@username when WantsActivityJSON).
func (f *Federation) ServeActor(c echo.Context, username string) error {
	ctx := c.Request().Context()
	a, gone, err := f.localAccount(ctx, username)
	if err != nil {
		return err
	}
	if gone {
		return writeAS(c, http.StatusGone, tombstoneDoc(f.svc.LocalActorURI(username), nil))
	}
	if a == nil {
		return apError(c, http.StatusNotFound, "Record not found")
	}
	if a.SuspendedAt != nil {
		// As WebFinger does: peers treat the account as gone.
		return writeAS(c, http.StatusGone, tombstoneDoc(a.URI, a.SuspendedAt))
	}
	auth := f.authorizeFetch(c)
	if auth.refused != nil {
		return policyRefusal(c, auth.refused)
	}
	// A signature that does not verify is a 401, so that a peer that
	// double-knocks (Fedify tries RFC 9421 first) retries with the other
	// scheme instead of storing the minimal document as the account.
	if auth.failed {
		c.Response().Header().Set("Accept-Signature", acceptSignature)
		return apError(c, http.StatusUnauthorized, "Verification failed")
	}
	// Key lookups must always work: an unsigned fetch gets the minimal
	// document rather than an error.
	if f.cfg.Federation.AuthorizedFetch && !auth.signed {
		return writeAS(c, http.StatusOK, f.minimalActorDoc(a))
	}
	return writeAS(c, http.StatusOK, f.actorDoc(ctx, a))
}

func (f *Federation) handleInstanceActor(c echo.Context) error {
	d, err := f.instanceActorDoc(c.Request().Context())
	if err != nil {
		return err
	}
	return writeAS(c, http.StatusOK, d)
}

func (f *Federation) handleInstanceOutbox(c echo.Context) error {
	return writeAS(c, http.StatusOK, withContext(doc{
		"id": f.InstanceActorURI() + "/outbox", "type": "OrderedCollection", "totalItems": 0, "orderedItems": []any{},
	}))
}

// statusFor finds the local status at /users/:username/statuses/:id and
// asks core whether the requester may see it. It answers itself (and
// returns nil) on any refusal: 404 for a status the signer may not see,
// as for one that does not exist; 410 when its author is suspended.
func (f *Federation) statusFor(c echo.Context, username, idStr string) (*model.Status, fetchAuth, error) {
	ctx := c.Request().Context()
	n, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return nil, fetchAuth{}, apError(c, http.StatusNotFound, "Record not found")
	}
	uri := f.svc.LocalStatusURI(strings.ToLower(username), idStr)
	st, err := f.svc.StatusByID(ctx, n)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (!st.Local || (st.URI != uri && st.URI != uri+"/activity"))) {
		if t, err2 := f.svc.TombstoneAt(ctx, uri); err2 == nil && t != nil {
			return nil, fetchAuth{}, writeAS(c, http.StatusGone, tombstoneDoc(uri, t))
		}
		return nil, fetchAuth{}, apError(c, http.StatusNotFound, "Record not found")
	}
	if err != nil {
		return nil, fetchAuth{}, err
	}
	author, err := f.svc.AccountByID(ctx, st.AccountID)
	if err != nil {
		return nil, fetchAuth{}, apError(c, http.StatusNotFound, "Record not found")
	}
	if author.SuspendedAt != nil {
		// As the author's actor and collections answer.
		return nil, fetchAuth{}, apError(c, http.StatusGone, "Gone")
	}
	auth := f.authorizeFetch(c)
	if stop, err := f.requireSigned(c, auth); stop {
		return nil, auth, err
	}
	ok, err := f.svc.SignerCanSee(ctx, auth.signer, st, author)
	if err != nil {
		return nil, auth, err
	}
	if !ok {
		return nil, auth, apError(c, http.StatusNotFound, "Record not found")
	}
	return st, auth, nil
}

func (f *Federation) handleStatus(c echo.Context) error {
	return f.ServeStatus(c, c.Param("username"), c.Param("id"))
}

// ServeStatus answers a local status's Note (an Announce for a boost);
// the web UI calls it for /@username/:id when WantsActivityJSON.
func (f *Federation) ServeStatus(c echo.Context, username, id string) error {
	st, _, err := f.statusFor(c, username, id)
	if st == nil {
		return err
	}
	ctx := c.Request().Context()
	if st.ReblogOfID != 0 {
		d, err := f.statusActivityDoc(ctx, st)
		if err != nil {
			return err
		}
		return writeAS(c, http.StatusOK, d)
	}
	b, err := f.loadStatus(ctx, st)
	if err != nil {
		return err
	}
	return writeAS(c, http.StatusOK, withContext(f.noteDoc(b)))
}

func (f *Federation) handleStatusActivity(c echo.Context) error {
	st, _, err := f.statusFor(c, c.Param("username"), c.Param("id"))
	if st == nil {
		return err
	}
	d, err := f.statusActivityDoc(c.Request().Context(), st)
	if err != nil {
		return err
	}
	return writeAS(c, http.StatusOK, d)
}

func (f *Federation) handleReplies(c echo.Context) error {
	st, auth, err := f.statusFor(c, c.Param("username"), c.Param("id"))
	if st == nil {
		return err
	}
	ctx := c.Request().Context()
	id := st.URI + "/replies"
	replies, err := f.svc.SignerReplies(ctx, auth.signer, st.ID, 50)
	if err != nil {
		return err
	}
	items := []any{}
	for _, r := range replies {
		items = append(items, r.URI)
	}
	page := doc{"type": "CollectionPage", "partOf": id, "items": items}
	if c.QueryParam("page") != "" {
		page["id"] = id + "?page=true"
		return writeAS(c, http.StatusOK, withContext(page))
	}
	page["id"] = id + "?page=true"
	return writeAS(c, http.StatusOK, withContext(doc{"id": id, "type": "Collection", "totalItems": len(items), "first": page}))
}

// collectionOwner finds the local account of a collection route and
// applies authorized fetch; it answers itself when it returns nil.
func (f *Federation) collectionOwner(c echo.Context) (*model.Account, fetchAuth, error) {
	ctx := c.Request().Context()
	a, gone, err := f.localAccount(ctx, c.Param("username"))
	if err != nil {
		return nil, fetchAuth{}, err
	}
	if gone || (a != nil && a.SuspendedAt != nil) {
		return nil, fetchAuth{}, apError(c, http.StatusGone, "Gone")
	}
	if a == nil {
		return nil, fetchAuth{}, apError(c, http.StatusNotFound, "Record not found")
	}
	auth := f.authorizeFetch(c)
	if stop, err := f.requireSigned(c, auth); stop {
		return nil, auth, err
	}
	return a, auth, nil
}

// pageOf reads ?max_id / ?min_id into a page.
func pageOf(c echo.Context) model.Page {
	p := model.Page{Limit: pageSize}
	p.MaxID, _ = strconv.ParseInt(c.QueryParam("max_id"), 10, 64)
	p.MinID, _ = strconv.ParseInt(c.QueryParam("min_id"), 10, 64)
	return p
}

// orderedCollection answers the collection document, or one page when
// ?page is set. items loads a page and returns its items and its first
// and last cursors.
func orderedCollection(c echo.Context, id string, total int64, items func(p model.Page) ([]any, int64, int64, error)) error {
	if c.QueryParam("page") == "" {
		return writeAS(c, http.StatusOK, withContext(doc{
			"id": id, "type": "OrderedCollection", "totalItems": total,
			"first": id + "?page=true", "last": id + "?min_id=0&page=true",
		}))
	}
	p := pageOf(c)
	list, first, last, err := items(p)
	if err != nil {
		return err
	}
	self := id + "?page=true"
	if p.MaxID != 0 {
		self = id + "?max_id=" + strconv.FormatInt(p.MaxID, 10) + "&page=true"
	} else if c.QueryParam("min_id") != "" {
		self = id + "?min_id=" + strconv.FormatInt(p.MinID, 10) + "&page=true"
	}
	d := doc{"id": self, "type": "OrderedCollectionPage", "totalItems": total, "partOf": id, "orderedItems": list}
	if len(list) >= pageSize && last != 0 {
		d["next"] = id + "?max_id=" + strconv.FormatInt(last, 10) + "&page=true"
	}
	if len(list) > 0 && first != 0 {
		d["prev"] = id + "?min_id=" + strconv.FormatInt(first, 10) + "&page=true"
	}
	return writeAS(c, http.StatusOK, withContext(d))
}

// hiddenCollection is the followers or following collection of an account
// that hides them: its total only, no pages (Mastodon answers a page
// request with 403).
func hiddenCollection(c echo.Context, id string, total int64) error {
	if c.QueryParam("page") != "" {
		return apError(c, http.StatusForbidden, "This account hides its followers and follows")
	}
	return writeAS(c, http.StatusOK, withContext(doc{"id": id, "type": "OrderedCollection", "totalItems": total}))
}

func (f *Federation) handleOutbox(c echo.Context) error {
	a, auth, err := f.collectionOwner(c)
	if a == nil {
		return err
	}
	ctx := c.Request().Context()
	// The signer's page of the account's statuses, as the client API
	// lists them for the same account (followers-only posts for a
	// follower, everything for the account itself).
	return orderedCollection(c, a.URI+"/outbox", a.StatusesCount, func(p model.Page) ([]any, int64, int64, error) {
		tl, err := f.svc.SignerAccountStatuses(ctx, auth.signer, a.ID, storage.AccountStatusFilter{}, p)
		if err != nil {
			return nil, 0, 0, err
		}
		items := []any{}
		for _, st := range tl.View.Statuses {
			d, err := f.statusActivityDoc(ctx, st)
			if err != nil {
				continue
			}
			delete(d, "@context")
			items = append(items, d)
		}
		return items, tl.Newest, tl.Oldest, nil
	})
}

func (f *Federation) accountLinks(ctx context.Context, links []storage.AccountLink) ([]any, int64, int64, error) {
	ids := make([]int64, len(links))
	for i, l := range links {
		ids[i] = l.AccountID
	}
	accts, err := f.svc.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, 0, 0, err
	}
	items := []any{}
	var first, last int64
	for i, l := range links {
		if i == 0 {
			first = l.ID
		}
		last = l.ID
		if a := accts[l.AccountID]; a != nil {
			items = append(items, a.URI)
		}
	}
	return items, first, last, nil
}

func (f *Federation) handleFollowers(c echo.Context) error {
	a, _, err := f.collectionOwner(c)
	if a == nil {
		return err
	}
	ctx := c.Request().Context()
	if !f.svc.CollectionListed(a) {
		return hiddenCollection(c, a.URI+"/followers", a.FollowersCount)
	}
	return orderedCollection(c, a.URI+"/followers", a.FollowersCount, func(p model.Page) ([]any, int64, int64, error) {
		links, err := f.svc.FollowerLinks(ctx, a.ID, p)
		if err != nil {
			return nil, 0, 0, err
		}
		return f.accountLinks(ctx, links)
	})
}

func (f *Federation) handleFollowing(c echo.Context) error {
	a, _, err := f.collectionOwner(c)
	if a == nil {
		return err
	}
	ctx := c.Request().Context()
	if !f.svc.CollectionListed(a) {
		return hiddenCollection(c, a.URI+"/following", a.FollowingCount)
	}
	return orderedCollection(c, a.URI+"/following", a.FollowingCount, func(p model.Page) ([]any, int64, int64, error) {
		links, err := f.svc.FollowingLinks(ctx, a.ID, p)
		if err != nil {
			return nil, 0, 0, err
		}
		return f.accountLinks(ctx, links)
	})
}

// handleFeatured: pinned statuses, embedded, in one OrderedCollection.
func (f *Federation) handleFeatured(c echo.Context) error {
	a, auth, err := f.collectionOwner(c)
	if a == nil {
		return err
	}
	ctx := c.Request().Context()
	tl, err := f.svc.SignerAccountStatuses(ctx, auth.signer, a.ID, storage.AccountStatusFilter{Pinned: true}, model.Page{Limit: storage.MaxPins * 2})
	if err != nil {
		return err
	}
	items := []any{}
	for _, st := range tl.View.Statuses {
		if st.ReblogOfID != 0 {
			continue
		}
		b, err := f.loadStatus(ctx, st)
		if err != nil {
			continue
		}
		items = append(items, f.noteDoc(b))
	}
	return writeAS(c, http.StatusOK, withContext(doc{
		"id": a.URI + "/collections/featured", "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items,
	}))
}
