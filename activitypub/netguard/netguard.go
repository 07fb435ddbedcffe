// Package netguard owns Herald's outgoing HTTP client: every fetch and
// delivery to another server goes through NewClient, so that a remote actor
// cannot make Herald connect to its own host, the LAN or a cloud metadata
// service (SSRF), follow endless redirects, or stream an unbounded body.
//
// The guard sits in the dialer: the client resolves the host itself, checks
// every address, and connects to the checked IP literally, so a DNS answer
// that changes between the check and the connect (rebinding) cannot bypass
// it. Proxies from the environment are never used, since they would move the
// connect out of the guard's sight.
//
// netguard knows nothing about ActivityPub, signatures or domain blocks: it
// only decides where a connection may go and how much may be read.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Defaults, from what Mastodon does (docs/federation-interop.md, section 10).
const (
	DefaultMaxBody      = 1 << 20 // 1 MiB
	DefaultMaxRedirects = 2
	DefaultTimeout      = 10 * time.Second
)

var (
	// ErrForbiddenAddress is wrapped by errors for connections refused by
	// the address check.
	ErrForbiddenAddress = errors.New("netguard: forbidden address")
	// ErrTooLarge is returned when a response body exceeds the limit.
	ErrTooLarge = errors.New("netguard: response body too large")
	// ErrTooManyRedirects is wrapped when a redirect chain exceeds
	// Options.MaxRedirects.
	ErrTooManyRedirects = errors.New("netguard: too many redirects")
)

// Options configures NewClient. The zero value is the production setting.
type Options struct {
	// AllowPrivate permits loopback, RFC 1918, unique-local, CGNAT and the
	// documentation ranges, for tests and closed networks. Unspecified,
	// link-local (cloud metadata), multicast and reserved addresses stay
	// refused.
	AllowPrivate bool
	// Timeout bounds a whole request, redirects included (default 10 s).
	Timeout time.Duration
	// MaxBody caps every response body (default 1 MiB; negative: no cap).
	// Reading past it fails with ErrTooLarge.
	MaxBody int64
	// MaxRedirects is how many redirects are followed (default 2; negative:
	// none, the 3xx response is returned as is).
	MaxRedirects int
	// UserAgent is set on requests that do not have one.
	UserAgent string
	// Resolver looks hosts up (nil: net.DefaultResolver).
	Resolver *net.Resolver
	// LookupIP, when set, replaces Resolver; tests use it to map names to
	// chosen addresses.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// OnRedirect, when set, is called for every redirect hop that passed the
	// checks, for example to sign the new request. The Signature header of
	// the previous hop has already been removed: it was made for another URL.
	OnRedirect func(req *http.Request, via []*http.Request) error
}

// dialFunc connects to a checked address; tests replace it.
type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// NewClient returns an *http.Client whose connections, redirects and
// response bodies are guarded as described in the package comment.
func NewClient(o Options) *http.Client {
	return newClient(o, nil)
}

func newClient(o Options, dial dialFunc) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	g := &guard{opts: o, dial: dial}
	if g.dial == nil {
		g.dial = g.dialer().DialContext
	}
	base := &http.Transport{
		Proxy:                  nil, // never: a proxy would dial on our behalf, unchecked
		DialContext:            g.dialContext,
		ForceAttemptHTTP2:      true, // a custom DialContext disables HTTP/2 otherwise
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 256 << 10,
	}
	return &http.Client{
		Transport:     &transport{base: base, userAgent: o.UserAgent, maxBody: o.MaxBody},
		CheckRedirect: checkRedirect(o),
		Timeout:       o.Timeout,
	}
}

func checkRedirect(o Options) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if o.MaxRedirects < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > o.MaxRedirects {
			return fmt.Errorf("netguard: stopped after %d redirects: %w", o.MaxRedirects, ErrTooManyRedirects)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("netguard: redirect to scheme %q refused", req.URL.Scheme)
		}
		req.Header.Del("Signature")
		if o.OnRedirect != nil {
			return o.OnRedirect(req, via)
		}
		return nil
	}
}

// guard resolves, checks and dials.
type guard struct {
	opts Options
	dial dialFunc
}

// dialer connects to addresses that dialContext has already checked.
func (g *guard) dialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   g.opts.Timeout,
		KeepAlive: 30 * time.Second,
		// Belt and braces: re-check the socket address right before connect,
		// whatever path led to this dial.
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("netguard: unexpected dial address %q: %w", address, ErrForbiddenAddress)
			}
			return g.check(ap.Addr())
		},
	}
}

func (g *guard) check(ip netip.Addr) error {
	if forbidden(ip, g.opts.AllowPrivate) {
		return fmt.Errorf("netguard: %s: %w", ip, ErrForbiddenAddress)
	}
	return nil
}

func (g *guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if g.opts.LookupIP != nil {
		return g.opts.LookupIP(ctx, host)
	}
	r := g.opts.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	return r.LookupNetIP(ctx, "ip", host)
}

func (g *guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("netguard: dial %q: %w", address, err)
	}
	ips, err := g.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("netguard: resolve %q: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("netguard: resolve %q: no addresses", host)
	}
	// One bad address refuses the host: a name that mixes public and
	// internal answers is an attack, not a peer.
	for _, ip := range ips {
		if err := g.check(ip); err != nil {
			return nil, fmt.Errorf("netguard: %s: %w", host, err)
		}
	}
	var candidates []netip.Addr
	for _, ip := range ips {
		ip = ip.Unmap()
		if (network == "tcp4" && !ip.Is4()) || (network == "tcp6" && !ip.Is6()) {
			continue
		}
		candidates = append(candidates, ip)
	}
	var firstErr error
	for i, ip := range candidates {
		conn, err := g.dialOne(ctx, network, net.JoinHostPort(ip.String(), port), len(candidates)-i)
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("netguard: %s has no %s address", host, network)
	}
	return nil, firstErr
}

// dialOne dials one of the remaining addresses. Like net.Dialer does for a
// name, it gives each attempt a share of the time left (at least 2 s), so a
// blackholed first address (often a broken IPv6 route) cannot use up the
// whole timeout.
func (g *guard) dialOne(ctx context.Context, network, address string, remaining int) (net.Conn, error) {
	if deadline, ok := ctx.Deadline(); ok && remaining > 1 {
		share := time.Until(deadline) / time.Duration(remaining)
		if share < 2*time.Second {
			share = 2 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, share)
		defer cancel()
	}
	return g.dial(ctx, network, address)
}

// transport sets the User-Agent and caps response bodies.
type transport struct {
	base      http.RoundTripper
	userAgent string
	maxBody   int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.userAgent != "" && req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context()) // a RoundTripper must not modify its request
		req.Header.Set("User-Agent", t.userAgent)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if t.maxBody > 0 {
		resp.Body = &limitedBody{rc: resp.Body, left: t.maxBody, max: t.maxBody}
	}
	return resp, nil
}

// CloseIdleConnections passes http.Client.CloseIdleConnections on to the
// base transport (without it the call would do nothing).
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// limitedBody fails with ErrTooLarge instead of silently truncating, so a
// cut-off JSON document is never mistaken for a complete one.
type limitedBody struct {
	rc        io.ReadCloser
	left, max int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, b.max)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// ReadLimited reads at most max bytes of the response body (max <= 0 means
// DefaultMaxBody); ErrTooLarge when it exceeds.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxBody
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("netguard: read body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, max)
	}
	return b, nil
}
