package metrics

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/store"
)

// Config wires Metrics. Only Store is required.
type Config struct {
	Store *store.DB
	Clock bot.Clock // the queue's waits are measured against it; nil means the system clock
	Log   zerolog.Logger

	// Connection, if set, reports the WhatsApp connection: its state's
	// name (whatsapp.Status().State) and whether messages flow. /readyz
	// then also needs it connected.
	Connection func() (state string, connected bool)
	// Flows, if set, reports the live flows (bot.FlowSource.Status).
	Flows func() bot.FlowStatus
	// Data, if set, checks that the data folder is still the one the
	// process opened and locked; /readyz fails while it returns an error.
	Data func() error
	// Lease, if set, reports this process's lease on the line (a
	// PostgreSQL store shared by several processes). /readyz then says
	// whether it is the owner or a standby, and a standby, which serves
	// the console but not WhatsApp, is ready without a connection.
	Lease func() bot.LeaseState
	// ReadyTimeout bounds /readyz's store probe; 0 means 2 s.
	ReadyTimeout time.Duration
}

// Metrics counts what the runtime does and serves it to Prometheus. It is
// the runtime's bot.Observer.
type Metrics struct {
	cfg Config

	evMu    sync.Mutex
	evStats func() bot.EventStats // nil until SetEvents
	log     zerolog.Logger
	reg     *prometheus.Registry

	received     prometheus.Counter
	duplicates   prometheus.Counter
	handled      *prometheus.CounterVec
	latency      prometheus.Histogram
	sent         prometheus.Counter
	sendFailures prometheus.Counter
	limited      prometheus.Counter
	limitedWait  prometheus.Counter
	mediaIn      *prometheus.CounterVec
	mediaOut     *prometheus.CounterVec

	conn   connTracker
	flows  flowTracker
	faults faultWatch
}

// latencyBuckets go from 1 ms to 10 s: a turn takes a few ms; seconds
// mean the store is struggling.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns the metrics, registered in a registry of their own with
// the Go runtime's and the process's.
func New(cfg Config) *Metrics {
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Metrics{
		cfg: cfg,
		log: cfg.Log.With().Str("component", "metrics").Logger(),
		reg: prometheus.NewRegistry(),

		received:     counter("suporte_inbound_messages_total", "Customer messages received and persisted (redeliveries not included)."),
		duplicates:   counter("suporte_inbound_duplicates_total", "Redelivered customer messages, recognized and ignored."),
		sent:         counter("suporte_outbound_messages_total", "Messages delivered to customers."),
		sendFailures: counter("suporte_outbound_failures_total", "Attempts to deliver a message that failed (each is retried with backoff)."),
		limited:      counter("suporte_send_rate_limited_total", "Times a send waited for the global rate limit."),
		limitedWait:  counter("suporte_send_rate_limit_wait_seconds_total", "Time sends spent waiting for the global rate limit."),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suporte_handled_messages_total",
			Help: "Customer messages whose turn was handled, by result (ok or error).",
		}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "suporte_handling_latency_seconds",
			Help:    "Time from a message being persisted to its turn being committed (messages received before a restart are not timed).",
			Buckets: latencyBuckets,
		}),
	}
	m.faults.seen, _ = cfg.Store.WriteFaults() // readiness looks at faults from now on
	m.mediaIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "suporte_media_received_total",
		Help: "Customers' files by kind and result: stored, or failed (over a cap, or the download given up: the ticket says why).",
	}, []string{"kind", "result"})
	m.mediaOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "suporte_media_sent_total",
		Help: "Files delivered to customers (agents' and trails'), by kind.",
	}, []string{"kind"})
	m.handled.WithLabelValues("ok")
	m.handled.WithLabelValues("error")
	m.reg.MustRegister(
		m.received, m.duplicates, m.handled, m.latency, m.sent, m.sendFailures, m.limited, m.limitedWait, m.mediaIn, m.mediaOut,
		newStateCollector(m),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Received counts an inbound message; dup is a redelivery.
func (m *Metrics) Received(_ string, dup bool) {
	if dup {
		m.duplicates.Inc()
		return
	}
	m.received.Inc()
}

// Handled counts a handled message and times it; a zero latency is unknown.
func (m *Metrics) Handled(_ string, latency time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.handled.WithLabelValues(result).Inc()
	if latency > 0 {
		m.latency.Observe(latency.Seconds())
	}
}

// Sent counts a delivery or a failed attempt.
func (m *Metrics) Sent(_ string, err error) {
	if err != nil {
		m.sendFailures.Inc()
		return
	}
	m.sent.Inc()
}

// MediaIn counts a customer's file that landed (ok) or was given up.
func (m *Metrics) MediaIn(kind string, ok bool) {
	result := "stored"
	if !ok {
		result = "failed"
	}
	m.mediaIn.WithLabelValues(kind, result).Inc()
}

// MediaOut counts a file delivered to a customer.
func (m *Metrics) MediaOut(kind string) { m.mediaOut.WithLabelValues(kind).Inc() }

// LimiterSleep wraps the send limiter's pause (bot.NewLimiter's sleep) to
// count its delays: the limiter only sleeps when a send must wait.
func (m *Metrics) LimiterSleep(sleep func(context.Context, time.Duration) error) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		m.limited.Inc()
		m.limitedWait.Add(d.Seconds())
		return sleep(ctx, d)
	}
}

// ConnectionChanged tells the metrics the WhatsApp connection's state now,
// for an adapter that reports changes as they happen. Without it the
// state is read from Config.Connection at each scrape.
func (m *Metrics) ConnectionChanged(state string, connected bool) {
	m.conn.observe(state, connected)
}

// Registry is where the metrics live, for tests and for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text format. A figure that
// cannot be read (a store error) is left out and logged; the rest is
// served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      errorLog{m.log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // promhttp_metric_handler_errors_total
	})
}

// errorLog hands promhttp's errors to zerolog.
type errorLog struct{ log zerolog.Logger }

func (l errorLog) Println(v ...any) {
	ev := l.log.Warn()
	for _, x := range v {
		if err, ok := x.(error); ok {
			ev = ev.Err(err)
		}
	}
	ev.Msg("metrics scrape")
}

// SetEvents tells the metrics how to read the replication of console
// events between processes (bot.Runtime.EventStats), which exists once
// the runtime does: set it before the first scrape.
func (m *Metrics) SetEvents(stats func() bot.EventStats) {
	m.evMu.Lock()
	defer m.evMu.Unlock()
	m.evStats = stats
}

func (m *Metrics) events() func() bot.EventStats {
	m.evMu.Lock()
	defer m.evMu.Unlock()
	return m.evStats
}
