package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"suporte/store"
)

// waitingStates are the conversation states in which the bot waits for
// the customer, its ticket is Aguardando resposta and the inactivity
// timers run (bot.waiting, unexported; bot's lifecycle test keeps that
// list honest, this one must follow it).
var waitingStates = []string{
	"asking_id", "confirming_id", "browsing", "asking_resolved", "rating", "commenting",
	"offering_message", "leaving_message", "tickets", "ticket", "ticket_comment",
}

// crashFigures is what the crash test counts, for its report.
type crashFigures struct {
	acked, retried, ackLost int   // messages acknowledged; sent more than once; stored though the answer was lost
	botMsgs                 int   // outbox rows
	dups                    []int // per round: messages it delivered that a later process delivered again
}

// checkCrash checks the final store, closed, against what the customers
// sent and saw and what each process delivered.
func checkCrash(t *testing.T, db *sql.DB, customers []*crashCustomer, rounds []*crashRound, flowsPath string) crashFigures {
	t.Helper()
	var f crashFigures
	checkIntegrity(t, db)
	checkInbox(t, db, customers, &f)
	outbox := readOutbox(t, db)
	var wg sync.WaitGroup
	for _, c := range customers {
		rows := outbox[c.chat]
		f.botMsgs += len(rows)
		checkSeen(t, c, rows)
		wg.Go(func() { checkTranscript(t, c, rows, flowsPath) })
	}
	wg.Wait()
	for chat := range outbox {
		if !slices.ContainsFunc(customers, func(c *crashCustomer) bool { return c.chat == chat }) {
			t.Errorf("outbox has messages for %s, who never wrote", chat)
		}
	}
	f.dups = checkDeliveries(t, customers, outbox, rounds)
	checkTickets(t, db, customers)
	return f
}

// isPostgres tells a check which engine it reads (the failover test's
// PostgreSQL, the crash test's SQLite).
func isPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}

func checkIntegrity(t *testing.T, db *sql.DB) {
	t.Helper()
	if isPostgres(db) {
		return // the server checks its pages and keys itself
	}
	var res []string
	rows, err := db.Query(`PRAGMA integrity_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		res = append(res, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0] != "ok" {
		t.Errorf("PRAGMA integrity_check: %q; want ok", res)
	}
	var fk int
	if err := db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
		t.Errorf("foreign key violations: %d, %v; want none", fk, err)
	}
}

// checkInbox: every message a customer sent (each was acknowledged in the
// end) is stored once, in the order sent, and handled; nothing else is.
// Handled means done, and no earlier than received by more than the
// processes' clocks may differ: a message one process stored may be
// handled by the next, whose clock is behind by its start-up (see
// deliveryProblems), seconds on a machine busy with the race detector.
func checkInbox(t *testing.T, db *sql.DB, customers []*crashCustomer, f *crashFigures) {
	t.Helper()
	type row struct {
		id         int64
		msgID      string
		text       string
		done       bool
		handledAt  int64
		receivedAt int64
	}
	byChat := map[string][]row{}
	rows, err := db.Query(`SELECT id, chat, COALESCE(msg_id, ''), text, done, handled_at, received_at FROM inbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		var chat string
		if err := rows.Scan(&r.id, &chat, &r.msgID, &r.text, &r.done, &r.handledAt, &r.receivedAt); err != nil {
			t.Fatal(err)
		}
		byChat[chat] = append(byChat[chat], r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		got := byChat[c.chat]
		delete(byChat, c.chat)
		if len(got) != len(c.steps) {
			t.Errorf("%s: %d inbox rows; sent %d messages", c.chat, len(got), len(c.steps))
		}
		for i, st := range c.steps {
			f.acked++
			if st.tries > 1 {
				f.retried++
			}
			if st.dup {
				f.ackLost++
			}
			if i >= len(got) {
				continue
			}
			r := got[i]
			switch {
			case r.msgID != st.id || r.text != st.text:
				t.Errorf("%s: inbox row %d is %s %q; want %s %q (stored once, in order)", c.chat, i+1, r.msgID, r.text, st.id, st.text)
			case !r.done || r.handledAt < r.receivedAt-clockSkew.Milliseconds():
				t.Errorf("%s: %s %q not handled (done %v, handled_at %d, received_at %d)", c.chat, st.id, st.text, r.done, r.handledAt, r.receivedAt)
			}
		}
	}
	for chat, rs := range byChat {
		t.Errorf("inbox has %d messages from %s, who is no customer of the test", len(rs), chat)
	}
}

func readOutbox(t *testing.T, db *sql.DB) map[string][]store.OutMsg {
	t.Helper()
	out := map[string][]store.OutMsg{}
	rows, err := db.Query(`SELECT id, chat, text, sent_at FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m store.OutMsg
		var sent int64
		if err := rows.Scan(&m.ID, &m.Chat, &m.Text, &sent); err != nil {
			t.Fatal(err)
		}
		if sent > 0 {
			m.SentAt = time.UnixMilli(sent)
		} else {
			t.Errorf("outbox %d to %s is not sent", m.ID, m.Chat)
		}
		out[m.Chat] = append(out[m.Chat], m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkSeen: the customer's view through GET /sim/api/messages, polled
// across every process, is exactly the chat's outbox: in order, nothing
// skipped, nothing twice.
func checkSeen(t *testing.T, c *crashCustomer, rows []store.OutMsg) {
	t.Helper()
	for i, m := range c.got {
		if i >= len(rows) {
			t.Errorf("%s saw %d messages; the outbox has %d", c.chat, len(c.got), len(rows))
			return
		}
		if m.Seq != rows[i].ID || m.Text != rows[i].Text {
			t.Errorf("%s: message %d seen is seq %d; want outbox %d (in order, none skipped or repeated)", c.chat, i+1, m.Seq, rows[i].ID)
			return
		}
	}
	if len(c.got) != len(rows) {
		t.Errorf("%s saw %d messages; the outbox has %d", c.chat, len(c.got), len(rows))
	}
}

// digitRuns hides what differs between runs in a transcript: protocol
// numbers and places in the queue.
var digitRuns = regexp.MustCompile(`[0-9]+`)

// checkTranscript: what the customer was told across the crashes is what
// `suporte simulate`, which never crashes, tells the same messages.
func checkTranscript(t *testing.T, c *crashCustomer, rows []store.OutMsg, flowsPath string) {
	t.Helper()
	var in strings.Builder
	for _, st := range c.steps {
		in.WriteString(st.text + "\n")
	}
	var out bytes.Buffer
	o := simOptions{flows: flowsPath, chat: c.chat, at: crashEpoch.Format(time.RFC3339), jsonl: true}
	if err := simulate(context.Background(), o, strings.NewReader(in.String()), &out, io.Discard); err != nil {
		t.Errorf("%s: reference run: %v", c.chat, err)
		return
	}
	var want []string
	dec := json.NewDecoder(&out)
	for dec.More() {
		var m struct{ Text string }
		if err := dec.Decode(&m); err != nil {
			t.Errorf("%s: reference run: %v", c.chat, err)
			return
		}
		want = append(want, digitRuns.ReplaceAllString(m.Text, "#"))
	}
	for i, m := range rows {
		got := digitRuns.ReplaceAllString(m.Text, "#")
		if i >= len(want) || got != want[i] {
			w := "(nothing)"
			if i < len(want) {
				w = fmt.Sprintf("%q", want[i])
			}
			t.Errorf("%s: bot message %d is %q; a run without crashes says %s", c.chat, i+1, got, w)
			return
		}
	}
	if len(rows) != len(want) {
		t.Errorf("%s: %d bot messages; a run without crashes sends %d", c.chat, len(rows), len(want))
	}
}

// checkDeliveries checks each Send of the simulated transport, per chat:
// what each process's event stream heard, plus the delivery that the
// sent_at of a message recorded but not heard proves (resumed work starts
// with the process, before the stream opens; a SIGKILL drops the events
// still on their way). A delivery that was neither heard nor recorded (the
// process died in between) is invisible here: duplicates are counted
// from below.
//
//   - Within a process, deliveries are in seq order and never repeat.
//   - The first deliveries of all seqs, in time order, are the chat's
//     outbox in order: nothing skipped, nothing overtaken.
//   - A seq delivered by more than one process was the last delivery of a
//     SIGKILLed process to that chat: the paced sender records each message
//     before the next pause, so at most one per chat is in flight. That is
//     the transport's at-least-once window; WhatsApp's pre-assigned message
//     ids make the phone drop the copy. A SIGTERM leaves none.
//
// It returns, per round, the deliveries repeated by a later process.
func checkDeliveries(t *testing.T, customers []*crashCustomer, outbox map[string][]store.OutMsg, rounds []*crashRound) []int {
	t.Helper()
	var chats []string
	for _, c := range customers {
		chats = append(chats, c.chat)
	}
	dups, problems := deliveryProblems(chats, outbox, rounds)
	for _, p := range problems {
		t.Error(p)
	}
	return dups
}

// clockSkew bounds how far apart two demo processes' clocks may be: each
// starts its clock when it reads --at, behind the test's by its start-up.
const clockSkew = 10 * time.Second

// deliveryProblems is checkDeliveries' work: the repeated deliveries per
// round, and what breaks its rules.
//
// A row's sent_at places it in a round by the round's start (roundOf), and
// that is approximate across processes: each process's clock starts when
// it reads --at, behind the test's by its start-up, and in the failover
// test a new owner works before the test sees it own the line. So a
// message a new owner sent, and its stream heard, can carry a sent_at
// inside the dead owner's round. The store says better: a message heard
// by round q was still unsent when q's process read it (a process sends
// only rows not recorded as sent, and the one before it was dead by then),
// so its sent_at was recorded by q or a later round, never an earlier one.
// Such a row proves no delivery of an earlier round.
func deliveryProblems(chats []string, outbox map[string][]store.OutMsg, rounds []*crashRound) ([]int, []string) {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	dups := make([]int, len(rounds))
	roundOf := func(at time.Time) int {
		r := 0
		for i, rd := range rounds {
			if !at.Before(rd.at) {
				r = i
			}
		}
		return r
	}
	for _, chat := range chats {
		rows := outbox[chat]
		// heardBy[seq]: the last round whose stream heard it.
		heardBy := map[int64]int{}
		for r, rd := range rounds {
			for _, d := range rd.events.deliveries(chat) {
				heardBy[d.Seq] = r
			}
		}
		// timeline[r]: round r's deliveries to the chat, in order.
		timeline := make([][]int64, len(rounds))
		for r, rd := range rounds {
			heard := map[int64]bool{}
			for _, d := range rd.events.deliveries(chat) {
				heard[d.Seq] = true
				timeline[r] = append(timeline[r], d.Seq)
			}
			heardSeqs := slices.Clone(timeline[r])
			// Recorded by round r but not heard: sent before its stream
			// opened, or just before it died with the events still on the
			// way. Each goes where its seq puts it among those heard.
			for _, m := range rows {
				if q, ok := heardBy[m.ID]; ok && q > r {
					continue // recorded by round q or later (see above)
				}
				if !m.SentAt.IsZero() && roundOf(m.SentAt) == r && !heard[m.ID] {
					// Between two heard ones, it cannot have been missed:
					// the stream is in order and did not drop.
					if slices.ContainsFunc(heardSeqs, func(s int64) bool { return s < m.ID }) &&
						slices.ContainsFunc(heardSeqs, func(s int64) bool { return s > m.ID }) {
						fail("%s: seq %d recorded as sent by round %d, which never delivered it (it delivered %v)\n%s",
							chat, m.ID, r, heardSeqs, explainDeliveries(chat, rows, rounds, timeline))
					}
					i := 0
					for i < len(timeline[r]) && timeline[r][i] < m.ID {
						i++
					}
					timeline[r] = slices.Insert(timeline[r], i, m.ID)
				}
			}
		}
		by := map[int64][]int{} // seq -> the rounds that delivered it
		var firsts []int64
		for r, seqs := range timeline {
			for i, s := range seqs {
				if i > 0 && s <= seqs[i-1] {
					fail("%s: round %d delivered %d after %d (one process, out of order or twice)", chat, r, s, seqs[i-1])
				}
				if len(by[s]) == 0 {
					firsts = append(firsts, s)
				}
				by[s] = append(by[s], r)
			}
		}
		var want []int64
		for _, m := range rows {
			want = append(want, m.ID)
		}
		if !slices.Equal(firsts, want) {
			fail("%s: first deliveries %v; want the outbox in order %v", chat, firsts, want)
		}
		for s, rs := range by {
			for _, r := range rs[:len(rs)-1] {
				dups[r]++
				switch last := timeline[r][len(timeline[r])-1]; {
				case rounds[r].stop != syscall.SIGKILL:
					fail("%s: seq %d delivered by round %d, stopped by %v, and again by a later one (a graceful stop must leave nothing in flight)", chat, s, r, rounds[r].stop)
				case s != last:
					fail("%s: seq %d delivered by round %d and again later, but it was not the last one in flight (%d)\n%s",
						chat, s, r, last, explainDeliveries(chat, rows, rounds, timeline))
				}
			}
		}
	}
	return dups, problems
}

// explainDeliveries says what a failed delivery check saw of chat: each
// round's start, the seqs its stream heard and its timeline (heard plus
// recorded), and each outbox row's sent_at.
func explainDeliveries(chat string, rows []store.OutMsg, rounds []*crashRound, timeline [][]int64) string {
	var b strings.Builder
	for r, rd := range rounds {
		var heard []int64
		for _, d := range rd.events.deliveries(chat) {
			heard = append(heard, d.Seq)
		}
		fmt.Fprintf(&b, "  round %d from %s: heard %v, timeline %v\n", r, rd.at.UTC().Format("15:04:05.000"), heard, timeline[r])
	}
	for _, m := range rows {
		fmt.Fprintf(&b, "  seq %d sent_at %s\n", m.ID, m.SentAt.UTC().Format("15:04:05.000"))
	}
	return b.String()
}

// report logs the figures.
func (f crashFigures) report(t *testing.T, rounds []*crashRound, srv *crashServer, took time.Duration) {
	t.Helper()
	kills, terms := 0, 0
	for i, rd := range rounds {
		n := 0
		for _, ds := range rd.events.byChat {
			n += len(ds)
		}
		if i == len(rounds)-1 {
			t.Logf("round %2d: final, clean stop: %d deliveries heard, %d acknowledged messages resent", i, n, rd.redeliveredAcked)
			continue
		}
		if rd.stop == syscall.SIGKILL {
			kills++
		} else {
			terms++
		}
		t.Logf("round %2d: %-7v after %4dms: %3d deliveries heard, %d repeated after the restart; %d acknowledged messages resent",
			i, rd.stop, rd.up.Milliseconds(), n, f.dups[i], rd.redeliveredAcked)
	}
	total := 0
	for _, d := range f.dups {
		total += d
	}
	t.Logf("%d SIGKILLs, %d SIGTERMs + the final stop; %d customer messages acknowledged (%d sent more than once, %d stored though the answer was lost, unclear answers by status %v), %d bot messages, %d delivered twice; %v",
		kills, terms, f.acked, f.retried, f.ackLost, srv.unclearAnswers(), f.botMsgs, total, took.Round(100*time.Millisecond))
}

// checkTickets: every conversation is a ticket, and tickets, queue and
// timers agree with where each conversation stands.
func checkTickets(t *testing.T, db *sql.DB, customers []*crashCustomer) {
	t.Helper()
	type ticket struct {
		id, queuedAt, closedAt int64
		status                 string
	}
	tickets := map[string][]ticket{}
	rows, err := db.Query(`SELECT id, chat, status, queued_at, closed_at FROM tickets ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tk ticket
		var chat string
		if err := rows.Scan(&tk.id, &chat, &tk.status, &tk.queuedAt, &tk.closedAt); err != nil {
			t.Fatal(err)
		}
		tickets[chat] = append(tickets[chat], tk)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	timers := map[string][]string{}
	trows, err := db.Query(`SELECT chat, kind FROM timers ORDER BY chat, kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer trows.Close()
	for trows.Next() {
		var chat, kind string
		if err := trows.Scan(&chat, &kind); err != nil {
			t.Fatal(err)
		}
		timers[chat] = append(timers[chat], kind)
	}
	if err := trows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		var state string
		var current int64
		q := `SELECT state, ticket FROM conversations WHERE chat = ?`
		if isPostgres(db) {
			q = `SELECT state, ticket FROM conversations WHERE chat = $1`
		}
		err := db.QueryRow(q, c.chat).Scan(&state, &current)
		if err != nil {
			t.Errorf("%s: conversation: %v", c.chat, err)
			continue
		}
		started := 0
		for _, st := range c.steps {
			if st.text == "oi" { // every script starts so, and only so
				started++
			}
		}
		tks := tickets[c.chat]
		delete(tickets, c.chat)
		if len(tks) != started {
			t.Errorf("%s: %d tickets; %d conversations started", c.chat, len(tks), started)
		}
		waiting := slices.Contains(waitingStates, state)
		for _, tk := range tks {
			isCurrent := state != "closed" && tk.id == current
			var want []string // allowed statuses
			switch {
			case isCurrent && waiting:
				want = []string{store.StatusAguardando}
			case isCurrent && state == "queued":
				want = []string{store.StatusAberto}
			case isCurrent:
				t.Errorf("%s: conversation in unexpected state %q", c.chat, state)
			default: // finished: solved, or left the queue (the ticket stays open)
				want = []string{store.StatusResolvido, store.StatusAberto}
			}
			if !slices.Contains(want, tk.status) {
				t.Errorf("%s: ticket %d (current %v, conversation %s) is %q; want one of %q", c.chat, tk.id, isCurrent, state, tk.status, want)
			}
			if (tk.status == store.StatusResolvido) != (tk.closedAt > 0) {
				t.Errorf("%s: ticket %d is %q with closed_at %d", c.chat, tk.id, tk.status, tk.closedAt)
			}
			if inQueue := isCurrent && state == "queued"; inQueue != (tk.queuedAt > 0) {
				t.Errorf("%s: ticket %d queued_at %d; conversation %s, current %v", c.chat, tk.id, tk.queuedAt, state, isCurrent)
			}
		}
		if state != "closed" && !slices.ContainsFunc(tks, func(tk ticket) bool { return tk.id == current }) {
			t.Errorf("%s: open conversation (%s) on ticket %d, which is not theirs", c.chat, state, current)
		}
		if got := len(timers[c.chat]) > 0; got != waiting {
			t.Errorf("%s: conversation %s has timers %q; want timers only while the bot waits on the customer", c.chat, state, timers[c.chat])
		}
		delete(timers, c.chat)
	}
	for chat := range tickets {
		t.Errorf("tickets of %s, who is no customer of the test", chat)
	}
	for chat := range timers {
		t.Errorf("timers of %s, who is no customer of the test", chat)
	}
}
