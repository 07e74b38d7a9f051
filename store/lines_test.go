package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// Two lines, A and B, and one customer who writes to both.
const (
	lineA = "554735121777"
	lineB = "551140042000"
	both  = "5547999990000@s.whatsapp.net"
)

func TestLineName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+55 47 3512-1777", "554735121777"},
		{"554735121777", "554735121777"},
		{"(47) 3512-1777", "4735121777"},
		{"demo", ""},
	} {
		if got := LineName(c.in); got != c.want {
			t.Errorf("LineName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestLinesKeepChatsApart: the same customer on two lines has two
// conversations, and every read a line's runtime makes (its work, timers,
// retries, downloads) sees its own line's rows only.
func TestLinesKeepChatsApart(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	update(t, db, func(tx *Tx) error {
		for i, line := range []string{lineA, lineB} {
			at := base.Add(time.Duration(i) * time.Minute)
			if err := tx.PutConversation(ctx, Conversation{Chat: both, Line: line, State: "menu", StartedAt: at}); err != nil {
				return err
			}
			// The same message id on both lines: two messages, not a redelivery.
			if _, dup, err := tx.InsertInbox(ctx, Inbound{Chat: both, Line: line, MsgID: "m1", Text: line, ReceivedAt: at}); err != nil || dup {
				t.Errorf("InsertInbox on %s: dup %v, err %v", line, dup, err)
			}
			if _, err := tx.AppendOutbox(ctx, OutMsg{Chat: both, Line: line, Text: "oi " + line, CreatedAt: at}); err != nil {
				return err
			}
			if err := tx.SetTimer(ctx, Timer{Chat: both, Line: line, Kind: "remind", Due: at.Add(time.Hour)}); err != nil {
				return err
			}
			if _, err := tx.AddMedia(ctx, Media{Chat: both, Line: line, Direction: "in", Kind: "image", State: MediaPending, NextTry: at}); err != nil {
				return err
			}
			if _, err := tx.CreateTicket(ctx, Ticket{Chat: both, Line: line, Status: StatusAberto, CreatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	later := base.Add(2 * time.Hour)
	view(t, db, func(tx *Tx) error {
		for _, line := range []string{lineA, lineB} {
			c, err := tx.Conversation(ctx, line, both)
			if err != nil || c.Line != line {
				t.Errorf("Conversation on %s: %+v, %v", line, c, err)
			}
			in, err := tx.NextInbox(ctx, line, both)
			if err != nil || in.Text != line || in.Line != line {
				t.Errorf("NextInbox on %s: %+v, %v", line, in, err)
			}
			if ins, err := tx.InboxByChat(ctx, line, both, 0); err != nil || len(ins) != 1 {
				t.Errorf("InboxByChat on %s: %d rows, %v; want 1", line, len(ins), err)
			}
			out, err := tx.PendingOutbox(ctx, line, both, 0)
			if err != nil || len(out) != 1 || out[0].Text != "oi "+line || out[0].Line != line {
				t.Errorf("PendingOutbox on %s: %+v, %v", line, out, err)
			}
			if ok, err := tx.SaidSince(ctx, line, both, "oi "+line, base); err != nil || !ok {
				t.Errorf("SaidSince on %s its own text: %v, %v", line, ok, err)
			}
			for _, f := range []struct {
				name string
				get  func() ([]string, error)
			}{
				{"WorkChats", func() ([]string, error) { return tx.WorkChats(ctx, line) }},
				{"ReadyChats", func() ([]string, error) { return tx.ReadyChats(ctx, line, later) }},
			} {
				if got, err := f.get(); err != nil || !reflect.DeepEqual(got, []string{both}) {
					t.Errorf("%s(%s) = %v, %v; want the one chat", f.name, line, got, err)
				}
			}
			due, err := tx.DueTimers(ctx, line, later, 0)
			if err != nil || len(due) != 1 || due[0].Line != line {
				t.Errorf("DueTimers(%s) = %+v, %v; want its one timer", line, due, err)
			}
			if _, err := tx.NextWake(ctx, line); err != nil {
				t.Errorf("NextWake(%s): %v", line, err)
			}
			if chats, err := tx.WakeChats(ctx, line, later, 0); err != nil || !reflect.DeepEqual(chats, []string{both}) {
				t.Errorf("WakeChats(%s) = %v, %v; want the one chat", line, chats, err)
			}
			if ts, err := tx.Timers(ctx, line, both); err != nil || len(ts) != 1 {
				t.Errorf("Timers(%s) = %+v, %v; want one", line, ts, err)
			}
			ms, err := tx.DueMedia(ctx, line, later, 0)
			if err != nil || len(ms) != 1 || ms[0].Line != line {
				t.Errorf("DueMedia(%s) = %+v, %v; want its one file", line, ms, err)
			}
			if _, err := tx.NextMediaTry(ctx, line); err != nil {
				t.Errorf("NextMediaTry(%s): %v", line, err)
			}
			ts, err := tx.TicketsByChat(ctx, line, both, 0)
			if err != nil || len(ts) != 1 || ts[0].Line != line {
				t.Errorf("TicketsByChat(%s) = %+v, %v; want its one ticket", line, ts, err)
			}
		}
		if ts, err := tx.TicketsByChat(ctx, AllLines, both, 0); err != nil || len(ts) != 2 {
			t.Errorf("TicketsByChat(AllLines) = %d tickets, %v; want 2", len(ts), err)
		}
		// A third line sees nothing of theirs.
		const lineC = "551130030000"
		if got, err := tx.WorkChats(ctx, lineC); err != nil || len(got) != 0 {
			t.Errorf("WorkChats(C) = %v, %v; want none", got, err)
		}
		if _, err := tx.NextWake(ctx, lineC); !errors.Is(err, ErrNotFound) {
			t.Errorf("NextWake(C): %v, want ErrNotFound", err)
		}
		if _, err := tx.Conversation(ctx, lineC, both); !errors.Is(err, ErrNotFound) {
			t.Errorf("Conversation(C): %v, want ErrNotFound", err)
		}
		return nil
	})

	// Line A finishes its work: B's is still there, and B's retries are B's.
	update(t, db, func(tx *Tx) error {
		in, err := tx.NextInbox(ctx, lineA, both)
		if err != nil {
			return err
		}
		if err := tx.FinishInbox(ctx, in.ID, later); err != nil {
			return err
		}
		out, err := tx.PendingOutbox(ctx, lineA, both, 0)
		if err != nil {
			return err
		}
		if err := tx.MarkSent(ctx, out[0].ID, "wa-a", later); err != nil {
			return err
		}
		if err := tx.DeleteTimer(ctx, lineA, both, "remind"); err != nil {
			return err
		}
		outB, err := tx.PendingOutbox(ctx, lineB, both, 0)
		if err != nil {
			return err
		}
		return tx.MarkSendFailed(ctx, outB[0].ID, "offline", later.Add(time.Hour))
	})
	update(t, db, func(tx *Tx) error {
		if got, err := tx.WorkChats(ctx, lineA); err != nil || len(got) != 0 {
			t.Errorf("WorkChats(A) after its work = %v, %v; want none", got, err)
		}
		if got, err := tx.WorkChats(ctx, lineB); err != nil || len(got) != 1 {
			t.Errorf("WorkChats(B) = %v, %v; want its chat", got, err)
		}
		if idle, err := tx.ChatIdle(ctx, lineA, both); err != nil || !idle {
			t.Errorf("ChatIdle(A) = %v, %v; want idle", idle, err)
		}
		if idle, err := tx.ChatIdle(ctx, lineB, both); err != nil || idle {
			t.Errorf("ChatIdle(B) = %v, %v; want busy", idle, err)
		}
		if _, err := tx.Timers(ctx, lineB, both); err != nil {
			return err
		}
		if ts, _ := tx.Timers(ctx, lineB, both); len(ts) != 1 {
			t.Errorf("B's timer went with A's: %v", ts)
		}
		if _, err := tx.NextRetry(ctx, lineA); !errors.Is(err, ErrNotFound) {
			t.Errorf("NextRetry(A): %v, want ErrNotFound", err)
		}
		if m, err := tx.NextRetry(ctx, lineB); err != nil || m.Line != lineB {
			t.Errorf("NextRetry(B) = %+v, %v", m, err)
		}
		if chats, err := tx.RetryNow(ctx, lineA, later); err != nil || len(chats) != 0 {
			t.Errorf("RetryNow(A) = %v, %v; want none", chats, err)
		}
		if chats, err := tx.RetryNow(ctx, lineB, later); err != nil || len(chats) != 1 {
			t.Errorf("RetryNow(B) = %v, %v; want B's chat", chats, err)
		}
		if m, err := tx.OutboxByWAID(ctx, lineA, "wa-a"); err != nil || m.Line != lineA {
			t.Errorf("OutboxByWAID(A) = %+v, %v", m, err)
		}
		if _, err := tx.OutboxByWAID(ctx, lineB, "wa-a"); !errors.Is(err, ErrNotFound) {
			t.Errorf("OutboxByWAID(B, A's id): %v, want ErrNotFound", err)
		}
		return nil
	})
	// The managers' report counts each line's conversations.
	view(t, db, func(tx *Tx) error {
		r, err := tx.Report(ctx, ReportInput{From: base, To: later, IsOpen: func(time.Time) bool { return true },
			BusinessDuration: func(a, b time.Time) time.Duration { return b.Sub(a) }})
		if err != nil {
			return err
		}
		if want := []Line{{Line: lineB, Conversations: 1}, {Line: lineA, Conversations: 1}}; r.Conversations != 2 || !reflect.DeepEqual(r.Lines, want) {
			t.Errorf("report: %d conversations by line %+v; want 2, %+v", r.Conversations, r.Lines, want)
		}
		return nil
	})
}

// TestStartLineAdoptsOldRows: rows stored before lines existed belong to
// the first line that starts, recorded once; a line that starts later
// takes none of them, and starting again changes nothing.
func TestStartLineAdoptsOldRows(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	// An installation at migration 0014, with a chat going on.
	d := sqliteDialect
	driver, raw := Driver, ReferenceDSN(dsn)
	if IsPostgres(dsn) {
		d, driver, raw = postgresDialect, "pgx", dsn
	}
	if !d.postgres {
		if err := os.MkdirAll(filepath.Dir(dsn), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	old, err := sql.Open(driver, raw)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	if d.postgres {
		if _, err := old.ExecContext(ctx, pgVersionTableSQL); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range ms[:14] {
		if err := applyMigration(ctx, d, old, m); err != nil {
			t.Fatalf("migration %s: %v", m.name, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO conversations (chat, state, ticket) VALUES ('c1', 'menu', 100001)`,
		`INSERT INTO tickets (id, chat, status) VALUES (100001, 'c1', 'aberto')`,
		`INSERT INTO inbox (chat, msg_id, done) VALUES ('c1', 'm1', 0)`,
		`INSERT INTO outbox (chat, ticket, text) VALUES ('c1', 100001, 'oi')`,
		`INSERT INTO timers (chat, kind, due) VALUES ('c1', 'remind', 1)`,
		`INSERT INTO media (chat, inbox, direction, kind, state) VALUES ('c1', 1, 'in', 'image', 'pending')`,
		`INSERT INTO media (chat, direction, kind, state) VALUES ('', 'out', 'document', 'stored')`,
	} {
		if _, err := old.ExecContext(ctx, d.sql(q)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Conversation(ctx, "", "c1"); err != nil {
			t.Errorf("the old conversation after the migration: %v", err)
		}
		return nil
	})
	start := func(line string) (adoptedBy string) {
		t.Helper()
		at = at.Add(time.Minute)
		update(t, db, func(tx *Tx) error {
			var err error
			adoptedBy, err = tx.StartLine(ctx, line, at)
			return err
		})
		return adoptedBy
	}
	if got := start(lineA); got != lineA {
		t.Errorf("first line: adopted by %q, want %q", got, lineA)
	}
	if got := start(lineB); got != lineA {
		t.Errorf("second line: adopted by %q, want %q", got, lineA)
	}
	if got := start(lineA); got != lineA {
		t.Errorf("first line again: adopted by %q, want %q", got, lineA)
	}
	view(t, db, func(tx *Tx) error {
		if c, err := tx.Conversation(ctx, lineA, "c1"); err != nil || c.State != "menu" {
			t.Errorf("A's conversation: %+v, %v", c, err)
		}
		if _, err := tx.Conversation(ctx, lineB, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("B's conversation: %v, want ErrNotFound", err)
		}
		if tk, err := tx.Ticket(ctx, 100001); err != nil || tk.Line != lineA {
			t.Errorf("the old ticket: %+v, %v; want line A", tk, err)
		}
		for _, line := range []string{lineA, lineB} {
			want := 0
			if line == lineA {
				want = 1
			}
			if cs, _ := tx.WorkChats(ctx, line); len(cs) != want {
				t.Errorf("WorkChats(%s) = %v, want %d", line, cs, want)
			}
			if ts, _ := tx.Timers(ctx, line, "c1"); len(ts) != want {
				t.Errorf("Timers(%s) = %v, want %d", line, ts, want)
			}
			if ms, _ := tx.DueMedia(ctx, line, at, 0); len(ms) != want {
				t.Errorf("DueMedia(%s) = %v, want %d", line, ms, want)
			}
		}
		var library string
		if err := tx.queryRow(ctx, `SELECT line FROM media WHERE chat = ''`).Scan(&library); err != nil || library != "" {
			t.Errorf("the flows' attachment's line: %q, %v; want none", library, err)
		}
		if ls, err := tx.Lines(ctx); err != nil || !reflect.DeepEqual(ls, []string{lineA, lineB}) {
			t.Errorf("Lines = %v, %v; want A, B", ls, err)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		if _, err := tx.StartLine(ctx, "", at); err == nil {
			t.Error("StartLine without a number: no error")
		}
		return nil
	})
}

// TestStartLineRace: lines starting at once, each on its own connection
// (as processes do), on a store with old rows: exactly one adopts them.
func TestStartLineRace(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	lines := []string{lineA, lineB, "551130030000", "551130030001"}
	dbs := make([]*DB, len(lines))
	for i := range dbs {
		dbs[i] = openAt(t, dsn)
	}
	update(t, dbs[0], func(tx *Tx) error {
		return tx.PutConversation(ctx, Conversation{Chat: "c1", State: "menu"})
	})
	got := make(chan string, len(lines))
	for i, l := range lines {
		go func() {
			var by string
			err := dbs[i].Update(ctx, func(tx *Tx) error {
				var err error
				by, err = tx.StartLine(ctx, l, time.Now())
				return err
			})
			if err != nil {
				t.Error(err)
			}
			got <- by
		}()
	}
	first := <-got
	for range lines[1:] {
		if by := <-got; by != first {
			t.Errorf("adopted by %q and by %q", first, by)
		}
	}
	view(t, dbs[0], func(tx *Tx) error {
		if _, err := tx.Conversation(ctx, first, "c1"); err != nil {
			t.Errorf("the adopter's conversation: %v", err)
		}
		if ls, err := tx.Lines(ctx); err != nil || len(ls) != len(lines) {
			t.Errorf("Lines = %v, %v; want %d", ls, err, len(lines))
		}
		return nil
	})
}
