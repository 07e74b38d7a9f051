package bot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"suporte/store"
)

// TestResolveUndo: Resolver waits ResolveUndo before the customer hears
// anything; until then the agent can take it back and nothing reaches the
// customer, after it the rating question goes once and cannot be taken
// back. The clock is a ManualClock moved by AdvanceTo: no sleeping.
func TestResolveUndo(t *testing.T) {
	d := newDesk(t)
	events, cancel := d.rt.Subscribe()
	defer cancel()
	id := d.queue("c1")
	must(t, d.rt.Claim(d.ctx, ana, id))
	must(t, d.rt.Reply(d.ctx, ana, id, "Pronto, corrigido!"))
	d.drain()
	for len(events) > 0 {
		<-events
	}

	start := d.clock.Now()
	var due time.Time
	got := d.since("c1", func() {
		var err error
		due, err = d.rt.Resolve(d.ctx, ana, id)
		must(t, err)
	})
	if !due.Equal(start.Add(ResolveUndo)) || len(got) != 0 {
		t.Fatalf("Resolve: due %v, customer got %q; want due %v and nothing sent", due, got, start.Add(ResolveUndo))
	}
	if ev := <-events; ev.Kind != EventTicket || ev.Ticket != id {
		t.Errorf("Resolve published %+v; want a ticket event for %d", ev, id)
	}
	if tk := d.ticket(id); tk.Status != store.StatusAberto || tk.Agent != ana.ID {
		t.Errorf("while resolving: status %q agent %q; want aberto with Ana", tk.Status, tk.Agent)
	}
	// Until the window closes only a note or the undo go through.
	for name, err := range map[string]error{
		"reply":    d.rt.Reply(d.ctx, ana, id, "ah, e mais"),
		"waiting":  d.rt.SetStatus(d.ctx, ana, id, store.StatusAguardando),
		"release":  d.rt.Release(d.ctx, ana, id),
		"transfer": d.rt.Transfer(d.ctx, ana, id, sara),
	} {
		if !errors.Is(err, ErrResolving) {
			t.Errorf("%s while resolving: %v; want ErrResolving", name, err)
		}
	}
	if _, err := d.rt.Escalate(d.ctx, ana, id); !errors.Is(err, ErrResolving) {
		t.Errorf("escalate while resolving: %v; want ErrResolving", err)
	}
	must(t, d.rt.Note(d.ctx, ana, id, "resolvido pelo suporte"))
	if again, err := d.rt.Resolve(d.ctx, ana, id); err != nil || !again.Equal(due) {
		t.Errorf("Resolve again: %v, %v; want the first time %v", again, err, due)
	}

	// A second before the end, then undone: nothing ever reaches the customer.
	got = d.since("c1", func() {
		must(t, d.rt.AdvanceTo(d.ctx, d.clock, due.Add(-time.Second)))
		must(t, d.rt.UndoResolve(d.ctx, ana, id))
		must(t, d.rt.AdvanceTo(d.ctx, d.clock, due.Add(time.Minute)))
	})
	if len(got) != 0 {
		t.Fatalf("after undo the customer got %q; want nothing", got)
	}
	if tk := d.ticket(id); tk.Status != store.StatusAberto || tk.Agent != ana.ID {
		t.Errorf("after undo: status %q agent %q; want aberto with Ana", tk.Status, tk.Agent)
	}
	if err := d.rt.UndoResolve(d.ctx, ana, id); !errors.Is(err, ErrNotResolving) {
		t.Errorf("undo with nothing to undo: %v; want ErrNotResolving", err)
	}
	must(t, d.rt.Reply(d.ctx, ana, id, "Só mais uma dica antes de encerrar."))
	d.drain()

	// Resolved again, by the supervisor; the customer writes meanwhile
	// (the agent sees it and could undo): when the window closes the
	// rating question goes, once.
	due, err := d.rt.Resolve(d.ctx, sara, id)
	must(t, err)
	if got := d.say("c1", "obrigado!"); len(got) != 0 {
		t.Errorf("the bot answered %q while the agent's chat was resolving", got)
	}
	got = d.since("c1", func() { must(t, d.rt.AdvanceTo(d.ctx, d.clock, due.Add(time.Minute))) })
	if len(got) != 1 || !strings.Contains(got[0], "1* (muito ruim)") {
		t.Fatalf("when the window closed the customer got %q; want the rating question once", got)
	}
	tk := d.ticket(id)
	if tk.Status != store.StatusResolvido || !tk.ClosedAt.Equal(due) || tk.CloseReason != store.CloseSolvedByAgent {
		t.Errorf("resolved ticket: %+v; want resolvido, closed at %v by the agent", tk, due)
	}
	if err := d.rt.UndoResolve(d.ctx, sara, id); !errors.Is(err, ErrResolved) {
		t.Errorf("undo after the rating question went: %v; want ErrResolved", err)
	}
	err = d.db.View(d.ctx, func(tx *store.Tx) error {
		es, err := tx.TicketEvents(d.ctx, id, 0)
		n := 0
		for _, e := range es {
			if e.Kind == "status" && e.Text == store.StatusResolvido && e.Actor == sara.Name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("transcript: %d lines of Sara resolving; want 1: %+v", n, es)
		}
		return err
	})
	must(t, err)
}

// TestResolveSurvivesRestart: the undo window is a stored timer: a ticket
// resolved just before a restart resolves after it, on time.
func TestResolveSurvivesRestart(t *testing.T) {
	d := newDesk(t)
	id := d.queue("c1")
	must(t, d.rt.Claim(d.ctx, ana, id))
	due, err := d.rt.Resolve(d.ctx, ana, id)
	must(t, err)
	d.drain()

	rt := newRuntime(d.db, testFlow(t), d.tr, d.clock) // the service started again
	before := len(d.tr.texts("c1"))
	must(t, rt.AdvanceTo(d.ctx, d.clock, due))
	if got := d.tr.texts("c1")[before:]; len(got) != 1 || !strings.Contains(got[0], "1* (muito ruim)") {
		t.Errorf("after a restart the customer got %q; want the rating question", got)
	}
}

// TestResolveEscalated: a case the product team sent back is resolved
// from the console after its conversation ended: the chat is picked back
// up and the customer asked for a rating when the window closes.
func TestResolveEscalated(t *testing.T) {
	d := newDesk(t)
	id := d.queue("c1")
	must(t, d.rt.Claim(d.ctx, ana, id))
	_, err := d.rt.Escalate(d.ctx, ana, id)
	must(t, err)
	d.drain()
	d.clock.Advance(48 * time.Hour)
	due, err := d.rt.Resolve(d.ctx, ana, id)
	must(t, err)
	got := d.since("c1", func() { must(t, d.rt.AdvanceTo(d.ctx, d.clock, due)) })
	if len(got) != 1 || !strings.Contains(got[0], "1* (muito ruim)") || d.ticket(id).Status != store.StatusResolvido {
		t.Errorf("resolving an escalated case: the customer got %q, status %q; want the rating question, resolvido", got, d.ticket(id).Status)
	}
}
