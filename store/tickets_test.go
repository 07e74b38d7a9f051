package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTicketRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	want := Ticket{Chat: "c1", Requester: "Ana", IDSuporte: "ID-7", Topic: "wifi", Status: StatusAberto,
		CreatedAt: at.UTC(), LastActivityAt: at.UTC()}

	update(t, db, func(tx *Tx) error {
		id, err := tx.CreateTicket(ctx, want)
		if err != nil {
			return err
		}
		if id != 100001 {
			t.Errorf("first ticket id: got %d, want 100001", id)
		}
		want.ID = id
		return nil
	})
	update(t, db, func(tx *Tx) error {
		got, err := tx.Ticket(ctx, want.ID)
		if err != nil {
			return err
		}
		if got != want {
			t.Errorf("Ticket: got %+v, want %+v", got, want)
		}
		want.Status, want.Agent, want.QueuedAt = StatusResolvido, "agent7", at.UTC()
		want.ClosedAt, want.CloseReason = at.Add(time.Hour).UTC(), "solved"
		return tx.UpdateTicket(ctx, want)
	})
	view(t, db, func(tx *Tx) error {
		got, err := tx.Ticket(ctx, want.ID)
		if err != nil {
			return err
		}
		if got != want {
			t.Errorf("after UpdateTicket: got %+v, want %+v", got, want)
		}
		if _, err := tx.Ticket(ctx, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing ticket: got %v, want ErrNotFound", err)
		}
		return nil
	})
	// On PostgreSQL's writer a missing row may fail the Update instead of
	// the call (affectLater).
	if err := db.Update(ctx, func(tx *Tx) error {
		return tx.UpdateTicket(ctx, Ticket{ID: 1, Status: StatusAberto})
	}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateTicket missing: got %v, want ErrNotFound", err)
	}
	if err := db.Update(ctx, func(tx *Tx) error {
		return tx.ChangeTicket(ctx, Ticket{ID: 1, Status: StatusAberto}, Ticket{ID: 1, Status: StatusResolvido})
	}); !errors.Is(err, ErrNotFound) {
		t.Errorf("ChangeTicket missing: got %v, want ErrNotFound", err)
	}
	// ChangeTicket writes only the columns that differ from what was read:
	// an agent written meanwhile (here behind its back) stays.
	update(t, db, func(tx *Tx) error {
		before := want
		want.LastActivityAt, want.Topic = at.Add(2*time.Hour).UTC(), "notas"
		if _, err := tx.exec(ctx, `UPDATE tickets SET agent = 'agent9' WHERE id = ?`, want.ID); err != nil {
			return err
		}
		want.Agent = "agent9"
		after := want
		after.Agent = before.Agent
		if err := tx.ChangeTicket(ctx, before, after); err != nil {
			return err
		}
		// Nothing differing, nothing is written, not even to a missing row.
		return tx.ChangeTicket(ctx, Ticket{ID: 1, Status: StatusAberto}, Ticket{ID: 1, Status: StatusAberto})
	})
	view(t, db, func(tx *Tx) error {
		got, err := tx.Ticket(ctx, want.ID)
		if err == nil && got != want {
			t.Errorf("after ChangeTicket: got %+v, want %+v", got, want)
		}
		return err
	})
	// A change is checked as an overwrite is.
	if err := db.Update(ctx, func(tx *Tx) error {
		return tx.ChangeTicket(ctx, want, Ticket{ID: want.ID, Status: "fechado"})
	}); err == nil {
		t.Error("ChangeTicket to an invalid status: want an error")
	}
}

func TestTicketStatusValidated(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	var id int64
	update(t, db, func(tx *Tx) error {
		var err error
		id, err = tx.CreateTicket(ctx, Ticket{Chat: "c1", Status: StatusAberto})
		return err
	})
	for _, status := range []string{"", "fechado", "Aberto"} {
		t.Run(status, func(t *testing.T) {
			update(t, db, func(tx *Tx) error {
				if _, err := tx.CreateTicket(ctx, Ticket{Chat: "c1", Status: status}); err == nil {
					t.Errorf("CreateTicket status %q: want an error", status)
				}
				if err := tx.UpdateTicket(ctx, Ticket{ID: id, Chat: "c1", Status: status}); err == nil {
					t.Errorf("UpdateTicket status %q: want an error", status)
				}
				if _, err := tx.TicketsByStatus(ctx, status, 0); err == nil {
					t.Errorf("TicketsByStatus %q: want an error", status)
				}
				// The schema refuses it too.
				if err := tx.Try(ctx, func() error {
					_, err := tx.exec(ctx, `UPDATE tickets SET status = ? WHERE id = ?`, status, id)
					return err
				}); err == nil {
					t.Errorf("raw UPDATE status %q: want a CHECK error", status)
				}
				return nil
			})
		})
	}
}

func TestTicketLists(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	base := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	ids := map[string]int64{}
	update(t, db, func(tx *Tx) error {
		for _, tk := range []Ticket{
			{Topic: "q-late", Chat: "c1", Status: StatusAberto, QueuedAt: base.Add(3 * time.Minute)},
			{Topic: "q-first", Chat: "c2", Status: StatusAguardando, QueuedAt: base.Add(1 * time.Minute)},
			{Topic: "q-taken", Chat: "c3", Status: StatusAberto, QueuedAt: base, Agent: "agent7"},
			{Topic: "q-resolved", Chat: "c1", Status: StatusResolvido, QueuedAt: base},
			{Topic: "not-queued", Chat: "c1", Status: StatusAberto},
			{Topic: "q-second", Chat: "c4", Status: StatusAberto, QueuedAt: base.Add(2 * time.Minute)},
		} {
			id, err := tx.CreateTicket(ctx, tk)
			if err != nil {
				return err
			}
			ids[tk.Topic] = id
		}
		return nil
	})
	topics := func(ts []Ticket) []string {
		var out []string
		for _, tk := range ts {
			out = append(out, tk.Topic)
		}
		return out
	}
	view(t, db, func(tx *Tx) error {
		q, err := tx.QueuedTickets(ctx)
		if err != nil {
			return err
		}
		if got, want := topics(q), []string{"q-first", "q-second", "q-late"}; !reflect.DeepEqual(got, want) {
			t.Errorf("QueuedTickets: got %v, want %v", got, want)
		}
		c1, err := tx.TicketsByChat(ctx, "", "c1", 0)
		if err != nil {
			return err
		}
		if got, want := topics(c1), []string{"not-queued", "q-resolved", "q-late"}; !reflect.DeepEqual(got, want) {
			t.Errorf("TicketsByChat: got %v, want %v", got, want)
		}
		c1, err = tx.TicketsByChat(ctx, "", "c1", 1)
		if err != nil {
			return err
		}
		if got, want := topics(c1), []string{"not-queued"}; !reflect.DeepEqual(got, want) {
			t.Errorf("TicketsByChat limit 1: got %v, want %v", got, want)
		}
		open, err := tx.TicketsByStatus(ctx, StatusAberto, 2)
		if err != nil {
			return err
		}
		if got, want := topics(open), []string{"q-second", "not-queued"}; !reflect.DeepEqual(got, want) {
			t.Errorf("TicketsByStatus aberto limit 2: got %v, want %v", got, want)
		}
		return nil
	})
	// Claims, newest first: the queue's pace for its wait estimates.
	update(t, db, func(tx *Tx) error {
		for i, topic := range []string{"q-resolved", "q-taken", "q-first"} {
			tk, err := tx.Ticket(ctx, ids[topic])
			if err != nil {
				return err
			}
			tk.ClaimedAt = base.Add(time.Duration(10-i) * time.Minute) // q-resolved newest
			if err := tx.UpdateTicket(ctx, tk); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		for _, c := range []struct {
			limit int
			want  []string
		}{{2, []string{"q-resolved", "q-taken"}}, {0, []string{"q-resolved", "q-taken", "q-first"}}} {
			claims, err := tx.RecentClaims(ctx, c.limit)
			if err != nil {
				return err
			}
			if got := topics(claims); !reflect.DeepEqual(got, c.want) {
				t.Errorf("RecentClaims(%d): got %v, want %v", c.limit, got, c.want)
			}
		}
		return nil
	})
}

func TestTicketEvents(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	var ticket int64
	update(t, db, func(tx *Tx) error {
		var err error
		if ticket, err = tx.CreateTicket(ctx, Ticket{Chat: "c1", Status: StatusAberto}); err != nil {
			return err
		}
		other, err := tx.CreateTicket(ctx, Ticket{Chat: "c2", Status: StatusAberto})
		if err != nil {
			return err
		}
		for i, text := range []string{"oi", "menu", "1", "ok"} {
			kind := []string{"customer", "bot"}[i%2]
			if _, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: ticket, At: at.Add(time.Duration(i) * time.Second), Kind: kind, Actor: kind, Text: text}); err != nil {
				return err
			}
			if _, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: other, Kind: "system", Text: "x"}); err != nil {
				return err
			}
		}
		return nil
	})
	texts := func(es []TicketEvent) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Text)
		}
		return out
	}
	view(t, db, func(tx *Tx) error {
		for _, c := range []struct {
			limit int
			want  []string
		}{
			{0, []string{"oi", "menu", "1", "ok"}},
			{-1, []string{"oi", "menu", "1", "ok"}},
			{2, []string{"1", "ok"}},
			{10, []string{"oi", "menu", "1", "ok"}},
		} {
			es, err := tx.TicketEvents(ctx, ticket, c.limit)
			if err != nil {
				return err
			}
			if got := texts(es); !reflect.DeepEqual(got, c.want) {
				t.Errorf("TicketEvents limit %d: got %v, want %v", c.limit, got, c.want)
			}
		}
		es, err := tx.TicketEvents(ctx, ticket, 1)
		if err != nil {
			return err
		}
		want := TicketEvent{ID: es[0].ID, Ticket: ticket, At: at.Add(3 * time.Second).UTC(), Kind: "bot", Actor: "bot", Text: "ok"}
		if es[0] != want {
			t.Errorf("event: got %+v, want %+v", es[0], want)
		}
		return nil
	})
	// SQLite's foreign key refuses an event of a missing ticket. PostgreSQL
	// has none since 0022: events are written under their chat's lock,
	// which DeletePerson takes too (TestDeletePersonWaitsForChat).
	update(t, db, func(tx *Tx) error {
		err := tx.Try(ctx, func() error {
			_, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: 1, Kind: "note"})
			return err
		})
		if keyed := !db.Postgres(); keyed != (err != nil) {
			t.Errorf("event of a missing ticket: got %v; want a foreign key error: %t", err, keyed)
		}
		return nil
	})
}

func TestTranscriptMergesBotLines(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	t0 := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	var id int64
	update(t, db, func(tx *Tx) error {
		var err error
		if id, err = tx.CreateTicket(ctx, Ticket{Chat: "c", Status: StatusAberto, CreatedAt: t0}); err != nil {
			return err
		}
		for i, s := range []struct {
			at     time.Duration
			event  bool
			author string
			text   string
		}{
			{0, true, "", "oi"}, {0, false, "bot", "olá"}, {0, false, "bot", "menu"},
			{time.Minute, true, "", "1"}, {time.Minute, false, "bot", "trilha"},
			{2 * time.Minute, false, "7", "*Ana*\nresposta"}, {2 * time.Minute, true, "", "obrigado"},
		} {
			at := t0.Add(s.at)
			if s.event {
				if _, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: id, At: at, Kind: "customer", Text: s.text}); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.AppendOutbox(ctx, OutMsg{Chat: "c", Ticket: id, Author: s.author, Text: s.text, CreatedAt: at}); err != nil {
				return fmt.Errorf("line %d: %w", i, err)
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		tr, err := tx.Transcript(ctx, id)
		if err != nil {
			return err
		}
		var got []string
		for _, e := range tr {
			got = append(got, e.Kind+":"+e.Text)
		}
		want := []string{"customer:oi", "bot:olá", "bot:menu", "customer:1", "bot:trilha", "customer:obrigado"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("transcript %q; want %q (agents' outbox lines come from their own events)", got, want)
		}
		return nil
	})
}
