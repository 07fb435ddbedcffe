package activitypub

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// errGone: the remote object answered 410 (deleted).
var errGone = errors.New("remote object is gone")

// errNotAP: the answer is not an ActivityPub document.
var errNotAP = errors.New("not an ActivityPub document")

// fetchObject GETs an ActivityPub object (signed by the instance actor)
// and checks that its id is the IRI asked for; when the document names
// another id on the same host (an alias), that id is fetched once instead,
// as Mastodon does.
func (f *Federation) fetchObject(ctx context.Context, iri string) (*Object, error) {
	return f.fetchObjectHop(ctx, iri, true)
}

func (f *Federation) fetchObjectHop(ctx context.Context, iri string, mayHop bool) (*Object, error) {
	if hostOf(iri) == "" {
		return nil, fmt.Errorf("not an http(s) URL: %q", iri)
	}
	body, final, ct, err := f.signedGet(ctx, iri, acceptAS)
	if err != nil {
		if statusOf(err) == http.StatusGone {
			return nil, fmt.Errorf("%w: %v", errGone, err)
		}
		return nil, err
	}
	if !validASContentType(ct) {
		return nil, fmt.Errorf("%w: %s answered %q", errNotAP, iri, ct)
	}
	o, err := Decode(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", iri, err)
	}
	if o.Type.Is("Tombstone") {
		return nil, fmt.Errorf("%w: %s is a Tombstone", errGone, iri)
	}
	if string(o.ID) != iri {
		if mayHop && o.ID != "" && hostOf(string(o.ID)) == hostOf(final) {
			return f.fetchObjectHop(ctx, string(o.ID), false)
		}
		return nil, fmt.Errorf("%s: document id %q does not match", iri, o.ID)
	}
	return o, nil
}

// stripFragment removes #... from an IRI.
func stripFragment(iri string) string {
	if i := strings.IndexByte(iri, '#'); i >= 0 {
		return iri[:i]
	}
	return iri
}

// fetchActor fetches a remote actor and stores (or refreshes) its account.
func (f *Federation) fetchActor(ctx context.Context, uri string) (*model.Account, *Object, error) {
	if f.isLocal(uri) {
		return nil, nil, fmt.Errorf("%s is local", uri)
	}
	o, err := f.fetchObject(ctx, uri)
	if err != nil {
		if errors.Is(err, errGone) {
			_ = f.svc.MarkRemoteAccountGone(ctx, uri)
		}
		return nil, nil, err
	}
	a, err := f.storeActor(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	return a, o, nil
}

// storeActor converts and upserts an actor document (already fetched from
// its origin, or verified as coming from it).
func (f *Federation) storeActor(ctx context.Context, o *Object) (*model.Account, error) {
	a, err := f.actorToAccount(o)
	if err != nil {
		return nil, err
	}
	pol, err := f.domainPolicy(ctx, a.Domain)
	if err != nil {
		return nil, err
	}
	// Core applies the domain's policy to what is stored (media, silence,
	// suspension).
	stored, err := f.svc.StoreRemoteAccount(ctx, a, pol)
	if err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, fmt.Errorf("actor %s: another account is already %s: %w", a.URI, a.Acct(), err)
		}
		return nil, err
	}
	f.keys.forget(a.KeyID)
	f.ingestEmojis(ctx, a.Domain, o)
	return stored, nil
}

// actorToAccount maps an actor document to a remote account.
func (f *Federation) actorToAccount(o *Object) (*model.Account, error) {
	id := string(o.ID)
	host := hostOf(id)
	if host == "" {
		return nil, fmt.Errorf("actor id %q is not an http(s) URL", id)
	}
	if !o.IsActor() {
		return nil, fmt.Errorf("%s is a %v, not an actor", id, o.Type)
	}
	username := strings.TrimSpace(string(o.PreferredUsername))
	if username == "" || strings.ContainsAny(username, "@/ \t\r\n") || len(username) > 200 {
		return nil, fmt.Errorf("actor %s has no usable preferredUsername", id)
	}
	inbox := string(o.Inbox)
	if hostOf(inbox) == "" {
		return nil, fmt.Errorf("actor %s has no inbox", id)
	}
	now := time.Now().UTC()
	a := &model.Account{
		Username:     username,
		Domain:       host,
		DisplayName:  text.SanitizeName(string(o.Name), 100),
		Note:         text.SanitizeRemote(string(o.Summary)),
		Locked:       bool(o.ManuallyApprovesFollowers),
		Bot:          o.Type.Is("Service", "Application"),
		Discoverable: bool(o.Discoverable),
		ActorType:    o.Type.First(),
		URI:          id,
		URL:          o.URL.HTML(),
		InboxURL:     inbox,
		OutboxURL:    httpURLOr(string(o.Outbox)),
		FollowersURL: httpURLOr(string(o.Followers)),
		FollowingURL: httpURLOr(string(o.Following)),
		FeaturedURL:  httpURLOr(string(o.Featured)),
		FetchedAt:    &now,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	// A profile url on another host is dropped, as Mastodon's
	// ProcessAccountService does: an actor on evil.example must not pass
	// for https://victim.example/@boss in searches and mentions.
	if a.URL == "" || hostOf(a.URL) != host {
		a.URL = id
	}
	if si := o.Endpoints.SharedInbox; hostOf(si) != "" {
		a.SharedInboxURL = si
	}
	if !o.Published.IsZero() && o.Published.Before(now) {
		a.CreatedAt = o.Published.Time
	}
	for _, k := range o.PublicKey {
		if k.PublicKeyPem == "" || (k.Owner != "" && k.Owner != id) {
			continue
		}
		if _, err := httpsig.ParsePublicKeyPEM(k.PublicKeyPem); err != nil {
			continue
		}
		a.KeyID, a.PublicKeyPEM = k.ID, k.PublicKeyPem
		if a.KeyID == "" {
			a.KeyID = id + "#main-key"
		}
		break
	}
	for _, att := range o.Attachment {
		if !att.Type.Is("PropertyValue") || len(a.Fields) >= 16 {
			continue
		}
		a.Fields = append(a.Fields, model.Field{
			Name:  text.SanitizeName(string(att.Name), 255),
			Value: text.SanitizeRemote(string(att.Value)),
		})
	}
	a.AvatarURL = httpURLOr(iconURL(o.Icon))
	a.HeaderURL = httpURLOr(iconURL(o.Image))
	return a, nil
}

func httpURLOr(s string) string {
	if hostOf(s) == "" {
		return ""
	}
	return s
}

// isLocal reports an IRI on this instance.
func (f *Federation) isLocal(iri string) bool {
	return iri == f.base || strings.HasPrefix(iri, f.base+"/") || strings.HasPrefix(iri, f.base+"#")
}

// accountByURI finds an account, fetching a remote actor not known yet or
// stale (older than Tuning.ActorRefresh).
func (f *Federation) accountByURI(ctx context.Context, uri string) (*model.Account, error) {
	a, err := f.svc.AccountByURI(ctx, uri)
	if err == nil {
		if a.Local() || a.FetchedAt == nil || time.Since(*a.FetchedAt) < f.Tuning.ActorRefresh || a.GoneAt != nil {
			return a, nil
		}
		if fresh, _, err := f.fetchActor(ctx, uri); err == nil {
			return fresh, nil
		}
		return a, nil // stale beats nothing
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if f.isLocal(uri) {
		return nil, storage.ErrNotFound
	}
	a, _, err = f.fetchActor(ctx, uri) // signedGet checks the domain policy
	return a, err
}

// --- public keys of remote actors ---

// keyCache resolves keyIds to public keys: memory, then the accounts
// table, then the network. A key that failed to verify is refetched (the
// actor may have rotated it), at most once a minute per key.
type keyCache struct {
	f  *Federation
	mu sync.Mutex
	m  map[string]*cachedKey
}

type cachedKey struct {
	key       *rsa.PublicKey
	actorURI  string
	fetchedAt time.Time // when it was last fetched from the network (zero: from the store)
}

func newKeyCache(f *Federation) *keyCache {
	return &keyCache{f: f, m: map[string]*cachedKey{}}
}

func (k *keyCache) forget(keyID string) {
	if keyID == "" {
		return
	}
	k.mu.Lock()
	delete(k.m, keyID)
	k.mu.Unlock()
}

func (k *keyCache) get(keyID string) *cachedKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[keyID]
}

func (k *keyCache) put(keyID string, c *cachedKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) > 10000 { // crude bound: drop everything
		k.m = map[string]*cachedKey{}
	}
	k.m[keyID] = c
}

// refetchInterval: a key is not fetched again sooner than this.
const refetchInterval = time.Minute

// resolve returns the public key and its actor for a keyId.
func (k *keyCache) resolve(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, string, error) {
	f := k.f
	if strings.HasPrefix(keyID, "acct:") {
		a, err := f.ResolveAccount(ctx, strings.TrimPrefix(keyID, "acct:"))
		if err != nil {
			return nil, "", err
		}
		keyID = a.KeyID
	}
	host := hostOf(keyID)
	if host == "" {
		return nil, "", fmt.Errorf("keyId %q is not an http(s) URL", keyID)
	}
	if err := f.checkDomain(ctx, host); err != nil {
		return nil, "", err
	}
	if f.isLocal(keyID) {
		return f.localKey(ctx, keyID)
	}
	c := k.get(keyID)
	if c != nil && (!refresh || time.Since(c.fetchedAt) < refetchInterval) {
		return c.key, c.actorURI, nil
	}
	if c == nil && !refresh {
		if a, err := f.svc.AccountByKeyID(ctx, keyID); err == nil && a.PublicKeyPEM != "" && a.GoneAt == nil {
			if pk, err := httpsig.ParsePublicKeyPEM(a.PublicKeyPEM); err == nil {
				k.put(keyID, &cachedKey{key: pk, actorURI: a.URI})
				return pk, a.URI, nil
			}
		}
	}
	pk, actor, err := k.fetch(ctx, keyID)
	if err != nil {
		if c != nil {
			return c.key, c.actorURI, nil // the refetch failed: keep what we had
		}
		return nil, "", err
	}
	k.put(keyID, &cachedKey{key: pk, actorURI: actor, fetchedAt: time.Now()})
	return pk, actor, nil
}

// fetch dereferences a keyId: an actor document with the key in
// publicKey (keyId "actor#main-key"), or a key document whose owner is an
// actor that lists the key (GoToSocial's ".../main-key").
func (k *keyCache) fetch(ctx context.Context, keyID string) (*rsa.PublicKey, string, error) {
	f := k.f
	docURL := stripFragment(keyID)
	if a, err := f.svc.AccountByURI(ctx, docURL); err == nil && a.Local() {
		return nil, "", fmt.Errorf("keyId %s names a local account", keyID)
	}
	o, err := f.fetchObject(ctx, docURL)
	if err != nil {
		return nil, "", err
	}
	actor := o
	if !o.IsActor() {
		owner := string(o.Owner)
		if owner == "" || hostOf(owner) != hostOf(docURL) {
			return nil, "", fmt.Errorf("key %s has no owner on its host", keyID)
		}
		actor, err = f.fetchObject(ctx, owner)
		if err != nil {
			return nil, "", err
		}
	}
	key, ok := actor.PublicKey.Find(keyID)
	if !ok || key.PublicKeyPem == "" {
		return nil, "", fmt.Errorf("actor %s does not list key %s", actor.ID, keyID)
	}
	if key.Owner != "" && key.Owner != string(actor.ID) {
		return nil, "", fmt.Errorf("key %s is owned by %s, not %s", keyID, key.Owner, actor.ID)
	}
	pk, err := httpsig.ParsePublicKeyPEM(key.PublicKeyPem)
	if err != nil {
		return nil, "", err
	}
	a, err := f.storeActor(ctx, actor)
	if err != nil {
		return nil, "", err
	}
	if a.KeyID != keyID { // the stored account keeps the first key; fine for lookups by actor
		f.log.Debug("actor has several keys", "actor", a.URI, "key", keyID)
	}
	return pk, a.URI, nil
}

// localKey resolves one of our own keys (a request Herald made to itself,
// or two accounts of this instance).
func (f *Federation) localKey(ctx context.Context, keyID string) (*rsa.PublicKey, string, error) {
	if keyID == f.InstanceActorURI()+"#main-key" {
		_, pub, err := f.instanceKey(ctx)
		if err != nil {
			return nil, "", err
		}
		pk, err := httpsig.ParsePublicKeyPEM(pub)
		return pk, f.InstanceActorURI(), err
	}
	a, err := f.svc.AccountByKeyID(ctx, keyID)
	if err != nil {
		return nil, "", err
	}
	pk, err := httpsig.ParsePublicKeyPEM(a.PublicKeyPEM)
	return pk, a.URI, err
}
