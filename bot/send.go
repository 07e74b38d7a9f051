package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"suporte/flows"
	"suporte/store"
)

// serve works chat until it is idle or blocked: each round is one job at
// the store's writer (record what was just sent, handle the next input or
// due timer, read what is queued to send) followed by the sends. w, when
// running asynchronously, carries replies handed over by Receive and
// remembers what was sent. retry > 0 says when a blocked chat (a failed
// send in backoff, or sends the store could not record) should be looked
// at again; timersLeft that the timers were not looked at.
func (r *Runtime) serve(ctx context.Context, chat string, timers bool, w *worker) (retry time.Duration, timersLeft bool) {
	rec, fails := r.takeHeld(chat)
	defer func() { r.recordLeft(ctx, chat, rec, fails) }()
	for ctx.Err() == nil {
		var outs []store.OutMsg
		if w != nil {
			r.mu.Lock()
			outs, w.outs = w.outs, nil
			read := w.read
			w.read = nil
			r.mu.Unlock()
			fl := r.cfg.Flow()
			for _, in := range read {
				r.markRead(ctx, fl, in)
			}
		}
		if outs = unsent(w, rec, outs); len(outs) == 0 {
			res := r.advance(ctx, chat, rec, timers)
			if res.err != nil {
				// What was delivered stays held as delivered, never sent
				// again, and its record is retried with backoff.
				fails++
				r.hold(chat, rec, fails)
				rec = sendRecord{}
				return recordBackoff(fails), timers
			}
			rec, fails = sendRecord{}, 0
			timers = timers && !res.usedTimers
			if res.retry > 0 {
				return res.retry, timers
			}
			if outs = unsent(w, rec, res.outs); len(outs) == 0 {
				if res.worked || len(res.outs) > 0 {
					continue
				}
				return 0, timers
			}
		}
		if wait := outs[0].NextTry.Sub(r.cfg.Clock.Now()); wait > 0 {
			return wait, timers
		}
		if r.cfg.Sleep != nil && len(rec.done) > 0 {
			// Paced, each message is recorded before the next goes out
			// (see send), so a crash repeats one at most: replies handed
			// over by an inline turn must not jump that.
			err := r.cfg.Store.UpdateChat(ctx, chat, func(tx *store.Tx) error {
				return recordSends(ctx, tx, rec, r.cfg.Clock.Now())
			})
			if err != nil {
				fails++
				r.hold(chat, rec, fails)
				rec = sendRecord{}
				return recordBackoff(fails), timers
			}
			rec, fails = sendRecord{}, 0
		}
		more := r.send(ctx, outs)
		rec.done = append(rec.done, more.done...)
		rec.failed, rec.sendErr = more.failed, more.sendErr
		if w != nil && len(more.done) > 0 {
			w.sent = max(w.sent, more.done[len(more.done)-1].id)
		}
		if rec.failed != nil {
			outs = nil
			if w != nil {
				r.mu.Lock()
				w.outs = nil // they follow the failed one: the backoff decides
				r.mu.Unlock()
			}
		}
	}
	return 0, timers
}

// recordLeft records the sends serve leaves unrecorded: the runtime is
// stopping (ctx is done), or serve returned to wait before its next
// round. If the store fails, they are held in memory for the chat's next
// round, or, when stopping, go out again on the next start. It takes up
// to recordLeftFor past a cancelled ctx; the store closes after Run
// returns.
func (r *Runtime) recordLeft(ctx context.Context, chat string, rec sendRecord, fails int) {
	if rec.failed != nil && ctxErr(rec.sendErr) {
		rec.failed = nil // interrupted by the stop: not the transport's failure
	}
	if len(rec.done) == 0 && rec.failed == nil {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordLeftFor)
	defer cancel()
	err := r.cfg.Store.UpdateChat(wctx, chat, func(tx *store.Tx) error {
		return recordSends(wctx, tx, rec, r.cfg.Clock.Now())
	})
	switch {
	case err == nil:
	case ctx.Err() == nil:
		r.hold(chat, rec, fails+1)
	default:
		r.cfg.Log.Warn().Err(err).Int("sent", len(rec.done)).Msg("record sends; they go out again on the next start")
	}
}

const recordLeftFor = 5 * time.Second

// held is what a chat delivered but could not record (the store failing
// writes). The runtime keeps it as delivered, so nothing is sent twice,
// and the chat's next round records it before anything else.
type held struct {
	rec   sendRecord
	fails int // records failed in a row: the next try's backoff
}

// hold keeps rec as chat's delivered-but-unrecorded sends.
func (r *Runtime) hold(chat string, rec sendRecord, fails int) {
	if len(rec.done) == 0 && rec.failed == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.held[chat]
	h.rec.done = append(h.rec.done, rec.done...)
	if rec.failed != nil {
		h.rec.failed, h.rec.sendErr = rec.failed, rec.sendErr
	}
	h.fails = fails
	r.held[chat] = h
}

// takeHeld hands chat's held sends to its round.
func (r *Runtime) takeHeld(chat string) (sendRecord, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.held[chat]
	delete(r.held, chat)
	return h.rec, h.fails
}

// recordHeld makes one last try, when the runtime stops, to record what
// chats hold; what it cannot record goes out again on the next start.
func (r *Runtime) recordHeld(ctx context.Context) {
	r.mu.Lock()
	all := r.held
	r.held = map[string]held{}
	r.mu.Unlock()
	if len(all) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordLeftFor)
	defer cancel()
	sent := 0
	err := r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		sent = 0
		for _, h := range all {
			sent += len(h.rec.done)
			if err := recordSends(ctx, tx, h.rec, r.cfg.Clock.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.cfg.Log.Warn().Err(err).Int("sent", sent).Int("chats", len(all)).Msg("record sends; they go out again on the next start")
	}
}

// recordBackoff is the wait before the n-th retry of a failed record:
// 1s, 2s, 4s... capped at 30 s, so replies resume soon after the store does.
func recordBackoff(n int) time.Duration {
	return min(backoff(n), 30*time.Second)
}

// unsent drops messages already delivered: by this worker, or held in rec
// (a reply handed over by Receive may also be read back before its send is
// recorded).
func unsent(w *worker, rec sendRecord, outs []store.OutMsg) []store.OutMsg {
	return slices.DeleteFunc(outs, func(m store.OutMsg) bool {
		return (w != nil && m.ID <= w.sent) || slices.ContainsFunc(rec.done, func(d sentMsg) bool { return d.id == m.ID })
	})
}

// outbound turns an outbox row into what a transport sends.
func outbound(m store.OutMsg, poll bool) Outbound {
	out := Outbound{Seq: m.ID, Chat: m.Chat, Text: m.Text, ID: m.WAID, Poll: poll && len(m.Options) > 1}
	for _, o := range m.Options {
		out.Options = append(out.Options, Option{Key: o.Key, Label: o.Label})
	}
	return out
}

// Sent finds an outbound message by a transport id (its text's or its
// poll's), for transports that must resend or decode answers to it.
func (r *Runtime) Sent(ctx context.Context, transportID string) (Outbound, bool, error) {
	var m store.OutMsg
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		m, err = tx.OutboxByWAID(ctx, r.cfg.Line, transportID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return Outbound{}, false, nil
	}
	if err != nil {
		return Outbound{}, false, fmt.Errorf("find sent message %s: %w", transportID, err)
	}
	return outbound(m, m.PollID != ""), true, nil
}

// RetrySends sends now what waits for a retry after failed sends: the
// transport says its connection is back, and backoffs grown during an
// outage (up to 5 minutes) would only delay the replies.
func (r *Runtime) RetrySends(ctx context.Context) error {
	var chats []string
	err := r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		chats, err = tx.RetryNow(ctx, r.cfg.Line, r.cfg.Clock.Now())
		return err
	})
	if err != nil {
		return fmt.Errorf("retry sends: %w", err)
	}
	for _, c := range chats {
		r.wake(c)
	}
	return nil
}

// backoff is the wait before retry n: 1s, 2s, 4s... capped at 5 minutes.
func backoff(n int) time.Duration {
	d := time.Second << min(n-1, 9)
	return min(d, 5*time.Minute)
}

// markRead sends read receipts for a handled customer message, if the
// transport can and the flows want it. Failing to is not worth a retry.
func (r *Runtime) markRead(ctx context.Context, fl *flows.Flow, in store.Inbound) {
	rd, ok := r.cfg.Transport.(reader)
	if !ok || !fl.MarkRead() || in.Kind == KindFromMe || in.Kind == KindCall {
		return
	}
	if err := rd.MarkRead(ctx, in.Chat, []string{in.MsgID}, r.cfg.Clock.Now()); err != nil {
		r.cfg.Log.Debug().Err(err).Str("chat", in.Chat).Msg("mark read")
	}
}

// maxBurst bounds how many queued messages of a chat one round sends.
const maxBurst = 32

// sendRecord is what a round of sending leaves to record: the messages
// delivered and the one that failed, if any.
type sendRecord struct {
	done    []sentMsg
	failed  *store.OutMsg
	sendErr error
}

type sentMsg struct {
	id           int64
	waID, pollID string
}

// recordSends marks delivered messages sent and a failed one for retry.
func recordSends(ctx context.Context, tx *store.Tx, rec sendRecord, now time.Time) error {
	_, err := recordSendsIdle(ctx, tx, rec, now, "", "")
	return err
}

// recordSendsIdle is recordSends that, given a chat and with messages
// delivered and none failed, also says whether the chat is idle then
// (store.Tx.ChatIdle), in the same round trip.
func recordSendsIdle(ctx context.Context, tx *store.Tx, rec sendRecord, now time.Time, line, chat string) (idle bool, err error) {
	sent := make([]store.Sent, 0, len(rec.done))
	for _, d := range rec.done {
		if d.pollID != "" {
			if err := tx.SetOutboxPollID(ctx, d.id, d.pollID); err != nil {
				return false, err
			}
		}
		sent = append(sent, store.Sent{ID: d.id, WAID: d.waID})
	}
	switch {
	case len(sent) > 0 && chat != "" && rec.failed == nil:
		return tx.MarkSentIdle(ctx, sent, now, line, chat)
	case len(sent) > 0:
		if err := tx.MarkSentAll(ctx, sent, now); err != nil {
			return false, err
		}
	}
	if f := rec.failed; f != nil {
		return false, tx.MarkSendFailed(ctx, f.ID, rec.sendErr.Error(), now.Add(backoff(f.Attempts+1)))
	}
	return false, nil
}

// plainSends returns the sends rec records as recordSendsIdle passes them
// to MarkSentIdle, if it does: some delivered, none failed, no poll.
func plainSends(rec sendRecord) ([]store.Sent, bool) {
	if len(rec.done) == 0 || rec.failed != nil {
		return nil, false
	}
	sent := make([]store.Sent, 0, len(rec.done))
	for _, d := range rec.done {
		if d.pollID != "" {
			return nil, false
		}
		sent = append(sent, store.Sent{ID: d.id, WAID: d.waID})
	}
	return sent, true
}

// newIDs gives messages about to be queued their transport ids, when the
// transport chooses them (see idAssigner): stored with the row, instead of
// written again by assignIDs before its first attempt. A standby's
// transport gives none; the owner's send then does.
func (r *Runtime) newIDs(msgs []store.OutMsg) {
	a, ok := r.cfg.Transport.(idAssigner)
	if !ok {
		return
	}
	for i := range msgs {
		if msgs[i].WAID == "" {
			msgs[i].WAID = a.NewMessageID()
		}
	}
}

// assignIDs gives queued messages their transport ids before the first
// attempt, when the transport chooses them: a resend after a crash then
// reuses the id and the customer's phone shows one message, not two.
func (r *Runtime) assignIDs(ctx context.Context, tx *store.Tx, msgs []store.OutMsg) error {
	a, ok := r.cfg.Transport.(idAssigner)
	if !ok {
		return nil
	}
	for i := range msgs {
		if msgs[i].WAID == "" {
			msgs[i].WAID = a.NewMessageID()
			if err := tx.SetOutboxWAID(ctx, msgs[i].ID, msgs[i].WAID); err != nil {
				return err
			}
		}
	}
	return nil
}

// send delivers a chat's queued messages in order, each paced like a
// person typing. It stops at the first failure, which stays at the head of
// the chat's queue, so nothing behind it jumps ahead. What it returns is
// recorded by the chat's next advance; when pacing, each message is
// recorded before the pause, so a crash during a pause never resends it.
func (r *Runtime) send(ctx context.Context, msgs []store.OutMsg) sendRecord {
	poll := r.cfg.Flow().MenuStyle() == "poll"
	var rec sendRecord
	for i := range msgs {
		m := &msgs[i]
		if r.cfg.Sleep != nil {
			if len(rec.done) > 0 {
				if err := r.cfg.Store.UpdateChat(ctx, m.Chat, func(tx *store.Tx) error {
					return recordSends(ctx, tx, rec, r.cfg.Clock.Now())
				}); err != nil {
					return rec // the next advance records them
				}
				rec.done = rec.done[:0]
			}
			if t, ok := r.cfg.Transport.(typist); ok {
				if err := t.Typing(ctx, m.Chat); err != nil {
					r.cfg.Log.Debug().Err(err).Str("chat", m.Chat).Msg("typing presence")
				}
			}
			if err := r.cfg.Sleep(ctx, r.cfg.Flow().Pacing(len([]rune(m.Text)))); err != nil {
				return rec
			}
		}
		if r.cfg.Limit != nil {
			if err := r.cfg.Limit.Wait(ctx); err != nil {
				return rec
			}
		}
		if r.cfg.Fence != nil {
			if err := r.cfg.Fence(ctx); err != nil {
				r.fenced(err)
				return rec
			}
		}
		out := outbound(*m, poll)
		if m.Media != 0 {
			if out.File = r.outFile(ctx, *m); out.File == nil && strings.TrimSpace(out.Text) == "" {
				out.Text = "📎 (arquivo indisponível)"
			}
		}
		sent, err := r.cfg.Transport.Send(ctx, out)
		if o := r.cfg.Observe; o != nil {
			o.Sent(m.Chat, err)
			if mo, ok := o.(MediaObserver); ok && err == nil && out.File != nil {
				mo.MediaOut(out.File.Kind)
			}
		}
		if err != nil {
			r.logChat(r.cfg.Log.Warn(), m.Chat).Err(err).Int64("outbox", m.ID).Int("attempt", m.Attempts+1).Msg("send failed; will retry")
			rec.failed, rec.sendErr = m, err
			return rec
		}
		waID := sent.ID
		if waID == "" {
			waID = m.WAID
		}
		rec.done = append(rec.done, sentMsg{m.ID, waID, sent.PollID})
	}
	return rec
}
