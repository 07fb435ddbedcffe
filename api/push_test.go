package api_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/hkdf"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/push"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// pushReceiver is a push service and user agent in one: it keeps the
// subscription's private key and auth secret and decrypts what arrives
// (RFC 8291), checking the VAPID signature (RFC 8292) on the way.
type pushReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	priv   *ecdh.PrivateKey
	auth   []byte
	mu     sync.Mutex
	got    []map[string]any
	vapid  []string // k= of each request
	status []int    // answers to give, in order (then 201)
	calls  int
	signal chan struct{}
}

func newPushReceiver(t *testing.T) *pushReceiver {
	r := &pushReceiver{t: t, signal: make(chan struct{}, 16)}
	var err error
	if r.priv, err = ecdh.P256().GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	r.auth = make([]byte, 16)
	rand.Read(r.auth)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *pushReceiver) keys() (p256dh, auth string) {
	return base64.RawURLEncoding.EncodeToString(r.priv.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(r.auth)
}

func (r *pushReceiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.calls++
	var answer int
	if len(r.status) > 0 {
		answer, r.status = r.status[0], r.status[1:]
	}
	r.mu.Unlock()
	body, _ := io.ReadAll(req.Body)
	if answer != 0 {
		w.WriteHeader(answer)
		r.signal <- struct{}{}
		return
	}
	if req.Header.Get("Content-Encoding") != "aes128gcm" || req.Header.Get("TTL") == "" {
		r.t.Errorf("push headers: %v", req.Header)
	}
	k, err := verifyVAPID(req.Header.Get("Authorization"), "http://"+req.Host)
	if err != nil {
		r.t.Errorf("VAPID: %v", err)
	}
	plain, err := decryptPush(r.priv, r.auth, body)
	if err != nil {
		r.t.Errorf("decrypt: %v", err)
		w.WriteHeader(400)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		r.t.Errorf("payload %q: %v", plain, err)
	}
	r.mu.Lock()
	r.got = append(r.got, m)
	r.vapid = append(r.vapid, k)
	r.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	r.signal <- struct{}{}
}

func (r *pushReceiver) wait(n int, d time.Duration) []map[string]any {
	r.t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		if len(r.got) >= n {
			out := append([]map[string]any(nil), r.got...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.signal:
		case <-deadline:
			r.t.Fatalf("got %d pushes within %v, want %d", len(r.got), d, n)
		}
	}
}

// decryptPush is RFC 8291 section 3 (and RFC 8188 aes128gcm, one record).
func decryptPush(ua *ecdh.PrivateKey, authSecret, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("bad header")
	}
	asPublic, ciphertext := body[21:21+idlen], body[21+idlen:]
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("keyid is not the server's public key: %w", err)
	}
	shared, err := ua.ECDH(as)
	if err != nil {
		return nil, err
	}
	keyInfo := append(append([]byte("WebPush: info\x00"), ua.PublicKey().Bytes()...), asPublic...)
	ikm := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, shared, authSecret, keyInfo), ikm); err != nil {
		return nil, err
	}
	cek, nonce := make([]byte, 16), make([]byte, 12)
	io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: aes128gcm\x00")), cek)
	io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: nonce\x00")), nonce)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	if len(ciphertext) > int(rs) {
		return nil, errors.New("more than one record")
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, err
	}
	// Strip the padding: trailing zeros, then the last-record delimiter 2.
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, errors.New("bad padding delimiter")
	}
	return plain[:len(plain)-1], nil
}

// verifyVAPID checks "vapid t=<jwt>, k=<key>": an ES256 JWT signed by k for
// the endpoint's origin. It returns k.
func verifyVAPID(h, audience string) (string, error) {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return "", fmt.Errorf("authorization %q", h)
	}
	var tok, k string
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			tok = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "="))
	if err != nil || len(raw) != 65 {
		return "", fmt.Errorf("k=%q", k)
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(raw[1:33]), Y: new(big.Int).SetBytes(raw[33:])}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"})); err != nil {
		return "", err
	}
	if claims["aud"] != audience || claims["sub"] == nil {
		return "", fmt.Errorf("claims %v", claims)
	}
	return k, nil
}

func TestWebPushDeliveredEncrypted(t *testing.T) {
	f := startStreaming(t)
	ts := f.ts
	r := newPushReceiver(t)
	p256dh, auth := r.keys()
	var sub struct {
		ID        string          `json:"id"`
		Endpoint  string          `json:"endpoint"`
		Alerts    map[string]bool `json:"alerts"`
		Policy    string          `json:"policy"`
		ServerKey string          `json:"server_key"`
	}
	// Form-encoded, as most apps send it.
	form := map[string][]string{
		"subscription[endpoint]":     {r.srv.URL + "/push/alice"},
		"subscription[keys][p256dh]": {p256dh},
		"subscription[keys][auth]":   {auth},
		"data[alerts][mention]":      {"true"},
		"data[alerts][favourite]":    {"true"},
		"data[alerts][follow]":       {"false"},
		"data[policy]":               {"all"},
	}
	ts.JSON(t, "POST", "/api/v1/push/subscription", f.tAlice, urlValues(form), 200, &sub)
	if !sub.Alerts["mention"] || !sub.Alerts["favourite"] || sub.Alerts["follow"] || sub.Policy != "all" || sub.ServerKey == "" {
		t.Fatalf("subscription: %+v", sub)
	}
	// The instance advertises the same key.
	var inst struct {
		Configuration struct {
			Vapid struct {
				PublicKey string `json:"public_key"`
			} `json:"vapid"`
		} `json:"configuration"`
	}
	ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &inst)
	if inst.Configuration.Vapid.PublicKey != sub.ServerKey {
		t.Errorf("instance vapid key %q, subscription %q", inst.Configuration.Vapid.PublicKey, sub.ServerKey)
	}

	// bob mentions alice: one encrypted push.
	f.post(t, f.tBob, "@alice look", "public")
	got := r.wait(1, 3*time.Second)
	if got[0]["notification_type"] != "mention" || got[0]["title"] != "You were mentioned by bob" ||
		!strings.Contains(got[0]["body"].(string), "look") || got[0]["notification_id"] == "" || got[0]["icon"] == "" {
		t.Fatalf("push payload: %v", got[0])
	}
	// The VAPID key signing it is the advertised one.
	if strings.TrimRight(r.vapid[0], "=") != strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(sub.ServerKey), "=") {
		t.Errorf("signed with %s, advertised %s", r.vapid[0], sub.ServerKey)
	}
	// A follow is not in the alerts: no push.
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", f.alice.ID), f.tCar, nil, 200, nil)
	// Update to add follows, policy followed: carol is not followed by alice.
	ts.JSON(t, "PUT", "/api/v1/push/subscription", f.tAlice, map[string]any{"data": map[string]any{
		"alerts": map[string]bool{"follow": true, "mention": true, "favourite": true}, "policy": "followed"}}, 200, &sub)
	if !sub.Alerts["follow"] || sub.Policy != "followed" {
		t.Fatalf("updated: %+v", sub)
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", f.alice.ID), f.tDave, nil, 200, nil) // dave: not followed
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", f.bob.ID), f.tAlice, nil, 200, nil)
	f.post(t, f.tBob, "@alice again", "public") // bob: followed
	got = r.wait(2, 3*time.Second)
	if got[1]["notification_type"] != "mention" {
		t.Fatalf("second push: %v", got[1])
	}
	// Every queued push was sent or judged not to be sent: dave's follow
	// (policy followed) would have arrived by now.
	testutil.Eventually(t, 5*time.Second, "the push queue empty", func() bool {
		n, err := ts.Srv.Store.CountPushQueue(t.Context())
		return err == nil && n == 0
	})
	if n := len(r.wait(2, 0)); n != 2 {
		t.Fatalf("%d pushes, want 2 (follow alert off then policy followed)", n)
	}
	var again map[string]any
	ts.JSON(t, "GET", "/api/v1/push/subscription", f.tAlice, nil, 200, &again)
	ts.JSON(t, "DELETE", "/api/v1/push/subscription", f.tAlice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/push/subscription", f.tAlice, nil, 404, nil)
}

func TestWebPushRetriesAndDropsGoneSubscriptions(t *testing.T) {
	push.BaseBackoff = 50 * time.Millisecond
	t.Cleanup(func() { push.BaseBackoff = 30 * time.Second })
	f := startStreaming(t)
	ts := f.ts
	r := newPushReceiver(t)
	r.status = []int{503, 500} // two failures, then success
	p256dh, auth := r.keys()
	ts.JSON(t, "POST", "/api/v1/push/subscription", f.tAlice, map[string]any{
		"subscription": map[string]any{"endpoint": r.srv.URL + "/p", "keys": map[string]string{"p256dh": p256dh, "auth": auth}},
		"data":         map[string]any{"alerts": map[string]bool{"favourite": true}},
	}, 200, nil)
	id := f.post(t, f.tAlice, "like it", "public")
	ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", f.tBob, nil, 200, nil)
	got := r.wait(1, 5*time.Second)
	if got[0]["notification_type"] != "favourite" || r.calls != 3 {
		t.Fatalf("after retries: %v (calls %d)", got, r.calls)
	}
	// 410: the subscription is gone and removed.
	r.mu.Lock()
	r.status = []int{410}
	r.mu.Unlock()
	ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", f.tCar, nil, 200, nil)
	testutil.Eventually(t, 3*time.Second, "the gone subscription removed", func() bool {
		st, _, _ := ts.Do(t, "GET", "/api/v1/push/subscription", f.tAlice, nil)
		return st == 404
	})
	if n, _ := ts.Srv.Store.CountPushQueue(t.Context()); n != 0 {
		t.Fatalf("%d pushes left in the queue", n)
	}
}

// TestWebPushQueueIsDurable: a push in flight when the server stops is
// sent by the next start (the queue is a table; claims are released).
func TestWebPushQueueIsDurable(t *testing.T) {
	dir := t.TempDir()
	r := newPushReceiver(t)
	hold := make(chan struct{})
	var once sync.Once
	inner := r.srv.Config.Handler
	r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		first := false
		once.Do(func() { first = true })
		if first {
			r.signal <- struct{}{}
			<-hold // the server goes down meanwhile
			w.WriteHeader(503)
			return
		}
		inner.ServeHTTP(w, req)
	})
	p256dh, auth := r.keys()
	var tAlice, tBob string
	t.Run("first run", func(t *testing.T) {
		ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dir })
		ts.CreateUser(t, "alice", "user")
		ts.CreateUser(t, "bob", "user")
		tAlice, tBob = ts.Token(t, "alice", "read write push"), ts.Token(t, "bob", "read write")
		ts.JSON(t, "POST", "/api/v1/push/subscription", tAlice, map[string]any{
			"subscription": map[string]any{"endpoint": r.srv.URL + "/p", "keys": map[string]string{"p256dh": p256dh, "auth": auth}},
			"data":         map[string]any{"alerts": map[string]bool{"mention": true}},
		}, 200, nil)
		ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice hi"}, 200, nil)
		<-r.signal // in flight; the server stops at the end of this subtest
	})
	close(hold)
	ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dir })
	got := r.wait(1, 5*time.Second)
	if got[0]["notification_type"] != "mention" {
		t.Fatalf("push after restart: %v", got[0])
	}
	_ = ts
}

func urlValues(m map[string][]string) url.Values { return url.Values(m) }
