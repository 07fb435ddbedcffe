package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// TestCrashSafety runs the real binary under a mixed write load — posts,
// favourites and follows through the client API, signed Creates, Follows
// and Likes into the inbox, deliveries to a loopback sink, account
// deletions by an admin, mail (moderation warnings, password resets) to a
// loopback SMTP server, async audio uploads (media.process jobs), Web
// Push of one user's notifications to a loopback push service — and kills
// it with SIGKILL at random moments (during start-up too, and in some
// cycles right after an account deletion was acknowledged, so that its
// Delete is signed by the next process), many times. After every kill the
// database must pass PRAGMA integrity_check; what was acknowledged before
// the kill must be there after the restart; and at the end every
// acknowledged request is present and everything it queued happened (at
// least once): every delivery reached the sink, every deleted account's
// Delete arrived signed with its key and the account is gone, every mail
// arrived, every upload is processed, every notification was pushed.
//
// 20 cycles by default (CI); 4 with -short.
func TestCrashSafety(t *testing.T) {
	cycles := 20
	if testing.Short() {
		cycles = 4
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))

	remote := newFakeFediverse(t)
	mails := newMailSink(t)
	pushes := testutil.NewPushReceiver(t)
	dir := t.TempDir()
	port := freePort(t)
	// Short leases: the jobs a killed process held are taken up 3 s later.
	cfgPath := writeTestConfig(t, dir, port, fmt.Sprintf(`[log]
level = "warn"
[jobs]
lease = "3s"
poll = "200ms"
[smtp]
host = "127.0.0.1"
port = %d
from = "Herald <noreply@localhost>"
security = "none"
timeout = "5s"
`, mails.Port))
	h := &heraldProc{t: t, dir: dir, cfg: cfgPath, base: fmt.Sprintf("http://localhost:%d", port)}

	users := []string{"u0", "u1", "u2", "u3"}
	tokens := map[string]string{}
	for _, u := range users {
		if out, errOut, code := run(t, dir, nil, "account", "create", "--config", cfgPath, "--username", u,
			"--email", u+"@example.org", "--password", "correct horse battery staple"); code != 0 {
			t.Fatalf("account create %s: %s %s", u, out, errOut)
		}
		out, _, code := run(t, dir, nil, "token", "create", "--config", cfgPath, "--username", u)
		if code != 0 {
			t.Fatalf("token create %s", u)
		}
		tokens[u] = lastLine(out)
	}
	// The admin who deletes accounts and warns users (both mail them).
	if out, errOut, code := run(t, dir, nil, "account", "create", "--config", cfgPath, "--username", "boss",
		"--email", "boss@example.org", "--password", "correct horse battery staple", "--role", "owner"); code != 0 {
		t.Fatalf("account create boss: %s %s", out, errOut)
	}
	out, _, code := run(t, dir, nil, "token", "create", "--config", cfgPath, "--username", "boss",
		"--scopes", "read write admin:read admin:write")
	if code != 0 {
		t.Fatal("token create boss")
	}
	adminToken := lastLine(out)
	// The accounts to delete: some during the load, some as the last
	// request before a kill.
	nLoadDel, nLastDel := max(2, cycles/5), max(3, cycles/3+1)
	var doomed []*doomedAccount
	for i := range nLoadDel + nLastDel {
		name := "d" + strconv.Itoa(i)
		out, errOut, code := run(t, dir, nil, "account", "create", "--config", cfgPath, "--username", name,
			"--email", name+"@example.org", "--password", "correct horse battery staple")
		var id int64
		if _, err := fmt.Sscanf(lastLine(out), "created @"+name+" (id %d,", &id); code != 0 || err != nil {
			t.Fatalf("account create %s: %s %s (%v)", name, out, errOut, err)
		}
		doomed = append(doomed, &doomedAccount{name: name, id: id})
	}
	h.start()
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			h.kill()
		}
	})
	h.waitReady()
	actorOf := func(u string) string { return h.base + "/users/" + u }
	var localActors []string
	for _, u := range users {
		localActors = append(localActors, actorOf(u))
	}
	for _, d := range doomed {
		d.uri = actorOf(d.name)
		// The sink verifies a deleted account's Delete with the key it
		// fetched now: a deleted actor answers 410.
		localActors = append(localActors, d.uri)
	}
	remote.PrefetchKeys(append(localActors, h.base+"/actor")...)

	// u0's notifications are pushed (every type a user can subscribe to),
	// from before the first follow on.
	p256dh, auth := pushes.Keys()
	var sub struct {
		ServerKey string          `json:"server_key"`
		Alerts    map[string]bool `json:"alerts"`
	}
	alerts := map[string]bool{}
	for _, a := range pushAlerts {
		alerts[a] = true
	}
	if s := h.api("POST", "/api/v1/push/subscription", tokens["u0"], map[string]any{
		"subscription": map[string]any{"endpoint": pushes.URL() + "/push/u0", "keys": map[string]string{"p256dh": p256dh, "auth": auth}},
		"data":         map[string]any{"alerts": alerts, "policy": "all"},
	}, &sub); s != 200 || sub.ServerKey == "" || !sub.Alerts["mention"] {
		t.Fatalf("push subscription: %d %+v", s, sub)
	}

	// --- set-up: remote followers, remote notes to favourite ---
	const nRemote = 12
	rname := func(k int) string { return "r" + strconv.Itoa(k) }
	st := newCrashState()
	for k := 0; k < nRemote; k++ {
		targets := []string{"u0"}
		if k == 0 {
			targets = users // r0 follows everyone: every public post is delivered
		}
		for _, u := range targets {
			id := remote.URL + "/follows/setup-" + rname(k) + "-" + u
			if s := remote.Send(h.base+"/inbox", rname(k), follow(id, remote.Actor(rname(k)), actorOf(u))); s != 202 {
				t.Fatalf("set-up follow %s → %s: %d", rname(k), u, s)
			}
			st.inFollowPairs[rname(k)+">"+u] = true
			st.setupInFollows = append(st.setupInFollows, [2]string{rname(k), u})
			st.expectAccept(id)
		}
	}
	// Each account to delete has remote followers: its Delete goes to them.
	for i, d := range doomed {
		for _, k := range []int{i % nRemote, (i + 5) % nRemote} {
			id := remote.URL + "/follows/setup-" + rname(k) + "-" + d.name
			if s := remote.Send(h.base+"/inbox", rname(k), follow(id, remote.Actor(rname(k)), d.uri)); s != 202 {
				t.Fatalf("set-up follow %s → %s: %d", rname(k), d.name, s)
			}
			st.expectAccept(id)
		}
	}
	testutil.Eventually(t, 30*time.Second, "set-up Accepts at the sink", func() bool { return len(st.missingDeliveries(remote)) == 0 })
	var me struct {
		ID string `json:"id"`
	}
	if s := h.api("GET", "/api/v1/accounts/verify_credentials", tokens["u0"], nil, &me); s != 200 {
		t.Fatalf("verify_credentials: %d", s)
	}
	var followers []struct {
		ID   string `json:"id"`
		Acct string `json:"acct"`
		URI  string `json:"uri"`
	}
	if s := h.api("GET", "/api/v1/accounts/"+me.ID+"/followers?limit=80", tokens["u0"], nil, &followers); s != 200 || len(followers) != nRemote {
		t.Fatalf("followers of u0: %d, %d accounts", s, len(followers))
	}
	remoteIDs := map[string]string{} // rK → Herald account id
	for _, a := range followers {
		name, _, _ := strings.Cut(a.Acct, "@")
		remoteIDs[name] = a.ID
	}
	var remoteNotes []statusRef
	for i := 0; i < 6; i++ {
		nid := "setup-" + strconv.Itoa(i)
		note := remote.AddNote(rname(i%nRemote), nid, "<p>remote note "+nid+"</p>",
			[]string{"https://www.w3.org/ns/activitystreams#Public"}, nil, nil)
		var res struct {
			Statuses []struct {
				ID string `json:"id"`
			} `json:"statuses"`
		}
		uri := note["id"].(string)
		if s := h.api("GET", "/api/v2/search?type=statuses&resolve=true&q="+url.QueryEscape(uri), tokens["u0"], nil, &res); s != 200 || len(res.Statuses) != 1 {
			t.Fatalf("resolve remote note %s: %d %v", uri, s, res)
		}
		remoteNotes = append(remoteNotes, statusRef{id: res.Statuses[0].ID, uri: uri, remote: true})
	}
	st.statuses = append(st.statuses, remoteNotes...)

	// --- the load ---
	ops := &loadOps{h: h, remote: remote, st: st, users: users, tokens: tokens, remoteIDs: remoteIDs, actorOf: actorOf, nRemote: nRemote,
		admin: adminToken, userIDs: localIDs(t, h, tokens), wav: testutil.WAV(1), loadDoomed: doomed[:nLoadDel]}
	lastDoomed := doomed[nLoadDel:]
	integrity := func(cycle int) {
		t.Helper()
		if err := sqlite.CheckFile(context.Background(), filepath.Join(dir, "data", sqlite.DBFile)); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
	}
	h.kill()
	integrity(0)
	startupKills := 0
	var starts []time.Time // when each process after the set-up was started
	var lastOpDeletes []*doomedAccount
	for cycle := 1; cycle <= cycles; cycle++ {
		starts = append(starts, time.Now())
		h.start()
		if rng.IntN(100) < 15 {
			// Kill during start-up: migrations, WAL recovery, queue claims.
			// The random moment is the scenario.
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
			h.kill()
			integrity(cycle)
			startupKills++
			continue
		}
		h.waitReady()
		ops.resolvePending(t)
		// What was acknowledged before the last kill is here now.
		for _, s := range st.ackedSince(cycle - 1) {
			if code := h.api("GET", "/api/v1/statuses/"+s.id, tokens["u0"], nil, nil); code != 200 {
				t.Fatalf("cycle %d: status %s acknowledged before the kill is gone after restart: %d", cycle, s.id, code)
			}
		}
		for _, u := range st.uploadsOf(cycle - 1) {
			if code := h.api("GET", "/api/v1/media/"+u.id, tokens[u.user], nil, nil); code != 200 && code != 206 {
				t.Fatalf("cycle %d: upload %s acknowledged before the kill is gone after restart: %d", cycle, u.id, code)
			}
		}
		for _, d := range st.deletedAccounts() {
			// A deletion is not undone: the account is suspended until its
			// purge, then gone.
			var aa struct {
				Suspended bool `json:"suspended"`
			}
			if code := h.api("GET", "/api/v1/admin/accounts/"+strconv.FormatInt(d.id, 10), adminToken, nil, &aa); code != 404 && (code != 200 || !aa.Suspended) {
				t.Fatalf("cycle %d: account %s deleted before the kill: %d, suspended %v", cycle, d.name, code, aa.Suspended)
			}
		}
		st.setCycle(cycle)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			wrng := rand.New(rand.NewPCG(seed+uint64(cycle*10+w), 7))
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					ops.one(wrng)
				}
			}()
		}
		// Load for a random while, then the kill (the scenario).
		time.Sleep(time.Duration(150+rng.IntN(1200)) * time.Millisecond)
		if len(lastDoomed) > 0 && (rng.IntN(100) < 40 || (len(lastOpDeletes) == 0 && cycle >= cycles-1)) {
			// In some cycles the last request before the kill is an account
			// deletion: its Delete is (most likely) signed by the next
			// process, with the key the account row keeps until then.
			d := lastDoomed[0]
			lastDoomed = lastDoomed[1:]
			if ops.deleteAccount(d) {
				lastOpDeletes = append(lastOpDeletes, d)
			}
		}
		h.kill()
		close(stop)
		wg.Wait()
		integrity(cycle)
	}

	// --- verification ---
	starts = append(starts, time.Now())
	h.start()
	h.waitReady()
	ops.resolvePending(t)
	for _, s := range st.ackedSince(-1) {
		if code := h.api("GET", "/api/v1/statuses/"+s.id, tokens["u0"], nil, nil); code != 200 {
			t.Errorf("acknowledged status %s is gone: %d", s.id, code)
		}
	}
	eventuallyNone(t, 60*time.Second, "every queued delivery at the sink", func() []string { return st.missingDeliveries(remote) })
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "data"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	testutil.Eventually(t, 60*time.Second, "every acknowledged inbound activity applied", func() bool {
		return len(st.missingInbound(store, remoteIDs, localIDs(t, h, tokens))) == 0
	})
	for _, m := range st.missingLocal(store, remoteIDs, localIDs(t, h, tokens)) {
		t.Errorf("lost: %s", m)
	}
	// Notifications come with what they notify of, in its transaction.
	notified := 0
	for _, u := range users {
		missing, n, err := st.missingNotifications(store, remoteIDs, ops.userIDs, u)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range missing {
			t.Errorf("lost notification of %s: %s", u, m)
		}
		notified += n
	}

	// Deleted accounts: each Delete arrived (above) signed with the
	// account's own key, and the account is gone once its deliveries are.
	deleted := st.deletedAccounts()
	for _, d := range deleted {
		at, keyID, ok := remote.Arrival(d.uri + "#delete")
		if !ok {
			t.Errorf("no Delete of %s at the sink", d.uri)
			continue
		}
		remote.mu.Lock()
		act := remote.received[d.uri+"#delete"]
		remote.mu.Unlock()
		if !act.Type.Is("Delete") || act.Actor.ID != d.uri || act.Object.ID != d.uri || keyID != d.uri+"#main-key" {
			t.Errorf("Delete of %s: type %v, actor %s, object %s, signed with %s", d.uri, act.Type, act.Actor.ID, act.Object.ID, keyID)
		}
		d.arrived = at
	}
	ctx := context.Background()
	testutil.Eventually(t, 60*time.Second, "every deleted account purged once its deliveries are done", func() bool {
		for _, d := range deleted {
			if _, err := store.AccountByID(ctx, d.id); !errors.Is(err, storage.ErrNotFound) {
				return false
			}
			if n, err := store.CountJobs(ctx, storage.JobDeliver, d.id, time.Now().AddDate(1, 0, 0)); err != nil || n > 0 {
				return false
			}
		}
		return true
	})
	for _, d := range deleted {
		// Its actor answers 410 Gone (a tombstone).
		if code := h.api("GET", strings.TrimPrefix(d.uri, h.base), "", nil, nil, "Accept", "application/activity+json"); code != 410 {
			t.Errorf("deleted actor %s answers %d, want 410", d.uri, code)
		}
	}
	signedAfterRestart := 0
	for _, d := range lastOpDeletes {
		// The first start after the kill that followed the deletion.
		if i, _ := slices.BinarySearchFunc(starts, d.ackedAt, func(s, at time.Time) int { return s.Compare(at) }); i < len(starts) &&
			d.arrived.After(starts[i]) {
			signedAfterRestart++
		}
	}
	if len(lastOpDeletes) > 0 && signedAfterRestart == 0 {
		// Not Herald's fault, but then the test did not test it.
		t.Errorf("none of the %d Deletes acknowledged right before a kill was signed by a later process", len(lastOpDeletes))
	}

	// Mail: every acknowledged one arrived.
	eventuallyNone(t, 60*time.Second, "every acknowledged mail at the mail server", func() []string { return st.missingMails(mails.Messages()) })

	// Media: every acknowledged upload processed, its file served.
	testutil.Eventually(t, 60*time.Second, "every acknowledged upload processed", func() bool {
		for _, u := range st.uploadsOf(-1) {
			if h.api("GET", "/api/v1/media/"+u.id, tokens[u.user], nil, nil) != 200 {
				return false
			}
		}
		return true
	})
	for _, u := range st.uploadsOf(-1) {
		var m struct {
			Type string `json:"type"`
			URL  string `json:"url"`
			Meta struct {
				Original struct {
					Duration float64 `json:"duration"`
				} `json:"original"`
			} `json:"meta"`
		}
		if code := h.api("GET", "/api/v1/media/"+u.id, tokens[u.user], nil, &m); code != 200 || m.Type != "audio" || m.Meta.Original.Duration != 1 || m.URL == "" {
			t.Errorf("upload %s: %d, type %s, duration %v, url %q", u.id, code, m.Type, m.Meta.Original.Duration, m.URL)
			continue
		}
		if code, b := getBytes(m.URL); code != 200 || !bytes.Equal(b, ops.wav) {
			t.Errorf("upload %s: file %s answers %d with %d bytes", u.id, m.URL, code, len(b))
		}
	}

	// Pushes: every notification of u0 of a subscribed type was pushed,
	// all signed with the instance's VAPID key.
	var notes []*model.Notification
	eventuallyNone(t, 60*time.Second, "every notification of u0 pushed", func() []string {
		var err error
		notes, err = store.Notifications(ctx, ops.userIDs["u0"], storage.NotificationFilter{Types: pushAlerts}, model.Page{Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		pushed := pushedIDs(pushes)
		var missing []string
		for _, n := range notes {
			if !pushed[strconv.FormatInt(n.ID, 10)] {
				missing = append(missing, fmt.Sprintf("%s notification %d", n.Type, n.ID))
			}
		}
		return missing
	})
	serverKey := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(sub.ServerKey), "=")
	for _, k := range pushes.VAPIDKeys() {
		if strings.TrimRight(k, "=") != serverKey {
			t.Errorf("a push signed with VAPID key %s, the instance's is %s", k, sub.ServerKey)
			break
		}
	}

	h.stop()
	integrity(cycles + 1)
	s := st.summary()
	remote.mu.Lock()
	t.Logf("%d kill-and-restart cycles (%d during start-up); acknowledged: %s; sink: %d distinct activities, %d duplicate deliveries, %d refused",
		cycles, startupKills, s, len(remote.received), remote.dupes, remote.refused)
	remote.mu.Unlock()
	t.Logf("%d accounts deleted (%d as the last request before a kill, %d of whose Deletes arrived from a later process), all purged; "+
		"mail server: %d messages; %d uploads processed; %d notifications checked; %d notifications of u0 pushed (%d pushes received)",
		len(deleted), len(lastOpDeletes), signedAfterRestart, len(mails.Messages()), len(st.uploadsOf(-1)), notified, len(notes), len(pushes.Payloads()))
}

// eventuallyNone waits until missing lists nothing, and fails the test
// with what it still listed once timeout has passed.
func eventuallyNone(t *testing.T, timeout time.Duration, what string, missing func() []string) {
	t.Helper()
	var last []string
	defer func() {
		if t.Failed() && len(last) > 0 {
			t.Logf("%s: still missing %d: %v", what, len(last), last[:min(len(last), 20)])
		}
	}()
	testutil.Eventually(t, timeout, what, func() bool {
		last = missing()
		return len(last) == 0
	})
}

// pushAlerts are the alert types u0 subscribes to: all but the admin ones.
var pushAlerts = []string{"mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update"}

// pushedIDs is the set of notification ids the receiver got pushes of.
func pushedIDs(r *testutil.PushReceiver) map[string]bool {
	out := map[string]bool{}
	for _, p := range r.Payloads() {
		if id, ok := p["notification_id"].(string); ok {
			out[id] = true
		} else if f, ok := p["notification_id"].(float64); ok {
			out[strconv.FormatInt(int64(f), 10)] = true
		}
	}
	return out
}

func follow(id, actor, object string) map[string]any {
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Follow", "actor": actor, "object": object}
}

// localIDs maps local usernames to account ids.
func localIDs(t *testing.T, h *heraldProc, tokens map[string]string) map[string]int64 {
	out := map[string]int64{}
	for u, tok := range tokens {
		var me struct {
			ID string `json:"id"`
		}
		if h.api("GET", "/api/v1/accounts/verify_credentials", tok, nil, &me) == 200 {
			id, _ := strconv.ParseInt(me.ID, 10, 64)
			out[u] = id
		}
	}
	return out
}

// --- what the load did, and what must follow from it ---

type statusRef struct {
	id, uri string
	remote  bool
	user    string
	cycle   int
}

type crashState struct {
	mu    sync.Mutex
	cycle int
	seq   int

	statuses       []statusRef     // acknowledged local posts and resolved remote notes
	favPairs       map[string]bool // user>statusID attempted
	ackedFavs      []struct{ user, statusID string }
	followPairs    map[string]bool // user>rK attempted
	ackedFollows   []struct{ user, remote string }
	inFollowPairs  map[string]bool // rK>user attempted
	setupInFollows [][2]string     // rK, user: the set-up's inbound Follows
	ackedInFollow  []struct{ id, remote, user string }
	ackedCreates   []inboundRef // note URIs, mentioning user
	likePairs      map[string]bool
	ackedLikes     []inboundRef // Like ids, of a status of user

	pendingPosts []pendingPost // answered 200 with a cut body

	uploads      []uploadRef      // acknowledged async uploads
	mails        []expectedMail   // acknowledged requests that mail
	resets       map[string]int   // address → acknowledged password reset requests
	deleted      []*doomedAccount // acknowledged deletions
	loadDelCycle int              // the cycle of the last deletion in the load
	warnings     int

	// expected deliveries: key → description
	expected map[string]string
}

func newCrashState() *crashState {
	return &crashState{favPairs: map[string]bool{}, followPairs: map[string]bool{}, inFollowPairs: map[string]bool{},
		likePairs: map[string]bool{}, expected: map[string]string{}, resets: map[string]int{}}
}

func (s *crashState) setCycle(c int) {
	s.mu.Lock()
	s.cycle = c
	s.mu.Unlock()
}

func (s *crashState) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

func (s *crashState) expectAccept(followID string) {
	s.mu.Lock()
	s.expected["Accept "+followID] = "Accept of " + followID
	s.mu.Unlock()
}

// ackedSince lists the local posts acknowledged in cycle c (-1: all).
func (s *crashState) ackedSince(c int) []statusRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []statusRef
	for _, st := range s.statuses {
		if !st.remote && (c < 0 || st.cycle == c) {
			out = append(out, st)
		}
	}
	return out
}

func (s *crashState) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	local := 0
	for _, st := range s.statuses {
		if !st.remote {
			local++
		}
	}
	resets := 0
	for _, n := range s.resets {
		resets += n
	}
	return fmt.Sprintf("%d posts, %d favourites, %d follows, %d inbound Creates, %d inbound Follows, %d inbound Likes, "+
		"%d account deletions, %d warnings, %d password resets, %d uploads; %d deliveries, %d mails expected",
		local, len(s.ackedFavs), len(s.ackedFollows), len(s.ackedCreates), len(s.ackedInFollow), len(s.ackedLikes),
		len(s.deleted), s.warnings, resets, len(s.uploads), len(s.expected), len(s.mails)+resets)
}

// doomedAccount is a local account that the load deletes.
type doomedAccount struct {
	name, uri string
	id        int64
	ackedAt   time.Time // when its deletion was acknowledged
	arrived   time.Time // when its Delete first arrived at the sink
}

type uploadRef struct {
	id, user string
	cycle    int
}

// expectedMail is a mail an acknowledged request queued: to the address,
// its subject and body containing these.
type expectedMail struct {
	to, subject, body string
}

// uploadsOf lists the uploads acknowledged in cycle c (-1: all).
func (s *crashState) uploadsOf(c int) []uploadRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uploadRef
	for _, u := range s.uploads {
		if c < 0 || u.cycle == c {
			out = append(out, u)
		}
	}
	return out
}

func (s *crashState) deletedAccounts() []*doomedAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*doomedAccount(nil), s.deleted...)
}

// missingMails lists the acknowledged mails not received: each expected
// mail by its text, and for password resets as many distinct reset links
// per address as requests were acknowledged.
func (s *crashState) missingMails(got []sunkMail) []string {
	links := map[string]map[string]bool{}
	for _, m := range got {
		if !strings.HasPrefix(m.Subject, "Reset your password") {
			continue
		}
		if links[m.To] == nil {
			links[m.To] = map[string]bool{}
		}
		for _, f := range strings.Fields(m.Body) {
			if strings.Contains(f, "reset_password_token=") {
				links[m.To][f] = true
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.mails {
		if !slices.ContainsFunc(got, func(m sunkMail) bool {
			return m.To == e.to && strings.HasPrefix(m.Subject, e.subject) && strings.Contains(m.Body, e.body)
		}) {
			out = append(out, fmt.Sprintf("%q to %s", e.body, e.to))
		}
	}
	for to, n := range s.resets {
		if len(links[to]) < n {
			out = append(out, fmt.Sprintf("%d of %d password resets to %s", n-len(links[to]), n, to))
		}
	}
	return out
}

// missingDeliveries lists expected activities the sink has not received.
func (s *crashState) missingDeliveries(remote *fakeFediverse) []string {
	have := map[string]bool{}
	for _, a := range remote.Received() {
		switch {
		case a.Type.Is("Accept"):
			have["Accept "+a.Object.ID] = true
		case a.Type.Is("Create"):
			have["Create "+a.Object.ID] = true
		case a.Type.Is("Like"):
			have["Like "+a.Actor.ID+" "+a.Object.ID] = true
		case a.Type.Is("Follow"):
			have["Follow "+a.Actor.ID+" "+a.Object.ID] = true
		case a.Type.Is("Delete"):
			have["Delete "+a.Object.ID] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, d := range s.expected {
		if !have[k] {
			out = append(out, d)
		}
	}
	return out
}

// missingInbound lists acknowledged inbound activities not applied.
func (s *crashState) missingInbound(store *sqlite.Store, remoteIDs map[string]string, local map[string]int64) []string {
	ctx := context.Background()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.ackedCreates {
		if _, err := store.StatusByURI(ctx, c.id); err != nil {
			out = append(out, "inbound Create of "+c.id)
		}
	}
	for _, f := range s.ackedInFollow {
		rid, _ := strconv.ParseInt(remoteIDs[f.remote], 10, 64)
		if _, err := store.FollowBetween(ctx, rid, local[f.user]); err != nil {
			out = append(out, "inbound Follow "+f.id)
		}
	}
	for _, l := range s.ackedLikes {
		if _, _, err := store.FavouriteByURI(ctx, l.id); err != nil {
			out = append(out, "inbound Like "+l.id)
		}
	}
	return out
}

// inboundRef is an acknowledged inbound activity: its id (a Create's
// note), its remote actor, the local user it is for (mentioned, liked).
type inboundRef struct {
	id, remote, user string
	statusID         string // a Like's object
}

// missingNotifications lists the notifications user must have had from
// what was acknowledged (mentions in inbound Creates, inbound Follows,
// favourites and inbound Likes of its posts) and does not have.
func (s *crashState) missingNotifications(store *sqlite.Store, remoteIDs map[string]string, local map[string]int64, user string) (missing []string, expected int, err error) {
	ctx := context.Background()
	have := map[string]bool{}
	notes, err := store.Notifications(ctx, local[user], storage.NotificationFilter{}, model.Page{Limit: 100000})
	if err != nil {
		return nil, 0, err
	}
	for _, n := range notes {
		have[fmt.Sprintf("%s %d %d", n.Type, n.FromAccountID, n.StatusID)] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := func(key, what string) {
		expected++
		if !have[key] {
			missing = append(missing, what)
		}
	}
	for _, c := range s.ackedCreates {
		if c.user != user {
			continue
		}
		st, err := store.StatusByURI(ctx, c.id)
		if err != nil {
			return nil, 0, err
		}
		want(fmt.Sprintf("mention %s %d", remoteIDs[c.remote], st.ID), "mention in "+c.id)
	}
	for _, f := range s.setupInFollows {
		if f[1] == user {
			want("follow "+remoteIDs[f[0]]+" 0", "follow by "+f[0])
		}
	}
	for _, f := range s.ackedInFollow {
		if f.user == user {
			want("follow "+remoteIDs[f.remote]+" 0", "follow by "+f.remote)
		}
	}
	for _, l := range s.ackedLikes {
		if l.user == user {
			want("favourite "+remoteIDs[l.remote]+" "+l.statusID, "favourite by "+l.remote+" of "+l.statusID)
		}
	}
	author := map[string]string{}
	for _, st := range s.statuses {
		author[st.id] = st.user
	}
	for _, f := range s.ackedFavs {
		if author[f.statusID] == user && f.user != user {
			want(fmt.Sprintf("favourite %d %s", local[f.user], f.statusID), "favourite by "+f.user+" of "+f.statusID)
		}
	}
	return missing, expected, nil
}

// missingLocal lists acknowledged API writes not in the store.
func (s *crashState) missingLocal(store *sqlite.Store, remoteIDs map[string]string, local map[string]int64) []string {
	ctx := context.Background()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, st := range s.statuses {
		id, _ := strconv.ParseInt(st.id, 10, 64)
		if _, err := store.StatusByID(ctx, id); err != nil {
			out = append(out, "status "+st.id)
		}
	}
	for _, f := range s.ackedFavs {
		id, _ := strconv.ParseInt(f.statusID, 10, 64)
		ids, _, err := store.FavouritedBy(ctx, id, model.Page{Limit: 1000})
		if err != nil || !slices.Contains(ids, local[f.user]) {
			out = append(out, "favourite of "+f.statusID+" by "+f.user)
		}
	}
	for _, f := range s.ackedFollows {
		rid, _ := strconv.ParseInt(remoteIDs[f.remote], 10, 64)
		_, err1 := store.FollowBetween(ctx, local[f.user], rid)
		_, err2 := store.FollowRequestBetween(ctx, local[f.user], rid)
		if err1 != nil && err2 != nil {
			out = append(out, "follow of "+f.remote+" by "+f.user)
		}
	}
	return out
}

type pendingPost struct {
	user, key string
	body      map[string]any
}

// resolvePending retries the posts whose 200 answer was cut, with their
// Idempotency-Key, to learn their ids.
func (o *loadOps) resolvePending(t *testing.T) {
	st := o.st
	st.mu.Lock()
	pending := st.pendingPosts
	st.pendingPosts = nil
	st.mu.Unlock()
	for _, p := range pending {
		var res struct {
			ID  string `json:"id"`
			URI string `json:"uri"`
		}
		if code := o.h.api("POST", "/api/v1/statuses", o.tokens[p.user], p.body, &res, "Idempotency-Key", p.key); code != 200 {
			t.Fatalf("retry of post %s answered 200 before the kill: %d", p.key, code)
		}
		st.mu.Lock()
		st.statuses = append(st.statuses, statusRef{id: res.ID, uri: res.URI, user: p.user, cycle: st.cycle})
		st.expected["Create "+res.URI] = "Create of " + res.URI
		st.mu.Unlock()
	}
}

type loadOps struct {
	h         *heraldProc
	remote    *fakeFediverse
	st        *crashState
	users     []string
	tokens    map[string]string
	remoteIDs map[string]string
	actorOf   func(string) string
	nRemote   int

	admin      string           // an owner's token
	userIDs    map[string]int64 // users' account ids
	wav        []byte           // the file every upload sends
	loadDoomed []*doomedAccount // the accounts the load deletes (under st.mu)
}

func (o *loadOps) one(rng *rand.Rand) {
	st := o.st
	u := o.users[rng.IntN(len(o.users))]
	k := "r" + strconv.Itoa(rng.IntN(o.nRemote))
	n := st.next()
	switch p := rng.IntN(100); {
	case p < 30: // post
		var res struct {
			ID  string `json:"id"`
			URI string `json:"uri"`
		}
		key := "post-" + strconv.Itoa(n)
		body := map[string]any{"status": "crash test post " + strconv.Itoa(n), "visibility": "public"}
		code := o.h.api("POST", "/api/v1/statuses", o.tokens[u], body, &res, "Idempotency-Key", key)
		if code == -200 {
			// Answered 200 but the body was cut by the kill: the post
			// exists, and a retry with the same key after the restart
			// must return it.
			st.mu.Lock()
			st.pendingPosts = append(st.pendingPosts, pendingPost{user: u, key: key, body: body})
			st.mu.Unlock()
			return
		}
		if code != 200 {
			return
		}
		st.mu.Lock()
		st.statuses = append(st.statuses, statusRef{id: res.ID, uri: res.URI, user: u, cycle: st.cycle})
		st.expected["Create "+res.URI] = "Create of " + res.URI
		st.mu.Unlock()
	case p < 43: // favourite
		st.mu.Lock()
		if len(st.statuses) == 0 {
			st.mu.Unlock()
			return
		}
		s := st.statuses[rng.IntN(len(st.statuses))]
		pair := u + ">" + s.id
		if st.favPairs[pair] {
			st.mu.Unlock()
			return
		}
		st.favPairs[pair] = true
		st.mu.Unlock()
		if o.h.api("POST", "/api/v1/statuses/"+s.id+"/favourite", o.tokens[u], nil, nil) != 200 {
			return
		}
		st.mu.Lock()
		st.ackedFavs = append(st.ackedFavs, struct{ user, statusID string }{u, s.id})
		if s.remote {
			st.expected["Like "+o.actorOf(u)+" "+s.uri] = "Like by " + u + " of " + s.uri
		}
		st.mu.Unlock()
	case p < 51: // follow a remote account
		pair := u + ">" + k
		st.mu.Lock()
		if st.followPairs[pair] {
			st.mu.Unlock()
			return
		}
		st.followPairs[pair] = true
		st.mu.Unlock()
		if o.h.api("POST", "/api/v1/accounts/"+o.remoteIDs[k]+"/follow", o.tokens[u], nil, nil) != 200 {
			return
		}
		st.mu.Lock()
		st.ackedFollows = append(st.ackedFollows, struct{ user, remote string }{u, k})
		st.expected["Follow "+o.actorOf(u)+" "+o.remote.Actor(k)] = "Follow by " + u + " of " + k
		st.mu.Unlock()
	case p < 69: // inbound Create mentioning a local user
		nid := "c-" + strconv.Itoa(n)
		note := o.remote.AddNote(k, nid, "<p>hello @"+u+" "+nid+"</p>",
			[]string{"https://www.w3.org/ns/activitystreams#Public"}, []string{o.actorOf(u)},
			[]map[string]any{{"type": "Mention", "href": o.actorOf(u), "name": "@" + u}})
		act := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": note["id"].(string) + "/activity",
			"type": "Create", "actor": o.remote.Actor(k), "object": note, "to": note["to"], "cc": note["cc"]}
		if o.remote.Send(o.h.base+"/inbox", k, act) != 202 {
			return
		}
		st.mu.Lock()
		st.ackedCreates = append(st.ackedCreates, inboundRef{id: note["id"].(string), remote: k, user: u})
		st.mu.Unlock()
	case p < 77: // inbound Follow
		pair := k + ">" + u
		st.mu.Lock()
		if st.inFollowPairs[pair] {
			st.mu.Unlock()
			return
		}
		st.inFollowPairs[pair] = true
		st.mu.Unlock()
		id := o.remote.URL + "/follows/" + strconv.Itoa(n)
		if o.remote.Send(o.h.base+"/users/"+u+"/inbox", k, follow(id, o.remote.Actor(k), o.actorOf(u))) != 202 {
			return
		}
		st.mu.Lock()
		st.ackedInFollow = append(st.ackedInFollow, struct{ id, remote, user string }{id, k, u})
		st.expected["Accept "+id] = "Accept of " + id
		st.mu.Unlock()
	case p < 86: // inbound Like of a local post
		st.mu.Lock()
		var local []statusRef
		for _, s := range st.statuses {
			if !s.remote {
				local = append(local, s)
			}
		}
		if len(local) == 0 {
			st.mu.Unlock()
			return
		}
		s := local[rng.IntN(len(local))]
		pair := k + ">" + s.id
		if st.likePairs[pair] {
			st.mu.Unlock()
			return
		}
		st.likePairs[pair] = true
		st.mu.Unlock()
		id := o.remote.URL + "/likes/" + strconv.Itoa(n)
		act := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Like",
			"actor": o.remote.Actor(k), "object": s.uri}
		if o.remote.Send(o.h.base+"/inbox", k, act) != 202 {
			return
		}
		st.mu.Lock()
		st.ackedLikes = append(st.ackedLikes, inboundRef{id: id, remote: k, user: s.user, statusID: s.id})
		st.mu.Unlock()
	case p < 89: // an admin's warning, mailed to the user
		text := "crash warning " + strconv.Itoa(n)
		if abs(o.h.api("POST", "/api/v1/admin/accounts/"+strconv.FormatInt(o.userIDs[u], 10)+"/action", o.admin,
			map[string]any{"type": "none", "text": text}, nil)) != 200 {
			return
		}
		st.mu.Lock()
		st.warnings++
		st.mails = append(st.mails, expectedMail{to: u + "@example.org", subject: "A moderation action on your account", body: text})
		st.mu.Unlock()
	case p < 91: // a password reset request: a mail with a link
		if abs(o.h.api("POST", "/api/v1/auth/password_reset", "", map[string]any{"email": u + "@example.org"}, nil)) != 200 {
			return
		}
		st.mu.Lock()
		st.resets[u+"@example.org"]++
		st.mu.Unlock()
	case p < 96: // an async audio upload: its processing is a job
		var res struct {
			ID string `json:"id"`
		}
		if o.h.upload("/api/v2/media", o.tokens[u], "crash-"+strconv.Itoa(n)+".wav", o.wav, &res) != 202 {
			return
		}
		st.mu.Lock()
		st.uploads = append(st.uploads, uploadRef{id: res.ID, user: u, cycle: st.cycle})
		st.mu.Unlock()
	default: // now and then (once a cycle at most), delete an account
		st.mu.Lock()
		if len(o.loadDoomed) == 0 || st.loadDelCycle == st.cycle || rng.IntN(10) > 0 {
			st.mu.Unlock()
			return
		}
		d := o.loadDoomed[0]
		o.loadDoomed = o.loadDoomed[1:]
		st.loadDelCycle = st.cycle
		st.mu.Unlock()
		o.deleteAccount(d)
	}
}

// deleteAccount deletes a local account as an admin does (suspend, with
// a mail to its owner, then delete its data) and reports whether the
// deletion was acknowledged. An account whose deletion was not is left
// alone: it may be suspended, deleted, or neither.
func (o *loadOps) deleteAccount(d *doomedAccount) bool {
	st := o.st
	id := strconv.FormatInt(d.id, 10)
	text := "crash deletion of " + d.name
	if abs(o.h.api("POST", "/api/v1/admin/accounts/"+id+"/action", o.admin, map[string]any{"type": "suspend", "text": text}, nil)) != 200 {
		return false
	}
	st.mu.Lock()
	st.mails = append(st.mails, expectedMail{to: d.name + "@example.org", subject: "A moderation action on your account", body: text})
	st.mu.Unlock()
	if abs(o.h.api("DELETE", "/api/v1/admin/accounts/"+id, o.admin, nil, nil)) != 200 {
		return false
	}
	st.mu.Lock()
	d.ackedAt = time.Now()
	st.deleted = append(st.deleted, d)
	st.expected["Delete "+d.uri] = "Delete of " + d.uri
	st.mu.Unlock()
	return true
}

// abs makes the status of an answer whose body was cut (api answers it
// negative) the status: the request was acknowledged all the same.
func abs(code int) int { return max(code, -code) }
