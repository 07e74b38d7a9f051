package store

import (
	"errors"
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
		got, err := tx.InboxByChat(ctx, "c1", 0)
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
			got, err := tx.NextInbox(ctx, "c1")
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
		if _, err := tx.NextInbox(ctx, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("NextInbox when all done: got %v, want ErrNotFound", err)
		}
		if err := tx.FinishInbox(ctx, 9999, time.Now()); err == nil {
			t.Error("FinishInbox in View: want an error")
		}
		all, err := tx.InboxByChat(ctx, "c1", 0)
		if err != nil {
			return err
		}
		for _, in := range all {
			if !in.Done {
				t.Errorf("row %d: not done", in.ID)
			}
		}
		last2, err := tx.InboxByChat(ctx, "c1", 2)
		if err != nil {
			return err
		}
		if len(last2) != 2 || last2[0].Text != "b" || last2[1].Text != "c" {
			t.Errorf("InboxByChat limit 2: got %+v, want b, c", last2)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		if err := tx.FinishInbox(ctx, 9999, time.Now()); !errors.Is(err, ErrNotFound) {
			t.Errorf("FinishInbox missing: got %v, want ErrNotFound", err)
		}
		return nil
	})
}
