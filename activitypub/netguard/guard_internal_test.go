package netguard

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"testing"
)

// noDial fails the test if the guard ever tries to connect: forbidden
// addresses must be refused before dialing, never by a failed connect.
func noDial(t *testing.T) dialFunc {
	return func(_ context.Context, network, address string) (net.Conn, error) {
		t.Errorf("dialed %s %s", network, address)
		return nil, errors.New("test: dialing is not allowed")
	}
}

func TestForbiddenNeverDialed(t *testing.T) {
	tests := []struct {
		name         string
		url          string
		answer       []string // LookupIP answer for the URL's host
		allowPrivate bool
	}{
		{name: "RFC 1918 answer", url: "http://peer.test/", answer: []string{"10.0.0.1"}},
		{name: "metadata answer", url: "http://peer.test/", answer: []string{"169.254.169.254"}},
		{name: "IPv6 loopback answer", url: "https://peer.test/", answer: []string{"::1"}},
		{name: "mapped metadata answer", url: "http://peer.test/", answer: []string{"::ffff:169.254.169.254"}},
		{name: "mixed public and private answer", url: "http://peer.test/", answer: []string{"93.184.216.34", "127.0.0.1"}},
		{name: "metadata with AllowPrivate", url: "http://peer.test/", answer: []string{"169.254.169.254"}, allowPrivate: true},
		{name: "IPv4 literal", url: "http://10.0.0.1/inbox"},
		{name: "metadata literal", url: "http://169.254.169.254/latest/meta-data/"},
		{name: "mapped literal", url: "http://[::ffff:a9fe:a9fe]/"},
		{name: "NAT64 literal", url: "http://[64:ff9b::a9fe:a9fe]/"},
		{name: "unspecified literal", url: "http://0.0.0.0:8080/"},
		{name: "unspecified literal with AllowPrivate", url: "http://0.0.0.0:8080/", allowPrivate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
				if tt.answer == nil {
					t.Errorf("IP literal %q was looked up", host)
				}
				var out []netip.Addr
				for _, s := range tt.answer {
					out = append(out, netip.MustParseAddr(s))
				}
				return out, nil
			}
			c := newClient(Options{LookupIP: lookup, AllowPrivate: tt.allowPrivate}, noDial(t))
			resp, err := c.Get(tt.url)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("err = %v, want ErrForbiddenAddress", err)
			}
		})
	}
}

// The dialer's Control hook re-checks the socket address, so even a dial
// that did not come through dialContext cannot reach a forbidden address.
func TestDialerControlRechecks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()

	g := &guard{opts: Options{Timeout: DefaultTimeout}}
	conn, err := g.dialer().DialContext(context.Background(), "tcp", ln.Addr().String())
	if err == nil {
		conn.Close()
	}
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("err = %v, want ErrForbiddenAddress", err)
	}
	select {
	case <-accepted:
		t.Fatal("the connection was made")
	default:
	}

	g.opts.AllowPrivate = true
	conn, err = g.dialer().DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("AllowPrivate: %v", err)
	}
	conn.Close()
}

// When a name has several addresses, a failed connect moves on to the next
// one. The first address is never really dialed: the hook fails it.
func TestDialFallsBackToNextAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				c.Write([]byte("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	var tried []string
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		tried = append(tried, address)
		if address != "127.0.0.1:"+port {
			return nil, errors.New("test: unreachable")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	lookup := func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("127.0.0.1")}, nil
	}
	c := newClient(Options{AllowPrivate: true, LookupIP: lookup}, dial)
	resp, err := c.Get("http://peer.test:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(tried) != 2 || tried[0] != "10.9.9.9:"+port {
		t.Fatalf("dial order %v", tried)
	}
}
