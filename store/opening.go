package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Opening names what an UpdateChat job does first, before anything else
// of its work: LockChat(Line, Chat), then, if set, AcceptInbox(*Accept)
// (and with Rows, when the message was stored idle, ChatRows(Line, Chat,
// Recent) before any write), or MarkSentIdle(Sent, At, Line, Chat). Every job of a batch that opens
// so costs the server the same few statements, each an executor's setup
// and a round trip's share: on PostgreSQL the writer does the openings
// of a batch's jobs together, before running them, as one statement of
// each kind whose rows are those of all the jobs; each job's calls then
// take their answers from it instead of asking the server. On SQLite
// the opening changes nothing.
//
// The job's fn must still make those calls, first and with those
// arguments: a job that does not leaves its batch to run again, each
// job doing its own statements, as does any failure.
type Opening struct {
	Line, Chat string
	Accept     *Inbound // not changed while the Update runs
	Rows       bool
	Recent     *Recent
	Sent       []Sent
	At         time.Time
}

// UpdateOpening is UpdateChat for o.Chat, for a job that opens with o.
func (db *DB) UpdateOpening(ctx context.Context, o Opening, fn func(tx *Tx) error) error {
	return db.update(ctx, db.writerOf(o.Chat), &job{chat: o.Chat, scoped: true, open: &o, fn: fn})
}

// opened is a job's opening as the writer did it, until the job's calls
// take its answers.
type opened struct {
	Opening
	key int64 // the chat's lock

	accepted   bool // Accept's row was stored (not a duplicate)
	id         int64
	idle       bool // Accept's chat was idle, or Sent's chat is idle after them
	marked     map[int64]bool
	acceptDone bool // AcceptInbox took its answer
	sentDone   bool // MarkSentIdle took its answer

	rows      *ChatRows // Rows' answer, until ChatRows takes it
	rowsStale bool      // the job wrote since
}

// taken reports whether the job's calls took every answer its opening
// holds.
func (o *opened) taken() bool {
	return (o.Accept == nil || o.acceptDone) && (len(o.Sent) == 0 || o.sentDone)
}

// errNotOpened fails a job that did not open as it said: its batch runs
// again, each job on its own.
var errNotOpened = errors.New("update did not open as its Opening said")

// openIdleOf is chatIdleSQL for the chat and line of unnest's row v.
// OFFSET 0 keeps each look a probe of its partial index for v's chat:
// PostgreSQL may otherwise run it as a hashed subplan that reads the
// whole index once per statement, planned from statistics that count
// the few live rows with done = 0 or sent_at = 0, not the index
// entries of the rows changed since the last vacuum, each a heap visit.
// Under load that read cost the batch openings 85 buffer hits a message.
var openIdleOf = chatIdleOn("v.line", "v.chat", " OFFSET 0")

var (
	openLockSQL = `SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST($1 AS BIGINT[])) AS k`

	// openAcceptSQL is acceptInboxSQL for many chats, one row each. The
	// look at a chat is a subquery the planner keeps apart (OFFSET 0):
	// pulled up into both columns that read it, it ran twice a row.
	openAcceptSQL = `INSERT INTO inbox (chat, line, msg_id, kind, text, sent_at, received_at, push_name, phone, done, handled_at)
SELECT v.chat, v.line, NULLIF(v.msg_id, ''), v.kind, v.text, v.sent_at, v.received_at, v.push_name, v.phone,
    CASE WHEN s.idle THEN 1 ELSE 0 END, CASE WHEN s.idle THEN v.received_at ELSE 0 END
FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]), CAST($4 AS TEXT[]), CAST($5 AS TEXT[]),
    CAST($6 AS BIGINT[]), CAST($7 AS BIGINT[]), CAST($8 AS TEXT[]), CAST($9 AS TEXT[]))
    WITH ORDINALITY AS v(chat, line, msg_id, kind, text, sent_at, received_at, push_name, phone, n)
CROSS JOIN LATERAL (SELECT ` + openIdleOf + ` AS idle OFFSET 0) AS s
ORDER BY v.n
ON CONFLICT (chat, line, msg_id) DO NOTHING
RETURNING chat, id, done`

	// openMarkSQL is markSentPG for many chats' sends, each with its time.
	openMarkSQL = `UPDATE outbox SET sent_at = s.at, wa_id = COALESCE(NULLIF(s.wa_id, ''), outbox.wa_id)
FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[]), CAST($3 AS BIGINT[])) AS s(id, wa_id, at)
WHERE outbox.id = s.id
RETURNING outbox.id`

	// openRowsSQL is chatRowsRecentSQL for many chats, their names first
	// (a limit of 0 counts no recent message).
	openRowsSQL = `SELECT v.chat, c.*, u.*, t.*, n.*
FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($3 AS BIGINT[]), CAST($4 AS BIGINT[])) AS v(chat, line, lim, since)
LEFT JOIN LATERAL (SELECT ` + conversationCols + ` FROM conversations WHERE chat = v.chat AND line = v.line) AS c ON 1 = 1
LEFT JOIN LATERAL (SELECT ` + customerCols + ` FROM customers WHERE chat = v.chat) AS u ON 1 = 1
LEFT JOIN LATERAL (SELECT ` + ticketCols + ` FROM tickets WHERE id = c.ticket) AS t ON 1 = 1
LEFT JOIN LATERAL (SELECT COUNT(*) FROM (
    SELECT received_at FROM inbox WHERE line = v.line AND chat = v.chat ORDER BY id DESC LIMIT v.lim
) AS recent WHERE received_at >= v.since) AS n ON 1 = 1`

	// openIdleSQL is chatIdleQuerySQL for many chats, after openMarkSQL.
	openIdleSQL = `SELECT v.chat, ` + openIdleOf + `
FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TEXT[])) AS v(line, chat)`
)

// open does the openings of a bare batch's jobs (see Opening) and
// returns them by job, nil for a job whose opening it did not do. It
// does a job's opening only if no job before it in the batch worked on
// its chat or on no chat in particular (Update): that job's statements
// would then come first on the server as they do in the job's turn. Less
// than two openings are left to their jobs, as there is nothing to merge.
// An error means the transaction is aborted.
func (tx *Tx) open(jobs []*job) ([]*opened, error) {
	if tx.pg == nil {
		return nil, nil
	}
	var picked []*opened
	out := make([]*opened, len(jobs))
	chats := make(map[string]bool, len(jobs))
	blocked := false
	for i, j := range jobs {
		if !j.scoped {
			blocked = true // whatever it did comes before the jobs after it
			continue
		}
		if o := j.open; o != nil && !blocked && !chats[j.chat] && j.ctx.Err() == nil && o.usable() {
			out[i] = &opened{Opening: *o, key: lockKey(o.Line, o.Chat)}
			picked = append(picked, out[i])
		}
		chats[j.chat] = true
	}
	if len(picked) < 2 {
		return nil, nil
	}
	b := &pgx.Batch{}
	keys := make([]int64, 0, len(picked))
	var acc struct{ chat, line, msg, kind, text, push, phone []string }
	var sentAt, recvAt []int64
	var mark struct {
		ids []int64
		wa  []string
		at  []int64
	}
	var idleLines, idleChats []string
	var rows struct {
		chat, line []string
		lim, since []int64
	}
	byChat := make(map[string]*opened, len(picked))
	for _, o := range picked {
		keys = append(keys, o.key)
		byChat[o.Chat] = o
		if in := o.Accept; in != nil {
			acc.chat, acc.line, acc.msg = append(acc.chat, in.Chat), append(acc.line, in.Line), append(acc.msg, in.MsgID)
			acc.kind, acc.text = append(acc.kind, in.Kind), append(acc.text, in.Text)
			acc.push, acc.phone = append(acc.push, in.PushName), append(acc.phone, in.Phone)
			sentAt, recvAt = append(sentAt, millis(in.SentAt)), append(recvAt, millis(in.ReceivedAt))
			if o.Rows {
				var lim, since int64
				if r := o.Recent; r != nil {
					lim, since = int64(r.Max), millis(r.Since)
				}
				rows.chat, rows.line = append(rows.chat, o.Chat), append(rows.line, o.Line)
				rows.lim, rows.since = append(rows.lim, lim), append(rows.since, since)
			}
		}
		if len(o.Sent) > 0 {
			o.marked = make(map[int64]bool, len(o.Sent))
			for _, s := range o.Sent {
				mark.ids, mark.wa, mark.at = append(mark.ids, s.ID), append(mark.wa, s.WAID), append(mark.at, millis(o.At))
			}
			idleLines, idleChats = append(idleLines, o.Line), append(idleChats, o.Chat)
		}
	}
	// In one order, so that two batches locking chats they share wait
	// for each other instead of deadlocking.
	slices.Sort(keys)
	b.Queue(openLockSQL, keys)
	// Ids for the replies the messages' turns will queue, taken after
	// their chats' locks (see outboxIDs).
	nids := openOutboxIDs * len(acc.chat)
	if nids > 0 {
		b.Queue(tx.d.sql(outboxIDsSQL), nids)
	}
	if len(acc.chat) > 0 {
		b.Queue(openAcceptSQL, acc.chat, acc.line, acc.msg, acc.kind, acc.text, sentAt, recvAt, acc.push, acc.phone)
	}
	if len(rows.chat) > 0 {
		b.Queue(openRowsSQL, rows.chat, rows.line, rows.lim, rows.since)
	}
	if len(mark.ids) > 0 {
		b.Queue(openMarkSQL, mark.ids, mark.wa, mark.at)
		b.Queue(openIdleSQL, idleLines, idleChats)
	}
	br := tx.sendBatch(b)
	err := func() error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		tx.locks++
		for _, k := range keys {
			tx.held[k] = true
		}
		if nids > 0 {
			ids := make([]int64, 0, nids)
			if err := eachRow(br, func(r pgx.Rows) error {
				id, err := scanID(r)
				ids = append(ids, id)
				return err
			}); err != nil {
				return err
			}
			tx.outIDs, tx.idsAt = ids, tx.locks
		}
		if len(acc.chat) > 0 {
			if err := eachRow(br, func(r pgx.Rows) error {
				var chat string
				var id, done int64
				if err := r.Scan(&chat, &id, &done); err != nil {
					return err
				}
				if o := byChat[chat]; o != nil && o.Accept != nil {
					o.accepted, o.id, o.idle = true, id, done == 1
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if len(rows.chat) > 0 {
			if err := eachRow(br, func(r pgx.Rows) error {
				vals, err := r.Values()
				if err != nil {
					return err
				}
				chat, _ := vals[0].(string)
				o := byChat[chat]
				if o == nil || !o.Rows {
					return fmt.Errorf("chat rows: %q was not asked for", chat)
				}
				cr := &ChatRows{}
				if err := cr.scanJoined(valuesRow(vals[1:]), cr.reads(o.Line, o.Chat), true); err != nil {
					return err
				}
				o.rows = cr
				return nil
			}); err != nil {
				return err
			}
		}
		if len(mark.ids) > 0 {
			marked := make(map[int64]bool, len(mark.ids))
			if err := eachRow(br, func(r pgx.Rows) error {
				var id int64
				err := r.Scan(&id)
				marked[id] = true
				return err
			}); err != nil {
				return err
			}
			for _, o := range picked {
				for _, s := range o.Sent {
					o.marked[s.ID] = marked[s.ID]
				}
			}
			if err := eachRow(br, func(r pgx.Rows) error {
				var chat string
				var idle bool
				if err := r.Scan(&chat, &idle); err != nil {
					return err
				}
				if o := byChat[chat]; o != nil && len(o.Sent) > 0 {
					o.idle = idle
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("open the batch's jobs: %w", err)
	}
	return out, nil
}

// openOutboxIDs is how many outbox ids a batch's opening takes for each
// message it stores: a turn queues one to three replies, and a
// batch that runs out takes more in a round trip (see outboxIDs).
const openOutboxIDs = 3

// usable reports whether o is an opening open can do for its job.
func (o *Opening) usable() bool {
	if o.Accept != nil && (len(o.Sent) > 0 || o.Accept.Chat != o.Chat || o.Accept.Line != o.Line) {
		return false
	}
	if (o.Rows && o.Accept == nil) || (o.Recent != nil && !o.Rows) {
		return false
	}
	return len(o.Sent) == 0 || !o.At.IsZero()
}

// eachRow calls fn for each row of the next result of br.
func eachRow(br pgx.BatchResults, fn func(pgx.Rows) error) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// openedLock reports whether the running job's opening took the lock
// named key.
func (tx *Tx) openedLock(key int64) bool {
	return tx.opening != nil && tx.opening.key == key
}

// openedAccept returns the running job's opening's answer for
// AcceptInbox(in), if it holds one: ok false means the call must ask the
// server (its row was a duplicate, or the job did not open with it).
func (tx *Tx) openedAccept(in Inbound) (id int64, idle, ok bool) {
	o := tx.opening
	if o == nil || o.Accept == nil || o.acceptDone || *o.Accept != in {
		return 0, false, false
	}
	o.acceptDone = true
	return o.id, o.idle, o.accepted
}

// openedSent returns the running job's opening's answer for
// MarkSentIdle(sent, at, line, chat), if it holds one.
func (tx *Tx) openedSent(sent []Sent, at time.Time, line, chat string) (idle, ok bool, err error) {
	o := tx.opening
	if o == nil || len(o.Sent) == 0 || o.sentDone || !slices.Equal(o.Sent, sent) || !o.At.Equal(at) || o.Line != line || o.Chat != chat {
		return false, false, nil
	}
	o.sentDone = true
	for _, s := range sent {
		if !o.marked[s.ID] {
			return false, true, fmt.Errorf("mark outbox %d sent: %w", s.ID, ErrNotFound)
		}
	}
	return o.idle, true, nil
}

// openedRows returns the running job's opening's answer for
// ChatRows(line, chat, recent), if it holds one and the job wrote
// nothing since.
func (tx *Tx) openedRows(line, chat string, recent *Recent) (ChatRows, bool) {
	o := tx.opening
	if o == nil || o.rows == nil || o.rowsStale || o.Line != line || o.Chat != chat || (recent == nil) != (o.Recent == nil) ||
		recent != nil && (recent.Max != o.Recent.Max || !recent.Since.Equal(o.Recent.Since)) {
		return ChatRows{}, false
	}
	r := *o.rows
	o.rows = nil
	if recent == nil {
		r.Recent = 0
	}
	return r, true
}

// wrote notes that the running job writes query: its opening's rows
// (Opening.Rows) may no longer be what it would read. A savepoint
// writes nothing.
func (tx *Tx) wrote(query string) {
	if tx.opening != nil && query != trySQL && query != tryReleaseSQL {
		tx.opening.rowsStale = true
	}
}
