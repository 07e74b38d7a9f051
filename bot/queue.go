package bot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"suporte/flows"
	"suporte/store"
)

// txLookup gives a turn read access inside its transaction.
type txLookup struct {
	ctx  context.Context
	tx   *store.Tx
	now  time.Time
	rt   *Runtime
	line string // the turn's conversation's
	// recent is the flood count read with the turn's rows, if it was.
	recent *recentCount
}

// recentCount is an InboxSince count of chat read ahead.
type recentCount struct {
	store.Recent
	chat string
	n    int
}

func (l txLookup) tickets(chat string, limit int) ([]store.Ticket, error) {
	return l.tx.TicketsByChat(l.ctx, l.line, chat, limit)
}

func (l txLookup) ticket(id int64) (store.Ticket, error) { return l.tx.Ticket(l.ctx, id) }

func (l txLookup) events(ticket int64, limit int) ([]store.TicketEvent, error) {
	return l.tx.TicketEvents(l.ctx, ticket, limit)
}

func (l txLookup) inboxSince(chat string, since time.Time, limit int) (int, error) {
	if r := l.recent; r != nil && r.chat == chat && r.Since.Equal(since) && r.Max == limit {
		return r.n, nil
	}
	return l.tx.InboxSince(l.ctx, l.line, chat, since, limit)
}

func (l txLookup) saidSince(chat, text string, since time.Time) (bool, error) {
	return l.tx.SaidSince(l.ctx, l.line, chat, text, since)
}

func (l txLookup) inboxMedia(inbox int64) (*store.Media, error) {
	m, err := l.tx.MediaByInbox(l.ctx, inbox)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (l txLookup) agentTickets(agent string) ([]store.Ticket, error) {
	return l.tx.TicketsByAgent(l.ctx, agent)
}

// queuePosition is the ticket's place in the FIFO queue (1 = next; 0 if
// not queued) and an honest estimate of the wait. The ticket is passed as
// the turn holds it: its queueing may not be written yet.
func (l txLookup) queuePosition(tk store.Ticket) (int, string, error) {
	if tk.QueuedAt.IsZero() || tk.Agent != "" || tk.Status == store.StatusResolvido {
		return 0, "", nil
	}
	ahead, err := l.tx.QueueAhead(l.ctx, tk.ID, tk.QueuedAt)
	if err != nil {
		return 0, "", err
	}
	pos := ahead + 1
	claims, err := l.tx.RecentClaims(l.ctx, 20)
	if err != nil {
		return 0, "", err
	}
	return pos, estimateWait(pos, claims, l.now), nil
}

// estimateWait turns the recent pace of the queue (how often Encantadores
// took a customer in the last two hours) into a spoken estimate for
// position pos. With too little to go on it says so instead of guessing.
func estimateWait(pos int, recent []store.Ticket, now time.Time) string {
	var times []time.Time
	for _, t := range recent {
		if now.Sub(t.ClaimedAt) <= 2*time.Hour {
			times = append(times, t.ClaimedAt)
		}
	}
	if len(times) < 3 {
		return "" // too little to go on: better no estimate than a wrong one
	}
	span := times[0].Sub(times[len(times)-1])
	if span <= 0 {
		return "poucos minutos"
	}
	every := span / time.Duration(len(times)-1)
	return spokenWait(time.Duration(pos) * every)
}

// spokenWait says a duration the way a person would, rounded up.
func spokenWait(d time.Duration) string {
	switch m := int(math.Ceil(d.Minutes())); {
	case m <= 2:
		return "poucos minutos"
	case m < 60:
		return fmt.Sprintf("cerca de %d minutos", (m+4)/5*5)
	case m < 90:
		return "cerca de 1 hora"
	default:
		return fmt.Sprintf("cerca de %d horas", (m+30)/60)
	}
}

// queueLoop keeps customers waiting in the queue informed: their place when
// it moves, a note on long waits, and what happens when the day ends.
func (r *Runtime) queueLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.NotifyQueue(ctx); err != nil && ctx.Err() == nil {
				r.cfg.Log.Error().Err(err).Msg("queue notices")
			}
		}
	}
}

// NotifyQueue sends the queue notices that are due now. The service calls
// it periodically; tests and the simulator call it directly.
func (r *Runtime) NotifyQueue(ctx context.Context) error {
	fl := r.cfg.Flow()
	now := r.cfg.Clock.Now()
	var queued []store.Ticket
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		queued, err = tx.QueuedTickets(ctx)
		return err
	})
	if err != nil {
		return err
	}
	for i, tk := range queued {
		// One queue for the agents of every line; each line tells its own
		// customers their place in it.
		if tk.Line != r.cfg.Line {
			continue
		}
		text := queueNotice(fl, tk, i+1, now)
		if text == "" {
			continue
		}
		var evs []Event
		err := r.cfg.Store.UpdateChat(ctx, tk.Chat, func(tx *store.Tx) error {
			if err := tx.LockChat(ctx, tk.Line, tk.Chat); err != nil {
				return err
			}
			t, err := r.load(ctx, tx, fl, now, tk.Line, tk.Chat, false)
			if err != nil {
				return err
			}
			if t.conv.State != stateQueued || t.ticket.ID != tk.ID {
				return nil // moved on since the read
			}
			evs, _, err = r.finish(ctx, tx, t, func(t *turn) error {
				t.keepTimers = true
				t.sayPosition(text)
				return nil
			}, nil)
			return err
		})
		if err != nil {
			return fmt.Errorf("notify ticket %d: %w", tk.ID, err)
		}
		r.publish(evs...)
		r.wake(tk.Chat)
	}
	return nil
}

// queueNotice picks what, if anything, to tell the customer of ticket tk at
// position pos now.
func queueNotice(fl *flows.Flow, tk store.Ticket, pos int, now time.Time) string {
	q := fl.File.Queue
	cal := fl.Calendar
	last := tk.QueueNotifiedAt
	if last.IsZero() {
		last = tk.QueuedAt
	}
	if !cal.IsOpen(now) {
		if cal.IsOpen(last) {
			return q.DayEnded.Value // told during the day, not yet that it ended
		}
		return ""
	}
	since := now.Sub(last)
	moved := tk.QueueNotifiedPos > 0 && pos < tk.QueueNotifiedPos && (tk.QueueNotifiedPos-pos >= 2 || pos <= 3)
	switch {
	case moved && since >= q.NotifyEvery.Duration:
		return q.Position.Value
	case since >= q.RemindEvery.Duration:
		return q.StillWaiting.Value
	}
	return ""
}
