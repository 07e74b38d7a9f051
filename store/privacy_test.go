package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The retention fixture's clock: the limit is 180 days before now.
var (
	purgeNow    = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	purgeBefore = purgeNow.Add(-180 * 24 * time.Hour)
	older       = purgeBefore.Add(-60 * 24 * time.Hour) // well past the limit
	old         = purgeBefore.Add(-30 * 24 * time.Hour) // past the limit
	recent      = purgeBefore.Add(30 * 24 * time.Hour)  // within it
)

// tables are every table holding customer data, for dumps.
var personTables = []string{"customers", "conversations", "inbox", "outbox", "tickets", "ticket_events", "feedback", "timers"}

// dumpOrder orders each table's rows by its key.
var dumpOrder = map[string]string{"customers": "chat", "conversations": "chat", "feedback": "ticket", "timers": "chat, kind"}

// dump returns every row of the customer tables as text.
func dump(tb testing.TB, db *DB) map[string][]string {
	tb.Helper()
	out := map[string][]string{}
	view(tb, db, func(tx *Tx) error {
		for _, table := range personTables {
			rs, err := tx.records(context.Background(), `SELECT * FROM `+table+` ORDER BY `+cmp.Or(dumpOrder[table], "id"))
			if err != nil {
				return err
			}
			for _, r := range rs {
				b, err := json.Marshal(r)
				if err != nil {
					return err
				}
				out[table] = append(out[table], string(b))
			}
		}
		return nil
	})
	return out
}

// seed writes rows through the store's own methods.
type seed struct {
	tb  testing.TB
	ctx context.Context
	tx  *Tx
}

func (s seed) customer(chat, idSuporte string, created, updated time.Time) {
	s.tb.Helper()
	c := Customer{Chat: chat, Phone: "phone-" + chat, Name: "name-" + chat, IDSuporte: idSuporte, CreatedAt: created, UpdatedAt: updated}
	if err := s.tx.PutCustomer(s.ctx, c); err != nil {
		s.tb.Fatal(err)
	}
}

func (s seed) conversation(chat, state string, ticket int64, updated time.Time) {
	s.tb.Helper()
	c := Conversation{Chat: chat, State: state, Node: "menu", Ticket: ticket, StartedAt: updated, UpdatedAt: updated}
	if err := s.tx.PutConversation(s.ctx, c); err != nil {
		s.tb.Fatal(err)
	}
}

// ticket creates a ticket with every report field set, created a day
// before its last activity.
func (s seed) ticket(chat, idSuporte, status string, last time.Time) int64 {
	s.tb.Helper()
	created := last.Add(-24 * time.Hour)
	t := Ticket{Chat: chat, Requester: "name-" + chat, IDSuporte: idSuporte, Topic: "nfe", Status: status,
		QueuedAt: created.Add(time.Minute), Agent: "7", CreatedAt: created, LastActivityAt: last}
	id, err := s.tx.CreateTicket(s.ctx, t)
	if err != nil {
		s.tb.Fatal(err)
	}
	t.ID = id
	t.ClaimedAt, t.FirstResponseAt = created.Add(5*time.Minute), created.Add(6*time.Minute)
	if status == StatusResolvido {
		t.ClosedAt, t.CloseReason = last, "resolvido_pelo_encantador"
	}
	if err := s.tx.UpdateTicket(s.ctx, t); err != nil {
		s.tb.Fatal(err)
	}
	return id
}

func (s seed) event(ticket int64, kind, actor, text string, at time.Time) {
	s.tb.Helper()
	if _, err := s.tx.AddTicketEvent(s.ctx, TicketEvent{Ticket: ticket, At: at, Kind: kind, Actor: actor, Text: text}); err != nil {
		s.tb.Fatal(err)
	}
}

func (s seed) feedback(ticket int64, chat string, rating int, comment string, at time.Time) {
	s.tb.Helper()
	if err := s.tx.PutFeedback(s.ctx, Feedback{Ticket: ticket, Chat: chat, Rating: rating, Comment: comment, Agent: "7", Topic: "nfe", At: at}); err != nil {
		s.tb.Fatal(err)
	}
}

func (s seed) inbox(chat, kind, text string, at time.Time, done bool) {
	s.tb.Helper()
	in := Inbound{Chat: chat, MsgID: fmt.Sprintf("%s-%d-%s", chat, at.UnixMilli(), text), Kind: kind, Text: text,
		SentAt: at, ReceivedAt: at, PushName: "name-" + chat, Phone: "phone-" + chat, Done: done}
	if _, _, err := s.tx.InsertInbox(s.ctx, in); err != nil {
		s.tb.Fatal(err)
	}
}

func (s seed) outbox(chat string, ticket int64, text string, at time.Time, sent bool) int64 {
	s.tb.Helper()
	m := OutMsg{Chat: chat, Ticket: ticket, Text: text, Author: "bot", CreatedAt: at, WAID: "wa-" + text}
	if sent {
		m.SentAt = at.Add(time.Second)
	}
	id, err := s.tx.AppendOutbox(s.ctx, m)
	if err != nil {
		s.tb.Fatal(err)
	}
	return id
}

func (s seed) timer(chat, kind string, due time.Time) {
	s.tb.Helper()
	if err := s.tx.SetTimer(s.ctx, Timer{Chat: chat, Kind: kind, Due: due}); err != nil {
		s.tb.Fatal(err)
	}
}

// retentionFixture: the chats and tickets TestPurge checks.
type retentionFixture struct {
	a1, b1, b2, c0, c1, d1, e1 int64
	lastOutbox                 int64 // A's, the newest outbox row
}

func seedRetention(t *testing.T, db *DB) retentionFixture {
	t.Helper()
	var f retentionFixture
	update(t, db, func(tx *Tx) error {
		s := seed{t, t.Context(), tx}
		// A: everything old. Its customer goes; its ticket is anonymized.
		s.customer("A", "111", older, older)
		f.a1 = s.ticket("A", "111", StatusResolvido, old)
		s.conversation("A", ConversationClosed, f.a1, old)
		s.event(f.a1, "customer", "A", "meu CNPJ é 12.345.678/0001-90", old)
		s.event(f.a1, "system", "bot", NoteQueueEntered, older.Add(time.Minute))
		s.event(f.a1, "agent", "Maria", "Olá name-A", old)
		s.event(f.a1, "status", "Maria", StatusResolvido, old)
		s.feedback(f.a1, "A", 5, "ótimo, obrigado Maria", old)
		s.inbox("A", "text", "a-old-text", old, true)
		s.inbox("A", "image", "a-old-caption", old, true)

		// B: an old and a recent resolved ticket; the customer stays.
		s.customer("B", "222", older, recent)
		f.b1 = s.ticket("B", "222", StatusResolvido, old)
		f.b2 = s.ticket("B", "222", StatusResolvido, recent)
		s.conversation("B", ConversationClosed, f.b2, recent)
		s.event(f.b1, "customer", "B", "b-old-event", old)
		s.event(f.b2, "customer", "B", "b-recent-event", recent)
		s.feedback(f.b1, "B", 2, "b-old-comment", old)
		s.feedback(f.b2, "B", 4, "b-recent-comment", recent)
		s.inbox("B", "text", "b-old", old, true)
		s.inbox("B", "text", "b-recent", recent, true)
		s.outbox("B", f.b1, "b-old-out", old, true)
		s.outbox("B", f.b2, "b-recent-out", recent, true)

		// C: an old open ticket keeps its messages; an older resolved one goes.
		s.customer("C", "333", older, older)
		f.c0 = s.ticket("C", "333", StatusResolvido, older)
		f.c1 = s.ticket("C", "333", StatusAberto, old)
		s.conversation("C", ConversationClosed, f.c1, old)
		s.event(f.c0, "customer", "C", "c-older-event", older)
		s.event(f.c1, "customer", "C", "c-open-event", old)
		s.inbox("C", "text", "c-older", older, true)
		s.inbox("C", "text", "c-open", old.Add(-time.Hour), true) // after c1 opened
		s.outbox("C", f.c1, "c-open-out", old.Add(-time.Hour), true)
		s.outbox("C", f.c0, "c-older-out", old.Add(-time.Hour), true) // late, but it names c0

		// D: a conversation going on (however stale): nothing is touched.
		s.customer("D", "444", older, older)
		f.d1 = s.ticket("D", "444", StatusResolvido, old)
		s.conversation("D", "browsing", f.d1, old)
		s.event(f.d1, "customer", "D", "d-event", old)
		s.inbox("D", "text", "d-old", old, true)
		s.outbox("D", f.d1, "d-old-out", old, true)
		s.timer("D", "reminder", old)

		// E: a message never sent keeps the customer; the rest goes.
		s.customer("E", "555", older, older)
		f.e1 = s.ticket("E", "555", StatusResolvido, old)
		s.conversation("E", ConversationClosed, f.e1, old)
		s.inbox("E", "text", "e-old", old, true)
		s.outbox("E", f.e1, "e-unsent", old, false)

		// F: no ticket at all, long quiet: everything goes.
		s.customer("F", "", older, older)
		s.conversation("F", ConversationClosed, 0, older)
		s.inbox("F", "from_me", "f-old", older, true)
		s.timer("F", "stale", older)

		// A's message is the newest outbox row: it becomes a tombstone.
		s.outbox("A", f.a1, "a-old-out", old, true)
		f.lastOutbox = s.outbox("A", f.a1, "a-old-out-2", old, true)
		return nil
	})
	return f
}

// aggregates are what the reports read.
type aggregates struct {
	Report    Report
	Stats     Stats
	ByStatus  map[string]int
	AvgRating float64
	Ratings   int
}

func readAggregates(t *testing.T, db *DB) aggregates {
	t.Helper()
	ctx := t.Context()
	a := aggregates{ByStatus: map[string]int{}}
	view(t, db, func(tx *Tx) error {
		var err error
		a.Report, err = tx.Report(ctx, ReportInput{
			From: older.Add(-48 * time.Hour), To: purgeNow,
			IsOpen:           func(t time.Time) bool { return t.Hour() >= 12 },
			BusinessDuration: func(a, b time.Time) time.Duration { return b.Sub(a) / 2 },
		})
		if err != nil {
			return err
		}
		if a.Report.Queue.Queued == 0 || a.Report.CSAT.Count == 0 {
			t.Errorf("fixture too thin for the report: %+v", a.Report)
		}
		if a.Stats, err = tx.Stats(ctx, purgeNow, maxStatsDays, time.UTC); err != nil {
			return err
		}
		err = tx.eachRow(ctx, `SELECT status, COUNT(*) FROM tickets GROUP BY status`, nil, func(s rowScanner) error {
			var st string
			var n int
			if err := s.Scan(&st, &n); err != nil {
				return err
			}
			a.ByStatus[st] = n
			return nil
		})
		if err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT COUNT(*), AVG(rating) FROM feedback`).Scan(&a.Ratings, &a.AvgRating)
	})
	return a
}

func TestPurge(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	f := seedRetention(t, db)
	before := dump(t, db)
	aggBefore := readAggregates(t, db)
	tickets := map[int64]Ticket{}
	view(t, db, func(tx *Tx) error {
		for _, id := range []int64{f.a1, f.b1, f.b2, f.c0, f.c1, f.d1, f.e1} {
			tk, err := tx.Ticket(ctx, id)
			if err != nil {
				return err
			}
			tickets[id] = tk
		}
		return nil
	})

	want := PurgeResult{
		Tickets:       4, // a1, b1, c0, e1
		Events:        4, // a1's customer and agent lines, b1's, c0's
		Feedback:      2, // a1, b1
		Inbox:         6, // A's two, b-old, c-older, e-old, f-old
		Outbox:        4, // A's two, b-old-out, c-older-out
		Customers:     2, // A, F
		Conversations: 2, // A, F
		Timers:        1, // F's
	}

	dry, err := db.Purge(ctx, purgeBefore, true)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if dry != want {
		t.Errorf("dry run: got %+v; want %+v", dry, want)
	}
	if after := dump(t, db); !reflect.DeepEqual(after, before) {
		t.Errorf("dry run changed the database:\nbefore %v\nafter  %v", before, after)
	}

	got, err := db.Purge(ctx, purgeBefore, false)
	if err != nil {
		t.Fatalf("purge: %v", err)
	}
	if got != want {
		t.Errorf("purge: got %+v; want %+v", got, want)
	}

	t.Run("reports unchanged", func(t *testing.T) {
		got, want := readAggregates(t, db), aggBefore
		parts := []struct {
			name      string
			got, want any
		}{
			{"report conversations", got.Report.Conversations, want.Report.Conversations},
			{"report days", got.Report.Days, want.Report.Days},
			{"report trails", got.Report.Trails, want.Report.Trails},
			{"report queue", got.Report.Queue, want.Report.Queue},
			{"report agents", got.Report.Agents, want.Report.Agents},
			{"report CSAT", got.Report.CSAT, want.Report.CSAT},
			{"report escalations", got.Report.Escalations, want.Report.Escalations},
			{"dashboard", got.Stats, want.Stats},
			{"tickets by status", got.ByStatus, want.ByStatus},
			{"ratings", [2]any{got.Ratings, got.AvgRating}, [2]any{want.Ratings, want.AvgRating}},
		}
		for _, p := range parts {
			if !reflect.DeepEqual(p.got, p.want) {
				t.Errorf("%s changed: got %+v; want %+v", p.name, p.got, p.want)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Error("aggregates changed")
		}
	})

	t.Run("tickets", func(t *testing.T) {
		view(t, db, func(tx *Tx) error {
			for id, was := range tickets {
				got, err := tx.Ticket(ctx, id)
				if err != nil {
					return err
				}
				want := was
				if id == f.a1 || id == f.b1 || id == f.c0 || id == f.e1 {
					want.Chat, want.Requester, want.IDSuporte = fmt.Sprintf("anon:%d", id), "", ""
				}
				if got != want {
					t.Errorf("ticket %d: got %+v; want %+v", id, got, want)
				}
			}
			return nil
		})
	})

	t.Run("events", func(t *testing.T) {
		view(t, db, func(tx *Tx) error {
			es, err := tx.TicketEvents(ctx, f.a1, 0)
			if err != nil {
				return err
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Kind+"|"+e.Actor+"|"+e.Text+"|"+e.At.Format(time.RFC3339))
			}
			at := old.Format(time.RFC3339)
			want := []string{"customer||" + Removed + "|" + at, "system|bot|" + NoteQueueEntered + "|" + older.Add(time.Minute).Format(time.RFC3339),
				"agent|Maria|" + Removed + "|" + at, "status|Maria|resolvido|" + at}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("a1 events: got %q; want %q", got, want)
			}
			for _, id := range []int64{f.b2, f.c1, f.d1} { // kept tickets keep their words
				es, err := tx.TicketEvents(ctx, id, 0)
				if err != nil {
					return err
				}
				for _, e := range es {
					if e.Text == Removed || e.Actor == "" {
						t.Errorf("ticket %d event %+v was blanked", id, e)
					}
				}
			}
			return nil
		})
	})

	t.Run("feedback", func(t *testing.T) {
		view(t, db, func(tx *Tx) error {
			fb, err := tx.Feedback(ctx, f.a1)
			if err != nil {
				return err
			}
			wantFB := Feedback{Ticket: f.a1, Chat: fmt.Sprintf("anon:%d", f.a1), Rating: 5, Agent: "7", Topic: "nfe", At: old}
			if fb != wantFB {
				t.Errorf("a1 feedback: got %+v; want %+v", fb, wantFB)
			}
			fb, err = tx.Feedback(ctx, f.b2)
			if err != nil {
				return err
			}
			if fb.Chat != "B" || fb.Comment != "b-recent-comment" {
				t.Errorf("b2 feedback: got %+v; want it untouched", fb)
			}
			return nil
		})
	})

	t.Run("rows left", func(t *testing.T) {
		texts := func(query string) []string {
			var out []string
			view(t, db, func(tx *Tx) error {
				var err error
				out, err = queryAll(ctx, tx, scanString, query)
				return err
			})
			return out
		}
		checks := []struct {
			name, query string
			want        []string
		}{
			{"inbox", `SELECT chat || ':' || text FROM inbox ORDER BY id`,
				[]string{"B:b-recent", "C:c-open", "D:d-old", ":"}}, // F's was the newest: a tombstone
			{"outbox", `SELECT chat || ':' || text FROM outbox ORDER BY id`,
				[]string{"B:b-recent-out", "C:c-open-out", "D:d-old-out", "E:e-unsent", ":"}},
			{"customers", `SELECT chat FROM customers ORDER BY chat`, []string{"B", "C", "D", "E"}},
			{"conversations", `SELECT chat FROM conversations ORDER BY chat`, []string{"B", "C", "D", "E"}},
			{"timers", `SELECT chat || ':' || kind FROM timers ORDER BY chat`, []string{"D:reminder"}},
			{"ticket chats", `SELECT chat FROM tickets ORDER BY id`, []string{
				fmt.Sprintf("anon:%d", f.a1), fmt.Sprintf("anon:%d", f.b1), "B",
				fmt.Sprintf("anon:%d", f.c0), "C", "D", fmt.Sprintf("anon:%d", f.e1)}},
		}
		for _, c := range checks {
			if got := texts(c.query); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: got %q; want %q", c.name, got, c.want)
			}
		}
	})

	t.Run("outbox ids never reused", func(t *testing.T) {
		errRollBack := errors.New("roll back")
		err := db.Update(ctx, func(tx *Tx) error {
			id, err := tx.AppendOutbox(ctx, OutMsg{Chat: "B", Text: "new", CreatedAt: purgeNow})
			if err != nil {
				return err
			}
			if id <= f.lastOutbox {
				t.Errorf("new outbox id %d; want > %d (the purged newest)", id, f.lastOutbox)
			}
			chats, err := tx.WorkChats(ctx, "")
			if err != nil {
				return err
			}
			if want := []string{"B", "E"}; !reflect.DeepEqual(chats, want) {
				t.Errorf("work chats: got %q; want %q (no tombstone)", chats, want)
			}
			return errRollBack
		})
		if !errors.Is(err, errRollBack) {
			t.Fatal(err)
		}
	})

	t.Run("twice is a no-op", func(t *testing.T) {
		mid := dump(t, db)
		again, err := db.Purge(ctx, purgeBefore, false)
		if err != nil {
			t.Fatal(err)
		}
		if again != (PurgeResult{}) {
			t.Errorf("second purge: got %+v; want nothing", again)
		}
		if after := dump(t, db); !reflect.DeepEqual(after, mid) {
			t.Errorf("second purge changed the database")
		}
	})
}

func TestPurgeBatches(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	const n = 2*purgeBatch + 7
	update(t, db, func(tx *Tx) error {
		s := seed{t, ctx, tx}
		s.customer("G", "", older, older)
		s.conversation("G", ConversationClosed, 0, older)
		for i := range n {
			id := s.ticket("G", "", StatusResolvido, old)
			s.event(id, "customer", "G", fmt.Sprint("msg ", i), old)
			s.inbox("G", "text", fmt.Sprint("in ", i), old, true)
		}
		return nil
	})
	want := PurgeResult{Tickets: n, Events: n, Inbox: n, Customers: 1, Conversations: 1}
	if dry, err := db.Purge(ctx, purgeBefore, true); err != nil || dry != want {
		t.Fatalf("dry run: got %+v, %v; want %+v", dry, err, want)
	}

	var first PurgeResult
	update(t, db, func(tx *Tx) error {
		var err error
		first, err = tx.Purge(ctx, purgeBefore, false)
		return err
	})
	if first.Tickets != purgeBatch || first.Inbox != purgeBatch || !first.More {
		t.Errorf("one batch: got %+v; want %d tickets and inbox rows, and More", first, purgeBatch)
	}
	batches := db.batches.Load()
	rest, err := db.Purge(ctx, purgeBefore, false)
	if err != nil {
		t.Fatal(err)
	}
	rest.add(first)
	if rest != want {
		t.Errorf("total: got %+v; want %+v", rest, want)
	}
	if b := db.batches.Load() - batches; b < 2 {
		t.Errorf("the rest took %d writer batches; want at least 2", b)
	}
}

func TestPurgeZeroLimit(t *testing.T) {
	db := openTest(t)
	if _, err := db.Purge(t.Context(), time.Time{}, true); err == nil {
		t.Error("purge with a zero limit: got nil error")
	}
}

func TestRunRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openTest(t)
		ctx, cancel := context.WithCancel(t.Context())
		const day = 24 * time.Hour
		start := time.Now() // the bubble's fake clock
		now := func() time.Time { return purgeNow.Add(time.Since(start)) }
		keep := 180 * day
		// Idle since 179.5 days ago: due at the second run, a day later.
		update(t, db, func(tx *Tx) error {
			s := seed{t, ctx, tx}
			s.ticket("H", "", StatusResolvido, purgeNow.Add(-keep+12*time.Hour))
			s.ticket("H", "", StatusResolvido, purgeNow.Add(-keep-time.Hour))
			return nil
		})

		var mu sync.Mutex
		var runs []PurgeResult
		done := make(chan error)
		go func() {
			done <- RunRetention(ctx, db, day, keep, now, func(r PurgeResult, err error) {
				if err != nil {
					t.Errorf("retention run: %v", err)
				}
				mu.Lock()
				runs = append(runs, r)
				mu.Unlock()
			})
		}()
		tickets := func() []int {
			synctest.Wait()
			mu.Lock()
			defer mu.Unlock()
			var out []int
			for _, r := range runs {
				out = append(out, r.Tickets)
			}
			return out
		}
		if got, want := tickets(), []int{1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("at start: tickets purged per run %v; want %v", got, want)
		}
		time.Sleep(day - time.Second)
		if got, want := tickets(), []int{1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("before a day: tickets purged per run %v; want %v", got, want)
		}
		time.Sleep(time.Second)
		if got, want := tickets(), []int{1, 1}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after a day: tickets purged per run %v; want %v", got, want)
		}
		time.Sleep(day)
		if got, want := tickets(), []int{1, 1, 0}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after two days: tickets purged per run %v; want %v", got, want)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunRetention: got %v; want nil after cancel", err)
		}
		if err := RunRetention(t.Context(), db, 0, keep, now, nil); err == nil {
			t.Error("RunRetention every 0: got nil error")
		}
	})
}

// personFixture: P1 and P2 share ID Suporte 999; Q is someone else.
func seedPeople(t *testing.T, db *DB) {
	t.Helper()
	update(t, db, func(tx *Tx) error {
		s := seed{t, t.Context(), tx}
		for _, p := range []struct{ chat, id string }{{"P1", "999"}, {"P2", "999"}, {"Q", "555"}} {
			s.customer(p.chat, p.id, recent, recent)
			tk := s.ticket(p.chat, p.id, StatusAberto, recent)
			s.conversation(p.chat, "queued", tk, recent)
			s.event(tk, "customer", p.chat, "event-"+p.chat, recent)
			s.feedback(tk, p.chat, 3, "comment-"+p.chat, recent)
			s.inbox(p.chat, "text", "in-"+p.chat, recent, true)
			s.inbox(p.chat, "image", "caption-"+p.chat, recent, false)
			s.outbox(p.chat, tk, "out-"+p.chat, recent, true)
			s.timer(p.chat, "reminder", purgeNow)
		}
		// The newest inbox row is P1's: deleting it leaves a tombstone.
		s.inbox("P1", "text", "last-P1", recent, false)
		return nil
	})
}

func TestExportPerson(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	seedPeople(t, db)
	tests := []struct {
		name   string
		p      Person
		chats  []string
		has    []string
		hasnot []string
	}{
		{"by chat", Person{Chat: "P1"}, []string{"P1"},
			[]string{"in-P1", "caption-P1", "last-P1", "out-P1", "event-P1", "comment-P1", "phone-P1", "name-P1"},
			[]string{"P2", "Q"}},
		{"by ID Suporte", Person{IDSuporte: "999"}, []string{"P1", "P2"},
			[]string{"in-P1", "in-P2", "out-P2", "event-P2", "comment-P2", "reminder"},
			[]string{"Q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d PersonData
			view(t, db, func(tx *Tx) error {
				var err error
				d, err = tx.ExportPerson(ctx, tt.p)
				return err
			})
			var chats []string
			for _, c := range d.Chats {
				chats = append(chats, c.Chat)
				if c.Customer == nil || len(c.Conversations) != 1 || len(c.Tickets) != 1 || len(c.Tickets[0].Events) != 1 ||
					c.Tickets[0].Feedback == nil || len(c.Inbox) == 0 || len(c.Outbox) != 1 || len(c.Timers) != 1 {
					t.Errorf("chat %s: incomplete export %+v", c.Chat, c)
				}
			}
			if !reflect.DeepEqual(chats, tt.chats) {
				t.Errorf("chats: got %q; want %q", chats, tt.chats)
			}
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			js := string(b)
			for _, s := range tt.has {
				if !strings.Contains(js, s) {
					t.Errorf("export lacks %q", s)
				}
			}
			for _, s := range tt.hasnot {
				if strings.Contains(js, `"`+s+`"`) || strings.Contains(js, "-"+s+`"`) {
					t.Errorf("export holds %q's data: %s", s, js)
				}
			}
			if !strings.Contains(js, `"created_at":"`+recent.Add(-24*time.Hour).Format(time.RFC3339)+`"`) {
				t.Errorf("times not shown as times: %s", js)
			}
		})
	}
	view(t, db, func(tx *Tx) error {
		for _, p := range []Person{{Chat: "nobody"}, {IDSuporte: "123"}} {
			if _, err := tx.ExportPerson(ctx, p); !errors.Is(err, ErrNotFound) {
				t.Errorf("export %v: got %v; want ErrNotFound", p, err)
			}
		}
		if _, err := tx.ExportPerson(ctx, Person{}); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("export of no one: got %v; want an error", err)
		}
		return nil
	})
}

func TestDeletePerson(t *testing.T) {
	tests := []struct {
		name  string
		p     Person
		gone  []string
		wantN PersonCounts
	}{
		{"by chat", Person{Chat: "P2"}, []string{"P2"},
			PersonCounts{Chats: 1, Customers: 1, Conversations: 1, Tickets: 1, Events: 1, Feedback: 1, Inbox: 2, Outbox: 1, Timers: 1, OpenTickets: 1, ActiveChats: 1}},
		{"by ID Suporte", Person{IDSuporte: "999"}, []string{"P1", "P2"},
			PersonCounts{Chats: 2, Customers: 2, Conversations: 2, Tickets: 2, Events: 2, Feedback: 2, Inbox: 5, Outbox: 2, Timers: 2, OpenTickets: 2, ActiveChats: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			ctx := t.Context()
			seedPeople(t, db)
			before := dump(t, db)
			var maxInbox int64
			view(t, db, func(tx *Tx) error {
				return tx.queryRow(ctx, `SELECT MAX(id) FROM inbox`).Scan(&maxInbox)
			})
			var counted, deleted PersonCounts
			view(t, db, func(tx *Tx) error {
				var err error
				counted, err = tx.CountPerson(ctx, tt.p)
				return err
			})
			update(t, db, func(tx *Tx) error {
				var err error
				deleted, err = tx.DeletePerson(ctx, tt.p)
				return err
			})
			if counted != tt.wantN || deleted != tt.wantN {
				t.Errorf("counted %+v, deleted %+v; want %+v", counted, deleted, tt.wantN)
			}
			view(t, db, func(tx *Tx) error {
				if _, err := tx.ExportPerson(ctx, tt.p); !errors.Is(err, ErrNotFound) {
					t.Errorf("export after delete: got %v; want ErrNotFound", err)
				}
				for _, chat := range tt.gone {
					if _, err := tx.ExportPerson(ctx, Person{Chat: chat}); !errors.Is(err, ErrNotFound) {
						t.Errorf("export %s after delete: got %v; want ErrNotFound", chat, err)
					}
				}
				return nil
			})
			// Everyone else's rows are exactly as they were.
			after := dump(t, db)
			for _, table := range personTables {
				var keep []string
				for _, row := range before[table] {
					mine := false
					for _, chat := range tt.gone {
						mine = mine || strings.Contains(row, `"`+chat+`"`) || strings.Contains(row, "-"+chat+`"`)
					}
					if !mine {
						keep = append(keep, row)
					}
				}
				var rest []string
				for _, row := range after[table] {
					if !strings.Contains(row, `"chat":""`) { // the inbox tombstone
						rest = append(rest, row)
					}
				}
				if !reflect.DeepEqual(rest, keep) {
					t.Errorf("%s: got %q; want %q", table, rest, keep)
				}
			}
			// A deleted id is not given out again.
			update(t, db, func(tx *Tx) error {
				id, _, err := tx.InsertInbox(ctx, Inbound{Chat: "Q", MsgID: "new", Text: "new"})
				if err == nil && id <= maxInbox {
					t.Errorf("new inbox id %d; want > %d", id, maxInbox)
				}
				return err
			})
		})
	}
}

// TestDeletePersonWaitsForChat: on PostgreSQL a turn of the person's chat
// under way in another process (it holds the chat's lock) finishes before
// DeletePerson reads what to delete, so the event it writes goes too: on
// the line of the person's ticket, and on another line where the chat
// opens its first ticket. No foreign key stops those events on
// PostgreSQL: without DeletePerson's locks they would outlive their
// tickets.
func TestDeletePersonWaitsForChat(t *testing.T) {
	for _, tt := range []struct {
		line    string // of the turn
		tickets int    // deleted
	}{
		{"L1", 1},
		{"L2", 2},
	} {
		t.Run(tt.line, func(t *testing.T) {
			dsn := testDSN(t)
			if testPG == nil {
				t.Skip("SQLite's one writer runs one Update at a time")
			}
			ctx := t.Context()
			turns, admin := openAt(t, dsn), openAt(t, dsn)
			var ticket int64
			update(t, turns, func(tx *Tx) error {
				for _, line := range []string{"L1", "L2"} {
					if _, err := tx.StartLine(ctx, line, time.Now()); err != nil {
						return err
					}
				}
				var err error
				ticket, err = tx.CreateTicket(ctx, Ticket{Chat: "p1", Line: "L1", Requester: "Ana", Status: StatusAberto})
				return err
			})

			locked, release := make(chan struct{}), make(chan struct{})
			turned := make(chan error, 1)
			go func() {
				turned <- turns.Update(ctx, func(tx *Tx) error {
					if err := tx.LockChat(ctx, tt.line, "p1"); err != nil {
						return err
					}
					if _, err := tx.Ticket(ctx, ticket); err != nil { // sends the lock
						return err
					}
					close(locked)
					<-release
					id := ticket
					if tt.line != "L1" {
						var err error
						if id, err = tx.CreateTicket(ctx, Ticket{Chat: "p1", Line: tt.line, Requester: "Ana", Status: StatusAberto}); err != nil {
							return err
						}
					}
					_, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: id, Kind: "customer", Actor: "Ana", Text: "ainda estou aqui"})
					return err
				})
			}()
			<-locked
			type deletion struct {
				n   PersonCounts
				err error
			}
			deleted := make(chan deletion, 1)
			go func() {
				var d deletion
				d.err = admin.Update(ctx, func(tx *Tx) error {
					var err error
					d.n, err = tx.DeletePerson(ctx, Person{Chat: "p1"})
					return err
				})
				deleted <- d
			}()
			// DeletePerson must wait on the chat's lock while the turn holds it.
			for waiting := false; !waiting; {
				select {
				case d := <-deleted:
					close(release)
					t.Fatalf("DeletePerson finished (%+v, %v) while a turn of the chat held its lock", d.n, d.err)
				default:
				}
				view(t, admin, func(tx *Tx) error {
					return tx.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory')`).Scan(&waiting)
				})
			}
			close(release)
			if err := <-turned; err != nil {
				t.Fatalf("the turn: %v", err)
			}
			d := <-deleted
			if d.err != nil || d.n.Tickets != tt.tickets || d.n.Events != 1 {
				t.Fatalf("DeletePerson after the turn: %+v, %v; want %d ticket(s) and the turn's event", d.n, d.err, tt.tickets)
			}
			view(t, admin, func(tx *Tx) error {
				var left int
				err := tx.queryRow(ctx, `SELECT COUNT(*) FROM ticket_events`).Scan(&left)
				if err == nil && left != 0 {
					t.Errorf("%d event(s) left after deleting the only person's tickets", left)
				}
				return err
			})
		})
	}
}
