package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFormOf(t *testing.T) {
	types := map[string]string{"t.a": "text", "t.b": "bigint", "t.id": "bigint"}
	for _, c := range []struct {
		query, want string
		width       int
	}{
		{"INSERT INTO t (a, b) VALUES ($1, $2)", "INSERT INTO t (a, b) SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS bigint[]))", 2},
		{"INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", "INSERT INTO t (a, b) SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS bigint[]))", 2},
		{"INSERT INTO t (a, b) VALUES ($1, $2)\nON CONFLICT (a) DO UPDATE SET b = excluded.b",
			"INSERT INTO t (a, b) SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS bigint[]))\nON CONFLICT (a) DO UPDATE SET b = excluded.b", 2},
		{"UPDATE t SET a = $1, b = $2 WHERE id = $3",
			"UPDATE t SET a = v.a, b = v.b FROM unnest(CAST($1 AS text[]), CAST($2 AS bigint[]), CAST($3 AS bigint[])) AS v(a, b, id) WHERE t.id = v.id", 3},
		{"DELETE FROM t WHERE a = $1 AND b <> $2",
			"DELETE FROM t USING unnest(CAST($1 AS text[]), CAST($2 AS bigint[])) AS v(a, b) WHERE t.a = v.a AND t.b <> v.b", 2},
		// No form: a value not a placeholder, placeholders out of order,
		// an answer wanted, a column of unknown type, a key also set, a
		// comparison that is no equality.
		{"INSERT INTO t (a, b) VALUES ($1, 0)", "", 0},
		{"INSERT INTO t (a, b) VALUES ($1, 0), ($2, 0)", "", 0},
		{"INSERT INTO t (a, b) VALUES ($2, $1)", "", 0},
		{"INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id", "", 0},
		{"INSERT INTO t (a, c) VALUES ($1, $2)", "", 0},
		{"INSERT INTO t (a, b) VALUES ($1, $2)\nON CONFLICT (a) DO UPDATE SET b = $3", "", 0},
		{"UPDATE t SET id = $1 WHERE id = $2", "", 0},
		{"UPDATE t SET a = $1 WHERE id > $2", "", 0},
		{"UPDATE t SET a = 'x', b = $1 WHERE id = $2", "", 0},
		{"DELETE FROM t WHERE a = $1 OR b = $2", "", 0},
	} {
		f := formOf(c.query, types)
		switch {
		case c.want == "" && f != nil:
			t.Errorf("%q: form %q, want none", c.query, f.query)
		case c.want != "" && f == nil:
			t.Errorf("%q: no form", c.query)
		case f != nil && (f.query != c.want || f.width != c.width):
			t.Errorf("%q: form %q width %d, want %q width %d", c.query, f.query, f.width, c.want, c.width)
		}
	}
}

// TestClaims: which writes may share a statement.
func TestClaims(t *testing.T) {
	w := func(table, row string) queued { return queued{table: table, row: row} }
	add := func(table string) queued { return queued{table: table, adds: true} }
	timer := func(chat, kind string) queued { return w("timers", timerRow(chat, "", kind)) }
	for _, c := range []struct {
		name  string
		held  []queued
		q     queued
		clash bool
	}{
		{"other table", []queued{w("a", "1")}, w("b", "1"), false},
		{"other row", []queued{w("a", "1")}, w("a", "2"), false},
		{"same row", []queued{w("a", "1")}, w("a", "1"), true},
		{"no row named", []queued{w("a", "1")}, w("a", ""), true},
		{"after no row named", []queued{w("a", "")}, w("a", "1"), true},
		{"adds with adds", []queued{add("a")}, add("a"), false},
		{"adds with a row", []queued{w("a", "1")}, add("a"), true},
		{"a row with adds", []queued{add("a")}, w("a", "1"), true},
		{"a chat's timers after one of them", []queued{timer("c1", "x")}, timer("c1", ""), true},
		{"one timer after the chat's", []queued{timer("c1", "")}, timer("c1", "x"), true},
		{"another chat's timers", []queued{timer("c1", "x")}, timer("c10", ""), false},
		{"a timer of another chat", []queued{timer("c1", "")}, timer("c10", "x"), false},
	} {
		var cl claims
		for _, h := range c.held {
			cl.add(h)
		}
		if got := cl.clash(c.q); got != c.clash {
			t.Errorf("%s: clash %v, want %v", c.name, got, c.clash)
		}
	}
}

// TestFoldedWrites runs busy batches of turns on PostgreSQL: the writes
// of several jobs with the same form go as one statement, what they
// leave is what the jobs wrote, in their order, and a job whose ticket
// is missing fails alone.
func TestFoldedWrites(t *testing.T) {
	db := openTest(t)
	if !db.Postgres() {
		t.Skip("SQLite's writer runs each write as it comes")
	}
	ctx := t.Context()
	const chats = 6
	tickets := make([]Ticket, chats)
	update(t, db, func(tx *Tx) error {
		for i := range tickets {
			tickets[i] = Ticket{Chat: fmt.Sprint("c", i), Status: StatusAberto}
			var err error
			if tickets[i].ID, err = tx.CreateTicket(ctx, tickets[i]); err != nil {
				return err
			}
		}
		return nil
	})
	due := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	turn := func(tx *Tx, i int, state string) error {
		chat := fmt.Sprint("c", i)
		if err := tx.PutConversation(ctx, Conversation{Chat: chat, State: state, Ticket: tickets[i].ID}); err != nil {
			return err
		}
		if err := tx.PutCustomer(ctx, Customer{Chat: chat, Name: state}); err != nil {
			return err
		}
		if err := tx.DeleteTimer(ctx, "", chat, "fechar"); err != nil {
			return err
		}
		if err := tx.SetTimer(ctx, Timer{Chat: chat, Kind: "lembrete", Due: due}); err != nil {
			return err
		}
		if err := tx.AddTicketEvents(ctx, []TicketEvent{{Ticket: tickets[i].ID, Kind: "bot", Text: state}}); err != nil {
			return err
		}
		before := tickets[i]
		if state == "missing" {
			before.ID = 999999 // a ticket another process deleted
		}
		after := before
		after.Topic = state
		if err := tx.ChangeTicket(ctx, before, after); err != nil {
			return err
		}
		_, err := tx.AppendOutboxAll(ctx, []OutMsg{{Chat: chat, Ticket: tickets[i].ID, Text: state}})
		return err
	}
	// Every write once, so that the writer queues them from now on.
	update(t, db, func(tx *Tx) error {
		if err := tx.ClearTimers(ctx, "", "c5", ""); err != nil {
			return err
		}
		return turn(tx, 0, "warm")
	})
	turnJob := func(i int, state string) func() error {
		return func() error { return db.Update(ctx, func(tx *Tx) error { return turn(tx, i, state) }) }
	}
	jobs := make([]func() error, 0, chats+1)
	for i := range chats {
		jobs = append(jobs, turnJob(i, fmt.Sprint("s", i)))
	}
	// Chat c1's timers cleared and set again, and c0's conversation
	// written again, after their turns above: each must run after the
	// writes before it on its rows.
	jobs = append(jobs, func() error {
		return db.Update(ctx, func(tx *Tx) error {
			if err := tx.ClearTimers(ctx, "", "c1", ""); err != nil {
				return err
			}
			if err := tx.SetTimer(ctx, Timer{Chat: "c1", Kind: "depois", Due: due.Add(time.Hour)}); err != nil {
				return err
			}
			return tx.PutConversation(ctx, Conversation{Chat: "c0", State: "again", Ticket: tickets[0].ID})
		})
	})
	for i, err := range oneBatch(t, db, jobs...) {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	if !wentAsOne(db, "INSERT INTO conversations (chat, line, state, node, path, ticket, attempts, intent, flow_version, started_at, updated_at, paused_until, subject) SELECT * FROM unnest(") {
		t.Error("the conversations' writes did not go as one")
	}
	// What each chat holds: its state, customer's name and ticket's
	// topic, its timers, its replies.
	check := func(i int, state, name, topic string, timers int, replies ...string) {
		t.Helper()
		chat := fmt.Sprint("c", i)
		view(t, db, func(tx *Tx) error {
			conv, err := tx.Conversation(ctx, "", chat)
			if err != nil {
				return err
			}
			cust, err := tx.Customer(ctx, chat)
			if err != nil {
				return err
			}
			tk, err := tx.Ticket(ctx, tickets[i].ID)
			if err != nil {
				return err
			}
			if conv.State != state || cust.Name != name || tk.Topic != topic {
				t.Errorf("%s: state %q, customer %q, topic %q; want %q, %q, %q", chat, conv.State, cust.Name, tk.Topic, state, name, topic)
			}
			ts, err := tx.Timers(ctx, "", chat)
			if err != nil {
				return err
			}
			out, err := tx.OutboxAfter(ctx, "", chat, 0, 0)
			if err != nil {
				return err
			}
			var texts []string
			for _, m := range out {
				texts = append(texts, m.Text)
			}
			if len(ts) != timers || !slices.Equal(texts, replies) {
				t.Errorf("%s: %d timers, replies %q; want %d, %q", chat, len(ts), texts, timers, replies)
			}
			return nil
		})
	}
	check(0, "again", "s0", "s0", 1, "warm", "s0")
	check(1, "s1", "s1", "s1", 1, "s1")
	view(t, db, func(tx *Tx) error {
		ts, err := tx.Timers(ctx, "", "c1")
		if err == nil && (len(ts) != 1 || ts[0].Kind != "depois") {
			t.Errorf("c1's timers %v, want depois alone", ts)
		}
		return err
	})
	for i := 2; i < chats; i++ {
		s := fmt.Sprint("s", i)
		check(i, s, s, s, 1, s)
	}

	// A failed job fails alone; the batch runs again with savepoints.
	errs := oneBatch(t, db, turnJob(2, "t2"), turnJob(3, "missing"), turnJob(4, "t4"))
	if errs[0] != nil || !errors.Is(errs[1], ErrNotFound) || errs[2] != nil {
		t.Errorf("jobs' errors %v; want the second's ErrNotFound only", errs)
	}
	check(2, "t2", "t2", "t2", 1, "s2", "t2")
	check(3, "s3", "s3", "s3", 1, "s3")
	check(4, "t4", "t4", "t4", 1, "s4", "t4")
}

// TestFoldedTicketOpenings: on PostgreSQL a new ticket's id is taken from
// the sequence alone and its insert queued, so the conversations opened
// in one batch insert their tickets in one statement, and the writes
// queued before an opening wait for the writes after it. Each job gets
// its own id, in the batch's order, and finds its ticket.
func TestFoldedTicketOpenings(t *testing.T) {
	db := openTest(t)
	if !db.Postgres() {
		t.Skip("SQLite's writer runs each write as it comes")
	}
	ctx := t.Context()
	open := func(tx *Tx, chat string) (int64, error) {
		if err := tx.PutCustomer(ctx, Customer{Chat: chat, Name: "Ana " + chat}); err != nil {
			return 0, err
		}
		id, err := tx.CreateTicket(ctx, Ticket{Chat: chat, Requester: "Ana " + chat, Status: StatusAberto})
		if err != nil {
			return 0, err
		}
		if err := tx.PutConversation(ctx, Conversation{Chat: chat, State: "inicio", Ticket: id}); err != nil {
			return 0, err
		}
		return id, tx.AddTicketEvents(ctx, []TicketEvent{{Ticket: id, Kind: "customer", Text: "oi " + chat}})
	}
	// Every write once, so that the writer queues them from now on.
	update(t, db, func(tx *Tx) error { _, err := open(tx, "warm"); return err })
	const chats = 5
	ids := make([]int64, chats)
	jobs := make([]func() error, chats)
	for i := range jobs {
		jobs[i] = func() error {
			return db.Update(ctx, func(tx *Tx) error {
				var err error
				ids[i], err = open(tx, fmt.Sprint("n", i))
				return err
			})
		}
	}
	for i, err := range oneBatch(t, db, jobs...) {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	if !wentAsOne(db, "INSERT INTO tickets (id, chat, line, requester, id_suporte, topic, status, queued_at, agent, created_at, last_activity_at, closed_at, close_reason) SELECT * FROM unnest(") {
		t.Error("the tickets' inserts did not go as one")
	}
	view(t, db, func(tx *Tx) error {
		for i, id := range ids {
			chat := fmt.Sprint("n", i)
			if i > 0 && id <= ids[i-1] {
				t.Errorf("ticket ids %v; want them rising in the batch's order", ids)
			}
			tk, err := tx.Ticket(ctx, id)
			if err != nil {
				return err
			}
			conv, err := tx.Conversation(ctx, "", chat)
			if err != nil {
				return err
			}
			evs, err := tx.TicketEvents(ctx, id, 0)
			if err != nil {
				return err
			}
			if tk.Chat != chat || tk.Requester != "Ana "+chat || conv.Ticket != id || len(evs) != 1 || evs[0].Text != "oi "+chat {
				t.Errorf("%s: ticket %+v, conversation's ticket %d, events %+v", chat, tk, conv.Ticket, evs)
			}
		}
		return nil
	})
}

// wentAsOne reports whether a statement db's first writer merged holds
// write, the array form of several writes.
func wentAsOne(db *DB, write string) bool {
	for _, text := range db.writers[0].merged {
		if strings.Contains(text, write) {
			return true
		}
	}
	return false
}
