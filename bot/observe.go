package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"suporte/store"
)

// Observer learns what the runtime does, as it happens: the service feeds
// its metrics from it, the benchmark its latency figures. Calls come from
// many goroutines and must return quickly.
type Observer interface {
	// Received: an inbound message was persisted (dup: a redelivery).
	Received(chat string, dup bool)
	// Handled: an inbound message's turn committed, latency after it was
	// persisted (zero when unknown, e.g. received before a restart).
	Handled(chat string, latency time.Duration, err error)
	// Sent: one outbound message was delivered, or failed to be.
	Sent(chat string, err error)
}

// MediaObserver is an Observer that also counts files: each customer file
// stored or given up, and each file sent.
type MediaObserver interface {
	MediaIn(kind string, ok bool)
	MediaOut(kind string)
}

// observeMedia counts a customer's file that landed or was given up.
func (r *Runtime) observeMedia(m store.Media, ok bool) {
	if o, is := r.cfg.Observe.(MediaObserver); is {
		o.MediaIn(m.Kind, ok)
	}
}

// receipts remembers when each inbox row was persisted, to measure the
// handling latency; rows received before a restart are simply not timed.
type receipts struct {
	mu sync.Mutex
	at map[string]time.Time // chat + "\x00" + message id
}

// putNew records t for key unless key is already timed (a redelivery of a
// message still waiting keeps its first arrival), and says whether it did.
func (r *receipts) putNew(key string, t time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	if _, ok := r.at[key]; ok {
		return false
	}
	r.at[key] = t
	return true
}

// drop forgets key if it still holds t: a message that was not stored, or
// was a duplicate, leaves nothing behind.
func (r *receipts) drop(key string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.at[key]; ok && at.Equal(t) {
		delete(r.at, key)
	}
}

func (r *receipts) take(key string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.at[key]
	delete(r.at, key)
	return t, ok
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
