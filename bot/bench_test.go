package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
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
