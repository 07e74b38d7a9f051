package bot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store/pgtemp"
)

// TestEventsReachEveryReplica: two processes share a PostgreSQL store. A
// customer's handoff on the line's owner and an agent's claim on a
// console replica both reach the consoles of both processes, with ids;
// a console that reconnects catches up from the last id it saw.
func TestEventsReachEveryReplica(t *testing.T) {
	dsn := pgtemp.Database(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))
	fl := testFlow(t)
	dbA, dbB := openStore(t, dsn), openStore(t, dsn)
	defer dbA.Close()
	defer dbB.Close()
	const line = "554735121777"
	owner := New(Config{Store: dbA, Line: line, Flow: func() *flows.Flow { return fl }, Transport: newFakeTransport(), Clock: clock, Log: zerolog.Nop()})
	replica := newRuntime(dbB, fl, newFakeTransport(), clock)
	go owner.RunEvents(ctx)
	replicaCtx, stopReplica := context.WithCancel(ctx)
	defer stopReplica()
	replicaDone := make(chan struct{})
	go func() {
		defer close(replicaDone)
		replica.RunEvents(replicaCtx)
	}()
	subA, stopA := owner.Subscribe()
	defer stopA()
	subB, stopB := replica.Subscribe()
	defer stopB()

	ana := createAna(t, dbB)
	// The listeners connect in the background: a first handoff, repeated
	// by new customers until both consoles hear one.
	wait := func(sub <-chan Event, kind string, within time.Duration) (Event, bool) {
		deadline := time.After(within)
		for {
			select {
			case e := <-sub:
				if e.Kind == kind {
					return e, true
				}
			case <-deadline:
				return Event{}, false
			}
		}
	}
	var ticket int64
	for i := 0; ; i++ {
		chat := fmt.Sprint("c", i)
		for j, m := range []string{"oi", "12345678", "atendente"} {
			if _, err := owner.Receive(ctx, Inbound{Chat: chat, ID: fmt.Sprint(i, "-", j), Kind: KindText, Text: m, At: clock.Now()}); err != nil {
				t.Fatal(err)
			}
			if err := owner.Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		eA, okA := wait(subA, EventQueue, time.Second)
		eB, okB := wait(subB, EventQueue, time.Second)
		if okA && okB {
			if eA.ID == 0 || eA.ID != eB.ID {
				t.Fatalf("queue event: owner heard id %d, replica %d; want the same id", eA.ID, eB.ID)
			}
			if eA.Line != line || eB.Line != line {
				t.Fatalf("queue event: owner heard line %q, replica %q; want %s", eA.Line, eB.Line, line)
			}
			ticket = eA.Ticket
			break
		}
		if i == 10 {
			t.Fatal("the consoles never heard the handoff")
		}
	}
	if err := replica.Claim(ctx, ana, ticket); err != nil {
		t.Fatal(err)
	}
	// The handoffs' own ticket events (no agent) come before the claim's,
	// which names Ana.
	var claim Event
	ok := false
	for deadline := time.Now().Add(5 * time.Second); !ok && time.Now().Before(deadline); {
		claim, ok = wait(subA, EventTicket, time.Until(deadline))
		ok = ok && claim.Agent != ""
	}
	if !ok || claim.Ticket != ticket || claim.Agent != ana.ID || claim.ID == 0 {
		t.Fatalf("the owner's console did not hear the replica's claim: %+v", claim)
	}
	// A console of the replica that saw nothing since the handoff
	// reconnects with the handoff's id: the claim comes back.
	missed, err := replica.EventsAfter(ctx, claim.ID-1, 0)
	if err != nil || len(missed) == 0 || missed[0].ID != claim.ID || missed[0].Kind != EventTicket {
		t.Errorf("EventsAfter %d: got %+v, %v; want the claim", claim.ID-1, missed, err)
	}
	// The replica counts an event written once its Update returns, which
	// may be after the owner heard it: stop the replica's events, so
	// every commit it made is counted, before reading its figures.
	stopReplica()
	<-replicaDone
	if st := replica.EventStats(); st.Written == 0 || st.Heard == 0 {
		t.Errorf("replica's event stats: %+v; want written and heard", st)
	}
}
