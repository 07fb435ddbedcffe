package activitypub

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// Outgoing HTTP: every request is signed (by a local account for its own
// deliveries, by the instance actor for fetches), goes through the guarded
// client (no private addresses unless allowed, ≤2 redirects, bounded
// bodies and time) and is refused for blocked domains.

// maxFetchBytes is the largest document accepted from a peer (Mastodon: 1 MiB).
const maxFetchBytes = 1 << 20

// acceptAS is the Accept header of ActivityPub fetches, as Mastodon sends it.
const acceptAS = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// userAgent names Herald and the instance, as peers' admins like to see.
func (f *Federation) userAgent() string {
	return "Herald/" + SoftwareVersion + " (+" + f.base + "/)"
}

func (f *Federation) newHTTPClient() *http.Client {
	return newGuardedClient(clientOptions{
		AllowPrivate: f.cfg.Federation.AllowPrivateAddresses,
		Timeout:      f.cfg.Federation.RequestTimeout.Duration,
		MaxBody:      maxFetchBytes,
		MaxRedirects: 2,
		UserAgent:    f.userAgent(),
		OnRedirect:   f.onRedirect,
		LookupIP:     f.lookupIP,
	})
}

// onRedirect applies the domain policy to every hop and re-signs fetches
// for the new URL (a signature covers (request-target) and host).
// Deliveries are never redirected.
func (f *Federation) onRedirect(req *http.Request, via []*http.Request) error {
	if via[0].Method != http.MethodGet && via[0].Method != http.MethodHead {
		return http.ErrUseLastResponse
	}
	if err := f.checkDomain(req.Context(), strings.ToLower(req.URL.Host)); err != nil {
		return err
	}
	if s, ok := req.Context().Value(signerCtxKey{}).(signer); ok {
		return httpsig.Sign(req, s.keyID, s.key, nil)
	}
	return nil
}

type signerCtxKey struct{}

type signer struct {
	keyID string
	key   *rsa.PrivateKey
}

// HTTPError is a peer's non-2xx answer.
type HTTPError struct {
	Status     int
	URL        string
	RetryAfter time.Duration
	Body       string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.URL, e.Status, strings.TrimSpace(e.Body))
}

// statusOf returns the HTTP status of an *HTTPError, or 0.
func statusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

// instanceSigner is the instance actor's signing identity.
func (f *Federation) instanceSigner(ctx context.Context) (signer, error) {
	k, _, err := f.instanceKey(ctx)
	if err != nil {
		return signer{}, err
	}
	return signer{keyID: f.InstanceActorURI() + "#main-key", key: k}, nil
}

// signedGet fetches rawURL signed by the instance actor. It returns the
// body, the final URL (after redirects) and the content type.
func (f *Federation) signedGet(ctx context.Context, rawURL, accept string) ([]byte, string, string, error) {
	if err := f.checkURL(ctx, rawURL); err != nil {
		return nil, "", "", err
	}
	s, err := f.instanceSigner(ctx)
	if err != nil {
		return nil, "", "", err
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, signerCtxKey{}, s), http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", "", err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", f.userAgent())
	if err := httpsig.Sign(req, s.keyID, s.key, nil); err != nil {
		return nil, "", "", err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, "", "", err
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, maxFetchBytes)
	if err != nil {
		return nil, "", "", fmt.Errorf("read %s: %w", rawURL, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", "", &HTTPError{Status: resp.StatusCode, URL: rawURL, Body: truncateString(string(body), 200)}
	}
	return body, resp.Request.URL.String(), resp.Header.Get("Content-Type"), nil
}

// post delivers body to inbox signed by s.
func (f *Federation) post(ctx context.Context, inbox string, body []byte, s signer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Accept", acceptAS)
	req.Header.Set("User-Agent", f.userAgent())
	if err := httpsig.Sign(req, s.keyID, s.key, body); err != nil {
		return err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := readLimited(resp.Body, 4096)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	he := &HTTPError{Status: resp.StatusCode, URL: inbox, Body: truncateString(string(msg), 200)}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		he.RetryAfter = parseRetryAfter(ra, time.Now())
	}
	return he
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// validASContentType reports a media type Mastodon accepts for an
// ActivityPub document; plain application/json is tolerated as well
// (several servers answer with it).
func validASContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	// application/ld+json is accepted with or without the ActivityStreams
	// profile: older Pleroma omits it.
	return mt == "application/activity+json" || mt == "application/ld+json" || mt == "application/json"
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
