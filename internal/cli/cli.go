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
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
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
  herald serve [--config FILE] [--init]
  herald account create --config FILE --username U --email E [PASSWORD] [--role owner|admin|moderator|user]
  herald account list --config FILE
  herald account set-password --config FILE --username U [PASSWORD]
  herald account set-role --config FILE --username U --role ROLE
  herald account disable-2fa --config FILE --username U   (after checking who asks)
  herald token create --config FILE --username U [--scopes "read write follow push"]
  herald media prune --config FILE [--older-than 30d]
  herald media migrate --from-config FILE --to-config FILE [--quiet]
  herald storage migrate --from-config FILE --to-config FILE [--skip-media]
  herald invite create --config FILE [--max-uses N] [--expires-in DURATION] [--role R] [--comment C]
  herald emoji import --config FILE [--category C] [--overwrite] DIR
  herald backup --config FILE --out FILE.tar.gz
  herald restore --config FILE --in FILE.tar.gz [--force]
  herald export --config FILE --username U [--from DATE] [--to DATE] --out FILE.zip
  herald bench [--scale small|medium|large] [--json FILE] [--benchfmt FILE] [--baseline FILE]
               [--driver postgres --dsn URL] [--processes N] [--scale-out 1,3]
  herald version

export writes an account's public record (public and unlisted posts with their
edits and media, published from --from included to --to excluded; dates are
RFC 3339, UTC: 2024-01-31 or 2024-01-31T12:00:00Z) as a ZIP archive holding an
ActivityPub outbox; README.txt inside describes it.

emoji import adds each PNG, GIF or WebP image of DIR as a custom emoji named
after its file (city_logo.png is :city_logo:); a running server shows new ones
within 30 seconds (at once on PostgreSQL). --overwrite replaces the image of an
existing emoji.

PASSWORD is one of: --password-file FILE (its first line; "-" reads standard
input), --password P (visible to ps and the shell's history: for throw-away
instances and scripts), or nothing: then Herald asks for it on a terminal, and
otherwise (or when the answer is empty) generates one and prints it once.

storage migrate copies an instance's database from the store of one config to
that of another ([storage] driver: SQLite to PostgreSQL or back; the
destination must be freshly created), then its media files when the media
stores differ, and prints every table's row count on both sides. Stop the
server first (on SQLite its data directory's lock is checked).

serve refuses to start when the config file names a data directory that does
not exist (a volume that failed to mount must not come up as a new, empty
instance under the same domain); --init creates it for a new instance.

Every config key can be overridden by an environment variable HERALD_SECTION_KEY,
e.g. HERALD_SERVER_LISTEN=127.0.0.1:9000.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	// "herald account --help" and the like: the usage, on stdout, exit 0.
	// bench has more options than the usage can list: its --help lists
	// its flags (parse).
	if len(args) > 1 && isHelp(args[1]) && args[0] != "bench" {
		fmt.Fprint(stdout, usage)
		return 0
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
	case "storage":
		err = storageCmd(args[1:], stdout, stderr)
	case "invite":
		err = invite(args[1:], stdout, stderr)
	case "emoji":
		err = emojiCmd(args[1:], stdout, stderr)
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
		var help helpShown
		if errors.As(err, &help) {
			fmt.Fprint(stdout, help.text)
			return 0
		}
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

// helpShown is what a command returns when asked for --help: its text goes
// to stdout and the exit code is 0, as people and scripts expect.
type helpShown struct{ text string }

func (helpShown) Error() string { return "help requested" }

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", "", "configuration file (TOML)")
	return fs, cfg
}

// parse parses a command's flags. The flag package's own messages are
// captured: --help becomes helpShown (stdout, exit 0), a bad flag a one-line
// usage error that points to --help.
func parse(fs *flag.FlagSet, args []string) error {
	var out strings.Builder
	fs.SetOutput(&out)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpShown{"Usage of herald " + fs.Name() + ":\n" + flagDefaults(fs)}
		}
		return usageError{err.Error() + " (see herald " + fs.Name() + " --help)"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func flagDefaults(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
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
	initData := fs.Bool("init", false, "create the data directory named by the config file if it does not exist (a new instance)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	// The address first: a second Herald started by mistake, or a port
	// taken by something else, must fail before anything touches the data.
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another Herald or another server using it?): %w", cfg.Server.Listen, err)
	}
	defer ln.Close()
	if err := checkDataDir(*cfgPath, cfg.Storage.DataDir, *initData); err != nil {
		return err
	}
	// On PostgreSQL several processes serve one instance and may share
	// the data directory (media); the lock guards SQLite's file.
	if !cfg.Storage.Postgres() {
		unlock, err := lockDataDir(cfg.Storage.DataDir)
		if err != nil {
			return err
		}
		defer unlock()
	}
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
		fmt.Fprintf(stdout, "No account exists yet. Create the owner with:\n  %s account create%s --username admin --email you@example.org --role owner\n(it asks for a password, or generates one and prints it)\n",
			invocation(), cfgFlag)
	}
	log.Info("herald listening", "listen", ln.Addr().String(), "url", cfg.BaseURL(), "data_dir", cfg.Storage.DataDir, "version", api.Version)
	// "stopping" is logged as soon as the signal arrives (shutdown may take
	// a while), and always before "stopped": the process may exit as soon as
	// serve returns, before a goroutine that was still to run.
	served, logged := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(logged)
		select {
		case <-ctx.Done():
		case <-served:
			if ctx.Err() == nil {
				return
			}
		}
		log.Info("herald stopping", "reason", stopReason(ctx), "shutdown_timeout", cfg.Server.ShutdownTimeout.Duration.String())
	}()
	err = srv.Serve(ctx, ln)
	close(served)
	<-logged
	log.Info("herald stopped", "error", err)
	return err
}

// stopReason names what ended the server's context (the signal, when Go
// records it as the cause).
func stopReason(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil {
		return cause.Error()
	}
	return "stopped"
}

// checkDataDir refuses a data directory that a config file names but that
// does not exist, unless --init asks for a new instance: a volume that
// failed to mount must not bring up an empty instance under the same domain
// (followers and peers would see it as the real one). Without a config
// file Herald runs on its embedded defaults, a first try, and creates it.
func checkDataDir(cfgPath, dir string, init bool) error {
	if cfgPath == "" || init {
		return nil
	}
	_, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the data directory %s named by %s does not exist.\n"+
			"If this is a new instance, start it once with --init to create it.\n"+
			"If it should exist, check that its volume is mounted and the path is right", dir, cfgPath)
	}
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	return nil
}

// invocation is how the person started Herald, for the hints it prints:
// "go run ." when the binary is go run's temporary build, else the command
// as typed (./herald, herald, /usr/local/bin/herald).
func invocation() string {
	exe, _ := os.Executable()
	return invocationOf(exe, os.Args[0])
}

func invocationOf(exe, arg0 string) string {
	if strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "go run ."
	}
	if arg0 == "" {
		return "herald"
	}
	return arg0
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
		return usageError{"account needs a subcommand: create, list, set-password, set-role, disable-2fa"}
	}
	sub := args[0]
	fs, cfgPath := newFlags("account "+sub, stderr)
	username := fs.String("username", "", "username")
	email := fs.String("email", "", "e-mail address")
	password := fs.String("password", "", "password (visible to ps and shell history; prefer --password-file or the prompt)")
	passwordFile := fs.String("password-file", "", `file whose first line is the password ("-": standard input)`)
	role := fs.String("role", "user", "role: owner, admin, moderator or user")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	need := func(names ...string) error {
		vals := map[string]string{"username": *username, "email": *email}
		for _, n := range names {
			if vals[n] == "" {
				return usageError{"account " + sub + " needs --" + n}
			}
		}
		return nil
	}
	switch sub {
	case "create":
		if err := need("username", "email"); err != nil {
			return err
		}
	case "set-password":
		if err := need("username"); err != nil {
			return err
		}
	case "set-role", "disable-2fa":
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
	var pw chosenPassword
	if sub == "create" || sub == "set-password" {
		if pw, err = choosePassword(*password, *passwordFile, os.Stdin, stderr); err != nil {
			return err
		}
	}
	switch sub {
	case "create":
		a, u, err := svc.CreateLocalAccount(ctx, core.NewAccountParams{Username: *username, Email: *email,
			Password: pw.value, Role: *role, Approved: true, Confirm: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created @%s (id %d, role %s)\n", a.Username, a.ID, u.Role)
		pw.print(stdout)
	case "set-password":
		if err := svc.SetPassword(ctx, *username, pw.value); err != nil {
			return namedNotFound(err, *username)
		}
		fmt.Fprintf(stdout, "password changed for @%s; its tokens were revoked\n", *username)
		pw.print(stdout)
	case "set-role":
		if err := svc.SetRole(ctx, *username, *role); err != nil {
			return namedNotFound(err, *username)
		}
		fmt.Fprintf(stdout, "@%s is now %s\n", *username, *role)
	case "disable-2fa":
		if err := svc.DisableTwoFactorByName(ctx, *username); err != nil {
			return namedNotFound(err, *username)
		}
		fmt.Fprintf(stdout, "two-factor authentication turned off for @%s\n", *username)
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
		return namedNotFound(err, *username)
	}
	fmt.Fprintf(stdout, "access token for @%s with scopes %q:\n%s\n", a.Username, strings.Join(sc, " "), plain)
	return nil
}

// namedNotFound turns the domain layer's 404 for a username into a message
// that names what was not found.
func namedNotFound(err error, username string) error {
	if herr.As(err).Status == http.StatusNotFound {
		return fmt.Errorf("no account named %s", strings.TrimPrefix(username, "@"))
	}
	return err
}
