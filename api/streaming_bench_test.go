package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// BenchmarkStreamingFanout holds 1,000 streaming connections (override with
// HERALD_STREAM_CONNS) and measures:
//   - B/conn: Go heap + stacks added per connection, server and client
//     socket objects together (the clients are raw sockets without
//     goroutines or buffers of their own while idle);
//   - goroutines/conn;
//   - the delay from POST /api/v1/statuses to the update on every
//     connection: p50 and max over all connections and posts.
//
// home: 1,000 followers each on their own user stream (per-account
// fan-out from the home feeds); public: 1,000 connections on
// public:local.
func BenchmarkStreamingFanout(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("HERALD_STREAM_CONNS")); err == nil && v > 0 {
		n = v
	}
	for _, transport := range []string{"sse", "ws"} {
		for _, kind := range []string{"home", "public"} {
			b.Run(fmt.Sprintf("%s/%s/%d", transport, kind, n), func(b *testing.B) { benchFanout(b, transport, kind, n) })
		}
	}
}

// rawClient is a streaming connection with nothing but its socket.
type rawClient struct {
	conn net.Conn
	got  atomic.Int64 // unix nanos of the last matching receipt
}

func dialRaw(b *testing.B, addr, request string) *rawClient {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Write([]byte(request)); err != nil {
		b.Fatal(err)
	}
	// Read the response head (and, for SSE, the opening comment).
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReaderSize(conn, 512)
	status, err := br.ReadString('\n')
	if err != nil || !(strings.Contains(status, " 200 ") || strings.Contains(status, " 101 ")) {
		b.Fatalf("handshake: %q %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	if strings.Contains(status, " 200 ") {
		// SSE: the first comment, possibly in chunked framing.
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(line, ":)") {
				break
			}
		}
	}
	conn.SetReadDeadline(time.Time{})
	return &rawClient{conn: conn}
}

func benchFanout(b *testing.B, transport, kind string, n int) {
	ctx := context.Background()
	ts := server.StartTest(b)
	poster := ts.CreateUser(b, "poster", "user")
	tPoster := ts.Token(b, "poster", "read write")
	store, svc := ts.Srv.Store, ts.Srv.Svc
	hash := "$2a$04$abcdefghijklmnopqrstuuYkdm1m4Jc8yDgV6cJgHxJ3m2rj6sQ8u"
	tokens := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("f%05d", i)
		now := time.Now().UTC()
		a := &model.Account{Username: name, Discoverable: true, ActorType: "Person", URI: svc.LocalActorURI(name),
			URL: svc.LocalProfileURL(name), CreatedAt: now, UpdatedAt: now}
		u := &model.User{Email: name + "@example.org", PasswordHash: hash, Role: "user", Approved: true, Locale: "en",
			DefaultVisibility: "public", CreatedAt: now, ConfirmedAt: &now}
		if err := store.CreateLocalAccount(ctx, a, u); err != nil {
			b.Fatal(err)
		}
		plain, _, err := svc.IssueToken(ctx, 0, u.ID, []string{"read"})
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = plain
		if kind == "home" {
			if err := store.Follow(ctx, &model.Follow{ID: id.New(), AccountID: a.ID, TargetID: poster.ID, ShowReblogs: true,
				URI: svc.Base() + "/follows/" + name}, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	stream := "user"
	if kind == "public" {
		stream = "public:local"
	}
	request := func(tok string) string {
		if transport == "sse" {
			path := "/api/v1/streaming/user"
			if kind == "public" {
				path = "/api/v1/streaming/public/local"
			}
			return "GET " + path + " HTTP/1.1\r\nHost: " + ts.Domain + "\r\nAuthorization: Bearer " + tok + "\r\n\r\n"
		}
		key := make([]byte, 16)
		rand.Read(key)
		return "GET /api/v1/streaming?stream=" + stream + " HTTP/1.1\r\nHost: " + ts.Domain +
			"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
			base64.StdEncoding.EncodeToString(key) + "\r\nAuthorization: Bearer " + tok + "\r\n\r\n"
	}
	hub := ts.Srv.API.StreamHub()

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	clients := make([]*rawClient, n)
	for i := range n {
		clients[i] = dialRaw(b, ts.Domain, request(tokens[i]))
	}
	testutil.Eventually(b, time.Minute, fmt.Sprintf("%d connections in the hub", n), func() bool { return hub.Len() >= n })
	// Not an assertion: the goroutines that served the upgrades are still
	// returning when the last connection joins the hub; let them finish
	// before the memory is measured.
	time.Sleep(200 * time.Millisecond)
	for range 5 { // stacks shrink a step per collection, as in a running server
		runtime.GC()
	}
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()
	if p := os.Getenv("HERALD_STREAM_HEAPPROFILE"); p != "" {
		f, _ := os.Create(p + "-" + transport + "-" + kind)
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	// Signed differences: the runtime may return memory between the two
	// readings, and an unsigned subtraction would wrap to ~1.8e19.
	perConn := (float64(m1.HeapInuse+m1.StackInuse) - float64(m0.HeapInuse+m0.StackInuse)) / float64(n)
	goroutines := float64(g1-g0) / float64(n)
	stackPerConn := (float64(m1.StackInuse) - float64(m0.StackInuse)) / float64(n)

	// Readers: each looks for the current target id in what arrives.
	var target atomic.Pointer[[]byte]
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			var tail []byte
			for {
				k, err := c.conn.Read(buf)
				if err != nil {
					return
				}
				hay := append(tail, buf[:k]...)
				if t := target.Load(); t != nil && bytes.Contains(hay, *t) {
					c.got.Store(time.Now().UnixNano())
				}
				if len(hay) > 64 {
					tail = append(tail[:0], hay[len(hay)-64:]...)
				} else {
					tail = append(tail[:0], hay...)
				}
			}
		}()
	}
	defer func() {
		for _, c := range clients {
			c.conn.Close()
		}
		wg.Wait()
	}()

	var delays []time.Duration
	b.ResetTimer()
	for i := range b.N {
		for _, c := range clients {
			c.got.Store(0)
		}
		// The id is not known before the post: match the text instead.
		marker := fmt.Sprintf("fanout-%d-%d", i, time.Now().UnixNano())
		mb := []byte(marker)
		target.Store(&mb)
		start := time.Now()
		status, _, body := ts.Do(b, http.MethodPost, "/api/v1/statuses", tPoster, map[string]any{"status": marker, "visibility": "public"})
		if status != 200 {
			b.Fatalf("post: %d %s", status, body)
		}
		testutil.Eventually(b, 10*time.Second, fmt.Sprintf("post %d at all %d connections", i, n), func() bool {
			for _, c := range clients {
				if c.got.Load() == 0 {
					return false
				}
			}
			return true
		})
		for _, c := range clients {
			delays = append(delays, time.Duration(c.got.Load()-start.UnixNano()))
		}
	}
	b.StopTimer()
	slices.Sort(delays)
	b.ReportMetric(perConn, "B/conn")
	b.ReportMetric(goroutines, "goroutines/conn")
	b.ReportMetric(stackPerConn, "stackB/conn")
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(delays[len(delays)*99/100].Microseconds())/1000, "ms-p99")
	b.ReportMetric(float64(delays[len(delays)-1].Microseconds())/1000, "ms-max")
}
