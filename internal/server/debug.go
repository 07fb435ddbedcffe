package server

import (
	"context"
	"expvar"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/herald-social/herald/internal/config"
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
	srv := &http.Server{Handler: literalHostOnly(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	s.Log.Info("debug endpoints listening", "listen", ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()
}

// literalHostOnly answers only requests addressed to "localhost" or an IP
// address. A web page that rebinds its own domain name to 127.0.0.1 makes
// the operator's browser send that name as Host; it gets 421.
func literalHostOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hp, _, err := net.SplitHostPort(host); err == nil {
			host = hp
		}
		if !config.IsLoopbackHost(host) && net.ParseIP(host) == nil {
			http.Error(w, "misdirected request", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}
