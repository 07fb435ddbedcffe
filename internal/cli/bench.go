package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/herald-social/herald/internal/bench"
)

// benchCmd is `herald bench`: seed a fresh instance at a scale, run this
// executable as its server, measure it, print the figures.
func benchCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scale := fs.String("scale", "small", "size of the seeded instance: small (10k statuses), medium (100k) or large (1M); read (5k statuses, 20 accounts following each other, 8 readers: the read-path workload)")
	readsOnly := fs.Bool("reads-only", false, "run the read phases only (timelines, verify_credentials)")
	jsonOut := fs.String("json", "", "write the figures as JSON to FILE")
	benchfmt := fs.String("benchfmt", "", "append the figures in Go benchmark format to FILE (for benchstat)")
	baseline := fs.String("baseline", "", "JSON of a run at a smaller scale: check the home timeline against it")
	dir := fs.String("dir", "", "working directory (default: a temporary one, removed afterwards)")
	keep := fs.Bool("keep", false, "keep the working directory (data, configs, server logs) and, on PostgreSQL, the database")
	duration := fs.Duration("duration", 0, "length of each load phase (default 5s)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	var env multiFlag
	fs.Var(&env, "env", "KEY=VALUE added to the server's environment, e.g. HERALD_FEDERATION_DELIVERY_WORKERS=4 or GOGC=50 (repeatable)")
	profile := fs.String("profile", "", "write CPU profiles of the server for each phase, and a heap profile, to DIR")
	driver := fs.String("driver", "sqlite", "store of the measured instance: sqlite, or postgres (with --dsn)")
	dsn := fs.String("dsn", "", "with --driver postgres: URL of a PostgreSQL server whose user may create databases and set session_replication_role (a superuser); the bench drops and creates the database --pg-database there and seeds it by copying a seeded SQLite database")
	pgDatabase := fs.String("pg-database", bench.DefaultPGDatabase, "with --driver postgres: the database the bench drops, creates and fills")
	processes := fs.Int("processes", 1, "identical herald serve processes on the one database (more than 1 needs --driver postgres), each on its own loopback port; the clients spread over them in turn and CPU per request sums them")
	scaleOut := fs.String("scale-out", "", "run only the home timeline and the delivery fan-out, once for each count of processes in LIST (e.g. 1,3), on one seeded database")
	floorServe := fs.String("floor-serve", "", "(used by the bench itself) replay the response in --floor-response on this address")
	floorResponse := fs.String("floor-response", "", "(used by the bench itself) the recorded response --floor-serve replays")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *floorServe != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return bench.ServeFloor(ctx, *floorServe, *floorResponse)
	}
	sc, ok := bench.Scales[*scale]
	if !ok {
		names := make([]string, 0, len(bench.Scales))
		for n := range bench.Scales {
			names = append(names, n)
		}
		sort.Strings(names)
		return usageError{fmt.Sprintf("--scale must be one of %s", strings.Join(names, ", "))}
	}
	if *duration > 0 {
		sc.Phase = *duration
	}
	var base *bench.Result
	if *baseline != "" {
		b, err := bench.ReadJSON(*baseline)
		if err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
		base = b
	}
	if *driver != "sqlite" && *driver != "postgres" {
		return usageError{"--driver must be sqlite or postgres"}
	}
	if *driver == "postgres" && *dsn == "" {
		return usageError{"--driver postgres needs --dsn URL (a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres)"}
	}
	if *driver == "sqlite" && *dsn != "" {
		return usageError{"--dsn is for --driver postgres"}
	}
	if *processes < 1 {
		return usageError{"--processes must be at least 1"}
	}
	var counts []int
	if *scaleOut != "" {
		for _, f := range strings.Split(*scaleOut, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return usageError{"--scale-out takes counts of processes, e.g. 1,3"}
			}
			counts = append(counts, n)
		}
	}
	if *driver == "sqlite" && (*processes > 1 || slices.Max(append([]int{1}, counts...)) > 1) {
		return usageError{"several processes need --driver postgres --dsn URL: SQLite serves one process"}
	}
	opts := bench.Options{Scale: sc, Dir: *dir, Keep: *keep, ProfileDir: *profile, Env: env, ReadsOnly: *readsOnly,
		Driver: *driver, DSN: *dsn, PGDatabase: *pgDatabase, Processes: *processes, ScaleOut: counts}
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o750); err != nil {
			return err
		}
	}
	if !*quiet {
		opts.Progress = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	bench.WriteMarkdown(stdout, res, base)
	if *jsonOut != "" {
		if err := bench.WriteJSON(*jsonOut, res); err != nil {
			return err
		}
	}
	if *benchfmt != "" {
		f, err := os.OpenFile(*benchfmt, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		bench.WriteBenchfmt(f, res)
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
