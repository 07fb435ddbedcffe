// Package server assembles Herald: it opens the store, builds the domain
// layer, mounts the client API, the web UI and the federation engine on one
// echo router, runs the background workers, and shuts all of it down
// cleanly. It holds no rules of its own.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/herald-social/herald/activitypub"
	"github.com/herald-social/herald/api"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/metrics"
	"github.com/herald-social/herald/internal/push"
	"github.com/herald-social/herald/internal/webhook"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
	"github.com/herald-social/herald/webui"
)

// Server is a running (or ready to run) Herald.
type Server struct {
	Cfg   config.Config
	Log   *slog.Logger
	Store *sqlite.Store
	Svc   *core.Service
	API   *api.API
	Fed   *activitypub.Federation
	UI    *webui.UI
	Echo  *echo.Echo
	Jobs  *jobs.Runner // the background job runtime

	Metrics     *metrics.Metrics // nil unless [server] metrics_listen is set (metrics.go)
	MetricsAddr string           // where the metrics listen (tests: the port bound)
	metricsLn   net.Listener

	workers []func(ctx context.Context)
	http    *http.Server

	Pusher   *push.Worker    // Web Push delivery (realtime.go)
	Webhooks *webhook.Worker // admin webhook deliveries (webhooks.go)
}

// New opens the store and builds every part, without listening yet.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	store, err := openStore(ctx, cfg, cfg.Storage.ReadConnections)
	if err != nil {
		return nil, err
	}
	for _, p := range sqlite.ExposedFiles(cfg.Storage.DataDir) { // (no database files there on PostgreSQL)
		log.Warn("readable by other users: it holds private keys and secrets; chmod 700 the data directory and 600 the database files", "path", p)
	}
	svc := core.New(cfg, store, log)
	if err := svc.CheckFileStore(ctx); err != nil {
		store.Close()
		return nil, err
	}
	svc.LogSettingSources(ctx)
	// The one job runtime: every part registers its kinds on it while
	// being mounted; it runs as a worker. Core's kinds (media work, the
	// media sweeps, mail) first.
	mx := newMetrics(cfg)
	runner := jobs.New(store, jobs.Options{Lease: cfg.Jobs.Lease.Duration, Poll: cfg.Jobs.Poll.Duration, Log: log,
		Observe: jobObserver(mx)})
	svc.Jobs = runner
	svc.RegisterJobs(runner)
	s := &Server{Cfg: cfg, Log: log, Store: store, Svc: svc, Jobs: runner, Metrics: mx}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.JSONSerializer = api.JSONSerializer{} // hand-written JSON for the hot entities
	e.HTTPErrorHandler = api.ErrorHandler(log)
	e.IPExtractor = ipExtractor(cfg.Server.TrustedProxies)
	// Clients add trailing slashes (Mastodon.py asks for /api/v1/instance/).
	e.Pre(middleware.RemoveTrailingSlash(), requestScope)
	if mx != nil {
		e.Use(mx.Middleware(e)) // outermost: it sees the status every other part sets
	}
	e.Use(requestLog(log), recoverer(log), securityHeaders(cfg), bodyLimit(cfg), cors())
	s.Echo = e

	s.API = api.New(svc)
	s.API.Register(e)
	ui, err := webui.New(svc)
	if err != nil {
		store.Close()
		return nil, err
	}
	ui.Register(e)
	s.UI = ui
	e.HTTPErrorHandler = ui.BrowserErrors(e.HTTPErrorHandler)
	s.API.SessionCaller = ui.SessionCaller // the media proxy knows signed-in browsers
	if err := s.mountFederation(ctx); err != nil {
		store.Close()
		return nil, err
	}
	ui.Fed = uiFederationOf(s.Fed)
	s.mountRealtime()
	s.mountCluster() // after realtime and federation: it wraps their hooks
	s.mountWebhooks()
	s.AddWorker(runner.Run)
	if err := s.mountMetrics(); err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

// Serve listens on cfg.Server.Listen (or on ln when given) until ctx ends,
// then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", s.Cfg.Server.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", s.Cfg.Server.Listen, err)
		}
	}
	s.http = &http.Server{
		Handler:           s.Echo,
		ReadTimeout:       s.Cfg.Server.ReadTimeout.Duration,
		ReadHeaderTimeout: headerTimeout(s.Cfg.Server.ReadTimeout.Duration),
		WriteTimeout:      s.Cfg.Server.WriteTimeout.Duration,
		IdleTimeout:       s.Cfg.Server.IdleTimeout.Duration,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelDebug),
	}
	s.http.RegisterOnShutdown(s.API.CloseStreams) // streaming connections end at once
	workCtx, stopWork := context.WithCancel(context.Background())
	s.serveDebug(workCtx)   // [server] debug_listen: pprof and expvar, off by default
	s.serveMetrics(workCtx) // [server] metrics_listen: Prometheus, off by default
	debug.FreeOSMemory()    // hand back what starting up used (migrations, templates, keys)
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w(workCtx) }()
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	// Start-up is over once the job runner has claimed from every kind
	// and the first clients were served: the executable's pages all that
	// touched are let go then (startpages_linux.go); serving maps back
	// what it uses.
	settled := time.AfterFunc(startupSettle, func() {
		s.Log.Debug("released the executable's start-up pages", "mapped_bytes", releaseStartupPages())
	})
	defer settled.Stop()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), s.Cfg.Server.ShutdownTimeout.Duration)
	defer cancel()
	_ = s.http.Shutdown(shutCtx)
	stopWork()
	wg.Wait()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, s.Store.Close())
}

// startupSettle is how long after it starts serving a process lets go of
// the executable pages touched while starting.
const startupSettle = time.Second

// headerTimeout bounds the time to read a request's headers: 10 s, or the
// read timeout when it is shorter, against clients that trickle headers.
func headerTimeout(read time.Duration) time.Duration {
	if read > 0 && read < 10*time.Second {
		return read
	}
	return 10 * time.Second
}

// AddWorker registers a background loop run while the server serves.
func (s *Server) AddWorker(w func(ctx context.Context)) { s.workers = append(s.workers, w) }

func recoverer(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					log.Error("panic in handler", "path", c.Request().URL.Path, "panic", fmt.Sprint(r))
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return next(c)
		}
	}
}

// requestLog logs every request at debug level: method, path, the query
// with its secrets redacted, status, duration and client address. Headers
// (Authorization, Cookie, Signature) and bodies are never logged.
// requestScope gives each request a storage scope: the store checks once
// per request what it would otherwise check at every cache look
// (storage.Scope).
func requestScope(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(storage.WithScope(r.Context())))
		return next(c)
	}
}

func requestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !log.Enabled(c.Request().Context(), slog.LevelDebug) {
				return next(c)
			}
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err) // render it now, to log the status sent
			}
			r := c.Request()
			log.Debug("request", "method", r.Method, "path", r.URL.Path, "query", RedactQuery(r.URL.RawQuery),
				"status", c.Response().Status, "duration", time.Since(start).Round(time.Microsecond), "ip", c.RealIP())
			return nil
		}
	}
}

// secretParams are query parameters whose values never reach a log.
var secretParams = map[string]bool{
	"access_token": true, "code": true, "token": true, "client_secret": true, "password": true,
	"refresh_token": true, "code_verifier": true, "authenticity_token": true, "state": true,
}

// RedactQuery returns a raw query with the values of secret parameters
// replaced by "REDACTED".
func RedactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, found := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		name = strings.ToLower(strings.TrimSuffix(name, "[]"))
		if found && secretParams[name] {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// bodyLimit caps request bodies; reading past it fails and answers 413.
// The cap is limits.max_body_bytes, except for media uploads (the largest
// media file plus room for the form) and the inboxes (limits.max_inbox_bytes).
func bodyLimit(cfg config.Config) echo.MiddlewareFunc {
	mediaMax := max(cfg.Media.MaxImageBytes, cfg.Media.MaxVideoBytes) + 1<<20
	profileMax := 2*cfg.Media.MaxImageBytes + 1<<20 // avatar and header at once
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			limit := requestBodyLimit(cfg, r, mediaMax, profileMax)
			if r.ContentLength > limit {
				return c.JSON(http.StatusRequestEntityTooLarge, map[string]string{"error": "Request body too large"})
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			}
			return next(c)
		}
	}
}

func requestBodyLimit(cfg config.Config, r *http.Request, mediaMax, profileMax int64) int64 {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return cfg.Limits.MaxBodyBytes
	case strings.HasPrefix(p, "/api/v1/media") || strings.HasPrefix(p, "/api/v2/media"):
		return max(mediaMax, cfg.Limits.MaxBodyBytes)
	case p == "/api/v1/accounts/update_credentials":
		return max(profileMax, cfg.Limits.MaxBodyBytes)
	case r.Method == http.MethodPost && (p == "/inbox" || strings.HasSuffix(p, "/inbox")):
		return cfg.Limits.MaxInboxBytes
	}
	return cfg.Limits.MaxBodyBytes
}

// cors answers as Mastodon does: any origin may call the API with a token.
func cors() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			if !(strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/oauth/") || strings.HasPrefix(p, "/.well-known/") || strings.HasPrefix(p, "/nodeinfo/")) {
				return next(c)
			}
			h := c.Response().Header()
			h["Access-Control-Allow-Origin"] = hdrAnyOrigin
			h["Access-Control-Expose-Headers"] = hdrExpose
			if c.Request().Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "POST, PUT, DELETE, GET, PATCH, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Accept")
				h.Set("Access-Control-Max-Age", "86400")
				return c.NoContent(http.StatusOK)
			}
			return next(c)
		}
	}
}

// securityHeaders sets the headers every response carries. HTML pages
// (webui) replace the Content-Security-Policy with their own; everything
// else (JSON, ActivityStreams, images) gets one that allows nothing, so a
// response opened in a browser can neither run nor load anything, nor be
// framed. HSTS is sent when the instance is served over https.
func securityHeaders(cfg config.Config) echo.MiddlewareFunc {
	https := cfg.Instance.Protocol == "https"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// Stored as Set would (the keys are canonical), without its
			// canonicalisation and a new one-value slice per header and
			// request; the slices are full (cap 1), so an Add copies.
			h := c.Response().Header()
			h["X-Content-Type-Options"] = hdrNosniff
			h["Referrer-Policy"] = hdrSameOrigin
			h["X-Frame-Options"] = hdrDeny
			h["Content-Security-Policy"] = hdrCSP
			h["Permissions-Policy"] = hdrPermissions
			if https {
				h["Strict-Transport-Security"] = hdrHSTS
			}
			return next(c)
		}
	}
}

// The values of the headers every response carries (securityHeaders, cors).
var (
	hdrNosniff     = []string{"nosniff"}[:1:1]
	hdrSameOrigin  = []string{"same-origin"}[:1:1]
	hdrDeny        = []string{"DENY"}[:1:1]
	hdrCSP         = []string{DefaultCSP}[:1:1]
	hdrPermissions = []string{"camera=(), microphone=(), geolocation=(), interest-cohort=()"}[:1:1]
	hdrHSTS        = []string{"max-age=63072000; includeSubDomains"}[:1:1]
	hdrAnyOrigin   = []string{"*"}[:1:1]
	hdrExpose      = []string{"Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key"}[:1:1]
)

// DefaultCSP is the Content-Security-Policy of every response that is not
// an HTML page.
const DefaultCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// ipExtractor trusts X-Forwarded-For only from the configured proxies
// (and loopback), so rate limits apply to the real client.
func ipExtractor(trusted []string) echo.IPExtractor {
	opts := []echo.TrustOption{echo.TrustLoopback(true), echo.TrustPrivateNet(false), echo.TrustLinkLocal(false)}
	for _, t := range trusted {
		if _, n, err := net.ParseCIDR(t); err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		} else if ip := net.ParseIP(t); ip != nil {
			bits := 32
			if ip.To4() == nil {
				bits = 128
			}
			opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
