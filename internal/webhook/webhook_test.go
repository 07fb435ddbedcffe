package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/internal/webhook"
)

// receiver is a webhook endpoint: it checks the signature of every request
// with the secret it is told, keeps what it received, and answers with
// what answer says (200 when nil).
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	secret string
	got    []delivery
	answer func(n int) int // n: the request's number, from 1
	// hold, when set, is waited on before answering request n == holdAt.
	hold   chan struct{}
	holdAt int
}

// delivery is one request a receiver got.
type delivery struct {
	Event     string
	CreatedAt string
	Object    map[string]any
	SignedOK  bool
	Type      string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	m := hmac.New(sha256.New, []byte(r.secret))
	m.Write(body)
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	var ev struct {
		Event     string         `json:"event"`
		CreatedAt string         `json:"created_at"`
		Object    map[string]any `json:"object"`
	}
	_ = json.Unmarshal(body, &ev)
	r.got = append(r.got, delivery{Event: ev.Event, CreatedAt: ev.CreatedAt, Object: ev.Object,
		SignedOK: hmac.Equal([]byte(req.Header.Get("X-Hub-Signature")), []byte(want)), Type: req.Header.Get("Content-Type")})
	n := len(r.got)
	code := 200
	if r.answer != nil {
		code = r.answer(n)
	}
	hold := r.hold
	if n != r.holdAt {
		hold = nil
	}
	r.mu.Unlock()
	if hold != nil {
		<-hold
	}
	w.WriteHeader(code)
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) received() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// webhookJSON is the admin API's webhook.
type webhookJSON struct {
	ID      string   `json:"id"`
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Enabled bool     `json:"enabled"`
	Secret  string   `json:"secret"`
}

type deliveryJSON struct {
	ID         string `json:"id"`
	Event      string `json:"event"`
	ObjectID   string `json:"object_id"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	StatusCode *int   `json:"status_code"`
	LastError  string `json:"last_error"`
}

func deliveries(t *testing.T, ts *server.TestServer, tok, webhookID string) []deliveryJSON {
	t.Helper()
	var out []deliveryJSON
	ts.JSON(t, "GET", "/api/v1/admin/webhooks/"+webhookID+"/deliveries", tok, nil, 200, &out)
	return out
}

// fastRetries makes the first retry come after 20 ms for the servers the
// test starts afterwards.
func fastRetries(t *testing.T) {
	webhook.BaseBackoff = 20 * time.Millisecond
	t.Cleanup(func() { webhook.BaseBackoff = 10 * time.Second })
}

func drained(t *testing.T, ts *server.TestServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Drained(ctx, "webhook"); err != nil {
		t.Fatalf("webhook jobs not drained: %v", err)
	}
}

// TestWebhooksSendEveryEventSigned: a webhook subscribed to every event
// receives each one once it happens, with the object Mastodon sends
// (Admin::Account, Admin::Report, Status), signed with its secret; after
// the secret is rotated, with the new one. The delivery log shows each
// delivered at the first attempt. A disabled webhook gets nothing.
func TestWebhooksSendEveryEventSigned(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "bob", "user")
	owner := ts.Token(t, "owner1", "read write admin:read admin:write")
	rcv, off := newReceiver(t), newReceiver(t)

	var wh, disabled webhookJSON
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", owner, map[string]any{"url": rcv.srv.URL + "/hook?token=abc", "events": core.WebhookEvents}, 200, &wh)
	if len(wh.Secret) != 40 || !wh.Enabled || len(wh.Events) != len(core.WebhookEvents) {
		t.Fatalf("created webhook: %+v", wh)
	}
	rcv.setSecret(wh.Secret)
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", owner, map[string]any{"url": off.srv.URL, "events": core.WebhookEvents}, 200, &disabled)
	ts.JSON(t, "POST", "/api/v1/admin/webhooks/"+disabled.ID+"/disable", owner, nil, 200, &disabled)
	if disabled.Enabled {
		t.Fatal("disable: still enabled")
	}

	// account.created and account.approved: made usable at once, and
	// made pending then approved by a moderator.
	alice := ts.CreateUser(t, "alice", "user")
	carol, _, err := ts.Srv.Svc.CreateLocalAccount(context.Background(), core.NewAccountParams{Username: "carol",
		Email: "carol@example.org", Password: server.TestPassword, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/approve", carol.ID), owner, nil, 200, nil)
	drained(t, ts)

	// The secret rotated: what follows is signed with the new one.
	var rotated webhookJSON
	ts.JSON(t, "POST", "/api/v1/admin/webhooks/"+wh.ID+"/rotate_secret", owner, nil, 200, &rotated)
	if rotated.Secret == wh.Secret || len(rotated.Secret) != 40 {
		t.Fatalf("rotated secret: %q (was %q)", rotated.Secret, wh.Secret)
	}
	rcv.setSecret(rotated.Secret)

	aliceTok := ts.Token(t, "alice", "read write")
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", aliceTok, map[string]any{"display_name": "Alice A."}, 200, nil)
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": "first post", "visibility": "private"}, 200, &st)
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, aliceTok, map[string]any{"status": "first post, edited"}, 200, nil)
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", ts.Token(t, "bob", "write:reports"), map[string]any{"account_id": fmt.Sprint(alice.ID),
		"comment": "spam"}, 200, &rep)
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/resolve", owner, nil, 200, nil)
	drained(t, ts)

	got := rcv.received()
	type key struct{ event, id string }
	want := []key{
		{"account.created", fmt.Sprint(alice.ID)}, {"account.approved", fmt.Sprint(alice.ID)},
		{"account.created", fmt.Sprint(carol.ID)}, {"account.approved", fmt.Sprint(carol.ID)},
		{"account.updated", fmt.Sprint(alice.ID)},
		{"status.created", st.ID}, {"status.updated", st.ID},
		{"report.created", rep.ID}, {"report.updated", rep.ID},
	}
	var have []key
	for _, d := range got {
		if !d.SignedOK {
			t.Errorf("%s: bad X-Hub-Signature", d.Event)
		}
		if d.Type != "application/json" {
			t.Errorf("%s: Content-Type %q", d.Event, d.Type)
		}
		if _, err := time.Parse(time.RFC3339, d.CreatedAt); err != nil {
			t.Errorf("%s: created_at %q", d.Event, d.CreatedAt)
		}
		id, _ := d.Object["id"].(string)
		have = append(have, key{d.Event, id})
		switch strings.SplitN(d.Event, ".", 2)[0] {
		case "account": // Admin::Account
			acc, _ := d.Object["account"].(map[string]any)
			if d.Object["username"] == nil || acc["acct"] != d.Object["username"] || d.Object["email"] == nil {
				t.Errorf("%s: not an Admin::Account: %v", d.Event, d.Object)
			}
			if d.Event == "account.updated" && acc["display_name"] != "Alice A." {
				t.Errorf("account.updated: display_name %v", acc["display_name"])
			}
		case "status": // Status, whatever its visibility
			if d.Object["visibility"] != "private" || !strings.Contains(fmt.Sprint(d.Object["content"]), "first post") {
				t.Errorf("%s: %v", d.Event, d.Object)
			}
		case "report": // Admin::Report
			target, _ := d.Object["target_account"].(map[string]any)
			if target["id"] != fmt.Sprint(alice.ID) || d.Object["comment"] != "spam" {
				t.Errorf("%s: %v", d.Event, d.Object)
			}
			if d.Event == "report.updated" && d.Object["action_taken"] != true {
				t.Errorf("report.updated: action_taken %v", d.Object["action_taken"])
			}
		}
	}
	for _, k := range want {
		if n := slices.Index(have, k); n < 0 {
			t.Errorf("no %s of %s received", k.event, k.id)
		}
	}
	if len(have) != len(want) {
		t.Errorf("received %d deliveries, want %d: %v", len(have), len(want), have)
	}

	log := deliveries(t, ts, owner, wh.ID)
	if len(log) != len(want) {
		t.Fatalf("delivery log: %d entries, want %d", len(log), len(want))
	}
	for _, d := range log {
		if d.State != "delivered" || d.Attempts != 1 || d.StatusCode == nil || *d.StatusCode != 200 || d.LastError != "" {
			t.Errorf("delivery log entry: %+v", d)
		}
	}
	// The disabled webhook: nothing queued, nothing received.
	if n := len(deliveries(t, ts, owner, disabled.ID)); n != 0 {
		t.Errorf("disabled webhook: %d deliveries logged", n)
	}
	if n := len(off.received()); n != 0 {
		t.Errorf("disabled webhook: %d requests received", n)
	}

	// The audit log names the webhooks without their URL's query (it may
	// hold a token).
	var audit []struct{ Action, Summary string }
	ts.JSON(t, "GET", "/api/v1/admin/audit_log?limit=40", owner, nil, 200, &audit)
	actions := map[string]bool{}
	for _, e := range audit {
		actions[e.Action] = true
		if strings.Contains(e.Summary, "token=abc") || strings.Contains(e.Summary, wh.Secret) {
			t.Errorf("audit summary shows a secret: %q", e.Summary)
		}
	}
	for _, a := range []string{"create_webhook", "disable_webhook", "rotate_webhook_secret"} {
		if !actions[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
}

// TestWebhookRetriesUntilDelivered: an endpoint that answers 500 gets the
// delivery again after a backoff; the log shows the failed attempt while
// the retry is under way, then the delivery done at the second attempt
// with the first one's error kept.
func TestWebhookRetriesUntilDelivered(t *testing.T) {
	fastRetries(t)
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "alice", "user")
	owner := ts.Token(t, "owner1", "admin:read admin:write")
	rcv := newReceiver(t)
	release := make(chan struct{})
	rcv.answer = func(n int) int {
		if n == 1 {
			return 500
		}
		return 200
	}
	rcv.hold, rcv.holdAt = release, 2

	var wh webhookJSON
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", owner, map[string]any{"url": rcv.srv.URL, "events": []string{"status.created"}}, 200, &wh)
	rcv.setSecret(wh.Secret)
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "alice", "write"), map[string]any{"status": "hello"}, 200, &st)

	testutil.Eventually(t, 10*time.Second, "the retry under way", func() bool { return len(rcv.received()) == 2 })
	log := deliveries(t, ts, owner, wh.ID)
	if len(log) != 1 || log[0].State != "pending" || log[0].Attempts != 1 || log[0].StatusCode == nil || *log[0].StatusCode != 500 ||
		!strings.Contains(log[0].LastError, "500") || log[0].ObjectID != st.ID || log[0].Event != "status.created" {
		t.Fatalf("log during the retry: %+v", log)
	}
	close(release)
	testutil.Eventually(t, 10*time.Second, "the delivery done", func() bool {
		log = deliveries(t, ts, owner, wh.ID)
		return len(log) == 1 && log[0].State == "delivered"
	})
	if log[0].Attempts != 2 || *log[0].StatusCode != 200 || !strings.Contains(log[0].LastError, "500") {
		t.Errorf("log after the retry: %+v", log[0])
	}
	for _, d := range rcv.received() {
		if !d.SignedOK || d.Event != "status.created" || d.Object["id"] != st.ID {
			t.Errorf("received %+v", d)
		}
	}
	drained(t, ts)
	if n := len(rcv.received()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestWebhookGivesUpOnClientErrors: a 4xx answer (but 408 and 429) ends
// the delivery failed at once, as Mastodon's: the same body would be
// refused again.
func TestWebhookGivesUpOnClientErrors(t *testing.T) {
	fastRetries(t)
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "alice", "user")
	owner := ts.Token(t, "owner1", "admin:read admin:write")
	rcv := newReceiver(t)
	rcv.answer = func(int) int { return 410 }
	var wh webhookJSON
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", owner, map[string]any{"url": rcv.srv.URL, "events": []string{"status.created"}}, 200, &wh)
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "alice", "write"), map[string]any{"status": "hello"}, 200, nil)
	drained(t, ts)
	log := deliveries(t, ts, owner, wh.ID)
	if len(log) != 1 || log[0].State != "failed" || log[0].Attempts != 1 || *log[0].StatusCode != 410 {
		t.Fatalf("log: %+v", log)
	}
}

// TestWebhookRefusesPrivateAddresses: with allow_private_addresses off, a
// webhook pointing at loopback is refused by the SSRF guard, as
// federation is: nothing is sent, and the log says so.
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Federation.AllowPrivateAddresses = false })
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "alice", "user")
	owner := ts.Token(t, "owner1", "admin:read admin:write")
	rcv := newReceiver(t)
	var wh webhookJSON
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", owner, map[string]any{"url": rcv.srv.URL, "events": []string{"status.created"}}, 200, &wh)
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "alice", "write"), map[string]any{"status": "hello"}, 200, nil)
	drained(t, ts)
	log := deliveries(t, ts, owner, wh.ID)
	if len(log) != 1 || log[0].State != "failed" || log[0].Attempts != 1 || !strings.Contains(log[0].LastError, "forbidden address") {
		t.Fatalf("log: %+v", log)
	}
	if n := len(rcv.received()); n != 0 {
		t.Errorf("the private address got %d requests", n)
	}
}

// TestWebhooksNeedManageWebhooks: the webhook routes ask for Manage
// Webhooks: a moderator gets 403, a custom role holding only that
// permission manages them. Bad input is a 422.
func TestWebhooksNeedManageWebhooks(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "mod1", "moderator")
	owner := ts.Token(t, "owner1", "admin:read admin:write")
	var role struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/roles", owner, map[string]any{"name": "Hooks", "permissions": fmt.Sprint(uint64(core.PermManageWebhooks)),
		"position": 5}, 200, &role)
	hooks := ts.CreateUser(t, "hooks1", "user")
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/role", hooks.ID), owner, map[string]any{"role_id": role.ID}, 200, nil)

	mod := ts.Token(t, "mod1", "admin:read admin:write")
	ts.JSON(t, "GET", "/api/v1/admin/webhooks", mod, nil, 403, nil)
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", mod, map[string]any{"url": "https://hooks.example/in", "events": []string{"report.created"}}, 403, nil)

	tok := ts.Token(t, "hooks1", "admin:read admin:write")
	var wh webhookJSON
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", tok, map[string]any{"url": "https://hooks.example/in", "events": []string{"report.created"}}, 200, &wh)
	ts.JSON(t, "GET", "/api/v1/admin/webhooks/"+wh.ID, mod, nil, 403, nil)
	ts.JSON(t, "PUT", "/api/v1/admin/webhooks/"+wh.ID, tok, map[string]any{"events": []string{"report.created", "report.updated"}}, 200, &wh)
	if !slices.Equal(wh.Events, []string{"report.created", "report.updated"}) || wh.URL != "https://hooks.example/in" {
		t.Errorf("updated: %+v", wh)
	}
	for _, bad := range []map[string]any{
		{"url": "ftp://hooks.example/in", "events": []string{"report.created"}},
		{"url": "/relative", "events": []string{"report.created"}},
		{"url": "https://hooks.example/in", "events": []string{"account.deleted"}},
		{"url": "https://hooks.example/in", "events": []string{}},
		{"url": "", "events": []string{"report.created"}},
	} {
		ts.JSON(t, "POST", "/api/v1/admin/webhooks", tok, bad, 422, nil)
	}
	ts.JSON(t, "DELETE", "/api/v1/admin/webhooks/"+wh.ID, tok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/admin/webhooks/"+wh.ID, tok, nil, 404, nil)
}

// delegatedToken issues member a token acting as account, as the consent
// screen does when the member chooses it.
func delegatedToken(t *testing.T, ts *server.TestServer, member, account string) string {
	t.Helper()
	ctx := context.Background()
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	ts.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "team app", "redirect_uris": core.OOB, "scopes": "read write"}, 200, &app)
	a, err := ts.Srv.Svc.AppByClientID(ctx, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ts.Srv.Svc.LocalAccount(ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := ts.Srv.Svc.LocalAccount(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	code, err := ts.Srv.Svc.IssueCodeAs(ctx, a, m.ID, acc.ID, core.OOB, []string{"read", "write"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	ts.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "authorization_code", "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "code": code, "redirect_uri": core.OOB}, 200, &tok)
	return tok.AccessToken
}

// TestWebhooksDelegationEvents: a webhook subscribed to the delegation
// events hears of a grant, of each action a member takes as the account
// (account, member, action, object) and of the revocation, signed like
// the others; the member's own posts are not delegated actions.
func TestWebhooksDelegationEvents(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	city := ts.CreateUser(t, "city", "user")
	mia := ts.CreateUser(t, "mia", "user")
	owner := ts.Token(t, "owner1", "read write admin:read admin:write")
	rcv := newReceiver(t)
	var wh webhookJSON
	ts.JSON(t, "POST", "/api/v1/admin/webhooks", owner, map[string]any{"url": rcv.srv.URL,
		"events": []string{core.EventDelegationAction, core.EventDelegationGranted, core.EventDelegationRevoked}}, 200, &wh)
	rcv.setSecret(wh.Secret)

	cityTok := ts.Token(t, "city", "read write")
	ts.JSON(t, "POST", "/api/v1/delegations", cityTok, map[string]any{"member": "mia", "permissions": "post"}, 200, nil)
	tok := delegatedToken(t, ts, "mia", "city")
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "from the team"}, 200, &st)
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "mia", "write"), map[string]any{"status": "my own"}, 200, nil)
	ts.JSON(t, "DELETE", fmt.Sprintf("/api/v1/delegations/%d", mia.ID), cityTok, nil, 200, nil)
	drained(t, ts)

	got := rcv.received()
	var events []string
	for _, d := range got {
		events = append(events, d.Event)
		if !d.SignedOK || d.Type != "application/json" {
			t.Errorf("%s: signed %v, type %q", d.Event, d.SignedOK, d.Type)
		}
		acc, _ := d.Object["account"].(map[string]any)
		member, _ := d.Object["member"].(map[string]any)
		if acc["id"] != fmt.Sprint(city.ID) || member["id"] != fmt.Sprint(mia.ID) || member["username"] != "mia" {
			t.Errorf("%s: account %v, member %v", d.Event, acc, member)
		}
		if d.Event == core.EventDelegationAction &&
			(d.Object["action"] != "POST /api/v1/statuses" || d.Object["object_type"] != "statuses" || d.Object["object_id"] != st.ID) {
			t.Errorf("delegation.action: %v", d.Object)
		}
	}
	// Deliveries to one webhook may run side by side: any order.
	want := []string{core.EventDelegationAction, core.EventDelegationGranted, core.EventDelegationRevoked}
	slices.Sort(events)
	if !slices.Equal(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
}
