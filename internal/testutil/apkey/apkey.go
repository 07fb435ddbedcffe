// Package apkey fetches the public key of an actor for tests that play a
// remote server verifying Herald's HTTP signatures: a plain GET of the
// key's document on loopback (tests only; Herald's own fetches go through
// netguard and its key cache).
package apkey

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/herald-social/herald/activitypub"
	"github.com/herald-social/herald/activitypub/httpsig"
)

// Fetch gets the document keyID names (without its fragment) and returns
// the key with that id.
func Fetch(ctx context.Context, keyID string) (*rsa.PublicKey, error) {
	doc, _, _ := strings.Cut(keyID, "#")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, doc, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	o, err := activitypub.Decode(body)
	if err != nil {
		return nil, err
	}
	k, ok := o.PublicKey.Find(keyID)
	if !ok {
		return nil, fmt.Errorf("%s lists no key %s", doc, keyID)
	}
	return httpsig.ParsePublicKeyPEM(k.PublicKeyPem)
}
