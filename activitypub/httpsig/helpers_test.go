package httpsig_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// received is a request as a Go server saw it, with its raw body.
type received struct {
	req  *http.Request
	body []byte
}

// captureServer is a real loopback HTTP server that hands every request it
// receives back to the test, so Verify runs on server-side requests exactly
// as an inbox handler would see them.
type captureServer struct {
	*httptest.Server
	got chan received
}

func newCaptureServer(t testing.TB) *captureServer {
	t.Helper()
	cs := &captureServer{got: make(chan received, 1)}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		cs.got <- received{req: r.Clone(context.Background()), body: body}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(cs.Close)
	return cs
}

// send performs req against the server and returns what the server received.
func (cs *captureServer) send(t testing.TB, req *http.Request) received {
	t.Helper()
	resp, err := cs.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	resp.Body.Close()
	return <-cs.got
}

// Test keys are generated once: 2048-bit generation is slow.
var (
	keysOnce   sync.Once
	keyA, keyB *rsa.PrivateKey
)

func testKeys(t testing.TB) (a, b *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		for _, k := range []**rsa.PrivateKey{&keyA, &keyB} {
			if *k, err = httpsig.GenerateKey(2048); err != nil {
				panic(err)
			}
		}
	})
	return keyA, keyB
}

// staticResolver always returns key and counts its calls.
type staticResolver struct {
	key            *rsa.PublicKey
	calls, refresh atomic.Int32
}

func (s *staticResolver) resolve(_ context.Context, _ string, refresh bool) (*rsa.PublicKey, error) {
	s.calls.Add(1)
	if refresh {
		s.refresh.Add(1)
	}
	return s.key, nil
}

func nopBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// setSignatureParam replaces (or appends) one quoted parameter in req's
// Signature header without re-signing, to build invalid requests.
func setSignatureParam(t testing.TB, req *http.Request, name, value string) {
	t.Helper()
	h := req.Header.Get("Signature")
	re := regexp.MustCompile(name + `="[^"]*"`)
	repl := fmt.Sprintf(`%s="%s"`, name, value)
	if re.MatchString(h) {
		h = re.ReplaceAllLiteralString(h, repl)
	} else {
		h += "," + repl
	}
	req.Header.Set("Signature", h)
}
