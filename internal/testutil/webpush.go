package testutil

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/hkdf"
)

// PushReceiver is a Web Push service and user agent in one, on loopback:
// it keeps a subscription's private key and auth secret, checks the VAPID
// signature of every push (RFC 8292) and decrypts it (RFC 8291), and keeps
// the JSON payloads. A request whose body was cut (the sender died) is
// answered 400 and otherwise ignored; any other malformed push fails the
// test.
type PushReceiver struct {
	// Server is the push service; tests may wrap Server.Config.Handler.
	Server *httptest.Server
	// Signal gets a value after each request is answered (dropped when
	// the buffer is full: nobody needs to read it).
	Signal chan struct{}

	t    testing.TB
	priv *ecdh.PrivateKey
	auth []byte

	mu      sync.Mutex
	got     []map[string]any
	vapid   []string // k= of each push kept
	answers []int    // answers to give, in order (then 201)
	calls   int
	paths   []string // the path of each request, in order
}

// NewPushReceiver starts a receiver with fresh P-256 keys; it stops with
// the test.
func NewPushReceiver(t testing.TB) *PushReceiver {
	t.Helper()
	r := &PushReceiver{t: t, Signal: make(chan struct{}, 16)}
	var err error
	if r.priv, err = ecdh.P256().GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	r.auth = make([]byte, 16)
	rand.Read(r.auth)
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Server.Close)
	return r
}

// URL is the push service's base URL (endpoints are paths under it).
func (r *PushReceiver) URL() string { return r.Server.URL }

// Keys are the subscription's keys as a client sends them.
func (r *PushReceiver) Keys() (p256dh, auth string) {
	return base64.RawURLEncoding.EncodeToString(r.priv.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(r.auth)
}

// Answer makes the next requests answer these statuses, in order, without
// looking at them (then 201 again).
func (r *PushReceiver) Answer(codes ...int) {
	r.mu.Lock()
	r.answers = append(r.answers, codes...)
	r.mu.Unlock()
}

// Calls counts the requests so far, whatever their answer.
func (r *PushReceiver) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// Paths lists the path of each request so far, in order.
func (r *PushReceiver) Paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...)
}

// Payloads lists the decrypted payloads so far, in order of arrival.
func (r *PushReceiver) Payloads() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.got...)
}

// VAPIDKeys lists the k= of each push kept (as Payloads).
func (r *PushReceiver) VAPIDKeys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.vapid...)
}

// Wait returns the payloads once there are at least n, and fails the test
// if there are fewer after d.
func (r *PushReceiver) Wait(n int, d time.Duration) []map[string]any {
	r.t.Helper()
	deadline := time.After(d)
	for {
		if got := r.Payloads(); len(got) >= n {
			return got
		}
		select {
		case <-r.Signal:
		case <-deadline:
			r.t.Fatalf("got %d pushes within %v, want %d", len(r.Payloads()), d, n)
		}
	}
}

func (r *PushReceiver) signal() {
	select {
	case r.Signal <- struct{}{}:
	default:
	}
}

func (r *PushReceiver) serve(w http.ResponseWriter, req *http.Request) {
	defer r.signal()
	r.mu.Lock()
	r.calls++
	r.paths = append(r.paths, req.URL.Path)
	var answer int
	if len(r.answers) > 0 {
		answer, r.answers = r.answers[0], r.answers[1:]
	}
	r.mu.Unlock()
	body, err := io.ReadAll(req.Body)
	if answer != 0 {
		w.WriteHeader(answer)
		return
	}
	if err != nil {
		// The sender went away mid-request (a test killed it).
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if req.Header.Get("Content-Encoding") != "aes128gcm" || req.Header.Get("TTL") == "" {
		r.t.Errorf("push headers: %v", req.Header)
	}
	k, err := VerifyVAPID(req.Header.Get("Authorization"), "http://"+req.Host)
	if err != nil {
		r.t.Errorf("VAPID: %v", err)
	}
	plain, err := DecryptPush(r.priv, r.auth, body)
	if err != nil {
		r.t.Errorf("decrypt: %v", err)
		w.WriteHeader(http.StatusBadRequest)
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
}

// DecryptPush is RFC 8291 section 3 (and RFC 8188 aes128gcm, one record):
// the plaintext of a push to the user agent key ua with authSecret.
func DecryptPush(ua *ecdh.PrivateKey, authSecret, body []byte) ([]byte, error) {
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

// VerifyVAPID checks "vapid t=<jwt>, k=<key>": an ES256 JWT signed by k
// for the endpoint's origin (audience). It returns k.
func VerifyVAPID(h, audience string) (string, error) {
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
