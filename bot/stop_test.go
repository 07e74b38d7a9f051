package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

// pendingWork counts the inbox rows not handled and outbox rows not sent.
func pendingWork(t *testing.T, db *store.DB) (inbox, outbox int) {
	t.Helper()
	err := db.View(context.Background(), func(tx *store.Tx) error {
		chats, err := tx.WorkChats(context.Background(), "")
		for _, c := range chats {
			if _, err := tx.NextInbox(context.Background(), "", c); err == nil {
				inbox++
			}
			outs, err := tx.PendingOutbox(context.Background(), "", c, 0)
			if err != nil {
				return err
			}
			outbox += len(outs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return inbox, outbox
}

// pacedRuntime is a runtime whose sends pause like the service's (typing
// pacing), in the caller's synctest bubble; obs may be nil.
func pacedRuntime(t *testing.T, db *store.DB, tr Transport, stop time.Duration, obs Observer) *Runtime {
	fl := testFlow(t)
	return New(Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: tr, Clock: SystemClock{},
		Log: zerolog.Nop(), Sleep: Sleep, StopTimeout: stop, Observe: obs})
}

// TestStopFinishesWorkInFlight: when Run's context ends, the chats being
// worked on finish (their queued input handled, replies sent at their
// pace) before Run returns, and new input is refused untouched.
func TestStopFinishesWorkInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
		defer db.Close()
		tr := newFakeTransport()
		rt := pacedRuntime(t, db, tr, time.Minute, nil)
		done := make(chan error)
		go func() { done <- rt.Run(ctx) }()
		for i := range 5 {
			chat := fmt.Sprint("c", i)
			for j, s := range []string{"oi", "12345678", "4"} {
				if _, err := rt.Receive(ctx, text(chat, fmt.Sprint(j), s)); err != nil {
					t.Fatal(err)
				}
			}
		}
		synctest.Wait() // every worker is now in a typing pause
		if in, out := pendingWork(t, db); in == 0 || out == 0 {
			t.Fatalf("before the stop: %d inputs and %d replies pending; want work in flight", in, out)
		}
		started := time.Now()
		cancel()
		if _, err := rt.Receive(context.Background(), text("c9", "late", "oi")); !errors.Is(err, ErrStopping) {
			t.Errorf("Receive while stopping = %v; want ErrStopping", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if in, out := pendingWork(t, db); in != 0 || out != 0 {
			t.Errorf("after a graceful stop: %d inputs and %d replies left; want none", in, out)
		}
		if d := time.Since(started); d >= time.Minute {
			t.Errorf("stop took %v; want the work's own time, under the one-minute bound", d)
		}
		for i := range 5 {
			if got := tr.texts(fmt.Sprint("c", i)); len(got) < 3 {
				t.Errorf("c%d got %q; want its three answers", i, got)
			}
		}
		err := db.View(context.Background(), func(tx *store.Tx) error {
			ins, err := tx.InboxByChat(context.Background(), "", "c9", 0)
			if len(ins) != 0 {
				t.Errorf("input refused while stopping was stored: %+v", ins)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestStopTimeoutLeavesTheRestForNextStart: work that would outlast
// StopTimeout is cut there; what is left is sent by the next Run, once.
func TestStopTimeoutLeavesTheRestForNextStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.db")
		db := openStore(t, path)
		tr := newFakeTransport()
		ctx, cancel := context.WithCancel(context.Background())
		rt := pacedRuntime(t, db, tr, 2*time.Second, nil)
		done := make(chan error)
		go func() { done <- rt.Run(ctx) }()
		for j, s := range []string{"oi", "12345678", "4", "sim"} {
			if _, err := rt.Receive(ctx, text("c1", fmt.Sprint(j), s)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		started := time.Now()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := time.Since(started); d != 2*time.Second {
			t.Errorf("stop took %v; want the 2s StopTimeout", d)
		}
		if in, out := pendingWork(t, db); in+out == 0 {
			t.Fatal("nothing left after the timeout; the test needs work longer than it")
		}
		before := len(tr.texts("c1"))
		db.Close()

		db = openStore(t, path)
		defer db.Close()
		ctx, cancel = context.WithCancel(context.Background())
		rt = pacedRuntime(t, db, tr, time.Minute, nil)
		go func() { done <- rt.Run(ctx) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if in, out := pendingWork(t, db); in != 0 || out != 0 {
			t.Errorf("after the restart: %d inputs and %d replies left; want none", in, out)
		}
		got := tr.texts("c1")
		if len(got) <= before {
			t.Errorf("the restart sent nothing more (had %d)", before)
		}
		seen := map[string]bool{}
		for _, s := range got {
			if seen[s] {
				t.Errorf("sent twice: %q", s)
			}
			seen[s] = true
		}
	})
}

// slowObserver keeps what Handled reports; while hold is set, Received
// waits until a message is handled (or a minute), as a slow metrics
// backend could: the chat's worker may handle the message meanwhile.
type slowObserver struct {
	mu      sync.Mutex
	got     []time.Duration
	hold    bool
	handled chan struct{}
}

func (o *slowObserver) Received(string, bool) {
	o.mu.Lock()
	hold := o.hold
	o.mu.Unlock()
	if hold {
		select {
		case <-o.handled:
		case <-time.After(time.Minute):
		}
	}
}

func (o *slowObserver) Handled(_ string, d time.Duration, _ error) {
	o.mu.Lock()
	o.got = append(o.got, d)
	o.mu.Unlock()
	select {
	case o.handled <- struct{}{}:
	default:
	}
}

func (*slowObserver) Sent(string, error) {}

// TestLatencyOfMessagesToBusyChats: a message that arrives while its chat's
// worker is sending may be handled by that worker before Receive returns;
// it is timed all the same, and no timing is left behind.
func TestLatencyOfMessagesToBusyChats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
		defer db.Close()
		obs := &slowObserver{handled: make(chan struct{}, 1)}
		rt := pacedRuntime(t, db, newFakeTransport(), time.Minute, obs)
		done := make(chan error)
		go func() { done <- rt.Run(ctx) }()
		if _, err := rt.Receive(ctx, text("c1", "m1", "oi")); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the worker is in a typing pause: the chat is busy
		<-obs.handled
		obs.mu.Lock()
		obs.hold = true
		obs.mu.Unlock()
		if _, err := rt.Receive(ctx, text("c1", "m2", "12345678")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if len(obs.got) != 2 || obs.got[1] <= 0 {
			t.Errorf("latencies %v; want the second message, handled during Receive, timed too", obs.got)
		}
		rt.timing.mu.Lock()
		left := len(rt.timing.at)
		rt.timing.mu.Unlock()
		if left != 0 {
			t.Errorf("%d arrival times left behind; want none (they would grow with every message)", left)
		}
	})
}
