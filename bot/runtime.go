package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

// Transport delivers outbound messages to customers: WhatsApp, the demo's
// simulated phone, or the simulator's terminal.
type Transport interface {
	// Send delivers m and returns the transport's message ids.
	Send(ctx context.Context, m Outbound) (Sent, error)
}

// typist is a transport that can show "typing..." before a message.
type typist interface {
	Typing(ctx context.Context, chat string) error
}

// idAssigner is a transport whose message ids the sender chooses. The id is
// stored before the first attempt, so a resend after a crash reuses it and
// the recipient's phone sees one message, not two.
type idAssigner interface {
	NewMessageID() string
}

// reader is a transport that can mark customer messages as read.
type reader interface {
	MarkRead(ctx context.Context, chat string, ids []string, at time.Time) error
}

// Config wires a Runtime.
type Config struct {
	Store     *store.DB
	Flow      func() *flows.Flow // the current flows; a reload swaps what it returns
	Transport Transport
	Clock     Clock
	Log       zerolog.Logger
	// Sleep pauses the sender before a message (typing pacing); nil means
	// no pause (simulator, tests, benchmarks).
	Sleep func(ctx context.Context, d time.Duration) error
	// Limit, if set, caps the sending rate across all chats.
	Limit *Limiter
	// Observe, if set, is told about every message in and out.
	Observe Observer
	// StopTimeout bounds how long Run, once its context ends, keeps
	// finishing the chats it is working on (their input already taken,
	// their replies queued) before it leaves the rest to the next start.
	// Zero means DefaultStopTimeout.
	StopTimeout time.Duration
}

// DefaultStopTimeout is Config.StopTimeout's default: room for a few paced
// replies, well inside the systemd unit's TimeoutStopSec (30 s).
const DefaultStopTimeout = 10 * time.Second

// ErrStopping is Receive's answer once Run's context has ended: the
// message is not stored, so the transport must not acknowledge it (it is
// delivered again after the restart).
var ErrStopping = errors.New("runtime stopping")

// Runtime moves customer messages through the engine and the outbox. Per
// chat everything is serial and in order: send what is queued for the chat,
// then handle its next input, then its due timers. Across chats, work runs
// in parallel and meets only in the store's group commit.
type Runtime struct {
	cfg    Config
	engine *Engine

	mu       sync.Mutex
	async    bool               // set by Run: wakes start goroutines
	stopping <-chan struct{}    // Run's context's Done: closed, Receive refuses input
	closed   bool               // Run drained: no worker starts anymore
	ended    chan struct{}      // a worker ended (buffered: a poke for drain)
	workers  map[string]*worker // chats with a running worker
	pending  map[string]bool    // sync mode: chats with work for Drain (true: timers may be due)
	wg       sync.WaitGroup
	ctx      context.Context // Run's context, for workers
	timerCh  chan struct{}   // pokes the timer loop
	// timerWake is when the timer loop looks next (unix ms on Clock);
	// math.MinInt64 while it reads the timers.
	timerWake atomic.Int64
	events    broker          // live events for the console
	online    func() []string // agents online, told by the console
	timing    receipts        // when inbox rows were persisted
}

type worker struct {
	again, timers bool
	outs          []store.OutMsg  // replies handed over by an inline turn, to send first
	read          []store.Inbound // handled messages to mark read before replying
	sent          int64           // highest outbox id this worker sent: never send one twice
}

// New returns a runtime; call Run for the service, or Drain/AdvanceTo to
// drive it step by step (simulator, tests).
func New(cfg Config) *Runtime {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	return &Runtime{
		cfg:     cfg,
		engine:  NewEngine(),
		workers: map[string]*worker{},
		pending: map[string]bool{},
		timerCh: make(chan struct{}, 1),
		ended:   make(chan struct{}, 1),
	}
}

// Receive persists an inbound message, idempotently, and schedules its
// handling. It returns only after the message is durable, so a transport
// may acknowledge it then; dup reports a redelivery, which is ignored.
func (r *Runtime) Receive(ctx context.Context, in Inbound) (dup bool, err error) {
	if in.Chat == "" || in.ID == "" {
		return false, errors.New("receive: message without chat or id")
	}
	r.mu.Lock()
	stopping := r.stopping
	r.mu.Unlock()
	select {
	case <-stopping: // nil (never ready) before Run
		return false, ErrStopping
	default:
	}
	if in.Kind == "" {
		in.Kind = KindText
	}
	// WhatsApp's protobufs (proto2) do not check UTF-8, and the bot echoes
	// what customers send (a ticket's messages, the requester's name, an
	// ID it could not read): keep both valid from here on.
	in.Text = strings.ToValidUTF8(in.Text, "\uFFFD")
	in.PushName = strings.ToValidUTF8(in.PushName, "\uFFFD")
	if utf8.RuneCountInString(in.Text) > MaxText {
		in.Text = string([]rune(in.Text)[:MaxText]) + cutMark
	}
	now := r.cfg.Clock.Now()
	if in.At.IsZero() {
		in.At = now
	}
	// Timed before the commit: once it is stored, a chat's running worker
	// may handle the message before this call returns.
	arrived, key := time.Now(), in.Chat+"\x00"+in.ID
	timed := r.cfg.Observe != nil && r.timing.putNew(key, arrived)
	fl := r.cfg.Flow()
	var (
		row    store.Inbound
		inline bool
		res    handled
	)
	err = r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		row = store.Inbound{
			Chat: in.Chat, MsgID: in.ID, Kind: in.Kind, Text: in.Text,
			SentAt: in.At, ReceivedAt: now, PushName: in.PushName, Phone: in.Phone,
		}
		// When nothing of this chat is waiting (no older input, nothing
		// queued to send), the message is handled in the same transaction:
		// one commit makes it durable and answers it.
		var err error
		if row.ID, dup, inline, err = tx.AcceptInbox(ctx, row); err != nil || dup || !inline {
			return err
		}
		row.Done = true
		res, err = r.handle(ctx, tx, fl, now, row)
		return err
	})
	if (err != nil || dup) && timed {
		r.timing.drop(key, arrived)
	}
	if err != nil {
		return false, fmt.Errorf("receive %s: %w", in.ID, err)
	}
	if o := r.cfg.Observe; o != nil {
		o.Received(in.Chat, dup)
	}
	switch {
	case dup:
	case inline:
		r.afterHandle(ctx, fl, row, res, nil)
		r.handOver(ctx, fl, row, res)
	default:
		r.wake(in.Chat)
	}
	return dup, nil
}

// MaxText is the longest customer message kept whole; longer ones keep
// their beginning, marked, and the customer is told.
const MaxText = 4096

const cutMark = " […]"

// Run handles work until ctx ends: it resumes chats left with work by a
// previous process, fires timers, and starts a worker per chat with work.
// When ctx ends, Receive refuses new input and Run returns once the chats
// being worked on are finished, or after Config.StopTimeout, whichever
// comes first; what is left waits in the store for the next start. Run
// is called once per Runtime.
func (r *Runtime) Run(ctx context.Context) error {
	// Workers run on their own context, so they can finish after ctx ends.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	r.mu.Lock()
	r.async = true
	r.ctx = work
	r.stopping = ctx.Done()
	pending := r.pending
	r.pending = map[string]bool{}
	r.mu.Unlock()
	defer r.drain(stopWork)

	var chats []string
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		chats, err = tx.WorkChats(ctx)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return fmt.Errorf("resume chats: %w", err)
	}
	for c := range pending {
		chats = append(chats, c)
	}
	for _, c := range chats {
		r.wake(c)
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.queueLoop(ctx, 30*time.Second)
	}()
	r.timerLoop(ctx)
	return nil
}

// drain runs once Run's context has ended (Receive already refuses input):
// it waits for the running workers for up to StopTimeout, then stops them
// and waits for every goroutine of Run.
func (r *Runtime) drain(stopWork context.CancelFunc) {
	limit := r.cfg.StopTimeout
	if limit <= 0 {
		limit = DefaultStopTimeout
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		r.mu.Lock()
		left := len(r.workers)
		r.mu.Unlock()
		if left == 0 {
			break
		}
		select {
		case <-r.ended:
			continue
		case <-t.C:
			r.cfg.Log.Warn().Int("chats", left).Dur("stop_timeout", limit).Msg("stopping before every chat was finished; they resume on the next start")
		}
		break
	}
	r.mu.Lock()
	r.closed = true // no worker starts from here on: r.wg cannot grow
	r.mu.Unlock()
	stopWork()
	r.wg.Wait()
}

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
			if due, err = tx.DueTimers(ctx, t, 0); err != nil {
				return err
			}
			retry, err = tx.NextRetry(ctx)
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
		timers, err := tx.Timers(ctx, tm.Chat)
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

// serve works chat until it is idle or blocked: each round is one job at
// the store's writer (record what was just sent, handle the next input or
// due timer, read what is queued to send) followed by the sends. w, when
// running asynchronously, carries replies handed over by Receive and
// remembers what was sent. retry > 0 says when a blocked chat (a failed
// send in backoff) should be looked at again; timersLeft that the timers
// were not looked at.
func (r *Runtime) serve(ctx context.Context, chat string, timers bool, w *worker) (retry time.Duration, timersLeft bool) {
	var rec sendRecord
	defer func() { r.recordLeft(ctx, rec) }()
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
		if outs = w.unsent(outs); len(outs) == 0 {
			res := r.advance(ctx, chat, rec, timers)
			if res.err != nil {
				return time.Second, timers // rec is left to recordLeft
			}
			rec = sendRecord{}
			timers = timers && !res.usedTimers
			if res.retry > 0 {
				return res.retry, timers
			}
			if outs = w.unsent(res.outs); len(outs) == 0 {
				if res.worked || len(res.outs) > 0 {
					continue
				}
				return 0, timers
			}
		}
		if wait := outs[0].NextTry.Sub(r.cfg.Clock.Now()); wait > 0 {
			return wait, timers
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

// recordLeft records the sends serve could not leave to the chat's next
// advance: the runtime is stopping (ctx is done) or that advance failed.
// Unrecorded, they would go out again on the next start. It takes up to
// recordLeftFor past a cancelled ctx; the store closes after Run returns.
func (r *Runtime) recordLeft(ctx context.Context, rec sendRecord) {
	if rec.failed != nil && ctxErr(rec.sendErr) {
		rec.failed = nil // interrupted by the stop: not the transport's failure
	}
	if len(rec.done) == 0 && rec.failed == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordLeftFor)
	defer cancel()
	err := r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		return recordSends(ctx, tx, rec, r.cfg.Clock.Now())
	})
	if err != nil {
		r.cfg.Log.Warn().Err(err).Int("sent", len(rec.done)).Msg("record sends; they go out again on the next start")
	}
}

const recordLeftFor = 5 * time.Second

// unsent drops messages this worker already sent (a reply handed over by
// Receive may also be read back before its send is recorded).
func (w *worker) unsent(outs []store.OutMsg) []store.OutMsg {
	if w == nil {
		return outs
	}
	return slices.DeleteFunc(outs, func(m store.OutMsg) bool { return m.ID <= w.sent })
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
		m, err = tx.OutboxByWAID(ctx, transportID)
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
		chats, err = tx.RetryNow(ctx, r.cfg.Clock.Now())
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

// observeHandled reports a handled inbox row and its latency.
func (r *Runtime) observeHandled(in store.Inbound, err error) {
	o := r.cfg.Observe
	if o == nil {
		return
	}
	at, timed := r.timing.take(in.Chat + "\x00" + in.MsgID)
	if ctxErr(err) {
		return // not handled: the next start does it
	}
	var latency time.Duration
	if timed {
		latency = time.Since(at)
	}
	o.Handled(in.Chat, latency, err)
}

// ctxErr reports whether err only says the runtime is stopping.
func ctxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

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
	r.noteCustomer(t, in)
	if flooded, err := r.flooded(ctx, t, in); err != nil || flooded {
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
	return r.engine.Step(ctx, t, input{kind: in.Kind, text: in.Text, late: late})
}

// flooded keeps a chat that sends faster than a person reads from driving
// the bot: past settings.flood_max messages in flood_per, messages are kept
// on the ticket but not answered, and the customer is told once. Other
// chats are not slowed: each chat is worked on its own.
func (r *Runtime) flooded(ctx context.Context, t *turn, in store.Inbound) (bool, error) {
	s := t.flow.File.Settings
	if !Written(in.Kind) {
		return false, nil
	}
	l := t.lookup.(txLookup)
	since := t.now.Add(-s.FloodPer.Duration)
	n, err := l.tx.InboxSince(ctx, in.Chat, since, s.FloodMax+1)
	if err != nil || n <= s.FloodMax {
		return false, err
	}
	t.keepTimers = true
	text := strings.TrimRight(t.flow.File.Texts.Flood.Value, "\n ")
	told, err := l.tx.SaidSince(ctx, in.Chat, text, since)
	if err == nil && !told {
		t.say(text, nil)
	}
	return true, err
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

// load reads chat's rows into a new turn: its conversation, customer and
// the conversation's ticket.
func (r *Runtime) load(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, chat string) (*turn, error) {
	t := &turn{flow: fl, now: now, lookup: txLookup{ctx: ctx, tx: tx, now: now, rt: r}}
	var err error
	t.conv, err = tx.Conversation(ctx, chat)
	switch {
	case errors.Is(err, store.ErrNotFound):
		t.conv = store.Conversation{Chat: chat, State: stateClosed}
	case err != nil:
		return nil, err
	}
	t.customer, err = tx.Customer(ctx, chat)
	switch {
	case errors.Is(err, store.ErrNotFound):
		t.customer = store.Customer{Chat: chat, CreatedAt: now}
		t.customerChanged = true
	case err != nil:
		return nil, err
	}
	if t.conv.State != stateClosed && t.conv.Ticket != 0 {
		if t.ticket, err = tx.Ticket(ctx, t.conv.Ticket); err != nil {
			return nil, fmt.Errorf("load ticket %d: %w", t.conv.Ticket, err)
		}
	}
	return t, nil
}

// turn loads chat's rows, runs fn on them and writes back what changed:
// conversation, customer, ticket and its transcript, outbox, feedback,
// timers, and the inbox row when in is set. A customer message to a
// closed conversation opens a new one, with a new ticket. It returns the
// events for the console and the messages it queued, with their ids.
func (r *Runtime) turn(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, chat string, fn func(*turn) error, in *store.Inbound) ([]Event, []store.OutMsg, error) {
	t, err := r.load(ctx, tx, fl, now, chat)
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
		Chat: t.conv.Chat, Requester: requester, IDSuporte: t.customer.IDSuporte,
		Status: store.StatusAberto, CreatedAt: t.now, LastActivityAt: t.now,
	}
	id, err := tx.CreateTicket(ctx, t.ticket)
	if err != nil {
		return fmt.Errorf("open ticket: %w", err)
	}
	t.ticket.ID = id
	t.conv = store.Conversation{Chat: t.conv.Chat, State: stateClosed, Ticket: id, StartedAt: t.now, PausedUntil: t.conv.PausedUntil}
	return nil
}

// noteCustomer adds the customer's message to the ticket transcript.
func (r *Runtime) noteCustomer(t *turn, in store.Inbound) {
	text := in.Text
	if in.Kind != KindText {
		text = strings.TrimSpace("[" + in.Kind + "] " + in.Text)
	}
	t.note("customer", in.Chat, text)
}

func (r *Runtime) write(ctx context.Context, tx *store.Tx, t *turn, before string, ticketBefore store.Ticket, in *store.Inbound) error {
	now := t.now
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
	if t.ticket.ID != 0 {
		ticketBefore.LastActivityAt = t.ticket.LastActivityAt
		same := t.ticket == ticketBefore
		t.ticket.LastActivityAt = now
		if same {
			if err := tx.TouchTicket(ctx, t.ticket.ID, now); err != nil {
				return err
			}
		} else if err := tx.UpdateTicket(ctx, t.ticket); err != nil {
			return err
		}
		for _, e := range t.events {
			e.Ticket, e.At = t.ticket.ID, now
			if _, err := tx.AddTicketEvent(ctx, e); err != nil {
				return err
			}
		}
		if before != t.conv.State && (t.conv.State == stateClosed || t.conv.State == stateQueued) {
			if _, err := tx.AddTicketEvent(ctx, store.TicketEvent{Ticket: t.ticket.ID, At: now, Kind: "status", Actor: "bot", Text: t.ticket.Status}); err != nil {
				return err
			}
		}
	}
	for i := range t.out { // the bot's lines of the transcript (store.Transcript)
		id, err := tx.AppendOutbox(ctx, t.out[i])
		if err != nil {
			return err
		}
		t.out[i].ID = id
	}
	if o := t.other; o != nil {
		if err := tx.UpdateTicket(ctx, *o); err != nil {
			return err
		}
		for _, e := range t.otherEvents {
			e.Ticket, e.At = o.ID, now
			if _, err := tx.AddTicketEvent(ctx, e); err != nil {
				return err
			}
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
	if err := r.writeTimers(ctx, tx, t, in); err != nil {
		return err
	}
	if in != nil && !in.Done {
		return tx.FinishInbox(ctx, in.ID, now)
	}
	return nil
}

// writeTimers keeps the inactivity timers in step with the conversation:
// a customer message restarts the reminder; a reminder arms the close;
// leaving the waiting states clears both.
func (r *Runtime) writeTimers(ctx context.Context, tx *store.Tx, t *turn, in *store.Inbound) error {
	chat := t.conv.Chat
	if t.keepTimers {
		return nil
	}
	if t.skipTimers || !waiting[t.conv.State] {
		return tx.ClearTimers(ctx, chat)
	}
	to := t.flow.File.Timeouts
	tm := store.Timer{Chat: chat, Kind: timerClose, Due: t.now.Add(to.Close.Duration)}
	if in != nil {
		if err := tx.DeleteTimer(ctx, chat, timerClose); err != nil {
			return err
		}
		tm = store.Timer{Chat: chat, Kind: timerReminder, Due: t.now.Add(to.Reminder.Duration)}
	}
	tx.AfterCommit(func() { r.timerSet(tm.Due) })
	return tx.SetTimer(ctx, tm)
}
