package console

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// eventJSON is the data of a server-sent event. It carries ids only: the
// page fetches what it may see.
type eventJSON struct {
	Ticket int64    `json:"ticket,omitempty"`
	Agent  string   `json:"agent,omitempty"`
	At     jsonTime `json:"at"`
}

type presenceJSON struct {
	Online []string `json:"online"`
}

// handleEvents streams the runtime's events (queue, message, ticket) and
// presence changes (presence) until the client leaves. While it is open,
// its agent counts as online. A comment line every PingEvery keeps
// proxies from closing an idle stream. Events a slow page misses are not
// replayed: the page re-fetches when it reconnects.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's WriteTimeout; unsupported is fine

	events, cancel := s.cfg.Runtime.Subscribe()
	defer cancel()
	sess := current(r)
	me := sess.bot().ID
	changed := s.join(me)
	defer s.leave(me, changed)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	send := func(event string, v any) error {
		if err := writeEvent(w, event, v); err != nil {
			return err
		}
		return rc.Flush()
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if err := send("hello", presenceJSON{Online: s.onlineAgents()}); err != nil {
		return
	}
	ping := time.NewTicker(s.cfg.PingEvery)
	defer ping.Stop()
	ctx := r.Context()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return // the runtime stopped
			}
			err = send(e.Kind, eventJSON{Ticket: e.Ticket, Agent: e.Agent, At: jsonTime(e.At)})
		case <-changed:
			err = send("presence", presenceJSON{Online: s.onlineAgents()})
		case <-ping.C:
			if _, err = fmt.Fprint(w, ": ping\n\n"); err == nil {
				err = rc.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// writeEvent writes one server-sent event, v as JSON, in one Write.
func writeEvent(w io.Writer, event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	return err
}
