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

func (f *fakeTransport) Send(_ context.Context, m Outbound) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fails[m.Chat] > 0 {
		f.fails[m.Chat]--
		return "", errors.New("network down")
	}
	f.sent[m.Chat] = append(f.sent[m.Chat], m.Text)
	return fmt.Sprintf("wa-%d", f.calls), nil
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
		ctx, cancel := context.WithCancel(context.Background())
		db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
		tr := newFakeTransport()
		fl := testFlow(t)
		rt := newRuntime(db, fl, tr, SystemClock{})
		done := make(chan error)
		go func() { done <- rt.Run(ctx) }()
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
		cancel()
		<-done
		db.Close()
	})
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
		_, err := tx.NextInbox(ctx, "c1")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed message is still pending (%v): it would block the chat", err)
	}
}
