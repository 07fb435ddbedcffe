// Package cli is Herald's command line: serve, account and token
// management, version. Each command parses its flags, loads the config and
// calls the domain layer; the commands work while the server is running,
// since they share the SQLite file through WAL.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/herald-social/herald/api"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/server"
)

const usage = `Herald: an organisation's own corner of the fediverse.

Usage:
  herald serve [--config FILE]
  herald account create --config FILE --username U --email E --password P [--role owner|admin|moderator|user]
  herald account list --config FILE
  herald account set-password --config FILE --username U --password P
  herald account set-role --config FILE --username U --role ROLE
  herald token create --config FILE --username U [--scopes "read write follow push"]
  herald media prune --config FILE [--older-than 30d]
  herald invite create --config FILE [--max-uses N] [--expires-in DURATION] [--role R] [--comment C]
  herald backup --config FILE --out FILE.tar.gz
  herald restore --config FILE --in FILE.tar.gz [--force]
  herald export --config FILE --username U [--from DATE] [--to DATE] --out FILE.zip
  herald bench [--scale small|medium|large] [--json FILE] [--benchfmt FILE] [--baseline FILE]
  herald version

export writes an account's public record (public and unlisted posts with their
edits and media, published from --from included to --to excluded; dates are
RFC 3339, UTC: 2024-01-31 or 2024-01-31T12:00:00Z) as a ZIP archive holding an
ActivityPub outbox; README.txt inside describes it.

Every config key can be overridden by an environment variable HERALD_SECTION_KEY,
e.g. HERALD_SERVER_LISTEN=127.0.0.1:9000.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stdout, stderr)
	case "account":
		err = account(args[1:], stdout, stderr)
	case "token":
		err = token(args[1:], stdout, stderr)
	case "media":
		err = media(args[1:], stdout, stderr)
	case "invite":
		err = invite(args[1:], stdout, stderr)
	case "backup":
		err = backup(args[1:], stdout, stderr)
	case "restore":
		err = restore(args[1:], stdout, stderr)
	case "export":
		err = exportCmd(args[1:], stdout, stderr)
	case "bench":
		err = benchCmd(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "herald %s (Mastodon API %s)\n", api.Version, api.MastodonVersion)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "herald: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "herald: %s\n", ue.msg)
			return 2
		}
		var he *herr.Error
		if errors.As(err, &he) {
			fmt.Fprintf(stderr, "herald: %s\n", he.Msg)
		} else {
			fmt.Fprintf(stderr, "herald: %v\n", err)
		}
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", "", "configuration file (TOML)")
	return fs, cfg
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func loadConfig(path string, stderr io.Writer) (config.Config, error) {
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return cfg, err
	}
	if path != "" && config.WorldReadable(path) {
		fmt.Fprintf(stderr, "herald: warning: %s is readable by other users; consider chmod 600\n", path)
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("serve", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	unlock, err := lockDataDir(cfg.Storage.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	log := newLogger(cfg, stderr)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.Server.GCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if n, err := srv.Svc.LocalAccountCount(ctx); err == nil && n == 0 {
		cfgFlag := ""
		if *cfgPath != "" {
			cfgFlag = " --config " + *cfgPath
		}
		fmt.Fprintf(stdout, "No account exists yet. Create the owner with:\n  herald account create%s --username admin --email you@example.org --password 'a long password' --role owner\n", cfgFlag)
	}
	log.Info("herald listening", "listen", cfg.Server.Listen, "url", cfg.BaseURL(), "data_dir", cfg.Storage.DataDir, "version", api.Version)
	return srv.Serve(ctx, nil)
}

// openService opens the store and the domain layer for a one-off command.
func openService(cfgPath string, stderr io.Writer) (*core.Service, func(), error) {
	cfg, err := loadConfig(cfgPath, stderr)
	if err != nil {
		return nil, nil, err
	}
	svc, closeStore, err := server.OpenService(context.Background(), cfg, newLogger(cfg, stderr))
	if err != nil {
		return nil, nil, err
	}
	return svc, func() { closeStore() }, nil
}

func account(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"account needs a subcommand: create, list, set-password, set-role"}
	}
	sub := args[0]
	fs, cfgPath := newFlags("account "+sub, stderr)
	username := fs.String("username", "", "username")
	email := fs.String("email", "", "e-mail address")
	password := fs.String("password", "", "password")
	role := fs.String("role", "user", "role: owner, admin, moderator or user")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	need := func(names ...string) error {
		vals := map[string]string{"username": *username, "email": *email, "password": *password}
		for _, n := range names {
			if vals[n] == "" {
				return usageError{"account " + sub + " needs --" + n}
			}
		}
		return nil
	}
	switch sub {
	case "create":
		if err := need("username", "email", "password"); err != nil {
			return err
		}
	case "set-password":
		if err := need("username", "password"); err != nil {
			return err
		}
	case "set-role":
		if err := need("username"); err != nil {
			return err
		}
	case "list":
	default:
		return usageError{fmt.Sprintf("unknown account subcommand %q", sub)}
	}
	svc, closeFn, err := openService(*cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx := context.Background()
	switch sub {
	case "create":
		a, u, err := svc.CreateLocalAccount(ctx, core.NewAccountParams{Username: *username, Email: *email,
			Password: *password, Role: *role, Approved: true, Confirm: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created @%s (id %d, role %s)\n", a.Username, a.ID, u.Role)
	case "set-password":
		if err := svc.SetPassword(ctx, *username, *password); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password changed for @%s; its tokens were revoked\n", *username)
	case "set-role":
		if err := svc.SetRole(ctx, *username, *role); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "@%s is now %s\n", *username, *role)
	case "list":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tROLE\tCREATED")
		for offset := 0; ; offset += 500 {
			accts, users, err := svc.LocalAccounts(ctx, 500, offset)
			if err != nil {
				return err
			}
			for i, a := range accts {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", a.ID, a.Username, users[i].Email, users[i].Role, a.CreatedAt.Format("2006-01-02"))
			}
			if len(accts) < 500 {
				break
			}
		}
		return tw.Flush()
	}
	return nil
}

func token(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"token needs a subcommand: create"}
	}
	fs, cfgPath := newFlags("token create", stderr)
	username := fs.String("username", "", "username")
	scopes := fs.String("scopes", "read write follow push", "space-separated scopes")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *username == "" {
		return usageError{"token create needs --username"}
	}
	sc, err := core.ParseScopes(*scopes)
	if err != nil {
		return usageError{"invalid --scopes: " + strings.TrimSpace(*scopes)}
	}
	svc, closeFn, err := openService(*cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	plain, a, err := svc.IssueUserToken(context.Background(), *username, sc)
	if err != nil {
		if herr.As(err).Status == http.StatusNotFound {
			return fmt.Errorf("no local user @%s", *username)
		}
		return err
	}
	fmt.Fprintf(stdout, "access token for @%s with scopes %q:\n%s\n", a.Username, strings.Join(sc, " "), plain)
	return nil
}
