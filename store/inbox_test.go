package store

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestInboxDedupe(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	sent := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	in := Inbound{Chat: "c1", MsgID: "m1", Kind: "text", Text: "oi", SentAt: sent, ReceivedAt: sent.Add(time.Second), PushName: "Ana", Phone: "5511"}

	var first int64
	for _, c := range []struct {
		name    string
		in      Inbound
		wantDup bool
		sameID  bool
	}{
		{"first", in, false, false},
		{"same chat and msg id", Inbound{Chat: "c1", MsgID: "m1", Text: "other"}, true, true},
		{"same msg id other chat", Inbound{Chat: "c2", MsgID: "m1"}, false, false},
		{"empty msg id", Inbound{Chat: "c1"}, false, false},
		{"empty msg id again", Inbound{Chat: "c1"}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			update(t, db, func(tx *Tx) error {
				id, dup, err := tx.InsertInbox(ctx, c.in)
				if err != nil {
					return err
				}
				if first == 0 {
					first = id
				}
				if dup != c.wantDup {
					t.Errorf("dup: got %v, want %v", dup, c.wantDup)
				}
				if (id == first) != c.sameID && c.name != "first" {
					t.Errorf("id: got %d, first was %d, want same=%v", id, first, c.sameID)
				}
				return nil
			})
		})
	}
	view(t, db, func(tx *Tx) error {
		got, err := tx.InboxByChat(ctx, "", "c1", 0)
		if err != nil {
			return err
		}
		if len(got) != 3 {
			t.Fatalf("rows of c1: got %d, want 3", len(got))
		}
		want := in
		want.ID = first
		want.SentAt, want.ReceivedAt = sent.UTC(), sent.Add(time.Second).UTC()
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("stored: got %+v, want %+v", got[0], want)
		}
		return nil
	})
}

func TestInboxOrder(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	var ids []int64
	update(t, db, func(tx *Tx) error {
		for _, m := range []string{"a", "b", "c"} {
			id, _, err := tx.InsertInbox(ctx, Inbound{Chat: "c1", MsgID: m, Text: m})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		_, _, err := tx.InsertInbox(ctx, Inbound{Chat: "c2", MsgID: "z"})
		return err
	})

	for i, wantText := range []string{"a", "b", "c"} {
		update(t, db, func(tx *Tx) error {
			got, err := tx.NextInbox(ctx, "", "c1")
			if err != nil {
				return err
			}
			if got.ID != ids[i] || got.Text != wantText || got.Done {
				t.Errorf("NextInbox #%d: got %+v, want id %d text %q", i, got, ids[i], wantText)
			}
			return tx.FinishInbox(ctx, got.ID, time.Now())
		})
	}
	view(t, db, func(tx *Tx) error {
		if _, err := tx.NextInbox(ctx, "", "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("NextInbox when all done: got %v, want ErrNotFound", err)
		}
		all, err := tx.InboxByChat(ctx, "", "c1", 0)
		if err != nil {
			return err
		}
		for _, in := range all {
			if !in.Done {
				t.Errorf("row %d: not done", in.ID)
			}
		}
		last2, err := tx.InboxByChat(ctx, "", "c1", 2)
		if err != nil {
			return err
		}
		if len(last2) != 2 || last2[0].Text != "b" || last2[1].Text != "c" {
			t.Errorf("InboxByChat limit 2: got %+v, want b, c", last2)
		}
		// Last: on PostgreSQL the failed write ends the read transaction.
		if err := tx.FinishInbox(ctx, 9999, time.Now()); err == nil {
			t.Error("FinishInbox in View: want an error")
		}
		return nil
	})
	// On PostgreSQL's writer a missing row may fail the Update instead of
	// the call (affectLater).
	if err := db.Update(ctx, func(tx *Tx) error { return tx.FinishInbox(ctx, 9999, time.Now()) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishInbox missing: got %v, want ErrNotFound", err)
	}
}

func TestAcceptInbox(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	type got struct {
		dup, idle bool
	}
	ids := map[string]int64{}
	accept := func(chat, msgID string) got {
		t.Helper()
		var g got
		update(t, db, func(tx *Tx) error {
			var id int64
			var err error
			id, g.dup, g.idle, err = tx.AcceptInbox(ctx, Inbound{Chat: chat, MsgID: msgID, Kind: "text", Text: msgID, ReceivedAt: at})
			if old, ok := ids[chat+msgID]; ok && msgID != "" && old != id {
				t.Errorf("%s/%s: id %d, first stored as %d", chat, msgID, id, old)
			}
			ids[chat+msgID] = id
			return err
		})
		return g
	}
	var unsent int64
	for _, step := range []struct {
		name, chat, msgID string
		before            func(tx *Tx) error
		want              got
	}{
		{"empty chat", "c1", "m1", nil, got{idle: true}},
		{"handled before", "c1", "m2", nil, got{idle: true}},
		{"redelivery", "c1", "m1", nil, got{dup: true}},
		{"reply not sent yet", "c1", "m3", func(tx *Tx) error {
			var err error
			unsent, err = tx.AppendOutbox(ctx, OutMsg{Chat: "c1", Text: "r", CreatedAt: at})
			return err
		}, got{}},
		{"older input waiting", "c1", "m4", func(tx *Tx) error { return tx.MarkSent(ctx, unsent, "w1", at) }, got{}},
		{"other chat", "c2", "m1", nil, got{idle: true}},
		{"no message id", "c2", "", nil, got{idle: true}},
		{"no message id again", "c2", "", nil, got{idle: true}},
	} {
		if step.before != nil {
			update(t, db, step.before)
		}
		if g := accept(step.chat, step.msgID); g != step.want {
			t.Errorf("%s: got %+v, want %+v", step.name, g, step.want)
		}
	}
	view(t, db, func(tx *Tx) error {
		ins, err := tx.InboxByChat(ctx, "", "c1", 0)
		if err != nil {
			return err
		}
		var done []bool
		for _, in := range ins {
			done = append(done, in.Done)
		}
		var handled int64
		if err := tx.queryRow(ctx, `SELECT handled_at FROM inbox WHERE id = ?`, ins[0].ID).Scan(&handled); err != nil || handled != at.UnixMilli() {
			t.Errorf("idle row handled_at = %d, %v; want its arrival %d", handled, err, at.UnixMilli())
		}
		if want := []bool{true, true, false, false}; !reflect.DeepEqual(done, want) {
			t.Errorf("c1 rows done = %v; want %v (idle ones stored handled)", done, want)
		}
		next, err := tx.NextInbox(ctx, "", "c1")
		if err != nil || next.MsgID != "m3" {
			t.Errorf("next input of c1 = %q, %v; want m3", next.MsgID, err)
		}
		return nil
	})
}

func TestChatIdleAndInboxSince(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	idle := func() bool {
		var ok bool
		view(t, db, func(tx *Tx) error {
			var err error
			ok, err = tx.ChatIdle(ctx, "", "c1")
			return err
		})
		return ok
	}
	if !idle() {
		t.Error("an unknown chat is not idle")
	}
	var in, out int64
	update(t, db, func(tx *Tx) error {
		for i := range 12 {
			id, _, err := tx.InsertInbox(ctx, Inbound{Chat: "c1", MsgID: fmt.Sprint(i), Kind: "text", ReceivedAt: at.Add(time.Duration(i) * time.Second), Done: true})
			if err != nil {
				return err
			}
			in = id
		}
		return nil
	})
	if !idle() {
		t.Error("a chat whose input is all handled is not idle")
	}
	update(t, db, func(tx *Tx) error {
		_, _, err := tx.InsertInbox(ctx, Inbound{Chat: "c1", MsgID: "pending", ReceivedAt: at.Add(time.Minute)})
		return err
	})
	if idle() {
		t.Error("a chat with input to handle is idle")
	}
	update(t, db, func(tx *Tx) error {
		if err := tx.FinishInbox(ctx, in+1, at); err != nil {
			return err
		}
		var err error
		out, err = tx.AppendOutbox(ctx, OutMsg{Chat: "c1", Text: "r", CreatedAt: at})
		return err
	})
	if idle() {
		t.Error("a chat with a reply to send is idle")
	}
	update(t, db, func(tx *Tx) error { return tx.MarkSent(ctx, out, "w", at) })
	if !idle() {
		t.Error("a chat with everything handled and sent is not idle")
	}
	view(t, db, func(tx *Tx) error {
		for _, c := range []struct {
			since     time.Time
			max, want int
		}{
			{at, 100, 13},                      // all of them
			{at.Add(10 * time.Second), 100, 3}, // the last 2 of the burst and "pending"
			{at, 5, 5},                         // never more than asked to look at
			{at.Add(time.Hour), 100, 0},
		} {
			n, err := tx.InboxSince(ctx, "", "c1", c.since, c.max)
			if err != nil {
				return err
			}
			if n != c.want {
				t.Errorf("InboxSince(%v, max %d) = %d; want %d", c.since.Sub(at), c.max, n, c.want)
			}
		}
		return nil
	})
}
