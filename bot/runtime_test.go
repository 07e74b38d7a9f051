package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

// fakeTransport records what was sent, per chat, and can fail on demand.
type fakeTransport struct {
	mu    sync.Mutex
	sent  map[string][]string // chat -> texts in delivery order
	fails map[string]int      // chat -> sends still to fail
	calls int
}

func newFakeTransport() *fakeTransport {
	return &fakeTransport{sent: map[string][]string{}, fails: map[string]int{}}
}

func (f *fakeTransport) Send(_ context.Context, m Outbound) (Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fails[m.Chat] > 0 {
		f.fails[m.Chat]--
		return Sent{}, errors.New("network down")
	}
	f.sent[m.Chat] = append(f.sent[m.Chat], m.Text)
	return Sent{ID: fmt.Sprintf("wa-%d", f.calls)}, nil
}

func (f *fakeTransport) texts(chat string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent[chat])
}

func testFlow(tb testing.TB) *flows.Flow {
	tb.Helper()
	fl, err := flows.Load(filepath.Join("sim", "testdata", "flows.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	return fl
}

func openStore(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

func newRuntime(db *store.DB, fl *flows.Flow, tr Transport, clock Clock) *Runtime {
	return New(Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: tr, Clock: clock, Log: zerolog.Nop()})
}

func text(chat, id, s string) Inbound {
	return Inbound{Chat: chat, ID: id, Kind: KindText, Text: s}
}

func TestReceiveIgnoresRedelivery(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	tr := newFakeTransport()
	rt := newRuntime(db, testFlow(t), tr, NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)))
	for i, wantDup := range []bool{false, true, true} {
		dup, err := rt.Receive(ctx, text("c1", "m1", "oi"))
		if err != nil || dup != wantDup {
			t.Fatalf("receive #%d: got dup=%v err=%v; want dup=%v", i+1, dup, err, wantDup)
		}
		if err := rt.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(tr.texts("c1")); got != 1 {
		t.Errorf("got %d replies to one message delivered three times; want 1", got)
	}
	if _, err := rt.Receive(ctx, Inbound{Chat: "c1"}); err == nil {
		t.Error("a message without id was accepted")
	}
}

// TestRunConcurrentChats drives the asynchronous runtime (workers, timers,
// retries) in a synctest bubble: time is fake, so backoffs and inactivity
// timers fire at their instants without the test waiting for them.
func TestRunConcurrentChats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
		tr := newFakeTransport()
		tr.fails["c2"] = 3 // c2's first sends fail: it must retry, in order, without holding up c1
		rt := newRuntime(db, testFlow(t), tr, SystemClock{})
		done := make(chan error)
		go func() { done <- rt.Run(ctx) }()

		for _, chat := range []string{"c1", "c2", "c3"} {
			for i, s := range []string{"oi", "12345678", "4", "sim", "5"} {
				if _, err := rt.Receive(ctx, text(chat, fmt.Sprint(i), s)); err != nil {
					t.Fatal(err)
				}
			}
		}
		time.Sleep(time.Hour) // fake time: every worker, retry and timer runs to quiescence
		synctest.Wait()

		want := tr.texts("c1")
		if len(want) == 0 || !strings.Contains(want[len(want)-1], "Resolvido") {
			t.Fatalf("c1 did not finish its conversation: %q", want)
		}
		for _, chat := range []string{"c2", "c3"} {
			got := tr.texts(chat)
			for i := range got {
				got[i] = strings.ReplaceAll(got[i], "100002", "100001")
				got[i] = strings.ReplaceAll(got[i], "100003", "100001")
			}
			wantNorm := slices.Clone(want)
			for i := range wantNorm {
				wantNorm[i] = strings.ReplaceAll(wantNorm[i], "100002", "100001")
				wantNorm[i] = strings.ReplaceAll(wantNorm[i], "100003", "100001")
			}
			if !slices.Equal(got, wantNorm) {
				t.Errorf("%s got %d messages; want the same %d as c1, in order", chat, len(got), len(wantNorm))
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		db.Close()
	})
}

func TestInactivityTimersFireInRealRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startReal(t)
		ctx, db, tr, fl, rt := r.ctx, r.db, r.tr, r.fl, r.rt
		if _, err := rt.Receive(ctx, text("c1", "1", "12345678")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		n := len(tr.texts("c1"))
		time.Sleep(fl.File.Timeouts.Reminder.Duration + time.Second)
		synctest.Wait()
		got := tr.texts("c1")
		if len(got) != n+1 || got[n] != strings.TrimRight(fl.File.Texts.Reminder.Value, "\n ") {
			t.Fatalf("after the reminder timeout got %q; want the reminder", got[n:])
		}
		time.Sleep(fl.File.Timeouts.Close.Duration)
		synctest.Wait()
		got = tr.texts("c1")
		if len(got) != n+2 || !strings.HasPrefix(got[n+1], "Como não tive retorno") {
			t.Fatalf("after the close timeout got %q; want the inactivity close", got[n:])
		}
		var tk store.Ticket
		err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			tk, err = tx.Ticket(ctx, 100001)
			return err
		})
		if err != nil || tk.Status != store.StatusResolvido || tk.CloseReason != reasonInactive {
			t.Errorf("ticket after inactivity: %+v, %v; want resolvido by %s", tk, err, reasonInactive)
		}
		r.stop()
	})
}

// TestReminderMovedLaterInRealRun: a message moves the reminder later,
// but its wake, where the loop looks, stays at the first due time (the
// move is then a HOT update on PostgreSQL). Woken there, the chat's
// worker must send nothing and move the wake; the reminder comes once,
// at its new due time.
func TestReminderMovedLaterInRealRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startReal(t)
		ctx, db, tr, fl, rt := r.ctx, r.db, r.tr, r.fl, r.rt
		remind := fl.File.Timeouts.Reminder.Duration
		if _, err := rt.Receive(ctx, text("c1", "1", "12345678")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(remind / 2)
		if _, err := rt.Receive(ctx, text("c1", "2", "12345678")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		n := len(tr.texts("c1"))
		time.Sleep(remind/2 + 2*time.Second) // past the first due time, the wake
		synctest.Wait()
		if got := tr.texts("c1"); len(got) != n {
			t.Fatalf("at the reminder's first due time got %q; want nothing yet", got[n:])
		}
		err := db.View(ctx, func(tx *store.Tx) error {
			next, err := tx.NextWake(ctx, "")
			if err == nil && !next.After(time.Now()) {
				t.Errorf("the loop's next look at %v, not after now (%v): the early wake was not moved", next, time.Now())
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(remind / 2)
		synctest.Wait()
		got := tr.texts("c1")
		if len(got) != n+1 || got[n] != strings.TrimRight(fl.File.Texts.Reminder.Value, "\n ") {
			t.Fatalf("after the moved reminder's timeout got %q; want the reminder once", got[n:])
		}
		r.stop()
	})
}

// realRun is a runtime running for real (its loop, workers and timers,
// on the system clock, inside a synctest bubble), on a new store and the
// test flow.
type realRun struct {
	ctx  context.Context
	db   *store.DB
	tr   *fakeTransport
	fl   *flows.Flow
	rt   *Runtime
	stop func() // ends the run, waits for it and closes the store
}

func startReal(t *testing.T) realRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := realRun{ctx: ctx, db: openStore(t, filepath.Join(t.TempDir(), "s.db")), tr: newFakeTransport(), fl: testFlow(t)}
	r.rt = newRuntime(r.db, r.fl, r.tr, SystemClock{})
	done := make(chan error)
	go func() { done <- r.rt.Run(ctx) }()
	r.stop = func() {
		cancel()
		<-done
		r.db.Close()
	}
	return r
}

// TestResumeAfterRestart leaves received messages unhandled, as a crash
// would, and checks a new runtime on the same file handles each once.
func TestResumeAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	fl := testFlow(t)
	clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))

	db := openStore(t, path)
	first := newRuntime(db, fl, newFakeTransport(), clock)
	for i, s := range []string{"oi", "12345678"} {
		if _, err := first.Receive(ctx, text("c1", fmt.Sprint(i), s)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close() // "crash": nothing was handled

	db = openStore(t, path)
	defer db.Close()
	tr := newFakeTransport()
	second := newRuntime(db, fl, tr, clock)
	if dup, err := second.Receive(ctx, text("c1", "1", "12345678")); err != nil || !dup {
		t.Fatalf("redelivery after restart: dup=%v err=%v; want dup", dup, err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- second.Run(runCtx) }()
	waitFor(t, func() bool { return len(tr.texts("c1")) >= 3 })
	cancel()
	<-done
	got := tr.texts("c1")
	if len(got) != 3 || !strings.Contains(got[0], "ID Suporte") || !strings.Contains(got[1], "confirmado") || !strings.Contains(got[2], "1. ") {
		t.Errorf("after restart got %q; want greeting, confirmation, menu", got)
	}
}

// waitFor polls a condition the asynchronous runtime will make true; it
// fails instead of hanging if it never does.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBrokenConversationGetsApology(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutConversation(ctx, store.Conversation{Chat: "c1", State: "from_a_future_version", StartedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	fl := testFlow(t)
	tr := newFakeTransport()
	rt := newRuntime(db, fl, tr, NewManualClock(now))
	if _, err := rt.Receive(ctx, text("c1", "1", "oi")); err != nil {
		t.Fatal(err)
	}
	if err := rt.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tr.texts("c1"); len(got) != 1 || got[0] != fl.File.Texts.Error.Value {
		t.Fatalf("got %q; want exactly the apology", got)
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.NextInbox(ctx, "", "c1")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed message is still pending (%v): it would block the chat", err)
	}
}

// recordingTransport assigns ids and records read receipts, like WhatsApp.
type recordingTransport struct {
	fakeTransport
	nextID int
	ids    []string // Outbound.ID of each send attempt
	read   []string
	polls  bool
}

func (f *recordingTransport) NewMessageID() string {
	f.nextID++
	return fmt.Sprintf("3EB0%04d", f.nextID)
}

func (f *recordingTransport) Send(ctx context.Context, m Outbound) (Sent, error) {
	f.ids = append(f.ids, m.ID)
	s, err := f.fakeTransport.Send(ctx, m)
	if err != nil {
		return s, err
	}
	s.ID = m.ID
	if m.Poll {
		f.polls = true
		s.PollID = m.ID + "P"
	}
	return s, nil
}

func (f *recordingTransport) MarkRead(_ context.Context, chat string, ids []string, _ time.Time) error {
	f.read = append(f.read, chat+":"+strings.Join(ids, ","))
	return nil
}

func TestSpecialKinds(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	fl := testFlow(t)
	clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))
	tr := &recordingTransport{fakeTransport: *newFakeTransport()}
	rt := newRuntime(db, fl, tr, clock)
	send := func(in Inbound) []string {
		t.Helper()
		before := len(tr.texts(in.Chat))
		if in.At.IsZero() {
			in.At = clock.Now()
		}
		if _, err := rt.Receive(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := rt.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		return tr.texts(in.Chat)[before:]
	}

	if got := send(text("c1", "m1", "12345678")); len(got) != 2 {
		t.Fatalf("first message got %d replies; want confirmation and menu", len(got))
	}
	if got := send(Inbound{Chat: "c1", ID: "m2", Kind: KindEdit, Text: "87654321"}); len(got) != 0 {
		t.Errorf("an edit got replies %q; want none", got)
	}
	if got := send(Inbound{Chat: "c1", ID: "call-1", Kind: KindCall}); len(got) != 1 || !strings.Contains(got[0], "ligações") {
		t.Errorf("a call got %q; want the call text", got)
	}
	if got := send(Inbound{Chat: "c1", ID: "m3", Kind: KindFromMe, Text: "Oi, aqui é a Ana do suporte"}); len(got) != 0 {
		t.Errorf("a reply from the phone got bot replies %q; want none", got)
	}
	if got := send(text("c1", "m4", "1")); len(got) != 0 {
		t.Errorf("while a person handles the chat the bot said %q; want silence", got)
	}
	clock.Advance(fl.File.Settings.HumanPause.Duration + time.Minute)
	if got := send(text("c1", "m5", "menu")); len(got) != 1 || !strings.Contains(got[0], "1. ") {
		t.Errorf("after the pause got %q; want the menu again", got)
	}

	// A backlog delivered late: only the newest gets an answer, an apology
	// with where the conversation stands, and nothing acts on stale answers.
	old := clock.Now().Add(-2 * time.Hour)
	for i, s := range []string{"1", "2"} {
		if _, err := rt.Receive(ctx, Inbound{Chat: "c1", ID: fmt.Sprint("late", i), Kind: KindText, Text: s, At: old}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(tr.texts("c1"))
	if err := rt.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got := tr.texts("c1")[before:]
	if len(got) != 2 || got[0] != fl.File.Texts.Late.Value || !strings.Contains(got[1], "1. ") {
		t.Errorf("late backlog got %q; want the apology and the menu once", got)
	}

	if len(tr.read) == 0 || tr.read[0] != "c1:m1" {
		t.Errorf("read receipts %q; want c1:m1 first", tr.read)
	}
	for _, r := range tr.read {
		if strings.Contains(r, "call-1") || strings.Contains(r, ":m3") {
			t.Errorf("read receipt %q for a call or the phone's own message", r)
		}
	}
	for i, id := range tr.ids {
		if id == "" {
			t.Errorf("send %d had no pre-assigned id", i)
		}
	}
	m, ok, err := rt.Sent(ctx, tr.ids[0])
	if err != nil || !ok || m.Chat != "c1" {
		t.Errorf("Sent(%s) = %+v, %v, %v; want the first message of c1", tr.ids[0], m, ok, err)
	}
	if _, ok, err := rt.Sent(ctx, "unknown"); ok || err != nil {
		t.Errorf("Sent(unknown) = %v, %v; want not found", ok, err)
	}
}

func TestResendReusesMessageID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
		tr := &recordingTransport{fakeTransport: *newFakeTransport()}
		tr.fails["c1"] = 2
		rt := newRuntime(db, testFlow(t), tr, SystemClock{})
		done := make(chan error)
		go func() { done <- rt.Run(ctx) }()
		if _, err := rt.Receive(ctx, text("c1", "m1", "oi")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if len(tr.ids) != 3 || tr.ids[0] != tr.ids[1] || tr.ids[1] != tr.ids[2] {
			t.Errorf("attempts used ids %q; want the same id three times", tr.ids)
		}
		if got := tr.texts("c1"); len(got) != 1 {
			t.Errorf("delivered %d messages; want exactly 1", len(got))
		}
		cancel()
		<-done
		db.Close()
	})
}

func TestFloodAndLongMessages(t *testing.T) {
	d := newDesk(t)
	fl := testFlow(t)
	d.say("c1", "12345678")
	var got []string
	for i := range fl.File.Settings.FloodMax + 5 {
		got = append(got, d.say("c1", fmt.Sprint("spam ", i))...)
	}
	floods := 0
	for _, g := range got {
		if strings.HasPrefix(g, "Recebi várias mensagens") {
			floods++
		}
	}
	if floods != 1 {
		t.Errorf("a flood got %d flood notes; want exactly 1 (%d replies in all)", floods, len(got))
	}
	if got := d.say("c2", "12345678"); len(got) != 2 {
		t.Errorf("another chat during c1's flood got %q; want its usual answer", got)
	}
	d.clock.Advance(2 * fl.File.Settings.FloodPer.Duration)
	if got := d.say("c1", "menu"); len(got) != 1 || !strings.Contains(got[0], "1. ") {
		t.Errorf("after the flood window c1 got %q; want the menu", got)
	}

	long := strings.Repeat("á", MaxText+100)
	got = d.say("c3", long)
	if len(got) < 1 || !strings.HasPrefix(got[0], "Sua mensagem ficou bem longa") {
		t.Errorf("a too long message got %q; want the too-long note first", got)
	}
	err := d.db.View(d.ctx, func(tx *store.Tx) error {
		ins, err := tx.InboxByChat(d.ctx, "", "c3", 1)
		if err == nil && (len(ins) != 1 || utf8.RuneCountInString(ins[0].Text) != MaxText+len([]rune(cutMark))) {
			t.Errorf("stored %d runes; want %d kept and the cut mark", utf8.RuneCountInString(ins[0].Text), MaxText)
		}
		return err
	})
	must(t, err)
}
