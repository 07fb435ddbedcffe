package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

type policyRules struct {
	AutomaticApproval []string `json:"automatic_approval"`
	ManualApproval    []string `json:"manual_approval"`
	Always            []string `json:"always"`
	WithApproval      []string `json:"with_approval"`
}

type policyJSON struct {
	CanFavourite policyRules `json:"can_favourite"`
	CanReply     policyRules `json:"can_reply"`
	CanReblog    policyRules `json:"can_reblog"`
	CanQuote     policyRules `json:"can_quote"`
}

type policyStatus struct {
	ID                string         `json:"id"`
	InteractionPolicy *policyJSON    `json:"interaction_policy"`
	QuoteApproval     map[string]any `json:"quote_approval"`
	Favourited        *bool          `json:"favourited"`
}

type requestJSON struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Account    map[string]any `json:"account"`
	Status     *policyStatus  `json:"status"`
	Reply      *policyStatus  `json:"reply"`
	AcceptedAt string         `json:"accepted_at"`
	RejectedAt string         `json:"rejected_at"`
	URI        string         `json:"uri"`
}

// The client API of interaction policies: a post's policy set (JSON and
// form) and shown; a clear 422 for what it denies; what needs approval
// listed in the author's interaction requests and answered there; the
// account's defaults.
func TestInteractionPoliciesHTTP(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "bob", "")
	ann := ts.Token(t, "ann", "read write follow")
	bob := ts.Token(t, "bob", "read write follow")

	// A JSON body, GoToSocial's shape: followers reply at once, others
	// with approval; nobody but ann boosts; Mastodon's quote policy.
	var post policyStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{
		"status": "who may answer?",
		"interaction_policy": map[string]any{
			"can_reply":  map[string]any{"automatic_approval": []string{"followers"}, "manual_approval": []string{"public"}},
			"can_reblog": map[string]any{"always": []string{"author"}},
		},
		"quote_approval_policy": "followers",
	}, 200, &post)
	p := post.InteractionPolicy
	if p == nil || strings.Join(p.CanReply.AutomaticApproval, ",") != "followers" || strings.Join(p.CanReply.ManualApproval, ",") != "public" ||
		strings.Join(p.CanReblog.Always, ",") != "author" || strings.Join(p.CanFavourite.AutomaticApproval, ",") != "public" ||
		strings.Join(p.CanQuote.AutomaticApproval, ",") != "followers" {
		t.Fatalf("policy: %+v", p)
	}
	// Its author may quote it.
	if post.QuoteApproval["current_user"] != "automatic" || len(post.QuoteApproval["automatic"].([]any)) != 1 {
		t.Fatalf("quote_approval: %v", post.QuoteApproval)
	}

	// Denied: a clear 422.
	status, _, body := ts.Do(t, "POST", "/api/v1/statuses/"+post.ID+"/reblog", bob, nil)
	if status != 422 || !strings.Contains(string(body), "does not allow you to boost") {
		t.Fatalf("boost of a post that allows none: %d %s", status, body)
	}
	// Needs approval: bob's reply is held, shown to bob only.
	var reply policyStatus
	ts.JSON(t, "POST", "/api/v1/statuses", bob, url.Values{"status": {"may I?"}, "in_reply_to_id": {post.ID}}, 200, &reply)
	var ctx struct {
		Descendants []policyStatus `json:"descendants"`
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+post.ID+"/context", ann, nil, 200, &ctx)
	if len(ctx.Descendants) != 0 {
		t.Fatalf("a held reply in the thread: %+v", ctx.Descendants)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+reply.ID, ann, nil, 404, nil)

	var reqs []requestJSON
	ts.JSON(t, "GET", "/api/v1/interaction_requests", ann, nil, 200, &reqs)
	if len(reqs) != 1 || reqs[0].Type != "reply" || reqs[0].Reply == nil || reqs[0].Reply.ID != reply.ID ||
		reqs[0].Status == nil || reqs[0].Status.ID != post.ID || reqs[0].Account["username"] != "bob" {
		t.Fatalf("interaction requests: %+v", reqs)
	}
	ts.JSON(t, "GET", "/api/v1/interaction_requests?replies=false", ann, nil, 200, &reqs)
	if len(reqs) != 0 {
		t.Fatalf("replies=false still lists %d", len(reqs))
	}
	ts.JSON(t, "GET", "/api/v1/interaction_requests", ann, nil, 200, &reqs)
	ts.JSON(t, "POST", "/api/v1/interaction_requests/"+reqs[0].ID+"/authorize", bob, nil, 404, nil)
	var answered requestJSON
	ts.JSON(t, "POST", "/api/v1/interaction_requests/"+reqs[0].ID+"/authorize", ann, nil, 200, &answered)
	if answered.AcceptedAt == "" || !strings.Contains(answered.URI, "/accepts/") {
		t.Fatalf("authorized: %+v", answered)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+post.ID+"/context", ann, nil, 200, &ctx)
	if len(ctx.Descendants) != 1 || ctx.Descendants[0].ID != reply.ID {
		t.Fatalf("the approved reply is not in the thread: %+v", ctx.Descendants)
	}

	// The post's policy changed later (Mastodon's PUT), and with an edit.
	var changed policyStatus
	ts.JSON(t, "PUT", "/api/v1/statuses/"+post.ID+"/interaction_policy", ann, url.Values{"quote_approval_policy": {"nobody"}}, 200, &changed)
	if q := changed.InteractionPolicy.CanQuote.AutomaticApproval; len(q) != 1 || q[0] != "author" || len(changed.QuoteApproval["automatic"].([]any)) != 0 {
		t.Fatalf("quote policy after PUT: %+v %v", changed.InteractionPolicy.CanQuote, changed.QuoteApproval)
	}
	ts.JSON(t, "PUT", "/api/v1/statuses/"+post.ID, ann, url.Values{"status": {"who may answer? (edited)"},
		"interaction_policy[can_reblog][automatic_approval][]": {"public"}}, 200, &changed)
	if r := changed.InteractionPolicy.CanReblog.AutomaticApproval; len(r) != 1 || r[0] != "public" ||
		changed.InteractionPolicy.CanReply.ManualApproval[0] != "public" {
		t.Fatalf("policy after an edit: %+v", changed.InteractionPolicy)
	}
	status, _, body = ts.Do(t, "POST", "/api/v1/statuses", ann, url.Values{"status": {"x"}, "interaction_policy[can_reply][always][]": {"friends"}})
	if status != 422 {
		t.Fatalf("a bad policy value: %d %s", status, body)
	}

	// Defaults: the instance's, then the account's own.
	var defs map[string]policyJSON
	ts.JSON(t, "GET", "/api/v1/interaction_policies/defaults", bob, nil, 200, &defs)
	if defs["public"].CanReply.AutomaticApproval[0] != "public" || defs["private"].CanReblog.AutomaticApproval[0] != "author" {
		t.Fatalf("defaults: %+v", defs)
	}
	ts.JSON(t, "PATCH", "/api/v1/interaction_policies/defaults", bob, map[string]any{
		"public": map[string]any{"can_reply": map[string]any{"always": []string{"urn:gts:mentioned"}, "with_approval": []string{"urn:gts:public"}}},
	}, 200, &defs)
	if r := defs["public"].CanReply; r.AutomaticApproval[0] != "mentioned" || r.ManualApproval[0] != "public" {
		t.Fatalf("defaults after PATCH: %+v", defs["public"])
	}
	var bobs policyStatus
	ts.JSON(t, "POST", "/api/v1/statuses", bob, url.Values{"status": {"my default"}}, 200, &bobs)
	if bobs.InteractionPolicy.CanReply.AutomaticApproval[0] != "mentioned" {
		t.Fatalf("bob's default not applied: %+v", bobs.InteractionPolicy)
	}
	// ann boosts it at once; her reply waits, listed for bob, who rejects it.
	var annReply policyStatus
	ts.JSON(t, "POST", "/api/v1/statuses/"+bobs.ID+"/reblog", ann, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", ann, url.Values{"status": {"hi"}, "in_reply_to_id": {bobs.ID}}, 200, &annReply)
	ts.JSON(t, "GET", "/api/v1/interaction_requests", bob, nil, 200, &reqs)
	if len(reqs) != 1 || reqs[0].Type != "reply" {
		t.Fatalf("bob's requests: %+v", reqs)
	}
	var rejected requestJSON
	ts.JSON(t, "POST", "/api/v1/interaction_requests/"+reqs[0].ID+"/reject", bob, nil, 200, &rejected)
	if rejected.RejectedAt == "" || rejected.Reply != nil {
		t.Fatalf("rejected: %+v", rejected)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+annReply.ID, ann, nil, 404, nil)

	// The entity stays a Mastodon Status.
	raw := map[string]any{}
	_, _, body = ts.Do(t, "GET", "/api/v1/statuses/"+post.ID, "", nil)
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "uri", "created_at", "account", "content", "visibility", "quote_approval", "quotes_count", "interaction_policy"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("status without %s", k)
		}
	}
}

// Mastodon 4.5's default quote policy: source[quote_policy] and the
// posting:default:quote_policy preference show the quote rule of the
// account's default for public posts; update_credentials sets it (for
// public and unlisted posts, the other rules kept), and new posts get it.
func TestQuotePolicySource(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ann := ts.Token(t, "ann", "read write")
	type creds struct {
		Source struct {
			QuotePolicy string `json:"quote_policy"`
		} `json:"source"`
	}
	quotePolicy := func() (string, string) {
		var c creds
		ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", ann, nil, 200, &c)
		var prefs map[string]any
		ts.JSON(t, "GET", "/api/v1/preferences", ann, nil, 200, &prefs)
		pref, _ := prefs["posting:default:quote_policy"].(string)
		return c.Source.QuotePolicy, pref
	}
	if src, pref := quotePolicy(); src != "nobody" || pref != "nobody" {
		t.Fatalf("instance default quote policy shown as %q / %q, want nobody", src, pref)
	}
	// GoToSocial's defaults: replies by followers only, for public posts.
	ts.JSON(t, "PATCH", "/api/v1/interaction_policies/defaults", ann, map[string]any{
		"public": map[string]any{"can_reply": map[string]any{"automatic_approval": []string{"followers"}}},
	}, 200, nil)

	var c creds
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", ann, url.Values{"source[quote_policy]": {"followers"}}, 200, &c)
	if c.Source.QuotePolicy != "followers" {
		t.Fatalf("source[quote_policy] after update: %q", c.Source.QuotePolicy)
	}
	if src, pref := quotePolicy(); src != "followers" || pref != "followers" {
		t.Fatalf("quote policy shown as %q / %q, want followers", src, pref)
	}
	var post policyStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, url.Values{"status": {"quotable by followers"}}, 200, &post)
	if p := post.InteractionPolicy; strings.Join(p.CanQuote.AutomaticApproval, ",") != "followers" ||
		strings.Join(p.CanReply.AutomaticApproval, ",") != "followers" {
		t.Fatalf("new post's policy: %+v", p)
	}
	status, _, body := ts.Do(t, "PATCH", "/api/v1/accounts/update_credentials", ann, url.Values{"source[quote_policy]": {"everyone"}})
	if status != 422 || !strings.Contains(string(body), "quote_policy") {
		t.Fatalf("bad quote policy: %d %s", status, body)
	}
	if src, _ := quotePolicy(); src != "followers" {
		t.Fatalf("a rejected update changed the quote policy to %q", src)
	}
}
