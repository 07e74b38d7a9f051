package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"suporte/bot"
)

// readiness is /readyz's answer.
type readiness struct {
	Status  string          `json:"status"` // ready or not_ready
	Role    string          `json:"role"`   // owner (drives the WhatsApp line) or standby
	Lease   *bot.LeaseState `json:"lease,omitempty"`
	Reasons []string        `json:"reasons,omitempty"`
}

// faultWindow is how long a storage fault seen by any write keeps the
// service not ready: a full disk fails customers' messages while a probe
// that needs no new page may still pass.
const faultWindow = 30 * time.Second

// faultWatch remembers when readiness last saw the store's fault count move.
type faultWatch struct {
	mu   sync.Mutex
	seen int64
	at   time.Time
}

// Ready reports whether the service can take traffic: the store commits a
// real write within ReadyTimeout and no write met a storage fault in the
// last faultWindow; the data folder is the one opened (Config.Data); and,
// when Config.Connection is set, WhatsApp is connected. The reasons say
// what is wrong.
func (m *Metrics) Ready(ctx context.Context) (bool, []string) {
	var reasons []string
	ctx, cancel := context.WithTimeout(ctx, m.cfg.ReadyTimeout)
	defer cancel()
	if err := m.cfg.Store.Probe(ctx); err != nil {
		reasons = append(reasons, "store: "+err.Error())
	} else if err := m.recentFault(); err != nil {
		reasons = append(reasons, "store: "+err.Error())
	}
	if m.cfg.Data != nil {
		if err := m.cfg.Data(); err != nil {
			reasons = append(reasons, "data: "+err.Error())
		}
	}
	standby := m.cfg.Lease != nil && m.cfg.Lease().Role != "owner"
	if m.cfg.Connection != nil && !standby {
		state, ok := m.cfg.Connection()
		m.conn.observe(state, ok)
		if !ok {
			reasons = append(reasons, "whatsapp: "+state)
		}
	}
	return len(reasons) == 0, reasons
}

// recentFault returns the store's last storage fault if its count moved
// within faultWindow of now.
func (m *Metrics) recentFault() error {
	n, last := m.cfg.Store.WriteFaults()
	now := m.cfg.Clock.Now()
	w := &m.faults
	w.mu.Lock()
	defer w.mu.Unlock()
	if n != w.seen {
		w.seen, w.at = n, now
	}
	if last == nil || w.at.IsZero() || now.Sub(w.at) >= faultWindow {
		return nil
	}
	return fmt.Errorf("writes failing: %w", last)
}

// ReadyHandler serves /readyz: 200 {"status":"ready"} or 503
// {"status":"not_ready","reasons":[...]}. /healthz stays the liveness
// check.
func (m *Metrics) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, reasons := m.Ready(r.Context())
		out, code := readiness{Status: "ready", Role: "owner"}, http.StatusOK
		if !ok {
			out, code = readiness{Status: "not_ready", Role: "owner", Reasons: reasons}, http.StatusServiceUnavailable
		}
		if m.cfg.Lease != nil {
			st := m.cfg.Lease()
			out.Role, out.Lease = st.Role, &st
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(out) // a client that went away needs no answer
	})
}
