package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/testutil"
)

// startWithMetrics starts a server whose metrics listen on a loopback port
// of their own.
func startWithMetrics(t *testing.T) *TestServer {
	t.Helper()
	ts := StartTest(t, func(c *config.Config) { c.Server.MetricsListen = "127.0.0.1:0" })
	if ts.Srv.MetricsAddr == "" {
		t.Fatal("metrics_listen set, but no metrics address bound")
	}
	return ts
}

// scrape fetches /metrics over HTTP and parses it.
func scrape(t *testing.T, ts *TestServer) map[string]*dto.MetricFamily {
	t.Helper()
	var fams map[string]*dto.MetricFamily
	// The listener is bound in New and served once Serve runs.
	testutil.Eventually(t, 10*time.Second, "the metrics listener answering", func() bool {
		resp, err := testClient.Get("http://" + ts.Srv.MetricsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d", resp.StatusCode)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err = p.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("parse /metrics: %v", err)
		}
		return true
	})
	return fams
}

// value is the value of the series of family name whose labels include
// labels (a counter, a gauge, or a histogram's count); found is false
// when there is no such series. Several matching series add up.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (v float64, found bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, want := range labels {
			if have[k] != want {
				match = false
			}
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Histogram != nil:
			v += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		}
	}
	return v, found
}

func mustValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := value(fams, name, labels)
	if !ok {
		t.Fatalf("no series %s%v in the scrape", name, labels)
	}
	return v
}

// Real traffic moves the metrics that describe it: API requests by route
// template and status, jobs, deliveries between two Heralds and the
// activities they receive, a streaming connection, the database, the Go
// runtime; and every metric the Grafana dashboard queries is in a scrape.
func TestMetricsFollowTraffic(t *testing.T) {
	A, B := startWithMetrics(t), startWithMetrics(t)
	A.CreateUser(t, "ann", "user")
	B.CreateUser(t, "bob", "user")
	annToken := A.Token(t, "ann", "read write follow")
	bobToken := B.Token(t, "bob", "read write follow")

	// API requests: a route with a parameter, a 404 from a handler, a URL
	// that matches no route.
	var st struct{ ID string }
	A.JSON(t, http.MethodPost, "/api/v1/statuses", annToken, map[string]any{"status": "hello", "visibility": "public"}, 200, &st)
	A.JSON(t, http.MethodGet, "/api/v1/statuses/"+st.ID, annToken, nil, 200, nil)
	if code, _, _ := A.Do(t, http.MethodGet, "/api/v1/statuses/987654321", annToken, nil); code != 404 {
		t.Fatalf("unknown status: %d", code)
	}
	if code, _, _ := A.Do(t, http.MethodGet, "/no/such/route/5551234", "", nil); code != 404 {
		t.Fatalf("unknown route: %d", code)
	}
	for range 3 {
		A.JSON(t, http.MethodGet, "/api/v1/accounts/verify_credentials", annToken, nil, 200, nil)
	}

	// A streaming connection, open while A is scraped.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, A.URL+"/api/v1/streaming/user", nil)
	req.Header.Set("Authorization", "Bearer "+annToken)
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("streaming: %d", resp.StatusCode)
	}
	testutil.Eventually(t, 10*time.Second, "one streaming connection", func() bool {
		v, _ := value(scrape(t, A), "herald_streaming_connections", nil)
		return v == 1
	})

	// Federation: bob on B follows ann on A. B delivers the Follow, A
	// applies it and delivers the Accept, B applies that.
	var accts struct{ Accounts []struct{ ID string } }
	B.JSON(t, http.MethodGet, "/api/v2/search?resolve=true&type=accounts&q="+url.QueryEscape("ann@"+A.Domain), bobToken, nil, 200, &accts)
	if len(accts.Accounts) != 1 {
		t.Fatalf("resolve ann: %+v", accts)
	}
	B.JSON(t, http.MethodPost, "/api/v1/accounts/"+accts.Accounts[0].ID+"/follow", bobToken, nil, 200, nil)
	testutil.Eventually(t, 20*time.Second, "the Accept applied on B", func() bool {
		v, _ := value(scrape(t, B), "herald_inbox_activities_total", map[string]string{"type": "Accept", "result": "applied"})
		return v >= 1
	})
	drainCtx, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	for _, s := range []*TestServer{A, B} {
		if err := s.Srv.Jobs.Drained(drainCtx); err != nil {
			t.Fatal(err)
		}
	}

	a, b := scrape(t, A), scrape(t, B)
	for _, c := range []struct {
		fams   map[string]*dto.MetricFamily
		name   string
		labels map[string]string
		min    float64
	}{
		{a, "herald_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/statuses", "code": "200"}, 1},
		{a, "herald_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/statuses/:id", "code": "200"}, 1},
		{a, "herald_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/statuses/:id", "code": "404"}, 1},
		{a, "herald_http_requests_total", map[string]string{"method": "GET", "route": "unmatched", "code": "404"}, 1},
		{a, "herald_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/v1/accounts/verify_credentials"}, 3},
		{a, "herald_inbox_activities_total", map[string]string{"type": "Follow", "result": "applied"}, 1},
		{a, "herald_deliveries_total", map[string]string{"result": "delivered"}, 1}, // the Accept
		{b, "herald_deliveries_total", map[string]string{"result": "delivered"}, 1}, // the Follow
		{b, "herald_delivery_duration_seconds", nil, 1},
		{a, "herald_jobs_total", map[string]string{"kind": "inbox", "outcome": "success"}, 1},
		{b, "herald_jobs_total", map[string]string{"kind": "deliver", "outcome": "success"}, 1},
		{b, "herald_job_duration_seconds", map[string]string{"kind": "deliver"}, 1},
		{a, "herald_db_write_transactions_total", nil, 1},
		{a, "herald_db_write_wait_seconds_total", nil, 0},
		{a, "go_sql_max_open_connections", map[string]string{"db_name": "writer"}, 1},
		{a, "go_sql_max_open_connections", map[string]string{"db_name": "reader"}, 1},
		{a, "go_goroutines", nil, 1},
		{a, "process_resident_memory_bytes", nil, 1},
	} {
		if v := mustValue(t, c.fams, c.name, c.labels); v < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, v, c.min)
		}
	}
	// The queues are read at scrape time, for every kind, drained now.
	if v := mustValue(t, b, "herald_jobs_queued", map[string]string{"kind": "deliver", "state": "due"}); v != 0 {
		t.Errorf("deliveries due after draining: %v", v)
	}
	if _, ok := value(b, "herald_jobs_running", map[string]string{"kind": "inbox"}); !ok {
		t.Error("no herald_jobs_running for inbox")
	}
	// Routes are templates: no URL's ids in any label.
	for _, f := range a {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetValue(), st.ID) || strings.Contains(l.GetValue(), "987654321") || strings.Contains(l.GetValue(), "5551234") {
					t.Errorf("%s has a label from a URL: %s=%q", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}

	// The streaming connection ends: the gauge follows.
	cancel()
	testutil.Eventually(t, 10*time.Second, "no streaming connection", func() bool {
		v, _ := value(scrape(t, A), "herald_streaming_connections", nil)
		return v == 0
	})

	t.Run("dashboard", func(t *testing.T) {
		for _, name := range dashboardMetrics(t) {
			if _, ok := a[name]; !ok {
				t.Errorf("the dashboard queries %s, which is not in a scrape", name)
			}
		}
	})
}

// dashboardMetrics lists the metric families the Grafana dashboard's
// queries name (a histogram's _bucket, _sum and _count are its family).
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../metrics/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	name := regexp.MustCompile(`\b(?:herald|go|process)_[a-z0-9_]+\b`)
	seen := map[string]bool{}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if strings.HasSuffix(n, suffix) && !strings.HasSuffix(n, "_total") {
						n = strings.TrimSuffix(n, suffix)
						break
					}
				}
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("the dashboard queries only %v", out)
	}
	return out
}

// The metrics listener serves /metrics and nothing of the API; the API
// listener does not serve /metrics. On loopback, a Host that a rebinding
// web page would send is refused.
func TestMetricsListenerIsApart(t *testing.T) {
	ts := startWithMetrics(t)
	scrape(t, ts) // serving
	get := func(base, path, host string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	m := "http://" + ts.Srv.MetricsAddr
	for _, p := range []string{"/api/v1/instance", "/", "/.well-known/nodeinfo", "/debug/pprof/"} {
		if code := get(m, p, ""); code != http.StatusNotFound {
			t.Errorf("metrics listener GET %s: %d, want 404", p, code)
		}
	}
	if code := get(ts.URL, "/api/v1/instance", ""); code != 200 {
		t.Fatalf("API GET /api/v1/instance: %d", code)
	}
	if code := get(ts.URL, "/metrics", ""); code != http.StatusNotFound {
		t.Errorf("API listener GET /metrics: %d, want 404", code)
	}
	_, port, _ := net.SplitHostPort(ts.Srv.MetricsAddr)
	if code := get(m, "/metrics", "localhost:"+port); code != 200 {
		t.Errorf("Host localhost: %d, want 200", code)
	}
	if code := get(m, "/metrics", "attacker.example:"+port); code != http.StatusMisdirectedRequest {
		t.Errorf("Host attacker.example: %d, want 421", code)
	}
}

// Without metrics_listen there are no metrics: nothing listens, nothing
// measures.
func TestMetricsOffByDefault(t *testing.T) {
	ts := StartTest(t)
	if ts.Srv.Metrics != nil || ts.Srv.MetricsAddr != "" {
		t.Fatalf("metrics on without metrics_listen: %v %q", ts.Srv.Metrics, ts.Srv.MetricsAddr)
	}
}
