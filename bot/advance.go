package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"suporte/flows"
	"suporte/store"
)

// advanced is what one advance did and what the chat should do next.
type advanced struct {
	outs       []store.OutMsg // queued messages to send now, in order
	worked     bool           // an input or timer was handled
	usedTimers bool           // the timers were looked at
	retry      time.Duration  // blocked by a failed send until then
	err        error
}

// handled is what handling one inbox row left to do after the commit.
type handled struct {
	outs    []store.OutMsg // the chat's queued messages, replies included
	evs     []Event
	turnErr error // the turn failed: the customer got the apology instead
}

// handle runs one inbox row through its turn inside tx. The chat had
// nothing left to send (callers handle input only then), so what it has to
// send now is what the turn queued. A turn that fails is undone and
// replaced by an apology, and the row is consumed all the same, so one bad
// message never blocks the chat nor vanishes without an answer.
func (r *Runtime) handle(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, in store.Inbound) (handled, error) {
	var h handled
	h.turnErr = tx.Try(ctx, func() error {
		var err error
		h.evs, h.outs, err = r.inbound(ctx, tx, fl, now, in)
		return err
	})
	if h.turnErr != nil {
		if ctx.Err() != nil || errors.Is(h.turnErr, store.ErrRerun) {
			return h, h.turnErr
		}
		r.logChat(r.cfg.Log.Error(), in.Chat).Err(h.turnErr).Int64("inbox", in.ID).Msg("handle message failed; apologizing")
		h.evs = nil
		sorry := []store.OutMsg{{Chat: in.Chat, Line: in.Line, Text: fl.File.Texts.Error.Value, Author: "bot", CreatedAt: now}}
		r.newIDs(sorry)
		var err error
		if sorry[0].ID, err = tx.AppendOutbox(ctx, sorry[0]); err != nil {
			return h, err
		}
		h.outs = sorry
		if err := tx.FinishInbox(ctx, in.ID, now); err != nil {
			return h, err
		}
	}
	h.outs = h.outs[:min(len(h.outs), maxBurst)]
	return h, r.assignIDs(ctx, tx, h.outs)
}

// afterHandle does what follows a handled row's commit: measures it,
// tells the console, sends read receipts.
func (r *Runtime) afterHandle(ctx context.Context, fl *flows.Flow, in store.Inbound, h handled, err error) {
	r.observeHandled(in, cmpErr(err, h.turnErr))
	if err != nil {
		return
	}
	r.publish(h.evs...)
}

// advance is one job at the store's writer for chat, so its reads hit the
// writer's warm cache and its writes share the group commit: record the
// sends of the previous round; if nothing is left to send, handle the
// oldest input (or, when told, the due timers); return what is now queued.
func (r *Runtime) advance(ctx context.Context, chat string, rec sendRecord, timers bool) advanced {
	now := r.cfg.Clock.Now()
	fl := r.cfg.Flow()
	var (
		res   advanced
		h     handled
		evs   []Event
		in    *store.Inbound
		fired bool
	)
	// The lock, and the sends' record with the look at whether the chat
	// is idle, open the job: on PostgreSQL the writer does those of the
	// batch's jobs together (store.Opening).
	open := store.Opening{Line: r.cfg.Line, Chat: chat}
	if sent, ok := plainSends(rec); ok && !timers {
		open.Sent, open.At = sent, now
	}
	err := r.cfg.Store.UpdateOpening(ctx, open, func(tx *store.Tx) error {
		res, h, evs, in, fired = advanced{}, handled{}, nil, nil, false // a retried job starts over
		if err := tx.LockChat(ctx, r.cfg.Line, chat); err != nil {
			return err
		}
		// After sending, a chat has usually nothing more to do: one
		// cheap look, with the sends' record, says so without reading rows.
		idleOf := ""
		if !timers {
			idleOf = chat
		}
		idle, err := recordSendsIdle(ctx, tx, rec, now, r.cfg.Line, idleOf)
		if err != nil || idle {
			return err
		}
		if rec.failed != nil {
			res.retry = backoff(rec.failed.Attempts + 1)
			return nil
		}
		outs, err := tx.PendingOutbox(ctx, r.cfg.Line, chat, maxBurst)
		if err != nil || len(outs) > 0 {
			res.outs = outs
			return r.assignIDs(ctx, tx, outs)
		}
		next, err := tx.NextInbox(ctx, r.cfg.Line, chat)
		switch {
		case err == nil:
			in, res.worked = &next, true
			h, err = r.handle(ctx, tx, fl, now, next)
			res.outs = h.outs
			return err
		case !errors.Is(err, store.ErrNotFound):
			return err
		case timers:
			res.usedTimers = true
			if err := tx.Try(ctx, func() error {
				evs, res.outs, fired, err = r.fireTimers(ctx, tx, fl, now, chat)
				return err
			}); err != nil {
				return err
			}
			// Nothing was queued before (see above): what the turn queued
			// is what there is to send.
			res.worked = fired
			res.outs = res.outs[:min(len(res.outs), maxBurst)]
			return r.assignIDs(ctx, tx, res.outs)
		}
		return nil
	})
	if in != nil {
		r.afterHandle(ctx, fl, *in, h, err)
		if err == nil && h.turnErr == nil {
			r.markRead(ctx, fl, *in)
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			r.logChat(r.cfg.Log.Error(), chat).Err(err).Msg("chat work failed; will retry")
		}
		return advanced{err: err}
	}
	r.publish(evs...)
	if fired {
		r.pokeTimers()
	}
	return res
}

// cmpErr returns the first non-nil error.
func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// inbound runs one inbox row through its turn.
func (r *Runtime) inbound(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, in store.Inbound) ([]Event, []store.OutMsg, error) {
	late := in.Kind != KindFromMe && in.Kind != KindCall && !in.SentAt.IsZero() && now.Sub(in.SentAt) > fl.File.Settings.LateAfter.Duration
	backlog := false
	if late {
		// Answer a late backlog once: only its newest message, and not
		// when the apology already went out after this one was written.
		next, err := tx.NextInboxAfter(ctx, r.cfg.Line, in.Chat, in.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		backlog = err == nil && next.Kind != KindFromMe
		if !backlog {
			if backlog, err = tx.SaidSince(ctx, r.cfg.Line, in.Chat, strings.TrimRight(fl.File.Texts.Late.Value, "\n "), in.SentAt); err != nil {
				return nil, nil, err
			}
		}
	}
	return r.turn(ctx, tx, fl, now, in.Chat, func(t *turn) error {
		return r.inboundTurn(ctx, t, in, late, backlog)
	}, &in)
}

// fireTimers handles chat's oldest due timer, if any, and returns the
// turn's events and the messages it queued.
func (r *Runtime) fireTimers(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, chat string) ([]Event, []store.OutMsg, bool, error) {
	timers, err := tx.Timers(ctx, r.cfg.Line, chat)
	if err != nil {
		return nil, nil, false, err
	}
	// A timer moved later since the loop's look is woken early: its wake
	// moves up to its due time.
	if slices.ContainsFunc(timers, func(tm store.Timer) bool { return tm.Due.After(now) }) {
		if err := tx.RearmTimers(ctx, r.cfg.Line, chat, now); err != nil {
			return nil, nil, false, err
		}
	}
	for _, tm := range timers {
		if tm.Due.After(now) {
			continue
		}
		if err := tx.DeleteTimer(ctx, r.cfg.Line, chat, tm.Kind); err != nil {
			return nil, nil, false, err
		}
		if tm.Kind == ResolveTimer {
			evs, outs, err := r.resolveDue(ctx, tx, fl, now, tm)
			return evs, outs, true, err
		}
		evs, outs, err := r.turn(ctx, tx, fl, now, chat, func(t *turn) error {
			return r.engine.Step(ctx, t, input{kind: kindTimer, timer: tm.Kind})
		}, nil)
		return evs, outs, true, err // the turn (re)set the next timer: look again next round
	}
	return nil, nil, false, nil
}
