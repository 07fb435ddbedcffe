package cli_test

import (
	"context"
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
	"github.com/herald-social/herald/storage/sqlite"
)

// TestCrashSafety runs the real binary under a mixed write load — posts,
// favourites and follows through the client API, signed Creates, Follows
// and Likes into the inbox, deliveries to a loopback sink — and kills it
// with SIGKILL at random moments (during start-up too), many times. After
// every kill the database must pass PRAGMA integrity_check; what was
// acknowledged before the kill must be there after the restart; and at the
// end every acknowledged request is present and every delivery it queued
// has reached the sink (at least once: the sink dedupes by id).
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
	dir := t.TempDir()
	port := freePort(t)
	// Short leases: the jobs a killed process held are taken up 3 s later.
	cfgPath := writeTestConfig(t, dir, port, "[log]\nlevel = \"warn\"\n[jobs]\nlease = \"3s\"\npoll = \"200ms\"\n")
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
	remote.PrefetchKeys(append(localActors, h.base+"/actor")...)

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
	ops := &loadOps{h: h, remote: remote, st: st, users: users, tokens: tokens, remoteIDs: remoteIDs, actorOf: actorOf, nRemote: nRemote}
	integrity := func(cycle int) {
		t.Helper()
		if err := sqlite.CheckFile(context.Background(), filepath.Join(dir, "data", sqlite.DBFile)); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
	}
	h.kill()
	integrity(0)
	startupKills := 0
	for cycle := 1; cycle <= cycles; cycle++ {
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
		h.kill()
		close(stop)
		wg.Wait()
		integrity(cycle)
	}

	// --- verification ---
	h.start()
	h.waitReady()
	ops.resolvePending(t)
	for _, s := range st.ackedSince(-1) {
		if code := h.api("GET", "/api/v1/statuses/"+s.id, tokens["u0"], nil, nil); code != 200 {
			t.Errorf("acknowledged status %s is gone: %d", s.id, code)
		}
	}
	testutil.Eventually(t, 60*time.Second, "every queued delivery at the sink", func() bool {
		m := st.missingDeliveries(remote)
		if len(m) > 0 && len(m) < 5 {
			t.Logf("still missing: %v", m)
		}
		return len(m) == 0
	})
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
	h.stop()
	integrity(cycles + 1)
	s := st.summary()
	remote.mu.Lock()
	t.Logf("%d kill-and-restart cycles (%d during start-up); acknowledged: %s; sink: %d distinct activities, %d duplicate deliveries, %d refused",
		cycles, startupKills, s, len(remote.received), remote.dupes, remote.refused)
	remote.mu.Unlock()
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

	statuses      []statusRef     // acknowledged local posts and resolved remote notes
	favPairs      map[string]bool // user>statusID attempted
	ackedFavs     []struct{ user, statusID string }
	followPairs   map[string]bool // user>rK attempted
	ackedFollows  []struct{ user, remote string }
	inFollowPairs map[string]bool // rK>user attempted
	ackedInFollow []struct{ id, remote, user string }
	ackedCreates  []string // note URIs
	likePairs     map[string]bool
	ackedLikes    []string // Like ids

	pendingPosts []pendingPost // answered 200 with a cut body

	// expected deliveries: key → description
	expected map[string]string
}

func newCrashState() *crashState {
	return &crashState{favPairs: map[string]bool{}, followPairs: map[string]bool{}, inFollowPairs: map[string]bool{},
		likePairs: map[string]bool{}, expected: map[string]string{}}
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
	return fmt.Sprintf("%d posts, %d favourites, %d follows, %d inbound Creates, %d inbound Follows, %d inbound Likes; %d deliveries expected",
		local, len(s.ackedFavs), len(s.ackedFollows), len(s.ackedCreates), len(s.ackedInFollow), len(s.ackedLikes), len(s.expected))
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
	for _, uri := range s.ackedCreates {
		if _, err := store.StatusByURI(ctx, uri); err != nil {
			out = append(out, "inbound Create of "+uri)
		}
	}
	for _, f := range s.ackedInFollow {
		rid, _ := strconv.ParseInt(remoteIDs[f.remote], 10, 64)
		if _, err := store.FollowBetween(ctx, rid, local[f.user]); err != nil {
			out = append(out, "inbound Follow "+f.id)
		}
	}
	for _, id := range s.ackedLikes {
		if _, _, err := store.FavouriteByURI(ctx, id); err != nil {
			out = append(out, "inbound Like "+id)
		}
	}
	return out
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
}

func (o *loadOps) one(rng *rand.Rand) {
	st := o.st
	u := o.users[rng.IntN(len(o.users))]
	k := "r" + strconv.Itoa(rng.IntN(o.nRemote))
	n := st.next()
	switch p := rng.IntN(100); {
	case p < 35: // post
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
	case p < 50: // favourite
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
	case p < 60: // follow a remote account
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
	case p < 80: // inbound Create mentioning a local user
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
		st.ackedCreates = append(st.ackedCreates, note["id"].(string))
		st.mu.Unlock()
	case p < 90: // inbound Follow
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
	default: // inbound Like of a local post
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
		st.ackedLikes = append(st.ackedLikes, id)
		st.mu.Unlock()
	}
}
