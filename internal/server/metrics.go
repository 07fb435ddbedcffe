package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/metrics"
)

// Prometheus metrics on [server] metrics_listen (off by default): a
// listener of its own, like debug_listen's, so that nothing of it is
// reachable from the instance's address and /metrics is no route of the
// public router.

// newMetrics makes the server's metrics when metrics_listen is set (nil:
// off, and nothing measures anything).
func newMetrics(cfg config.Config) *metrics.Metrics {
	if cfg.Server.MetricsListen == "" {
		return nil
	}
	return metrics.New()
}

// jobObserver is the job runtime's hook into m (nil when m is).
func jobObserver(m *metrics.Metrics) func(kind, outcome string, took time.Duration) {
	if m == nil {
		return nil
	}
	return m.JobDone
}

// mountMetrics connects the parts counted at scrape time (job queues,
// streaming connections, database pools) and binds metrics_listen, so
// that a wrong address fails the start and tests know the port
// (MetricsAddr). Called once every part is built.
func (s *Server) mountMetrics() error {
	m := s.Metrics
	if m == nil {
		return nil
	}
	s.Fed.Metrics = m
	m.WatchJobs(func(ctx context.Context) ([]metrics.JobQueue, error) {
		qs, err := s.Jobs.Queues(ctx)
		out := make([]metrics.JobQueue, len(qs))
		for i, q := range qs {
			out[i] = metrics.JobQueue{Kind: q.Kind, Due: q.Due, Scheduled: q.Scheduled, Running: q.Running}
		}
		return out, err
	})
	hub := s.API.StreamHub()
	m.WatchStreaming(hub.Len, hub.Sent.Load, hub.Dropped.Load)
	writer, reader := s.Store.Pools()
	m.WatchDB("writer", writer)
	m.WatchDB("reader", reader)
	m.WatchWrites(func() metrics.WriteStats {
		txs, wait, busy := s.Store.WriteStats()
		return metrics.WriteStats{Transactions: txs, Wait: wait, Busy: busy}
	})
	ln, err := net.Listen("tcp", s.Cfg.Server.MetricsListen)
	if err != nil {
		return fmt.Errorf("listen on %s (server.metrics_listen): %w", s.Cfg.Server.MetricsListen, err)
	}
	s.metricsLn = ln
	s.MetricsAddr = ln.Addr().String()
	return nil
}

// serveMetrics serves /metrics on the bound listener until ctx ends.
func (s *Server) serveMetrics(ctx context.Context) {
	if s.metricsLn == nil {
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics.Handler())
	var h http.Handler = mux
	if !s.Cfg.Server.MetricsListenRemote {
		h = literalHostOnly(mux) // loopback: against DNS rebinding from a browser
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	s.Log.Info("metrics listening", "listen", s.MetricsAddr)
	go func() { _ = srv.Serve(s.metricsLn) }()
}
