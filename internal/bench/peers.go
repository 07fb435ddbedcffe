package bench

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// The loopback peers of the benchmark, all in the bench process.

func listen(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

// nullSink takes the deliveries of ordinary posts (the remote domains'
// shared inboxes, one path per domain) and counts them without verifying.
type nullSink struct {
	srv  *http.Server
	url  string
	hits atomic.Int64
	last atomic.Int64 // unix nanoseconds of the last hit
}

func startNullSink() (*nullSink, error) {
	n := &nullSink{}
	var err error
	n.srv, n.url, err = listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodPost {
			n.hits.Add(1)
			n.last.Store(time.Now().UnixNano())
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	return n, err
}

// keyStore resolves the keys that sign deliveries by fetching the actor
// document once (as a remote server would), then from memory.
type keyStore struct {
	mu     sync.Mutex
	keys   map[string]*rsa.PublicKey
	client *http.Client
}

func newKeyStore() *keyStore {
	return &keyStore{keys: map[string]*rsa.PublicKey{}, client: &http.Client{Timeout: 10 * time.Second}}
}

func (k *keyStore) resolve(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, error) {
	k.mu.Lock()
	pk, ok := k.keys[keyID]
	k.mu.Unlock()
	if ok && !refresh {
		return pk, nil
	}
	doc, _, _ := strings.Cut(keyID, "#")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, doc, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/activity+json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("key %s: status %d", keyID, resp.StatusCode)
	}
	var actor struct {
		PublicKey struct {
			ID           string `json:"id"`
			PublicKeyPem string `json:"publicKeyPem"`
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&actor); err != nil {
		return nil, err
	}
	if actor.PublicKey.ID != keyID {
		return nil, fmt.Errorf("actor %s does not list key %s", doc, keyID)
	}
	pk, err = httpsig.ParsePublicKeyPEM(actor.PublicKey.PublicKeyPem)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.keys[keyID] = pk
	k.mu.Unlock()
	return pk, nil
}

// sink is one remote server's inbox that verifies every signature.
type sink struct {
	srv      *http.Server
	url      string
	ok, bad  atomic.Int64
	lastBad  atomic.Value // string
	received chan struct{}
	// The activities received, to tell a delivery sent twice.
	mu   sync.Mutex
	seen map[string]bool
	dups atomic.Int64
}

func startSink(keys *keyStore) (*sink, error) {
	s := &sink{received: make(chan struct{}, 1), seen: map[string]bool{}}
	var err error
	s.srv, s.url, err = listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			_, err = httpsig.Verify(r.Context(), r, body, keys.resolve, time.Time{})
		}
		if err != nil {
			s.bad.Add(1)
			s.lastBad.Store(err.Error())
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var act struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(body, &act) == nil && act.ID != "" {
			s.mu.Lock()
			if s.seen[act.ID] {
				s.dups.Add(1)
			}
			s.seen[act.ID] = true
			s.mu.Unlock()
		}
		s.ok.Add(1)
		w.WriteHeader(http.StatusAccepted)
		select {
		case s.received <- struct{}{}:
		default:
		}
	}))
	return s, err
}

// sender is a remote actor served on loopback: Herald fetches its key
// from here when its first activity arrives.
type sender struct {
	srv   *http.Server
	url   string
	actor string
	key   *rsa.PrivateKey
}

func startSender(key *rsa.PrivateKey, pubPEM string) (*sender, error) {
	s := &sender{key: key}
	mux := http.NewServeMux()
	var err error
	s.srv, s.url, err = listen(mux)
	if err != nil {
		return nil, err
	}
	s.actor = s.url + "/users/sender"
	doc, _ := json.Marshal(map[string]any{
		"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                s.actor,
		"type":              "Person",
		"preferredUsername": "sender",
		"name":              "Bench sender",
		"inbox":             s.actor + "/inbox",
		"outbox":            s.actor + "/outbox",
		"followers":         s.actor + "/followers",
		"following":         s.actor + "/following",
		"url":               s.url + "/@sender",
		"endpoints":         map[string]string{"sharedInbox": s.url + "/inbox"},
		"publicKey":         map[string]string{"id": s.actor + "#main-key", "owner": s.actor, "publicKeyPem": pubPEM},
	})
	mux.HandleFunc("GET /users/sender", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	})
	accept := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}
	mux.HandleFunc("POST /users/sender/inbox", accept)
	mux.HandleFunc("POST /inbox", accept)
	return s, nil
}

// signedCreate is a signed POST of a Create(Note) to inbox, ready to send.
type signedPost struct {
	body   []byte
	header http.Header
}

func (s *sender) createNote(inbox string, n int, stamp int64) (signedPost, error) {
	id := fmt.Sprintf("%s/statuses/%d-%d", s.actor, stamp, n)
	body, err := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       id + "/activity",
		"type":     "Create",
		"actor":    s.actor,
		"to":       []string{"https://www.w3.org/ns/activitystreams#Public"},
		"cc":       []string{s.actor + "/followers"},
		"object": map[string]any{
			"id":           id,
			"type":         "Note",
			"attributedTo": s.actor,
			"to":           []string{"https://www.w3.org/ns/activitystreams#Public"},
			"cc":           []string{s.actor + "/followers"},
			"published":    time.Now().UTC().Format(time.RFC3339),
			"url":          id,
			"content":      fmt.Sprintf("<p>Remote post number %d, from a server on the same machine, of a typical length for a post in the fediverse.</p>", n),
		},
	})
	if err != nil {
		return signedPost{}, err
	}
	req, err := http.NewRequest(http.MethodPost, inbox, nil)
	if err != nil {
		return signedPost{}, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, s.actor+"#main-key", s.key, body); err != nil {
		return signedPost{}, err
	}
	return signedPost{body: body, header: req.Header}, nil
}
