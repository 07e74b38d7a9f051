package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

// Faults a faultyTransport injects, for its tally.
const (
	faultNone    = "none"    // the send works
	faultError   = "error"   // the send fails at once
	faultTimeout = "timeout" // the send hangs until sendTimeout, then fails
	faultLate    = "late"    // like a timeout, but the message was delivered
	faultDown    = "down"    // the connection is down: every send fails
	sendTimeout  = 20 * time.Second
)

var (
	errFlaky   = errors.New("flaky network")
	errTimeout = errors.New("no ack in time")
	errDown    = errors.New("not connected")
)

// faultyTransport is a WhatsApp connection on a bad day: sends fail at
// random, some hang until they time out, and between down and up every
// send fails. With late set, a timeout may come after the message reached
// the phone. Each chat draws its faults from its own seeded generator: a
// chat's sends are serial, so its faults do not depend on how the chats'
// workers interleave.
type faultyTransport struct {
	down, up time.Time
	late     bool

	mu       sync.Mutex
	rngs     map[string]*rand.Rand
	phone    map[string][]delivery // chat -> what the customer's phone shows
	attempts map[int64][]string    // outbox id -> Outbound.ID of each attempt
	faults   map[string]int        // fault -> times injected
	deduped  int                   // deliveries the phone dropped as repeats
	nextID   int
}

// delivery is one message as the customer's phone shows it.
type delivery struct {
	seq      int64
	id, text string
}

func newFaultyTransport(seed uint64, chats []string, down, up time.Time, late bool) *faultyTransport {
	f := &faultyTransport{
		down: down, up: up, late: late,
		rngs:     map[string]*rand.Rand{},
		phone:    map[string][]delivery{},
		attempts: map[int64][]string{},
		faults:   map[string]int{},
	}
	for i, c := range chats {
		f.rngs[c] = rand.New(rand.NewPCG(seed, uint64(i)))
	}
	return f
}

func (f *faultyTransport) Send(ctx context.Context, m Outbound) (Sent, error) {
	f.mu.Lock()
	f.attempts[m.Seq] = append(f.attempts[m.Seq], m.ID)
	fault := f.fault(m.Chat)
	f.faults[fault]++
	f.mu.Unlock()
	switch fault {
	case faultError:
		return Sent{}, errFlaky
	case faultDown:
		return Sent{}, errDown
	case faultTimeout, faultLate:
		if fault == faultLate {
			f.deliver(m)
		}
		t := time.NewTimer(sendTimeout)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Sent{}, ctx.Err()
		case <-t.C:
			return Sent{}, errTimeout
		}
	}
	return Sent{ID: f.deliver(m)}, nil
}

// fault picks what goes wrong with the next send to chat; f.mu is held.
func (f *faultyTransport) fault(chat string) string {
	if now := time.Now(); !now.Before(f.down) && now.Before(f.up) {
		return faultDown
	}
	x := f.rngs[chat].Float64()
	switch {
	case x < 0.15:
		return faultError
	case x < 0.20:
		return faultTimeout
	case f.late && x < 0.25:
		return faultLate
	}
	return faultNone
}

// deliver puts m on the customer's phone and returns its id. Like
// WhatsApp's, the phone shows a message once however often its id
// arrives; without a pre-assigned id every delivery gets a new one.
func (f *faultyTransport) deliver(m Outbound) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := m.ID
	if id == "" {
		f.nextID++
		id = fmt.Sprintf("wa-%d", f.nextID)
	}
	for _, d := range f.phone[m.Chat] {
		if d.id == id {
			f.deduped++
			return id
		}
	}
	f.phone[m.Chat] = append(f.phone[m.Chat], delivery{m.Seq, id, m.Text})
	return id
}

// idFaultyTransport is a faultyTransport whose message ids the runtime
// assigns before the first attempt, as on WhatsApp.
type idFaultyTransport struct{ *faultyTransport }

func (f idFaultyTransport) NewMessageID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return fmt.Sprintf("3EB0%06d", f.nextID)
}

// faultBursts is what each chat says, one burst at a time; most answers
// are several messages (confirmation and menu, trail steps).
var faultBursts = [][]string{
	{"oi", "12345678"},
	{"4", "sim"},
	{"menu", "4", "não"},
	{"5"},
}

// TestSenderUnderFaults runs the real runtime on a real store file while
// the transport fails at random, times out and goes down for a while, and
// checks every chat's phone shows its outbox, in order, each message once.
// Time is fake (synctest): timeouts and backoffs pass at once, in order.
func TestSenderUnderFaults(t *testing.T) {
	const (
		seed     = 20261124
		nChats   = 20
		burstGap = 30 * time.Second
		downAt   = 45 * time.Second // the next bursts and the retries meet it
		downFor  = 3 * time.Minute
	)
	chats := make([]string, nChats)
	for i := range chats {
		chats[i] = fmt.Sprintf("c%02d", i)
	}
	for _, tc := range []struct {
		name   string
		assign bool // the runtime assigns ids, and a timeout may hide a delivery
	}{
		{"transport ids", false},
		{"pre-assigned ids", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				ft := newFaultyTransport(seed, chats, start.Add(downAt), start.Add(downAt+downFor), tc.assign)
				var tr Transport = ft
				if tc.assign {
					tr = idFaultyTransport{ft}
				}
				rt, db, stop := startRuntime(t, tr)
				for b, burst := range faultBursts {
					for _, chat := range chats {
						for i, s := range burst {
							if _, err := rt.Receive(t.Context(), text(chat, fmt.Sprintf("b%d-%d", b, i), s)); err != nil {
								t.Fatal(err)
							}
						}
					}
					time.Sleep(burstGap)
				}
				time.Sleep(2 * time.Hour) // every retry, reminder and inactivity close runs
				synctest.Wait()
				stop()

				ft.mu.Lock()
				defer ft.mu.Unlock()
				t.Logf("seed %d: injected %v; phone dropped %d repeats", seed, ft.faults, ft.deduped)
				for _, f := range []string{faultError, faultTimeout, faultDown} {
					if ft.faults[f] == 0 {
						t.Errorf("no %q fault injected: the test does not test it", f)
					}
				}
				if tc.assign && (ft.faults[faultLate] == 0 || ft.deduped != ft.faults[faultLate]) {
					t.Errorf("phone dropped %d repeats; want one per delivery hidden by a timeout (%d)", ft.deduped, ft.faults[faultLate])
				}
				for _, chat := range chats {
					checkDelivered(t, db, chat, ft.phone[chat], ft.attempts, tc.assign)
				}
			})
		})
	}
}

// checkDelivered compares what chat's phone shows with its outbox rows.
func checkDelivered(t *testing.T, db *store.DB, chat string, phone []delivery, attempts map[int64][]string, assigned bool) {
	t.Helper()
	ctx := context.Background()
	var rows []store.OutMsg
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.OutboxAfter(ctx, "", chat, 0, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(phone) != len(rows) {
		t.Errorf("%s phone shows %d messages; want its %d outbox rows", chat, len(phone), len(rows))
	}
	for i, m := range rows {
		if m.SentAt.IsZero() {
			t.Errorf("%s row %d not marked sent after %d attempts (%s)", chat, m.ID, m.Attempts, m.LastError)
		}
		if i < len(phone) && (phone[i].seq != m.ID || phone[i].text != m.Text || phone[i].id != m.WAID) {
			t.Errorf("%s message %d on the phone is row %d id %q; want row %d id %q", chat, i, phone[i].seq, phone[i].id, m.ID, m.WAID)
		}
		if !assigned {
			continue
		}
		for n, id := range attempts[m.ID] {
			if id == "" || id != m.WAID {
				t.Errorf("%s row %d attempt %d used id %q; want the pre-assigned %q every time", chat, m.ID, n+1, id, m.WAID)
			}
		}
	}
}

// TestSenderResendAfterAmbiguousTimeout: the transport delivered the
// message but reported a timeout. The runtime cannot tell, so it resends,
// with the id it assigned before the first attempt: the customer's phone
// drops a message whose id it already shows, and sees it once.
func TestSenderResendAfterAmbiguousTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := newFaultyTransport(0, nil, time.Time{}, time.Time{}, true)
		ft.rngs["c1"] = rand.New(&script{0.22, 0.99}) // first attempt: late; then fine
		rt, db, stop := startRuntime(t, idFaultyTransport{ft})
		if _, err := rt.Receive(t.Context(), text("c1", "m1", "oi")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		ft.mu.Lock()
		defer ft.mu.Unlock()
		if ft.faults[faultLate] != 1 {
			t.Fatalf("injected %v; want one delivered-then-timed-out send", ft.faults)
		}
		var ids []string
		for _, a := range ft.attempts {
			ids = append(ids, a...)
		}
		if len(ft.attempts) != 1 || len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
			t.Errorf("attempts used ids %q; want one message tried twice with the same pre-assigned id", ids)
		}
		if len(ft.phone["c1"]) != 1 || ft.deduped != 1 {
			t.Errorf("phone shows %d messages and dropped %d; want 1 shown and the resend dropped", len(ft.phone["c1"]), ft.deduped)
		}
		checkDelivered(t, db, "c1", ft.phone["c1"], ft.attempts, true)
	})
}

// TestSenderTimerDueDuringBackoff: a reply keeps failing past the chat's
// reminder timeout, so the reminder comes due while the reply waits in
// backoff. The reminder must wait for the retry, and the worker must wait
// with it, not go round finding the chat blocked again (a busy loop of
// store writes, once: forever under synctest, where time cannot move
// while a goroutine spins).
func TestSenderTimerDueDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newFakeTransport()
		tr.fails["c1"] = 10 // tries at 0s, 1s, 3s... 511s fail; the next is at 811s, after the reminder at 600s
		rt, _, stop := startRuntime(t, tr)
		if _, err := rt.Receive(t.Context(), text("c1", "m1", "12345678")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(15 * time.Minute)
		synctest.Wait()
		stop()
		got := tr.texts("c1")
		want := strings.TrimRight(testFlow(t).File.Texts.Reminder.Value, "\n ")
		if len(got) != 3 || got[2] != want {
			t.Errorf("c1 got %q; want the confirmation, the menu and then the reminder", got)
		}
	})
}

// startRuntime runs the runtime on a new store file in the caller's
// synctest bubble, its clock watched for spinning. stop ends Run and fails
// t if the runtime spun; it also runs at cleanup, when a test ends early.
func startRuntime(t *testing.T, tr Transport) (rt *Runtime, db *store.DB, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db = openStore(t, filepath.Join(t.TempDir(), "s.db"))
	t.Cleanup(func() { db.Close() })
	clock := &spinClock{stop: cancel}
	rt = newRuntime(db, testFlow(t), tr, clock)
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
			clock.check(t)
		})
	}
	t.Cleanup(stop)
	return rt, db, stop
}

// spinClock is the system clock (fake in a synctest bubble) that stops
// the runtime when it is read too often at one instant. Fake time moves
// only when every goroutine waits, so a worker that loops instead of
// waiting would hang the test; this turns the hang into a failure.
type spinClock struct {
	stop context.CancelFunc

	mu    sync.Mutex
	at    time.Time
	reads int
	spun  bool
}

// maxReads is far above the busiest instant of these tests (under 200 reads).
const maxReads = 5000

func (c *spinClock) Now() time.Time {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !now.Equal(c.at) {
		c.at, c.reads = now, 0
	}
	if c.reads++; c.reads == maxReads {
		c.spun = true
		c.stop()
	}
	return now
}

// check fails t if the clock stopped a spinning runtime.
func (c *spinClock) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spun {
		t.Fatalf("the runtime read the clock %d times at %v without time moving: a worker loops instead of waiting", maxReads, c.at)
	}
}

// script is a rand.Source that plays the given Float64 values in turn.
type script []float64

func (s *script) Uint64() uint64 {
	x := (*s)[0]
	*s = (*s)[1:]
	return uint64(x * (1 << 53)) // Float64 reads the low 53 bits
}

// TestAdvanceToRetriesBeforeTimers is the same in step mode: AdvanceTo
// retries the failed reply at its instants, then fires the reminder, and
// returns instead of trying the blocked chat's timer forever.
func TestAdvanceToRetriesBeforeTimers(t *testing.T) {
	d := newDesk(t)
	d.tr.fails["c1"] = 10 // tries at 0s, 1s, 3s... 511s fail; the next is at 1023s, after the reminder
	d.say("c1", "12345678")
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	if err := d.rt.AdvanceTo(ctx, d.clock, d.clock.Now().Add(30*time.Minute)); err != nil {
		t.Fatalf("AdvanceTo: %v", err)
	}
	got := d.tr.texts("c1")
	want := strings.TrimRight(testFlow(t).File.Texts.Reminder.Value, "\n ")
	if len(got) < 3 || got[2] != want {
		t.Errorf("c1 got %q; want the confirmation, the menu and then the reminder", got)
	}
	if d.tr.calls != 10+len(got) {
		t.Errorf("%d send attempts for %d messages; want the 10 failures retried once each", d.tr.calls, len(got))
	}
}

// TestRetrySendsAfterReconnect: a reply that failed through an outage
// waits minutes for its next try; when the transport says it is connected
// again, RetrySends sends it at once, still once and in order.
func TestRetrySendsAfterReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newFakeTransport()
		tr.fails["c1"] = 9 // tries at 0s, 1s, 3s... 255s fail; the next would be at 511s
		rt, _, stop := startRuntime(t, tr)
		if _, err := rt.Receive(t.Context(), text("c1", "m1", "oi")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Second)
		synctest.Wait()
		if got := tr.texts("c1"); len(got) != 0 {
			t.Fatalf("delivered %q during the outage", got)
		}
		if err := rt.RetrySends(t.Context()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := tr.texts("c1"); len(got) != 1 {
			t.Errorf("right after RetrySends c1 got %q; want the greeting, without waiting for the backoff", got)
		}
		time.Sleep(4 * time.Minute) // past the old backoff's wake (511s), before the reminder (600s)
		synctest.Wait()
		stop()
		if got := tr.texts("c1"); len(got) != 1 {
			t.Errorf("c1 got %q in all; want the greeting once", got)
		}
	})
}

// outageTransport delivers every message and counts deliveries by outbox
// row; armed, its next delivery puts the store in a write outage (every
// write fails with SQLITE_READONLY) for outageFor, as a disk that stops
// taking writes just after a reply went out.
type outageTransport struct {
	db *store.DB

	mu         sync.Mutex
	armed      bool
	deliveries map[int64]int
	outages    int
}

const outageFor = 20 * time.Second

func (o *outageTransport) Send(_ context.Context, m Outbound) (Sent, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.deliveries[m.Seq]++
	if o.armed {
		o.armed = false
		o.outages++
		if err := o.db.Drill(context.Background(), store.ReadOnly); err != nil {
			panic(err)
		}
		go func() {
			time.Sleep(outageFor)
			if err := o.db.Drill(context.Background(), store.NoFault); err != nil {
				panic(err)
			}
		}()
	}
	return Sent{ID: fmt.Sprint("wa-", m.Seq)}, nil
}

// sentCounter is an Observer counting deliveries, as the outbound metric.
type sentCounter struct {
	mu   sync.Mutex
	sent int
}

func (c *sentCounter) Received(string, bool)                {}
func (c *sentCounter) Handled(string, time.Duration, error) {}
func (c *sentCounter) Sent(_ string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.sent++
	}
}

// TestSendOnceDuringWriteOutage: replies go out, then the store stops
// taking writes before their sends are recorded. The runtime holds them
// as delivered and retries the record with backoff: once the store is
// back, every reply has been delivered exactly once and the outbound
// count is exact.
func TestSendOnceDuringWriteOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
		t.Cleanup(func() { db.Close() })
		tr := &outageTransport{db: db, deliveries: map[int64]int{}}
		obs := &sentCounter{}
		clock := &spinClock{stop: cancel}
		fl := testFlow(t)
		rt := New(Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: tr, Clock: clock, Log: zerolog.Nop(), Observe: obs})
		done := make(chan error, 1)
		go func() { done <- rt.Run(ctx) }()

		chats := []string{"c1", "c2", "c3"}
		for _, c := range chats {
			if _, err := rt.Receive(ctx, text(c, "m1", "12345678")); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		tr.mu.Lock()
		tr.armed = true // the reminders, due together, meet the outage
		tr.mu.Unlock()
		time.Sleep(2 * time.Hour) // reminders, the outage, retries, inactivity closes
		synctest.Wait()
		for _, c := range chats {
			if _, err := rt.Receive(ctx, text(c, "m2", "oi")); err != nil {
				t.Fatalf("after the outage: %v", err)
			}
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		clock.check(t)

		tr.mu.Lock()
		defer tr.mu.Unlock()
		if tr.outages != 1 {
			t.Fatalf("%d outages; want 1", tr.outages)
		}
		total := 0
		for _, c := range chats {
			var rows []store.OutMsg
			if err := db.View(context.Background(), func(tx *store.Tx) error {
				var err error
				rows, err = tx.OutboxAfter(context.Background(), "", c, 0, 0)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, m := range rows {
				if n := tr.deliveries[m.ID]; n != 1 || m.SentAt.IsZero() {
					t.Errorf("%s row %d %q: delivered %d times, recorded sent %v; want once, recorded", c, m.ID, m.Text, n, !m.SentAt.IsZero())
				}
			}
			total += len(rows)
		}
		if obs.sent != total {
			t.Errorf("outbound count %d; want %d, one per message", obs.sent, total)
		}
	})
}
