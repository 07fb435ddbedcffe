package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	mediapkg "github.com/herald-social/herald/internal/media"
)

// media runs the media subcommands: prune, migrate.
func media(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "migrate" {
		return mediaMigrate(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "prune" {
		return usageError{"media needs a subcommand: prune, migrate"}
	}
	fs, cfgPath := newFlags("media prune", stderr)
	olderThan := fs.String("older-than", "", "delete cached remote media older than this (e.g. 30d; default: media.remote_cache_ttl)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	svc, closeFn, err := openService(*cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	age := svc.Cfg.Media.RemoteCacheTTL.Duration
	if *olderThan != "" {
		if age, err = config.ParseDuration(*olderThan); err != nil {
			return usageError{"--older-than: " + err.Error()}
		}
	}
	r, err := svc.PruneMedia(context.Background(), age)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pruned cached remote media older than %s: %d attachments, %d avatars and headers, %d emoji, %d card images; %d unattached attachments deleted; %d files removed\n",
		age, r.Attachments, r.AccountImages, r.Emojis, r.CardImages, r.Unattached, r.Files)
	return nil
}

// mediaMigrate copies every media file from the store of one config
// ([media] backend and its settings) to that of another: local to S3,
// S3 to local, or between buckets. It only adds files (the source is left
// as it is), skips those already there with the same size (so it can be
// run again, e.g. once more after stopping the server), and checks by
// listing the destination that every source file is there.
func mediaMigrate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("media migrate", flag.ContinueOnError)
	fromPath := fs.String("from-config", "", "configuration file whose media store is copied")
	toPath := fs.String("to-config", "", "configuration file whose media store receives the files")
	quiet := fs.Bool("quiet", false, "do not list each file copied")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *fromPath == "" || *toPath == "" {
		return usageError{"media migrate needs --from-config FILE and --to-config FILE"}
	}
	ctx := context.Background()
	open := func(path string) (mediapkg.Walker, string, error) {
		cfg, err := loadConfig(path, stderr)
		if err != nil {
			return nil, "", err
		}
		return openMediaStore(ctx, path, cfg)
	}
	from, fromWhat, err := open(*fromPath)
	if err != nil {
		return err
	}
	to, toWhat, err := open(*toPath)
	if err != nil {
		return err
	}
	if fromWhat == toWhat {
		return usageError{"media migrate: both configs name the same store (" + fromWhat + ")"}
	}
	fmt.Fprintf(stdout, "copying media from %s to %s\n", fromWhat, toWhat)
	var progress func(string)
	if !*quiet {
		progress = func(key string) { fmt.Fprintf(stdout, "  %s\n", key) }
	}
	r, err := mediapkg.Copy(ctx, from, to, progress)
	if err != nil {
		return fmt.Errorf("media migrate (%d files copied before the error; run it again to go on): %w", r.Copied, err)
	}
	fmt.Fprintf(stdout, "%d files in the source: %d copied (%d bytes), %d already there\n", r.Source, r.Copied, r.Bytes, r.Present)
	if len(r.Missing) > 0 {
		return fmt.Errorf("media migrate: %d files are still missing from %s: %s", len(r.Missing), toWhat, strings.Join(r.Missing[:min(len(r.Missing), 10)], ", "))
	}
	fmt.Fprintf(stdout, "verified: all %d files are in %s\n", r.Source, toWhat)
	return nil
}

// openMediaStore opens the media store of cfg (read from path) for a copy,
// with words naming it.
func openMediaStore(ctx context.Context, path string, cfg config.Config) (mediapkg.Walker, string, error) {
	st, err := core.OpenFileStore(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	w, ok := st.(mediapkg.Walker)
	if !ok {
		return nil, "", fmt.Errorf("%s: its media store cannot be listed", path)
	}
	return w, mediaStoreName(cfg), nil
}

// mediaStoreName names the media store of cfg: two configs with the same
// name share one store.
func mediaStoreName(cfg config.Config) string {
	if cfg.Media.Backend == "s3" {
		return fmt.Sprintf("bucket %q at %s", cfg.Media.S3.Bucket, cfg.Media.S3.Endpoint)
	}
	return "directory " + cfg.MediaDir()
}
