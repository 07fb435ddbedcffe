package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The example file documents every key with its default value: loading it
// must give exactly the embedded defaults.
func TestExampleMatchesDefaults(t *testing.T) {
	cfg, err := Load("../../config.example.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	def.Storage.DataDir = filepath.Join("../..", def.Storage.DataDir)
	if !reflect.DeepEqual(normalise(cfg), normalise(def)) {
		t.Fatalf("config.example.toml differs from the defaults:\n%+v\n%+v", cfg, def)
	}
}

func normalise(c Config) Config {
	c.Sources = nil
	if len(c.Federation.BlockedDomains) == 0 {
		c.Federation.BlockedDomains = nil
	}
	if len(c.Federation.SilencedDomains) == 0 {
		c.Federation.SilencedDomains = nil
	}
	if len(c.Federation.RejectMediaDomains) == 0 {
		c.Federation.RejectMediaDomains = nil
	}
	if len(c.Federation.AllowedDomains) == 0 {
		c.Federation.AllowedDomains = nil
	}
	if len(c.Registration.EmailDomainAllowlist) == 0 {
		c.Registration.EmailDomainAllowlist = nil
	}
	if len(c.Registration.EmailDomainBlocklist) == 0 {
		c.Registration.EmailDomainBlocklist = nil
	}
	if len(c.Registration.ReservedUsernames) == 0 {
		c.Registration.ReservedUsernames = nil
	}
	for _, l := range []*[]string{&c.OIDC.AllowedEmailDomains, &c.OIDC.RequiredGroups, &c.OIDC.RoleMap, &c.OIDC.PasswordAccounts} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(c.Server.TrustedProxies) == 0 {
		c.Server.TrustedProxies = nil
	}
	return c
}

func TestEnvironmentOverrides(t *testing.T) {
	cfg, err := Load("", []string{
		"HERALD_SERVER_LISTEN=127.0.0.1:9999",
		"HERALD_INSTANCE_DOMAIN=Social.Example",
		"HERALD_FEDERATION_ALLOW_PRIVATE_ADDRESSES=true",
		"HERALD_FEDERATION_BLOCKED_DOMAINS=a.example, b.example",
		"HERALD_LIMITS_MAX_STATUS_CHARS=1000",
		"HERALD_SERVER_READ_TIMEOUT=7d",
		"PATH=/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:9999" || cfg.Instance.Domain != "social.example" ||
		!cfg.Federation.AllowPrivateAddresses || cfg.Limits.MaxStatusChars != 1000 ||
		!reflect.DeepEqual(cfg.Federation.BlockedDomains, []string{"a.example", "b.example"}) ||
		cfg.Server.ReadTimeout.Duration != 7*24*time.Hour {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
}

func TestInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"bad mode":     "[registration]\nmode = \"sometimes\"\n",
		"bad protocol": "[instance]\nprotocol = \"gopher\"\n",
		"unknown key":  "[server]\nlisten = \"127.0.0.1:1\"\nport = 3\n",
		"bad listen":   "[server]\nlisten = \"nowhere\"\n",
		"bad toml":     "[server\n",
		"bad duration": "[server]\nread_timeout = \"soon\"\n",
		"bad smtp":     "[smtp]\nsecurity = \"maybe\"\n",
		"smtp no from": "[smtp]\nhost = \"mail.example\"\n",
		"bad allow":    "[registration]\nemail_domain_allowlist = [\"a@b\"]\n",
		"bad policy":   "[interactions]\nreply_approval = [\"friends\"]\n",
	}
	for name, body := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p, nil); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
	if _, err := Load("", []string{"HERALD_FEDERATION_ENABLED=maybe"}); err == nil {
		t.Error("bad boolean in the environment accepted")
	}
}

// The profiler shows the server's memory: it listens on loopback unless the
// operator says otherwise in so many words.
func TestDebugListenLoopbackOnly(t *testing.T) {
	cases := []struct {
		env []string
		ok  bool
	}{
		{[]string{"HERALD_SERVER_DEBUG_LISTEN=127.0.0.1:6060"}, true},
		{[]string{"HERALD_SERVER_DEBUG_LISTEN=[::1]:6060"}, true},
		{[]string{"HERALD_SERVER_DEBUG_LISTEN=localhost:6060"}, true},
		{[]string{"HERALD_SERVER_DEBUG_LISTEN=0.0.0.0:6060"}, false},
		{[]string{"HERALD_SERVER_DEBUG_LISTEN=:6060"}, false},
		{[]string{"HERALD_SERVER_DEBUG_LISTEN=192.0.2.7:6060"}, false},
		{[]string{"HERALD_SERVER_DEBUG_LISTEN=0.0.0.0:6060", "HERALD_SERVER_DEBUG_LISTEN_REMOTE=true"}, true},
	}
	for _, c := range cases {
		_, err := Load("", c.env)
		if (err == nil) != c.ok {
			t.Errorf("%v: error %v, want ok=%v", c.env, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "debug_listen") {
			t.Errorf("%v: error does not name the key: %v", c.env, err)
		}
	}
}

// The metrics tell how busy the instance is: like the profiler, they
// listen on loopback unless the operator allows another address.
func TestMetricsListenLoopbackOnly(t *testing.T) {
	cases := []struct {
		env []string
		ok  bool
	}{
		{nil, true}, // off by default
		{[]string{"HERALD_SERVER_METRICS_LISTEN=127.0.0.1:9464"}, true},
		{[]string{"HERALD_SERVER_METRICS_LISTEN=[::1]:9464"}, true},
		{[]string{"HERALD_SERVER_METRICS_LISTEN=localhost:9464"}, true},
		{[]string{"HERALD_SERVER_METRICS_LISTEN=0.0.0.0:9464"}, false},
		{[]string{"HERALD_SERVER_METRICS_LISTEN=:9464"}, false},
		{[]string{"HERALD_SERVER_METRICS_LISTEN=192.0.2.7:9464"}, false},
		{[]string{"HERALD_SERVER_METRICS_LISTEN=9464"}, false},
		{[]string{"HERALD_SERVER_METRICS_LISTEN=0.0.0.0:9464", "HERALD_SERVER_METRICS_LISTEN_REMOTE=true"}, true},
	}
	for _, c := range cases {
		cfg, err := Load("", c.env)
		if (err == nil) != c.ok {
			t.Errorf("%v: error %v, want ok=%v", c.env, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "metrics_listen") {
			t.Errorf("%v: error does not name the key: %v", c.env, err)
		}
		if c.env == nil && cfg.Server.MetricsListen != "" {
			t.Errorf("metrics_listen is on by default: %q", cfg.Server.MetricsListen)
		}
	}
}

// An account may make Mastodon's 1,500 API calls per five minutes: apps
// that refresh several timelines at once stay well under it.
func TestAuthenticatedAPILimitIsMastodons(t *testing.T) {
	if got := Default().Limits.APIPer5Minutes; got != 1500 {
		t.Fatalf("api_per_5_minutes default %d, want 1500", got)
	}
}

// Sources says where each key that is not at its default was set.
func TestSourcesNameFileAndEnvironment(t *testing.T) {
	p := filepath.Join(t.TempDir(), "herald.toml")
	if err := os.WriteFile(p, []byte("[instance]\ntitle = \"From the file\"\n[registration]\nmode = \"invite\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p, []string{"HERALD_REGISTRATION_MODE=closed"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.SourceOf("instance.title"); got != "config file "+p {
		t.Errorf("instance.title from %q", got)
	}
	if got := cfg.SourceOf("registration.mode"); got != "environment HERALD_REGISTRATION_MODE" || cfg.Registration.Mode != "closed" {
		t.Errorf("registration.mode from %q (%s): the environment wins over the file", got, cfg.Registration.Mode)
	}
	if got := cfg.SourceOf("instance.description"); got != "" {
		t.Errorf("a default key has a source: %q", got)
	}
}

// [oidc] is checked when enabled: an https issuer (http only on loopback,
// for tests), a client id, the openid scope, role maps that never give the
// owner role, and a known password_login.
func TestOIDCValidation(t *testing.T) {
	on := []string{"HERALD_OIDC_ENABLED=true", "HERALD_OIDC_CLIENT_ID=herald"}
	cases := []struct {
		env  []string
		ok   bool
		want string
	}{
		{append(on, "HERALD_OIDC_ISSUER=https://id.example/realms/staff"), true, ""},
		{append(on, "HERALD_OIDC_ISSUER=http://127.0.0.1:5556"), true, ""},
		{append(on, "HERALD_OIDC_ISSUER=http://localhost:5556/dex"), true, ""},
		{append(on, "HERALD_OIDC_ISSUER=http://id.example"), false, "oidc.issuer"},
		{append(on, "HERALD_OIDC_ISSUER=id.example"), false, "oidc.issuer"},
		{[]string{"HERALD_OIDC_ENABLED=true", "HERALD_OIDC_ISSUER=https://id.example"}, false, "oidc.client_id"},
		{append(on, "HERALD_OIDC_ISSUER=https://id.example", "HERALD_OIDC_SCOPES=email,profile"), false, "openid"},
		{append(on, "HERALD_OIDC_ISSUER=https://id.example", "HERALD_OIDC_ROLE_CLAIM=groups", "HERALD_OIDC_ROLE_MAP=boss=owner"), false, "owner"},
		{append(on, "HERALD_OIDC_ISSUER=https://id.example", "HERALD_OIDC_ROLE_MAP=staff=admin"), false, "oidc.role_claim"},
		{append(on, "HERALD_OIDC_ISSUER=https://id.example", "HERALD_OIDC_ROLE_CLAIM=groups", "HERALD_OIDC_ROLE_MAP=staff"), false, "claim value=role"},
		{append(on, "HERALD_OIDC_ISSUER=https://id.example", "HERALD_OIDC_PASSWORD_LOGIN=some"), false, "password_login"},
	}
	for _, c := range cases {
		cfg, err := Load("", c.env)
		if (err == nil) != c.ok {
			t.Errorf("%v: error %v, want ok=%v", c.env, err, c.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error does not say %q: %v", c.env, c.want, err)
		}
		if err == nil && cfg.OIDC.Name != "single sign-on" {
			t.Errorf("%v: default name %q", c.env, cfg.OIDC.Name)
		}
	}
}

// [media] backend = "s3" needs a complete [media.s3]; every mistake is
// named; the secret can come from the environment.
func TestMediaS3Config(t *testing.T) {
	dir := t.TempDir()
	good := "[media]\nbackend = \"s3\"\n[media.s3]\nendpoint = \"s3.example.org:9000\"\nbucket = \"herald-media\"\naccess_key = \"ak\"\n"
	p := filepath.Join(dir, "s3.toml")
	if err := os.WriteFile(p, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p, []string{"HERALD_MEDIA_S3_SECRET_KEY=from-env", "HERALD_MEDIA_S3_SERVE=proxy"})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Media.S3
	if cfg.Media.Backend != "s3" || s.SecretKey != "from-env" || s.Serve != "proxy" || !s.UseTLS || s.Region != "us-east-1" ||
		cfg.SourceOf("media.s3.secret_key") != "environment HERALD_MEDIA_S3_SECRET_KEY" {
		t.Fatalf("loaded %+v (sources %v)", cfg.Media, cfg.Sources)
	}
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "media.s3.access_key and media.s3.secret_key") {
		t.Errorf("without the secret: %v", err)
	}

	secret := []string{"HERALD_MEDIA_S3_SECRET_KEY=sk"}
	cases := map[string]struct{ env, want string }{
		"backend":     {"HERALD_MEDIA_BACKEND=ftp", "media.backend"},
		"scheme":      {"HERALD_MEDIA_S3_ENDPOINT=https://s3.example.org", "without a scheme"},
		"no endpoint": {"HERALD_MEDIA_S3_ENDPOINT=", "media.s3.endpoint must be set"},
		"bucket":      {"HERALD_MEDIA_S3_BUCKET=Herald_Media", "media.s3.bucket"},
		"serve":       {"HERALD_MEDIA_S3_SERVE=stream", "media.s3.serve"},
		"expiry":      {"HERALD_MEDIA_S3_PRESIGN_EXPIRY=30d", "media.s3.presign_expiry"},
		"public url":  {"HERALD_MEDIA_S3_PUBLIC_URL=media.example.org", "media.s3.public_url"},
	}
	for name, c := range cases {
		_, err := Load(p, append(secret, c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %s", name, err, c.want)
		}
	}
	// With the local backend, [media.s3] is not looked at.
	if _, err := Load("", []string{"HERALD_MEDIA_S3_SERVE=stream"}); err != nil {
		t.Errorf("local backend: %v", err)
	}
}

// [storage] driver picks the engine; dsn goes with postgres only.
func TestStorageDriverValidation(t *testing.T) {
	cases := []struct {
		env []string
		ok  bool
	}{
		{nil, true},
		{[]string{"HERALD_STORAGE_DRIVER=postgres", "HERALD_STORAGE_DSN=postgres://h@127.0.0.1/herald"}, true},
		{[]string{"HERALD_STORAGE_DRIVER=postgres"}, false},
		{[]string{"HERALD_STORAGE_DSN=postgres://h@127.0.0.1/herald"}, false},
		{[]string{"HERALD_STORAGE_DRIVER=mysql"}, false},
	}
	for _, c := range cases {
		cfg, err := Load("", c.env)
		if (err == nil) != c.ok {
			t.Errorf("%v: error %v, want ok=%v", c.env, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "storage.d") {
			t.Errorf("%v: error does not name the key: %v", c.env, err)
		}
		if err == nil && cfg.Storage.Postgres() != (len(c.env) > 0) {
			t.Errorf("%v: Postgres() = %v", c.env, cfg.Storage.Postgres())
		}
	}
}
