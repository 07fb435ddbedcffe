package server

import (
	"context"
	"expvar"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// serveDebug runs the diagnosis endpoints on [server] debug_listen (off by
// default): Go's profiles under /debug/pprof/ and the runtime counters
// (memstats: heap, GC) under /debug/vars. It is a listener of its own,
// apart from the public router, so that nothing of it is reachable from
// the instance's address. It stops when ctx ends.
func (s *Server) serveDebug(ctx context.Context) {
	addr := s.Cfg.Server.DebugListen
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Log.Error("debug listener", "listen", addr, "err", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	s.Log.Info("debug endpoints listening", "listen", ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()
}
