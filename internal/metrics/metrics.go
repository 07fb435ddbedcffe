// Package metrics owns Herald's Prometheus metrics: their names, labels and
// buckets, kept on a registry of each server's own (not the process-wide
// default, so that several servers in one test process do not collide),
// and the /metrics handler that serves them on [server] metrics_listen.
//
// The parts report through a *Metrics whose methods do nothing on nil, so
// a part built without metrics (a test, metrics_listen off) needs no
// check. Numbers that already exist somewhere (queue depths, connection
// counts, the database pools) are read when Prometheus scrapes, not kept
// up to date on every change. The dashboard for these metrics is
// grafana-dashboard.json beside this file.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's metrics.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec   // method, route, code
	httpDuration *prometheus.HistogramVec // method, route

	jobs        *prometheus.CounterVec   // kind, outcome
	jobDuration *prometheus.HistogramVec // kind

	deliveries       *prometheus.CounterVec // result
	deliveryByResult map[string]prometheus.Counter
	deliveryDuration prometheus.Histogram

	inbox *prometheus.CounterVec // type, result
}

// The results a delivery attempt ends with (herald_deliveries_total).
const (
	DeliveryDelivered = "delivered" // the remote inbox accepted it
	DeliveryRetry     = "retry"     // failed; tried again later
	DeliveryFailed    = "failed"    // failed for good (attempts spent)
	DeliveryRefused   = "refused"   // the inbox answered a 4xx: not retried
	DeliveryGone      = "gone"      // the inbox answered 410: marked gone
	DeliveryDropped   = "dropped"   // not sent: domain blocked or unavailable, no key, bad job
	DeliveryPostponed = "postponed" // not sent: domain policy unavailable here; waits
)

var deliveryResults = []string{DeliveryDelivered, DeliveryRetry, DeliveryFailed, DeliveryRefused,
	DeliveryGone, DeliveryDropped, DeliveryPostponed}

// The results of applying an incoming activity (herald_inbox_activities_total).
const (
	InboxApplied  = "applied"  // applied (or understood and ignored)
	InboxRejected = "rejected" // not applied, not worth a retry (bad, foreign, refused)
	InboxRetry    = "retry"    // failed; tried again later
	InboxFailed   = "failed"   // failed for good (attempts spent)
)

// New makes the metrics of one server, with the Go runtime's and the
// process's own.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_http_requests_total",
		Help: "HTTP requests answered, by method, route template (\"unmatched\" for no route) and status code.",
	}, []string{"method", "route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "herald_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method and route template (streaming connections left out).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method", "route"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_jobs_total",
		Help: "Background job runs, by kind and outcome (success, retry, snooze, failure: dropped or attempts spent).",
	}, []string{"kind", "outcome"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "herald_job_duration_seconds",
		Help:    "Time one background job ran, by kind.",
		Buckets: []float64{.001, .005, .025, .1, .25, 1, 2.5, 10, 30, 120},
	}, []string{"kind"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_deliveries_total",
		Help: "Delivery attempts of activities to remote inboxes, by result.",
	}, []string{"result"})
	m.deliveryByResult = map[string]prometheus.Counter{}
	for _, r := range deliveryResults {
		m.deliveryByResult[r] = m.deliveries.WithLabelValues(r)
	}
	m.deliveryDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "herald_delivery_duration_seconds",
		Help:    "Time of one signed POST to a remote inbox, answered or not.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.inbox = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_inbox_activities_total",
		Help: "Incoming activities processed, by type (\"other\" for types Herald does not handle) and result.",
	}, []string{"type", "result"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.jobs, m.jobDuration, m.deliveries, m.deliveryDuration, m.inbox,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the metrics are registered (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus's text format (or OpenMetrics
// when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: 4, // a scrape reads the database: no pile-up
		Timeout:             20 * time.Second,
	})
}

// JobDone records one job run of kind: its outcome and how long it ran.
func (m *Metrics) JobDone(kind, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobDuration.WithLabelValues(kind).Observe(took.Seconds())
}

// Delivery records one delivery attempt's result (one of the Delivery
// constants); took is the POST's time, 0 when nothing was sent.
func (m *Metrics) Delivery(result string, took time.Duration) {
	if m == nil {
		return
	}
	c, ok := m.deliveryByResult[result]
	if !ok {
		c = m.deliveries.WithLabelValues(result)
	}
	c.Inc()
	if took > 0 {
		m.deliveryDuration.Observe(took.Seconds())
	}
}

// InboxActivity records one incoming activity processed: its type (a
// fixed set chosen by the caller, never the sender's free text) and
// result (one of the Inbox constants).
func (m *Metrics) InboxActivity(typ, result string) {
	if m == nil {
		return
	}
	m.inbox.WithLabelValues(typ, result).Inc()
}

// JobQueue is one job kind's numbers at scrape time.
type JobQueue struct {
	Kind      string
	Due       int64 // due now, waiting or running (in any process)
	Scheduled int64 // due later: retries waiting out their backoff, future work
	Running   int   // running in this process
}

// WatchJobs reads the job queues at each scrape.
func (m *Metrics) WatchJobs(queues func(ctx context.Context) ([]JobQueue, error)) {
	m.reg.MustRegister(&jobQueueCollector{queues: queues})
}

var (
	jobsQueuedDesc = prometheus.NewDesc("herald_jobs_queued",
		"Background jobs in the queue, by kind and state (due: due now, waiting or running; scheduled: due later).",
		[]string{"kind", "state"}, nil)
	jobsRunningDesc = prometheus.NewDesc("herald_jobs_running",
		"Background jobs this process runs now, by kind.", []string{"kind"}, nil)
)

type jobQueueCollector struct {
	queues func(ctx context.Context) ([]JobQueue, error)
}

func (c *jobQueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsQueuedDesc
	ch <- jobsRunningDesc
}

func (c *jobQueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	qs, err := c.queues(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsQueuedDesc, err)
		return
	}
	for _, q := range qs {
		ch <- prometheus.MustNewConstMetric(jobsQueuedDesc, prometheus.GaugeValue, float64(q.Due), q.Kind, "due")
		ch <- prometheus.MustNewConstMetric(jobsQueuedDesc, prometheus.GaugeValue, float64(q.Scheduled), q.Kind, "scheduled")
		ch <- prometheus.MustNewConstMetric(jobsRunningDesc, prometheus.GaugeValue, float64(q.Running), q.Kind)
	}
}

// WatchStreaming reads the streaming hub at each scrape: the open
// connections, the messages written and the connections dropped for
// falling behind.
func (m *Metrics) WatchStreaming(conns func() int, sent, dropped func() int64) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "herald_streaming_connections",
			Help: "Open streaming connections (websocket and server-sent events).",
		}, func() float64 { return float64(conns()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "herald_streaming_messages_total",
			Help: "Messages written to streaming connections.",
		}, func() float64 { return float64(sent()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "herald_streaming_dropped_total",
			Help: "Streaming connections closed because they fell behind.",
		}, func() float64 { return float64(dropped()) }),
	)
}

// WatchDB reads a database pool's statistics at each scrape (go_sql_*
// with db_name: open and idle connections, waits for a connection).
func (m *Metrics) WatchDB(name string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// WriteStats are the store's counts of write transactions.
type WriteStats struct {
	Transactions int64         // write transactions begun (or tried)
	Wait         time.Duration // their total time waiting to begin: for the writer and SQLite's write lock
	Busy         int64         // writes given up with "database is locked" (busy timeout spent)
}

// WatchWrites reads the store's write counts at each scrape.
func (m *Metrics) WatchWrites(stats func() WriteStats) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "herald_db_write_transactions_total",
			Help: "Write transactions begun on the database's one writer connection.",
		}, func() float64 { return float64(stats().Transactions) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "herald_db_write_wait_seconds_total",
			Help: "Time write transactions waited to begin: for the writer connection and SQLite's write lock (busy waits).",
		}, func() float64 { return stats().Wait.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "herald_db_busy_errors_total",
			Help: "Writes that failed with \"database is locked\": the busy timeout ran out.",
		}, func() float64 { return float64(stats().Busy) }),
	)
}
