package console

import (
	"context"
	"net/http"
	"sync"
)

// handleEventsAndFlows is GET /api/events. For editors and supervisors
// of a console with Config.Flows, the stream also carries a "flows" event
// at every reload attempt (a file save, SIGHUP, the console's button):
// the flows' status, with the problems of a refused version, so the page
// can show them at once.
//
// handleEvents owns the stream; the flows events are written between its
// own through a writer that serializes them. Each of handleEvents' events
// is one Write (one Fprintf), so the two never interleave inside an event.
func (s *Server) handleEventsAndFlows(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Flows == nil || !canEdit(current(r).agent) {
		s.handleEvents(w, r)
		return
	}
	sw := &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
	changed := s.cfg.Flows.Changed() // before the stream starts: no reload after it goes unseen
	ctx, cancel := context.WithCancel(r.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
			changed = s.cfg.Flows.Changed()
			if err := sw.event("flows", flowsEventOut(s.cfg.Flows.Status())); err != nil {
				return
			}
		}
	}()
	s.handleEvents(sw, r.WithContext(ctx))
	cancel()
	<-done // nothing may write once the handler returns
}

// streamWriter lets two goroutines write whole events to one stream.
type streamWriter struct {
	http.ResponseWriter
	rc *http.ResponseController

	mu      sync.Mutex
	started bool // the stream's header is out: events may follow
}

func (w *streamWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *streamWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.started = true
	return w.ResponseWriter.Write(b)
}

func (w *streamWriter) FlushError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection (write deadline).
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// event writes one event and flushes it. Before the stream has started
// there is nobody to tell: the page reads the status when it connects.
func (w *streamWriter) event(name string, v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return nil
	}
	if err := writeEvent(w.ResponseWriter, name, v); err != nil {
		return err
	}
	return w.rc.Flush()
}
