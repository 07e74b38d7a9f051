package bot

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

// syncBuffer is a log destination for many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// longNumber is what a phone number looks like in a log.
var longNumber = regexp.MustCompile(`[0-9]{8,}`)

// TestLogsHaveNoPhoneNumbers runs customers through every error the
// runtime logs above debug level (failed sends, a turn that fails, a store
// that refuses writes) and scans the log for their numbers: lines name
// chats by ChatRef. At debug level the chat itself may show.
func TestLogsHaveNoPhoneNumbers(t *testing.T) {
	for _, level := range []zerolog.Level{zerolog.InfoLevel, zerolog.DebugLevel} {
		t.Run(level.String(), func(t *testing.T) {
			logs := &syncBuffer{}
			ctx := context.Background()
			db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
			t.Cleanup(func() { db.Close() })
			tr := newFakeTransport()
			clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))
			fl := testFlow(t)
			key := []byte("installation secret")
			rt := New(Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: tr, Clock: clock,
				Log: zerolog.New(logs).Level(level), LogKey: key})
			chats := []string{"5547999990001", "5548988887777@s.whatsapp.net"}
			say := func(chat, text string) {
				t.Helper()
				if _, err := rt.Receive(ctx, Inbound{Chat: chat, ID: fmt.Sprint(time.Now().UnixNano()), Kind: KindText, Text: text}); err != nil {
					t.Fatal(err)
				}
				if err := rt.Drain(ctx); err != nil {
					t.Fatal(err)
				}
			}
			tr.fails[chats[0]] = 1 // a send fails
			say(chats[0], "oi")
			clock.Advance(2 * time.Second)
			// A turn fails: the conversation is in a state the engine does not know.
			must(t, db.Update(ctx, func(tx *store.Tx) error {
				return tx.PutConversation(ctx, store.Conversation{Chat: chats[1], State: "estado_inexistente", StartedAt: clock.Now()})
			}))
			say(chats[1], "oi")
			// The store stops taking writes while a reply waits to be recorded.
			say(chats[0], "12345678")
			must(t, db.Drill(ctx, store.ReadOnly))
			clock.Advance(time.Hour) // the reminders come due
			if err := rt.AdvanceTo(ctx, clock, clock.Now()); err != nil {
				t.Fatal(err)
			}
			must(t, db.Drill(ctx, store.NoFault))
			if err := rt.Drain(ctx); err != nil {
				t.Fatal(err)
			}

			out := logs.String()
			for _, msg := range []string{"send failed; will retry", "handle message failed; apologizing", "chat work failed; will retry"} {
				if !strings.Contains(out, msg) {
					t.Fatalf("the run logged no %q: it does not test it\n%s", msg, out)
				}
			}
			for _, c := range chats {
				if ref := ChatRef(key, c); !strings.Contains(out, `"chat_ref":"`+ref+`"`) {
					t.Errorf("no line names %s by its ref %s", c, ref)
				}
			}
			found := longNumber.FindAllString(out, -1)
			if level == zerolog.DebugLevel {
				if len(found) == 0 {
					t.Error("at debug level the chats should show")
				}
				return
			}
			if len(found) > 0 {
				t.Errorf("phone numbers in the log above debug level: %q\n%s", found, out)
			}
		})
	}
}

func TestChatRef(t *testing.T) {
	a, b := ChatRef([]byte("k1"), "5547999990001"), ChatRef([]byte("k2"), "5547999990001")
	if a == b || a != ChatRef([]byte("k1"), "5547999990001") || len(a) != 12 || strings.ContainsAny(a, "0123456789") {
		t.Errorf("refs %q and %q: want 12 letters, stable for a key, different across keys", a, b)
	}
}
