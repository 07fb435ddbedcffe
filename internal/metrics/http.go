package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// The HTTP middleware counts every request by method, route template and
// status, and times it by method and route. The route is echo's template
// (c.Path(), "/api/v1/statuses/:id"), never the URL, so the series are
// bounded by the routes registered; a request that matched none, or a
// method the route does not have, is "unmatched". Its cost per request is
// a map lookup and two atomic updates: the series of each route are made
// on its first request and kept on the route, not looked up by label.

// Unmatched is the route label of requests that matched no route.
const Unmatched = "unmatched"

// commonCodes are the statuses whose counters a route keeps at hand; a
// rarer one is looked up by label.
var commonCodes = [...]int{200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404,
	405, 406, 409, 410, 413, 415, 421, 422, 429, 500, 502, 503}

// codeSlot maps a status to its index in commonCodes (or -1); codeText is
// each status as a label, made once.
var (
	codeSlot [600]int8
	codeText [600]string
)

func init() {
	for i := range codeSlot {
		codeSlot[i] = -1
		codeText[i] = strconv.Itoa(i)
	}
	for i, c := range commonCodes {
		codeSlot[c] = int8(i)
	}
}

type routeKey struct{ method, path string }

// routeSeries holds one route's series, made on first use.
type routeSeries struct {
	method, route string
	timed         bool // false for streaming connections (their time is the connection's life)
	duration      atomic.Pointer[observer]
	codes         [len(commonCodes)]atomic.Pointer[counter]
}

type observer struct{ prometheus.Observer }
type counter struct{ prometheus.Counter }

// httpRoutes is the table of routes, built from echo's on the first
// request (every route is registered by then).
type httpRoutes struct {
	once      sync.Once
	e         *echo.Echo
	routes    map[routeKey]*routeSeries
	unmatched map[string]*routeSeries // by method
}

// knownMethods are the method labels; any other is "OTHER".
var knownMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions}

func (t *httpRoutes) build() {
	t.routes = map[routeKey]*routeSeries{}
	for _, r := range t.e.Routes() {
		if r.Method == echo.RouteNotFound || r.Path == "" {
			continue
		}
		t.routes[routeKey{r.Method, r.Path}] = &routeSeries{method: r.Method, route: r.Path, timed: !isStreaming(r.Path)}
	}
	t.unmatched = map[string]*routeSeries{}
	for _, m := range append(knownMethods, "OTHER") {
		t.unmatched[m] = &routeSeries{method: m, route: Unmatched, timed: true}
	}
}

// isStreaming tells the routes of long-lived streaming connections.
func isStreaming(path string) bool {
	return strings.HasPrefix(path, "/api/v1/streaming") && path != "/api/v1/streaming/health"
}

func (t *httpRoutes) lookup(method, path string) *routeSeries {
	t.once.Do(t.build)
	if s := t.routes[routeKey{method, path}]; s != nil {
		return s
	}
	if s := t.unmatched[method]; s != nil {
		return s
	}
	return t.unmatched["OTHER"]
}

// Middleware measures the requests of e. Use it as e's outermost
// middleware (e.Use, not e.Pre: the route is known only after routing);
// it renders a handler's error itself, to see the status sent.
func (m *Metrics) Middleware(e *echo.Echo) echo.MiddlewareFunc {
	t := &httpRoutes{e: e}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			s := t.lookup(c.Request().Method, c.Path())
			m.observe(s, c.Response().Status, time.Since(start))
			return nil
		}
	}
}

func (m *Metrics) observe(s *routeSeries, status int, took time.Duration) {
	if status < 100 || status >= len(codeSlot) {
		status = 0 // a handler that wrote no valid status: "0"
	}
	if i := codeSlot[status]; i >= 0 {
		c := s.codes[i].Load()
		if c == nil {
			c = &counter{m.httpRequests.WithLabelValues(s.method, s.route, codeText[status])}
			s.codes[i].Store(c) // a race makes the same child twice: harmless
		}
		c.Inc()
	} else {
		m.httpRequests.WithLabelValues(s.method, s.route, codeText[status]).Inc()
	}
	if !s.timed {
		return
	}
	o := s.duration.Load()
	if o == nil {
		o = &observer{m.httpDuration.WithLabelValues(s.method, s.route)}
		s.duration.Store(o)
	}
	o.Observe(took.Seconds())
}
