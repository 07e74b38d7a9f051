package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// chatsOfFirstWriter returns n chat names whose work goes to the first
// writer, the one hold occupies.
func chatsOfFirstWriter(db *DB, prefix string, n int) []string {
	var chats []string
	for i := 0; len(chats) < n; i++ {
		if c := fmt.Sprintf("%s%d", prefix, i); db.writerOf(c) == db.writers[0] {
			chats = append(chats, c)
		}
	}
	return chats
}

// accepted is what a job opening with AcceptInbox got.
type accepted struct {
	id        int64
	dup, idle bool
}

// TestOpeningsOfABatch: the openings of a batch's jobs (on PostgreSQL
// done for all of them at once, before they run) answer each job as its
// own statements would: a message to an idle chat, to a chat with a reply
// unsent, a duplicate, sends recorded with the chat idle after them or
// not; and a job on a chat an earlier job of the batch worked on sees
// that job's work.
func TestOpeningsOfABatch(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const line = "l"
	now := time.UnixMilli(1_700_000_000_000).UTC()
	c := chatsOfFirstWriter(db, "chat", 6)
	var dOut1, dOut2, eOut1, eOut2, dupID int64
	update(t, db, func(tx *Tx) error {
		var err error
		if _, err = tx.AppendOutbox(ctx, OutMsg{Chat: c[1], Line: line, Text: "não enviada"}); err != nil {
			return err
		}
		if dOut1, err = tx.AppendOutbox(ctx, OutMsg{Chat: c[3], Line: line, Text: "um"}); err != nil {
			return err
		}
		if dOut2, err = tx.AppendOutbox(ctx, OutMsg{Chat: c[3], Line: line, Text: "dois"}); err != nil {
			return err
		}
		if eOut1, err = tx.AppendOutbox(ctx, OutMsg{Chat: c[4], Line: line, Text: "um"}); err != nil {
			return err
		}
		if eOut2, err = tx.AppendOutbox(ctx, OutMsg{Chat: c[4], Line: line, Text: "dois"}); err != nil {
			return err
		}
		dupID, _, err = tx.InsertInbox(ctx, Inbound{Chat: c[2], Line: line, MsgID: "m", Kind: "text", Text: "já veio", ReceivedAt: now, Done: true})
		return err
	})
	msg := func(chat, id string) *Inbound {
		return &Inbound{Chat: chat, Line: line, MsgID: id, Kind: "text", Text: "oi " + chat, SentAt: now, ReceivedAt: now, PushName: "Ana", Phone: "+55"}
	}
	acceptJob := func(in *Inbound, got *accepted) (Opening, func(tx *Tx) error) {
		return Opening{Line: line, Chat: in.Chat, Accept: in}, func(tx *Tx) error {
			if err := tx.LockChat(ctx, line, in.Chat); err != nil {
				return err
			}
			var err error
			got.id, got.dup, got.idle, err = tx.AcceptInbox(ctx, *in)
			return err
		}
	}
	sentJob := func(chat string, sent []Sent, idle *bool) (Opening, func(tx *Tx) error) {
		return Opening{Line: line, Chat: chat, Sent: sent, At: now}, func(tx *Tx) error {
			if err := tx.LockChat(ctx, line, chat); err != nil {
				return err
			}
			var err error
			*idle, err = tx.MarkSentIdle(ctx, sent, now, line, chat)
			return err
		}
	}
	var (
		gotA, gotB, gotDup, gotF accepted
		idleD, idleE             bool
	)
	type queuedJob struct {
		open Opening
		fn   func(tx *Tx) error
	}
	var jobs []queuedJob
	add := func(o Opening, fn func(tx *Tx) error) { jobs = append(jobs, queuedJob{o, fn}) }
	add(acceptJob(msg(c[0], "a1"), &gotA))
	add(acceptJob(msg(c[1], "b1"), &gotB))
	add(acceptJob(&Inbound{Chat: c[2], Line: line, MsgID: "m", Kind: "text", Text: "de novo", ReceivedAt: now}, &gotDup))
	add(sentJob(c[3], []Sent{{ID: dOut1, WAID: "w1"}, {ID: dOut2}}, &idleD))
	add(sentJob(c[4], []Sent{{ID: eOut1}}, &idleE)) // eOut2 still unsent: not idle
	// A job on c[5] queues a reply; the message after it in the same
	// batch finds the chat busy.
	jobs = append(jobs, queuedJob{Opening{}, func(tx *Tx) error {
		_, err := tx.AppendOutbox(ctx, OutMsg{Chat: c[5], Line: line, Text: "antes"})
		return err
	}})
	add(acceptJob(msg(c[5], "f1"), &gotF))

	var run []func() error
	for _, j := range jobs {
		run = append(run, func() error {
			if j.open.Chat == "" {
				return db.UpdateChat(ctx, c[5], j.fn)
			}
			return db.UpdateOpening(ctx, j.open, j.fn)
		})
	}
	for i, err := range oneBatch(t, db, run...) {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	if gotA.id == 0 || gotA.dup || !gotA.idle {
		t.Errorf("message to an idle chat: %+v, want stored, idle", gotA)
	}
	if gotB.id == 0 || gotB.dup || gotB.idle {
		t.Errorf("message to a chat with a reply unsent: %+v, want stored, not idle", gotB)
	}
	if gotDup.id != dupID || !gotDup.dup {
		t.Errorf("duplicate: %+v, want dup of %d", gotDup, dupID)
	}
	if !idleD || idleE {
		t.Errorf("idle after the sends: %t and %t, want true and false", idleD, idleE)
	}
	if gotF.id == 0 || gotF.idle {
		t.Errorf("message after a reply queued in the same batch: %+v, want not idle", gotF)
	}
	// c[0] to c[4] opened together (c[2]'s message, a duplicate, then
	// asked for its row); c[5]'s came after a job on its chat.
	if want := int64(5); db.d.postgres && db.OpenedJobs() != want {
		t.Errorf("jobs opened together: %d, want %d", db.OpenedJobs(), want)
	}
	view(t, db, func(tx *Tx) error {
		for _, chat := range []string{c[0], c[1], c[5]} {
			ins, err := tx.InboxByChat(ctx, line, chat, 0)
			if err != nil || len(ins) != 1 || ins[0].Done != (chat == c[0]) || ins[0].PushName != "Ana" {
				t.Errorf("inbox of %s: %+v, %v", chat, ins, err)
			}
		}
		pending, err := tx.PendingOutbox(ctx, line, c[4], 10)
		if err != nil || len(pending) != 1 || pending[0].ID != eOut2 {
			t.Errorf("unsent of %s: %+v, %v; want %d only", c[4], pending, err, eOut2)
		}
		for _, chat := range []string{c[1], c[3]} {
			pending, err := tx.PendingOutbox(ctx, line, chat, 10)
			if want := map[string]int{c[1]: 1, c[3]: 0}[chat]; err != nil || len(pending) != want {
				t.Errorf("unsent of %s: %+v, %v; want %d", chat, pending, err, want)
			}
		}
		return nil
	})
}

// TestOpeningFailsItsJobOnly: a job whose opened sends name a message
// that is not there fails alone, and a job that does not make the calls
// it opened with leaves nothing of them; the batch's other jobs commit
// what they did, once.
func TestOpeningFailsItsJobOnly(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const line = "l"
	now := time.UnixMilli(1_700_000_000_000).UTC()
	c := chatsOfFirstWriter(db, "chat", 4)
	var out int64
	update(t, db, func(tx *Tx) error {
		var err error
		out, err = tx.AppendOutbox(ctx, OutMsg{Chat: c[1], Line: line, Text: "um"})
		return err
	})
	msg := func(chat string) Inbound {
		return Inbound{Chat: chat, Line: line, MsgID: "x", Kind: "text", Text: "oi", ReceivedAt: now}
	}
	in0, in2, in3 := msg(c[0]), msg(c[2]), msg(c[3])
	accept := func(in *Inbound) func(tx *Tx) error {
		return func(tx *Tx) error {
			if err := tx.LockChat(ctx, line, in.Chat); err != nil {
				return err
			}
			_, _, _, err := tx.AcceptInbox(ctx, *in)
			return err
		}
	}
	missing := []Sent{{ID: out}, {ID: out + 1000}}
	opens := []Opening{
		{Line: line, Chat: c[0], Accept: &in0},
		{Line: line, Chat: c[1], Sent: missing, At: now},
		{Line: line, Chat: c[2], Accept: &in2},
		{Line: line, Chat: c[3], Accept: &in3},
	}
	fns := []func(tx *Tx) error{
		accept(&in0),
		func(tx *Tx) error {
			_, err := tx.MarkSentIdle(ctx, missing, now, line, c[1])
			return err
		},
		func(tx *Tx) error { return nil }, // never stores its message
		accept(&in3),
	}
	for i, err := range oneBatch(t, db, openingJobs(ctx, db, opens, fns)...) {
		if fails := i == 1; fails != (err != nil) || fails && !errors.Is(err, ErrNotFound) {
			t.Errorf("job %d: %v, want failed %t", i, err, fails)
		}
	}
	if n := db.OpenedJobs(); n != 0 {
		t.Errorf("jobs opened together and committed so: %d, want 0 (the batch ran again, each job alone)", n)
	}
	view(t, db, func(tx *Tx) error {
		for i, chat := range c {
			ins, err := tx.InboxByChat(ctx, line, chat, 0)
			if want := map[int]int{0: 1, 3: 1}[i]; err != nil || len(ins) != want {
				t.Errorf("inbox of %s: %d rows (%v), want %d", chat, len(ins), err, want)
			}
		}
		pending, err := tx.PendingOutbox(ctx, line, c[1], 10)
		if err != nil || len(pending) != 1 {
			t.Errorf("unsent of %s: %+v, %v; want its message still unsent", c[1], pending, err)
		}
		return nil
	})
}

// TestOpeningWithoutBatch: a job alone runs its opening's calls itself,
// on both engines, with the same answers.
func TestOpeningWithoutBatch(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	in := Inbound{Chat: "c", Line: "l", MsgID: "1", Kind: "text", Text: "oi", ReceivedAt: time.UnixMilli(5)}
	var id int64
	var dup, idle bool
	err := db.UpdateOpening(ctx, Opening{Line: "l", Chat: "c", Accept: &in}, func(tx *Tx) error {
		if err := tx.LockChat(ctx, "l", "c"); err != nil {
			return err
		}
		var err error
		id, dup, idle, err = tx.AcceptInbox(ctx, in)
		return err
	})
	if err != nil || id == 0 || dup || !idle {
		t.Fatalf("accept alone: id %d, dup %t, idle %t, %v", id, dup, idle, err)
	}
}

// TestOpeningRows: the rows a batch's openings read for the messages'
// turns (Opening.Rows) are those the jobs would read themselves: the
// conversation, customer, ticket and recent count of a chat, a chat
// with none, and a job that wrote before reading reads what it wrote.
func TestOpeningRows(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const line = "l"
	now := time.UnixMilli(1_700_000_000_000).UTC()
	c := chatsOfFirstWriter(db, "chat", 3)
	recent := &Recent{Since: now.Add(-time.Hour), Max: 5}
	update(t, db, func(tx *Tx) error {
		for _, chat := range c[:2] {
			tk, err := tx.CreateTicket(ctx, Ticket{Chat: chat, Line: line, Status: StatusAberto, CreatedAt: now})
			if err != nil {
				return err
			}
			if err := tx.PutConversation(ctx, Conversation{Chat: chat, Line: line, State: "menu", Ticket: tk, Path: []string{"a"}}); err != nil {
				return err
			}
			if err := tx.PutCustomer(ctx, Customer{Chat: chat, Name: "Ana " + chat}); err != nil {
				return err
			}
		}
		for i := range 2 {
			if _, _, err := tx.InsertInbox(ctx, Inbound{Chat: c[0], Line: line, MsgID: fmt.Sprint("old", i), Kind: "text", ReceivedAt: now.Add(-time.Minute), Done: true}); err != nil {
				return err
			}
		}
		return nil
	})
	got := make([]ChatRows, len(c))
	opens := make([]Opening, len(c))
	fns := make([]func(tx *Tx) error, len(c))
	for i, chat := range c {
		in := &Inbound{Chat: chat, Line: line, MsgID: "new", Kind: "text", Text: "oi", ReceivedAt: now}
		opens[i] = Opening{Line: line, Chat: chat, Accept: in, Rows: true}
		if i != 1 {
			opens[i].Recent = recent
		}
		fns[i] = func(tx *Tx) error {
			if err := tx.LockChat(ctx, line, chat); err != nil {
				return err
			}
			if _, _, _, err := tx.AcceptInbox(ctx, *in); err != nil {
				return err
			}
			if i == 1 { // writes before it reads
				if err := tx.PutConversation(ctx, Conversation{Chat: chat, Line: line, State: "changed", Path: []string{"b"}}); err != nil {
					return err
				}
			}
			var err error
			got[i], err = tx.ChatRows(ctx, line, chat, opens[i].Recent)
			return err
		}
	}
	for i, err := range oneBatch(t, db, openingJobs(ctx, db, opens, fns)...) {
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	if want := int64(len(c)); db.d.postgres && db.OpenedJobs() != want {
		t.Errorf("jobs opened together: %d, want %d", db.OpenedJobs(), want)
	}
	if got[0].Recent != 3 || got[0].NoConversation || got[0].NoTicket || got[0].Customer.Name != "Ana "+c[0] || got[0].Conversation.State != "menu" {
		t.Errorf("rows of %s: %+v; want its conversation, customer, ticket and 3 recent messages", c[0], got[0])
	}
	if got[1].Conversation.State != "changed" {
		t.Errorf("rows of %s after its own write: state %q, want changed", c[1], got[1].Conversation.State)
	}
	if !got[2].NoConversation || !got[2].NoCustomer || !got[2].NoTicket || got[2].Recent != 1 {
		t.Errorf("rows of a new chat: %+v; want none and 1 recent message", got[2])
	}
	// What each job read is what reading again reads: nothing changed since.
	for i, chat := range c {
		update(t, db, func(tx *Tx) error {
			again, err := tx.ChatRows(ctx, line, chat, opens[i].Recent)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(again, got[i]) {
				t.Errorf("rows of %s: in the batch %+v, read again %+v", chat, got[i], again)
			}
			return nil
		})
	}
}

// openingJobs are fns run through UpdateOpening with their openings.
func openingJobs(ctx context.Context, db *DB, opens []Opening, fns []func(tx *Tx) error) []func() error {
	jobs := make([]func() error, len(fns))
	for i := range fns {
		jobs[i] = func() error { return db.UpdateOpening(ctx, opens[i], fns[i]) }
	}
	return jobs
}

// TestOpeningIdleLooksPerChat: on PostgreSQL the openings look up each
// chat's pending input and unsent replies once, by its own index probe. Where
// the statistics count few rows with done = 0 or sent_at = 0, as they do
// on a busy store, the planner would otherwise pick a hashed subplan,
// which reads every entry of the partial index once per statement, the
// entries of rows changed since the last vacuum included.
func TestOpeningIdleLooksPerChat(t *testing.T) {
	conn := pgConn(t, "a PostgreSQL plan",
		`INSERT INTO inbox (chat, line, msg_id, kind, done) SELECT 'c' || (g % 500), '', 'm' || g, 'text', 1 FROM generate_series(1, 5000) AS g`,
		`INSERT INTO outbox (chat, line, text, sent_at) SELECT 'c' || (g % 500), '', 'oi', 1 FROM generate_series(1, 5000) AS g`,
		`ANALYZE inbox`, `ANALYZE outbox`,
		`SET plan_cache_mode = force_generic_plan`)
	ctx := t.Context()
	for i, c := range []struct {
		query string
		args  int
	}{{openAcceptSQL, 9}, {openIdleSQL, 2}} {
		// Each chat's look is made once: one scan of each partial index.
		name := fmt.Sprintf("p%d", i)
		if _, err := conn.ExecContext(ctx, "PREPARE "+name+" AS "+c.query); err != nil {
			t.Fatal(err)
		}
		args := strings.TrimSuffix(strings.Repeat("'{}', ", c.args), ", ")
		text := planOf(t, conn, "EXPLAIN (VERBOSE) EXECUTE "+name+"("+args+")")
		if strings.Contains(text, "hashed SubPlan") {
			t.Errorf("plan of %.60q reads a partial index whole:\n%s", c.query, text)
		}
		for _, index := range []string{"inbox_pending", "outbox_unsent"} {
			if n := strings.Count(text, "Scan using "+index+" "); n != 1 {
				t.Errorf("plan of %.60q scans %s %d times a row, want 1:\n%s", c.query, index, n, text)
			}
		}
	}
}
