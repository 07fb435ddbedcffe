package bench_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/bench"
	"github.com/herald-social/herald/internal/cli"
	"github.com/herald-social/herald/internal/testutil/pgtest"
)

// The test binary doubles as Herald: with HERALD_BENCH_AS_SERVER set it
// runs the command line instead of the tests, so that the bench can start
// it as its server process.
func TestMain(m *testing.M) {
	if os.Getenv("HERALD_BENCH_AS_SERVER") == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestBenchTiny runs the whole benchmark at the tiny scale, so that the
// command keeps working: every phase must complete without failed
// requests and produce its figures. No timing is asserted.
func TestBenchTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	res := runTiny(t, bench.Options{})
	dir := t.TempDir()
	for name, v := range map[string]float64{
		"idle_rss_mib": res.IdleRSSMiB, "load_rss_mib": res.LoadRSSMiB, "startup_ms": res.StartupMS,
		"home_p50_ms": res.HomeP50MS, "home_p99_ms": res.HomeP99MS, "home_rps": res.HomeRPS,
		"public_rps": res.PublicRPS, "local_rps": res.LocalRPS, "verify_rps": res.VerifyRPS, "create_rps": res.CreateRPS, "inbox_per_s": res.InboxPerS,
		"delivery_per_s": res.DeliveryPerS, "rsa_sign_per_s": res.RSASignPerS, "binary_mib": res.BinaryMiB,
		"heap_load_mib": res.HeapLoadMiB, "verify_floor_rps": res.VerifyFloorRPS,
	} {
		if v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if res.CreateDeliveries == 0 {
		t.Error("the created statuses queued no deliveries")
	}
	if res.DeliveryCount != 4*5 || len(res.DeliveryRuns) != 3 {
		t.Errorf("delivery count %d", res.DeliveryCount)
	}
	// The JSON carries the documented keys.
	out := filepath.Join(dir, "out.json")
	if err := bench.WriteJSON(out, res); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	for _, k := range []string{"idle_rss_mib", "load_rss_mib", "startup_ms", "home_p50_ms", "home_p99_ms", "home_rps",
		"home_cpu_ms", "local_cpu_ms", "verify_cpu_ms", "local_rps", "verify_rps", "verify_p50_ms",
		"verify_floor_cpu_ms", "create_rps", "inbox_per_s", "delivery_per_s", "rsa_sign_per_s", "binary_mib", "scale"} {
		if !strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("JSON lacks %q", k)
		}
	}
	back, err := bench.ReadJSON(out)
	if err != nil || back.Scale != "tiny" {
		t.Fatalf("read back: %+v %v", back, err)
	}
	var md, bf bytes.Buffer
	bench.WriteMarkdown(&md, res, back)
	bench.WriteBenchfmt(&bf, res)
	if !strings.Contains(md.String(), "| Home timeline, median |") || !strings.Contains(bf.String(), "BenchmarkHerald/scale=tiny/home-") {
		t.Errorf("report:\n%s\n%s", md.String(), bf.String())
	}
}

// TestBenchCommandUsage: the command refuses an unknown scale.
func TestBenchCommandUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := cli.Main([]string{"bench", "--scale", "huge"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--scale must be one of") {
		t.Errorf("stderr: %s", stderr.String())
	}
	// --help lists the options, those of PostgreSQL and processes too.
	stdout.Reset()
	if code := cli.Main([]string{"bench", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, f := range []string{"-scale", "-driver", "-dsn", "-processes", "-scale-out", "-pg-database"} {
		if !strings.Contains(stdout.String(), f) {
			t.Errorf("--help lacks %s:\n%s", f, stdout.String())
		}
	}
}

// TestBenchPostgres runs the bench on PostgreSQL (HERALD_TEST_POSTGRES_DSN;
// skipped without it) at the tiny scale: the whole run with 2 server
// processes on one database, then the scale-out mode for 1 and 2
// processes. The reports must be complete and consistent: every phase
// measured, no failed request, every fan-out delivery verified exactly
// once (posts × followers' inboxes per round). No timing is asserted.
func TestBenchPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	admin := os.Getenv(pgtest.Env)
	if admin == "" {
		t.Skip("PostgreSQL tests skipped: set " + pgtest.Env + " to a server's URL (see .ci/postgres.sh)")
	}
	sc := bench.Scales["tiny"]
	perRound := sc.Sinks * sc.Posts
	run := func(t *testing.T, opts bench.Options) *bench.Result {
		t.Helper()
		opts.Driver, opts.DSN = "postgres", admin
		// A database of this test's own: other test runs may share the server.
		opts.PGDatabase = "herald_bench_test_" + strconv.FormatInt(time.Now().UnixNano(), 36)
		res := runTiny(t, opts)
		if res.Driver != "postgres" || res.HomeFeedRows == 0 || res.DBMiB <= 0 {
			t.Errorf("driver %q, %d home-feed rows, %v MiB", res.Driver, res.HomeFeedRows, res.DBMiB)
		}
		return res
	}

	t.Run("two processes", func(t *testing.T) {
		res := run(t, bench.Options{Processes: 2})
		if res.Mode != "full" || res.Processes != 2 {
			t.Errorf("mode %q, %d processes", res.Mode, res.Processes)
		}
		for name, v := range map[string]float64{
			"home_rps": res.HomeRPS, "home_p50_ms": res.HomeP50MS, "home_cpu_ms": res.HomeCPUMS, "public_rps": res.PublicRPS,
			"local_rps": res.LocalRPS, "verify_rps": res.VerifyRPS, "create_rps": res.CreateRPS, "inbox_per_s": res.InboxPerS,
			"inbox_processed_per_s": res.InboxProcessedPerS, "delivery_per_s": res.DeliveryPerS, "startup_ms": res.StartupMS,
			"load_rss_mib": res.LoadRSSMiB,
		} {
			if v <= 0 {
				t.Errorf("%s = %v", name, v)
			}
		}
		if res.HomeP99MS < res.HomeP50MS {
			t.Errorf("home p99 %v < p50 %v", res.HomeP99MS, res.HomeP50MS)
		}
		if res.CreateDeliveries == 0 {
			t.Error("the created statuses queued no deliveries")
		}
		if res.DeliveryCount != perRound || len(res.DeliveryRuns) != 3 || res.DeliveryReceived != int64(3*perRound) {
			t.Errorf("delivery: %d per round, runs %v, %d received (want %d)", res.DeliveryCount, res.DeliveryRuns, res.DeliveryReceived, 3*perRound)
		}
		var md, bf bytes.Buffer
		bench.WriteMarkdown(&md, res, nil)
		bench.WriteBenchfmt(&bf, res)
		if !strings.Contains(md.String(), "on PostgreSQL, 2 server processes") || !strings.Contains(bf.String(), "/driver=postgres/processes=2/home-") {
			t.Errorf("report:\n%s\n%s", md.String(), bf.String())
		}
	})

	t.Run("scale-out 1 and 2", func(t *testing.T) {
		res := run(t, bench.Options{ScaleOut: []int{1, 2}})
		if res.Mode != "scale-out" || len(res.ScaleOut) != 2 {
			t.Fatalf("mode %q, %d scale-out entries", res.Mode, len(res.ScaleOut))
		}
		for i, s := range res.ScaleOut {
			if s.Processes != i+1 {
				t.Errorf("entry %d: %d processes", i, s.Processes)
			}
			if s.HomeRPS <= 0 || s.HomeP50MS <= 0 || s.HomeP99MS < s.HomeP50MS || s.HomeCPUMS <= 0 || s.HomeErrors != 0 {
				t.Errorf("%d processes: home %+v", s.Processes, s)
			}
			if s.DeliveryPerS <= 0 || len(s.DeliveryRuns) != 3 || s.DeliveryCount != perRound || s.DeliveryReceived != int64(3*perRound) || s.DeliveryCPUMS <= 0 {
				t.Errorf("%d processes: delivery %+v (want %d per round)", s.Processes, s, perRound)
			}
		}
		out := filepath.Join(t.TempDir(), "out.json")
		if err := bench.WriteJSON(out, res); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		for _, k := range []string{"mode", "driver", "processes", "scale_out", "home_rps", "home_cpu_ms", "home_db_cpu_ms", "delivery_per_s", "delivery_received", "delivery_cpu_ms"} {
			if !strings.Contains(string(b), `"`+k+`"`) {
				t.Errorf("JSON lacks %q", k)
			}
		}
		var md, bf bytes.Buffer
		bench.WriteMarkdown(&md, res, nil)
		bench.WriteBenchfmt(&bf, res)
		if !strings.Contains(md.String(), "| 1 | ") || !strings.Contains(md.String(), "| 2 | ") ||
			!strings.Contains(bf.String(), "/driver=postgres/processes=2/delivery-") {
			t.Errorf("report:\n%s\n%s", md.String(), bf.String())
		}
	})
}

// TestBenchPostgresRefused: without a DSN, or with one nobody answers,
// the bench refuses at once and says why.
func TestBenchPostgresRefused(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"bench", "--driver", "postgres"},
		{"bench", "--processes", "3"},
		{"bench", "--scale-out", "1,3"},
		{"bench", "--driver", "mysql"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := cli.Main(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d: %s", args, code, stderr.String())
		}
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = bench.Run(context.Background(), bench.Options{Scale: bench.Scales["tiny"], Dir: t.TempDir(),
		Driver: "postgres", DSN: "postgres://postgres@" + addr + "/postgres?sslmode=disable&connect_timeout=5"})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at") {
		t.Fatalf("err = %v", err)
	}
}

// runTiny runs the bench at the tiny scale with this test binary as the
// server, fails the test (with the servers' logs) if the run fails, and
// reports failed requests.
func runTiny(t *testing.T, opts bench.Options) *bench.Result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	dir := t.TempDir()
	opts.Scale, opts.Dir, opts.Exe, opts.Env = bench.Scales["tiny"], dir, exe, []string{"HERALD_BENCH_AS_SERVER=1"}
	opts.ReadWorkers, opts.WriteWorkers, opts.Progress = 4, 2, &progress
	res, err := bench.Run(context.Background(), opts)
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", l, b)
		}
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if res.Errors != 0 {
		t.Errorf("%d requests failed", res.Errors)
	}
	return res
}
