package httpsig_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// Both benchmarks use a 2048-bit key (what actors use) and a 1 KiB body.
var benchBody = bytes.Repeat([]byte("x"), 1024)

func BenchmarkSign(b *testing.B) {
	key, _ := testKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "https://peer.example/users/bob/inbox", bytes.NewReader(benchBody))
		if err := httpsig.Sign(req, testKeyID, key, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	key, _ := testKeys(b)
	out, _ := http.NewRequest(http.MethodPost, "https://herald.example/users/alice/inbox", bytes.NewReader(benchBody))
	if err := httpsig.Sign(out, testKeyID, key, benchBody); err != nil {
		b.Fatal(err)
	}
	// The request as an inbox handler sees it.
	in := httptest.NewRequest(http.MethodPost, "/users/alice/inbox", bytes.NewReader(benchBody))
	in.Host = "herald.example"
	for _, h := range []string{"Date", "Digest", "Signature"} {
		in.Header.Set(h, out.Header.Get(h))
	}
	res := &staticResolver{key: &key.PublicKey}
	now := time.Now()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := httpsig.Verify(ctx, in, benchBody, res.resolve, now); err != nil {
			b.Fatal(err)
		}
	}
}
