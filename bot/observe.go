package bot

import (
	"sync"
	"time"
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
