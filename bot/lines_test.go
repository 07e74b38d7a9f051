package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
	"suporte/store/pgtemp"
)

// sendTap is a fakeTransport that also tells each send on a channel.
type sendTap struct {
	*fakeTransport
	sends chan Outbound
}

func (s sendTap) Send(ctx context.Context, m Outbound) (Sent, error) {
	sent, err := s.fakeTransport.Send(ctx, m)
	if err == nil {
		select {
		case s.sends <- m:
		default:
		}
	}
	return sent, err
}

// TestTwoLinesShareAStore: two WhatsApp lines, each with its own process,
// on one PostgreSQL store. The same customer writes to both numbers: each
// line keeps its own conversation and ticket and answers through its own
// transport only; neither line's runtime sends the other's outbox nor
// fires its timers. An agent on line A's console answers the ticket of
// line B: line B's owner sends it, through B.
func TestTwoLinesShareAStore(t *testing.T) {
	dsn := pgtemp.Database(t)
	ctx := context.Background()
	clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)) // Tue 10:00 in São Paulo
	fl := testFlow(t)
	const (
		lineA = "554735121777"
		lineB = "551140042000"
		chat  = "5547999990000@s.whatsapp.net"
	)
	dbA, dbB := openStore(t, dsn), openStore(t, dsn)
	defer dbA.Close()
	defer dbB.Close()
	trA := sendTap{newFakeTransport(), make(chan Outbound, 64)}
	trB := sendTap{newFakeTransport(), make(chan Outbound, 64)}
	newLine := func(db *store.DB, line string, tr Transport) *Runtime {
		return New(Config{Store: db, Line: line, Flow: func() *flows.Flow { return fl }, Transport: tr, Clock: clock,
			Log: zerolog.Nop(), PollWork: 10 * time.Millisecond})
	}
	rtA, rtB := newLine(dbA, lineA, trA), newLine(dbB, lineB, trB)
	for _, c := range []struct {
		db   *store.DB
		line string
	}{{dbA, lineA}, {dbB, lineB}} {
		if err := c.db.Update(ctx, func(tx *store.Tx) error { _, err := tx.StartLine(ctx, c.line, clock.Now()); return err }); err != nil {
			t.Fatal(err)
		}
	}
	pending := func(line string) int {
		t.Helper()
		var n int
		err := dbA.View(ctx, func(tx *store.Tx) error {
			out, err := tx.PendingOutbox(ctx, line, chat, 0)
			n = len(out)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	say := func(rt *Runtime, id, text string) {
		t.Helper()
		if _, err := rt.Receive(ctx, Inbound{Chat: chat, ID: id, Kind: KindText, Text: text, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}

	// The same message (same id: the ids are the customer's phone's) to
	// both numbers; line A works first, and leaves B's replies alone.
	say(rtA, "m1", "oi")
	say(rtB, "m1", "oi")
	if pending(lineB) == 0 {
		t.Fatal("line B queued no reply to its customer")
	}
	if err := rtA.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := trB.texts(chat); len(got) != 0 {
		t.Fatalf("line B's transport sent %q before B worked", got)
	}
	waiting := pending(lineB)
	if len(trA.texts(chat)) == 0 || waiting == 0 {
		t.Fatalf("after line A worked: A sent %d, B has %d waiting; want A's replies sent and B's waiting", len(trA.texts(chat)), waiting)
	}
	if err := rtB.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := trB.texts(chat), trA.texts(chat); !slices.Equal(got, want) {
		t.Errorf("line B sent %q; want the same greeting line A sent, %q", got, want)
	}

	// The conversations go their own ways: on A the customer asks for a
	// person, on B they give their ID and stay at the menu.
	for _, m := range []string{"12345678", "atendente"} {
		say(rtA, "a-"+m, m)
		if err := rtA.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	say(rtB, "b-id", "12345678")
	if err := rtB.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	conv := func(line string) (store.Conversation, store.Ticket) {
		t.Helper()
		var c store.Conversation
		var tk store.Ticket
		err := dbB.View(ctx, func(tx *store.Tx) error {
			var err error
			if c, err = tx.Conversation(ctx, line, chat); err != nil {
				return err
			}
			tk, err = tx.Ticket(ctx, c.Ticket)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return c, tk
	}
	convA, tkA := conv(lineA)
	convB, tkB := conv(lineB)
	if convA.State != stateQueued || convB.State == stateQueued {
		t.Errorf("states: A %q, B %q; want A queued, B not", convA.State, convB.State)
	}
	if tkA.ID == tkB.ID || tkA.Line != lineA || tkB.Line != lineB {
		t.Errorf("tickets: A #%d on %q, B #%d on %q; want two, one per line", tkA.ID, tkA.Line, tkB.ID, tkB.Line)
	}

	// B's customer is waiting at the menu: a reminder is due in 10
	// minutes. Line A's runtime moves past it and leaves it alone; line
	// B's reminds its customer.
	timersB := func() []store.Timer {
		t.Helper()
		var ts []store.Timer
		if err := dbA.View(ctx, func(tx *store.Tx) error { var err error; ts, err = tx.Timers(ctx, lineB, chat); return err }); err != nil {
			t.Fatal(err)
		}
		return ts
	}
	before := timersB()
	if len(before) == 0 {
		t.Fatal("line B's customer at the menu has no reminder")
	}
	sentA, sentB := len(trA.texts(chat)), len(trB.texts(chat))
	if err := rtA.AdvanceTo(ctx, clock, clock.Now().Add(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if after := timersB(); !slices.Equal(after, before) || len(trB.texts(chat)) != sentB {
		t.Errorf("line A's runtime fired line B's timers: %v, then %v", before, after)
	}
	if got := trA.texts(chat)[sentA:]; len(got) != 0 {
		t.Errorf("line A sent %q: its customer waits for a person, with nothing due", got)
	}
	if err := rtB.AdvanceTo(ctx, clock, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if len(trB.texts(chat)) == sentB {
		t.Error("line B did not remind its customer")
	}

	// On B the customer asks for a person too. Ana, on line A's console,
	// takes B's ticket and answers: B's owner sends it, through B.
	say(rtB, "b-agent", "atendente")
	if err := rtB.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	ana := createAna(t, dbA)
	q, err := rtA.Queue(ctx)
	if err != nil || len(q) != 2 {
		t.Fatalf("the queue on A's console: %d tickets, %v; want both lines' tickets", len(q), err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 2)
	for _, rt := range []*Runtime{rtA, rtB} {
		go func() { done <- rt.Run(runCtx) }()
	}
	sentA, sentB = len(trA.texts(chat)), len(trB.texts(chat))
	if err := rtA.Claim(ctx, ana, tkB.ID); err != nil {
		t.Fatal(err)
	}
	const reply = "Olá! Aqui é a Ana, vou te ajudar."
	if err := rtA.Reply(ctx, ana, tkB.ID, reply); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for delivered := false; !delivered; {
		select {
		case m := <-trB.sends:
			delivered = strings.HasSuffix(m.Text, reply) // signed: "*Ana*\n..."
		case m := <-trA.sends:
			if strings.HasSuffix(m.Text, reply) {
				t.Fatal("line A's transport sent the reply to line B's ticket")
			}
		case <-deadline:
			t.Fatalf("line B never sent Ana's reply; it sent %q, and has %d to send", trB.texts(chat), pending(lineB))
		}
	}
	stop()
	for range 2 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	signed := "*Ana*\n" + reply
	if got := trA.texts(chat)[sentA:]; slices.Contains(got, signed) {
		t.Errorf("line A sent %q", got)
	}
	if got := trB.texts(chat)[sentB:]; !slices.Contains(got, signed) {
		t.Errorf("line B sent %q; want Ana's reply", got)
	}
	if c, tk := conv(lineA); c.State != stateQueued || tk.Agent != "" {
		t.Errorf("line A's conversation after Ana took B's: %q, agent %q; want still queued", c.State, tk.Agent)
	}
}
