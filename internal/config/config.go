// Package config owns Herald's configuration: the TOML file, its embedded
// defaults and the HERALD_SECTION_KEY environment overrides. It validates
// everything it loads and knows nothing about what the values are used for.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration. Every key is documented in
// config.example.toml; keep the two in step.
type Config struct {
	Instance     Instance     `toml:"instance"`
	Server       Server       `toml:"server"`
	Storage      Storage      `toml:"storage"`
	Registration Registration `toml:"registration"`
	Federation   Federation   `toml:"federation"`
	SMTP         SMTP         `toml:"smtp"`
	Limits       Limits       `toml:"limits"`
	Media        Media        `toml:"media"`
	Jobs         Jobs         `toml:"jobs"`
	Interactions Interactions `toml:"interactions"`
	OIDC         OIDC         `toml:"oidc"`
	Log          Log          `toml:"log"`

	// Sources names where each key that is not at its default was set,
	// "section.key" → "config file PATH" or "environment HERALD_…". Keys
	// that admins can also change in the console (the instance's title,
	// descriptions, contact, registration mode) follow this rule: a key
	// the operator set in the file or the environment wins, and the
	// console shows it read-only with its source.
	Sources map[string]string `toml:"-"`
}

// SourceOf says where key ("registration.mode") was set: the config file
// or the environment, or "" for the embedded default.
func (c Config) SourceOf(key string) string { return c.Sources[key] }

// OIDC is single sign-on with the organisation's OpenID Connect provider.
type OIDC struct {
	Enabled bool `toml:"enabled"`
	// Name is the provider's name on the sign-in page ("Sign in with ...").
	Name         string   `toml:"name"`
	Issuer       string   `toml:"issuer"`
	ClientID     string   `toml:"client_id"`
	ClientSecret string   `toml:"client_secret"`
	Scopes       []string `toml:"scopes"`
	// UsernameClaim names the claim that proposes the username of an
	// account made on first sign-in.
	UsernameClaim string `toml:"username_claim"`
	// AllowedEmailDomains, when not empty: only verified addresses at these
	// domains (or their subdomains) may sign in.
	AllowedEmailDomains []string `toml:"allowed_email_domains"`
	// AssumeEmailVerified treats the provider's addresses as verified
	// when its ID tokens carry no email_verified claim (providers that
	// issue the addresses themselves, such as Entra ID).
	AssumeEmailVerified bool `toml:"assume_email_verified"`
	// GroupsClaim names the claim listing the user's groups;
	// RequiredGroups, when not empty: only members of one of them may sign in.
	GroupsClaim    string   `toml:"groups_claim"`
	RequiredGroups []string `toml:"required_groups"`
	// RoleClaim names the claim whose values map to Herald roles through
	// RoleMap ("claim value=role key").
	RoleClaim string   `toml:"role_claim"`
	RoleMap   []string `toml:"role_map"`
	// CreateAccounts makes an account on first sign-in; off, a sign-in
	// must match an existing account.
	CreateAccounts bool `toml:"create_accounts"`
	// PasswordLogin: "all" (every account may sign in with a password) or
	// "listed" (only PasswordAccounts, and owners).
	PasswordLogin    string   `toml:"password_login"`
	PasswordAccounts []string `toml:"password_accounts"`
}

// RoleMapping parses RoleMap into claim value -> role key (validated).
func (o OIDC) RoleMapping() map[string]string {
	m := map[string]string{}
	for _, e := range o.RoleMap {
		if v, r, ok := strings.Cut(e, "="); ok {
			m[strings.TrimSpace(v)] = strings.TrimSpace(r)
		}
	}
	return m
}

// Interactions is the instance's default interaction policy: who may
// reply to, boost, favourite and quote the posts of an account that has
// not chosen its own defaults. Each kind lists who is approved at once and
// who (beyond them) needs the author's approval; the values are public,
// followers, following, mentioned and author.
type Interactions struct {
	Reply             []string `toml:"reply"`
	ReplyApproval     []string `toml:"reply_approval"`
	Reblog            []string `toml:"reblog"`
	ReblogApproval    []string `toml:"reblog_approval"`
	Favourite         []string `toml:"favourite"`
	FavouriteApproval []string `toml:"favourite_approval"`
	Quote             []string `toml:"quote"`
	QuoteApproval     []string `toml:"quote_approval"`
}

// interactionValues are the values an interaction policy list may hold.
var interactionValues = map[string]bool{"public": true, "followers": true, "following": true, "mentioned": true, "author": true}

// Jobs tunes the background job runtime (internal/jobs).
type Jobs struct {
	// Lease is how long a job stays claimed without renewal: the work a
	// dead process held is taken up again after this long.
	Lease Duration `toml:"lease"`
	// Poll is the longest the runtime waits before it looks for work that
	// another process queued.
	Poll Duration `toml:"poll"`
}

type Instance struct {
	Domain           string   `toml:"domain"`
	Protocol         string   `toml:"protocol"`
	Title            string   `toml:"title"`
	ShortDescription string   `toml:"short_description"`
	Description      string   `toml:"description"`
	ContactEmail     string   `toml:"contact_email"`
	Languages        []string `toml:"languages"`
	// PublicPages serves profiles, statuses, tags and feeds, as HTML and
	// through the client API, to anyone; off (or in allowlist mode), they
	// need a signed-in user (core.Service.AnonymousReadsAllowed).
	// ActivityPub is unaffected.
	PublicPages bool `toml:"public_pages"`
	// Trends shows the trending tags, posts and links, computed here from
	// what this server sees (core's trends job).
	Trends bool `toml:"trends"`
	// TrendsReview: tags, links and posts trend publicly only once a
	// moderator approved them (or, for posts, their author), as
	// Mastodon's default; off, they trend unless rejected.
	TrendsReview bool `toml:"trends_review"`
}

type Server struct {
	Listen          string   `toml:"listen"`
	ReadTimeout     Duration `toml:"read_timeout"`
	WriteTimeout    Duration `toml:"write_timeout"`
	IdleTimeout     Duration `toml:"idle_timeout"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	TrustedProxies  []string `toml:"trusted_proxies"`
	// DebugListen, when set, serves Go's profiles (/debug/pprof/) and
	// runtime counters (/debug/vars) on this address; off by default.
	DebugListen string `toml:"debug_listen"`
	// DebugListenRemote allows a debug_listen address other than loopback.
	// The profiles expose memory contents; off, such an address is refused.
	DebugListenRemote bool `toml:"debug_listen_remote"`
	// MetricsListen, when set, serves Prometheus metrics (/metrics) on
	// this address; off by default.
	MetricsListen string `toml:"metrics_listen"`
	// MetricsListenRemote allows a metrics_listen address other than
	// loopback (a Prometheus on another host); off, such an address is
	// refused.
	MetricsListenRemote bool `toml:"metrics_listen_remote"`
	// GCPercent is the Go collector's GOGC for the server: how far the
	// heap grows past what is live before a collection. Reads allocate
	// fast and keep little; a higher figure trades some memory under load
	// for much less collection work. The GOGC environment variable, when
	// set, wins. -1 turns the collector off (GOMEMLIMIT then bounds it).
	GCPercent int `toml:"gc_percent"`
}

type Storage struct {
	// Driver is the database engine: "sqlite" (a file in data_dir, the
	// default) or "postgres" (the server DSN names; several processes may
	// share it).
	Driver  string `toml:"driver"`
	DSN     string `toml:"dsn"`
	DataDir string `toml:"data_dir"`
	// ReadConnections is the size of the SQLite reader pool; on PostgreSQL
	// the one pool holds ReadConnections + PostgresExtraConns.
	ReadConnections int `toml:"read_connections"`
}

// PostgresExtraConns is what a PostgreSQL pool holds beyond
// read_connections: there the writes share the pool with the reads.
const PostgresExtraConns = 8

// Postgres reports whether the store is PostgreSQL.
func (s Storage) Postgres() bool { return s.Driver == "postgres" }

type Registration struct {
	Mode string `toml:"mode"`
	// EmailDomainAllowlist: when not empty, only addresses at these domains
	// (or their subdomains) may sign up.
	EmailDomainAllowlist []string `toml:"email_domain_allowlist"`
	// EmailDomainBlocklist: addresses at these domains (or their
	// subdomains) may not sign up.
	EmailDomainBlocklist []string `toml:"email_domain_blocklist"`
	// ReservedUsernames are refused at sign-up, on top of the built-in list
	// (admin, root, support, ...).
	ReservedUsernames []string `toml:"reserved_usernames"`
	// InviteMaxAge caps how long an invite may stay valid ("0s": no cap).
	InviteMaxAge Duration `toml:"invite_max_age"`
}

// SMTP is the outgoing mail server. An empty host disables e-mail: accounts
// are then confirmed by admins, and no mail is sent.
type SMTP struct {
	Host     string `toml:"host"`
	Port     int    `toml:"port"`
	Username string `toml:"username"`
	Password string `toml:"password"`
	// From is the sender address, e.g. "Herald <notifications@social.example>".
	From string `toml:"from"`
	// Security: "starttls" (upgrade, required), "tls" (implicit TLS, port
	// 465) or "none" (plain text; only for a relay on loopback).
	Security string `toml:"security"`
	// Timeout of one delivery to the mail server.
	Timeout Duration `toml:"timeout"`
}

// Enabled reports whether outgoing mail is configured.
func (s SMTP) Enabled() bool { return s.Host != "" }

type Federation struct {
	Enabled               bool     `toml:"enabled"`
	AllowPrivateAddresses bool     `toml:"allow_private_addresses"`
	AuthorizedFetch       bool     `toml:"authorized_fetch"`
	DeliveryWorkers       int      `toml:"delivery_workers"`
	DeliveryPerHost       int      `toml:"delivery_per_host"`
	RequestTimeout        Duration `toml:"request_timeout"`
	// BlockedDomains are suspended: nothing is accepted from or sent to them.
	BlockedDomains []string `toml:"blocked_domains"`
	// SilencedDomains are limited: kept off public timelines.
	SilencedDomains []string `toml:"silenced_domains"`
	// RejectMediaDomains: no media is fetched from them.
	RejectMediaDomains []string `toml:"reject_media_domains"`
	// AllowlistMode federates only with AllowedDomains (limited federation).
	AllowlistMode  bool     `toml:"allowlist_mode"`
	AllowedDomains []string `toml:"allowed_domains"`
}

// Media bounds uploads and remote media, and says where files live.
type Media struct {
	// MaxImageBytes / MaxVideoBytes bound one uploaded or fetched file
	// (video and audio share MaxVideoBytes).
	MaxImageBytes int64 `toml:"max_image_bytes"`
	MaxVideoBytes int64 `toml:"max_video_bytes"`
	// MaxPixels bounds an image's width × height before it is decoded.
	MaxPixels int64 `toml:"max_pixels"`
	// DecodeMemoryBudget bounds, in bytes, the memory that all image
	// processing of the process (uploads, remote media, avatars, emoji,
	// link previews) holds at once; images wait for their share, and one
	// that needs more than the whole budget is refused.
	DecodeMemoryBudget int64 `toml:"decode_memory_budget"`
	// StoreDir is where media files are kept; relative to data_dir.
	StoreDir string `toml:"store_dir"`
	// RemoteCacheTTL: cached copies of remote media older than this are
	// deleted by the pruning job (they are fetched again when asked for).
	RemoteCacheTTL Duration `toml:"remote_cache_ttl"`
	// Backend is where files live: "local" (StoreDir) or "s3" (S3).
	Backend string  `toml:"backend"`
	S3      MediaS3 `toml:"s3"`
}

// MediaS3 is a bucket of an S3-compatible object store ([media.s3]).
type MediaS3 struct {
	// Endpoint is host[:port] of the S3 API, without a scheme (UseTLS
	// chooses https).
	Endpoint  string `toml:"endpoint"`
	Bucket    string `toml:"bucket"`
	Region    string `toml:"region"`
	AccessKey string `toml:"access_key"`
	SecretKey string `toml:"secret_key"`
	UseTLS    bool   `toml:"use_tls"`
	// PathStyle puts the bucket in the path (host/bucket/key); otherwise
	// the client chooses (virtual-hosted style for AWS and the clouds it
	// knows, path style for others).
	PathStyle bool `toml:"path_style"`
	// Serve: "redirect" answers Herald's media URLs with a redirect to the
	// object (PublicURL or a presigned URL); "proxy" streams it through.
	Serve string `toml:"serve"`
	// PublicURL, when set, is a base URL under which anyone can read the
	// bucket's objects (a public bucket, a CDN): media URLs point there.
	PublicURL string `toml:"public_url"`
	// PresignExpiry is how long a presigned redirect URL is valid.
	PresignExpiry Duration `toml:"presign_expiry"`
	// CreateBucket makes the bucket at start when it does not exist.
	CreateBucket bool `toml:"create_bucket"`
}

type Limits struct {
	MaxStatusChars  int   `toml:"max_status_chars"`
	MaxBodyBytes    int64 `toml:"max_body_bytes"`
	MaxInboxBytes   int64 `toml:"max_inbox_bytes"`
	SignInPerMinute int   `toml:"sign_in_per_minute"`
	APIPer5Minutes  int   `toml:"api_per_5_minutes"`
	// APIPerIPPer5Minutes bounds API calls made without a (valid) token,
	// per client IP address.
	APIPerIPPer5Minutes int `toml:"api_per_ip_per_5_minutes"`
	// SignUpPer5Minutes bounds POST /api/v1/accounts per client IP address.
	SignUpPer5Minutes int `toml:"sign_up_per_5_minutes"`
	// InboxPerDomainPerMinute bounds the activities one remote domain may
	// POST to the inboxes.
	InboxPerDomainPerMinute int `toml:"inbox_per_domain_per_minute"`
	// FailedSignInsPerAccount failed sign-ins (wrong password or wrong
	// two-factor code, from any address) lock an account's sign-in for
	// FailedSignInsWindow, even with the right password.
	FailedSignInsPerAccount int      `toml:"failed_sign_ins_per_account"`
	FailedSignInsWindow     Duration `toml:"failed_sign_ins_window"`
}

type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Duration reads "30s", "5m", "7d" from TOML and the environment.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// ParseDuration is time.ParseDuration plus a "d" (day) unit, as in "7d".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}

// Default returns the embedded defaults: a first try on localhost.
func Default() Config {
	return Config{
		Instance: Instance{
			Domain:           "localhost:8080",
			Protocol:         "http",
			Title:            "Herald",
			ShortDescription: "An organisation's own corner of the fediverse.",
			Languages:        []string{"en"},
			PublicPages:      true,
			Trends:           true,
			TrendsReview:     true,
		},
		Server: Server{
			Listen:          "127.0.0.1:8080",
			ReadTimeout:     Duration{30 * time.Second},
			WriteTimeout:    Duration{60 * time.Second},
			IdleTimeout:     Duration{120 * time.Second},
			ShutdownTimeout: Duration{10 * time.Second},
			GCPercent:       400,
		},
		Storage:      Storage{Driver: "sqlite", DataDir: "./herald-data", ReadConnections: 4},
		Registration: Registration{Mode: "closed"},
		SMTP:         SMTP{Port: 587, Security: "starttls", Timeout: Duration{30 * time.Second}},
		Federation: Federation{
			Enabled:         true,
			AuthorizedFetch: true,
			DeliveryWorkers: 8,
			DeliveryPerHost: 2,
			RequestTimeout:  Duration{10 * time.Second},
		},
		Limits: Limits{
			MaxStatusChars:  500,
			MaxBodyBytes:    1 << 20,
			MaxInboxBytes:   1 << 20,
			SignInPerMinute: 10,
			APIPer5Minutes:  1500,

			APIPerIPPer5Minutes:     300,
			SignUpPer5Minutes:       25,
			InboxPerDomainPerMinute: 3000,
			FailedSignInsPerAccount: 25,
			FailedSignInsWindow:     Duration{time.Hour},
		},
		Jobs: Jobs{Lease: Duration{time.Minute}, Poll: Duration{2 * time.Second}},
		Interactions: Interactions{
			Reply:     []string{"public"},
			Reblog:    []string{"public"},
			Favourite: []string{"public"},
			// Quoting is opt-in, as in Mastodon and GoToSocial.
			Quote: []string{"author"},
		},
		Media: Media{
			MaxImageBytes: 16 << 20,
			MaxVideoBytes: 99 << 20,
			MaxPixels:     40_000_000,
			// 256 MiB fits a 1 GB machine and takes a 40-megapixel image
			// (a progressive JPEG of up to about 30 megapixels).
			DecodeMemoryBudget: 256 << 20,
			StoreDir:           "media",
			RemoteCacheTTL:     Duration{30 * 24 * time.Hour},
			Backend:            "local",
			S3: MediaS3{
				Region:        "us-east-1",
				UseTLS:        true,
				Serve:         "redirect",
				PresignExpiry: Duration{10 * time.Minute},
			},
		},
		OIDC: OIDC{
			Scopes:         []string{"openid", "email", "profile"},
			UsernameClaim:  "preferred_username",
			GroupsClaim:    "groups",
			CreateAccounts: true,
			PasswordLogin:  "all",
		},
		Log: Log{Level: "info", Format: "text"},
	}
}

// Load reads the file at path (none: defaults only), then applies the
// environment overrides from environ, then validates.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	cfg.Sources = map[string]string{}
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		for _, k := range md.Keys() {
			if len(k) == 2 {
				cfg.Sources[k.String()] = "config file " + path
			}
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return cfg, fmt.Errorf("config %s: unknown keys: %s", path, strings.Join(keys, ", "))
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	if path != "" && !filepath.IsAbs(cfg.Storage.DataDir) {
		// A relative data_dir is relative to the config file, so that the
		// CLI and the server agree whatever their working directories.
		cfg.Storage.DataDir = filepath.Join(filepath.Dir(path), cfg.Storage.DataDir)
	}
	return cfg, nil
}

// applyEnv sets keys from HERALD_SECTION_KEY variables, e.g.
// HERALD_SERVER_LISTEN=0.0.0.0:8080 or HERALD_FEDERATION_BLOCKED_DOMAINS=a.example,b.example.
func applyEnv(cfg *Config, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "HERALD_") {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	root := reflect.ValueOf(cfg).Elem()
	rt := root.Type()
	for i := 0; i < rt.NumField(); i++ {
		section := rt.Field(i).Tag.Get("toml")
		sv := root.Field(i)
		if sv.Kind() != reflect.Struct || section == "-" {
			continue
		}
		if err := applyEnvSection(cfg, env, section, sv); err != nil {
			return err
		}
	}
	return nil
}

// applyEnvSection sets the keys of one section (sv, named section) and,
// for a table inside it such as [media.s3], those of the table:
// HERALD_MEDIA_S3_SECRET_KEY.
func applyEnvSection(cfg *Config, env map[string]string, section string, sv reflect.Value) error {
	st := sv.Type()
	for j := 0; j < st.NumField(); j++ {
		key := st.Field(j).Tag.Get("toml")
		fv := sv.Field(j)
		if _, text := fv.Addr().Interface().(interface{ UnmarshalText([]byte) error }); fv.Kind() == reflect.Struct && !text {
			if err := applyEnvSection(cfg, env, section+"."+key, fv); err != nil {
				return err
			}
			continue
		}
		name := "HERALD_" + strings.ToUpper(strings.ReplaceAll(section, ".", "_")) + "_" + strings.ToUpper(key)
		raw, ok := env[name]
		if !ok {
			continue
		}
		if err := setValue(fv, raw); err != nil {
			return fmt.Errorf("environment %s: %w", name, err)
		}
		if cfg.Sources == nil {
			cfg.Sources = map[string]string{}
		}
		cfg.Sources[section+"."+key] = "environment " + name
	}
	return nil
}

func setValue(v reflect.Value, raw string) error {
	if u, ok := v.Addr().Interface().(interface{ UnmarshalText([]byte) error }); ok {
		return u.UnmarshalText([]byte(raw))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("not a boolean: %q", raw)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", raw)
		}
		v.SetInt(n)
	case reflect.Slice:
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return errors.New("unsupported type")
	}
	return nil
}

// validateBackend checks [media] backend and, for "s3", [media.s3].
func (m *Media) validateBackend() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch m.Backend {
	case "local":
		return nil
	case "s3":
	default:
		bad("media.backend must be \"local\" or \"s3\", got %q", m.Backend)
		return errs
	}
	s := &m.S3
	s.Endpoint = strings.TrimSpace(s.Endpoint)
	switch {
	case s.Endpoint == "":
		bad("media.s3.endpoint must be set when media.backend = \"s3\" (host or host:port, e.g. \"s3.eu-west-1.amazonaws.com\")")
	case strings.Contains(s.Endpoint, "://"):
		bad("media.s3.endpoint must be host or host:port without a scheme (use_tls chooses https), got %q", s.Endpoint)
	case strings.ContainsAny(s.Endpoint, "/?# @"):
		bad("media.s3.endpoint must be host or host:port, got %q", s.Endpoint)
	}
	if !validBucketName(s.Bucket) {
		bad("media.s3.bucket must be an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-'), got %q", s.Bucket)
	}
	if s.AccessKey == "" || s.SecretKey == "" {
		bad("media.s3.access_key and media.s3.secret_key must be set when media.backend = \"s3\" (the secret may come from HERALD_MEDIA_S3_SECRET_KEY)")
	}
	if s.Serve != "redirect" && s.Serve != "proxy" {
		bad("media.s3.serve must be \"redirect\" or \"proxy\", got %q", s.Serve)
	}
	if d := s.PresignExpiry.Duration; d < time.Minute || d > 7*24*time.Hour {
		bad("media.s3.presign_expiry must be between 1m and 7d (the S3 limit), got %s", d)
	}
	if s.PublicURL != "" {
		u, err := url.Parse(s.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("media.s3.public_url must be an http(s) URL without query, such as \"https://media.example.org\", got %q", s.PublicURL)
		}
	}
	return errs
}

// validBucketName follows S3's rules for bucket names (as far as a
// mistake in a config is concerned).
func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 || strings.Contains(b, "..") {
		return false
	}
	for i, c := range b {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && ((c != '.' && c != '-') || i == 0 || i == len(b)-1) {
			return false
		}
	}
	return true
}

var registrationModes = map[string]bool{"closed": true, "invite": true, "approval": true, "open": true}

func (c *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	c.Instance.Domain = strings.ToLower(strings.TrimSpace(c.Instance.Domain))
	if c.Instance.Domain == "" || strings.ContainsAny(c.Instance.Domain, "/ @?#") {
		bad("instance.domain must be a host name (with an optional port), got %q", c.Instance.Domain)
	}
	if c.Instance.Protocol != "http" && c.Instance.Protocol != "https" {
		bad("instance.protocol must be \"http\" or \"https\", got %q", c.Instance.Protocol)
	}
	if c.Instance.Title == "" {
		c.Instance.Title = "Herald"
	}
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		bad("server.listen must be host:port, got %q", c.Server.Listen)
	}
	if c.Server.DebugListen != "" {
		if host, _, err := net.SplitHostPort(c.Server.DebugListen); err != nil {
			bad("server.debug_listen must be host:port or empty, got %q", c.Server.DebugListen)
		} else if !IsLoopbackHost(host) && !c.Server.DebugListenRemote {
			bad("server.debug_listen must be a loopback address such as 127.0.0.1:6060, got %q (set server.debug_listen_remote = true to allow it)", c.Server.DebugListen)
		}
	}
	if c.Server.MetricsListen != "" {
		if host, _, err := net.SplitHostPort(c.Server.MetricsListen); err != nil {
			bad("server.metrics_listen must be host:port or empty, got %q", c.Server.MetricsListen)
		} else if !IsLoopbackHost(host) && !c.Server.MetricsListenRemote {
			bad("server.metrics_listen must be a loopback address such as 127.0.0.1:9464, got %q (set server.metrics_listen_remote = true to allow it)", c.Server.MetricsListen)
		}
	}
	if c.Server.GCPercent < -1 || c.Server.GCPercent == 0 {
		bad("server.gc_percent must be a positive percentage (or -1: off), got %d", c.Server.GCPercent)
	}
	if c.Storage.DataDir == "" {
		bad("storage.data_dir must not be empty")
	}
	switch c.Storage.Driver {
	case "sqlite":
		if c.Storage.DSN != "" {
			bad("storage.dsn is for driver = \"postgres\"; SQLite's database is data_dir/herald.db")
		}
	case "postgres":
		if c.Storage.DSN == "" {
			bad("storage.dsn must name the PostgreSQL database with driver = \"postgres\" (postgres://user:password@host:5432/herald)")
		}
	default:
		bad("storage.driver must be sqlite or postgres, got %q", c.Storage.Driver)
	}
	if c.Storage.ReadConnections < 1 || c.Storage.ReadConnections > 64 {
		bad("storage.read_connections must be between 1 and 64")
	}
	c.Registration.Mode = strings.ToLower(c.Registration.Mode)
	if !registrationModes[c.Registration.Mode] {
		bad("registration.mode must be closed, invite, approval or open, got %q", c.Registration.Mode)
	}
	for _, list := range [][]string{c.Registration.EmailDomainAllowlist, c.Registration.EmailDomainBlocklist} {
		for i, d := range list {
			list[i] = strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
			if list[i] == "" || strings.ContainsAny(list[i], "/ @?#") {
				bad("registration e-mail domains must be domain names, got %q", d)
			}
		}
	}
	for i, u := range c.Registration.ReservedUsernames {
		c.Registration.ReservedUsernames[i] = strings.ToLower(strings.TrimSpace(u))
	}
	if c.Registration.InviteMaxAge.Duration < 0 {
		bad("registration.invite_max_age must not be negative")
	}
	switch c.SMTP.Security {
	case "starttls", "tls", "none":
	default:
		bad("smtp.security must be starttls, tls or none, got %q", c.SMTP.Security)
	}
	if c.SMTP.Port < 1 || c.SMTP.Port > 65535 {
		bad("smtp.port must be between 1 and 65535")
	}
	if c.SMTP.Host != "" && c.SMTP.From == "" {
		bad("smtp.from must be set when smtp.host is")
	}
	if c.SMTP.Timeout.Duration <= 0 {
		bad("smtp.timeout must be positive")
	}
	if c.Federation.DeliveryWorkers < 1 || c.Federation.DeliveryWorkers > 256 {
		bad("federation.delivery_workers must be between 1 and 256")
	}
	if c.Jobs.Lease.Duration < time.Second || c.Jobs.Lease.Duration > time.Hour {
		bad("jobs.lease must be between 1s and 1h")
	}
	if c.Jobs.Poll.Duration < 10*time.Millisecond || c.Jobs.Poll.Duration > time.Minute {
		bad("jobs.poll must be between 10ms and 1m")
	}
	if c.Federation.DeliveryPerHost < 1 {
		bad("federation.delivery_per_host must be at least 1")
	}
	if c.Federation.RequestTimeout.Duration <= 0 {
		bad("federation.request_timeout must be positive")
	}
	if c.Limits.MaxStatusChars < 1 || c.Limits.MaxStatusChars > 100000 {
		bad("limits.max_status_chars must be between 1 and 100000")
	}
	if c.Limits.MaxBodyBytes < 1024 {
		bad("limits.max_body_bytes must be at least 1024")
	}
	if c.Limits.MaxInboxBytes < 1024 {
		bad("limits.max_inbox_bytes must be at least 1024")
	}
	if c.Limits.SignInPerMinute < 1 || c.Limits.APIPer5Minutes < 1 || c.Limits.APIPerIPPer5Minutes < 1 ||
		c.Limits.SignUpPer5Minutes < 1 || c.Limits.InboxPerDomainPerMinute < 1 {
		bad("limits.sign_in_per_minute, api_per_5_minutes, api_per_ip_per_5_minutes, sign_up_per_5_minutes and inbox_per_domain_per_minute must be at least 1")
	}
	if c.Limits.FailedSignInsPerAccount < 1 {
		bad("limits.failed_sign_ins_per_account must be at least 1")
	}
	if c.Limits.FailedSignInsWindow.Duration < time.Minute {
		bad("limits.failed_sign_ins_window must be at least 1m")
	}
	if c.Media.MaxImageBytes < 1024 || c.Media.MaxVideoBytes < 1024 {
		bad("media.max_image_bytes and media.max_video_bytes must be at least 1024")
	}
	if c.Media.MaxPixels < 1 || c.Media.MaxPixels > 268_435_456 {
		bad("media.max_pixels must be between 1 and 268435456 (16384×16384)")
	}
	if c.Media.DecodeMemoryBudget < 8<<20 {
		bad("media.decode_memory_budget must be at least 8388608 (8 MiB)")
	}
	if strings.TrimSpace(c.Media.StoreDir) == "" {
		bad("media.store_dir must not be empty")
	}
	if c.Media.RemoteCacheTTL.Duration <= 0 {
		bad("media.remote_cache_ttl must be positive")
	}
	errs = append(errs, c.Media.validateBackend()...)
	in := &c.Interactions
	for _, l := range []struct {
		key  string
		list *[]string
	}{{"reply", &in.Reply}, {"reply_approval", &in.ReplyApproval}, {"reblog", &in.Reblog}, {"reblog_approval", &in.ReblogApproval},
		{"favourite", &in.Favourite}, {"favourite_approval", &in.FavouriteApproval}, {"quote", &in.Quote}, {"quote_approval", &in.QuoteApproval}} {
		var norm []string // an empty list is nil, as when the key is absent
		for _, v := range *l.list {
			v = strings.ToLower(strings.TrimSpace(v))
			if !interactionValues[v] {
				bad("interactions.%s: %q is not one of public, followers, following, mentioned, author", l.key, v)
			}
			norm = append(norm, v)
		}
		*l.list = norm
	}
	c.validateOIDC(bad)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level must be debug, info, warn or error")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format must be text or json")
	}
	return errors.Join(errs...)
}

func (c *Config) validateOIDC(bad func(string, ...any)) {
	o := &c.OIDC
	o.PasswordLogin = strings.ToLower(strings.TrimSpace(o.PasswordLogin))
	if o.PasswordLogin != "all" && o.PasswordLogin != "listed" {
		bad("oidc.password_login must be \"all\" or \"listed\", got %q", o.PasswordLogin)
	}
	for i, u := range o.PasswordAccounts {
		o.PasswordAccounts[i] = strings.ToLower(strings.TrimSpace(u))
	}
	for i, d := range o.AllowedEmailDomains {
		o.AllowedEmailDomains[i] = strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
		if o.AllowedEmailDomains[i] == "" || strings.ContainsAny(o.AllowedEmailDomains[i], "/ @?#") {
			bad("oidc.allowed_email_domains must be domain names, got %q", d)
		}
	}
	for _, e := range o.RoleMap {
		v, r, ok := strings.Cut(e, "=")
		r = strings.TrimSpace(r)
		switch {
		case !ok || strings.TrimSpace(v) == "" || r == "":
			bad("oidc.role_map entries must be \"claim value=role\", got %q", e)
		case r == "owner":
			bad("oidc.role_map may not give the owner role (%q): the owner is named with `herald account role`", e)
		}
	}
	if !o.Enabled {
		return
	}
	if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname()))) {
		bad("oidc.issuer must be an https URL (http only on loopback, for tests), got %q", o.Issuer)
	}
	if o.ClientID == "" {
		bad("oidc.client_id must be set when oidc.enabled is")
	}
	if !slices.Contains(o.Scopes, "openid") {
		bad("oidc.scopes must include \"openid\"")
	}
	if o.UsernameClaim == "" {
		bad("oidc.username_claim must not be empty")
	}
	if len(o.RequiredGroups) > 0 && o.GroupsClaim == "" {
		bad("oidc.groups_claim must be set when oidc.required_groups is")
	}
	if len(o.RoleMap) > 0 && o.RoleClaim == "" {
		bad("oidc.role_claim must be set when oidc.role_map is")
	}
	if o.Name == "" {
		o.Name = "single sign-on"
	}
}

// MediaDir is the directory of media files: media.store_dir, relative to
// data_dir unless absolute.
func (c *Config) MediaDir() string {
	if filepath.IsAbs(c.Media.StoreDir) {
		return c.Media.StoreDir
	}
	return filepath.Join(c.Storage.DataDir, c.Media.StoreDir)
}

// BaseURL is the instance's public origin, e.g. https://social.example.
func (c *Config) BaseURL() string { return c.Instance.Protocol + "://" + c.Instance.Domain }

// IsLoopbackHost reports whether a host (no port) names this machine only:
// "localhost" or a loopback IP. An empty host means every interface.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WarnIfWorldReadable reports whether a config file can be read by others.
func WorldReadable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().Perm()&0o004 != 0
}
