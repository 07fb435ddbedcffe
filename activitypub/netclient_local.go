package activitypub

// TEMPORARY stand-in for activitypub/netguard until it lands: the same
// options, the same refusals (private addresses, redirects, body size).
// Replaced by netclient.go, which calls netguard.NewClient.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

type clientOptions struct {
	AllowPrivate bool
	Timeout      time.Duration
	MaxBody      int64
	MaxRedirects int
	UserAgent    string
}

var errTooLarge = errors.New("response body too large")

func newGuardedClient(o clientOptions) *http.Client {
	dialer := &net.Dialer{Timeout: o.Timeout, Control: func(network, address string, c syscall.RawConn) error {
		if o.AllowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
			return fmt.Errorf("refusing to connect to private address %s", host)
		}
		return nil
	}}
	tr := &http.Transport{
		DialContext:           func(ctx context.Context, n, a string) (net.Conn, error) { return dialer.DialContext(ctx, n, a) },
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > o.MaxRedirects {
			return errors.New("too many redirects")
		}
		return nil
	}}
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}
