package cli_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub"
	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/internal/testutil/apkey"
)

// fakeFediverse is a remote server for tests of the real binary: it serves
// any number of actors (/users/NAME, all with one key) and notes, and its
// inboxes are a sink that verifies every delivery's HTTP signature with
// httpsig and records the activities by id (at-least-once delivery means
// duplicates are expected: receivers dedupe by id, as this one does).
type fakeFediverse struct {
	t      testing.TB
	URL    string // http://127.0.0.1:PORT
	key    *rsa.PrivateKey
	pubPEM string
	srv    *http.Server

	mu       sync.Mutex
	notes    map[string][]byte                 // path → JSON
	received map[string]*activitypub.Object    // activity id → activity
	dupes    int                               // deliveries of an id already received
	refused  int                               // deliveries whose signature failed
	keys     map[string]*rsa.PublicKey         // keyId → key, fetched from Herald
	bodies   map[string]string                 // activity id → raw JSON
	signedBy map[string]string                 // activity id → keyId that verified its first delivery
	firstAt  map[string]time.Time              // activity id → when it first arrived
	onDeliv  func(*activitypub.Object, []byte) // optional hook
}

var remoteKey struct {
	once sync.Once
	key  *rsa.PrivateKey
}

func newFakeFediverse(t testing.TB) *fakeFediverse {
	t.Helper()
	remoteKey.once.Do(func() {
		k, err := httpsig.GenerateKey(2048)
		if err != nil {
			panic(err)
		}
		remoteKey.key = k
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFediverse{t: t, URL: "http://" + ln.Addr().String(), key: remoteKey.key,
		notes: map[string][]byte{}, received: map[string]*activitypub.Object{}, keys: map[string]*rsa.PublicKey{}, bodies: map[string]string{},
		signedBy: map[string]string{}, firstAt: map[string]time.Time{}}
	f.pubPEM, _ = httpsig.EncodePublicKeyPEM(&f.key.PublicKey)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(f.actorDoc(r.PathValue("name")))
	})
	mux.HandleFunc("GET /notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		b, ok := f.notes[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(b)
	})
	mux.HandleFunc("POST /users/{name}/inbox", f.inbox)
	mux.HandleFunc("POST /inbox", f.inbox)
	f.srv = &http.Server{Handler: mux}
	go f.srv.Serve(ln)
	t.Cleanup(func() { f.srv.Close() })
	return f
}

func (f *fakeFediverse) Host() string { return strings.TrimPrefix(f.URL, "http://") }

func (f *fakeFediverse) Actor(name string) string { return f.URL + "/users/" + name }

func (f *fakeFediverse) actorDoc(name string) map[string]any {
	id := f.Actor(name)
	return map[string]any{
		"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": name,
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"followers":         id + "/followers",
		"endpoints":         map[string]string{"sharedInbox": f.URL + "/inbox"},
		"publicKey":         map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": f.pubPEM},
	}
}

// PrefetchKeys fetches the keys of Herald's actors once, while the server
// is known to be up, so that verifying deliveries never depends on Herald
// answering at that moment (it may have been killed in between).
func (f *fakeFediverse) PrefetchKeys(actors ...string) {
	f.t.Helper()
	for _, a := range actors {
		for _, keyID := range []string{a + "#main-key"} {
			if _, err := f.resolve(context.Background(), keyID, true); err != nil {
				f.t.Fatalf("prefetch key %s: %v", keyID, err)
			}
		}
	}
}

func (f *fakeFediverse) resolve(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, error) {
	f.mu.Lock()
	k, ok := f.keys[keyID]
	f.mu.Unlock()
	if ok {
		return k, nil
	}
	key, err := apkey.Fetch(ctx, keyID)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.keys[keyID] = key
	f.mu.Unlock()
	return key, nil
}

func (f *fakeFediverse) inbox(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	v, err := httpsig.Verify(r.Context(), r, body, f.resolve, time.Time{})
	if err != nil {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		f.t.Logf("sink: signature refused: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	act, err := activitypub.Decode(body)
	if err != nil || act.ID == "" {
		http.Error(w, "not an activity", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	if _, seen := f.received[string(act.ID)]; seen {
		f.dupes++
	} else {
		f.received[string(act.ID)] = act
		f.bodies[string(act.ID)] = string(body)
		f.signedBy[string(act.ID)] = v.KeyID
		f.firstAt[string(act.ID)] = time.Now()
	}
	hook := f.onDeliv
	f.mu.Unlock()
	if hook != nil {
		hook(act, body)
	}
	w.WriteHeader(http.StatusAccepted)
}

// Received returns the distinct activities received so far.
func (f *fakeFediverse) Received() []*activitypub.Object {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*activitypub.Object, 0, len(f.received))
	for _, a := range f.received {
		out = append(out, a)
	}
	return out
}

// Arrival tells whether the activity id arrived, when it first did, and
// the keyId whose key verified that delivery's signature (the sink
// verifies with keys it fetched from Herald while the actor existed:
// PrefetchKeys).
func (f *fakeFediverse) Arrival(id string) (at time.Time, keyID string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at, ok = f.firstAt[id]
	return at, f.signedBy[id], ok
}

// AddNote serves a note by actor at /notes/ID and returns its JSON object.
func (f *fakeFediverse) AddNote(actor, id, content string, to, cc []string, tags []map[string]any) map[string]any {
	note := map[string]any{
		"@context":     "https://www.w3.org/ns/activitystreams",
		"id":           f.URL + "/notes/" + id,
		"type":         "Note",
		"attributedTo": f.Actor(actor),
		"content":      content,
		"published":    time.Now().UTC().Format(time.RFC3339),
		"to":           to,
		"cc":           cc,
		"tag":          tags,
	}
	b, _ := json.Marshal(note)
	f.mu.Lock()
	f.notes["/notes/"+id] = b
	f.mu.Unlock()
	return note
}

// Send POSTs an activity signed by the named actor to url; it returns the
// status (0 when the request failed, e.g. the server is down).
func (f *fakeFediverse) Send(url, actor string, activity map[string]any) int {
	body, _ := json.Marshal(activity)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, f.Actor(actor)+"#main-key", f.key, body); err != nil {
		f.t.Errorf("sign: %v", err)
		return 0
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// httpClient gives up quickly: the server under test may be killed.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// --- a Herald process that the test can kill ---

type heraldProc struct {
	t    testing.TB
	dir  string
	cfg  string
	base string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeTestConfig writes a config for a loopback instance on port, with
// the abuse limits out of the way, and returns its path.
func writeTestConfig(t testing.TB, dir string, port int, extra string) string {
	t.Helper()
	p := filepath.Join(dir, "config.toml")
	err := os.WriteFile(p, []byte(fmt.Sprintf(`[instance]
domain = "localhost:%d"
protocol = "http"
[server]
listen = "127.0.0.1:%d"
[storage]
data_dir = "data"
[federation]
allow_private_addresses = true
request_timeout = "5s"
[limits]
sign_in_per_minute = 100000
api_per_5_minutes = 1000000
api_per_ip_per_5_minutes = 1000000
sign_up_per_5_minutes = 1000000
inbox_per_domain_per_minute = 1000000
%s`, port, port, extra)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// start runs `herald serve`; it returns without waiting for readiness.
func (h *heraldProc) start() {
	h.t.Helper()
	h.cmd = exec.Command(herald, "serve", "--config", h.cfg, "--init")
	h.cmd.Dir = h.dir
	h.cmd.Env = os.Environ()
	h.log = &syncBuffer{}
	h.cmd.Stdout, h.cmd.Stderr = h.log, h.log
	if err := h.cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.done = make(chan error, 1)
	cmd, done := h.cmd, h.done
	go func() { done <- cmd.Wait() }()
}

// waitReady polls the instance endpoint until it answers.
func (h *heraldProc) waitReady() {
	h.t.Helper()
	defer func() {
		if h.t.Failed() {
			h.t.Logf("herald's log: %s", h.log.String())
		}
	}()
	testutil.Eventually(h.t, 30*time.Second, "herald ready", func() bool {
		resp, err := httpClient.Get(h.base + "/api/v1/instance")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return true
			}
		}
		select {
		case err := <-h.done:
			h.t.Fatalf("herald exited before it was ready (%v): %s", err, h.log.String())
		default:
		}
		return false
	})
}

// kill sends SIGKILL and waits for the process to be gone.
func (h *heraldProc) kill() {
	h.t.Helper()
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.t.Fatal("herald survived SIGKILL for 10 s")
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (h *heraldProc) stop() {
	h.t.Helper()
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Fatalf("herald exited with %v on SIGTERM: %s", err, h.log.String())
		}
	case <-time.After(20 * time.Second):
		h.t.Fatal("herald did not stop on SIGTERM within 20 s")
	}
}

// api calls the client API; it returns 0 when the server did not answer.
func (h *heraldProc) api(method, path, token string, body any, out any, hdr ...string) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		return 0
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -resp.StatusCode // answered, but the body was cut
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			return -resp.StatusCode
		}
	}
	return resp.StatusCode
}
