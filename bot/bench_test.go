package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
)

// BenchmarkMessage measures one customer message through the durable path,
// driven step by step on one goroutine: inbox write, engine turn, sends.
func BenchmarkMessage(b *testing.B) {
	ctx := context.Background()
	db := openStore(b, filepath.Join(b.TempDir(), "s.db"))
	defer db.Close()
	rt := newRuntime(db, testFlow(b), newFakeTransport(), NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)))
	script := []string{"oi", "12345678", "1", "2", "sim", "5"}
	b.ResetTimer()
	for i := range b.N {
		chat := fmt.Sprint("c", i/len(script))
		if _, err := rt.Receive(ctx, Inbound{Chat: chat, ID: fmt.Sprint(i), Kind: KindText, Text: script[i%len(script)]}); err != nil {
			b.Fatal(err)
		}
		if err := rt.Drain(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// handledSignal tells, per chat, when a message's turn committed.
type handledSignal struct{ ch sync.Map } // chat -> chan struct{}

func (h *handledSignal) wait(chat string) <-chan struct{} {
	c, _ := h.ch.LoadOrStore(chat, make(chan struct{}, 8))
	return c.(chan struct{})
}
func (*handledSignal) Received(string, bool) {}
func (h *handledSignal) Handled(chat string, _ time.Duration, _ error) {
	c, _ := h.ch.LoadOrStore(chat, make(chan struct{}, 8))
	c.(chan struct{}) <- struct{}{}
}
func (*handledSignal) Sent(string, error) {}

// BenchmarkRetainedPerConversation measures the Go heap a finished
// conversation leaves behind in a running service: 64 customers at a time
// talk a full conversation each, one message after the previous one was
// handled, and the live heap after them is compared with the one before.
// The target is zero: memory must follow the conversations in progress,
// not the ones finished (those live in the store).
func BenchmarkRetainedPerConversation(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openStore(b, filepath.Join(b.TempDir(), "s.db"))
	defer db.Close()
	sig := &handledSignal{}
	fl := testFlow(b)
	rt := New(Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: discard{},
		Clock: NewOffsetClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)), Log: zerolog.Nop(), Observe: sig})
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var next atomic.Int64
	talk := func(n int64) {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for i := next.Add(1); i <= n; i = next.Add(1) {
					chat := fmt.Sprint("c", i)
					for j, s := range []string{"oi", "12345678", "1", "2", "sim", "5"} {
						if _, err := rt.Receive(ctx, Inbound{Chat: chat, ID: fmt.Sprint(j), Kind: KindText, Text: s}); err != nil {
							b.Error(err)
							return
						}
						<-sig.wait(chat)
					}
					sig.ch.Delete(chat) // the benchmark's own bookkeeping
				}
			})
		}
		wg.Wait()
	}
	talk(1000) // warm up: caches, pools and maps reach their working size
	before := liveHeap()
	b.ResetTimer()
	talk(1000 + int64(b.N))
	b.StopTimer()
	after := liveHeap()
	b.ReportMetric(float64(after-before)/float64(b.N), "retained-B/conv")
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// discard is a transport that keeps nothing.
type discard struct{}

func (discard) Send(context.Context, Outbound) (Sent, error) { return Sent{}, nil }

// liveHeap is the Go heap still reachable, after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
