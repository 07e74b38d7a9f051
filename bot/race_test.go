package bot

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"suporte/store"
	"suporte/store/pgtemp"
)

// TestAgentRacesTurnAcrossProcesses: on PostgreSQL two processes share the
// store: the line's owner runs the customer's turns, and a console replica
// runs an agent's actions on the same ticket. Round after round, the
// customer writes while, at the same instant, the agent claims or
// releases the chat. Each side reads the conversation and ticket and
// writes them back changed; without the chat's lock one write would undo
// the other (a chat "with an agent" whose ticket has none, or waiting in
// the queue with an agent). The two must always agree, and every message
// of both sides must reach the transcript.
func TestAgentRacesTurnAcrossProcesses(t *testing.T) {
	dsn := pgtemp.Database(t)
	ctx := context.Background()
	clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)) // Tue 10:00 in São Paulo
	fl := testFlow(t)
	owner := openStore(t, dsn)
	defer owner.Close()
	replica := openStore(t, dsn)
	defer replica.Close()
	custRT := newRuntime(owner, fl, newFakeTransport(), clock)
	agentRT := newRuntime(replica, fl, newFakeTransport(), clock)

	ana := createAna(t, replica)

	n := 0
	say := func(text string) error {
		n++
		if _, err := custRT.Receive(ctx, Inbound{Chat: "c1", ID: fmt.Sprint("m", n), Kind: KindText, Text: text, At: clock.Now()}); err != nil {
			return err
		}
		return custRT.Drain(ctx)
	}
	for _, m := range []string{"oi", "12345678", "atendente"} {
		if err := say(m); err != nil {
			t.Fatal(err)
		}
	}
	state := func() (store.Conversation, store.Ticket) {
		var c store.Conversation
		var tk store.Ticket
		err := owner.View(ctx, func(tx *store.Tx) error {
			var err error
			if c, err = tx.Conversation(ctx, "", "c1"); err != nil {
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
	c, tk := state()
	if c.State != stateQueued {
		t.Fatalf("after asking for a person: state %q; want %q", c.State, stateQueued)
	}

	const rounds = 40
	for i := range rounds {
		var wg sync.WaitGroup
		var custErr, agentErr error
		wg.Go(func() { custErr = say(fmt.Sprint("pergunta ", i)) })
		wg.Go(func() {
			if i%2 == 0 {
				agentErr = agentRT.Claim(ctx, ana, tk.ID)
			} else {
				agentErr = agentRT.Release(ctx, ana, tk.ID)
			}
		})
		wg.Wait()
		if custErr != nil || agentErr != nil {
			t.Fatalf("round %d: customer %v, agent %v", i, custErr, agentErr)
		}
		c, got := state()
		withAgent := got.Agent != ""
		if (c.State == stateWithAgent) != withAgent || (c.State == stateQueued) != (!withAgent && !got.QueuedAt.IsZero()) {
			t.Fatalf("round %d: conversation %q but ticket agent %q, queued at %v: a write was lost", i, c.State, got.Agent, got.QueuedAt)
		}
	}
	var customer, system int
	err := owner.View(ctx, func(tx *store.Tx) error {
		es, err := tx.TicketEvents(ctx, tk.ID, 0)
		for _, e := range es {
			switch {
			case e.Kind == "customer":
				customer++
			case e.Kind == "system" && e.Text == "devolvido à fila":
				system++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if customer < rounds || system != rounds/2 {
		t.Errorf("transcript: %d customer lines (want at least %d), %d releases (want %d)", customer, rounds, system, rounds/2)
	}
}
