package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Budget is one line of Herald's footprint budget.
type Budget struct {
	Name string
	OK   bool
	Note string // the figure against its limit
}

// Budgets checks a result against the budget. base, when not nil, is a
// run at a smaller scale: the home timeline's median must stay within
// 1.5× of it.
func Budgets(r *Result, base *Result) []Budget {
	b := []Budget{
		{"idle RSS ≤ 30 MiB (empty instance)", r.IdleRSSMiB <= 30, fmt.Sprintf("%.1f MiB", r.IdleRSSMiB)},
		{"RSS under load ≤ 100 MiB", r.LoadRSSMiB <= 100, fmt.Sprintf("%.1f MiB", r.LoadRSSMiB)},
		{"start to ready ≤ 200 ms (existing database)", r.StartupMS <= 200, fmt.Sprintf("%.0f ms", r.StartupMS)},
		{"delivery ≥ ½ RSA signing", r.DeliveryPerS >= r.RSASignPerS/2,
			fmt.Sprintf("%.0f/s vs %.0f/s (%.2f×)", r.DeliveryPerS, r.RSASignPerS, r.DeliveryVsSign)},
		{"binary ≤ 40 MiB", r.BinaryMiB <= 40, fmt.Sprintf("%.1f MiB", r.BinaryMiB)},
	}
	if base != nil && base.HomeP50MS > 0 {
		ratio := r.HomeP50MS / base.HomeP50MS
		b = append(b, Budget{fmt.Sprintf("home median ≤ 1.5× the %s one", base.Scale), ratio <= 1.5,
			fmt.Sprintf("%.2f ms vs %.2f ms (%.2f×)", r.HomeP50MS, base.HomeP50MS, ratio)})
	}
	return b
}

// WriteMarkdown prints the result as a Markdown table, then the budget.
func WriteMarkdown(w io.Writer, r *Result, base *Result) {
	if r.Mode == "scale-out" {
		writeScaleOut(w, r)
		return
	}
	row := func(name, value, meaning string) { fmt.Fprintf(w, "| %s | %s | %s |\n", name, value, meaning) }
	procs := ""
	if r.Processes > 1 {
		procs = fmt.Sprintf(", %d server processes (clients in turn over them; CPU is their sum, memory the first one's)", r.Processes)
	}
	fmt.Fprintf(w, "Herald bench, scale %s on %s%s: %d statuses, %d local and %d remote accounts, %d home-feed rows (%d CPUs, %s)\n\n",
		r.Scale, driverName(r.Driver), procs, r.Statuses, r.LocalAccounts, r.RemoteAccounts, r.HomeFeedRows, r.CPUs, r.GoVersion)
	fmt.Fprintln(w, "| Figure | Value | Measured as |")
	fmt.Fprintln(w, "|---|---:|---|")
	reads := []struct {
		name, path           string
		p50, p99, rps, cpuMS float64
	}{
		{"Home timeline", "GET /api/v1/timelines/home?limit=40", r.HomeP50MS, r.HomeP99MS, r.HomeRPS, r.HomeCPUMS},
		{"Public timeline", "GET /api/v1/timelines/public?limit=40", r.PublicP50MS, r.PublicP99MS, r.PublicRPS, r.PublicCPUMS},
		{"Local timeline", "GET /api/v1/timelines/public?local=true&limit=40", r.LocalP50MS, r.LocalP99MS, r.LocalRPS, r.LocalCPUMS},
		{"Verify credentials", "GET /api/v1/accounts/verify_credentials", r.VerifyP50MS, r.VerifyP99MS, r.VerifyRPS, r.VerifyCPUMS},
	}
	for _, rd := range reads {
		row(rd.name+", median", f3(rd.p50)+" ms", fmt.Sprintf("%s, %d clients", rd.path, r.ReadClients))
		row(rd.name+", p99", f2(rd.p99)+" ms", "")
		row(rd.name+", throughput", f0(rd.rps)+" req/s", "")
		row(rd.name+", CPU per request", f3(rd.cpuMS)+" ms", "server processes' CPU time (user+system) over the phase / requests")
		if rd.name == "Home timeline" && r.HomeDBCPUMS > 0 {
			row(rd.name+", database CPU per request", f3(r.HomeDBCPUMS)+" ms", "the PostgreSQL server's CPU time over the phase / requests")
		}
		if rd.name == "Verify credentials" && r.VerifyFloorCPUMS > 0 {
			row(rd.name+", floor: CPU per request", f3(r.VerifyFloorCPUMS)+" ms",
				fmt.Sprintf("the same response replayed by a bare net/http server to the same clients (%s req/s): Go's HTTP server alone", f0(r.VerifyFloorRPS)))
		}
	}
	row("Status creation", f0(r.CreateRPS)+" req/s", fmt.Sprintf("POST /api/v1/statuses, 8 clients; median %s ms, p99 %s ms", f2(r.CreateP50MS), f2(r.CreateP99MS)))
	row("Deliveries queued by them", fmt.Sprint(r.CreateDeliveries), fmt.Sprintf("all delivered %.1f s after the phase", r.CreateDrainS))
	row("Inbox ingestion", f0(r.InboxPerS)+" activities/s", fmt.Sprintf("signed Create(Note) accepted (202); %s/s processed too", f0(r.InboxProcessedPerS)))
	row("Delivery fan-out", f0(r.DeliveryPerS)+" deliveries/s", fmt.Sprintf("%d posts to %d verifying sink inboxes; best of %v; %d verified in all, none twice; CPU per delivery %s ms%s",
		r.DeliveryCount/max(r.DeliverySinks, 1), r.DeliverySinks, r.DeliveryRuns, r.DeliveryReceived, f3(r.DeliveryCPUMS), dbCPU(r.DeliveryDBCPUMS)))
	row("RSA signing alone", f0(r.RSASignPerS)+" signatures/s", fmt.Sprintf("RSA-2048 HTTP signatures, %d parallel workers, best of %v; delivery reaches %.2f× of it", r.CPUs, r.RSASignRuns, r.DeliveryVsSign))
	row("Resident memory, idle (empty)", f1(r.IdleRSSMiB)+" MiB", "VmRSS after start, empty instance")
	row("Resident memory, idle (seeded)", f1(r.IdleRSSSeededMiB)+" MiB", "VmRSS after start, seeded instance")
	row("Resident memory, under load", f1(r.LoadRSSMiB)+" MiB", fmt.Sprintf("highest VmRSS during the load phases (peak VmHWM %s MiB)", f1(r.PeakRSSMiB)))
	row("Go heap, idle / under load", f1(r.HeapIdleMiB)+" / "+f1(r.HeapLoadMiB)+" MiB", fmt.Sprintf("HeapInuse; the runtime holds %s MiB from the OS", f1(r.GoSysMiB)))
	row("Start to ready", f0(r.StartupMS)+" ms", fmt.Sprintf("exec to first 200 of /api/v1/instance, seeded database, median of 5 (%s–%s ms); %s ms of CPU", f0(r.StartupMinMS), f0(r.StartupMaxMS), f0(r.StartupCPUMS)))
	row("Binary size", f1(r.BinaryMiB)+" MiB", "")
	row("Database size", f1(r.DBMiB)+" MiB", fmt.Sprintf("seeded in %.1f s", r.SeedS))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Budget | Measured | |")
	fmt.Fprintln(w, "|---|---:|---|")
	for _, b := range Budgets(r, base) {
		mark := "ok"
		if !b.OK {
			mark = "OVER"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", b.Name, b.Note, mark)
	}
	if r.Errors > 0 {
		fmt.Fprintf(w, "\n%d requests failed during the run.\n", r.Errors)
	}
}

// writeScaleOut prints a scale-out run: one row per count of processes.
func writeScaleOut(w io.Writer, r *Result) {
	fmt.Fprintf(w, "Herald bench, scale-out on %s, scale %s: %d statuses, %d local and %d remote accounts, %d home-feed rows (%d CPUs, %s)\n\n",
		driverName(r.Driver), r.Scale, r.Statuses, r.LocalAccounts, r.RemoteAccounts, r.HomeFeedRows, r.CPUs, r.GoVersion)
	fmt.Fprintln(w, "| Processes | Home timeline | median | p99 | CPU per request | Delivery fan-out | rounds | CPU per delivery | verified |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---|---:|---:|")
	for _, s := range r.ScaleOut {
		fmt.Fprintf(w, "| %d | %s req/s | %s ms | %s ms | %s ms%s | %s deliveries/s | %v | %s ms%s | %d |\n", s.Processes, f0(s.HomeRPS), f2(s.HomeP50MS), f2(s.HomeP99MS),
			f3(s.HomeCPUMS), dbCPU(s.HomeDBCPUMS), f0(s.DeliveryPerS), s.DeliveryRuns, f3(s.DeliveryCPUMS), dbCPU(s.DeliveryDBCPUMS), s.DeliveryReceived)
	}
	fmt.Fprintf(w, "\nHome timeline: GET /api/v1/timelines/home?limit=40, %d clients spread over the processes in turn; CPU is all processes' user+system time over the phase / requests (+ the database server's, when it runs on this machine).\n", r.ReadClients)
	if len(r.ScaleOut) > 0 {
		s := r.ScaleOut[0]
		fmt.Fprintf(w, "Delivery fan-out: %d posts to %d verifying sink inboxes, posted through the processes in turn, all of them working the queue; best of 3 rounds; every delivery verified once, none twice.\n",
			s.DeliveryCount/max(r.DeliverySinks, 1), r.DeliverySinks)
	}
	if r.Errors > 0 {
		fmt.Fprintf(w, "\n%d requests failed during the run.\n", r.Errors)
	}
}

// dbCPU notes a database server's CPU time, when measured.
func dbCPU(v float64) string {
	if v <= 0 {
		return ""
	}
	return " + " + f3(v) + " ms database"
}

// WriteJSON writes the result to path.
func WriteJSON(path string, r *Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadJSON reads a result written by WriteJSON.
func ReadJSON(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	return &r, json.Unmarshal(b, &r)
}

// WriteBenchfmt writes the result in Go's benchmark format, one line per
// figure, so that benchstat compares runs (append several runs to one
// file for a distribution: benchstat old.txt new.txt).
func WriteBenchfmt(w io.Writer, r *Result) {
	name := func(n string) string { return fmt.Sprintf("BenchmarkHerald/scale=%s/%s-%d", r.Scale, n, r.CPUs) }
	if r.Mode != "scale-out" && (r.Driver == "postgres" || r.Processes > 1) {
		// Named apart from the SQLite runs, whose names stay as they were.
		full := name
		name = func(n string) string { return full(fmt.Sprintf("driver=%s/processes=%d/%s", r.Driver, r.Processes, n)) }
	}
	fmt.Fprintf(w, "goos: linux\npkg: github.com/herald-social/herald/internal/bench\n")
	if r.Mode == "scale-out" {
		for _, s := range r.ScaleOut {
			p := fmt.Sprintf("driver=%s/processes=%d/", r.Driver, s.Processes)
			fmt.Fprintf(w, "%s 1 %g p50-ms %g p99-ms %g req/s %g cpu-ms/op\n", name(p+"home"), s.HomeP50MS, s.HomeP99MS, s.HomeRPS, s.HomeCPUMS)
			fmt.Fprintf(w, "%s 1 %g deliveries/s\n", name(p+"delivery"), s.DeliveryPerS)
		}
		return
	}
	lines := []struct {
		n, metrics string
	}{
		{"home", fmt.Sprintf("%g p50-ms %g p99-ms %g req/s %g cpu-ms/op", r.HomeP50MS, r.HomeP99MS, r.HomeRPS, r.HomeCPUMS)},
		{"public", fmt.Sprintf("%g p50-ms %g p99-ms %g req/s %g cpu-ms/op", r.PublicP50MS, r.PublicP99MS, r.PublicRPS, r.PublicCPUMS)},
		{"local", fmt.Sprintf("%g p50-ms %g p99-ms %g req/s %g cpu-ms/op", r.LocalP50MS, r.LocalP99MS, r.LocalRPS, r.LocalCPUMS)},
		{"verify", fmt.Sprintf("%g p50-ms %g p99-ms %g req/s %g cpu-ms/op", r.VerifyP50MS, r.VerifyP99MS, r.VerifyRPS, r.VerifyCPUMS)},
		{"verify-floor", fmt.Sprintf("%g req/s %g cpu-ms/op", r.VerifyFloorRPS, r.VerifyFloorCPUMS)},
		{"create", fmt.Sprintf("%g p50-ms %g p99-ms %g req/s", r.CreateP50MS, r.CreateP99MS, r.CreateRPS)},
		{"inbox", fmt.Sprintf("%g activities/s %g processed/s", r.InboxPerS, r.InboxProcessedPerS)},
		{"delivery", fmt.Sprintf("%g deliveries/s %g rsa-signs/s", r.DeliveryPerS, r.RSASignPerS)},
		{"memory", fmt.Sprintf("%g idle-MiB %g idle-seeded-MiB %g load-MiB %g heap-load-MiB", r.IdleRSSMiB, r.IdleRSSSeededMiB, r.LoadRSSMiB, r.HeapLoadMiB)},
		{"startup", fmt.Sprintf("%g ms %g cpu-ms", r.StartupMS, r.StartupCPUMS)},
		{"binary", fmt.Sprintf("%g MiB", r.BinaryMiB)},
	}
	for _, l := range lines {
		fmt.Fprintf(w, "%s 1 %s\n", name(l.n), l.metrics)
	}
}

func f0(v float64) string { return trimZero(fmt.Sprintf("%.0f", v)) }
func f1(v float64) string { return trimZero(fmt.Sprintf("%.1f", v)) }
func f2(v float64) string { return trimZero(fmt.Sprintf("%.2f", v)) }
func f3(v float64) string { return trimZero(fmt.Sprintf("%.3f", v)) }

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
