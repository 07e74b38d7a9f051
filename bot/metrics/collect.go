package metrics

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"suporte/bot"
	"suporte/store"
)

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 5 * time.Second

// stateCollector reads the figures that are state, not events, at scrape.
type stateCollector struct {
	m *Metrics

	queueLength, oldestWait, active, withAgent *prometheus.Desc
	batches, jobs, faults, roundTrips          *prometheus.Desc
	connected, connState, reconnects           *prometheus.Desc
	reloads, refusals, refused, loadedAt       *prometheus.Desc
	leaseOwner, takeovers, renewFailures       *prometheus.Desc
	evWritten, evHeard, evDropped, evReconnect *prometheus.Desc
}

func newStateCollector(m *Metrics) *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &stateCollector{
		m:             m,
		queueLength:   d("suporte_queue_length", "Customers waiting in the queue for an Encantador."),
		oldestWait:    d("suporte_queue_oldest_wait_seconds", "How long the first customer in the queue has waited (wall time); 0 with an empty queue."),
		active:        d("suporte_conversations_active", "Conversations not resolved yet (open or awaiting the customer's reply)."),
		withAgent:     d("suporte_conversations_with_agent", "Unresolved conversations an Encantador holds."),
		batches:       d("suporte_store_write_batches_total", "Write transactions the store committed (group commit: one batch carries many jobs)."),
		jobs:          d("suporte_store_write_jobs_total", "Write jobs (Update calls) the store ran inside its batches."),
		faults:        d("suporte_store_write_faults_total", "Write batches that met a storage fault (disk full, I/O error, read-only or vanished database file)."),
		roundTrips:    d("suporte_store_round_trips_total", "Round trips the store's writers made to PostgreSQL: with the rows written, what a message's cost there follows."),
		connected:     d("suporte_whatsapp_connected", "1 while the WhatsApp connection is up and messages flow, else 0."),
		connState:     d("suporte_whatsapp_state", "The WhatsApp connection's state: 1 for the current one, 0 for the others seen since start.", "state"),
		reconnects:    d("suporte_whatsapp_reconnects_total", "Times the WhatsApp connection came back after being lost (seen at scrapes or reported by the adapter)."),
		reloads:       d("suporte_flows_reloads_total", "New versions of flows.yaml put in force since start (seen at scrapes: two between scrapes count once)."),
		refusals:      d("suporte_flows_refusals_total", "Versions of flows.yaml refused as invalid since start (seen at scrapes)."),
		refused:       d("suporte_flows_refused", "1 while the latest flows.yaml on disk is refused (the previous version keeps running), else 0."),
		loadedAt:      d("suporte_flows_loaded_timestamp_seconds", "When the flows in force were loaded, Unix time."),
		leaseOwner:    d("suporte_lease_owner", "1 while this process holds the WhatsApp line's lease (drives WhatsApp and the sender), 0 while it stands by.", "line"),
		takeovers:     d("suporte_lease_takeovers_total", "Times this process took the WhatsApp line's lease (its first start included).", "line"),
		evWritten:     d("suporte_events_written_total", "Console events this process wrote to the shared store for every replica."),
		evHeard:       d("suporte_events_heard_total", "Console events this process heard from the shared store (every process's, its own included) and passed to its consoles."),
		evDropped:     d("suporte_events_dropped_total", "Console events not passed on because the store could not take them in time (consoles re-fetch)."),
		evReconnect:   d("suporte_events_listener_reconnects_total", "Times the connection that hears other processes' events broke and was opened again (each catches up from the events table)."),
		renewFailures: d("suporte_lease_renew_failures_total", "Lease renewals that failed (the store did not answer in time); past two thirds of the lease's length without one, the process stops driving the line.", "line"),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueLength, c.oldestWait, c.active, c.withAgent, c.batches, c.jobs, c.faults} {
		ch <- d
	}
	cfg := c.m.cfg
	if cfg.Store.Postgres() {
		ch <- c.roundTrips
	}
	if cfg.Connection != nil {
		ch <- c.connected
		ch <- c.connState
		ch <- c.reconnects
	}
	if cfg.Lease != nil { // a shared store: events pass between processes
		ch <- c.evWritten
		ch <- c.evHeard
		ch <- c.evDropped
		ch <- c.evReconnect
	}
	if cfg.Lease != nil {
		ch <- c.leaseOwner
		ch <- c.takeovers
		ch <- c.renewFailures
	}
	if cfg.Flows != nil {
		ch <- c.reloads
		ch <- c.refusals
		ch <- c.refused
		ch <- c.loadedAt
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	cfg := m.cfg
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}

	if q, err := m.queue(); err != nil {
		for _, d := range []*prometheus.Desc{c.queueLength, c.oldestWait, c.active, c.withAgent} {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
	} else {
		gauge(c.queueLength, float64(q.length))
		gauge(c.oldestWait, q.oldest.Seconds())
		gauge(c.active, float64(q.active))
		gauge(c.withAgent, float64(q.withAgent))
	}
	batches, jobs := cfg.Store.WriteStats()
	counter(c.batches, float64(batches))
	counter(c.jobs, float64(jobs))
	faults, _ := cfg.Store.WriteFaults()
	counter(c.faults, float64(faults))
	if cfg.Store.Postgres() {
		counter(c.roundTrips, float64(cfg.Store.RoundTrips()))
	}

	if cfg.Connection != nil {
		m.conn.observe(cfg.Connection())
		cs := m.conn.snapshot()
		v := 0.0
		if cs.connected {
			v = 1
		}
		gauge(c.connected, v)
		for _, s := range cs.seen {
			v := 0.0
			if s == cs.state {
				v = 1
			}
			gauge(c.connState, v, s)
		}
		counter(c.reconnects, float64(cs.reconnects))
	}
	if cfg.Lease != nil {
		var st bot.EventStats
		if ev := m.events(); ev != nil {
			st = ev()
		}
		counter(c.evWritten, float64(st.Written))
		counter(c.evHeard, float64(st.Heard))
		counter(c.evDropped, float64(st.Dropped))
		counter(c.evReconnect, float64(st.Reconnects))
	}
	if cfg.Lease != nil {
		st := cfg.Lease()
		v := 0.0
		if st.Role == "owner" {
			v = 1
		}
		gauge(c.leaseOwner, v, st.Line)
		ch <- prometheus.MustNewConstMetric(c.takeovers, prometheus.CounterValue, float64(st.Takeovers), st.Line)
		ch <- prometheus.MustNewConstMetric(c.renewFailures, prometheus.CounterValue, float64(st.RenewErrs), st.Line)
	}
	if cfg.Flows != nil {
		st := cfg.Flows()
		fs := m.flows.observe(st)
		counter(c.reloads, float64(fs.reloads))
		counter(c.refusals, float64(fs.refusals))
		v := 0.0
		if st.Refused != nil {
			v = 1
		}
		gauge(c.refused, v)
		if !st.LoadedAt.IsZero() {
			gauge(c.loadedAt, float64(st.LoadedAt.UnixMilli())/1000)
		}
	}
}

// queueFigures is the queue and the conversations, read at one instant.
type queueFigures struct {
	length            int
	oldest            time.Duration
	active, withAgent int
}

// queue reads the queue and the unresolved conversations in one View.
// Unresolved tickets are the conversations in progress: a handful to a
// few hundred rows, read through the status index.
func (m *Metrics) queue() (queueFigures, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	now := m.cfg.Clock.Now()
	var q queueFigures
	err := m.cfg.Store.View(ctx, func(tx *store.Tx) error {
		queued, err := tx.QueuedTickets(ctx)
		if err != nil {
			return err
		}
		q.length = len(queued)
		if len(queued) > 0 {
			q.oldest = max(0, now.Sub(queued[0].QueuedAt))
		}
		for _, st := range []string{store.StatusAberto, store.StatusAguardando} {
			ts, err := tx.TicketsByStatus(ctx, st, 0)
			if err != nil {
				return err
			}
			q.active += len(ts)
			for _, t := range ts {
				if t.Agent != "" {
					q.withAgent++
				}
			}
		}
		return nil
	})
	if err != nil {
		return queueFigures{}, fmt.Errorf("read queue: %w", err)
	}
	return q, nil
}

// connTracker follows the WhatsApp connection from the states it is shown.
type connTracker struct {
	mu         sync.Mutex
	state      string
	connected  bool
	ever       bool // has been connected once: the next connection is a reconnect
	seen       []string
	reconnects int64
}

type connSnapshot struct {
	state      string
	connected  bool
	seen       []string
	reconnects int64
}

func (t *connTracker) observe(state string, connected bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if connected && !t.connected && t.ever {
		t.reconnects++
	}
	t.ever = t.ever || connected
	t.state, t.connected = state, connected
	if state != "" && !slices.Contains(t.seen, state) {
		t.seen = append(t.seen, state)
		slices.Sort(t.seen)
	}
}

func (t *connTracker) snapshot() connSnapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return connSnapshot{state: t.state, connected: t.connected, seen: slices.Clone(t.seen), reconnects: t.reconnects}
}

// flowTracker counts reloads and refusals from the statuses it is shown.
type flowTracker struct {
	mu       sync.Mutex
	started  bool
	version  string
	refusal  time.Time // the last refusal counted
	reloads  int64
	refusals int64
}

type flowCounts struct{ reloads, refusals int64 }

func (t *flowTracker) observe(st bot.FlowStatus) flowCounts {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !t.started:
		// The first look: a version loaded by anything but the start
		// is a reload that happened before it.
		t.started = true
		if st.LoadedBy != "" && st.LoadedBy != "startup" {
			t.reloads++
		}
	case st.Version != t.version:
		t.reloads++
	}
	t.version = st.Version
	if r := st.Refused; r != nil && !r.At.Equal(t.refusal) {
		t.refusals++
		t.refusal = r.At
	}
	return flowCounts{reloads: t.reloads, refusals: t.refusals}
}
