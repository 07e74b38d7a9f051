package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"suporte/flows"
	"suporte/store"
)

// Resolving a ticket from the console waits ResolveUndo before anything
// reaches the customer: the agent may take it back until then, and once
// the rating question is queued it cannot be. The wait is a persisted
// timer (ResolveTimer) of the chat, so it survives a restart and fires in
// order with the chat's other work, like the inactivity timers; its Arg
// says which ticket and who resolved it.

// ResolveUndo is how long an agent has to undo Resolver.
const ResolveUndo = 10 * time.Second

// ResolveTimer is the kind of a ticket's undo-window timer.
const ResolveTimer = "resolve"

// ResolvingAt returns when ticket resolves, as timers (its chat's) say,
// or the zero time if it is not being resolved.
func ResolvingAt(timers []store.Timer, ticket int64) time.Time {
	for _, tm := range timers {
		if id, _, ok := resolveArg(tm); ok && id == ticket {
			return tm.Due
		}
	}
	return time.Time{}
}

// resolveArg reads a resolve timer's Arg: "<ticket> <agent's name>".
func resolveArg(tm store.Timer) (ticket int64, by string, ok bool) {
	if tm.Kind != ResolveTimer {
		return 0, "", false
	}
	id, by, _ := strings.Cut(tm.Arg, " ")
	n, err := strconv.ParseInt(id, 10, 64)
	return n, by, err == nil
}

// Resolve marks ticket id to be resolved by agent a once ResolveUndo has
// passed, and returns when. Resolving a ticket already on its way keeps
// the first time.
func (r *Runtime) Resolve(ctx context.Context, a Agent, id int64) (time.Time, error) {
	var due time.Time
	err := r.agentTurn(ctx, a, id, true, false, func(t *turn) error {
		if t.ticket.Agent == "" {
			return ErrNotAllowed
		}
		t.keepTimers = true
		if due = t.resolveDue; !due.IsZero() {
			return nil
		}
		due = t.now.Add(ResolveUndo)
		t.setTimers = append(t.setTimers, store.Timer{Chat: t.conv.Chat, Line: t.conv.Line, Kind: ResolveTimer, Due: due,
			Arg: strconv.FormatInt(t.ticket.ID, 10) + " " + a.Name})
		t.announce = true
		return nil
	})
	return due, err
}

// UndoResolve takes back Resolve while its window is open: ErrResolved
// once the ticket was resolved (the customer was asked for a rating),
// ErrNotResolving if it was not being resolved.
func (r *Runtime) UndoResolve(ctx context.Context, a Agent, id int64) error {
	return r.agentTurn(ctx, a, id, true, false, func(t *turn) error {
		if t.resolveDue.IsZero() {
			return ErrNotResolving
		}
		t.keepTimers = true
		t.dropTimers = append(t.dropTimers, ResolveTimer)
		t.announce = true
		return nil
	})
}

// notResolving refuses an action on a ticket that is being resolved.
func (t *turn) notResolving() error {
	if !t.resolveDue.IsZero() {
		return ErrResolving
	}
	return nil
}

// resolveDue resolves the ticket of a resolve timer that came due, inside
// tx, and returns the turn's events and the messages it queued. A ticket
// whose customer is in a newer conversation by then is resolved without
// the rating question, which would break into that conversation; one that
// moved on otherwise (resolved, released) is left as it is.
func (r *Runtime) resolveDue(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, tm store.Timer) ([]Event, []store.OutMsg, error) {
	id, by, ok := resolveArg(tm)
	if !ok {
		return nil, nil, fmt.Errorf("resolve timer of %s: bad arg %q", tm.Chat, tm.Arg)
	}
	evs, outs, _, _, err := r.ticketTurn(ctx, tx, fl, now, id, true, nil, func(t *turn) error {
		if t.ticket.Agent == "" {
			return ErrNotAllowed // released meanwhile
		}
		if t.aside {
			t.markResolved(by)
			return nil
		}
		return t.resolve(by)
	})
	switch {
	case err == nil:
		return evs, outs, nil
	case errors.Is(err, ErrResolved), errors.Is(err, ErrNoTicket), errors.Is(err, ErrChatBusy), errors.Is(err, ErrNotAllowed):
		r.cfg.Log.Info().Int64("ticket", id).Err(err).Msg("resolve came due on a ticket that moved on; left as it is")
		return nil, nil, nil
	}
	return nil, nil, err
}

// resolve ends the chat as solved by the agent named by: the ticket is
// Resolvido and the customer is asked for a rating.
func (t *turn) resolve(by string) error {
	t.markResolved(by)
	if t.conv.State != stateWithAgent {
		if err := t.act(evAssign); err != nil {
			return err
		}
	}
	return t.act(evSolve)
}

// markResolved makes the ticket Resolvido by the agent named by.
func (t *turn) markResolved(by string) {
	t.ticketChanged = true
	t.note("status", by, store.StatusResolvido)
	t.ticket.Status = store.StatusResolvido
	t.ticket.ClosedAt = t.now
	t.ticket.CloseReason = store.CloseSolvedByAgent
}

// CheckTimers has the timer loop look for due timers now: after a
// ManualClock moved while Run runs (tests, the demo's clock).
func (r *Runtime) CheckTimers() { r.pokeTimers() }
