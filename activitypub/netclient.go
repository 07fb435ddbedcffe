package activitypub

import (
	"io"
	"net/http"
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
	})
}

func readLimited(r io.Reader, max int64) ([]byte, error) { return netguard.ReadLimited(r, max) }
