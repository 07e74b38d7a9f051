package bot

import (
	"context"
	"errors"
	"fmt"
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
	Store *store.DB
	// Line is the WhatsApp line this runtime drives (store.LineName of
	// its number). Several lines may share a store: the runtime reads and
	// sends its own line's chats only, and what it receives is its line's.
	Line      string
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
	// Files is the media folder: customers' files land there, the files
	// agents and trails send are read from it. Nil: files customers send
	// are recorded but never fetched.
	Files *store.Files
	// Downloads is how many files are fetched at once; 0 means
	// DefaultDownloads.
	Downloads int
	// LogKey keys the chat refs that stand for phone numbers in logs
	// above debug level (ChatRef): the installation's secret, so refs stay
	// the same across restarts. Nil means a random key for this process.
	LogKey []byte
	// Fence, if set, is asked before every send whether this process
	// still owns the line (Lease.Check): several processes may share a
	// PostgreSQL store, and only the lease's holder may send. An error
	// stops sending at once and winds Run down without waiting for the
	// chats in progress.
	Fence func(ctx context.Context) error
	// PollWork, if positive, is how often Run looks for chats with work
	// it was not told of: on a shared store, agents on other processes
	// (console replicas) queue replies this process must send.
	PollWork time.Duration
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
	stopWork context.CancelFunc
	timerCh  chan struct{} // pokes the timer loop
	// timerWake is when the timer loop looks next (unix ms on Clock);
	// math.MinInt64 while it reads the timers.
	timerWake atomic.Int64
	held      map[string]held // chats' delivered, unrecorded sends
	events    broker          // live events for the console
	online    func() []string // agents online, told by the console
	timing    receipts        // when inbox rows were persisted
	gone      sync.Once       // says once that the database file is gone
	dlWake    chan struct{}   // pokes the downloader: a file waits
	logKey    []byte          // Config.LogKey or a random one
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
	key := cfg.LogKey
	if len(key) == 0 {
		key = randomKey()
	}
	r := &Runtime{
		cfg:     cfg,
		logKey:  key,
		engine:  NewEngine(),
		workers: map[string]*worker{},
		pending: map[string]bool{},
		held:    map[string]held{},
		timerCh: make(chan struct{}, 1),
		ended:   make(chan struct{}, 1),
		dlWake:  make(chan struct{}, 1),
	}
	if cfg.Store != nil && cfg.Store.Postgres() {
		r.events.out = make(chan Event, eventsQueue) // see broker
	}
	return r
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
	// ID it could not read): keep both valid, and free of characters that
	// hide or reverse text, from here on.
	in.Text = CleanText(in.Text)
	in.PushName = CleanLine(in.PushName)
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
	accept := store.Inbound{
		Chat: in.Chat, Line: r.cfg.Line, MsgID: in.ID, Kind: in.Kind, Text: in.Text,
		SentAt: in.At, ReceivedAt: now, PushName: in.PushName, Phone: in.Phone,
	}
	// The lock and the message's row open the job: on PostgreSQL the
	// writer stores the batch's messages together (store.Opening), and
	// reads the rows their turns start from (a message with a file
	// writes the file's row first).
	open := store.Opening{Line: r.cfg.Line, Chat: in.Chat, Accept: &accept, Rows: in.Media == nil}
	if open.Rows && Written(in.Kind) {
		w := floodWindow(fl, now)
		open.Recent = &w
	}
	err = r.cfg.Store.UpdateOpening(ctx, open, func(tx *store.Tx) error {
		row = accept
		// When nothing of this chat is waiting (no older input, nothing
		// queued to send), the message is handled in the same transaction:
		// one commit makes it durable and answers it. The chat's lock
		// comes first: "nothing waiting" must not miss an agent's reply
		// another process is committing.
		if err := tx.LockChat(ctx, r.cfg.Line, in.Chat); err != nil {
			return err
		}
		var err error
		if row.ID, dup, inline, err = tx.AcceptInbox(ctx, row); err != nil || dup {
			return err
		}
		if in.Media != nil {
			if err := r.recordMedia(ctx, tx, fl, now, row.ID, in); err != nil {
				return err
			}
		}
		if !inline {
			return nil
		}
		row.Done = true
		res, err = r.handle(ctx, tx, fl, now, row)
		return err
	})
	if (err != nil || dup) && timed {
		r.timing.drop(key, arrived)
	}
	if err != nil {
		if errors.Is(err, store.ErrGone) {
			r.gone.Do(func() {
				r.cfg.Log.Error().Err(err).Msg("the database file is gone (data folder deleted or replaced?): no message is accepted; " +
					"stop suporte, restore the data folder and start it again")
			})
		}
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
	r.closed = false // a standby's Run, or the next term's
	r.ctx, r.stopWork = work, stopWork
	r.stopping = ctx.Done()
	pending := r.pending
	r.pending = map[string]bool{}
	r.mu.Unlock()
	defer r.drain(stopWork)

	var chats []string
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		chats, err = tx.WorkChats(ctx, r.cfg.Line)
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
	if f, ok := r.cfg.Transport.(fetcher); ok && r.cfg.Files != nil {
		r.wg.Go(func() { r.downloads(ctx, f) })
	}
	if r.cfg.PollWork > 0 {
		r.wg.Go(func() { r.pollWork(ctx) })
	}
	r.timerLoop(ctx)
	return nil
}

// Standby makes a runtime that does not own the line (a console replica
// on a shared store) refuse input and leave the work its agents queue to
// the owner, until Run starts (this process took the line over).
func (r *Runtime) Standby() {
	stopped := make(chan struct{})
	close(stopped)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.async, r.closed, r.stopping = true, true, stopped
	clear(r.pending)
}

// fenced stops this Run's sending and its workers at once: another
// process owns the line now.
func (r *Runtime) fenced(err error) {
	r.mu.Lock()
	stop := r.stopWork
	r.mu.Unlock()
	if stop != nil {
		r.cfg.Log.Warn().Err(err).Msg("this process no longer owns the line: sending stops")
		stop()
	}
}

// pollWork wakes the chats with work every PollWork: replies queued by
// agents on other processes.
func (r *Runtime) pollWork(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollWork)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var chats []string
		err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			chats, err = tx.ReadyChats(ctx, r.cfg.Line, r.cfg.Clock.Now())
			return err
		})
		if err != nil {
			continue // the next look tries again; failures show in readiness
		}
		for _, c := range chats {
			r.wake(c)
		}
	}
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
	r.recordHeld(r.ctx)
}
