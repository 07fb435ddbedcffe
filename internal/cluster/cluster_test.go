package cluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/cli"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/internal/testutil/apkey"
	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage/sqlite"
)

// The test binary is also the server: run with serveEnv set, it is
// `herald` with the arguments that follow.
const serveEnv = "HERALD_CLUSTER_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Three `herald serve` processes on one PostgreSQL database, behind a
// round-robin proxy that is the instance's public address, under a mixed
// load (posts, favourites, follows, timelines), one of them killed with
// SIGKILL in the middle. Then:
//   - every post answered 200 exists and reached every remote follower's
//     inbox (the killed process's leased jobs were taken over once their
//     leases ran out);
//   - no two deliveries of one activity to one inbox overlapped, and the
//     remote host never had more deliveries at once than the per-host
//     limit allows the whole cluster;
//   - a status posted through one process reaches a stream opened on
//     another;
//   - a password set from the command line closes the account's stream
//     on a serving process; an emoji imported from the command line, an
//     announcement and a domain block made through one process take
//     effect on another at once (the emoji and domain-policy caches would
//     keep the old state for 30 s and a minute).
func TestThreeProcessesBehindAProxy(t *testing.T) {
	if !pgtest.Enabled() {
		t.Skip("PostgreSQL tests skipped: set " + pgtest.Env + " (see .ci/postgres.sh)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dsn := pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres)
	remote := newRemote(t)
	px := newProxy(t)
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "herald.toml")
	const perHost = 2
	writeFile(t, cfgPath, fmt.Sprintf(`[instance]
domain = %q
protocol = "http"
[server]
shutdown_timeout = "2s"
[storage]
driver = "postgres"
dsn = %q
data_dir = %q
read_connections = 2
[federation]
allow_private_addresses = true
delivery_per_host = %d
request_timeout = "5s"
[limits]
sign_in_per_minute = 100000
api_per_5_minutes = 1000000
api_per_ip_per_5_minutes = 1000000
sign_up_per_5_minutes = 1000000
inbox_per_domain_per_minute = 1000000
[jobs]
lease = "2s"
poll = "100ms"
[log]
level = "warn"
`, px.host, dsn, dataDir, perHost))

	// Accounts, from the command line (this process, on the same database).
	herald(t, "account", "create", "--config", cfgPath, "--username", "alice", "--email", "alice@example.com", "--password", "alice password 1", "--role", "owner")
	herald(t, "account", "create", "--config", cfgPath, "--username", "bob", "--email", "bob@example.com", "--password", "bob password 12")
	herald(t, "account", "create", "--config", cfgPath, "--username", "carol", "--email", "carol@example.com", "--password", "carol password 1")
	alice := token(t, herald(t, "token", "create", "--config", cfgPath, "--username", "alice", "--scopes", "read write follow admin:read admin:write"))
	carol := token(t, herald(t, "token", "create", "--config", cfgPath, "--username", "carol"))

	procs := make([]*process, 3)
	for i := range procs {
		procs[i] = startProcess(t, cfgPath, dir, i)
		px.add(procs[i].url)
	}
	for _, p := range procs {
		p.waitReady(t)
	}
	c := &client{t: t, base: px.url, host: px.host, token: alice}

	// Two remote followers of alice, each with an inbox of its own.
	aliceActor := c.actorOf("alice")
	for _, name := range []string{"r1", "r2"} {
		remote.follow(t, px.url+"/users/alice/inbox", px.host, name, aliceActor)
	}
	aliceID := c.accountID("alice")
	testutil.Eventually(t, 30*time.Second, "two remote followers", func() bool {
		return len(c.followers(aliceID)) == 2
	})

	// A status posted through process 0 reaches a stream opened on
	// process 1.
	stream := openStream(t, procs[1].url, alice)
	direct := &client{t: t, base: procs[0].url, host: px.host, token: alice}
	st := direct.post("through process 0")
	stream.waitFor(t, "update", st.ID)

	// The mixed load, with a process killed a third of the way in.
	var posted sync.Map // status id → uri, answered 200
	var done atomic.Int64
	const workers, ops = 4, 30
	third := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	bobID := c.accountID("bob")
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lc := &client{t: t, base: px.url, host: px.host, token: alice, lenient: true}
			for i := range ops {
				switch (w + i) % 4 {
				case 0, 2:
					if s := lc.post(fmt.Sprintf("load %d.%d", w, i)); s != nil {
						posted.Store(s.ID, s.URI)
					}
				case 1:
					var ids []string
					posted.Range(func(k, _ any) bool { ids = append(ids, k.(string)); return len(ids) < 50 })
					if len(ids) > 0 {
						lc.do("POST", "/api/v1/statuses/"+ids[rand.IntN(len(ids))]+"/favourite", nil, nil)
					}
				case 3:
					if i%8 == 3 {
						lc.do("POST", "/api/v1/accounts/"+bobID+"/follow", nil, nil)
					} else if i%8 == 7 {
						lc.do("POST", "/api/v1/accounts/"+bobID+"/unfollow", nil, nil)
					} else {
						lc.do("GET", "/api/v1/timelines/home?limit=20", nil, nil)
					}
				}
				if done.Add(1) == workers*ops/3 {
					once.Do(func() { close(third) })
				}
			}
		}()
	}
	// A third of the way in, once process 2 holds jobs, SIGKILL it.
	<-third
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	held := heldJobs(t, ctx, db, procs[2])
	procs[2].kill(t)
	t.Logf("process 2 killed holding %d jobs", len(held))
	wg.Wait()

	// Nothing lost: every post answered 200 exists and reached both
	// inboxes.
	var want []string
	posted.Range(func(k, v any) bool {
		want = append(want, v.(string))
		if code := c.do("GET", "/api/v1/statuses/"+k.(string), nil, nil); code != http.StatusOK {
			t.Errorf("status %s answered 200 when posted: now %d", k, code)
		}
		return true
	})
	if len(want) < workers*ops/3 {
		t.Fatalf("only %d posts answered 200", len(want))
	}
	testutil.Eventually(t, 90*time.Second, "every post delivered to both inboxes", func() bool {
		return len(remote.missing(want, []string{"r1", "r2"})) == 0
	})
	// The jobs the killed process held were taken over and done.
	waitJobs(t, ctx, dsn)
	var left int64
	if err := db.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE id = ANY($1)", held).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d of the %d jobs the killed process held are left (%v)", left, len(held), err)
	}
	// No delivery sent twice at once, and the host's limit held across
	// the processes.
	if bad := remote.overlaps(); len(bad) > 0 {
		t.Errorf("deliveries of the same activity to the same inbox overlapped: %v", bad)
	}
	if m := remote.maxAtOnce.Load(); m > perHost {
		t.Errorf("%d deliveries to one host at once; the limit is %d", m, perHost)
	}
	t.Logf("%d posts, %d deliveries received", len(want), remote.count())

	// Ended credentials close streams on another process: the password is
	// set from the command line.
	carolStream := openStream(t, procs[1].url, carol)
	herald(t, "account", "set-password", "--config", cfgPath, "--username", "carol", "--password", "carol password 2")
	carolStream.waitClosed(t, 15*time.Second)

	// An emoji imported from the command line is known at once to a
	// process that looked for it just before.
	on1 := &client{t: t, base: procs[1].url, host: px.host, token: alice}
	if s := on1.post("no :clusterblob: yet"); len(s.Emojis) != 0 {
		t.Fatalf("emojis before the import: %v", s.Emojis)
	}
	emojiDir := filepath.Join(dir, "emoji")
	os.MkdirAll(emojiDir, 0o700)
	writePNG(t, filepath.Join(emojiDir, "clusterblob.png"))
	herald(t, "emoji", "import", "--config", cfgPath, emojiDir)
	testutil.Eventually(t, 10*time.Second, "the imported emoji on process 1", func() bool {
		s := on1.post("now :clusterblob:")
		return len(s.Emojis) == 1 && s.Emojis[0].Shortcode == "clusterblob"
	})

	// An announcement published through process 0 reaches the stream on
	// process 1.
	on0 := &client{t: t, base: procs[0].url, host: px.host, token: alice}
	var an struct{ ID string }
	if code := on0.do("POST", "/api/v1/admin/announcements", map[string]any{"text": "maintenance tonight"}, &an); code != http.StatusOK {
		t.Fatalf("announcement: %d", code)
	}
	stream.waitFor(t, "announcement", an.ID)

	// A domain block made through process 0 holds on process 1 at once:
	// process 1, which has just read the domain policy (an activity from
	// the domain, accepted), refuses the next one (its cache would have
	// kept the old rules for a minute).
	if code := remote.follow(t, procs[1].url+"/users/alice/inbox", px.host, "r1", aliceActor); code != http.StatusAccepted {
		t.Fatalf("a follow before the block: %d", code)
	}
	if code := on0.do("POST", "/api/v1/admin/domain_blocks", map[string]any{"domain": remote.host, "severity": "suspend"}, nil); code != http.StatusOK {
		t.Fatalf("domain block: %d", code)
	}
	testutil.Eventually(t, 10*time.Second, "the block in force on process 1", func() bool {
		return remote.follow(t, procs[1].url+"/users/alice/inbox", px.host, "r3", aliceActor) == http.StatusForbidden
	})
	waitJobs(t, ctx, dsn)
	for _, f := range c.followers(aliceID) {
		if strings.HasPrefix(f, "r3@") {
			t.Errorf("r3 became a follower through process 1 after its domain was suspended through process 0")
		}
	}
}

// --- the processes ---

type process struct {
	url string
	cmd *exec.Cmd
	log *bytes.Buffer
	mu  *sync.Mutex
}

// startProcess starts `herald serve` (this test binary) on a loopback port
// of its own.
func startProcess(t *testing.T, cfgPath, dir string, i int) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "serve", "--config", cfgPath)
	cmd.Env = append(os.Environ(), serveEnv+"=1", "HERALD_SERVER_LISTEN="+addr)
	p := &process{url: "http://" + addr, cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	w := &lockedWriter{mu: p.mu, w: p.log}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("process %d (%s) log:\n%s", i, addr, p.log.String())
			p.mu.Unlock()
		}
	})
	return p
}

func (p *process) waitReady(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, "process "+p.url+" ready", func() bool {
		if p.cmd.ProcessState != nil {
			t.Fatalf("process %s exited", p.url)
		}
		resp, err := http.Get(p.url + "/api/v1/instance")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// heldJobs waits (a few seconds at most) until p holds leased jobs and
// returns their ids (none if it held none in that time).
func heldJobs(t *testing.T, ctx context.Context, db *pgx.Conn, p *process) []int64 {
	t.Helper()
	owner := fmt.Sprintf("%%-%d-%%", p.cmd.Process.Pid) // the runner's name: host-pid-random
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		rows, err := db.Query(ctx, "SELECT id FROM jobs WHERE locked_by LIKE $1 AND locked_until > $2", owner, time.Now().UnixMilli())
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 0 || time.Now().After(deadline) {
			return ids
		}
		<-tick.C
	}
}

// kill ends the process with SIGKILL: no shutdown, its leases held.
func (p *process) kill(t *testing.T) {
	if err := p.cmd.Process.Kill(); err != nil {
		t.Error(err)
	}
	_ = p.cmd.Wait()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// herald runs a command of the command line in this process.
func herald(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := cli.Main(args, &out, &errOut); code != 0 {
		t.Fatalf("herald %s: %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

func token(t *testing.T, out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// waitJobs waits until no job is due on the database (every process is
// idle).
func waitJobs(t *testing.T, ctx context.Context, dsn string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	testutil.Eventually(t, 30*time.Second, "no job due", func() bool {
		var n int64
		err := conn.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE run_at <= $1", time.Now().UnixMilli()).Scan(&n)
		return err == nil && n == 0
	})
}

// --- the proxy: round robin, skipping a backend that refuses connections
// (as a load balancer's health check would) ---

type proxy struct {
	url, host string
	mu        sync.Mutex
	backends  []*url.URL
	next      atomic.Uint64
}

func newProxy(t *testing.T) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p := &proxy{url: fmt.Sprintf("http://localhost:%d", port), host: fmt.Sprintf("localhost:%d", port)}
	srv := &http.Server{Handler: p}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *proxy) add(raw string) {
	u, _ := url.Parse(raw)
	p.mu.Lock()
	p.backends = append(p.backends, u)
	p.mu.Unlock()
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	backends := slices.Clone(p.backends)
	p.mu.Unlock()
	start := p.next.Add(1)
	for i := range backends {
		b := backends[(int(start)+i)%len(backends)]
		refused := false
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(b)
				pr.Out.Host = pr.In.Host // the public host, which signatures cover
			},
			FlushInterval: -1,
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				var op *net.OpError
				if errors.As(err, &op) && op.Op == "dial" {
					refused = true
					return
				}
				w.WriteHeader(http.StatusBadGateway)
			},
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
		if !refused {
			return
		}
	}
	w.WriteHeader(http.StatusBadGateway)
}

// --- a client of the API ---

type client struct {
	t          *testing.T
	base, host string
	token      string
	lenient    bool // under load: failures are counted by the caller, not fatal
}

type status struct {
	ID     string `json:"id"`
	URI    string `json:"uri"`
	Emojis []struct {
		Shortcode string `json:"shortcode"`
	} `json:"emojis"`
}

func (c *client) do(method, path string, body any, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Host = c.host
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if c.lenient {
			return 0
		}
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			// (Errorf: a lenient client runs on a goroutine of the load.)
			c.t.Errorf("%s %s: %v: %s", method, path, err, b)
			return 0
		}
	}
	return resp.StatusCode
}

// post posts a public status; nil when not answered 200 (lenient).
func (c *client) post(text string) *status {
	var s status
	if code := c.do("POST", "/api/v1/statuses", map[string]any{"status": text, "visibility": "public"}, &s); code != http.StatusOK {
		if c.lenient {
			return nil
		}
		c.t.Fatalf("post: %d", code)
	}
	return &s
}

func (c *client) accountID(username string) string {
	var a struct{ ID string }
	if code := c.do("GET", "/api/v1/accounts/lookup?acct="+username, nil, &a); code != http.StatusOK {
		c.t.Fatalf("lookup %s: %d", username, code)
	}
	return a.ID
}

func (c *client) followers(id string) []string {
	var list []struct{ Acct string }
	if code := c.do("GET", "/api/v1/accounts/"+id+"/followers", nil, &list); code != http.StatusOK {
		c.t.Fatalf("followers: %d", code)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Acct)
	}
	return out
}

func (c *client) actorOf(username string) string {
	var wf struct {
		Links []struct{ Rel, Type, Href string }
	}
	if code := c.do("GET", "/.well-known/webfinger?resource=acct:"+username+"@"+c.host, nil, &wf); code != http.StatusOK {
		c.t.Fatalf("webfinger: %d", code)
	}
	for _, l := range wf.Links {
		if l.Rel == "self" {
			return l.Href
		}
	}
	c.t.Fatal("no actor in webfinger")
	return ""
}

// --- a streaming connection (server-sent events) ---

type sse struct {
	mu     sync.Mutex
	events []string // "name payload"
	closed chan struct{}
}

func openStream(t *testing.T, base, token string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/streaming/user", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	s := &sse{closed: make(chan struct{})}
	go func() {
		defer close(s.closed)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				s.mu.Lock()
				s.events = append(s.events, event+" "+v)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func (s *sse) waitFor(t *testing.T, event, statusID string) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, event+" of "+statusID+" on the stream", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.events {
			name, payload, _ := strings.Cut(e, " ")
			var st status // or any entity with an id
			if name == event && json.Unmarshal([]byte(payload), &st) == nil && st.ID == statusID {
				return true
			}
		}
		return false
	})
}

func (s *sse) waitClosed(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-s.closed:
	case <-time.After(d):
		t.Fatalf("the stream was not closed within %v", d)
	}
}

// --- the remote server: actors r1, r2, r3 with inboxes of their own; it
// verifies each delivery's signature and records its start and end ---

type delivery struct {
	inbox, activity, typ, object string
	start, end                   time.Time
	ok                           bool
}

type remoteServer struct {
	url, host string
	key       *rsa.PrivateKey
	pubPEM    string
	keys      sync.Map // key id → *rsa.PublicKey

	mu         sync.Mutex
	deliveries []delivery
	inFlight   atomic.Int64
	maxAtOnce  atomic.Int64
}

func newRemote(t *testing.T) *remoteServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	key, err := httpsig.GenerateKey(0)
	if err != nil {
		t.Fatal(err)
	}
	r := &remoteServer{url: "http://" + ln.Addr().String(), host: ln.Addr().String(), key: key}
	r.pubPEM, _ = httpsig.EncodePublicKeyPEM(&key.PublicKey)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, req *http.Request) {
		actor := r.url + "/users/" + req.PathValue("name")
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                actor,
			"type":              "Person",
			"preferredUsername": req.PathValue("name"),
			"inbox":             actor + "/inbox",
			"outbox":            actor + "/outbox",
			"followers":         actor + "/followers",
			"publicKey":         map[string]string{"id": actor + "#main-key", "owner": actor, "publicKeyPem": r.pubPEM},
		})
	})
	mux.HandleFunc("POST /users/{name}/inbox", r.inbox)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *remoteServer) inbox(w http.ResponseWriter, req *http.Request) {
	d := delivery{inbox: req.URL.Path, start: time.Now()}
	n := r.inFlight.Add(1)
	for {
		m := r.maxAtOnce.Load()
		if n <= m || r.maxAtOnce.CompareAndSwap(m, n) {
			break
		}
	}
	defer func() {
		r.inFlight.Add(-1)
		d.end = time.Now()
		r.mu.Lock()
		r.deliveries = append(r.deliveries, d)
		r.mu.Unlock()
	}()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	var act struct {
		ID     string          `json:"id"`
		Type   string          `json:"type"`
		Object json.RawMessage `json:"object"`
	}
	if json.Unmarshal(body, &act) != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	d.activity, d.typ = act.ID, act.Type
	var obj struct{ ID string }
	if json.Unmarshal(act.Object, &obj) == nil {
		d.object = obj.ID
	} else {
		_ = json.Unmarshal(act.Object, &d.object)
	}
	if _, err := httpsig.VerifyRequest(req.Context(), req, body, r.resolveKey, time.Time{}, "http"); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	d.ok = true
	w.WriteHeader(http.StatusAccepted)
}

// resolveKey fetches a Herald actor's key (through the proxy) once.
func (r *remoteServer) resolveKey(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, error) {
	if v, ok := r.keys.Load(keyID); ok && !refresh {
		return v.(*rsa.PublicKey), nil
	}
	pk, err := apkey.Fetch(ctx, keyID)
	if err != nil {
		return nil, err
	}
	r.keys.Store(keyID, pk)
	return pk, nil
}

// follow sends a signed Follow of target from the remote actor name to
// inbox (host: the public host the signature covers).
func (r *remoteServer) follow(t *testing.T, inbox, host, name, target string) int {
	t.Helper()
	actor := r.url + "/users/" + name
	body, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       actor + "/follows/" + fmt.Sprint(time.Now().UnixNano()),
		"type":     "Follow",
		"actor":    actor,
		"object":   target,
	})
	// Signed for the public host, sent to wherever inbox points.
	u, _ := url.Parse(inbox)
	at := u.Host
	u.Host = host
	req, _ := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, actor+"#main-key", r.key, body); err != nil {
		t.Fatal(err)
	}
	req.URL.Host, req.Host = at, host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// missing lists the objects (status uris) not yet delivered, in a Create
// answered 2xx, to each of the actors' inboxes.
func (r *remoteServer) missing(objects, actors []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := map[string]bool{}
	for _, d := range r.deliveries {
		if d.ok && d.typ == "Create" {
			got[d.inbox+" "+d.object] = true
		}
	}
	var out []string
	for _, o := range objects {
		for _, a := range actors {
			if k := "/users/" + a + "/inbox " + o; !got[k] {
				out = append(out, k)
			}
		}
	}
	return out
}

// overlaps lists the deliveries of one activity to one inbox whose times
// overlapped.
func (r *remoteServer) overlaps() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	by := map[string][]delivery{}
	for _, d := range r.deliveries {
		k := d.inbox + " " + d.activity
		by[k] = append(by[k], d)
	}
	var out []string
	for k, ds := range by {
		slices.SortFunc(ds, func(a, b delivery) int { return a.start.Compare(b.start) })
		for i := 1; i < len(ds); i++ {
			if ds[i].start.Before(ds[i-1].end) {
				out = append(out, k)
			}
		}
	}
	return out
}

func (r *remoteServer) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deliveries)
}

func writeFile(t *testing.T, path, body string) {
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writePNG(t *testing.T, path string) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		for y := range 16 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.String())
}
