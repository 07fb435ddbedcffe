package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
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
	keep := fs.Bool("keep", false, "keep the working directory (data, configs, server logs)")
	duration := fs.Duration("duration", 0, "length of each load phase (default 5s)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	var env multiFlag
	fs.Var(&env, "env", "KEY=VALUE added to the server's environment, e.g. HERALD_FEDERATION_DELIVERY_WORKERS=4 or GOGC=50 (repeatable)")
	profile := fs.String("profile", "", "write CPU profiles of the server for each phase, and a heap profile, to DIR")
	if err := parse(fs, args); err != nil {
		return err
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
	opts := bench.Options{Scale: sc, Dir: *dir, Keep: *keep, ProfileDir: *profile, Env: env, ReadsOnly: *readsOnly}
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
