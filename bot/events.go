package bot

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"suporte/store"
)

// Event tells the console something changed, after it was committed.
type Event struct {
	ID     int64     `json:"id,omitempty"` // on a shared store: its place among every process's events (Last-Event-ID)
	Kind   string    `json:"kind"`         // "queue", "message" or "ticket"
	Ticket int64     `json:"ticket"`
	Chat   string    `json:"chat"`
	Agent  string    `json:"agent,omitempty"`
	Line   string    `json:"line,omitempty"` // the ticket's WhatsApp line (store.LineName)
	At     time.Time `json:"at"`
}

// Event kinds.
const (
	EventQueue   = "queue"   // the human queue changed
	EventMessage = "message" // a line was added to a ticket's transcript
	EventTicket  = "ticket"  // a ticket's status or assignment changed
)

// broker fans events out to subscribers. A subscriber that falls behind
// loses events rather than slowing the runtime; the console re-fetches.
//
// On a PostgreSQL store, which several processes share, an event is not
// handed to this process's subscribers directly: RunEvents writes it to
// the store, announced to every process (store.Listen), and each process
// hands what it hears to its subscribers, so agents on any console
// replica see every change, in commit order, with ids to catch up from.
type broker struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}

	out chan Event // shared store: events to write, for RunEvents

	written, heard, dropped, reconnects atomic.Int64
}

// Subscribe returns a channel of events and a cancel function.
func (r *Runtime) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	r.events.mu.Lock()
	if r.events.subs == nil {
		r.events.subs = map[chan Event]struct{}{}
	}
	r.events.subs[ch] = struct{}{}
	r.events.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			r.events.mu.Lock()
			delete(r.events.subs, ch)
			r.events.mu.Unlock()
			close(ch)
		})
	}
}

func (r *Runtime) publish(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	if r.events.out != nil {
		for _, e := range evs {
			select {
			case r.events.out <- e:
			default:
				r.events.dropped.Add(1) // the store cannot keep up: consoles re-fetch
			}
		}
		return
	}
	r.broadcast(evs)
}

// broadcast hands evs to this process's subscribers.
func (r *Runtime) broadcast(evs []Event) {
	r.events.mu.Lock()
	defer r.events.mu.Unlock()
	for ch := range r.events.subs {
		for _, e := range evs {
			select {
			case ch <- e:
			default:
			}
		}
	}
}

// changes lists the events a committed turn causes.
func (t *turn) changes(before store.Ticket) []Event {
	var evs []Event
	add := func(kind string, tk store.Ticket) {
		evs = append(evs, Event{Kind: kind, Ticket: tk.ID, Chat: tk.Chat, Agent: tk.Agent, Line: tk.Line, At: t.now})
	}
	tk := t.ticket
	if tk.ID != 0 {
		if len(t.events) > 0 || len(t.out) > 0 {
			add(EventMessage, tk)
		}
		if tk.Status != before.Status || tk.Agent != before.Agent || tk.EscalatedAt != before.EscalatedAt || t.announce {
			add(EventTicket, tk)
		}
		inQueue := func(x store.Ticket) bool {
			return !x.QueuedAt.IsZero() && x.Agent == "" && x.Status != store.StatusResolvido
		}
		if inQueue(tk) != inQueue(before) || (inQueue(tk) && tk.ID != before.ID) {
			add(EventQueue, tk)
		}
	}
	if t.other != nil {
		add(EventMessage, *t.other)
		add(EventTicket, *t.other)
	}
	return evs
}

// eventsQueue bounds the events waiting to be written to a shared store.
const eventsQueue = 4096

// eventsKeep is how long a shared store keeps events for consoles to
// catch up on.
const eventsKeep = 24 * time.Hour

// EventStats counts the events passed between processes on a shared store:
// written by this one, heard from all (its own included), dropped because
// the store could not keep up, and reconnections of the listener.
type EventStats struct {
	Written, Heard, Dropped, Reconnects int64
}

// EventStats reports the replication of events; zero on SQLite.
func (r *Runtime) EventStats() EventStats {
	b := &r.events
	return EventStats{Written: b.written.Load(), Heard: b.heard.Load(), Dropped: b.dropped.Load(), Reconnects: b.reconnects.Load()}
}

// RunEvents passes events between the processes sharing a PostgreSQL
// store until ctx ends: it writes this process's events (batched, through
// the group commit) and hands every event any process wrote to this one's
// subscribers. It prunes events older than a day. Every process runs it,
// owner or standby. On SQLite it returns at once: events go straight to
// the subscribers.
func (r *Runtime) RunEvents(ctx context.Context) error {
	if r.events.out == nil {
		return nil
	}
	log := r.cfg.Log.With().Str("part", "events").Logger()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() {
		err := r.cfg.Store.Listen(ctx, func(es []store.Event) {
			evs := fromStore(es)
			r.events.heard.Add(int64(len(evs)))
			r.broadcast(evs)
		}, func() { r.events.reconnects.Add(1) })
		if err != nil && ctx.Err() == nil {
			log.Error().Err(err).Msg("events: cannot listen; consoles here miss other processes' changes")
		}
	})
	r.writeEvents(ctx, log)
	return nil
}

// writeEvents writes queued events in batches until ctx ends, and prunes
// old ones every hour.
func (r *Runtime) writeEvents(ctx context.Context, log zerolog.Logger) {
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	batch := make([]store.Event, 0, 256)
	for {
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			err := r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.PruneEvents(ctx, eventsKeep)
				return err
			})
			if err != nil && ctx.Err() == nil {
				log.Warn().Err(err).Msg("events: prune")
			}
			continue
		case e := <-r.events.out:
			batch = append(batch[:0], e.stored())
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case e := <-r.events.out:
				batch = append(batch, e.stored())
			default:
				break fill
			}
		}
		err := r.cfg.Store.Update(ctx, func(tx *store.Tx) error { return tx.AddEvents(ctx, batch) })
		if err != nil {
			r.events.dropped.Add(int64(len(batch)))
			if ctx.Err() == nil {
				log.Warn().Err(err).Int("events", len(batch)).Msg("events: cannot write; consoles re-fetch")
			}
			continue
		}
		r.events.written.Add(int64(len(batch)))
	}
}

// EventsAfter returns, on a shared store, the events after id that a
// console reconnecting with Last-Event-ID missed, at most limit; nil on
// SQLite, where a console re-fetches instead.
func (r *Runtime) EventsAfter(ctx context.Context, id int64, limit int) ([]Event, error) {
	if r.events.out == nil {
		return nil, nil
	}
	var es []store.Event
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		es, err = tx.EventsAfter(ctx, id, limit)
		return err
	})
	return fromStore(es), err
}

// fromStore makes the events heard from a shared store the runtime's.
func fromStore(es []store.Event) []Event {
	evs := make([]Event, len(es))
	for i, e := range es {
		evs[i] = Event{ID: e.ID, Kind: e.Kind, Ticket: e.Ticket, Chat: e.Chat, Agent: e.Agent, Line: e.Line, At: e.At}
	}
	return evs
}

// stored is e as a shared store keeps it (the store gives its id).
func (e Event) stored() store.Event {
	return store.Event{At: e.At, Kind: e.Kind, Ticket: e.Ticket, Chat: e.Chat, Agent: e.Agent, Line: e.Line}
}
