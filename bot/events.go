package bot

import (
	"sync"
	"time"

	"suporte/store"
)

// Event tells the console something changed, after it was committed.
type Event struct {
	Kind   string    `json:"kind"` // "queue", "message" or "ticket"
	Ticket int64     `json:"ticket"`
	Chat   string    `json:"chat"`
	Agent  string    `json:"agent,omitempty"`
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
type broker struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
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
		evs = append(evs, Event{Kind: kind, Ticket: tk.ID, Chat: tk.Chat, Agent: tk.Agent, At: t.now})
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
