package bench_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/bench"
	"github.com/herald-social/herald/internal/cli"
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
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	dir := t.TempDir()
	res, err := bench.Run(context.Background(), bench.Options{
		Scale: bench.Scales["tiny"], Dir: dir, Exe: exe, Env: []string{"HERALD_BENCH_AS_SERVER=1"},
		ReadWorkers: 4, WriteWorkers: 2, Progress: &progress,
	})
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
	for name, v := range map[string]float64{
		"idle_rss_mib": res.IdleRSSMiB, "load_rss_mib": res.LoadRSSMiB, "startup_ms": res.StartupMS,
		"home_p50_ms": res.HomeP50MS, "home_p99_ms": res.HomeP99MS, "home_rps": res.HomeRPS,
		"public_rps": res.PublicRPS, "local_rps": res.LocalRPS, "verify_rps": res.VerifyRPS, "create_rps": res.CreateRPS, "inbox_per_s": res.InboxPerS,
		"delivery_per_s": res.DeliveryPerS, "rsa_sign_per_s": res.RSASignPerS, "binary_mib": res.BinaryMiB,
		"heap_load_mib": res.HeapLoadMiB,
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
		"create_rps", "inbox_per_s", "delivery_per_s", "rsa_sign_per_s", "binary_mib", "scale"} {
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
}
