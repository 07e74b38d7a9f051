package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"suporte/flows"
	"suporte/store"
)

// Agent is an Encantador acting in the console.
type Agent struct {
	ID       string // the store's agent id, in decimal
	Name     string
	Role     string // "agent", "supervisor" or "editor"
	MaxChats int    // simultaneous chats allowed
}

// Supervisor reports whether a may act on every chat.
func (a Agent) Supervisor() bool { return a.Role == "supervisor" }

// Errors of agent actions, for the console to map to answers.
var (
	ErrNoTicket   = errors.New("ticket not found")
	ErrNotAllowed = errors.New("this chat belongs to another agent")
	ErrResolved   = errors.New("ticket is resolved")
	ErrNotWaiting = errors.New("ticket is not waiting for an agent")
	ErrAtCapacity = errors.New("agent is at the limit of simultaneous chats")
	ErrQueueEmpty = errors.New("the queue is empty")
	ErrChatBusy   = errors.New("the customer is in another conversation")
	ErrBadStatus  = errors.New("status must be aguardando_resposta or resolvido")
	ErrEmptyText  = errors.New("empty message")
	// ErrResolving: the ticket resolves when its undo window closes;
	// nothing else is done to it until then but undoing that.
	ErrResolving    = errors.New("ticket is being resolved")
	ErrNotResolving = errors.New("ticket is not being resolved")
	// ErrEscalated: the ticket was sent to the product team already; its
	// promise to the customer stands.
	ErrEscalated = errors.New("ticket is escalated already")
)

// maxAgentText bounds one agent message; WhatsApp itself caps near 65k.
const maxAgentText = 4096

// SetOnline tells the runtime how to learn which agents are online.
func (r *Runtime) SetOnline(agents func() []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.online = agents
}

// QueueEntry is one ticket waiting for an Encantador.
type QueueEntry struct {
	Ticket   store.Ticket
	Position int
	Waiting  time.Duration
}

// Queue lists the waiting tickets, first in line first.
func (r *Runtime) Queue(ctx context.Context) ([]QueueEntry, error) {
	now := r.cfg.Clock.Now()
	var q []store.Ticket
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		q, err = tx.QueuedTickets(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]QueueEntry, len(q))
	for i, t := range q {
		out[i] = QueueEntry{Ticket: t, Position: i + 1, Waiting: now.Sub(t.QueuedAt)}
	}
	return out, nil
}

// agentTurn runs op on ticket id's conversation in one transaction, after
// the checks every agent action shares, and wakes the chat so what op
// queued gets sent. A ticket of another line is its line's owner's to
// send: that runtime finds the work when it next looks (Config.PollWork).
func (r *Runtime) agentTurn(ctx context.Context, a Agent, id int64, mine, aside bool, op func(t *turn) error) error {
	fl := r.cfg.Flow()
	now := r.cfg.Clock.Now()
	var evs []Event
	var line, chat string
	err := r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		evs, _, line, chat, err = r.ticketTurn(ctx, tx, fl, now, id, aside, func(tk store.Ticket) error {
			if mine && tk.Agent != a.ID && !a.Supervisor() {
				return ErrNotAllowed
			}
			return nil
		}, op)
		return err
	})
	if err != nil {
		return err
	}
	r.publish(evs...)
	if line == r.cfg.Line {
		r.wake(chat)
	}
	return nil
}

// ticketTurn runs op on ticket id's conversation inside tx, after the
// checks every action on a ticket shares (allowed, if not nil, is the
// caller's), and returns the turn's events, the messages it queued and
// the ticket's line and chat. The ticket may be of any line. With aside,
// op may write to the ticket only (a note, a resolution come due): it
// runs too while the customer is in another conversation, whose rows it
// leaves alone (t.aside tells op).
func (r *Runtime) ticketTurn(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, id int64, aside bool,
	allowed func(store.Ticket) error, op func(t *turn) error) (evs []Event, outs []store.OutMsg, line, chat string, err error) {
	tk, err := tx.Ticket(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, "", "", ErrNoTicket
	}
	if err != nil {
		return nil, nil, "", "", err
	}
	// The chat's turn may be running on another process: take the
	// chat, then read the ticket as it is now.
	if err := tx.LockChat(ctx, tk.Line, tk.Chat); err != nil {
		return nil, nil, "", "", err
	}
	if tk, err = tx.Ticket(ctx, id); err != nil {
		return nil, nil, "", "", err
	}
	if allowed != nil {
		if err := allowed(tk); err != nil {
			return nil, nil, "", "", err
		}
	}
	if tk.Status == store.StatusResolvido {
		return nil, nil, "", "", ErrResolved
	}
	t, err := r.load(ctx, tx, fl, now, tk.Line, tk.Chat, false)
	if err != nil {
		return nil, nil, "", "", err
	}
	switch {
	case t.conv.Ticket == tk.ID && t.conv.State != stateClosed:
	case t.conv.State == stateClosed:
		// The customer left (or never had) a live conversation: the
		// agent picks the ticket back up on WhatsApp.
		t.conv = store.Conversation{Chat: tk.Chat, Line: tk.Line, State: stateClosed, Ticket: tk.ID, StartedAt: now, PausedUntil: t.conv.PausedUntil}
		t.ticket = tk
	case aside:
		t.conv = store.Conversation{Chat: tk.Chat, Line: tk.Line, State: stateClosed, Ticket: tk.ID}
		t.ticket, t.aside = tk, true
	default:
		return nil, nil, "", "", ErrChatBusy
	}
	timers, err := tx.Timers(ctx, tk.Line, tk.Chat)
	if err != nil {
		return nil, nil, "", "", err
	}
	t.resolveDue = ResolvingAt(timers, tk.ID)
	t.engine, t.ctx = r.engine, ctx
	evs, outs, err = r.finish(ctx, tx, t, op, nil)
	return evs, outs, tk.Line, tk.Chat, err
}

// Claim gives ticket id to agent a, who starts talking with the customer.
func (r *Runtime) Claim(ctx context.Context, a Agent, id int64) error {
	return r.agentTurn(ctx, a, id, false, false, func(t *turn) error {
		if t.ticket.Agent != "" {
			if t.ticket.Agent == a.ID {
				return nil // already theirs: claiming twice is harmless
			}
			return ErrNotWaiting
		}
		if t.ticket.QueuedAt.IsZero() {
			return ErrNotWaiting // with the bot, or the customer left the queue
		}
		if err := t.checkCapacity(a); err != nil {
			return err
		}
		return t.assign(a, t.flow.File.Queue.Claimed.Value)
	})
}

// ClaimNext gives agent a the ticket first in line.
func (r *Runtime) ClaimNext(ctx context.Context, a Agent) (int64, error) {
	for range 3 { // another agent may take the head between read and claim
		q, err := r.Queue(ctx)
		if err != nil {
			return 0, err
		}
		if len(q) == 0 {
			return 0, ErrQueueEmpty
		}
		id := q[0].Ticket.ID
		switch err := r.Claim(ctx, a, id); {
		case err == nil:
			return id, nil
		case !errors.Is(err, ErrNotWaiting) && !errors.Is(err, ErrResolved) && !errors.Is(err, ErrChatBusy):
			return 0, err
		}
	}
	return 0, ErrQueueEmpty
}

// Reply sends an agent's message to the customer, through the outbox, in
// order with everything else said in the chat.
func (r *Runtime) Reply(ctx context.Context, a Agent, id int64, text string) error {
	text = strings.TrimSpace(CleanText(text))
	if text == "" {
		return ErrEmptyText
	}
	return r.reply(ctx, a, id, text, nil)
}

// Upload is a file an agent sends, already in the media folder.
type Upload struct {
	Kind   string // KindImage, KindAudio, KindVideo or KindDocument
	Name   string
	Type   string // sniffed content type
	Bytes  int64
	SHA256 string
	Voice  bool // Ogg/Opus: goes as a voice note
	// Library marks one of the flows' attachments (a quick reply's), kept
	// once for every chat that gets it.
	Library bool
}

// SendFile sends an agent's file, with caption (which may be empty), in
// order with everything else said in the chat.
func (r *Runtime) SendFile(ctx context.Context, a Agent, id int64, f Upload, caption string) error {
	return r.reply(ctx, a, id, strings.TrimSpace(caption), &f)
}

// reply queues an agent's text, or file with the text as its caption.
func (r *Runtime) reply(ctx context.Context, a Agent, id int64, text string, f *Upload) error {
	return r.agentTurn(ctx, a, id, true, false, func(t *turn) error {
		if t.ticket.Agent == "" {
			return ErrNotAllowed // claim first: nobody talks over the queue
		}
		if err := t.notResolving(); err != nil {
			return err
		}
		if t.conv.State != stateWithAgent {
			if err := t.act(evAssign); err != nil {
				return err
			}
		}
		body := Truncate(text, maxAgentText)
		out := "*" + a.Name + "*"
		if body != "" {
			out += "\n" + body
		}
		t.out = append(t.out, store.OutMsg{Chat: t.conv.Chat, Line: t.conv.Line, Ticket: t.ticket.ID, Author: a.ID, CreatedAt: t.now, Text: out})
		if f == nil {
			t.note("agent", a.Name, body)
		} else {
			t.note("agent", a.Name, strings.TrimSpace("["+f.Kind+"] "+body))
			m := store.Media{Chat: t.conv.Chat, Line: t.conv.Line, Direction: "out", Kind: f.Kind, Name: f.Name, MIME: f.Type, ContentType: f.Type,
				Bytes: f.Bytes, SHA256: f.SHA256, Voice: f.Voice, State: store.MediaStored, CreatedAt: t.now, StoredAt: t.now}
			if f.Library {
				m.Chat = ""
			}
			t.files = append(t.files, pendingFile{out: len(t.out) - 1, event: len(t.events) - 1, media: m})
		}
		if t.ticket.FirstResponseAt.IsZero() {
			t.ticket.FirstResponseAt = t.now
		}
		t.ticketChanged = true
		return nil
	})
}

// Note adds an internal note to the ticket; the customer never sees it.
func (r *Runtime) Note(ctx context.Context, a Agent, id int64, text string) error {
	text = strings.TrimSpace(CleanText(text))
	if text == "" {
		return ErrEmptyText
	}
	return r.agentTurn(ctx, a, id, true, true, func(t *turn) error {
		t.keepTimers = true
		t.note("note", a.Name, Truncate(text, maxAgentText))
		return nil
	})
}

// SetStatus marks the ticket Aguardando resposta (we answered, the
// customer owes a reply) or Resolvido: then, as Resolve, the chat ends
// with the rating when the undo window closes.
func (r *Runtime) SetStatus(ctx context.Context, a Agent, id int64, status string) error {
	if status != store.StatusAguardando && status != store.StatusResolvido {
		return ErrBadStatus
	}
	if status == store.StatusResolvido {
		_, err := r.Resolve(ctx, a, id)
		return err
	}
	return r.agentTurn(ctx, a, id, true, false, func(t *turn) error {
		if t.ticket.Agent == "" {
			return ErrNotAllowed
		}
		if err := t.notResolving(); err != nil {
			return err
		}
		t.ticketChanged = true
		t.note("status", a.Name, status)
		t.ticket.Status = status
		t.skipTimers = true
		return nil
	})
}

// Release gives the ticket back to the queue, at its original place.
func (r *Runtime) Release(ctx context.Context, a Agent, id int64) error {
	return r.agentTurn(ctx, a, id, true, false, func(t *turn) error {
		if t.ticket.Agent == "" {
			return ErrNotAllowed
		}
		if err := t.notResolving(); err != nil {
			return err
		}
		t.ticket.Agent = ""
		t.ticket.Status = store.StatusAberto
		t.ticketChanged = true
		t.note("system", a.Name, "devolvido à fila")
		t.say(t.flow.File.Queue.Released.Value, nil)
		if t.conv.State != stateWithAgent {
			if err := t.act(evAssign); err != nil {
				return err
			}
		}
		t.quiet = true
		return t.act(evRelease)
	})
}

// Transfer hands the chat to another agent.
func (r *Runtime) Transfer(ctx context.Context, a Agent, id int64, to Agent) error {
	return r.agentTurn(ctx, a, id, true, false, func(t *turn) error {
		if t.ticket.Agent == "" {
			return ErrNotAllowed
		}
		if err := t.notResolving(); err != nil {
			return err
		}
		if to.ID == t.ticket.Agent {
			return nil
		}
		if err := t.checkCapacity(to); err != nil {
			return err
		}
		t.note("system", a.Name, "transferido para "+to.Name)
		return t.assign(to, t.flow.File.Queue.Transferred.Value)
	})
}

// Escalate sends the case to the product team: the customer is told the
// return date (queue.return_days business days), the chat ends and the
// ticket stays Aberto with its agent, to be followed up. A ticket is
// escalated once: again is ErrEscalated, and changes nothing.
func (r *Runtime) Escalate(ctx context.Context, a Agent, id int64) (time.Time, error) {
	var due time.Time
	err := r.agentTurn(ctx, a, id, true, false, func(t *turn) error {
		if t.ticket.Agent == "" {
			return ErrNotAllowed
		}
		if err := t.notResolving(); err != nil {
			return err
		}
		if !t.ticket.EscalatedAt.IsZero() {
			return ErrEscalated
		}
		cal := t.flow.Calendar
		days := t.flow.File.Queue.ReturnDays
		due = cal.AddBusinessDays(t.now, days)
		t.ticket.EscalatedAt, t.ticket.EscalationDue = t.now, due
		t.ticket.Status = store.StatusAberto
		t.ticketChanged = true
		t.note("system", a.Name, "escalado para o time de produto; prazo "+due.In(cal.Location).Format("02/01/2006"))
		prazo := fmt.Sprintf("%d dias úteis (até %s, %s)", days, weekdaysPT[due.In(cal.Location).Weekday()], due.In(cal.Location).Format("02/01"))
		t.sayWith(t.flow.File.Queue.Escalated.Value, flows.Vars{Prazo: prazo}, nil)
		if t.conv.State != stateWithAgent {
			if err := t.act(evAssign); err != nil {
				return err
			}
		}
		return t.close("", store.StatusAberto)
	})
	return due, err
}

// assign makes agent a the ticket's owner and tells the customer.
func (t *turn) assign(a Agent, text string) error {
	t.ticket.Agent = a.ID
	if t.ticket.ClaimedAt.IsZero() {
		t.ticket.ClaimedAt = t.now
	}
	t.ticket.Status = store.StatusAberto
	t.ticketChanged = true
	t.sayWith(text, flows.Vars{Atendente: a.Name}, nil)
	return t.act(evAssign)
}

// checkCapacity refuses a chat beyond the agent's limit.
func (t *turn) checkCapacity(a Agent) error {
	if a.MaxChats <= 0 {
		return nil
	}
	mine, err := t.lookup.agentTickets(a.ID)
	if err != nil {
		return err
	}
	if len(mine) >= a.MaxChats {
		return fmt.Errorf("%w (%d of %d)", ErrAtCapacity, len(mine), a.MaxChats)
	}
	return nil
}
