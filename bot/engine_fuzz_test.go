package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"suporte/store"
)

// A FuzzEngineInput script is customer messages separated by fuzzSep. A
// message starting with one of the op bytes below is that kind of event,
// the rest of it its text; any other message is a text.
const (
	fuzzSep = "\x1e"

	opMedia     = 0x10 // 0x10 to 0x16: MediaKinds[op-opMedia], the rest is the caption
	opEdit      = 0x17 // the customer edited a message
	opFromMe    = 0x18 // someone answered from the support phone
	opCall      = 0x19 // a call, rejected
	opWait      = 0x1a // time passes (timers fire): the next byte picks 1m, 11m, 31m or 3h
	opLate      = 0x1b // a text sent an hour ago, delivered now
	opRedeliver = 0x1c // the previous message again, same id
	opNamed     = 0x1d // a text whose sender's push name is the text

	maxFuzzSteps = 32 // past flood_max (20), so the flood guard is reachable
)

// fuzzWeekStart is Monday 23/11/2026 00:00 in São Paulo; a script starts
// up to 45 days later, so it meets open hours, nights, weekends and the
// Christmas holiday.
var fuzzWeekStart = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

var fuzzWaits = []time.Duration{time.Minute, 11 * time.Minute, 31 * time.Minute, 3 * time.Hour}

// fuzzScripts are seed conversations: the happy path, handoffs, the
// special kinds, floods and hostile texts.
var fuzzScripts = []string{
	"oi",
	"oi\x1e12345678\x1e1\x1e2\x1esim\x1e5",
	"12345678\x1e1\x1e1\x1enão\x1esair",
	"12345678\x1e3\x1e2\x1enão\x1e2\x1e1",
	"12345678\x1eatendente\x1eoi?\x1eainda ai?\x1esair",
	"atendente\x1e123.456.789-0\x1emenu\x1evoltar",
	"oi\x1e1234\x1eabc\x1e12\x1e\x1e",
	"12345678\x1e1\x1e1\x1esim\x1e1\x1e\x1e",
	"12345678\x1e1\x1e1\x1esim\x1e2\x1emuito demorado\x1eoi",
	"12345678\x1emeus chamados\x1e1\x1e1\x1eprecisa de mais algo\x1emenu",
	"12345678\x1e4\x1e1\x1edeixar uma mensagem com o problema do boleto",
	"\x10\x1e\x11legenda\x1e\x12\x1e\x13\x1e\x14nota.pdf\x1e\x15\x1e\x16",
	"12345678\x1e\x17editada\x1e1\x1e\x19\x1e2",
	"12345678\x1e\x18Oi, aqui é a Ana\x1e1\x1e2\x1e\x1a\x03\x1emenu",
	"12345678\x1e1\x1e\x1a\x01\x1e\x1a\x01\x1eoi",
	"\x1boi\x1e\x1b12345678\x1e1",
	"12345678\x1e\x1c\x1e\x1c\x1e1",
	"\x1dAna \x00\n*bold*\x1e12345678",
	strings.Repeat("spam\x1e", 25) + "menu",
	strings.Repeat("á", MaxText+10) + "\x1e12345678",
	"\x00\x1e\xff\xfe\x1e\u202e12345678\u202c\x1e1️⃣\x1e🔟\x1e👍🏽",
	"12345678\x1e*_~`\n\r\xff",
	// Invalid UTF-8 from the customer came back in the ticket view
	// ("Meus chamados"), as a message and as the requester's name.
	"12345678\x1eatendente\x1e\xff\xfe\x1esair\x1eoi\x1e1\x1e7\x1e1\x1e1\x1e1\x1ecomentário \xff",
	"\x1d12345678\xff\x1eatendente\x1esair\x1eoi\x1e1\x1e7\x1e1\x1e1",
}

// FuzzEngineInput drives the real runtime over a real store with a
// script of customer messages, one Receive and Drain at a time on a
// ManualClock. After each message: nothing failed, the message was
// handled and everything queued was sent, every bot message is non-empty
// valid UTF-8, the conversation is in a lifecycle state whose ticket
// status fits it, and the customer got an answer unless the code means
// to stay quiet (a redelivery, an edit, the support phone or a person
// holding the chat, a flood, a late backlog, the human queue).
//
// One store serves a fuzz worker; each input is a new chat on it, with
// its own runtime and clock, and its timers are cleared at the end, so
// inputs do not see each other. With /tmp on disk every commit is an
// fsync: run with TMPDIR=/dev/shm.
func FuzzEngineInput(f *testing.F) {
	for i, s := range fuzzScripts {
		f.Add(s, uint16(i*997)) // spread over days and hours
		f.Add(s, uint16(1*24*60+10*60))
	}
	ctx := context.Background()
	db := openStore(f, filepath.Join(f.TempDir(), "fuzz.db"))
	f.Cleanup(func() { db.Close() })
	fl := testFlow(f)
	s := fl.File.Settings
	states := lifecycleStates()
	chats := 0

	f.Fuzz(func(t *testing.T, script string, at uint16) {
		chats++
		chat := fmt.Sprint("fuzz", chats)
		clock := NewManualClock(fuzzWeekStart.Add(time.Duration(at) * time.Minute))
		tr := newFakeTransport()
		rt := newRuntime(db, fl, tr, clock)
		defer func() {
			if err := db.Update(ctx, func(tx *store.Tx) error { return tx.ClearTimers(ctx, "", chat, "") }); err != nil {
				t.Fatal(err)
			}
		}()

		steps := strings.SplitN(script, fuzzSep, maxFuzzSteps)
		var received []time.Time // when each inbox row arrived, for the flood rule
		prevID := ""
		for n, step := range steps {
			in := Inbound{Chat: chat, ID: fmt.Sprint("m", n), Kind: KindText, Text: step}
			op := byte(0)
			if step != "" && step[0] >= opMedia && step[0] <= opNamed {
				op, in.Text = step[0], step[1:]
			}
			redeliver := op == opRedeliver && prevID != ""
			switch {
			case op >= opMedia && op < opMedia+byte(len(MediaKinds)):
				in.Kind = MediaKinds[op-opMedia]
			case op == opEdit:
				in.Kind = KindEdit
			case op == opFromMe:
				in.Kind = KindFromMe
			case op == opCall:
				in.Kind = KindCall
			case op == opLate:
				in.At = clock.Now().Add(-time.Hour)
			case redeliver:
				in.ID = prevID
			case op == opNamed:
				in.PushName = in.Text
			case op == opWait:
				d := fuzzWaits[0]
				if in.Text != "" {
					d = fuzzWaits[int(in.Text[0])%len(fuzzWaits)]
				}
				if err := rt.AdvanceTo(ctx, clock, clock.Now().Add(d)); err != nil {
					t.Fatalf("step %d: AdvanceTo: %v", n, err)
				}
				checkFuzzChat(t, db, chat, tr, 0, states, n)
				continue
			}
			prevID = in.ID

			before := loadFuzzChat(t, db, chat)
			sent := len(tr.texts(chat))
			now := clock.Now()
			dup, err := rt.Receive(ctx, in)
			if err != nil {
				t.Fatalf("step %d: Receive(%+v): %v", n, in, err)
			}
			if dup != redeliver {
				t.Fatalf("step %d: Receive(id %s) dup = %t; want %t", n, in.ID, dup, redeliver)
			}
			if !dup {
				received = append(received, now)
			}
			if err := rt.Drain(ctx); err != nil {
				t.Fatalf("step %d: Drain: %v", n, err)
			}
			after := checkFuzzChat(t, db, chat, tr, sent, states, n)
			if len(tr.texts(chat)) > sent {
				continue
			}

			// Silence: allowed only where the code means it.
			recent := 0
			for _, r := range received {
				if !r.Before(now.Add(-s.FloodPer.Duration)) {
					recent++
				}
			}
			answerable := in.Kind == KindText || slices.Contains(MediaKinds, in.Kind)
			switch {
			case dup, in.Kind == KindEdit, in.Kind == KindFromMe:
			case answerable && recent > s.FloodMax:
			case answerable && now.Before(before.conv.PausedUntil):
			case op == opLate:
			case before.conv.State == stateQueued || before.conv.State == stateWithAgent:
			case before.conv.State == stateTicketComment && in.Kind != KindText:
			default:
				t.Errorf("step %d: %s %q in state %s (now %s) got no answer; state after: %s",
					n, in.Kind, in.Text, before.conv.State, now.Format(time.RFC3339), after.conv.State)
			}
		}
	})
}

// lifecycleStates is every state the lifecycle names.
func lifecycleStates() map[string]bool {
	states := map[string]bool{}
	for _, e := range lifecycleEvents() {
		for _, s := range e.Src {
			states[s] = true
		}
		states[e.Dst] = true
	}
	return states
}

// fuzzChat is what the store holds about one chat.
type fuzzChat struct {
	conv    store.Conversation
	tickets []store.Ticket
	inbox   []store.Inbound
	outbox  []store.OutMsg
}

func loadFuzzChat(t *testing.T, db *store.DB, chat string) fuzzChat {
	t.Helper()
	ctx := context.Background()
	var c fuzzChat
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		c.conv, err = tx.Conversation(ctx, "", chat)
		if errors.Is(err, store.ErrNotFound) {
			c.conv = store.Conversation{Chat: chat, State: stateClosed}
		} else if err != nil {
			return err
		}
		if c.tickets, err = tx.TicketsByChat(ctx, "", chat, 0); err != nil {
			return err
		}
		if c.inbox, err = tx.InboxByChat(ctx, "", chat, 0); err != nil {
			return err
		}
		c.outbox, err = tx.OutboxAfter(ctx, "", chat, 0, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkFuzzChat checks the chat after step n, whose sends start at
// tr.texts(chat)[sent:], and returns what the store holds.
func checkFuzzChat(t *testing.T, db *store.DB, chat string, tr *fakeTransport, sent int, states map[string]bool, n int) fuzzChat {
	t.Helper()
	c := loadFuzzChat(t, db, chat)
	for _, in := range c.inbox {
		if !in.Done {
			t.Fatalf("step %d: inbox row %d (%s %q) not handled", n, in.ID, in.Kind, in.Text)
		}
	}
	for _, m := range c.outbox {
		if m.SentAt.IsZero() {
			t.Fatalf("step %d: outbox row %d %q not sent", n, m.ID, m.Text)
		}
	}
	for _, text := range tr.texts(chat)[sent:] {
		if strings.TrimSpace(text) == "" || !utf8.ValidString(text) {
			t.Errorf("step %d: the bot sent %q; want non-empty valid UTF-8", n, text)
		}
	}
	if !states[c.conv.State] {
		t.Fatalf("step %d: conversation state %q; want a lifecycle state", n, c.conv.State)
	}
	for _, tk := range c.tickets {
		switch tk.Status {
		case store.StatusAberto, store.StatusAguardando, store.StatusResolvido:
		default:
			t.Fatalf("step %d: ticket %d status %q; want one of the three", n, tk.ID, tk.Status)
		}
	}
	if c.conv.State == stateClosed {
		return c
	}
	i := slices.IndexFunc(c.tickets, func(tk store.Ticket) bool { return tk.ID == c.conv.Ticket })
	if i < 0 {
		t.Fatalf("step %d: conversation in %s has ticket %d, not one of the chat's", n, c.conv.State, c.conv.Ticket)
	}
	switch st := c.tickets[i].Status; {
	case waiting[c.conv.State] && st != store.StatusAguardando:
		t.Errorf("step %d: conversation waits on the customer (%s) but its ticket is %s", n, c.conv.State, st)
	case c.conv.State == stateQueued && st != store.StatusAberto:
		t.Errorf("step %d: conversation is queued but its ticket is %s", n, st)
	}
	return c
}
