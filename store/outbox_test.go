package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestOutbox(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	opts := []Option{{Key: "1", Label: "Internet"}, {Key: "2", Label: "Boleto"}}

	var ids []int64
	update(t, db, func(tx *Tx) error {
		for _, m := range []OutMsg{
			{Chat: "c1", Ticket: 100001, Text: "menu", Options: opts, Author: "bot", CreatedAt: at},
			{Chat: "c2", Text: "other chat", Author: "bot"},
			{Chat: "c1", Text: "second", Author: "agent7", WAID: "W2"},
			{Chat: "c1", Text: "third", Author: "bot"},
		} {
			id, err := tx.AppendOutbox(ctx, m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})

	view(t, db, func(tx *Tx) error {
		got, err := head(ctx, tx, "c1")
		if err != nil {
			return err
		}
		want := OutMsg{ID: ids[0], Chat: "c1", Ticket: 100001, Text: "menu", Options: opts, Author: "bot", CreatedAt: at.UTC()}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("head of c1: got %+v, want %+v", got, want)
		}
		all, err := tx.PendingOutbox(ctx, "", "c1", 0)
		if len(all) != 3 || err != nil {
			t.Errorf("PendingOutbox: got %d, %v, want 3", len(all), err)
		}
		return nil
	})

	// First message: a failed try, then sent with its transport id.
	update(t, db, func(tx *Tx) error {
		if err := tx.MarkSendFailed(ctx, ids[0], "offline", at.Add(time.Minute)); err != nil {
			return err
		}
		if err := tx.MarkSendFailed(ctx, ids[0], "offline again", at.Add(2*time.Minute)); err != nil {
			return err
		}
		got, err := head(ctx, tx, "c1")
		if err != nil {
			return err
		}
		if got.ID != ids[0] || got.Attempts != 2 || got.LastError != "offline again" || !got.NextTry.Equal(at.Add(2*time.Minute)) {
			t.Errorf("after failures: got %+v", got)
		}
		if err := tx.SetOutboxWAID(ctx, ids[0], "W1"); err != nil {
			return err
		}
		return tx.MarkSent(ctx, ids[0], "", at.Add(3*time.Minute))
	})
	update(t, db, func(tx *Tx) error {
		got, err := head(ctx, tx, "c1")
		if err != nil {
			return err
		}
		if got.ID != ids[2] {
			t.Errorf("head after MarkSent: got id %d, want %d", got.ID, ids[2])
		}
		// The transport may change the id at send time.
		return tx.MarkSent(ctx, ids[2], "W2b", at.Add(4*time.Minute))
	})

	view(t, db, func(tx *Tx) error {
		sent, err := tx.OutboxByWAID(ctx, "", "W1")
		if err != nil {
			return err
		}
		if sent.ID != ids[0] || !sent.SentAt.Equal(at.Add(3*time.Minute)) || sent.SentAt.Location() != time.UTC {
			t.Errorf("OutboxByWAID W1: got %+v", sent)
		}
		if m, err := tx.OutboxByWAID(ctx, "", "W2b"); err != nil || m.ID != ids[2] {
			t.Errorf("OutboxByWAID W2b: got %+v, %v", m, err)
		}
		for _, waID := range []string{"W2", "nope", ""} {
			if _, err := tx.OutboxByWAID(ctx, "", waID); !errors.Is(err, ErrNotFound) {
				t.Errorf("OutboxByWAID %q: got %v, want ErrNotFound", waID, err)
			}
		}

		all, err := tx.OutboxAfter(ctx, "", "c1", 0, 0)
		if err != nil {
			return err
		}
		if got := msgIDs(all); !reflect.DeepEqual(got, []int64{ids[0], ids[2], ids[3]}) {
			t.Errorf("OutboxAfter 0: got %v", got)
		}
		if all[1].Options != nil {
			t.Errorf("no options: got %#v, want nil", all[1].Options)
		}
		after, err := tx.OutboxAfter(ctx, "", "c1", ids[0], 1)
		if err != nil {
			return err
		}
		if got := msgIDs(after); !reflect.DeepEqual(got, []int64{ids[2]}) {
			t.Errorf("OutboxAfter %d limit 1: got %v", ids[0], got)
		}
		unsent, err := tx.PendingOutbox(ctx, "", "c1", 0)
		if len(unsent) != 1 || err != nil {
			t.Errorf("PendingOutbox: got %d, %v, want 1", len(unsent), err)
		}
		return nil
	})

	update(t, db, func(tx *Tx) error {
		for name, err := range map[string]error{
			"SetOutboxWAID":  tx.SetOutboxWAID(ctx, 9999, "x"),
			"MarkSent":       tx.MarkSent(ctx, 9999, "x", at),
			"MarkSendFailed": tx.MarkSendFailed(ctx, 9999, "x", at),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s missing: got %v, want ErrNotFound", name, err)
			}
		}
		if err := tx.MarkSent(ctx, ids[3], "", time.Time{}); err == nil {
			t.Error("MarkSent with zero time: want an error")
		}
		if none, err := tx.PendingOutbox(ctx, "", "nobody", 0); len(none) != 0 || err != nil {
			t.Errorf("PendingOutbox of nobody: got %v, %v, want none", none, err)
		}
		return nil
	})
}

func msgIDs(ms []OutMsg) []int64 {
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestWorkChats(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	var inDone, outSent int64
	update(t, db, func(tx *Tx) error {
		var err error
		if inDone, _, err = tx.InsertInbox(ctx, Inbound{Chat: "a", MsgID: "1"}); err != nil {
			return err
		}
		if _, _, err = tx.InsertInbox(ctx, Inbound{Chat: "d", MsgID: "1"}); err != nil {
			return err
		}
		if outSent, err = tx.AppendOutbox(ctx, OutMsg{Chat: "b"}); err != nil {
			return err
		}
		if _, err = tx.AppendOutbox(ctx, OutMsg{Chat: "c"}); err != nil {
			return err
		}
		if _, err = tx.AppendOutbox(ctx, OutMsg{Chat: "d"}); err != nil {
			return err
		}
		return nil
	})
	check := func(want []string) {
		t.Helper()
		view(t, db, func(tx *Tx) error {
			got, err := tx.WorkChats(ctx, "")
			if !reflect.DeepEqual(got, want) {
				t.Errorf("WorkChats: got %v, want %v", got, want)
			}
			return err
		})
	}
	check([]string{"a", "b", "c", "d"})
	update(t, db, func(tx *Tx) error {
		if err := tx.FinishInbox(ctx, inDone, time.Now()); err != nil {
			return err
		}
		return tx.MarkSent(ctx, outSent, "w", time.Now())
	})
	check([]string{"c", "d"})
}

func TestRetryNow(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	ids := map[string]int64{}
	update(t, db, func(tx *Tx) error {
		for _, k := range []string{"c1a", "c1b", "c2a", "c3a", "c4a"} {
			id, err := tx.AppendOutbox(ctx, OutMsg{Chat: k[:2], Text: k, CreatedAt: at})
			if err != nil {
				return err
			}
			ids[k] = id
		}
		for k, next := range map[string]time.Time{"c1a": at.Add(time.Hour), "c2a": at.Add(time.Minute), "c4a": at.Add(-time.Minute)} {
			if err := tx.MarkSendFailed(ctx, ids[k], "down", next); err != nil {
				return err
			}
		}
		return tx.MarkSent(ctx, ids["c3a"], "w", at)
	})
	var chats []string
	update(t, db, func(tx *Tx) error {
		var err error
		chats, err = tx.RetryNow(ctx, "", at)
		return err
	})
	// c3 sent, c4 already due: nothing to move for them.
	if want := []string{"c1", "c2"}; !slices.Equal(chats, want) {
		t.Errorf("RetryNow chats = %q; want %q", chats, want)
	}
	view(t, db, func(tx *Tx) error {
		for k, want := range map[string]time.Time{"c1a": at, "c2a": at, "c4a": at.Add(-time.Minute)} {
			ms, err := tx.OutboxAfter(ctx, "", k[:2], ids[k]-1, 1)
			if err != nil {
				return err
			}
			if !ms[0].NextTry.Equal(want) {
				t.Errorf("%s next try %v; want %v", k, ms[0].NextTry, want)
			}
		}
		return nil
	})
}

// head is the first message PendingOutbox gives for chat.
func head(ctx context.Context, tx *Tx, chat string) (OutMsg, error) {
	ms, err := tx.PendingOutbox(ctx, "", chat, 1)
	if err == nil && len(ms) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return OutMsg{}, err
	}
	return ms[0], nil
}

func TestReadyChats(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	update(t, db, func(tx *Tx) error {
		for _, m := range []OutMsg{
			{Chat: "send"}, // to send now
			{Chat: "backoff", Attempts: 1, NextTry: now.Add(time.Minute)}, // waits for its retry
			{Chat: "backoff"},
			{Chat: "retry", Attempts: 2, NextTry: now.Add(-time.Second)}, // its retry is due
			{Chat: "sent", SentAt: now},
		} {
			if _, err := tx.AppendOutbox(ctx, m); err != nil {
				return err
			}
		}
		for _, in := range []Inbound{
			{Chat: "input", MsgID: "1"},
			{Chat: "backoff", MsgID: "2"}, // behind its failed reply
			{Chat: "handled", MsgID: "3", Done: true},
		} {
			if _, _, err := tx.InsertInbox(ctx, in); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		got, err := tx.ReadyChats(ctx, "", now)
		if want := []string{"input", "retry", "send"}; !slices.Equal(got, want) {
			t.Errorf("ReadyChats: got %v, want %v", got, want)
		}
		return err
	})
}

// TestMarkSentAll marks several messages as MarkSent marks each (a new
// transport id replaces the recorded one, an empty one keeps it), and a
// missing message fails the whole call; the second Update exercises
// PostgreSQL's writer pipelining the statements it has run once.
func TestMarkSentAll(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	var ids []int64
	update(t, db, func(tx *Tx) error {
		for _, m := range []OutMsg{{Chat: "c1", Text: "a", WAID: "W1"}, {Chat: "c1", Text: "b", WAID: "W2"}, {Chat: "c1", Text: "c"}, {Chat: "c1", Text: "d"}} {
			id, err := tx.AppendOutbox(ctx, m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error { return tx.MarkSentAll(ctx, []Sent{{ID: ids[0]}, {ID: ids[1], WAID: "X2"}}, at) })
	update(t, db, func(tx *Tx) error { return tx.MarkSentAll(ctx, []Sent{{ID: ids[2], WAID: "X3"}}, at) })
	err := db.Update(ctx, func(tx *Tx) error { return tx.MarkSentAll(ctx, []Sent{{ID: ids[3]}, {ID: 999999}}, at) })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing message: got %v, want ErrNotFound", err)
	}
	view(t, db, func(tx *Tx) error {
		left, err := tx.PendingOutbox(ctx, "", "c1", 0)
		if err != nil {
			return err
		}
		if len(left) != 1 || left[0].ID != ids[3] {
			t.Errorf("unsent: got %+v, want only %d (its update failed)", left, ids[3])
		}
		for i, want := range []string{"W1", "X2", "X3"} {
			m, err := tx.OutboxByWAID(ctx, "", want)
			if err != nil || m.ID != ids[i] || !m.SentAt.Equal(at) {
				t.Errorf("message %d: got %+v, %v; want sent with id %s", i, m, err, want)
			}
		}
		return nil
	})
}

// TestMarkSentIdle records sends and says whether the chat has anything
// left to do, as MarkSentAll then ChatIdle; the later runs exercise
// PostgreSQL's writer sending both in one round trip.
func TestMarkSentIdle(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	at := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	var ids []int64
	update(t, db, func(tx *Tx) error {
		var err error
		ids, err = tx.AppendOutboxAll(ctx, []OutMsg{{Chat: "c1", Text: "a"}, {Chat: "c1", Text: "b"}, {Chat: "c1", Text: "c"}, {Chat: "c1", Text: "d"}})
		return err
	})
	for i, want := range []bool{false, false, true} {
		sent := []Sent{{ID: ids[i], WAID: "W" + strconv.Itoa(i)}}
		if i == 2 {
			sent = append(sent, Sent{ID: ids[3]})
		}
		update(t, db, func(tx *Tx) error {
			idle, err := tx.MarkSentIdle(ctx, sent, at, "", "c1")
			if err == nil && idle != want {
				t.Errorf("round %d: idle %t, want %t", i, idle, want)
			}
			return err
		})
	}
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.MarkSentIdle(ctx, []Sent{{ID: 999999}}, at, "", "c1")
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing message: got %v, want ErrNotFound", err)
	}
	view(t, db, func(tx *Tx) error {
		m, err := tx.OutboxByWAID(ctx, "", "W1")
		if err != nil || m.ID != ids[1] || !m.SentAt.Equal(at) {
			t.Errorf("message 1: got %+v, %v; want sent as W1", m, err)
		}
		return nil
	})
}

// TestTurnRoundTrips: on PostgreSQL a turn's writes wait for the next
// statement that needs an answer, and its replies need none, their ids
// taken ahead (a few spare). Once the statements ran, a turn like the
// bot's (the chat locked, the customer and the ticket written, replies
// queued twice) costs one round trip, the ids', and a second turn in the
// same batch none. Before, a write whose first run went merged with the
// writes queued before it (here the ticket's, after the customer's) was
// never taken for prepared, so it ran alone at every turn; and each
// call's replies waited for their ids.
func TestTurnRoundTrips(t *testing.T) {
	db := openTest(t)
	if !db.Postgres() {
		t.Skip("SQLite's writer makes no round trips")
	}
	ctx := t.Context()
	var ticket Ticket
	update(t, db, func(tx *Tx) error {
		ticket = Ticket{Chat: "c", Status: StatusAberto}
		var err error
		ticket.ID, err = tx.CreateTicket(ctx, ticket)
		return err
	})
	turn := func(tx *Tx, n int, change bool) (trips []int64, err error) {
		start := db.RoundTrips()
		if err := tx.LockChat(ctx, "", "c"); err != nil {
			return nil, err
		}
		if err := tx.PutCustomer(ctx, Customer{Chat: "c", Name: fmt.Sprint("Ana ", n)}); err != nil {
			return nil, err
		}
		if change {
			after := ticket
			after.Topic = fmt.Sprint("assunto ", n)
			if err := tx.ChangeTicket(ctx, ticket, after); err != nil {
				return nil, err
			}
			ticket = after
		}
		trips = append(trips, db.RoundTrips()-start)
		for range 2 {
			if _, err := tx.AppendOutboxAll(ctx, []OutMsg{{Chat: "c", Text: "1"}, {Chat: "c", Text: "2"}}); err != nil {
				return nil, err
			}
			trips = append(trips, db.RoundTrips()-start)
		}
		return trips, nil
	}
	// The first batch runs the customer's write alone, the second the
	// ticket's first, merged with it.
	for n := range 4 {
		change := n > 0
		var first, second []int64
		update(t, db, func(tx *Tx) error {
			var err error
			if first, err = turn(tx, 2*n, change); err != nil {
				return err
			}
			second, err = turn(tx, 2*n+1, change)
			return err
		})
		if n == 0 {
			continue
		}
		if want := []int64{0, 1, 1}; n > 1 && !slices.Equal(first, want) {
			t.Errorf("batch %d: round trips after the writes, then after each replies' insert: %v, want %v", n, first, want)
		}
		if want := []int64{0, 0, 0}; !slices.Equal(second, want) {
			t.Errorf("batch %d, second turn: %v, want %v", n, second, want)
		}
	}
	view(t, db, func(tx *Tx) error {
		ms, err := tx.OutboxAfter(ctx, "", "c", 0, 0)
		if err == nil && len(ms) != 32 {
			t.Errorf("%d replies stored, want 32", len(ms))
		}
		for i := 1; i < len(ms); i++ {
			if ms[i].Text == ms[i-1].Text {
				t.Errorf("replies out of order: %q after %q", ms[i].Text, ms[i-1].Text)
			}
		}
		return err
	})
}
