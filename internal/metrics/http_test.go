package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newRouter(m *Metrics) *echo.Echo {
	e := echo.New()
	e.Use(m.Middleware(e))
	e.GET("/api/v1/statuses/:id", func(c echo.Context) error {
		if c.Param("id") == "0" {
			return echo.NewHTTPError(http.StatusNotFound, "Record not found")
		}
		if c.Param("id") == "panic" {
			return errors.New("boom")
		}
		return c.String(http.StatusOK, "ok")
	})
	e.GET("/api/v1/streaming/user", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e
}

func serve(e *echo.Echo, method, target string) int {
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code
}

// Requests are counted by route template and the status sent, an error
// returned by a handler included; URLs that match no route, or a method
// the route lacks, share the "unmatched" route; streaming connections are
// counted but not timed.
func TestMiddlewareLabels(t *testing.T) {
	m := New()
	e := newRouter(m)
	serve(e, http.MethodGet, "/api/v1/statuses/1")
	serve(e, http.MethodGet, "/api/v1/statuses/2")
	if code := serve(e, http.MethodGet, "/api/v1/statuses/0"); code != 404 {
		t.Fatalf("handler error: %d", code)
	}
	if code := serve(e, http.MethodGet, "/api/v1/statuses/panic"); code != 500 {
		t.Fatalf("handler error: %d", code)
	}
	for _, u := range []string{"/a", "/b/c", "/api/v2/statuses/1"} {
		serve(e, http.MethodGet, u)
	}
	serve(e, http.MethodDelete, "/api/v1/statuses/1")
	serve(e, "BREW", "/api/v1/statuses/1")
	serve(e, http.MethodGet, "/api/v1/streaming/user")

	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"GET", "/api/v1/statuses/:id", "200"}, 2},
		{[]string{"GET", "/api/v1/statuses/:id", "404"}, 1},
		{[]string{"GET", "/api/v1/statuses/:id", "500"}, 1},
		{[]string{"GET", Unmatched, "404"}, 3},
		{[]string{"DELETE", Unmatched, "405"}, 1},
		{[]string{"OTHER", Unmatched, "405"}, 1},
		{[]string{"GET", "/api/v1/streaming/user", "200"}, 1},
	} {
		if got := testutil.ToFloat64(m.httpRequests.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("requests %v = %v, want %v", c.labels, got, c.want)
		}
	}
	// Series: 7 counters above, and the durations of three routes (the
	// statuses route, GET, DELETE and OTHER unmatched), not streaming.
	if n := testutil.CollectAndCount(m.httpRequests); n != 7 {
		t.Errorf("%d request series, want 7", n)
	}
	if n := testutil.CollectAndCount(m.httpDuration); n != 4 {
		t.Errorf("%d duration series, want 4", n)
	}
}

// A nil *Metrics takes every report and does nothing.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.JobDone("deliver", "success", 1)
	m.Delivery(DeliveryDelivered, 1)
	m.InboxActivity("Create", InboxApplied)
}

// The middleware's own cost per request: go test -bench Middleware
// -benchmem ./internal/metrics (the "bare" case is the router alone).
func BenchmarkMiddleware(b *testing.B) {
	for _, bc := range []struct {
		name string
		e    *echo.Echo
	}{
		{"bare", func() *echo.Echo {
			e := echo.New()
			e.GET("/api/v1/statuses/:id", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
			return e
		}()},
		{"metrics", func() *echo.Echo {
			m := New()
			e := echo.New()
			e.Use(m.Middleware(e))
			e.GET("/api/v1/statuses/:id", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
			return e
		}()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/statuses/12345", nil)
			w := discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				bc.e.ServeHTTP(w, req)
			}
		})
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}
