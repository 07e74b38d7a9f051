package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"suporte/flows"
	"suporte/store"
)

// wake makes sure chat's work gets done: by a worker when running, or by
// the next Drain when driven step by step. timers says the chat may have
// due timers (only the timer loop knows; checking them on every step
// would cost a write per message).
func (r *Runtime) wake(chat string) { r.wakeFor(chat, false, nil) }

// handOver gives an inline turn's replies to the chat's worker, which
// marks the message read and sends them without reading them again.
func (r *Runtime) handOver(ctx context.Context, fl *flows.Flow, in store.Inbound, h handled) {
	r.mu.Lock()
	async := r.async
	r.mu.Unlock()
	if !async || h.turnErr != nil {
		if h.turnErr == nil {
			r.markRead(ctx, fl, in)
		}
		r.wake(in.Chat)
		return
	}
	r.wakeFor(in.Chat, false, h.outs, in)
}

func (r *Runtime) wakeFor(chat string, timers bool, outs []store.OutMsg, read ...store.Inbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.async {
		r.pending[chat] = r.pending[chat] || timers
		return
	}
	if w, ok := r.workers[chat]; ok {
		w.again = true
		w.timers = w.timers || timers
		w.outs = append(w.outs, outs...)
		w.read = append(w.read, read...)
		return
	}
	if r.closed || r.ctx.Err() != nil {
		return // the chat's work waits in the store for the next start
	}
	w := &worker{timers: timers, outs: outs, read: read}
	r.workers[chat] = w
	r.wg.Add(1)
	go r.work(r.ctx, chat, w)
}

// work is one chat's goroutine: it exits when the chat has nothing to do,
// so idle chats cost no memory.
func (r *Runtime) work(ctx context.Context, chat string, w *worker) {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		timers := w.timers
		w.timers, w.again = false, false
		r.mu.Unlock()
		retry, timersLeft := r.serve(ctx, chat, timers, w)
		r.mu.Lock()
		// Timers left behind a send in backoff wait for its retry: going
		// round again now would only find the chat blocked again.
		if ctx.Err() == nil && (w.again || w.timers || (timersLeft && retry == 0)) {
			w.timers = w.timers || timersLeft
			r.mu.Unlock()
			continue
		}
		delete(r.workers, chat)
		r.mu.Unlock()
		select {
		case r.ended <- struct{}{}:
		default:
		}
		if retry > 0 && ctx.Err() == nil {
			time.AfterFunc(retry, func() { r.wakeFor(chat, timersLeft, nil) })
		}
		return
	}
}

// Drain does all pending work, in the caller's goroutine, until every chat
// is idle. Used when the runtime is driven step by step.
func (r *Runtime) Drain(ctx context.Context) error {
	r.mu.Lock()
	for c := range r.held { // their records are tried again, once per Drain
		if _, ok := r.pending[c]; !ok {
			r.pending[c] = false
		}
	}
	r.mu.Unlock()
	for {
		r.mu.Lock()
		var chat string
		var timers bool
		for c, t := range r.pending {
			chat, timers = c, t
			break
		}
		delete(r.pending, chat)
		r.mu.Unlock()
		if chat == "" {
			// Idle: fetch the files that came; a failed one may give its
			// chat something to say.
			if err := r.downloadDue(ctx); err != nil {
				return err
			}
			r.mu.Lock()
			more := len(r.pending) > 0
			r.mu.Unlock()
			if more {
				continue
			}
			return ctx.Err()
		}
		for {
			retry, left := r.serve(ctx, chat, timers, nil)
			if !left || retry > 0 || ctx.Err() != nil {
				break // done, or blocked by a send in backoff (AdvanceTo retries it)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// AdvanceTo moves a ManualClock to t, firing every timer and retrying
// every failed send due on the way at its own instant, in order. A chat's
// timers wait while a failed send of the chat waits for its retry, as they
// do in Run. Used by the simulator and tests.
func (r *Runtime) AdvanceTo(ctx context.Context, clock *ManualClock, t time.Time) error {
	blocked := map[string]bool{} // chats whose due timers wait behind a retry
	for {
		var (
			due     []store.Timer
			retry   store.OutMsg
			retries bool
		)
		err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			if due, err = tx.DueTimers(ctx, r.cfg.Line, t, 0); err != nil {
				return err
			}
			retry, err = tx.NextRetry(ctx, r.cfg.Line)
			retries = err == nil && !retry.NextTry.After(t)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("advance clock: %w", err)
		}
		due = slices.DeleteFunc(due, func(tm store.Timer) bool { return blocked[tm.Chat] })
		switch {
		case retries && (len(due) == 0 || !retry.NextTry.After(due[0].Due)):
			clock.Set(latest(clock.Now(), retry.NextTry))
			delete(blocked, retry.Chat)
			r.wake(retry.Chat)
		case len(due) > 0:
			clock.Set(latest(clock.Now(), due[0].Due))
			blocked[due[0].Chat] = true // until a timer of it fires
			r.wakeFor(due[0].Chat, true, nil)
		default:
			clock.Set(t)
			return nil
		}
		if err := r.Drain(ctx); err != nil {
			return err
		}
		if len(due) > 0 {
			if err := r.unblock(ctx, due[0], blocked); err != nil {
				return err
			}
		}
	}
}

// unblock forgets that tm's chat is blocked when tm was fired.
func (r *Runtime) unblock(ctx context.Context, tm store.Timer, blocked map[string]bool) error {
	return r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		timers, err := tx.Timers(ctx, r.cfg.Line, tm.Chat)
		if !slices.Contains(timers, tm) {
			delete(blocked, tm.Chat)
		}
		return err
	})
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
