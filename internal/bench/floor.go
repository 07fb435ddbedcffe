package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/config"
)

// The floor of a small read: what Go's HTTP server alone costs to answer
// verify_credentials's exact response (the same headers and body) to the
// same clients, measured like the real one. Herald's own work per request
// is the difference; a target below the floor cannot be met by Herald's
// code (the rest is the kernel's and net/http's work per request: reading,
// parsing, writing, scheduling).

// floorResponse is the recorded response the floor server replays.
type floorResponse struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// verifyFloorPhase records one verify_credentials response, starts a
// process that only replays it (ServeFloor, on net/http with Herald's
// server settings) and loads it as verifyPhase loads Herald.
func (r *run) verifyFloorPhase(ctx context.Context) error {
	req, err := r.request(ctx, 0, http.MethodGet, "/api/v1/accounts/verify_credentials", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.tokens[0])
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	rec := floorResponse{Status: resp.StatusCode, Header: resp.Header.Clone(), Body: body}
	rec.Header.Del("Date") // net/http writes these itself
	rec.Header.Del("Content-Length")
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	file := filepath.Join(r.dir, "floor-response.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c, _, err := r.spawn(ctx, "the floor server", []string{"bench", "--floor-serve", addr, "--floor-response", file},
		filepath.Join(r.dir, "floor.log"), "http://"+addr+"/", "")
	if err != nil {
		return err
	}
	defer c.stop()
	srv, extra, base, bases, host := r.srv, r.extra, r.base, r.bases, r.host
	r.srv, r.extra, r.base, r.bases, r.host = c, nil, "http://"+addr, nil, ""
	defer func() { r.srv, r.extra, r.base, r.bases, r.host = srv, extra, base, bases, host }()
	st, err := r.readPhase(ctx, "/api/v1/accounts/verify_credentials")
	r.res.VerifyFloorRPS, r.res.VerifyFloorCPUMS = round(st.rps(), 0), st.cpuPerRequest()
	return err
}

// ServeFloor answers every request on addr with the response recorded in
// file, on net/http with the timeouts Herald's server uses by default,
// until ctx ends. It is the other process of the bench's floor phase.
func ServeFloor(ctx context.Context, addr, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var rec floorResponse
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if rec.Status < 100 || rec.Status > 999 {
		return fmt.Errorf("%s: no status", file)
	}
	def := config.Default().Server
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			for k, v := range rec.Header {
				h[k] = v
			}
			w.WriteHeader(rec.Status)
			_, _ = w.Write(rec.Body)
		}),
		ReadTimeout:       def.ReadTimeout.Duration,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      def.WriteTimeout.Duration,
		IdleTimeout:       def.IdleTimeout.Duration,
		MaxHeaderBytes:    64 << 10,
	}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
