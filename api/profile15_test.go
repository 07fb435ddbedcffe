package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestUpdateCredentialsKeepsCollectionsAndAttribution: hide_collections
// and attribution_domains[] are stored (they were answered and dropped),
// shown in the credential account and the account entity, and applied:
// others get empty followers/following lists and ActivityPub collections
// with their totals only; the actor publishes attributionDomains. masto.js
// sets them with a JSON body, Mastodon.py with a form.
func TestUpdateCredentialsKeepsCollectionsAndAttribution(t *testing.T) {
	ts := server.StartTest(t)
	ann := ts.CreateUser(t, "ann", "")
	ben := ts.CreateUser(t, "ben", "")
	annTok, benTok := ts.Token(t, "ann", "read write follow"), ts.Token(t, "ben", "read write follow")
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", ann.ID), benTok, nil, 200, nil)

	var js struct {
		Hide    bool     `json:"hide"`
		Domains []string `json:"domains"`
		Quote   string   `json:"quote"`
	}
	runMastoJS(t, `
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
const [dir, base, tok] = process.argv.slice(2);
const require = createRequire(path.join(dir, "package.json"));
const { createRestAPIClient } = await import(pathToFileURL(require.resolve("masto")).href);
const c = createRestAPIClient({ url: base, accessToken: tok });
const me = await c.v1.accounts.updateCredentials({ hideCollections: true, attributionDomains: ["News.example.org", "https://blog.example.net/"], source: { quotePolicy: "followers" } });
console.log(JSON.stringify({ hide: me.source.hideCollections, domains: me.source.attributionDomains, quote: me.source.quotePolicy }));
`, &js, ts.URL, annTok)
	if !js.Hide || !slices.Equal(js.Domains, []string{"news.example.org", "blog.example.net"}) || js.Quote != "followers" {
		t.Fatalf("masto.js update_credentials: %+v", js)
	}
	// Kept: verify_credentials and the public account say so.
	var me struct {
		HideCollections bool `json:"hide_collections"`
		Source          struct {
			HideCollections    bool     `json:"hide_collections"`
			AttributionDomains []string `json:"attribution_domains"`
			QuotePolicy        string   `json:"quote_policy"`
		} `json:"source"`
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", annTok, nil, 200, &me)
	if !me.HideCollections || !me.Source.HideCollections || len(me.Source.AttributionDomains) != 2 || me.Source.QuotePolicy != "followers" {
		t.Fatalf("verify_credentials: %+v", me)
	}
	var pub struct {
		HideCollections bool  `json:"hide_collections"`
		FollowersCount  int64 `json:"followers_count"`
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d", ann.ID), benTok, nil, 200, &pub)
	if !pub.HideCollections || pub.FollowersCount != 1 {
		t.Fatalf("account entity: %+v", pub)
	}
	// Applied: others see empty lists, the owner sees hers.
	var list []struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/followers", ann.ID), benTok, nil, 200, &list)
	if len(list) != 0 {
		t.Errorf("followers shown to another: %+v", list)
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/followers", ann.ID), annTok, nil, 200, &list)
	if len(list) != 1 {
		t.Errorf("followers shown to the owner: %+v", list)
	}
	code, b := apGet(t, ann.URI+"/followers", ben)
	var coll map[string]any
	_ = json.Unmarshal(b, &coll)
	if code != 200 || coll["totalItems"] != float64(1) || coll["first"] != nil {
		t.Errorf("ActivityPub followers: %d %s", code, b)
	}
	if code, _ := apGet(t, ann.URI+"/followers?page=true", ben); code != 403 {
		t.Errorf("ActivityPub followers page: %d", code)
	}
	code, b = apGet(t, ann.URI, ben)
	var actor struct {
		AttributionDomains []string `json:"attributionDomains"`
	}
	if err := json.Unmarshal(b, &actor); err != nil || code != 200 || !slices.Equal(actor.AttributionDomains, []string{"news.example.org", "blog.example.net"}) {
		t.Errorf("actor: %d %s", code, b)
	}
	// A bad domain or too many: 422, nothing changed.
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", annTok, map[string]any{"attribution_domains": []string{"not a domain"}}, 422, nil)
	many := []string{}
	for i := range 11 {
		many = append(many, fmt.Sprintf("d%d.example.org", i))
	}
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", annTok, map[string]any{"attribution_domains": many}, 422, nil)

	// A form, as most apps send it (this Mastodon.py and go-mastodon do not
	// know these fields): shown again, the domains cleared.
	var again struct {
		Source struct {
			HideCollections    bool     `json:"hide_collections"`
			AttributionDomains []string `json:"attribution_domains"`
		} `json:"source"`
	}
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", annTok,
		url.Values{"hide_collections": {"false"}, "attribution_domains[]": {""}}, 200, &again)
	if again.Source.HideCollections || again.Source.AttributionDomains == nil || len(again.Source.AttributionDomains) != 0 {
		t.Fatalf("form update_credentials: %+v", again)
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/followers", ann.ID), benTok, nil, 200, &list)
	if len(list) != 1 {
		t.Errorf("followers shown again: %+v", list)
	}
}
