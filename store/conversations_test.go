package store

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestConversationRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())

	for _, want := range []Conversation{
		{Chat: "c1", State: "ask_id", Node: "root", StartedAt: at.UTC(), UpdatedAt: at.UTC()},
		{Chat: "c1", State: "trail", Node: "wifi", Path: []string{"root", "net", "wifi"}, Ticket: 100001,
			Attempts: 2, Intent: "handoff", FlowVersion: "v3", StartedAt: at.UTC(), UpdatedAt: at.Add(time.Minute).UTC()},
		{Chat: "c1", State: "menu", Node: "root"},
	} {
		update(t, db, func(tx *Tx) error { return tx.PutConversation(ctx, want) })
		view(t, db, func(tx *Tx) error {
			got, err := tx.Conversation(ctx, "", "c1")
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
			return nil
		})
	}
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Conversation(ctx, "", "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing conversation: got %v, want ErrNotFound", err)
		}
		return nil
	})
}

// TestChatRows: what a turn starts from, read at once, is what the four
// reads give one by one; missing rows are flagged. On PostgreSQL's writer
// the four go in one round trip, which the second Update exercises.
func TestChatRows(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	check := func(tx *Tx, chat string, noConv, noCust, noTicket bool) error {
		since := time.Date(2025, 1, 2, 7, 0, 0, 0, time.UTC)
		got, err := tx.ChatRows(ctx, "", chat, &Recent{Since: since, Max: 3})
		if err != nil {
			return err
		}
		if want, err := tx.InboxSince(ctx, "", chat, since, 3); err != nil || got.Recent != want {
			t.Errorf("%s: recent messages: got %d, want %d (%v)", chat, got.Recent, want, err)
		}
		if got.NoConversation != noConv || got.NoCustomer != noCust || got.NoTicket != noTicket {
			t.Errorf("%s: missing conversation/customer/ticket: got %t/%t/%t, want %t/%t/%t", chat,
				got.NoConversation, got.NoCustomer, got.NoTicket, noConv, noCust, noTicket)
		}
		if !noConv {
			if want, err := tx.Conversation(ctx, "", chat); err != nil || !reflect.DeepEqual(got.Conversation, want) {
				t.Errorf("%s: conversation: got %+v, want %+v (%v)", chat, got.Conversation, want, err)
			}
		}
		if !noCust {
			if want, err := tx.Customer(ctx, chat); err != nil || !reflect.DeepEqual(got.Customer, want) {
				t.Errorf("%s: customer: got %+v, want %+v (%v)", chat, got.Customer, want, err)
			}
		}
		if !noTicket {
			if want, err := tx.Ticket(ctx, got.Conversation.Ticket); err != nil || !reflect.DeepEqual(got.Ticket, want) {
				t.Errorf("%s: ticket: got %+v, want %+v (%v)", chat, got.Ticket, want, err)
			}
		}
		return nil
	}
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	update(t, db, func(tx *Tx) error {
		id, err := tx.CreateTicket(ctx, Ticket{Chat: "c1", Requester: "Ana", Status: StatusAberto, CreatedAt: at})
		if err != nil {
			return err
		}
		if err := tx.PutConversation(ctx, Conversation{Chat: "c1", State: "menu", Ticket: id, StartedAt: at}); err != nil {
			return err
		}
		if err := tx.PutCustomer(ctx, Customer{Chat: "c1", Name: "Ana", CreatedAt: at}); err != nil {
			return err
		}
		for i, h := range []int{6, 8, 8} { // one before the flood window
			in := Inbound{Chat: "c1", MsgID: strconv.Itoa(i), Kind: "text", ReceivedAt: at.Add(time.Duration(h-8) * time.Hour)}
			if _, _, err := tx.InsertInbox(ctx, in); err != nil {
				return err
			}
		}
		return tx.PutConversation(ctx, Conversation{Chat: "c2", State: "closed"})
	})
	for _, read := range []func(func(tx *Tx) error){
		func(fn func(tx *Tx) error) { update(t, db, fn) },
		func(fn func(tx *Tx) error) { update(t, db, fn) }, // the writer has run them all once: pipelined
		func(fn func(tx *Tx) error) { view(t, db, fn) },
	} {
		read(func(tx *Tx) error {
			for _, c := range []struct {
				chat                     string
				noConv, noCust, noTicket bool
			}{{"c1", false, false, false}, {"c2", false, true, true}, {"c3", true, true, true}} {
				if err := check(tx, c.chat, c.noConv, c.noCust, c.noTicket); err != nil {
					return err
				}
			}
			return nil
		})
	}
}
