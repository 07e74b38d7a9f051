package bot

import (
	"context"
	"testing"
	"time"
)

func TestLimiterSpacesMessagesAfterBurst(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var slept time.Duration
	l := NewLimiter(2, 3, func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
		slept += d
		now = now.Add(d)
		return nil
	})
	for i := range 3 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if slept != 0 {
			t.Fatalf("message %d of the burst waited %v; want 0", i+1, slept)
		}
	}
	for i := range 4 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if want := time.Duration(i+1) * 500 * time.Millisecond; slept != want {
			t.Fatalf("after %d messages past the burst waited %v in all; want %v", i+1, slept, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l2 := NewLimiter(1, 1, func() time.Time { return now }, Sleep)
	_ = l2.Wait(ctx) // the burst token
	if err := l2.Wait(ctx); err == nil {
		t.Error("Wait on a cancelled context returned nil; want the context's error")
	}
}
