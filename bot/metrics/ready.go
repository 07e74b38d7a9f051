package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"suporte/store"
)

// readiness is /readyz's answer.
type readiness struct {
	Status  string   `json:"status"` // ready or not_ready
	Reasons []string `json:"reasons,omitempty"`
}

// Ready reports whether the service can take traffic: the store accepts
// a write (a transaction through the writer that changes nothing) within
// ReadyTimeout and, when Config.Connection is set, WhatsApp is connected.
// The reasons say what is wrong.
func (m *Metrics) Ready(ctx context.Context) (bool, []string) {
	var reasons []string
	ctx, cancel := context.WithTimeout(ctx, m.cfg.ReadyTimeout)
	defer cancel()
	if err := m.probeStore(ctx); err != nil {
		reasons = append(reasons, "store: "+err.Error())
	}
	if m.cfg.Connection != nil {
		state, ok := m.cfg.Connection()
		m.conn.observe(state, ok)
		if !ok {
			reasons = append(reasons, "whatsapp: "+state)
		}
	}
	return len(reasons) == 0, reasons
}

// probeStore runs an empty write transaction. A queued Update waits for
// the writer whatever its context says, so the wait for the answer is cut
// here: a stuck writer makes the probe fail, not hang.
func (m *Metrics) probeStore(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- m.cfg.Store.Update(ctx, func(*store.Tx) error { return nil }) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no write within %v: %w", m.cfg.ReadyTimeout, ctx.Err())
	}
}

// ReadyHandler serves /readyz: 200 {"status":"ready"} or 503
// {"status":"not_ready","reasons":[...]}. /healthz stays the liveness
// check.
func (m *Metrics) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, reasons := m.Ready(r.Context())
		out, code := readiness{Status: "ready"}, http.StatusOK
		if !ok {
			out, code = readiness{Status: "not_ready", Reasons: reasons}, http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(out) // a client that went away needs no answer
	})
}
