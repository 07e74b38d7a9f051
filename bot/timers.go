package bot

import (
	"context"
	"errors"
	"math"
	"time"

	"suporte/store"
)

// timerLoop wakes chats whose timers are due. It sleeps until the earliest
// timer's wake (its due time, or earlier when the timer was moved later
// since) or until a turn sets one due sooner (timerSet), whichever comes
// first; the chat's worker does the firing, in order with its other work.
func (r *Runtime) timerLoop(ctx context.Context) {
	const idle = time.Minute // re-check even if nothing pokes
	for {
		r.timerWake.Store(math.MinInt64) // while reading, any new timer pokes
		wait := idle
		var chats []string
		err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			now := r.cfg.Clock.Now()
			if chats, err = tx.WakeChats(ctx, r.cfg.Line, now, 1000); err != nil {
				return err
			}
			next, err := tx.NextWake(ctx, r.cfg.Line)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if d := next.Sub(now); d > 0 && d < wait {
				wait = d
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			r.cfg.Log.Error().Err(err).Msg("read timers")
		}
		// A chat's worker fires its due timers and moves the wake of
		// those moved later since (store.RearmTimers).
		for _, chat := range chats {
			r.wakeFor(chat, true, nil)
		}
		if len(chats) > 0 && wait > time.Second {
			wait = time.Second // being looked at: look again soon
		}
		r.timerWake.Store(r.cfg.Clock.Now().Add(wait).UnixMilli())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.timerCh:
		case <-t.C:
		}
		t.Stop()
	}
}

// timerSet is told, after the commit, of a timer a turn set. Most are due
// long after the loop's next look (a reminder is minutes away): only one
// due sooner wakes the loop, so a busy chat costs it nothing.
func (r *Runtime) timerSet(due time.Time) {
	if due.UnixMilli() < r.timerWake.Load() {
		r.pokeTimers()
	}
}

// pokeTimers tells the timer loop the timers changed.
func (r *Runtime) pokeTimers() {
	select {
	case r.timerCh <- struct{}{}:
	default:
	}
}
