package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"suporte/flows"
	"suporte/store"
)

// inboundTurn decides what one inbox row does to its conversation.
func (r *Runtime) inboundTurn(ctx context.Context, t *turn, in store.Inbound, late, backlog bool) error {
	switch in.Kind {
	case KindFromMe:
		// A person answered from the support phone: they own the chat for a while.
		t.conv.PausedUntil = t.now.Add(t.flow.File.Settings.HumanPause.Duration)
		t.note("agent", "celular", in.Text)
		t.skipTimers = true
		return nil
	case KindEdit:
		t.note("customer", in.Chat, "[mensagem editada] "+in.Text)
		t.keepTimers = true
		return nil
	case KindCall:
		t.note("customer", in.Chat, "[ligação recusada]")
		t.say(t.flow.File.Texts.Call.Value, nil)
		t.keepTimers = true
		return nil
	}
	media, err := r.noteCustomer(t, in)
	if err != nil {
		return err
	}
	if flooded, err := r.flooded(t, in); err != nil || flooded {
		return err
	}
	if strings.HasSuffix(in.Text, cutMark) && utf8.RuneCountInString(in.Text) > MaxText {
		t.say(t.flow.File.Texts.TooLong.Value, nil)
	}
	if t.now.Before(t.conv.PausedUntil) {
		t.skipTimers = true // a person is handling this chat
		return nil
	}
	if backlog {
		t.keepTimers = true
		return nil // a newer message of the same backlog gets the answer
	}
	return r.engine.Step(ctx, t, input{kind: in.Kind, text: in.Text, late: late, media: media})
}

// flooded keeps a chat that sends faster than a person reads from driving
// the bot: past settings.flood_max messages in flood_per, messages are kept
// on the ticket but not answered, and the customer is told once. Other
// chats are not slowed: each chat is worked on its own.
func (r *Runtime) flooded(t *turn, in store.Inbound) (bool, error) {
	s := t.flow.File.Settings
	if !Written(in.Kind) {
		return false, nil
	}
	w := floodWindow(t.flow, t.now)
	n, err := t.lookup.inboxSince(in.Chat, w.Since, w.Max)
	if err != nil || n <= s.FloodMax {
		return false, err
	}
	t.keepTimers = true
	text := strings.TrimRight(t.flow.File.Texts.Flood.Value, "\n ")
	told, err := t.lookup.saidSince(in.Chat, text, w.Since)
	if err == nil && !told {
		t.say(text, nil)
	}
	return true, err
}

// floodWindow is what flooded counts: a chat's messages since Since,
// among its latest Max.
func floodWindow(fl *flows.Flow, now time.Time) store.Recent {
	s := fl.File.Settings
	return store.Recent{Since: now.Add(-s.FloodPer.Duration), Max: s.FloodMax + 1}
}

// load reads the rows of chat on line into a new turn: its conversation,
// customer and the conversation's ticket, and, for a customer's written
// message (flood set), the count its flood check reads, in the same trip.
func (r *Runtime) load(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, line, chat string, flood bool) (*turn, error) {
	l := txLookup{ctx: ctx, tx: tx, now: now, rt: r, line: line}
	var recent *store.Recent
	if flood {
		w := floodWindow(fl, now)
		recent = &w
	}
	rows, err := tx.ChatRows(ctx, line, chat, recent)
	if err != nil {
		return nil, err
	}
	if recent != nil {
		l.recent = &recentCount{Recent: *recent, chat: chat, n: rows.Recent}
	}
	t := &turn{flow: fl, now: now, lookup: l}
	t.conv, t.customer = rows.Conversation, rows.Customer
	if rows.NoConversation {
		t.conv = store.Conversation{Chat: chat, Line: line, State: stateClosed}
	}
	if rows.NoCustomer {
		t.customer = store.Customer{Chat: chat, CreatedAt: now}
		t.customerChanged = true
	}
	if t.conv.State != stateClosed && t.conv.Ticket != 0 {
		if rows.NoTicket {
			return nil, fmt.Errorf("load ticket %d: %w", t.conv.Ticket, store.ErrNotFound)
		}
		t.ticket = rows.Ticket
	}
	return t, nil
}

// turn loads the rows of chat on this runtime's line, runs fn on them and writes back what changed:
// conversation, customer, ticket and its transcript, outbox, feedback,
// timers, and the inbox row when in is set. A customer message to a
// closed conversation opens a new one, with a new ticket. It returns the
// events for the console and the messages it queued, with their ids.
func (r *Runtime) turn(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, chat string, fn func(*turn) error, in *store.Inbound) ([]Event, []store.OutMsg, error) {
	t, err := r.load(ctx, tx, fl, now, r.cfg.Line, chat, in != nil && Written(in.Kind))
	if err != nil {
		return nil, nil, err
	}
	if in != nil {
		if in.PushName != "" && in.PushName != t.customer.Name {
			t.customer.Name, t.customerChanged = in.PushName, true
		}
		if in.Phone != "" && in.Phone != t.customer.Phone {
			t.customer.Phone, t.customerChanged = in.Phone, true
		}
	}
	if t.conv.State == stateClosed {
		if in == nil {
			return nil, nil, nil // a stale timer of a finished conversation
		}
		if Written(in.Kind) {
			if err := r.openTicket(ctx, tx, t); err != nil {
				return nil, nil, err
			}
		}
	}
	return r.finish(ctx, tx, t, fn, in)
}

// finish runs fn on a loaded turn and writes it; see turn for what it
// returns.
func (r *Runtime) finish(ctx context.Context, tx *store.Tx, t *turn, fn func(*turn) error, in *store.Inbound) ([]Event, []store.OutMsg, error) {
	before, ticketBefore := t.conv.State, t.ticket
	if err := fn(t); err != nil {
		return nil, nil, err
	}
	if err := r.write(ctx, tx, t, before, ticketBefore, in); err != nil {
		return nil, nil, err
	}
	return t.changes(ticketBefore), t.out, nil
}

// openTicket starts a new conversation: every conversation is a ticket,
// and its id is the protocol number.
func (r *Runtime) openTicket(ctx context.Context, tx *store.Tx, t *turn) error {
	requester := t.customer.Name
	if requester == "" {
		requester = t.customer.Phone
	}
	if requester == "" {
		requester = t.customer.Chat
	}
	t.ticket = store.Ticket{
		Chat: t.conv.Chat, Line: t.conv.Line, Requester: requester, IDSuporte: t.customer.IDSuporte,
		Status: store.StatusAberto, CreatedAt: t.now, LastActivityAt: t.now,
	}
	id, err := tx.CreateTicket(ctx, t.ticket)
	if err != nil {
		return fmt.Errorf("open ticket: %w", err)
	}
	t.ticket.ID = id
	t.conv = store.Conversation{Chat: t.conv.Chat, Line: t.conv.Line, State: stateClosed, Ticket: id, StartedAt: t.now, PausedUntil: t.conv.PausedUntil}
	return nil
}

// noteCustomer adds the customer's message to the ticket transcript,
// linked to the file it brought, which it returns (nil if none).
func (r *Runtime) noteCustomer(t *turn, in store.Inbound) (*store.Media, error) {
	text := in.Text
	var media *store.Media
	if in.Kind != KindText {
		text = strings.TrimSpace("[" + in.Kind + "] " + in.Text)
		var err error
		if media, err = t.lookup.inboxMedia(in.ID); err != nil {
			return nil, err
		}
	}
	t.note("customer", in.Chat, text)
	if media != nil {
		t.events[len(t.events)-1].Media = media.ID
	}
	return media, nil
}

func (r *Runtime) write(ctx context.Context, tx *store.Tx, t *turn, before string, ticketBefore store.Ticket, in *store.Inbound) error {
	now := t.now
	if t.aside {
		return writeAside(ctx, tx, t, ticketBefore)
	}
	if err := writeFiles(ctx, tx, t); err != nil {
		return err
	}
	t.conv.UpdatedAt = now
	t.conv.FlowVersion = t.flow.Version
	if err := tx.PutConversation(ctx, t.conv); err != nil {
		return err
	}
	if t.customerChanged {
		t.customer.UpdatedAt = now
		if err := tx.PutCustomer(ctx, t.customer); err != nil {
			return err
		}
	}
	// The writes whose results are not needed come first: on PostgreSQL
	// they go with the ticket's update, in one statement where they can.
	if err := r.writeTimers(ctx, tx, t, in); err != nil {
		return err
	}
	for _, tm := range t.setTimers {
		tx.AfterCommit(func() { r.timerSet(tm.Due) })
		if err := tx.SetTimer(ctx, tm); err != nil {
			return err
		}
	}
	for _, kind := range t.dropTimers {
		if err := tx.DeleteTimer(ctx, t.conv.Line, t.conv.Chat, kind); err != nil {
			return err
		}
	}
	if t.ticket.ID != 0 {
		var status []store.TicketEvent
		if before != t.conv.State && (t.conv.State == stateClosed || t.conv.State == stateQueued) {
			status = append(status, store.TicketEvent{Ticket: t.ticket.ID, At: now, Kind: "status", Actor: "bot", Text: t.ticket.Status})
		}
		if err := writeTicket(ctx, tx, t, ticketBefore, status...); err != nil {
			return err
		}
	}
	if o := t.other; o != nil {
		if err := tx.UpdateTicket(ctx, *o); err != nil {
			return err
		}
		if err := tx.AddTicketEvents(ctx, stamped(t.otherEvents, o.ID, now)); err != nil {
			return err
		}
	}
	if fb := t.feedback; fb != nil {
		if fb.Rating == 0 { // a comment completes the rating given just before
			old, err := tx.Feedback(ctx, fb.Ticket)
			if err != nil {
				return fmt.Errorf("feedback comment without rating: %w", err)
			}
			old.Comment = fb.Comment
			*fb = old
		}
		if err := tx.PutFeedback(ctx, *fb); err != nil {
			return err
		}
	}
	if in != nil && !in.Done {
		if err := tx.FinishInbox(ctx, in.ID, now); err != nil {
			return err
		}
	}
	// The replies last: on PostgreSQL the writes above go with them.
	if len(t.out) > 0 { // the bot's lines of the transcript (store.Transcript)
		r.newIDs(t.out)
		ids, err := tx.AppendOutboxAll(ctx, t.out)
		if err != nil {
			return err
		}
		for i, id := range ids {
			t.out[i].ID = id
		}
	}
	return nil
}

// writeAside writes a turn on a ticket whose customer is in another
// conversation: its transcript lines and the ticket, nothing of the
// conversation, the customer or the timers, and nothing to send.
func writeAside(ctx context.Context, tx *store.Tx, t *turn, before store.Ticket) error {
	if len(t.out) > 0 || len(t.files) > 0 || t.feedback != nil || t.other != nil {
		return ErrChatBusy // no message reaches a customer who is elsewhere
	}
	return writeTicket(ctx, tx, t, before)
}

// writeTicket writes the turn's transcript lines, then more, to its
// ticket, and what changed in the ticket since before.
func writeTicket(ctx context.Context, tx *store.Tx, t *turn, before store.Ticket, more ...store.TicketEvent) error {
	if err := tx.AddTicketEvents(ctx, append(stamped(t.events, t.ticket.ID, t.now), more...)); err != nil {
		return err
	}
	t.ticket.LastActivityAt = t.now
	return tx.ChangeTicket(ctx, before, t.ticket)
}

// stamped is a copy of evs, each of ticket id at at.
func stamped(evs []store.TicketEvent, id int64, at time.Time) []store.TicketEvent {
	out := make([]store.TicketEvent, len(evs), len(evs)+1) // room for a status line
	for i, e := range evs {
		e.Ticket, e.At = id, at
		out[i] = e
	}
	return out
}

// writeTimers keeps the inactivity timers in step with the conversation:
// a customer message restarts the reminder; a reminder arms the close;
// leaving the waiting states clears both.
func (r *Runtime) writeTimers(ctx context.Context, tx *store.Tx, t *turn, in *store.Inbound) error {
	line, chat := t.conv.Line, t.conv.Chat
	if t.keepTimers {
		return nil
	}
	if t.skipTimers || !waiting[t.conv.State] {
		return tx.ClearTimers(ctx, line, chat, ResolveTimer) // an undo window ends by itself or by the agent
	}
	to := t.flow.File.Timeouts
	tm := store.Timer{Chat: chat, Line: line, Kind: timerClose, Due: t.now.Add(to.Close.Duration)}
	if in != nil {
		if err := tx.DeleteTimer(ctx, line, chat, timerClose); err != nil {
			return err
		}
		tm = store.Timer{Chat: chat, Line: line, Kind: timerReminder, Due: t.now.Add(to.Reminder.Duration)}
	}
	tx.AfterCommit(func() { r.timerSet(tm.Due) })
	return tx.SetTimer(ctx, tm)
}
