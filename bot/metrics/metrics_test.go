package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
	"suporte/store/pgtemp"
)

var _ bot.Observer = (*Metrics)(nil)

// transport delivers into the void, failing the sends it is told to.
type transport struct {
	mu   sync.Mutex
	n    int
	fail int // the next fail sends fail
}

func (t *transport) Send(context.Context, bot.Outbound) (bot.Sent, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail > 0 {
		t.fail--
		return bot.Sent{}, errors.New("network down")
	}
	t.n++
	return bot.Sent{ID: fmt.Sprint("wa-", t.n)}, nil
}

type env struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	clock *bot.ManualClock
	rt    *bot.Runtime
	tr    *transport
	m     *Metrics
	n     int
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	return newEnvAt(t, cfg, filepath.Join(t.TempDir(), "suporte.db"))
}

// newEnvAt is newEnv on the store at dsn.
func newEnvAt(t *testing.T, cfg Config, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fl, err := flows.Load(filepath.Join("..", "sim", "testdata", "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, db: db, tr: &transport{},
		clock: bot.NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))} // Tue 10:00 in São Paulo
	cfg.Store, cfg.Clock, cfg.Log = db, e.clock, zerolog.Nop()
	e.m = New(cfg)
	e.rt = bot.New(bot.Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: e.tr,
		Clock: e.clock, Log: zerolog.Nop(), Observe: e.m})
	return e
}

// say sends a customer message through the runtime; again repeats the
// previous message's id (a redelivery).
func (e *env) say(chat, text string, again bool) {
	e.t.Helper()
	if !again {
		e.n++
	}
	in := bot.Inbound{Chat: chat, ID: fmt.Sprint("m", e.n), Kind: bot.KindText, Text: text, At: e.clock.Now()}
	if _, err := e.rt.Receive(e.ctx, in); err != nil {
		e.t.Fatal(err)
	}
	if err := e.rt.Drain(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) compare(want string, names ...string) {
	e.t.Helper()
	if err := testutil.GatherAndCompare(e.m.Registry(), strings.NewReader(want), names...); err != nil {
		e.t.Error(err)
	}
}

func TestObserverCounts(t *testing.T) {
	e := newEnv(t, Config{})
	e.say("5547999990001", "oi", false)
	e.say("5547999990001", "oi", true) // WhatsApp delivers it again
	e.tr.fail = 1                      // the menu's first attempt fails, the retry goes
	e.say("5547999990001", "12345678", false)
	e.clock.Advance(2 * time.Second) // past the retry's backoff
	e.say("5547999990001", "atendente", false)
	e.clock.Advance(90 * time.Second)

	e.compare(`
# HELP suporte_inbound_messages_total Customer messages received and persisted (redeliveries not included).
# TYPE suporte_inbound_messages_total counter
suporte_inbound_messages_total 3
# HELP suporte_inbound_duplicates_total Redelivered customer messages, recognized and ignored.
# TYPE suporte_inbound_duplicates_total counter
suporte_inbound_duplicates_total 1
# HELP suporte_handled_messages_total Customer messages whose turn was handled, by result (ok or error).
# TYPE suporte_handled_messages_total counter
suporte_handled_messages_total{result="error"} 0
suporte_handled_messages_total{result="ok"} 3
# HELP suporte_outbound_failures_total Attempts to deliver a message that failed (each is retried with backoff).
# TYPE suporte_outbound_failures_total counter
suporte_outbound_failures_total 1
# HELP suporte_queue_length Customers waiting in the queue for an Encantador.
# TYPE suporte_queue_length gauge
suporte_queue_length 1
# HELP suporte_queue_oldest_wait_seconds How long the first customer in the queue has waited (wall time); 0 with an empty queue.
# TYPE suporte_queue_oldest_wait_seconds gauge
suporte_queue_oldest_wait_seconds 90
# HELP suporte_conversations_active Conversations not resolved yet (open or awaiting the customer's reply).
# TYPE suporte_conversations_active gauge
suporte_conversations_active 1
# HELP suporte_conversations_with_agent Unresolved conversations an Encantador holds.
# TYPE suporte_conversations_with_agent gauge
suporte_conversations_with_agent 0
`, "suporte_inbound_messages_total", "suporte_inbound_duplicates_total", "suporte_handled_messages_total",
		"suporte_outbound_failures_total", "suporte_queue_length", "suporte_queue_oldest_wait_seconds",
		"suporte_conversations_active", "suporte_conversations_with_agent")

	if got := testutil.ToFloat64(e.m.sent); got < 4 {
		t.Errorf("outbound messages: got %v; want at least 4 (ID question, menu, queue notices)", got)
	}
	if got := int(e.tr.n); float64(got) != testutil.ToFloat64(e.m.sent) {
		t.Errorf("outbound messages: got %v; the transport delivered %d", testutil.ToFloat64(e.m.sent), got)
	}
	// Every turn was timed: three observations in the histogram.
	n, err := testutil.GatherAndCount(e.m.Registry(), "suporte_handling_latency_seconds")
	if err != nil || n != 1 {
		t.Errorf("latency histogram series: got %d, %v; want 1", n, err)
	}
	if got := histogramCount(t, e.m); got != 3 {
		t.Errorf("latency observations: got %d; want 3", got)
	}
	batches, jobs := e.db.WriteStats()
	if batches == 0 || jobs < batches {
		t.Fatalf("store write stats: %d batches, %d jobs", batches, jobs)
	}
	e.compare(fmt.Sprintf(`
# HELP suporte_store_write_batches_total Write transactions the store committed (group commit: one batch carries many jobs).
# TYPE suporte_store_write_batches_total counter
suporte_store_write_batches_total %d
`, batches), "suporte_store_write_batches_total")
}

func histogramCount(t *testing.T, m *Metrics) uint64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "suporte_handling_latency_seconds" {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatal("no latency histogram")
	return 0
}

func TestScrapedState(t *testing.T) {
	conn := []struct {
		state string
		ok    bool
	}{{"connecting", false}, {"connected", true}, {"disconnected", false}, {"connected", true}}
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	statuses := []bot.FlowStatus{
		{Version: "aaa", LoadedAt: at, LoadedBy: "startup"},
		{Version: "bbb", LoadedAt: at.Add(time.Hour), LoadedBy: "file change"},
		{Version: "bbb", LoadedAt: at.Add(time.Hour), LoadedBy: "file change",
			Refused: &bot.Refusal{At: at.Add(2 * time.Hour), By: "file change", Problems: []string{"flows.yaml:3:1: bad"}}},
		{Version: "bbb", LoadedAt: at.Add(time.Hour), LoadedBy: "file change",
			Refused: &bot.Refusal{At: at.Add(2 * time.Hour), By: "file change", Problems: []string{"flows.yaml:3:1: bad"}}},
	}
	step := 0
	e := newEnv(t, Config{
		Connection: func() (string, bool) { return conn[step].state, conn[step].ok },
		Flows:      func() bot.FlowStatus { return statuses[step] },
	})
	// The limiter waits twice.
	var slept time.Duration
	sleep := e.m.LimiterSleep(func(_ context.Context, d time.Duration) error { slept += d; return nil })
	lim := bot.NewLimiter(1, 1, e.clock.Now, func(ctx context.Context, d time.Duration) error {
		e.clock.Advance(d)
		return sleep(ctx, d)
	})
	for range 3 {
		if err := lim.Wait(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if slept != 2*time.Second {
		t.Errorf("limiter slept %v; want 2s", slept)
	}
	for step = range conn {
		if _, err := e.m.Registry().Gather(); err != nil { // a scrape
			t.Fatal(err)
		}
	}
	e.compare(`
# HELP suporte_whatsapp_connected 1 while the WhatsApp connection is up and messages flow, else 0.
# TYPE suporte_whatsapp_connected gauge
suporte_whatsapp_connected 1
# HELP suporte_whatsapp_state The WhatsApp connection's state: 1 for the current one, 0 for the others seen since start.
# TYPE suporte_whatsapp_state gauge
suporte_whatsapp_state{state="connected"} 1
suporte_whatsapp_state{state="connecting"} 0
suporte_whatsapp_state{state="disconnected"} 0
# HELP suporte_whatsapp_reconnects_total Times the WhatsApp connection came back after being lost (seen at scrapes or reported by the adapter).
# TYPE suporte_whatsapp_reconnects_total counter
suporte_whatsapp_reconnects_total 1
# HELP suporte_flows_reloads_total New versions of flows.yaml put in force since start (seen at scrapes: two between scrapes count once).
# TYPE suporte_flows_reloads_total counter
suporte_flows_reloads_total 1
# HELP suporte_flows_refusals_total Versions of flows.yaml refused as invalid since start (seen at scrapes).
# TYPE suporte_flows_refusals_total counter
suporte_flows_refusals_total 1
# HELP suporte_flows_refused 1 while the latest flows.yaml on disk is refused (the previous version keeps running), else 0.
# TYPE suporte_flows_refused gauge
suporte_flows_refused 1
# HELP suporte_flows_loaded_timestamp_seconds When the flows in force were loaded, Unix time.
# TYPE suporte_flows_loaded_timestamp_seconds gauge
suporte_flows_loaded_timestamp_seconds 1.7955252e+09
# HELP suporte_send_rate_limited_total Times a send waited for the global rate limit.
# TYPE suporte_send_rate_limited_total counter
suporte_send_rate_limited_total 2
# HELP suporte_send_rate_limit_wait_seconds_total Time sends spent waiting for the global rate limit.
# TYPE suporte_send_rate_limit_wait_seconds_total counter
suporte_send_rate_limit_wait_seconds_total 2
`, "suporte_whatsapp_connected", "suporte_whatsapp_state", "suporte_whatsapp_reconnects_total",
		"suporte_flows_reloads_total", "suporte_flows_refusals_total", "suporte_flows_refused",
		"suporte_flows_loaded_timestamp_seconds", "suporte_send_rate_limited_total", "suporte_send_rate_limit_wait_seconds_total")

	// The adapter may report changes itself; a repeat is no reconnect.
	e.m.ConnectionChanged("disconnected", false)
	e.m.ConnectionChanged("connected", true)
	e.m.ConnectionChanged("connected", true)
	if got := e.m.conn.snapshot().reconnects; got != 2 {
		t.Errorf("reconnects: got %d; want 2", got)
	}
}

func TestLint(t *testing.T) {
	e := newEnv(t, Config{
		Connection: func() (string, bool) { return "connected", true },
		Flows:      func() bot.FlowStatus { return bot.FlowStatus{Version: "a", LoadedBy: "startup"} },
	})
	problems, err := testutil.GatherAndLint(e.m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "suporte_") {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
}

func TestHandlers(t *testing.T) {
	connected := true
	e := newEnv(t, Config{Connection: func() (string, bool) {
		if connected {
			return "connected", true
		}
		return "qr", false
	}})
	e.say("5547999990001", "oi", false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			e.m.Handler().ServeHTTP(w, r)
		case "/readyz":
			e.m.ReadyHandler().ServeHTTP(w, r)
		}
	}))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}

	code, body := get("/metrics")
	for _, want := range []string{
		"# HELP suporte_inbound_messages_total", "suporte_inbound_messages_total 1\n",
		`suporte_handling_latency_seconds_bucket{le="0.001"}`, `suporte_handling_latency_seconds_bucket{le="10"}`,
		"go_goroutines", "suporte_whatsapp_connected 1\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics: missing %q", want)
		}
	}
	if code != 200 || strings.Contains(body, "5547999990001") {
		t.Errorf("/metrics: code %d; a chat id in the exposition: %v", code, strings.Contains(body, "5547999990001"))
	}

	type ready struct {
		Status  string
		Reasons []string
	}
	tests := []struct {
		name      string
		connected bool
		close     bool
		code      int
		reasons   []string
	}{
		{"ready", true, false, 200, nil},
		{"whatsapp not connected", false, false, 503, []string{"whatsapp: qr"}},
		{"store closed", true, true, 503, []string{"store: probe write: " + store.ErrClosed.Error()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connected = tt.connected
			if tt.close {
				e.db.Close()
			}
			code, body := get("/readyz")
			var got ready
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if code != tt.code || strings.Join(got.Reasons, "|") != strings.Join(tt.reasons, "|") {
				t.Errorf("/readyz: got %d %+v; want %d %v", code, got, tt.code, tt.reasons)
			}
			if (code == 200) != (got.Status == "ready") {
				t.Errorf("/readyz status %q with code %d", got.Status, code)
			}
		})
	}
	// A failing read leaves the queue out of the scrape; the rest stays.
	code, body = get("/metrics")
	if code != 200 || strings.Contains(body, "suporte_queue_length") || !strings.Contains(body, "suporte_inbound_messages_total 1") {
		t.Errorf("/metrics with the store closed: code %d\n%s", code, body)
	}
}

// TestMetricNames pins what Prometheus sees of each suporte_ family: its
// name, type, label names and help. Dashboards and alerts depend on them.
func TestMetricNames(t *testing.T) {
	e := newEnv(t, Config{
		Connection: func() (string, bool) { return "connected", true },
		Flows: func() bot.FlowStatus {
			return bot.FlowStatus{Version: "a", LoadedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), LoadedBy: "startup"}
		},
	})
	mfs, err := e.m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "suporte_") {
			continue
		}
		var labels []string
		for _, l := range mf.GetMetric()[0].GetLabel() {
			labels = append(labels, l.GetName())
		}
		got = append(got, fmt.Sprintf("%s %s {%s} %s", mf.GetName(), mf.GetType(), strings.Join(labels, ","), mf.GetHelp()))
	}
	want := []string{
		"suporte_conversations_active GAUGE {} Conversations not resolved yet (open or awaiting the customer's reply).",
		"suporte_conversations_with_agent GAUGE {} Unresolved conversations an Encantador holds.",
		"suporte_flows_loaded_timestamp_seconds GAUGE {} When the flows in force were loaded, Unix time.",
		"suporte_flows_refusals_total COUNTER {} Versions of flows.yaml refused as invalid since start (seen at scrapes).",
		"suporte_flows_refused GAUGE {} 1 while the latest flows.yaml on disk is refused (the previous version keeps running), else 0.",
		"suporte_flows_reloads_total COUNTER {} New versions of flows.yaml put in force since start (seen at scrapes: two between scrapes count once).",
		"suporte_handled_messages_total COUNTER {result} Customer messages whose turn was handled, by result (ok or error).",
		"suporte_handling_latency_seconds HISTOGRAM {} Time from a message being persisted to its turn being committed (messages received before a restart are not timed).",
		"suporte_inbound_duplicates_total COUNTER {} Redelivered customer messages, recognized and ignored.",
		"suporte_inbound_messages_total COUNTER {} Customer messages received and persisted (redeliveries not included).",
		"suporte_outbound_failures_total COUNTER {} Attempts to deliver a message that failed (each is retried with backoff).",
		"suporte_outbound_messages_total COUNTER {} Messages delivered to customers.",
		"suporte_queue_length GAUGE {} Customers waiting in the queue for an Encantador.",
		"suporte_queue_oldest_wait_seconds GAUGE {} How long the first customer in the queue has waited (wall time); 0 with an empty queue.",
		"suporte_send_rate_limit_wait_seconds_total COUNTER {} Time sends spent waiting for the global rate limit.",
		"suporte_send_rate_limited_total COUNTER {} Times a send waited for the global rate limit.",
		"suporte_store_write_batches_total COUNTER {} Write transactions the store committed (group commit: one batch carries many jobs).",
		"suporte_store_write_faults_total COUNTER {} Write batches that met a storage fault (disk full, I/O error, read-only or vanished database file).",
		"suporte_store_write_jobs_total COUNTER {} Write jobs (Update calls) the store ran inside its batches.",
		"suporte_whatsapp_connected GAUGE {} 1 while the WhatsApp connection is up and messages flow, else 0.",
		"suporte_whatsapp_reconnects_total COUNTER {} Times the WhatsApp connection came back after being lost (seen at scrapes or reported by the adapter).",
		"suporte_whatsapp_state GAUGE {state} The WhatsApp connection's state: 1 for the current one, 0 for the others seen since start.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("metric families:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestReadyUnderStorageFaults: /readyz proves a real write. A full disk
// fails customers' messages (and keeps readiness failing for faultWindow
// after the last one), a read-only database fails the probe itself, a
// deleted data folder fails both, and the data folder check is reported.
func TestReadyUnderStorageFaults(t *testing.T) {
	ready := func(t *testing.T, m *Metrics, want bool, reason string) {
		t.Helper()
		ok, reasons := m.Ready(context.Background())
		if ok != want || !strings.Contains(strings.Join(reasons, "|"), reason) {
			t.Errorf("Ready: got %v %q; want %v with %q", ok, reasons, want, reason)
		}
	}
	t.Run("disk full", func(t *testing.T) {
		e := newEnv(t, Config{})
		ready(t, e.m, true, "")
		if err := e.db.Drill(e.ctx, store.DiskFull); err != nil {
			t.Fatal(err)
		}
		var err error
		for i := 0; err == nil && i < 10000; i++ {
			_, err = e.rt.Receive(e.ctx, bot.Inbound{Chat: fmt.Sprint("55479999", i), ID: "m", Text: strings.Repeat("x", 1000)})
		}
		if !store.IsFault(err) {
			t.Fatalf("customers' messages on a full disk: got %v; want a storage fault", err)
		}
		ready(t, e.m, false, "store: writes failing: ")
		if err := e.db.Drill(e.ctx, store.NoFault); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(faultWindow - time.Second)
		ready(t, e.m, false, "database or disk is full")
		e.clock.Advance(time.Second)
		ready(t, e.m, true, "")
	})
	t.Run("read-only", func(t *testing.T) {
		e := newEnv(t, Config{})
		if err := e.db.Drill(e.ctx, store.ReadOnly); err != nil {
			t.Fatal(err)
		}
		ready(t, e.m, false, "store: probe write: begin batch: attempt to write a readonly database")
	})
	t.Run("data folder removed", func(t *testing.T) {
		e := newEnv(t, Config{Data: func() error { return errors.New("data folder removed") }})
		if err := os.RemoveAll(filepath.Dir(e.db.Path())); err != nil {
			t.Fatal(err)
		}
		ready(t, e.m, false, "store: probe write: "+store.ErrGone.Error())
		ready(t, e.m, false, "data: data folder removed")
	})
}

func TestMediaCounts(t *testing.T) {
	m := newEnv(t, Config{}).m
	m.MediaIn("image", true)
	m.MediaIn("image", true)
	m.MediaIn("audio", false)
	m.MediaOut("document")
	for _, c := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.mediaIn.WithLabelValues("image", "stored")), 2, "images stored"},
		{testutil.ToFloat64(m.mediaIn.WithLabelValues("audio", "failed")), 1, "audio failed"},
		{testutil.ToFloat64(m.mediaOut.WithLabelValues("document")), 1, "documents sent"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v; want %v", c.what, c.got, c.want)
		}
	}
}

// TestLeaseAndEvents: on a shared store the scrape tells the lease's state
// and the replication of console events, and /readyz says owner or
// standby: an owner needs WhatsApp connected, a standby does not.
func TestLeaseAndEvents(t *testing.T) {
	lease := bot.LeaseState{Line: "554735121777", Role: "owner", Me: "a", Holder: "a", Token: 3, Takeovers: 2, RenewErrs: 1}
	e := newEnv(t, Config{
		Connection: func() (string, bool) { return "connecting", false },
		Lease:      func() bot.LeaseState { return lease },
	})
	e.m.SetEvents(func() bot.EventStats { return bot.EventStats{Written: 5, Heard: 9, Dropped: 1, Reconnects: 2} })
	e.compare(`
# HELP suporte_lease_owner 1 while this process holds the WhatsApp line's lease (drives WhatsApp and the sender), 0 while it stands by.
# TYPE suporte_lease_owner gauge
suporte_lease_owner{line="554735121777"} 1
# HELP suporte_lease_takeovers_total Times this process took the WhatsApp line's lease (its first start included).
# TYPE suporte_lease_takeovers_total counter
suporte_lease_takeovers_total{line="554735121777"} 2
# HELP suporte_lease_renew_failures_total Lease renewals that failed (the store did not answer in time); past two thirds of the lease's length without one, the process stops driving the line.
# TYPE suporte_lease_renew_failures_total counter
suporte_lease_renew_failures_total{line="554735121777"} 1
# HELP suporte_events_written_total Console events this process wrote to the shared store for every replica.
# TYPE suporte_events_written_total counter
suporte_events_written_total 5
# HELP suporte_events_heard_total Console events this process heard from the shared store (every process's, its own included) and passed to its consoles.
# TYPE suporte_events_heard_total counter
suporte_events_heard_total 9
# HELP suporte_events_dropped_total Console events not passed on because the store could not take them in time (consoles re-fetch).
# TYPE suporte_events_dropped_total counter
suporte_events_dropped_total 1
# HELP suporte_events_listener_reconnects_total Times the connection that hears other processes' events broke and was opened again (each catches up from the events table).
# TYPE suporte_events_listener_reconnects_total counter
suporte_events_listener_reconnects_total 2
`, "suporte_lease_owner", "suporte_lease_takeovers_total", "suporte_lease_renew_failures_total",
		"suporte_events_written_total", "suporte_events_heard_total", "suporte_events_dropped_total", "suporte_events_listener_reconnects_total")

	readyz := func() (int, readiness) {
		t.Helper()
		w := httptest.NewRecorder()
		e.m.ReadyHandler().ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		var r readiness
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatalf("decode %s: %v", w.Body, err)
		}
		return w.Code, r
	}
	if code, r := readyz(); code != 503 || r.Role != "owner" || r.Lease == nil || r.Lease.Token != 3 || strings.Join(r.Reasons, "|") != "whatsapp: connecting" {
		t.Errorf("/readyz of an owner without WhatsApp: %d %+v; want 503, owner, whatsapp: connecting", code, r)
	}
	lease.Role, lease.Token, lease.Holder = "standby", 0, "b"
	if code, r := readyz(); code != 200 || r.Role != "standby" || r.Lease == nil || r.Lease.Holder != "b" || len(r.Reasons) > 0 {
		t.Errorf("/readyz of a standby: %d %+v; want 200, standby, held by b", code, r)
	}
	e.compare(`
# HELP suporte_lease_owner 1 while this process holds the WhatsApp line's lease (drives WhatsApp and the sender), 0 while it stands by.
# TYPE suporte_lease_owner gauge
suporte_lease_owner{line="554735121777"} 0
`, "suporte_lease_owner")
}

// TestStoreRoundTrips: on PostgreSQL the scrape counts the store's round
// trips to the server; on SQLite there are none, and no series.
func TestStoreRoundTrips(t *testing.T) {
	lite := newEnv(t, Config{})
	lite.say("c1", "oi", false)
	if n, err := testutil.GatherAndCount(lite.m.Registry(), "suporte_store_round_trips_total"); err != nil || n != 0 {
		t.Errorf("round trips series on SQLite: %d, %v; want none", n, err)
	}
	e := newEnvAt(t, Config{}, pgtemp.Database(t))
	e.say("c1", "oi", false)
	trips := e.db.RoundTrips()
	if trips == 0 {
		t.Fatal("no round trip counted for a customer's message")
	}
	e.compare(fmt.Sprintf(`
# HELP suporte_store_round_trips_total Round trips the store's writers made to PostgreSQL: with the rows written, what a message's cost there follows.
# TYPE suporte_store_round_trips_total counter
suporte_store_round_trips_total %d
`, trips), "suporte_store_round_trips_total")
}
