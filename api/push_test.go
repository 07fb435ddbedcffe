package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/push"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

func TestWebPushDeliveredEncrypted(t *testing.T) {
	f := startStreaming(t)
	ts := f.ts
	r := testutil.NewPushReceiver(t)
	p256dh, auth := r.Keys()
	var sub struct {
		ID        string          `json:"id"`
		Endpoint  string          `json:"endpoint"`
		Alerts    map[string]bool `json:"alerts"`
		Policy    string          `json:"policy"`
		ServerKey string          `json:"server_key"`
	}
	// Form-encoded, as most apps send it.
	form := map[string][]string{
		"subscription[endpoint]":     {r.URL() + "/push/alice"},
		"subscription[keys][p256dh]": {p256dh},
		"subscription[keys][auth]":   {auth},
		"data[alerts][mention]":      {"true"},
		"data[alerts][favourite]":    {"true"},
		"data[alerts][follow]":       {"false"},
		"data[policy]":               {"all"},
	}
	ts.JSON(t, "POST", "/api/v1/push/subscription", f.tAlice, urlValues(form), 200, &sub)
	if !sub.Alerts["mention"] || !sub.Alerts["favourite"] || sub.Alerts["follow"] || sub.Policy != "all" || sub.ServerKey == "" {
		t.Fatalf("subscription: %+v", sub)
	}
	// The instance advertises the same key.
	var inst struct {
		Configuration struct {
			Vapid struct {
				PublicKey string `json:"public_key"`
			} `json:"vapid"`
		} `json:"configuration"`
	}
	ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &inst)
	if inst.Configuration.Vapid.PublicKey != sub.ServerKey {
		t.Errorf("instance vapid key %q, subscription %q", inst.Configuration.Vapid.PublicKey, sub.ServerKey)
	}

	// bob mentions alice: one encrypted push.
	f.post(t, f.tBob, "@alice look", "public")
	got := r.Wait(1, 3*time.Second)
	if got[0]["notification_type"] != "mention" || got[0]["title"] != "You were mentioned by bob" ||
		!strings.Contains(got[0]["body"].(string), "look") || got[0]["notification_id"] == "" || got[0]["icon"] == "" {
		t.Fatalf("push payload: %v", got[0])
	}
	// The VAPID key signing it is the advertised one.
	if k := r.VAPIDKeys()[0]; strings.TrimRight(k, "=") != strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(sub.ServerKey), "=") {
		t.Errorf("signed with %s, advertised %s", k, sub.ServerKey)
	}
	// A follow is not in the alerts: no push.
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", f.alice.ID), f.tCar, nil, 200, nil)
	// Update to add follows, policy followed: carol is not followed by alice.
	ts.JSON(t, "PUT", "/api/v1/push/subscription", f.tAlice, map[string]any{"data": map[string]any{
		"alerts": map[string]bool{"follow": true, "mention": true, "favourite": true}, "policy": "followed"}}, 200, &sub)
	if !sub.Alerts["follow"] || sub.Policy != "followed" {
		t.Fatalf("updated: %+v", sub)
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", f.alice.ID), f.tDave, nil, 200, nil) // dave: not followed
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", f.bob.ID), f.tAlice, nil, 200, nil)
	f.post(t, f.tBob, "@alice again", "public") // bob: followed
	got = r.Wait(2, 3*time.Second)
	if got[1]["notification_type"] != "mention" {
		t.Fatalf("second push: %v", got[1])
	}
	// Every queued push was sent or judged not to be sent: dave's follow
	// (policy followed) would have arrived by now.
	drainPushes(t, ts)
	if n := len(r.Wait(2, 0)); n != 2 {
		t.Fatalf("%d pushes, want 2 (follow alert off then policy followed)", n)
	}
	var again map[string]any
	ts.JSON(t, "GET", "/api/v1/push/subscription", f.tAlice, nil, 200, &again)
	ts.JSON(t, "DELETE", "/api/v1/push/subscription", f.tAlice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/push/subscription", f.tAlice, nil, 404, nil)
}

func TestWebPushRetriesAndDropsGoneSubscriptions(t *testing.T) {
	push.BaseBackoff = 50 * time.Millisecond
	t.Cleanup(func() { push.BaseBackoff = 30 * time.Second })
	f := startStreaming(t)
	ts := f.ts
	r := testutil.NewPushReceiver(t)
	r.Answer(503, 500) // two failures, then success
	p256dh, auth := r.Keys()
	ts.JSON(t, "POST", "/api/v1/push/subscription", f.tAlice, map[string]any{
		"subscription": map[string]any{"endpoint": r.URL() + "/p", "keys": map[string]string{"p256dh": p256dh, "auth": auth}},
		"data":         map[string]any{"alerts": map[string]bool{"favourite": true}},
	}, 200, nil)
	id := f.post(t, f.tAlice, "like it", "public")
	ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", f.tBob, nil, 200, nil)
	got := r.Wait(1, 5*time.Second)
	if got[0]["notification_type"] != "favourite" || r.Calls() != 3 {
		t.Fatalf("after retries: %v (calls %d)", got, r.Calls())
	}
	// 413: a push the service will never take is dropped at once; the
	// subscription stays.
	r.Answer(413)
	ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", f.tDave, nil, 200, nil)
	testutil.Eventually(t, 3*time.Second, "the 413 answered", func() bool {
		return r.Calls() == 4
	})
	drainPushes(t, ts)
	ts.JSON(t, "GET", "/api/v1/push/subscription", f.tAlice, nil, 200, nil)
	// 410: the subscription is gone and removed.
	r.Answer(410)
	ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", f.tCar, nil, 200, nil)
	testutil.Eventually(t, 3*time.Second, "the gone subscription removed", func() bool {
		st, _, _ := ts.Do(t, "GET", "/api/v1/push/subscription", f.tAlice, nil)
		return st == 404
	})
	drainPushes(t, ts)
}

// TestWebPushQueueIsDurable: a push in flight when the server stops is
// sent by the next start (pushes are jobs in a table; a stopping runner
// hands back what it holds).
func TestWebPushQueueIsDurable(t *testing.T) {
	dir := t.TempDir()
	r := testutil.NewPushReceiver(t)
	hold := make(chan struct{})
	var once sync.Once
	inner := r.Server.Config.Handler
	r.Server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		first := false
		once.Do(func() { first = true })
		if first {
			r.Signal <- struct{}{}
			<-hold // the server goes down meanwhile
			w.WriteHeader(503)
			return
		}
		inner.ServeHTTP(w, req)
	})
	p256dh, auth := r.Keys()
	var tAlice, tBob string
	t.Run("first run", func(t *testing.T) {
		ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dir })
		ts.CreateUser(t, "alice", "user")
		ts.CreateUser(t, "bob", "user")
		tAlice, tBob = ts.Token(t, "alice", "read write push"), ts.Token(t, "bob", "read write")
		ts.JSON(t, "POST", "/api/v1/push/subscription", tAlice, map[string]any{
			"subscription": map[string]any{"endpoint": r.URL() + "/p", "keys": map[string]string{"p256dh": p256dh, "auth": auth}},
			"data":         map[string]any{"alerts": map[string]bool{"mention": true}},
		}, 200, nil)
		ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice hi"}, 200, nil)
		<-r.Signal // in flight; the server stops at the end of this subtest
	})
	close(hold)
	ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dir })
	got := r.Wait(1, 5*time.Second)
	if got[0]["notification_type"] != "mention" {
		t.Fatalf("push after restart: %v", got[0])
	}
	_ = ts
}

// TestWebPushQueuedBeforeRestart: the pushes a server queued (its
// notifications committed) but stopped before sending are sent by the next
// start; a queued push whose subscription was removed, or whose
// notification was dismissed, meanwhile ends there without being sent and
// without error (queued pushes do not go with what they refer to).
func TestWebPushQueuedBeforeRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := testutil.NewPushReceiver(t)
	p256dh, auth := r.Keys()

	t.Run("first run, whose workers never start", func(t *testing.T) {
		// The server's handlers on loopback, without Serve: nothing runs
		// its jobs, as if it died right after answering.
		hs := httptest.NewUnstartedServer(nil)
		cfg := config.Default()
		cfg.Instance.Domain = "localhost:" + fmt.Sprint(hs.Listener.Addr().(*net.TCPAddr).Port)
		cfg.Instance.Protocol = "http"
		cfg.Storage.DataDir = dir
		cfg.Federation.AllowPrivateAddresses = true
		server.ApplyTestDriver(t, &cfg)
		srv, err := server.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		hs.Config.Handler = srv.Echo
		hs.Start()
		defer srv.Store.Close()
		defer hs.Close()
		ts := &server.TestServer{URL: hs.URL, Domain: cfg.Instance.Domain, Srv: srv, Cfg: cfg}

		ts.CreateUser(t, "alice", "user")
		ts.CreateUser(t, "bob", "user")
		ts.CreateUser(t, "carol", "user")
		tAlice, tBob, tCarol := ts.Token(t, "alice", "read write push"), ts.Token(t, "bob", "read write"), ts.Token(t, "carol", "read write push")
		for _, u := range []struct{ token, path string }{{tAlice, "/p/alice"}, {tCarol, "/p/carol"}} {
			ts.JSON(t, "POST", "/api/v1/push/subscription", u.token, map[string]any{
				"subscription": map[string]any{"endpoint": r.URL() + u.path, "keys": map[string]string{"p256dh": p256dh, "auth": auth}},
				"data":         map[string]any{"alerts": map[string]bool{"mention": true}},
			}, 200, nil)
		}
		ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice @carol first"}, 200, nil)
		ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice second"}, 200, nil)
		if n := queuedPushes(t, ts); n != 3 {
			t.Fatalf("%d pushes queued, want 3 (alice twice, carol once)", n)
		}
		// carol unsubscribes; alice dismisses the second mention.
		ts.JSON(t, "DELETE", "/api/v1/push/subscription", tCarol, nil, 200, nil)
		var notes []struct {
			ID     string `json:"id"`
			Status struct {
				Content string `json:"content"`
			} `json:"status"`
		}
		ts.JSON(t, "GET", "/api/v1/notifications", tAlice, nil, 200, &notes)
		dismissed := false
		for _, n := range notes {
			if strings.Contains(n.Status.Content, "second") {
				ts.JSON(t, "POST", "/api/v1/notifications/"+n.ID+"/dismiss", tAlice, nil, 200, nil)
				dismissed = true
			}
		}
		if !dismissed {
			t.Fatalf("no notification of the second mention in %+v", notes)
		}
		// Nothing went with them: their pushes learn of it when they run.
		if n := queuedPushes(t, ts); n != 3 {
			t.Fatalf("%d pushes queued after the removals, want 3", n)
		}
		if n := r.Calls(); n != 0 {
			t.Fatalf("%d pushes sent by a server whose workers never ran", n)
		}
	})

	logs := &syncBuffer{}
	ts := server.StartTestLogging(t, logs, func(c *config.Config) { c.Storage.DataDir = dir })
	got := r.Wait(1, 10*time.Second)
	if got[0]["notification_type"] != "mention" || !strings.Contains(got[0]["body"].(string), "first") {
		t.Fatalf("push after restart: %v", got[0])
	}
	drainPushes(t, ts)
	paths := r.Paths()
	if len(paths) != 1 || paths[0] != "/p/alice" {
		t.Fatalf("pushes sent to %v, want only alice's first mention", paths)
	}
	// The two that ended unsent ended as done, not as failures: nothing was
	// dropped, retried or logged about them.
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "kind=push") || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("logged: %s", line)
		}
	}
}

// drainPushes waits until no push is queued or being sent: each was sent,
// judged not to be sent, or dropped.
func drainPushes(t *testing.T, ts *server.TestServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Drained(ctx, push.JobKind); err != nil {
		t.Fatalf("pushes still queued: %v", err)
	}
	if n := queuedPushes(t, ts); n != 0 {
		t.Fatalf("%d pushes left for later (retries)", n)
	}
}

// queuedPushes counts the push jobs, due or not.
func queuedPushes(t *testing.T, ts *server.TestServer) int64 {
	t.Helper()
	n, err := ts.Srv.Store.CountJobs(t.Context(), push.JobKind, 0, time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func urlValues(m map[string][]string) url.Values { return url.Values(m) }
