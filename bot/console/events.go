package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"suporte/bot"
	"suporte/store"
)

// eventJSON is the data of a server-sent event. It carries ids only: the
// page fetches what it may see. Line names the ticket's number as tickets
// do (ticketJSON.Line): only when the store has several lines.
type eventJSON struct {
	Ticket int64    `json:"ticket,omitempty"`
	Line   string   `json:"line,omitempty"`
	Agent  string   `json:"agent,omitempty"`
	At     jsonTime `json:"at"`
}

// eventLines names the lines of one stream's events. It reads the store's
// lines when first asked and again when an event names a line it has not
// seen (one started since), so a second line's first event turns the
// labels on, without a read per event.
type eventLines struct {
	db    *store.DB
	known map[string]bool
	label func(line string) string
}

// of returns line's label for an event, "" while the store has one line.
func (l *eventLines) of(ctx context.Context, line string) (string, error) {
	if line == "" {
		return "", nil
	}
	if !l.known[line] {
		err := l.db.View(ctx, func(tx *store.Tx) error {
			lines, err := tx.Lines(ctx)
			if err != nil {
				return err
			}
			l.known = map[string]bool{}
			for _, x := range lines {
				l.known[x] = true
			}
			l.label = labelsOf(lines)
			return nil
		})
		if err != nil {
			return "", err
		}
		l.known[line] = true // read once, even if it never started
	}
	return l.label(line), nil
}

type presenceJSON struct {
	Online []string `json:"online"`
}

// handleEvents streams the runtime's events (queue, message, ticket) and
// presence changes (presence) until the client leaves. While it is open,
// its agent counts as online. A comment line every PingEvery keeps
// proxies from closing an idle stream. On a store shared by several
// processes (console replicas), events carry ids and a client that
// reconnects with Last-Event-ID is first sent what it missed (at most
// maxReplay; the page re-fetches anyway when it reconnects); elsewhere
// missed events are not replayed.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's WriteTimeout; unsupported is fine

	sess := current(r)
	// Content editors serve no tickets: their stream carries presence and
	// (editor_events.go) the flows' status, no ticket's events.
	tickets := servesCustomers(sess.agent)
	var events <-chan bot.Event // nil: never ready
	if tickets {
		ch, cancel := s.cfg.Runtime.Subscribe()
		defer cancel()
		events = ch
	}
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
	lines := &eventLines{db: s.cfg.Store}
	sendEvent := func(e bot.Event) error {
		line, err := lines.of(r.Context(), e.Line)
		if err != nil {
			return err
		}
		if e.ID > 0 {
			if _, err := fmt.Fprintf(w, "id: %d\n", e.ID); err != nil {
				return err
			}
		}
		return send(e.Kind, eventJSON{Ticket: e.Ticket, Line: line, Agent: e.Agent, At: jsonTime(e.At)})
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if err := send("hello", presenceJSON{Online: s.onlineAgents()}); err != nil {
		return
	}
	// Subscribed first, then the replay: nothing falls between the two,
	// and what both hand over is sent once.
	replayed := map[int64]bool{}
	if last := store.EventID(r.Header.Get("Last-Event-ID")); last > 0 && tickets {
		missed, err := s.cfg.Runtime.EventsAfter(r.Context(), last, maxReplay)
		if err != nil {
			s.cfg.Log.Warn().Err(err).Msg("events: replay after a reconnect")
		}
		for _, e := range missed {
			replayed[e.ID] = true
			if err := sendEvent(e); err != nil {
				return
			}
		}
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
			if e.ID > 0 && replayed[e.ID] {
				continue
			}
			err = sendEvent(e)
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

// maxReplay bounds the events sent again to a client that reconnects.
const maxReplay = 1000

// writeEvent writes one server-sent event, v as JSON, in one Write.
func writeEvent(w io.Writer, event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	return err
}
