package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/herald-social/herald/internal/config"
)

// media runs the media subcommands: prune.
func media(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "prune" {
		return usageError{"media needs a subcommand: prune"}
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
