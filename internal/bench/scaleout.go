package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-social/herald/storage/sqlite"
)

// Running on PostgreSQL, with several identical server processes on one
// database. The processes share the instance's domain (that of the first
// one's port) and data directory; each listens on a loopback port of its
// own. The clients spread over them, client w to process w mod N, with
// the instance's Host on every request, as a round-robin proxy would
// spread connections, so no proxy is needed. The job runtime shares its
// queue and per-host delivery limits through the database, so all of
// them work the deliveries.

// ScaleOutResult is what one count of processes measured (scale-out mode).
type ScaleOutResult struct {
	Processes int     `json:"processes"`
	HomeP50MS float64 `json:"home_p50_ms"`
	HomeP99MS float64 `json:"home_p99_ms"`
	HomeRPS   float64 `json:"home_rps"`
	HomeCPUMS float64 `json:"home_cpu_ms"` // CPU time of all processes over the phase / requests
	// CPU time of a PostgreSQL server on this machine over the phase /
	// requests (0 on SQLite, whose work is in home_cpu_ms, or when the
	// server is elsewhere).
	HomeDBCPUMS      float64   `json:"home_db_cpu_ms"`
	HomeErrors       int64     `json:"home_errors"`
	DeliveryPerS     float64   `json:"delivery_per_s"` // best of three rounds
	DeliveryRuns     []float64 `json:"delivery_runs_per_s"`
	DeliveryCount    int       `json:"delivery_count"`     // per round: posts × sinks
	DeliveryReceived int64     `json:"delivery_received"`  // verified by the sinks over the rounds
	DeliveryCPUMS    float64   `json:"delivery_cpu_ms"`    // all processes' CPU time per delivery, over the rounds
	DeliveryDBCPUMS  float64   `json:"delivery_db_cpu_ms"` // a local PostgreSQL server's, likewise
}

func (r *run) postgres() bool { return r.opts.Driver == "postgres" }

// checkOptions fills the defaults of the store options and refuses
// combinations that cannot run.
func checkOptions(o *Options) error {
	if o.Driver == "" {
		o.Driver = "sqlite"
	}
	if o.Processes <= 0 {
		o.Processes = 1
	}
	if o.PGDatabase == "" {
		o.PGDatabase = DefaultPGDatabase
	}
	switch o.Driver {
	case "sqlite":
		if o.DSN != "" {
			return errors.New("bench: a DSN is for --driver postgres")
		}
		if o.Processes > 1 || slicesMax(o.ScaleOut) > 1 {
			return errors.New("bench: several processes need PostgreSQL (--driver postgres --dsn URL): SQLite serves one process")
		}
	case "postgres":
		if o.DSN == "" {
			return errors.New("bench: --driver postgres needs --dsn URL, a PostgreSQL server whose user may create databases")
		}
		if !validDBName(o.PGDatabase) {
			return fmt.Errorf("bench: %q is not a database name the bench makes (letters, digits and _)", o.PGDatabase)
		}
	default:
		return fmt.Errorf("bench: unknown driver %q (sqlite or postgres)", o.Driver)
	}
	for _, n := range o.ScaleOut {
		if n < 1 || n > 64 {
			return fmt.Errorf("bench: %d processes: between 1 and 64", n)
		}
	}
	if o.Processes > 64 {
		return fmt.Errorf("bench: %d processes: at most 64", o.Processes)
	}
	return nil
}

func slicesMax(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func validDBName(n string) bool {
	if n == "" || len(n) > 63 || (n[0] >= '0' && n[0] <= '9') {
		return false
	}
	for _, c := range n {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// freshDatabase drops and creates the bench's database on the server
// Options.DSN names, and points r.pgDSN at it. Its first call tells
// whether the server can be reached at all.
func (r *run) freshDatabase(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, r.opts.DSN)
	if err != nil {
		return fmt.Errorf("cannot reach PostgreSQL at %s: %w", redactDSN(r.opts.DSN), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	name := r.opts.PGDatabase
	if _, err := conn.Exec(cctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	// The C collation: text sorts by bytes, as on SQLite.
	if _, err := conn.Exec(cctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		return fmt.Errorf("create database %s (the DSN's user must be allowed to create databases): %w", name, err)
	}
	r.pgDSN, err = withDatabase(r.opts.DSN, name)
	return err
}

// dropDatabase drops the bench's database at the end of a run.
func (r *run) dropDatabase() {
	if r.pgDSN == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, r.opts.DSN)
	if err != nil {
		r.logf("drop database %s: %v", r.opts.PGDatabase, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+r.opts.PGDatabase+" WITH (FORCE)"); err != nil {
		r.logf("drop database %s: %v", r.opts.PGDatabase, err)
	}
}

// withDatabase returns dsn (a URL or key=value string) naming database name.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("dsn: %w", err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil
}

// redactDSN hides the password of a URL DSN, for messages.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "***")
		}
		return u.String()
	}
	if strings.Contains(dsn, "password=") {
		return "(the DSN given)"
	}
	return dsn
}

// copyToPostgres copies the seeded SQLite store into the bench's fresh
// PostgreSQL database (what herald storage migrate does), which the
// migrations make first, and checks the row counts.
func (r *run) copyToPostgres(ctx context.Context, src *sqlite.Store) error {
	dst, err := sqlite.OpenPostgres(ctx, r.pgDSN, 4)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := src.CopyTo(ctx, dst, nil); err != nil {
		return fmt.Errorf("copy the seeded data to PostgreSQL (needs a superuser DSN): %w", err)
	}
	counts, err := src.CompareCounts(ctx, dst)
	if err != nil {
		return err
	}
	for _, c := range counts {
		if c.Source != c.Dst {
			return fmt.Errorf("copy to PostgreSQL: table %s has %d rows, %d in the seeded SQLite", c.Table, c.Dst, c.Source)
		}
	}
	return nil
}

// startExtra starts processes 2..n of the seeded instance, next to the
// first (r.srv), each on its own port with its own config file.
func (r *run) startExtra(ctx context.Context, n int) error {
	for i := len(r.extra) + 2; i <= n; i++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		cfg, err := r.writeConfig("data-"+strconv.Itoa(i), r.dataDir, r.port, port, 0)
		if err != nil {
			return err
		}
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		c, _, err := r.start(ctx, cfg, base, r.host)
		if err != nil {
			return fmt.Errorf("process %d: %w", i, err)
		}
		r.extra = append(r.extra, c)
		r.bases = append(r.bases, base)
	}
	return nil
}

// procs are the running server processes.
func (r *run) procs() []*child {
	if r.srv == nil {
		return nil
	}
	return append([]*child{r.srv}, r.extra...)
}

func (r *run) logPaths() []string {
	var out []string
	for _, c := range r.procs() {
		out = append(out, c.logPath)
	}
	return out
}

// stopProcesses stops every server process.
func (r *run) stopProcesses() error {
	var errs []error
	for _, c := range r.procs() {
		errs = append(errs, c.stop())
	}
	r.srv, r.extra, r.bases = nil, nil, nil
	return errors.Join(errs...)
}

// sumCPU is the CPU time the processes have used so far.
func sumCPU(procs []*child) (time.Duration, error) {
	var total time.Duration
	for _, c := range procs {
		t, err := procCPU(c.pid())
		if err != nil {
			return 0, err
		}
		total += t
	}
	return total, nil
}

// request makes a request of client w: to process w mod N, for the
// instance's host.
func (r *run) request(ctx context.Context, w int, method, path string, body io.Reader) (*http.Request, error) {
	base := r.base
	if len(r.bases) > 0 {
		base = r.bases[w%len(r.bases)]
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err == nil && r.host != "" {
		req.Host = r.host
	}
	return req, err
}

// scaleOutRound starts n processes on the seeded database, measures the
// home timeline and the delivery fan-out, and stops them.
func (r *run) scaleOutRound(ctx context.Context, n int) error {
	c, _, err := r.start(ctx, r.cfgPath, r.base, r.host)
	if err != nil {
		return err
	}
	r.srv, r.bases = c, []string{r.base}
	defer r.stopProcesses()
	// The first start makes the instance actor's key (in the background).
	if err := r.get(ctx, 0, "/actor", ""); err != nil {
		return fmt.Errorf("instance actor: %w", err)
	}
	if err := r.startExtra(ctx, n); err != nil {
		return err
	}
	out := ScaleOutResult{Processes: n}
	errs0 := r.errors.Load()
	st, err := r.readPhase(ctx, "/api/v1/timelines/home?limit=40")
	if err != nil {
		return fmt.Errorf("home timeline: %w", err)
	}
	out.HomeP50MS, out.HomeP99MS, out.HomeRPS, out.HomeCPUMS = round(ms(st.p50), 2), round(ms(st.p99), 2), round(st.rps(), 0), st.cpuPerRequest()
	out.HomeErrors = r.errors.Load() - errs0
	out.HomeDBCPUMS = st.dbCPUPerRequest()
	if _, err := r.keys.resolve(ctx, r.base+"/users/fanout#main-key", false); err != nil {
		return fmt.Errorf("sinks fetching the sender's key: %w", err)
	}
	r.deliveryCPU, r.deliveryDBCPU = 0, 0
	for round := 0; round < 3; round++ {
		rate, got, err := r.deliveryRound(ctx, round)
		if err != nil {
			return fmt.Errorf("delivery fan-out: %w", err)
		}
		out.DeliveryRuns = append(out.DeliveryRuns, round1(rate))
		out.DeliveryPerS = max(out.DeliveryPerS, round1(rate))
		out.DeliveryReceived += got
	}
	out.DeliveryCount = len(r.sinks) * r.sc.Posts
	out.DeliveryCPUMS, out.DeliveryDBCPUMS = r.perDelivery(r.deliveryCPU, out.DeliveryReceived), r.perDelivery(r.deliveryDBCPU, out.DeliveryReceived)
	r.res.ScaleOut = append(r.res.ScaleOut, out)
	r.res.DeliverySinks = len(r.sinks)
	return r.stopProcesses()
}

// dbCPU is the CPU time the PostgreSQL server has used so far: its
// postmaster and the children it has now (the servers' pooled connections
// live through a phase), when it runs on this machine; 0 otherwise.
func (r *run) dbCPU() (time.Duration, error) {
	if !r.postgres() || r.db == nil {
		return 0, nil
	}
	if r.postmaster == 0 {
		r.postmaster = -1
		if cfg, err := pgx.ParseConfig(r.pgDSN); err == nil && isLoopback(cfg.Host) {
			var backend int
			if err := r.db.QueryRow("SELECT pg_backend_pid()").Scan(&backend); err == nil {
				if ppid, err := parentPID(backend); err == nil {
					r.postmaster = ppid
				}
			}
		}
	}
	if r.postmaster < 0 {
		return 0, nil
	}
	total, err := procCPU(r.postmaster)
	if err != nil {
		return 0, err
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if ppid, err := parentPID(pid); err == nil && ppid == r.postmaster {
			if t, err := procCPU(pid); err == nil {
				total += t
			}
		}
	}
	return total, nil
}

// isLoopback: a DSN host on this machine (a loopback address or a Unix
// socket's directory).
func isLoopback(host string) bool {
	if strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parentPID reads a process's parent from /proc/<pid>/stat.
func parentPID(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("odd /proc/pid/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 { // state, then ppid
		return 0, errors.New("odd /proc/pid/stat")
	}
	return strconv.Atoi(f[1])
}

// driverName is how the report names the store.
func driverName(d string) string {
	if d == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}
