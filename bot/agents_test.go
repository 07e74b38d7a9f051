package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"suporte/store"
)

// desk is a runtime with customers and agents, driven step by step.
type desk struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	rt    *Runtime
	tr    *fakeTransport
	clock *ManualClock
	n     int
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	t.Cleanup(func() { db.Close() })
	tr := newFakeTransport()
	clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)) // Tue 10:00 in São Paulo
	return &desk{t: t, ctx: context.Background(), db: db, rt: newRuntime(db, testFlow(t), tr, clock), tr: tr, clock: clock}
}

// say sends customer messages and returns what the customer got back.
func (d *desk) say(chat string, msgs ...string) []string {
	d.t.Helper()
	before := len(d.tr.texts(chat))
	for _, m := range msgs {
		d.n++
		if _, err := d.rt.Receive(d.ctx, Inbound{Chat: chat, ID: fmt.Sprint("m", d.n), Kind: KindText, Text: m, At: d.clock.Now()}); err != nil {
			d.t.Fatal(err)
		}
		d.drain()
	}
	return d.tr.texts(chat)[before:]
}

func (d *desk) drain() {
	d.t.Helper()
	if err := d.rt.Drain(d.ctx); err != nil {
		d.t.Fatal(err)
	}
}

// queue puts a customer in the human queue and returns their ticket.
func (d *desk) queue(chat string) int64 {
	d.t.Helper()
	d.say(chat, "12345678", "atendente")
	var id int64
	err := d.db.View(d.ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(d.ctx, "", chat)
		id = c.Ticket
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return id
}

func (d *desk) ticket(id int64) store.Ticket {
	d.t.Helper()
	var tk store.Ticket
	err := d.db.View(d.ctx, func(tx *store.Tx) error {
		var err error
		tk, err = tx.Ticket(d.ctx, id)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return tk
}

// since returns what chat received after running f.
func (d *desk) since(chat string, f func()) []string {
	d.t.Helper()
	before := len(d.tr.texts(chat))
	f()
	d.drain()
	return d.tr.texts(chat)[before:]
}

var (
	ana   = Agent{ID: "1", Name: "Ana", Role: "agent", MaxChats: 2}
	bruno = Agent{ID: "2", Name: "Bruno", Role: "agent", MaxChats: 1}
	sara  = Agent{ID: "3", Name: "Sara", Role: "supervisor", MaxChats: 5}
)

// createAna stores an agent Ana in db, for tests whose agents must exist
// in the store (runtimes of several processes on one database).
func createAna(t *testing.T, db *store.DB) Agent {
	t.Helper()
	var id int64
	must(t, db.Update(t.Context(), func(tx *store.Tx) error {
		var err error
		id, err = tx.CreateAgent(t.Context(), store.Agent{Email: "ana@x.com", Name: "Ana", Role: store.RoleAgent, PasswordHash: "x"})
		return err
	}))
	return Agent{ID: fmt.Sprint(id), Name: "Ana", Role: store.RoleAgent, MaxChats: 5}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestHandoffFromQueueToRating(t *testing.T) {
	d := newDesk(t)
	events, cancel := d.rt.Subscribe()
	defer cancel()
	id := d.queue("c1")

	got := d.since("c1", func() { must(t, d.rt.Claim(d.ctx, ana, id)) })
	if len(got) != 1 || !strings.Contains(got[0], "*Ana* vai continuar") {
		t.Fatalf("claim told the customer %q; want the claimed text with the agent's name", got)
	}
	if got := d.say("c1", "oi, tudo bem? minha nota não sai"); len(got) != 0 {
		t.Errorf("the bot answered %q while an agent holds the chat", got)
	}
	got = d.since("c1", func() { must(t, d.rt.Reply(d.ctx, ana, id, "Oi! Vou verificar.")) })
	if len(got) != 1 || got[0] != "*Ana*\nOi! Vou verificar." {
		t.Fatalf("reply reached the customer as %q", got)
	}
	must(t, d.rt.Note(d.ctx, ana, id, "cliente da filial"))
	must(t, d.rt.SetStatus(d.ctx, ana, id, store.StatusAguardando))
	if s := d.ticket(id).Status; s != store.StatusAguardando {
		t.Fatalf("status %q; want aguardando_resposta", s)
	}
	d.say("c1", "voltei, testei aqui")
	if s := d.ticket(id).Status; s != store.StatusAberto {
		t.Errorf("a customer answer left the status %q; want aberto", s)
	}
	got = d.since("c1", func() {
		must(t, d.rt.SetStatus(d.ctx, ana, id, store.StatusResolvido))
		must(t, d.rt.AdvanceTo(d.ctx, d.clock, d.clock.Now().Add(ResolveUndo))) // the undo window closes
	})
	if len(got) != 1 || !strings.Contains(got[0], "1* (muito ruim)") {
		t.Fatalf("resolve told the customer %q; want the rating question", got)
	}
	d.say("c1", "4")
	tk := d.ticket(id)
	if tk.Status != store.StatusResolvido || tk.ClaimedAt.IsZero() || tk.FirstResponseAt.IsZero() || tk.ClosedAt.IsZero() {
		t.Errorf("ticket after resolving: %+v", tk)
	}
	err := d.db.View(d.ctx, func(tx *store.Tx) error {
		fb, err := tx.Feedback(d.ctx, id)
		if err == nil && (fb.Rating != 4 || fb.Agent != ana.ID) {
			t.Errorf("feedback %+v; want rating 4 by agent %s", fb, ana.ID)
		}
		evs, err := tx.Transcript(d.ctx, id)
		kinds := map[string]int{}
		for _, e := range evs {
			kinds[e.Kind]++
		}
		for _, k := range []string{"customer", "bot", "agent", "note", "status", "system"} {
			if kinds[k] == 0 {
				t.Errorf("transcript has no %s line: %v", k, kinds)
			}
		}
		return err
	})
	must(t, err)
	if err := d.rt.Reply(d.ctx, ana, id, "mais uma coisa"); !errors.Is(err, ErrResolved) {
		t.Errorf("reply to a resolved ticket: %v; want ErrResolved", err)
	}
	seen := map[string]bool{}
	for len(events) > 0 {
		seen[(<-events).Kind] = true
	}
	for _, k := range []string{EventQueue, EventMessage, EventTicket} {
		if !seen[k] {
			t.Errorf("no %s event published", k)
		}
	}
}

func TestAgentPermissionsAndLimits(t *testing.T) {
	d := newDesk(t)
	a, b, c := d.queue("c1"), d.queue("c2"), d.queue("c3")
	q, err := d.rt.Queue(d.ctx)
	must(t, err)
	if len(q) != 3 || q[0].Ticket.ID != a || q[1].Ticket.ID != b || q[2].Position != 3 {
		t.Fatalf("queue %+v; want c1, c2, c3 in order", q)
	}
	next, err := d.rt.ClaimNext(d.ctx, bruno)
	if err != nil || next != a {
		t.Fatalf("ClaimNext = %d, %v; want %d", next, err, a)
	}
	if _, err := d.rt.ClaimNext(d.ctx, bruno); !errors.Is(err, ErrAtCapacity) {
		t.Errorf("bruno's second chat: %v; want ErrAtCapacity", err)
	}
	for name, err := range map[string]error{
		"reply":    d.rt.Reply(d.ctx, ana, a, "oi"),
		"status":   d.rt.SetStatus(d.ctx, ana, a, store.StatusResolvido),
		"release":  d.rt.Release(d.ctx, ana, a),
		"transfer": d.rt.Transfer(d.ctx, ana, a, ana),
		"note":     d.rt.Note(d.ctx, ana, a, "x"),
	} {
		if !errors.Is(err, ErrNotAllowed) {
			t.Errorf("ana %s on bruno's chat: %v; want ErrNotAllowed", name, err)
		}
	}
	if err := d.rt.Claim(d.ctx, ana, a); !errors.Is(err, ErrNotWaiting) {
		t.Errorf("ana claiming bruno's chat: %v; want ErrNotWaiting", err)
	}
	if err := d.rt.Reply(d.ctx, sara, a, "Sou a supervisora"); err != nil {
		t.Errorf("supervisor reply: %v", err)
	}
	if err := d.rt.SetStatus(d.ctx, bruno, a, "fechado"); !errors.Is(err, ErrBadStatus) {
		t.Errorf("bad status: %v", err)
	}
	if err := d.rt.Reply(d.ctx, bruno, a, "   "); !errors.Is(err, ErrEmptyText) {
		t.Errorf("empty reply: %v", err)
	}
	if err := d.rt.Claim(d.ctx, ana, 999); !errors.Is(err, ErrNoTicket) {
		t.Errorf("unknown ticket: %v", err)
	}
	if err := d.rt.Transfer(d.ctx, bruno, a, Agent{ID: "9", Name: "Cheia", MaxChats: 1}); err != nil {
		t.Errorf("transfer: %v", err)
	}
	if tk := d.ticket(a); tk.Agent != "9" {
		t.Errorf("after transfer the agent is %q; want 9", tk.Agent)
	}

	// Release keeps the customer's place: c2 was queued before c3.
	must(t, d.rt.Claim(d.ctx, ana, b))
	d.drain()
	d.clock.Advance(5 * time.Minute) // c2 goes back to its place, not to the end
	got := d.since("c2", func() { must(t, d.rt.Release(d.ctx, ana, b)) })
	if len(got) != 1 || !strings.Contains(got[0], "sem perder a vez") {
		t.Errorf("release told %q", got)
	}
	q, err = d.rt.Queue(d.ctx)
	must(t, err)
	if len(q) != 2 || q[0].Ticket.ID != b || q[1].Ticket.ID != c {
		t.Errorf("queue after release: %+v; want c2 then c3", q)
	}
}

func TestEscalateTellsReturnDate(t *testing.T) {
	d := newDesk(t)
	id := d.queue("c1")
	must(t, d.rt.Claim(d.ctx, ana, id))
	d.drain()
	var due time.Time
	got := d.since("c1", func() {
		var err error
		due, err = d.rt.Escalate(d.ctx, ana, id)
		must(t, err)
	})
	// Tue 24/11 + 6 business days = Wed 02/12, closing time.
	want := time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	if !due.Equal(want) {
		t.Errorf("due %v; want %v", due, want)
	}
	if len(got) != 1 || !strings.Contains(got[0], "6 dias úteis (até quarta-feira, 02/12)") {
		t.Errorf("customer told %q; want the return date", got)
	}
	tk := d.ticket(id)
	if tk.Status != store.StatusAberto || tk.EscalationDue.IsZero() || tk.Agent != ana.ID {
		t.Errorf("escalated ticket %+v", tk)
	}
	// Once: a second escalation is refused and changes nothing.
	d.clock.Advance(24 * time.Hour)
	if got := d.since("c1", func() {
		if _, err := d.rt.Escalate(d.ctx, ana, id); !errors.Is(err, ErrEscalated) {
			t.Errorf("escalating again: %v; want ErrEscalated", err)
		}
	}); len(got) != 0 {
		t.Errorf("escalating again told the customer %q", got)
	}
	if again := d.ticket(id); !again.EscalatedAt.Equal(tk.EscalatedAt) || !again.EscalationDue.Equal(want) {
		t.Errorf("after escalating again: escalated %v due %v; want both unchanged", again.EscalatedAt, again.EscalationDue)
	}
	// The chat ended; the next message starts a new conversation with the bot.
	if got := d.say("c1", "oi"); len(got) == 0 || !strings.Contains(got[0], "Que bom te ver de novo") {
		t.Errorf("after escalation got %q; want a new conversation", got)
	}
	if err := d.rt.Reply(d.ctx, ana, id, "retorno do produto"); !errors.Is(err, ErrChatBusy) {
		t.Errorf("reply while the customer is in a new conversation: %v; want ErrChatBusy", err)
	}
}

func TestQueueNotices(t *testing.T) {
	d := newDesk(t)
	ids := []int64{d.queue("c1"), d.queue("c2"), d.queue("c3"), d.queue("c4")}
	notify := func(chat string) []string {
		return d.since(chat, func() { must(t, d.rt.NotifyQueue(d.ctx)) })
	}
	if got := notify("c4"); len(got) != 0 {
		t.Errorf("right after queueing c4 was told %q; want nothing", got)
	}
	must(t, d.rt.Claim(d.ctx, ana, ids[0]))
	must(t, d.rt.Claim(d.ctx, ana, ids[1]))
	d.clock.Advance(time.Minute)
	if got := notify("c4"); len(got) != 0 {
		t.Errorf("a minute later c4 was told %q; want nothing before notify_every", got)
	}
	d.clock.Advance(3 * time.Minute)
	got := notify("c4")
	if len(got) != 1 || !strings.Contains(got[0], "*2º* da fila") {
		t.Errorf("c4 moved from 4th to 2nd and was told %q", got)
	}
	d.clock.Advance(11 * time.Minute)
	if got := notify("c4"); len(got) != 1 || !strings.Contains(got[0], "Continuamos com você") {
		t.Errorf("after a long wait c4 was told %q; want the still-waiting note", got)
	}
	d.clock.Set(time.Date(2026, 11, 24, 21, 5, 0, 0, time.UTC)) // 18:05 in São Paulo
	if got := notify("c4"); len(got) != 1 || !strings.Contains(got[0], "expediente de hoje terminou") {
		t.Errorf("at the end of the day c4 was told %q", got)
	}
	if got := notify("c4"); len(got) != 0 {
		t.Errorf("c4 told twice that the day ended: %q", got)
	}
	if got := notify("c1"); len(got) != 0 {
		t.Errorf("c1, with an agent, got queue notices %q", got)
	}
}

func TestWaitEstimate(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	claims := func(every time.Duration, n int) []store.Ticket {
		var ts []store.Ticket
		for i := range n {
			ts = append(ts, store.Ticket{ClaimedAt: now.Add(-time.Duration(i) * every)})
		}
		return ts
	}
	for _, c := range []struct {
		name   string
		pos    int
		recent []store.Ticket
		want   string
	}{
		{"too few claims", 3, claims(5*time.Minute, 2), ""},
		{"every 5 minutes, third in line", 3, claims(5*time.Minute, 6), "cerca de 15 minutos"},
		{"every 4 minutes, third in line rounds up", 3, claims(4*time.Minute, 6), "cerca de 15 minutos"},
		{"first in line, busy desk", 1, claims(time.Minute, 10), "poucos minutos"},
		{"slow desk", 4, claims(20*time.Minute, 5), "cerca de 1 hora"},
		{"stale claims do not count", 2, claims(3*time.Hour, 5), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := estimateWait(c.pos, c.recent, now); got != c.want {
				t.Errorf("got %q; want %q", got, c.want)
			}
		})
	}
}

// TestClaimOnlyFromQueue: a ticket nobody holds is claimed only while its
// customer waits in the queue: not once they went back to the menu or
// left with "sair", nor while they are still at the bot's menu. Nothing
// is said to them and nobody gets the ticket.
func TestClaimOnlyFromQueue(t *testing.T) {
	d := newDesk(t)
	left := d.queue("c1")
	d.say("c1", "menu")
	gone := d.queue("c3")
	d.say("c3", "sair")
	d.say("c2", "12345678") // at the main menu
	var browsing int64
	must(t, d.db.View(d.ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(d.ctx, "", "c2")
		browsing = c.Ticket
		return err
	}))
	for chat, id := range map[string]int64{"c1": left, "c3": gone, "c2": browsing} {
		got := d.since(chat, func() {
			if err := d.rt.Claim(d.ctx, ana, id); !errors.Is(err, ErrNotWaiting) {
				t.Errorf("claiming %s's ticket: %v; want ErrNotWaiting", chat, err)
			}
		})
		if len(got) != 0 {
			t.Errorf("%s was told %q", chat, got)
		}
		if tk := d.ticket(id); tk.Agent != "" {
			t.Errorf("%s's ticket went to agent %q", chat, tk.Agent)
		}
	}
	if _, err := d.rt.ClaimNext(d.ctx, ana); !errors.Is(err, ErrQueueEmpty) {
		t.Errorf("ClaimNext with nobody waiting: %v; want ErrQueueEmpty", err)
	}
}
