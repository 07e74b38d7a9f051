package bot

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket shared by every chat's sender: it keeps the
// number's sending rate under what WhatsApp tolerates, however many
// customers write at once.
type Limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
}

// NewLimiter allows perSecond messages on average and burst at once.
// now and sleep are the clock (time.Now and a context-aware sleep in the
// service; fakes in tests).
func NewLimiter(perSecond float64, burst int, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	return &Limiter{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: now(), now: now, sleep: sleep}
}

// Wait blocks until a message may go out.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.now()
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		l.last = now
		if l.tokens >= 1 {
			l.tokens--
			l.mu.Unlock()
			return nil
		}
		wait := time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
		l.mu.Unlock()
		if err := l.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Sleep waits for d or until ctx ends: the service's pause function.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
