package api_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// mastodonPyQuoteScript quotes a post from Mastodon.py (its quote_id, in
// the Fedibird feature set it offers quotes in), reads the quote back,
// lists the quoted post's quotes and revokes the quote as its author.
const mastodonPyQuoteScript = `
import json, sys
from mastodon import Mastodon
base, quoter, author, quoted = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
kw = dict(api_base_url=base, version_check_mode="none", mastodon_version="4.3.0", request_timeout=15)
bob = Mastodon(access_token=quoter, feature_set="fedibird", **kw)
ann = Mastodon(access_token=author, **kw)
st = bob.status_post("quoting from Mastodon.py", quote_id=quoted)
again = bob.status(st["id"])
orig = ann.status(quoted)
quotes = ann._Mastodon__api_request("GET", "/api/v1/statuses/%s/quotes" % quoted)
revoked = ann._Mastodon__api_request("POST", "/api/v1/statuses/%s/quotes/%s/revoke" % (quoted, st["id"]))
print(json.dumps({"id": str(st["id"]), "state": again["quote"]["state"],
    "quoted_id": str(again["quote"]["quoted_status"]["id"]), "quotes_count": orig["quotes_count"],
    "current_user": orig["quote_approval"]["current_user"],
    "quotes": [str(q["id"]) for q in quotes], "revoked": revoked["quote"]["state"]}, default=str))
`

// TestMastodonPyQuotes quotes a post from a real client, Mastodon.py.
func TestMastodonPyQuotes(t *testing.T) {
	py := ""
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import mastodon").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("python3 with the mastodon module is not installed")
	}
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "bob", "")
	ann := ts.Token(t, "ann", "read write")
	bob := ts.Token(t, "bob", "read write")
	var orig quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "quote me", "quote_approval_policy": "public"}, 200, &orig)

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", mastodonPyQuoteScript, ts.URL, bob, ann, orig.ID)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("Mastodon.py: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var got struct {
		ID          string   `json:"id"`
		State       string   `json:"state"`
		QuotedID    string   `json:"quoted_id"`
		QuotesCount int64    `json:"quotes_count"`
		CurrentUser string   `json:"current_user"`
		Quotes      []string `json:"quotes"`
		Revoked     string   `json:"revoked"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if got.State != "accepted" || got.QuotedID != orig.ID || got.QuotesCount != 1 || got.CurrentUser != "automatic" ||
		len(got.Quotes) != 1 || got.Quotes[0] != got.ID || got.Revoked != "revoked" {
		t.Fatalf("Mastodon.py saw %+v", got)
	}
}

// mastoJSQuoteScript quotes a post from masto.js (Mastodon 4.5's
// quotedStatusId) and reads the quote, the count and the list back in
// its camel-cased entities.
const mastoJSQuoteScript = `
const path = require("node:path"), os = require("node:os");
const dir = process.env.HERALD_CLIENTS_DIR || path.join(os.homedir(), ".cache", "herald-clients");
const { createRequire } = require("node:module");
const req = createRequire(path.join(dir, "package.json"));
(async () => {
  const { createRestAPIClient } = await import(req.resolve("masto"));
  const [base, quoter, author, quoted] = process.argv.slice(1);
  const bob = createRestAPIClient({ url: base, accessToken: quoter });
  const ann = createRestAPIClient({ url: base, accessToken: author });
  const st = await bob.v1.statuses.create({ status: "quoting from masto.js", quotedStatusId: quoted, quoteApprovalPolicy: "nobody" });
  const orig = await ann.v1.statuses.$select(quoted).fetch();
  const quotes = await ann.v1.statuses.$select(quoted).quotes.list();
  console.log(JSON.stringify({ state: st.quote && st.quote.state, quotedId: st.quote && st.quote.quotedStatus && st.quote.quotedStatus.id,
    quotesCount: orig.quotesCount, quotes: quotes.map((q) => q.id), id: st.id, own: st.quoteApproval.currentUser,
    automatic: st.quoteApproval.automatic }));
})().catch((e) => { console.error(e); process.exit(1); });
`

// TestMastoJSQuotes quotes a post from a real client, masto.js.
func TestMastoJSQuotes(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if exec.Command(node, "-e", mastoJSProbe).Run() != nil {
		t.Skip("masto.js is not installed (clients/install.sh)")
	}
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "bob", "")
	ann := ts.Token(t, "ann", "read write")
	bob := ts.Token(t, "bob", "read write")
	var orig quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "quote me", "quote_approval_policy": "public"}, 200, &orig)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, "-e", mastoJSQuoteScript, ts.URL, bob, ann, orig.ID)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("masto.js: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var got struct {
		ID          string   `json:"id"`
		State       string   `json:"state"`
		QuotedID    string   `json:"quotedId"`
		QuotesCount int64    `json:"quotesCount"`
		Quotes      []string `json:"quotes"`
		Own         string   `json:"own"`
		Automatic   []string `json:"automatic"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if got.State != "accepted" || got.QuotedID != orig.ID || got.QuotesCount != 1 || len(got.Quotes) != 1 || got.Quotes[0] != got.ID ||
		got.Own != "automatic" || len(got.Automatic) != 0 {
		t.Fatalf("masto.js saw %+v", got)
	}
}

const mastoJSProbe = `
const path = require("node:path"), os = require("node:os");
const dir = process.env.HERALD_CLIENTS_DIR || path.join(os.homedir(), ".cache", "herald-clients");
require("node:module").createRequire(path.join(dir, "package.json")).resolve("masto");
`
