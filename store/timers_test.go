package store

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestTimers(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	base := time.Date(2025, 1, 2, 8, 0, 0, 0, brt())
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute).UTC() }

	view(t, db, func(tx *Tx) error {
		if _, err := tx.NextWake(ctx, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("NextWake empty: got %v, want ErrNotFound", err)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		for _, tm := range []Timer{
			{Chat: "b", Kind: "remind", Due: at(5)},
			{Chat: "a", Kind: "remind", Due: at(5)},
			{Chat: "a", Kind: "close", Due: at(30)},
			{Chat: "c", Kind: "remind", Due: at(1)},
			{Chat: "c", Kind: "remind", Due: at(10), Arg: "Ana"}, // upsert moves it and sets its arg
		} {
			if err := tx.SetTimer(ctx, tm); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		due, err := tx.DueTimers(ctx, "", base.Add(10*time.Minute), 0)
		if err != nil {
			return err
		}
		want := []Timer{{"a", "", "remind", at(5), ""}, {"b", "", "remind", at(5), ""}, {"c", "", "remind", at(10), "Ana"}}
		if !reflect.DeepEqual(due, want) {
			t.Errorf("DueTimers: got %v, want %v", due, want)
		}
		due, err = tx.DueTimers(ctx, "", base.Add(10*time.Minute), 1)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(due, want[:1]) {
			t.Errorf("DueTimers limit 1: got %v, want %v", due, want[:1])
		}
		// c was moved from 1 minute to 10: the loop still looks at 1.
		next, err := tx.NextWake(ctx, "")
		if err != nil {
			return err
		}
		if !next.Equal(at(1)) {
			t.Errorf("NextWake: got %v, want %v", next, at(1))
		}
		ts, err := tx.Timers(ctx, "", "a")
		if err != nil {
			return err
		}
		if want := []Timer{{"a", "", "remind", at(5), ""}, {"a", "", "close", at(30), ""}}; !reflect.DeepEqual(ts, want) {
			t.Errorf("Timers a: got %v, want %v", ts, want)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		if err := tx.DeleteTimer(ctx, "", "a", "remind"); err != nil {
			return err
		}
		if err := tx.DeleteTimer(ctx, "", "a", "nope"); err != nil {
			return err
		}
		if err := tx.SetTimer(ctx, Timer{Chat: "b", Kind: "undo", Due: at(50)}); err != nil {
			return err
		}
		return tx.ClearTimers(ctx, "", "b", "undo")
	})
	view(t, db, func(tx *Tx) error {
		due, err := tx.DueTimers(ctx, "", base.Add(time.Hour), 0)
		if err != nil {
			return err
		}
		want := []Timer{{"c", "", "remind", at(10), "Ana"}, {"a", "", "close", at(30), ""}, {"b", "", "undo", at(50), ""}}
		if !reflect.DeepEqual(due, want) {
			t.Errorf("DueTimers after delete: got %v, want %v", due, want)
		}
		return nil
	})
}

// TestTimerWake: a timer moved later keeps its wake, so the loop still
// looks at it then (WakeChats), though it is not due (DueTimers); the
// chat's RearmTimers then moves the wake up to the due time. A timer
// moved sooner wakes sooner.
func TestTimerWake(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	base := time.Date(2025, 1, 2, 8, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	const line = "551130010000"
	update(t, db, func(tx *Tx) error {
		for _, tm := range []Timer{
			{Chat: "a", Line: line, Kind: "remind", Due: at(5)},
			{Chat: "a", Line: line, Kind: "remind", Due: at(8)},  // later: the wake stays at 5
			{Chat: "a", Line: line, Kind: "remind", Due: at(20)}, // later again
			{Chat: "b", Line: line, Kind: "remind", Due: at(30)},
			{Chat: "b", Line: line, Kind: "remind", Due: at(12)}, // sooner: wakes at 12
		} {
			if err := tx.SetTimer(ctx, tm); err != nil {
				return err
			}
		}
		return nil
	})
	look := func(now time.Time, wantChats []string, wantDue int, wantNext time.Time) {
		t.Helper()
		view(t, db, func(tx *Tx) error {
			chats, err := tx.WakeChats(ctx, line, now, 0)
			if err != nil {
				return err
			}
			if len(chats) == 0 {
				chats = nil
			}
			if !reflect.DeepEqual(chats, wantChats) {
				t.Errorf("WakeChats at %v: %v, want %v", now, chats, wantChats)
			}
			due, err := tx.DueTimers(ctx, line, now, 0)
			if err != nil {
				return err
			}
			if len(due) != wantDue {
				t.Errorf("DueTimers at %v: %v, want %d", now, due, wantDue)
			}
			next, err := tx.NextWake(ctx, line)
			if err != nil {
				return err
			}
			if !next.Equal(wantNext) {
				t.Errorf("NextWake: %v, want %v", next, wantNext)
			}
			return nil
		})
	}
	look(at(4), nil, 0, at(5))
	look(at(6), []string{"a"}, 0, at(5)) // woken early: a is due at 20
	update(t, db, func(tx *Tx) error { return tx.RearmTimers(ctx, line, "a", at(6)) })
	look(at(6), nil, 0, at(12))
	look(at(12), []string{"b"}, 1, at(12))
	look(at(20), []string{"a", "b"}, 2, at(12))
	view(t, db, func(tx *Tx) error {
		ts, err := tx.Timers(ctx, line, "a")
		if err != nil {
			return err
		}
		if want := []Timer{{"a", line, "remind", at(20), ""}}; !reflect.DeepEqual(ts, want) {
			t.Errorf("Timers a: %v, want %v", ts, want)
		}
		return nil
	})
	// A due timer is left to fire: RearmTimers moves none.
	update(t, db, func(tx *Tx) error { return tx.RearmTimers(ctx, line, "b", at(13)) })
	look(at(13), []string{"b"}, 1, at(12))
}

// TestTimerMovedLaterIsHOT: on PostgreSQL, moving a timer later (each
// customer message moves the reminder) changes no indexed column, so the
// row's new version is a HOT update, which writes no index entry; with
// the due time indexed it wrote two. Counted in the transaction's own
// statistics.
func TestTimerMovedLaterIsHOT(t *testing.T) {
	conn := pgConn(t, "a PostgreSQL update's shape")
	ctx := t.Context()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	q := postgresDialect.sql(setTimerSQL)
	for _, due := range []int64{1000, 2000, 3000, 500} {
		if _, err := conn.ExecContext(ctx, q, "a", "", "remind", due, "", due); err != nil {
			t.Fatal(err)
		}
	}
	var updated, hot int64
	if err := conn.QueryRowContext(ctx, `SELECT pg_stat_get_xact_tuples_updated(CAST('timers' AS regclass)),
    pg_stat_get_xact_tuples_hot_updated(CAST('timers' AS regclass))`).Scan(&updated, &hot); err != nil {
		t.Fatal(err)
	}
	// Two moves later, HOT; one sooner, which moves the wake.
	if updated != 3 || hot != 2 {
		t.Errorf("timer moved 3 times: %d updates, %d HOT; want 3 and 2", updated, hot)
	}
}

// TestTimerWritesShareAStatement: on PostgreSQL a turn's writes of two
// timers of its chat (the close timer deleted, the reminder set) go as
// one statement with the writes around them, as writes on different
// tables do; writes on one timer, or on all of a chat's (ClearTimers),
// keep their order in statements of their own.
func TestTimerWritesShareAStatement(t *testing.T) {
	q := func(query, table, row string) queued {
		return queued{query: postgresDialect.sql(query), args: []any{1}, table: table, row: row}
	}
	conv := q(putConversationSQL, "conversations", "")
	del := q(deleteTimerSQL, "timers", timerRow("c", "l", "close"))
	set := q(setTimerSQL, "timers", timerRow("c", "l", "remind"))
	delSame := q(deleteTimerSQL, "timers", timerRow("c", "l", "remind"))
	clear := q(clearTimersSQL, "timers", "")
	for _, c := range []struct {
		name  string
		later []queued
		want  int
	}{
		{"two timers", []queued{conv, del, set}, 1},
		{"one timer twice", []queued{conv, delSame, set}, 2},
		{"all of a chat's", []queued{conv, clear, set}, 2},
	} {
		tx := &Tx{later: c.later, merged: map[string]string{}}
		if got, _ := tx.combine(nil); len(got) != c.want {
			t.Errorf("%s: %d statements, want %d", c.name, len(got), c.want)
		}
	}
}

// TestTimerWritesInOneUpdate: whatever statements they go in, a job's
// timer writes leave what they say, in their order.
func TestTimerWritesInOneUpdate(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	due := func(min int) time.Time { return time.Date(2025, 1, 2, 8, min, 0, 0, time.UTC) }
	turn := func(tx *Tx) error {
		if err := tx.SetTimer(ctx, Timer{Chat: "c", Line: "l", Kind: "close", Due: due(1)}); err != nil {
			return err
		}
		if err := tx.DeleteTimer(ctx, "l", "c", "close"); err != nil {
			return err
		}
		if err := tx.SetTimer(ctx, Timer{Chat: "c", Line: "l", Kind: "remind", Due: due(2)}); err != nil {
			return err
		}
		if err := tx.DeleteTimer(ctx, "l", "c", "other"); err != nil {
			return err
		}
		return tx.SetTimer(ctx, Timer{Chat: "c", Line: "l", Kind: "remind", Due: due(3)})
	}
	for range 3 { // the first runs each statement alone; then they are queued
		update(t, db, func(tx *Tx) error {
			if err := tx.ClearTimers(ctx, "l", "c", ""); err != nil {
				return err
			}
			return turn(tx)
		})
		view(t, db, func(tx *Tx) error {
			ts, err := tx.Timers(ctx, "l", "c")
			if want := []Timer{{"c", "l", "remind", due(3), ""}}; err != nil || !reflect.DeepEqual(ts, want) {
				t.Errorf("timers: %v, %v; want %v", ts, err, want)
			}
			return nil
		})
	}
}
