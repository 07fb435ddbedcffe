package activitypub

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"time"

	"github.com/herald-social/herald/activitypub/netguard"
)

// The guarded client (netguard): no private addresses unless allowed, at
// most two redirects, bounded bodies and time.

type clientOptions struct {
	AllowPrivate bool
	Timeout      time.Duration
	MaxBody      int64
	MaxRedirects int
	UserAgent    string
	OnRedirect   func(req *http.Request, via []*http.Request) error
	// LookupIP, when set, replaces DNS (tests map names to chosen
	// addresses; the address checks apply to its answers as to DNS's).
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

var errTooLarge = netguard.ErrTooLarge

func newGuardedClient(o clientOptions) *http.Client {
	return netguard.NewClient(netguard.Options{
		AllowPrivate: o.AllowPrivate,
		Timeout:      o.Timeout,
		MaxBody:      o.MaxBody,
		MaxRedirects: o.MaxRedirects,
		UserAgent:    o.UserAgent,
		OnRedirect:   o.OnRedirect,
		LookupIP:     o.LookupIP,
	})
}

func readLimited(r io.Reader, max int64) ([]byte, error) { return netguard.ReadLimited(r, max) }

// SetLookupIP replaces the name resolution of the federation's outgoing
// client (nil: DNS) and rebuilds the client. Tests use it to make remote
// names resolve to chosen, possibly forbidden, addresses. Call it before
// Start.
func (f *Federation) SetLookupIP(fn func(ctx context.Context, host string) ([]netip.Addr, error)) {
	f.lookupIP = fn
	f.client = f.newHTTPClient()
}
