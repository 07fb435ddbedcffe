package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// Tests of the abuse limits: rate limits of the client API (per account,
// per IP, sign-ups, the token endpoint), body limits, and the HTTP
// server's timeouts against slow clients. The inbox's per-domain limit is
// tested in activitypub (limits_test.go).

// checkRateLimited asserts a 429 with Mastodon's rate-limit headers.
func checkRateLimited(t *testing.T, what string, status int, h http.Header, limit int) {
	t.Helper()
	if status != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d, want 429", what, status)
	}
	if h.Get("X-RateLimit-Limit") != strconv.Itoa(limit) || h.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("%s: X-RateLimit-Limit %q Remaining %q, want %d and 0", what, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), limit)
	}
	ra, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 5*60 {
		t.Errorf("%s: Retry-After %q, want 1..300 seconds", what, h.Get("Retry-After"))
	}
	reset, err := time.Parse(time.RFC3339, h.Get("X-RateLimit-Reset"))
	if err != nil || reset.Before(time.Now().Add(-time.Second)) {
		t.Errorf("%s: X-RateLimit-Reset %q is not a future time", what, h.Get("X-RateLimit-Reset"))
	}
}

// doFrom sends a request as if from the client at ip (through a trusted
// proxy on loopback that sets X-Forwarded-For).
func doFrom(t *testing.T, ts *server.TestServer, method, path, token, ip string, body url.Values) (int, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func TestAPIRateLimitPerAccount(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Limits.APIPer5Minutes = 3 })
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	tok1 := ts.Token(t, "alice", "read")
	tok2 := ts.Token(t, "alice", "read") // same account, another token
	for i, tok := range []string{tok1, tok2, tok1} {
		status, h := doFrom(t, ts, "GET", "/api/v1/accounts/verify_credentials", tok, "203.0.113.8", nil)
		if status != 200 {
			t.Fatalf("call %d: %d", i+1, status)
		}
		if h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) || h.Get("X-RateLimit-Reset") == "" {
			t.Fatalf("call %d: headers %v", i+1, h)
		}
	}
	// The fourth call of the account is refused, whichever token, and
	// whichever address it comes from.
	status, h := doFrom(t, ts, "GET", "/api/v1/accounts/verify_credentials", tok2, "203.0.113.9", nil)
	checkRateLimited(t, "4th call of the account", status, h, 3)
	// Another account has its own budget.
	if status, _ := doFrom(t, ts, "GET", "/api/v1/accounts/verify_credentials", ts.Token(t, "bob", "read"), "203.0.113.8", nil); status != 200 {
		t.Fatalf("another account: %d", status)
	}
}

// Clients on this machine are never throttled (Mastodon's safelist), with
// or without a token; a client behind the trusted proxy on loopback is
// counted by its forwarded address.
func TestLoopbackClientsAreNotThrottled(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Limits.APIPer5Minutes = 2
		c.Limits.APIPerIPPer5Minutes = 2
		c.Limits.SignInPerMinute = 1
	})
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read")
	for i := range 5 {
		if status, h := doFrom(t, ts, "GET", "/api/v1/accounts/verify_credentials", tok, "", nil); status != 200 || h.Get("X-RateLimit-Remaining") != "2" {
			t.Fatalf("local call %d with a token: %d, remaining %q", i+1, status, h.Get("X-RateLimit-Remaining"))
		}
		if status, _ := doFrom(t, ts, "GET", "/api/v1/instance", "", "", nil); status != 200 {
			t.Fatalf("local anonymous call %d: %d", i+1, status)
		}
		if status, _ := doFrom(t, ts, "GET", "/api/v1/instance", "", "::1", nil); status != 200 {
			t.Fatalf("local call %d forwarded from ::1: %d", i+1, status)
		}
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {"nope"}, "client_secret": {"nope"}, "username": {"x"}, "password": {"y"}}
	for i := range 5 {
		if status, _ := doFrom(t, ts, "POST", "/oauth/token", "", "", form); status == http.StatusTooManyRequests {
			t.Fatalf("local token request %d throttled", i+1)
		}
	}
	for range 2 {
		doFrom(t, ts, "GET", "/api/v1/accounts/verify_credentials", tok, "198.51.100.20", nil)
	}
	status, h := doFrom(t, ts, "GET", "/api/v1/accounts/verify_credentials", tok, "198.51.100.20", nil)
	checkRateLimited(t, "3rd call of the account from a forwarded address", status, h, 2)
}

func TestAPIRateLimitPerIP(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Limits.APIPerIPPer5Minutes = 2 })
	for i := range 2 {
		if status, _ := doFrom(t, ts, "GET", "/api/v1/instance", "", "198.51.100.7", nil); status != 200 {
			t.Fatalf("call %d: %d", i+1, status)
		}
	}
	status, h := doFrom(t, ts, "GET", "/api/v1/timelines/public", "", "198.51.100.7", nil)
	checkRateLimited(t, "3rd anonymous call from one IP", status, h, 2)
	// Bad tokens count against the IP too.
	status, h = doFrom(t, ts, "GET", "/api/v1/accounts/verify_credentials", "not-a-token", "198.51.100.7", nil)
	checkRateLimited(t, "a bad token from the same IP", status, h, 2)
	// Another client address has its own budget.
	if status, _ := doFrom(t, ts, "GET", "/api/v1/instance", "", "198.51.100.8", nil); status != 200 {
		t.Fatalf("another IP: %d", status)
	}
}

func TestSignUpRateLimitPerIP(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Limits.SignUpPer5Minutes = 2
		c.Registration.Mode = "open"
	})
	appTok := appToken(t, ts)
	for i := range 2 {
		form := url.Values{"username": {"new" + strconv.Itoa(i)}, "email": {"new" + strconv.Itoa(i) + "@example.org"},
			"password": {"a long enough password"}, "agreement": {"true"}, "locale": {"en"}}
		status, _ := doFrom(t, ts, "POST", "/api/v1/accounts", appTok, "192.0.2.50", form)
		if status == http.StatusTooManyRequests || status >= 500 {
			t.Fatalf("sign-up %d: %d", i+1, status)
		}
	}
	form := url.Values{"username": {"new9"}, "email": {"new9@example.org"}, "password": {"a long enough password"}, "agreement": {"true"}, "locale": {"en"}}
	status, h := doFrom(t, ts, "POST", "/api/v1/accounts", appTok, "192.0.2.50", form)
	checkRateLimited(t, "3rd sign-up from one IP", status, h, 2)
	// Other API calls with the same app token are not held up by the
	// sign-up budget.
	if status, _ := doFrom(t, ts, "GET", "/api/v1/apps/verify_credentials", appTok, "192.0.2.50", nil); status != 200 {
		t.Fatalf("other call after the sign-up limit: %d", status)
	}
	// Another IP may still sign up.
	form.Set("username", "new10")
	form.Set("email", "new10@example.org")
	if status, _ := doFrom(t, ts, "POST", "/api/v1/accounts", appTok, "192.0.2.51", form); status == http.StatusTooManyRequests {
		t.Fatal("sign-up from another IP refused")
	}
}

func TestTokenEndpointRateLimit(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Limits.SignInPerMinute = 1 }) // token endpoint: 3 a minute
	form := url.Values{"grant_type": {"password"}, "client_id": {"nope"}, "client_secret": {"nope"}, "username": {"x"}, "password": {"y"}}
	var status int
	var h http.Header
	for range 4 {
		status, h = doFrom(t, ts, "POST", "/oauth/token", "", "192.0.2.77", form)
	}
	checkRateLimited(t, "4th token request from one IP", status, h, 3)
}

func TestBodyLimits(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Limits.MaxBodyBytes = 4 << 10
		c.Limits.MaxInboxBytes = 8 << 10
	})
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	big := strings.Repeat("x", 16<<10)
	send := func(path, ctype, token string, body string, chunked bool) int {
		t.Helper()
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(strings.NewReader(body)) // unknown length: sent chunked
		}
		req, _ := http.NewRequest("POST", ts.URL+path, rd)
		req.Header.Set("Content-Type", ctype)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name, path, ctype, token, body string
		chunked                        bool
	}{
		{"API JSON", "/api/v1/statuses", "application/json", tok, `{"status":"` + big + `"}`, false},
		{"API JSON chunked", "/api/v1/statuses", "application/json", tok, `{"status":"` + big + `"}`, true},
		{"API form chunked", "/api/v1/statuses", "application/x-www-form-urlencoded", tok, "status=" + big, true},
		{"OAuth token", "/oauth/token", "application/x-www-form-urlencoded", "", "grant_type=password&username=" + big, false},
		{"shared inbox", "/inbox", "application/activity+json", "", `{"type":"Create","content":"` + big + `"}`, false},
		{"shared inbox chunked", "/inbox", "application/activity+json", "", `{"type":"Create","content":"` + big + `"}`, true},
		{"personal inbox", "/users/alice/inbox", "application/activity+json", "", `{"content":"` + big + `"}`, false},
		{"web sign-in form", "/auth/sign_in", "application/x-www-form-urlencoded", "", "username=" + big, false},
		{"web authorize form", "/oauth/authorize", "application/x-www-form-urlencoded", "", "client_id=" + big, false},
	}
	for _, c := range cases {
		if got := send(c.path, c.ctype, c.token, c.body, c.chunked); got != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: oversized body answered %d, want 413", c.name, got)
		}
	}
	// Under the limits, the same routes take the request.
	if got := send("/api/v1/statuses", "application/json", tok, `{"status":"small"}`, false); got != 200 {
		t.Errorf("small status: %d", got)
	}
	// The inbox has its own, larger limit: 6 KiB passes the size check
	// (and then fails the signature check).
	if got := send("/inbox", "application/activity+json", "", `{"content":"`+strings.Repeat("x", 6<<10)+`"}`, false); got == http.StatusRequestEntityTooLarge {
		t.Errorf("6 KiB inbox body refused as too large under an 8 KiB limit")
	}
}

// TestSlowClientsCutOff: a client that sends its headers a byte at a time
// (slowloris) is disconnected by ReadHeaderTimeout, one that sends its
// body slowly by ReadTimeout, and an idle keep-alive connection by
// IdleTimeout; a normal request still works meanwhile.
func TestSlowClientsCutOff(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Server.ReadTimeout = config.Duration{Duration: 1 * time.Second}
		c.Server.WriteTimeout = config.Duration{Duration: 5 * time.Second}
		c.Server.IdleTimeout = config.Duration{Duration: 1 * time.Second}
	})
	addr := strings.TrimPrefix(ts.URL, "http://")

	// cutOff reports how long the server took to close conn while send
	// trickles bytes into it (or 0 when it was not closed within 8 s).
	cutOff := func(conn net.Conn, send func(w io.Writer) error) time.Duration {
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = send(conn)
		}()
		conn.SetReadDeadline(time.Now().Add(8 * time.Second))
		_, _ = io.Copy(io.Discard, conn) // until the server closes
		elapsed := time.Since(start)
		conn.Close()
		<-done
		if elapsed >= 8*time.Second {
			return 0
		}
		return elapsed
	}
	trickle := func(s string, every time.Duration) func(io.Writer) error {
		return func(w io.Writer) error {
			for i := 0; i < len(s); i++ {
				if _, err := w.Write([]byte{s[i]}); err != nil {
					return err
				}
				time.Sleep(every) // the scenario: a client that trickles
			}
			return nil
		}
	}

	// Slowloris: headers byte by byte, never finished.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	headers := "GET /api/v1/instance HTTP/1.1\r\nHost: " + ts.Domain + "\r\nX-Padding: " + strings.Repeat("a", 200)
	if d := cutOff(conn, trickle(headers, 50*time.Millisecond)); d == 0 || d > 3*time.Second {
		t.Errorf("slowloris headers: connection closed after %v, want about 1 s (ReadHeaderTimeout)", d)
	}

	// A slow body: headers at once, body byte by byte.
	conn, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("a", 400)
	req := "POST /api/v1/apps HTTP/1.1\r\nHost: " + ts.Domain + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	d := cutOff(conn, func(w io.Writer) error {
		if _, err := io.WriteString(w, req); err != nil {
			return err
		}
		return trickle(body, 50*time.Millisecond)(w)
	})
	if d == 0 || d > 4*time.Second {
		t.Errorf("slow body: connection closed after %v, want about 1 s (ReadTimeout)", d)
	}

	// An idle keep-alive connection is closed after IdleTimeout.
	conn, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: "+ts.Domain+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(8 * time.Second))
	_, err = br.ReadByte()
	if idle := time.Since(start); err == nil || idle >= 8*time.Second {
		t.Errorf("idle keep-alive connection not closed (after %v: %v)", idle, err)
	}
	conn.Close()

	// The server still serves normal clients.
	if status, _, _ := ts.Do(t, "GET", "/api/v1/instance", "", nil); status != 200 {
		t.Fatalf("normal request after slow clients: %d", status)
	}
}
