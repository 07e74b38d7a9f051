package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// OutMsg is one message to send, in order per chat.
type OutMsg struct {
	ID        int64 // assigned; order of sending within a chat
	Chat      string
	Line      string // the WhatsApp line that sends it (LineName)
	Ticket    int64
	Text      string
	Options   []Option // numbered answers shown with the text; nil if none
	Author    string   // "bot" or an agent id
	CreatedAt time.Time
	WAID      string // transport message id once known (may be set before sending)
	PollID    string // transport id of the poll sent with it, if any
	Attempts  int
	NextTry   time.Time // zero = now
	LastError string
	SentAt    time.Time // zero until sent
	Media     int64     // the file it sends (Text is its caption), if any
}

// Option is one numbered answer offered with an outbound message.
type Option struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

const outMsgCols = `id, chat, line, ticket, text, options, author, created_at, wa_id, poll_id, attempts, next_try, last_error, sent_at, media`

func scanOutMsg(s rowScanner) (OutMsg, error) {
	var m OutMsg
	var options sql.NullString
	var created, nextTry, sent int64
	err := s.Scan(&m.ID, &m.Chat, &m.Line, &m.Ticket, &m.Text, &options, &m.Author, &created,
		&m.WAID, &m.PollID, &m.Attempts, &nextTry, &m.LastError, &sent, &m.Media)
	if err != nil {
		return OutMsg{}, err
	}
	if options.Valid && options.String != "" {
		if err := json.Unmarshal([]byte(options.String), &m.Options); err != nil {
			return OutMsg{}, fmt.Errorf("decode options: %w", err)
		}
	}
	if len(m.Options) == 0 {
		m.Options = nil
	}
	m.CreatedAt, m.NextTry, m.SentAt = fromMillis(created), fromMillis(nextTry), fromMillis(sent)
	return m, nil
}

// appendOutboxSQL inserts one message. On SQLite its id is the
// connection's last insert rowid: RETURNING would make SQLite hold the
// row's result for the statement's end, which cost a two-message turn
// more than twice the time of two plain inserts.
const appendOutboxSQL = `INSERT INTO outbox (chat, line, ticket, text, options, author, created_at, wa_id, poll_id, attempts, next_try, last_error, sent_at, media)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AppendOutbox queues m after the other messages of m.Chat on m.Line and
// returns its id.
func (tx *Tx) AppendOutbox(ctx context.Context, m OutMsg) (int64, error) {
	ids, err := tx.AppendOutboxAll(ctx, []OutMsg{m})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AppendOutboxAll appends msgs in order, as AppendOutbox appends each, and
// returns their ids: on PostgreSQL in one statement, whose rows get their
// ids in order.
func (tx *Tx) AppendOutboxAll(ctx context.Context, msgs []OutMsg) ([]int64, error) {
	if tx.pg != nil {
		return tx.appendOutboxPG(ctx, msgs)
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		options, err := outboxOptions(m)
		if err != nil {
			return nil, err
		}
		res, err := tx.execIn(ctx, "outbox", appendOutboxSQL, m.Chat, m.Line, m.Ticket, m.Text, options, m.Author, millis(m.CreatedAt),
			m.WAID, m.PollID, m.Attempts, millis(m.NextTry), m.LastError, millis(m.SentAt), m.Media)
		if err == nil {
			ids[i], err = res.LastInsertId()
		}
		if err != nil {
			return nil, fmt.Errorf("append outbox: %w", err)
		}
	}
	return ids, nil
}

func (tx *Tx) appendOutboxPG(ctx context.Context, msgs []OutMsg) ([]int64, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids, err := tx.outboxIDs(ctx, len(msgs))
	if err != nil {
		return nil, fmt.Errorf("append outbox: %w", err)
	}
	args := make([]any, 0, 15*len(msgs))
	for i, m := range msgs {
		options, err := outboxOptions(m)
		if err != nil {
			return nil, err
		}
		args = append(args, ids[i], m.Chat, m.Line, m.Ticket, m.Text, options, m.Author, millis(m.CreatedAt),
			m.WAID, m.PollID, m.Attempts, millis(m.NextTry), m.LastError, millis(m.SentAt), m.Media)
	}
	q := `INSERT INTO outbox (id, chat, line, ticket, text, options, author, created_at, wa_id, poll_id, attempts, next_try, last_error, sent_at, media)
VALUES ` + rows(len(msgs), 15)
	if err := tx.addLater(ctx, "outbox", q, args...); err != nil {
		return nil, fmt.Errorf("append outbox: %w", err)
	}
	return ids, nil
}

// outboxOptions is m's options as the outbox keeps them: JSON, or NULL
// for none.
func outboxOptions(m OutMsg) (sql.NullString, error) {
	if len(m.Options) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(m.Options)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("append outbox: encode options: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// outboxIDsSQL takes n ids from the outbox's sequence, in order.
const outboxIDsSQL = `SELECT nextval((SELECT CAST(pg_get_serial_sequence('outbox', 'id') AS regclass))) FROM generate_series(1, ?)`

// spareOutboxIDs are taken beyond what a call asks for, for the next
// replies of the transaction.
const spareOutboxIDs = 16

// outboxIDs returns n new outbox ids, in order, for replies the writer
// inserts with their ids: an insert that needs no answer goes with the
// next statement that does, where RETURNING id made each turn's replies
// a round trip of their own. A chat's replies must get their ids in the
// order their inserts commit (the sender and the transcript go by id):
// the ids are taken after every chat lock the transaction holds (see
// LockChat), so none another process gave that chat since comes after
// them; a lock queued after they were taken makes the rest unusable.
func (tx *Tx) outboxIDs(ctx context.Context, n int) ([]int64, error) {
	if tx.idsAt != tx.locks || len(tx.outIDs) < n {
		ids, err := queryAll(ctx, tx, scanID, outboxIDsSQL, n+spareOutboxIDs)
		if err == nil && len(ids) != n+spareOutboxIDs {
			err = fmt.Errorf("%d outbox ids for %d", len(ids), n+spareOutboxIDs)
		}
		if err != nil {
			return nil, fmt.Errorf("outbox ids: %w", err)
		}
		tx.outIDs, tx.idsAt = ids, tx.locks
	}
	ids := tx.outIDs[:n:n]
	tx.outIDs = tx.outIDs[n:]
	return ids, nil
}

const retryNowSQL = `UPDATE outbox SET next_try = ?
WHERE line = ? AND sent_at = 0 AND attempts > 0 AND next_try > ?
RETURNING chat`

// RetryNow moves the next try of every failed message of line to now and
// returns their chats, each once, sorted.
func (tx *Tx) RetryNow(ctx context.Context, line string, now time.Time) ([]string, error) {
	chats, err := queryAll(ctx, tx, scanString, retryNowSQL, millis(now), line, millis(now))
	if err != nil {
		return nil, fmt.Errorf("retry now: %w", err)
	}
	slices.Sort(chats)
	return slices.Compact(chats), nil
}

const nextRetrySQL = `SELECT ` + outMsgCols + ` FROM outbox
WHERE line = ? AND sent_at = 0 AND attempts > 0
ORDER BY next_try, id
LIMIT 1`

// NextRetry returns the failed message of line whose retry comes first, or
// ErrNotFound: what stepping a clock must not jump over.
func (tx *Tx) NextRetry(ctx context.Context, line string) (OutMsg, error) {
	m, err := scanOutMsg(tx.queryRow(ctx, nextRetrySQL, line))
	if err != nil {
		return OutMsg{}, fmt.Errorf("next retry: %w", notFound(err))
	}
	return m, nil
}

const setOutboxWAIDSQL = `UPDATE outbox SET wa_id = ? WHERE id = ?`

// SetOutboxWAID records the transport id of message id before it is sent.
// ErrNotFound if missing.
func (tx *Tx) SetOutboxWAID(ctx context.Context, id int64, waID string) error {
	if err := mustAffect(tx.exec(ctx, setOutboxWAIDSQL, waID, id)); err != nil {
		return fmt.Errorf("set outbox %d wa id: %w", id, err)
	}
	return nil
}

const setOutboxPollIDSQL = `UPDATE outbox SET poll_id = ? WHERE id = ?`

// SetOutboxPollID records the transport id of the poll sent with message
// id. ErrNotFound if missing.
func (tx *Tx) SetOutboxPollID(ctx context.Context, id int64, pollID string) error {
	if err := mustAffect(tx.exec(ctx, setOutboxPollIDSQL, pollID, id)); err != nil {
		return fmt.Errorf("set outbox %d poll id: %w", id, err)
	}
	return nil
}

const markSentSQL = `UPDATE outbox SET sent_at = ?, wa_id = COALESCE(NULLIF(?, ''), wa_id) WHERE id = ?`

// MarkSent marks message id sent at at. A non-empty waID replaces the
// recorded transport id. ErrNotFound if missing.
func (tx *Tx) MarkSent(ctx context.Context, id int64, waID string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("mark outbox %d sent: zero time", id)
	}
	if err := mustAffect(tx.exec(ctx, markSentSQL, millis(at), waID, id)); err != nil {
		return fmt.Errorf("mark outbox %d sent: %w", id, err)
	}
	return nil
}

// Sent is a message delivered, for MarkSentAll: its id and, if not
// empty, the transport's id for it.
type Sent struct {
	ID   int64
	WAID string
}

// markSentPG is markSentSQL for n messages in one statement, on
// PostgreSQL: their ids and transport ids as n rows.
func markSentPG(n int) string {
	return `UPDATE outbox SET sent_at = ?, wa_id = COALESCE(NULLIF(s.wa_id, ''), outbox.wa_id)
FROM (VALUES ` + strings.TrimSuffix(strings.Repeat("(CAST(? AS BIGINT), CAST(? AS TEXT)), ", n), ", ") + `) AS s(id, wa_id)
WHERE outbox.id = s.id
RETURNING outbox.id`
}

// MarkSentAll marks messages sent at at, as MarkSent marks each: on
// PostgreSQL in one statement. ErrNotFound if one is missing.
func (tx *Tx) MarkSentAll(ctx context.Context, sent []Sent, at time.Time) error {
	if at.IsZero() {
		return errors.New("mark outbox sent: zero time")
	}
	if tx.pg == nil {
		for _, s := range sent {
			if err := tx.MarkSent(ctx, s.ID, s.WAID, at); err != nil {
				return err
			}
		}
		return nil
	}
	if err := ctx.Err(); err != nil || len(sent) == 0 {
		return err
	}
	m := markSent(sent)
	if err := tx.pgRowsAll([]queued{m.stmt(tx, at)}, m.scan); err != nil {
		return fmt.Errorf("mark outbox sent: %w", err)
	}
	return m.check()
}

// marking is one markSentPG: the messages it marks, and those its answer
// named.
type marking struct {
	sent   []Sent
	marked map[int64]bool
}

func markSent(sent []Sent) *marking {
	return &marking{sent: sent, marked: make(map[int64]bool, len(sent))}
}

func (m *marking) stmt(tx *Tx, at time.Time) queued {
	args := make([]any, 0, 1+2*len(m.sent))
	args = append(args, millis(at))
	for _, s := range m.sent {
		args = append(args, s.ID, s.WAID)
	}
	return queued{query: tx.d.sql(markSentPG(len(m.sent))), args: args, table: "outbox"}
}

func (m *marking) scan(s rowScanner) error {
	var id int64
	err := s.Scan(&id)
	m.marked[id] = true
	return err
}

// check returns ErrNotFound for the first message not marked.
func (m *marking) check() error {
	for _, s := range m.sent {
		if !m.marked[s.ID] {
			return fmt.Errorf("mark outbox %d sent: %w", s.ID, ErrNotFound)
		}
	}
	return nil
}

// MarkSentIdle is MarkSentAll, then ChatIdle of chat on line: on
// PostgreSQL in one round trip, once each ran alone. A chat that just
// sent has usually nothing left to do, which the same trip says.
func (tx *Tx) MarkSentIdle(ctx context.Context, sent []Sent, at time.Time, line, chat string) (bool, error) {
	if idle, ok, err := tx.openedSent(sent, at, line, chat); ok {
		return idle, err
	}
	m := markSent(sent)
	var mark queued
	if tx.pg != nil && len(sent) > 0 && !at.IsZero() {
		mark = m.stmt(tx, at)
	}
	if !tx.seen[mark.query] || !tx.seen[tx.d.sql(chatIdleQuerySQL)] {
		if err := tx.MarkSentAll(ctx, sent, at); err != nil {
			return false, err
		}
		return tx.ChatIdle(ctx, line, chat)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	idle := queued{query: tx.d.sql(chatIdleQuerySQL), args: []any{line, chat, line, chat}}
	var isIdle bool
	err := tx.pgRowsAll([]queued{mark, idle}, m.scan, func(s rowScanner) error { return s.Scan(&isIdle) })
	if err != nil {
		return false, fmt.Errorf("mark outbox sent: %w", err)
	}
	return isIdle, m.check()
}

const markSendFailedSQL = `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_try = ? WHERE id = ?`

// MarkSendFailed counts a failed attempt to send message id, records
// errText and when to try again. ErrNotFound if missing.
func (tx *Tx) MarkSendFailed(ctx context.Context, id int64, errText string, next time.Time) error {
	if err := mustAffect(tx.exec(ctx, markSendFailedSQL, errText, millis(next), id)); err != nil {
		return fmt.Errorf("mark outbox %d failed: %w", id, err)
	}
	return nil
}

const outboxAfterSQL = `SELECT ` + outMsgCols + ` FROM outbox
WHERE line = ? AND chat = ? AND id > ?
ORDER BY id
LIMIT ?`

// OutboxAfter returns up to limit messages of chat on line with id >
// afterID, sent or not, in ascending id order; limit <= 0 returns all.
func (tx *Tx) OutboxAfter(ctx context.Context, line, chat string, afterID int64, limit int) ([]OutMsg, error) {
	ms, err := queryAll(ctx, tx, scanOutMsg, outboxAfterSQL, line, chat, afterID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("outbox after %d: %w", afterID, err)
	}
	return ms, nil
}

const outboxByWAIDSQL = `SELECT ` + outMsgCols + ` FROM outbox
WHERE id = (SELECT min(id) FROM (
    SELECT id FROM outbox WHERE wa_id = ? AND wa_id <> '' AND line = ?
    UNION ALL
    SELECT id FROM outbox WHERE poll_id = ? AND poll_id <> '' AND line = ?
) AS m)`

// OutboxByWAID returns the message line sent whose text or poll has
// transport id waID, or ErrNotFound.
func (tx *Tx) OutboxByWAID(ctx context.Context, line, waID string) (OutMsg, error) {
	m, err := scanOutMsg(tx.queryRow(ctx, outboxByWAIDSQL, waID, line, waID, line))
	if err != nil {
		return OutMsg{}, fmt.Errorf("outbox by wa id: %w", notFound(err))
	}
	return m, nil
}

const workChatsSQL = `SELECT chat FROM inbox WHERE line = ? AND done = 0
UNION
SELECT chat FROM outbox WHERE line = ? AND sent_at = 0
ORDER BY chat`

// WorkChats lists, sorted, the chats of line with a message not yet
// handled or not yet sent: the work to resume after a restart.
func (tx *Tx) WorkChats(ctx context.Context, line string) ([]string, error) {
	chats, err := queryAll(ctx, tx, scanString, workChatsSQL, line, line)
	if err != nil {
		return nil, fmt.Errorf("work chats: %w", err)
	}
	return chats, nil
}

// readyChatsSQL: chats with replies to send now (none waiting for a retry
// after a failure) or, with nothing to send, input to handle.
const readyChatsSQL = `SELECT chat FROM outbox WHERE line = ? AND sent_at = 0 GROUP BY chat HAVING MAX(next_try) <= ?
UNION
SELECT chat FROM inbox i WHERE i.line = ? AND i.done = 0
    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.line = i.line AND o.chat = i.chat AND o.sent_at = 0)
ORDER BY 1`

// ReadyChats lists, sorted, the chats of line whose work can be done at
// now: what its owner polls for when other processes share the store.
func (tx *Tx) ReadyChats(ctx context.Context, line string, now time.Time) ([]string, error) {
	chats, err := queryAll(ctx, tx, scanString, readyChatsSQL, line, millis(now), line)
	if err != nil {
		return nil, fmt.Errorf("ready chats: %w", err)
	}
	return chats, nil
}

func scanString(s rowScanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

func scanID(s rowScanner) (int64, error) {
	var id int64
	err := s.Scan(&id)
	return id, err
}

const pendingOutboxSQL = `SELECT ` + outMsgCols + ` FROM outbox
WHERE line = ? AND chat = ? AND sent_at = 0
ORDER BY id
LIMIT ?`

// PendingOutbox returns up to limit unsent messages of chat on line, in
// sending order.
func (tx *Tx) PendingOutbox(ctx context.Context, line, chat string, limit int) ([]OutMsg, error) {
	ms, err := queryAll(ctx, tx, scanOutMsg, pendingOutboxSQL, line, chat, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", err)
	}
	return ms, nil
}

const saidSinceSQL = `SELECT EXISTS (SELECT 1 FROM outbox WHERE line = ? AND chat = ? AND created_at >= ? AND text = ?)`

// SaidSince reports whether line sent chat exactly text at or after since.
func (tx *Tx) SaidSince(ctx context.Context, line, chat, text string, since time.Time) (bool, error) {
	var ok bool
	if err := tx.queryRow(ctx, saidSinceSQL, line, chat, millis(since), text).Scan(&ok); err != nil {
		return false, fmt.Errorf("said since: %w", err)
	}
	return ok, nil
}
