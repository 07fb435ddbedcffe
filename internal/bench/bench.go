// Package bench is `herald bench`: it measures a real Herald process the
// way an operator would meet it. It seeds a fresh data directory at a
// chosen scale (straight SQL, storage/sqlite.Seed), starts the current
// executable as `herald serve` on a free loopback port, and measures over
// HTTP: the reads apps make most (home, federated and local timeline
// pages, verify_credentials), each with the server process's CPU time per
// request (utime+stime over the phase / requests: steadier than req/s on a
// shared machine), status creation under concurrent load, inbox
// ingestion of signed activities from a fake remote actor, delivery
// fan-out to loopback sink inboxes that verify every signature, the cost
// of RSA signing alone, resident memory (idle and under load), the Go
// heap (through the [server] debug_listen endpoint), the time from start
// to ready, and the binary's size. It prints a Markdown table, and JSON
// and benchstat-format lines on request.
//
// It runs on SQLite (the default) or on PostgreSQL, and there with
// several identical server processes on one database (scaleout.go): the
// clients spread over them, each connection to one in turn.
package bench

import (
	"context"
	"crypto/rsa"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/storage/sqlite"
)

// Scale is the size of the seeded instance and of the workload.
type Scale struct {
	Name            string
	Statuses        int
	LocalAccounts   int
	RemoteAccounts  int
	RemoteDomains   int
	Follows         int // per local account
	RemoteFollows   int // per remote account (local posts get remote inboxes)
	Phase           time.Duration
	Warmup          time.Duration
	Settle          time.Duration // before an idle memory reading
	InboxActivities int
	Sinks, Posts    int // delivery fan-out: K sinks, P posts
	Readers         int // concurrent clients of the read phases (0: Options.ReadWorkers)
}

// Scales: small, medium and large are the documented ones; tiny keeps
// the end-to-end test quick.
var Scales = map[string]Scale{
	// read: the read workload of issue 19 (20 local accounts following
	// each other, 5,000 statuses, 8 clients), small enough to iterate on.
	"read":   {Name: "read", Statuses: 5_000, LocalAccounts: 20, RemoteAccounts: 40, RemoteDomains: 4, Follows: 19, RemoteFollows: 1, Readers: 8, Phase: 10 * time.Second, Warmup: time.Second, Settle: 2 * time.Second, InboxActivities: 500, Sinks: 10, Posts: 20},
	"tiny":   {Name: "tiny", Statuses: 1_000, LocalAccounts: 20, RemoteAccounts: 40, RemoteDomains: 4, Follows: 10, RemoteFollows: 1, Phase: 300 * time.Millisecond, Warmup: 100 * time.Millisecond, Settle: 200 * time.Millisecond, InboxActivities: 100, Sinks: 4, Posts: 5},
	"small":  {Name: "small", Statuses: 10_000, LocalAccounts: 50, RemoteAccounts: 200, RemoteDomains: 10, Follows: 20, RemoteFollows: 1, Phase: 5 * time.Second, Warmup: time.Second, Settle: 2 * time.Second, InboxActivities: 4000, Sinks: 40, Posts: 100},
	"medium": {Name: "medium", Statuses: 100_000, LocalAccounts: 500, RemoteAccounts: 2_000, RemoteDomains: 100, Follows: 20, RemoteFollows: 1, Phase: 5 * time.Second, Warmup: time.Second, Settle: 2 * time.Second, InboxActivities: 4000, Sinks: 40, Posts: 100},
	"large":  {Name: "large", Statuses: 1_000_000, LocalAccounts: 5_000, RemoteAccounts: 20_000, RemoteDomains: 1_000, Follows: 20, RemoteFollows: 1, Phase: 5 * time.Second, Warmup: time.Second, Settle: 2 * time.Second, InboxActivities: 4000, Sinks: 40, Posts: 100},
}

// Options of one run.
type Options struct {
	Scale Scale
	// Dir holds the data directories, configs and logs; empty: a temporary
	// directory, removed at the end unless Keep.
	Dir  string
	Keep bool
	// Exe runs Herald (default: this executable); Args come before
	// "serve --config FILE" and Env is added to the child's environment
	// (tests run themselves as Herald).
	Exe  string
	Args []string
	Env  []string
	// ReadWorkers and WriteWorkers are the concurrent clients of the
	// timeline and status-creation phases.
	ReadWorkers, WriteWorkers int
	// Progress receives one line per step (nil: silent).
	Progress io.Writer
	// ReadsOnly runs the read phases only (no status creation, inbox or
	// delivery): quicker, for work on the read path.
	ReadsOnly bool
	// ProfileDir, when set, receives a CPU profile of the server for each
	// load phase (<phase>.cpu.pprof) and a heap profile after the load
	// (heap.pprof), taken through the debug endpoint.
	ProfileDir string
	// Driver is the store: "sqlite" (default) or "postgres". On
	// PostgreSQL, DSN names the server (its user must be allowed to create
	// databases and, for the copy of the seeded data, to set
	// session_replication_role: a superuser); the bench drops and creates
	// the database PGDatabase (default "herald_bench") there.
	Driver, DSN, PGDatabase string
	// Processes is how many identical server processes serve the seeded
	// instance (default 1; more need PostgreSQL).
	Processes int
	// ScaleOut, when not empty, runs only the scale-out phases (home
	// timeline and delivery fan-out) once for each count of processes it
	// lists, on one seeded database; Processes is then unused.
	ScaleOut []int
}

// DefaultPGDatabase is the database the bench makes on PostgreSQL.
const DefaultPGDatabase = "herald_bench"

// Result is what a run measured. JSON keys are stable: tools compare runs.
type Result struct {
	Scale          string  `json:"scale"`
	Mode           string  `json:"mode"`      // "full", or "scale-out" (Options.ScaleOut)
	Driver         string  `json:"driver"`    // sqlite or postgres
	Processes      int     `json:"processes"` // server processes of the load phases (full mode)
	Statuses       int     `json:"statuses"`
	LocalAccounts  int     `json:"local_accounts"`
	RemoteAccounts int     `json:"remote_accounts"`
	HomeFeedRows   int64   `json:"home_feed_rows"`
	SeedS          float64 `json:"seed_s"`
	DBMiB          float64 `json:"db_mib"`

	IdleRSSMiB       float64 `json:"idle_rss_mib"`        // empty instance, after start
	IdleRSSSeededMiB float64 `json:"idle_rss_seeded_mib"` // seeded instance, after start
	LoadRSSMiB       float64 `json:"load_rss_mib"`        // highest RSS sampled during the load phases
	PeakRSSMiB       float64 `json:"peak_rss_mib"`        // VmHWM at the end of the run
	HeapIdleMiB      float64 `json:"heap_idle_mib"`       // Go HeapInuse, seeded instance idle
	HeapLoadMiB      float64 `json:"heap_load_mib"`       // highest HeapInuse sampled under load
	GoSysMiB         float64 `json:"go_sys_mib"`          // memory the Go runtime got from the OS, end of load

	StartupMS      float64 `json:"startup_ms"` // median over restarts on the seeded database
	StartupMinMS   float64 `json:"startup_min_ms"`
	StartupMaxMS   float64 `json:"startup_max_ms"`
	StartupEmptyMS float64 `json:"startup_empty_ms"` // first start, empty data directory (creates the schema)
	StartupCPUMS   float64 `json:"startup_cpu_ms"`   // CPU time the server used until ready (median): steadier than wall time on a busy machine

	HomeP50MS   float64 `json:"home_p50_ms"`
	HomeP99MS   float64 `json:"home_p99_ms"`
	HomeRPS     float64 `json:"home_rps"`
	PublicP50MS float64 `json:"public_p50_ms"`
	PublicP99MS float64 `json:"public_p99_ms"`
	PublicRPS   float64 `json:"public_rps"`
	LocalP50MS  float64 `json:"local_p50_ms"`
	LocalP99MS  float64 `json:"local_p99_ms"`
	LocalRPS    float64 `json:"local_rps"`
	VerifyP50MS float64 `json:"verify_p50_ms"`
	VerifyP99MS float64 `json:"verify_p99_ms"`
	VerifyRPS   float64 `json:"verify_rps"`
	// CPU time of the server process (utime+stime) over a read phase,
	// divided by the requests answered in it: steadier than req/s on a
	// shared machine.
	HomeCPUMS   float64 `json:"home_cpu_ms"`
	HomeDBCPUMS float64 `json:"home_db_cpu_ms"` // a local PostgreSQL server's CPU time / requests (0 on SQLite)
	PublicCPUMS float64 `json:"public_cpu_ms"`
	LocalCPUMS  float64 `json:"local_cpu_ms"`
	VerifyCPUMS float64 `json:"verify_cpu_ms"`
	// The same response replayed by a bare net/http server to the same
	// clients (floor.go): what any Go server pays per request, Herald's
	// own work excluded.
	VerifyFloorCPUMS float64 `json:"verify_floor_cpu_ms"`
	VerifyFloorRPS   float64 `json:"verify_floor_rps"`
	ReadClients      int     `json:"read_clients"`
	CreateP50MS      float64 `json:"create_p50_ms"`
	CreateP99MS      float64 `json:"create_p99_ms"`
	CreateRPS        float64 `json:"create_rps"`

	CreateDeliveries int64   `json:"create_deliveries"` // deliveries the created statuses queued (to a loopback sink)
	CreateDrainS     float64 `json:"create_drain_s"`    // time after the phase until they were all delivered

	InboxPerS          float64 `json:"inbox_per_s"`           // signed activities accepted (202) per second
	InboxProcessedPerS float64 `json:"inbox_processed_per_s"` // accepted and processed (the queue drained)

	DeliveryPerS  float64   `json:"delivery_per_s"` // best of three rounds
	DeliveryRuns  []float64 `json:"delivery_runs_per_s"`
	DeliverySinks int       `json:"delivery_sinks"`
	DeliveryCount int       `json:"delivery_count"` // per round: posts × sinks (each sink a follower's inbox)
	// Deliveries the sinks verified over all rounds, once the queue was
	// empty: exactly rounds × delivery_count, or the run fails.
	DeliveryReceived int64 `json:"delivery_received"`
	// CPU time per delivery over the rounds: the server processes', and a
	// local PostgreSQL server's (0 on SQLite).
	DeliveryCPUMS   float64   `json:"delivery_cpu_ms"`
	DeliveryDBCPUMS float64   `json:"delivery_db_cpu_ms"`
	RSASignPerS     float64   `json:"rsa_sign_per_s"` // best of three rounds
	RSASignRuns     []float64 `json:"rsa_sign_runs_per_s"`
	DeliveryVsSign  float64   `json:"delivery_vs_sign"`

	// ScaleOut: one entry per count of processes (scale-out mode).
	ScaleOut []ScaleOutResult `json:"scale_out,omitempty"`

	BinaryMiB float64 `json:"binary_mib"`
	CPUs      int     `json:"cpus"`
	GoVersion string  `json:"go_version"`
	Errors    int64   `json:"errors"` // failed requests over all phases
}

type run struct {
	opts     Options
	sc       Scale
	dir      string
	key      *rsa.PrivateKey
	privPEM  string
	pubPEM   string
	client   *http.Client
	res      *Result
	progress io.Writer

	nullSink *nullSink
	sinks    []*sink
	keys     *keyStore
	sender   *sender

	port, debugPort int
	base            string
	dataDir         string
	cfgPath         string
	srv             *child   // process 1 (memory, profiles and restarts are measured on it)
	extra           []*child // processes 2..N
	bases           []string // each running process's address, for the clients in turn
	host            string   // the instance's host (127.0.0.1:port), the Host of every request
	pgDSN           string   // the bench's own PostgreSQL database
	postmaster      int      // a local PostgreSQL's postmaster pid (-1: none to measure)
	// CPU time of the servers, and of a local PostgreSQL, over the
	// delivery rounds so far.
	deliveryCPU, deliveryDBCPU time.Duration
	db                         *sql.DB
	errors                     atomic.Int64
	tokens                     []string
	fanoutToken                string
	sampler                    *sampler
}

func (r *run) logf(format string, args ...any) {
	if r.progress != nil {
		fmt.Fprintf(r.progress, "bench: "+format+"\n", args...)
	}
}

// Run measures one scale end to end.
func Run(ctx context.Context, opts Options) (res *Result, err error) {
	sc := opts.Scale
	if sc.Statuses == 0 {
		return nil, errors.New("bench: no scale")
	}
	if sc.Readers > 0 {
		opts.ReadWorkers = sc.Readers
	}
	if opts.ReadWorkers <= 0 {
		opts.ReadWorkers = 16
	}
	if opts.WriteWorkers <= 0 {
		opts.WriteWorkers = 8
	}
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if opts.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opts.Exe = exe
	}
	dir := opts.Dir
	if dir == "" {
		dir, err = os.MkdirTemp("", "herald-bench-")
		if err != nil {
			return nil, err
		}
		if !opts.Keep {
			defer func() {
				if err == nil {
					os.RemoveAll(dir)
				} else { // keep the server's logs for the post-mortem
					err = fmt.Errorf("%w (working directory kept: %s)", err, dir)
				}
			}()
		}
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	r := &run{opts: opts, sc: sc, dir: dir, progress: opts.Progress, keys: newKeyStore(),
		res: &Result{Scale: sc.Name, Statuses: sc.Statuses, LocalAccounts: sc.LocalAccounts, RemoteAccounts: sc.RemoteAccounts,
			CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), ReadClients: opts.ReadWorkers,
			Mode: "full", Driver: opts.Driver, Processes: opts.Processes}}
	r.client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second, DisableCompression: true}}
	defer r.client.CloseIdleConnections()
	if r.postgres() && !opts.Keep {
		// After close, when no process uses it any more; kept for the
		// post-mortem when the run failed.
		defer func() {
			if err == nil {
				r.dropDatabase()
			} else if r.pgDSN != "" {
				err = fmt.Errorf("%w (PostgreSQL database %s kept)", err, opts.PGDatabase)
			}
		}()
	}
	defer r.close()
	if st, err := os.Stat(opts.Exe); err == nil {
		r.res.BinaryMiB = mib(st.Size())
	}
	type step struct {
		name string
		fn   func(context.Context) error
	}
	steps := []step{
		{"keys and loopback peers", r.setup},
		{"empty instance", r.emptyInstance},
		{"seed", r.seed},
		{"start on the seeded database", r.startups},
		{"home timeline", r.homePhase},
		{"public timeline", r.publicPhase},
		{"local timeline", r.localPhase},
		{"verify credentials", r.verifyPhase},
		{"verify credentials floor", r.verifyFloorPhase},
		{"status creation", r.createPhase},
		{"inbox ingestion", r.inboxPhase},
		{"delivery fan-out and RSA signing", r.deliveryPhase},
		{"stop", r.stopServer},
	}
	if opts.ReadsOnly {
		steps = slices.DeleteFunc(steps, func(s step) bool {
			return s.name == "status creation" || s.name == "inbox ingestion" || strings.HasPrefix(s.name, "delivery")
		})
	}
	if len(opts.ScaleOut) > 0 {
		r.res.Mode, r.res.Processes = "scale-out", 0
		steps = []step{{"keys and loopback peers", r.setup}, {"seed", r.seed}}
		for _, n := range opts.ScaleOut {
			steps = append(steps, step{fmt.Sprintf("%d processes: home timeline and delivery fan-out", n),
				func(ctx context.Context) error { return r.scaleOutRound(ctx, n) }})
		}
	}
	if r.postgres() {
		// First, so that a wrong DSN fails before anything else runs.
		steps = append([]step{{"PostgreSQL database " + opts.PGDatabase, r.freshDatabase}}, steps...)
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		stopProfile := r.profile(s.name)
		err := s.fn(ctx)
		stopProfile()
		if err != nil {
			if r.srv != nil {
				err = fmt.Errorf("%w (server logs: %s)", err, strings.Join(r.logPaths(), ", "))
			}
			return nil, fmt.Errorf("bench: %s: %w", s.name, err)
		}
		r.logf("%s: %.1fs", s.name, time.Since(start).Seconds())
	}
	r.res.Errors = r.errors.Load()
	if r.res.RSASignPerS > 0 {
		r.res.DeliveryVsSign = round(r.res.DeliveryPerS/r.res.RSASignPerS, 2)
	}
	return r.res, nil
}

func (r *run) close() {
	_ = r.stopProcesses()
	if r.db != nil {
		r.db.Close()
	}
	if r.nullSink != nil {
		r.nullSink.srv.Close()
	}
	for _, s := range r.sinks {
		s.srv.Close()
	}
	if r.sender != nil {
		r.sender.srv.Close()
	}
}

// setup makes the shared key pair and starts the loopback peers: a sink
// for the deliveries of ordinary posts, K verifying sinks, and the remote
// actor that sends to the inbox.
func (r *run) setup(ctx context.Context) error {
	k, err := httpsig.GenerateKey(2048)
	if err != nil {
		return err
	}
	r.key = k
	if r.privPEM, err = httpsig.EncodePrivateKeyPEM(k); err != nil {
		return err
	}
	if r.pubPEM, err = httpsig.EncodePublicKeyPEM(&k.PublicKey); err != nil {
		return err
	}
	if r.nullSink, err = startNullSink(); err != nil {
		return err
	}
	for i := 0; i < r.sc.Sinks; i++ {
		s, err := startSink(r.keys)
		if err != nil {
			return err
		}
		r.sinks = append(r.sinks, s)
	}
	r.sender, err = startSender(k, r.pubPEM)
	return err
}

// emptyInstance starts Herald on an empty data directory: the idle
// footprint of a new instance.
func (r *run) emptyInstance(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	dport, err := freePort()
	if err != nil {
		return err
	}
	cfg, err := r.writeConfig("empty", filepath.Join(r.dir, "empty"), port, port, dport)
	if err != nil {
		return err
	}
	c, ready, err := r.start(ctx, cfg, "http://127.0.0.1:"+strconv.Itoa(port), "")
	if err != nil {
		return err
	}
	defer c.stop()
	r.res.StartupEmptyMS = ms(ready)
	sleep(ctx, r.sc.Settle)
	if rss, _, err := readRSS(c.pid()); err != nil {
		r.logf("no memory figures: %v", err)
	} else {
		r.res.IdleRSSMiB = round(rss, 1)
	}
	return c.stop()
}

func (r *run) seed(ctx context.Context) error {
	var err error
	if r.port, err = freePort(); err != nil {
		return err
	}
	if r.debugPort, err = freePort(); err != nil {
		return err
	}
	r.host = "127.0.0.1:" + strconv.Itoa(r.port)
	r.base = "http://" + r.host
	r.dataDir = filepath.Join(r.dir, "data")
	if r.cfgPath, err = r.writeConfig("data", r.dataDir, r.port, r.port, r.debugPort); err != nil {
		return err
	}
	// On PostgreSQL the data are seeded into SQLite as always, then copied
	// (as herald storage migrate does); the servers' data directory holds
	// the media only.
	seedDir := r.dataDir
	if r.postgres() {
		seedDir = filepath.Join(r.dir, "seed")
		if err := r.freshDatabase(ctx); err != nil { // the empty instance's is not empty
			return err
		}
	}
	hash, err := core.HashPassword("bench password, not a secret")
	if err != nil {
		return err
	}
	var remoteInboxes, fanout []string
	for d := 0; d < r.sc.RemoteDomains; d++ {
		remoteInboxes = append(remoteInboxes, r.nullSink.url+"/d"+strconv.Itoa(d)+"/inbox")
	}
	for _, s := range r.sinks {
		fanout = append(fanout, s.url+"/inbox")
	}
	start := time.Now()
	store, err := sqlite.Open(ctx, seedDir, 1)
	if err != nil {
		return err
	}
	seeded, err := sqlite.Seed(ctx, store, sqlite.SeedSpec{
		BaseURL: r.base, Statuses: r.sc.Statuses, LocalAccounts: r.sc.LocalAccounts,
		RemoteAccounts: r.sc.RemoteAccounts, RemoteDomains: r.sc.RemoteDomains, RemoteInboxes: remoteInboxes,
		Follows: r.sc.Follows, RemoteFollows: r.sc.RemoteFollows, PrivateKeyPEM: r.privPEM, PublicKeyPEM: r.pubPEM,
		PasswordHash: hash, Tokens: max(r.opts.ReadWorkers, r.opts.WriteWorkers), FanoutInboxes: fanout,
		Sender: r.sender.actor, SenderInbox: r.sender.actor + "/inbox", SenderFollowers: senderFollowers(r.sc),
	})
	if err == nil && r.postgres() {
		err = r.copyToPostgres(ctx, store)
	}
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	r.res.SeedS = round(time.Since(start).Seconds(), 1)
	r.res.HomeFeedRows = seeded.Rows["home_feed"]
	r.tokens = seeded.Tokens
	r.fanoutToken = seeded.FanoutToken
	if r.postgres() {
		os.RemoveAll(seedDir)
		if r.db, err = sql.Open("pgx", r.pgDSN); err != nil {
			return err
		}
		var size int64
		if err := r.db.QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&size); err == nil {
			r.res.DBMiB = round(mib(size), 1)
		}
		return nil
	}
	if st, err := os.Stat(filepath.Join(r.dataDir, sqlite.DBFile)); err == nil {
		r.res.DBMiB = round(mib(st.Size()), 1)
	}
	r.db, err = sql.Open("sqlite", "file:"+filepath.Join(r.dataDir, sqlite.DBFile)+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	return err
}

// startups restarts Herald on the seeded database a few times: the time
// from exec to the first 200 of /api/v1/instance. The last start stays up
// for the load phases.
func (r *run) startups(ctx context.Context) error {
	var times, cpu []float64
	for i := 0; i < 5; i++ {
		c, ready, err := r.start(ctx, r.cfgPath, r.base, r.host)
		if err != nil {
			return err
		}
		times = append(times, ms(ready))
		if t, err := cpuTime(c.pid()); err == nil {
			cpu = append(cpu, ms(t))
		}
		// The first start makes the instance actor's key (in the
		// background); let it finish, as on any instance in service.
		if err := r.get(ctx, 0, "/actor", ""); err != nil {
			c.stop()
			return fmt.Errorf("instance actor: %w", err)
		}
		if i == 4 {
			r.srv, r.bases = c, []string{r.base}
			break
		}
		if err := c.stop(); err != nil {
			return err
		}
	}
	slices.Sort(times)
	if len(cpu) > 0 {
		slices.Sort(cpu)
		r.res.StartupCPUMS = round(cpu[len(cpu)/2], 1)
	}
	r.res.StartupMS, r.res.StartupMinMS, r.res.StartupMaxMS = round(times[len(times)/2], 1), round(times[0], 1), round(times[len(times)-1], 1)
	sleep(ctx, r.sc.Settle)
	if rss, _, err := readRSS(r.srv.pid()); err == nil {
		r.res.IdleRSSSeededMiB = round(rss, 1)
	}
	if m, err := r.memstats(ctx); err == nil {
		r.res.HeapIdleMiB = round(mib(int64(m.HeapInuse)), 1)
	} else {
		r.logf("no heap figures: %v", err)
	}
	r.sampler = startSampler(r)
	// The other processes start once the first is measured.
	return r.startExtra(ctx, r.opts.Processes)
}

func (r *run) stopServer(ctx context.Context) error {
	if r.sampler != nil {
		r.sampler.stop()
		r.res.LoadRSSMiB = round(r.sampler.maxRSS, 1)
		r.res.HeapLoadMiB = round(mib(int64(r.sampler.maxHeap)), 1)
		r.res.GoSysMiB = round(mib(int64(r.sampler.lastSys)), 1)
	}
	if _, hwm, err := readRSS(r.srv.pid()); err == nil {
		r.res.PeakRSSMiB = round(hwm, 1)
	}
	return r.stopProcesses()
}

// writeConfig writes name.toml: the instance 127.0.0.1:domainPort served
// on listenPort (another process of the same instance listens on a port
// of its own), with a debug endpoint unless debugPort is 0. Rate limits
// are lifted through the environment (see childEnv).
func (r *run) writeConfig(name, dataDir string, domainPort, listenPort, debugPort int) (string, error) {
	debug, store := "", ""
	if debugPort != 0 {
		debug = fmt.Sprintf("debug_listen = \"127.0.0.1:%d\"\n", debugPort)
	}
	if r.postgres() {
		store = fmt.Sprintf("driver = \"postgres\"\ndsn = %q\n", r.pgDSN)
	}
	cfg := fmt.Sprintf(`# Written by herald bench.
[instance]
domain = "127.0.0.1:%d"
protocol = "http"

[server]
listen = "127.0.0.1:%d"
%s
[storage]
%sdata_dir = %q

[federation]
# The peers of the benchmark are on loopback.
allow_private_addresses = true

[log]
level = "warn"
`, domainPort, listenPort, debug, store, dataDir)
	p := filepath.Join(r.dir, name+".toml")
	return p, os.WriteFile(p, []byte(cfg), 0o600)
}

// childEnv is the environment of the server: the bench's own, without
// HERALD_ overrides, with the abuse limits lifted (the load comes from one
// address and a few accounts; the limits are measured elsewhere).
func (r *run) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			env = append(env, kv)
		}
	}
	const lots = "1000000000"
	env = append(env,
		"HERALD_LIMITS_API_PER_5_MINUTES="+lots,
		"HERALD_LIMITS_API_PER_IP_PER_5_MINUTES="+lots,
		"HERALD_LIMITS_SIGN_IN_PER_MINUTE="+lots,
		"HERALD_LIMITS_INBOX_PER_DOMAIN_PER_MINUTE="+lots,
	)
	return append(env, r.opts.Env...)
}

// --- the server process ---

type child struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
	once    sync.Once
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// start runs `serve --config cfg` and waits for the first 200 from
// base/api/v1/instance (asked with Host host, when not empty); it returns
// the time from exec to that answer.
func (r *run) start(ctx context.Context, cfg, base, host string) (*child, time.Duration, error) {
	return r.spawn(ctx, "the server", []string{"serve", "--config", cfg, "--init"},
		strings.TrimSuffix(cfg, ".toml")+".log", base+"/api/v1/instance", host)
}

// spawn runs this executable with args (output to logPath) and waits for
// the first 200 from url (asked with Host host, when not empty); it
// returns the time from exec to that answer. what names the process in
// errors.
func (r *run) spawn(ctx context.Context, what string, args []string, logPath, url, host string) (*child, time.Duration, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(r.opts.Exe, append(append([]string{}, r.opts.Args...), args...)...)
	cmd.Env = r.childEnv()
	cmd.Stdout, cmd.Stderr = lf, lf
	c := &child{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, 0, err
	}
	go func() { c.waitErr = cmd.Wait(); lf.Close(); close(c.done) }()
	deadline := start.Add(60 * time.Second)
	for {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			c.stop()
			return nil, 0, err
		}
		if host != "" {
			req.Host = host
		}
		resp, err := probe.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, time.Since(start), nil
			}
		}
		select {
		case <-c.done:
			return nil, 0, fmt.Errorf("%s exited before it was ready (%v); see %s", what, c.waitErr, logPath)
		case <-ctx.Done():
			c.stop()
			return nil, 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, 0, fmt.Errorf("%s was not ready within 60 s; see %s", what, logPath)
		}
	}
}

// stop ends the server with SIGTERM (SIGKILL after 30 s).
func (c *child) stop() error {
	var err error
	c.once.Do(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(30 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
			err = errors.New("the server did not stop within 30 s of SIGTERM")
			return
		}
		var ee *exec.ExitError
		if c.waitErr != nil && !errors.As(c.waitErr, &ee) {
			err = c.waitErr
		} else if ee != nil && !ee.Success() {
			err = fmt.Errorf("the server exited with %v; see %s", ee, c.logPath)
		}
	})
	return err
}

// readRSS reads VmRSS and VmHWM (MiB) of a process.
func readRSS(pid int) (rss, hwm float64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, fmt.Errorf("resident memory: %w (needs Linux /proc)", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[0], 64)
		if k == "VmRSS" {
			rss = kb / 1024
		} else {
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func mib(b int64) float64        { return float64(b) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func round(v float64, n int) float64 {
	p := 1.0
	for i := 0; i < n; i++ {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// senderFollowers is how many local accounts follow the inbox phase's
// sender: a tenth of them, at most 25, so that processing an activity is
// the same work at every scale.
func senderFollowers(sc Scale) int { return max(min(sc.LocalAccounts/10, 25), 1) }

// procCPU is the CPU time a process has used so far, its exited
// threads included: utime+stime of /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ")".
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("odd /proc/pid/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // state is field 3; utime and stime are 14 and 15
		return 0, errors.New("odd /proc/pid/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("odd /proc/pid/stat")
	}
	// USER_HZ is 100 on every Linux that Go supports.
	return time.Duration(ut+st) * (time.Second / 100), nil
}

// cpuTime is the CPU time a process's threads have run so far
// (/proc/<pid>/task/*/schedstat, in nanoseconds).
func cpuTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	if err != nil || len(tasks) == 0 {
		return 0, errors.New("no schedstat")
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(ns)
		}
	}
	return total, nil
}
