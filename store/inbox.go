package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Inbound is one customer message as received from the transport.
type Inbound struct {
	ID         int64  // assigned by InsertInbox
	Chat       string // chat key
	Line       string // the WhatsApp line it came through (LineName)
	MsgID      string // transport message id; unique per chat and line ("" is never deduplicated)
	Kind       string // "text", "image", "audio", ... (engine-defined)
	Text       string
	SentAt     time.Time // the transport's timestamp
	ReceivedAt time.Time
	PushName   string
	Phone      string
	Done       bool
}

const inboundCols = `id, chat, line, COALESCE(msg_id, ''), kind, text, sent_at, received_at, push_name, phone, done`

func scanInbound(s rowScanner) (Inbound, error) {
	var in Inbound
	var sent, received int64
	err := s.Scan(&in.ID, &in.Chat, &in.Line, &in.MsgID, &in.Kind, &in.Text, &sent, &received,
		&in.PushName, &in.Phone, &in.Done)
	if err != nil {
		return Inbound{}, err
	}
	in.SentAt, in.ReceivedAt = fromMillis(sent), fromMillis(received)
	return in, nil
}

const (
	insertInboxSQL = `INSERT INTO inbox (chat, line, msg_id, kind, text, sent_at, received_at, push_name, phone, done)
VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (chat, line, msg_id) DO NOTHING
RETURNING id`
	inboxIDSQL = `SELECT id FROM inbox WHERE chat = ? AND line = ? AND msg_id = ?`
)

// InsertInbox stores in and returns its id. A repeated (Chat, Line, MsgID) is a
// no-op that returns the existing row's id and dup=true.
func (tx *Tx) InsertInbox(ctx context.Context, in Inbound) (id int64, dup bool, err error) {
	id, err = tx.insert(ctx, insertInboxSQL,
		in.Chat, in.Line, in.MsgID, in.Kind, in.Text, millis(in.SentAt), millis(in.ReceivedAt),
		in.PushName, in.Phone, in.Done)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("insert inbox: %w", err)
	}
	// The conflict clause skipped the insert: (chat, line, msg_id) is stored.
	if err := tx.queryRow(ctx, inboxIDSQL, in.Chat, in.Line, in.MsgID).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("insert inbox: find duplicate: %w", err)
	}
	return id, true, nil
}

const nextInboxSQL = `SELECT ` + inboundCols + ` FROM inbox
WHERE line = ? AND chat = ? AND done = 0
ORDER BY id
LIMIT 1`

// NextInbox returns the oldest not-done message of chat on line, or
// ErrNotFound.
func (tx *Tx) NextInbox(ctx context.Context, line, chat string) (Inbound, error) {
	in, err := scanInbound(tx.queryRow(ctx, nextInboxSQL, line, chat))
	if err != nil {
		return Inbound{}, fmt.Errorf("next inbox: %w", notFound(err))
	}
	return in, nil
}

// acceptInboxSQL stores a message and, in the same statement, tells
// whether its chat was idle: no older input waiting and nothing unsent. An
// idle chat's message is stored done, because the caller handles it in the
// same transaction; a duplicate (chat, line, msg_id) returns no row.
// (One VALUES row, not INSERT ... SELECT: a multi-row insert needs a
// statement journal.) The look at the chat is a WITH query, which
// PostgreSQL runs once for both columns that read it: written into each,
// it ran twice, and the statement's index scans took enough memory that
// freeing it shrank the server's heap on every message. Its arguments:
// chatIdleSQL's, then the row's and the handling time.
var acceptInboxSQL = `WITH s AS (SELECT ` + chatIdleSQL + ` AS idle)
INSERT INTO inbox (chat, line, msg_id, kind, text, sent_at, received_at, push_name, phone, done, handled_at)
VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?,
    (SELECT CASE WHEN idle THEN 1 ELSE 0 END FROM s),
    (SELECT CASE WHEN idle THEN CAST(? AS BIGINT) ELSE 0 END FROM s))
ON CONFLICT (chat, line, msg_id) DO NOTHING
RETURNING id, done`

// chatIdleSQL takes the line and the chat twice.
var chatIdleSQL = chatIdleOn("?", "?", "")

// chatIdleOn is what makes a chat idle, for the chat and line named by
// the expressions given: no input to handle and nothing to send. Each
// look ends with tail.
func chatIdleOn(line, chat, tail string) string {
	return `(NOT EXISTS (SELECT 1 FROM inbox WHERE line = ` + line + ` AND chat = ` + chat + ` AND done = 0` + tail + `)
    AND NOT EXISTS (SELECT 1 FROM outbox WHERE line = ` + line + ` AND chat = ` + chat + ` AND sent_at = 0` + tail + `))`
}

var chatIdleQuerySQL = `SELECT ` + chatIdleSQL

// ChatIdle reports whether chat has nothing to do on line: no input to
// handle and nothing to send.
func (tx *Tx) ChatIdle(ctx context.Context, line, chat string) (bool, error) {
	var idle bool
	if err := tx.queryRow(ctx, chatIdleQuerySQL, line, chat, line, chat).Scan(&idle); err != nil {
		return false, fmt.Errorf("chat idle: %w", err)
	}
	return idle, nil
}

// AcceptInbox stores in, the way a transport's message arrives. When the
// chat has no other work pending, the row is stored already handled
// (idle=true) and the caller must handle it in the same transaction: one
// statement then does what InsertInbox, NextInbox, PendingOutbox and
// FinishInbox would. A repeated (Chat, Line, MsgID) returns dup=true and the
// stored row's id.
func (tx *Tx) AcceptInbox(ctx context.Context, in Inbound) (id int64, dup, idle bool, err error) {
	if id, idle, ok := tx.openedAccept(in); ok {
		return id, false, idle, nil
	}
	received := millis(in.ReceivedAt)
	err = tx.queryRow(ctx, acceptInboxSQL, in.Line, in.Chat, in.Line, in.Chat,
		in.Chat, in.Line, in.MsgID, in.Kind, in.Text, millis(in.SentAt), received, in.PushName, in.Phone,
		received).Scan(&id, &idle)
	if err == nil {
		return id, false, idle, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, false, fmt.Errorf("accept inbox: %w", err)
	}
	if err := tx.queryRow(ctx, inboxIDSQL, in.Chat, in.Line, in.MsgID).Scan(&id); err != nil {
		return 0, false, false, fmt.Errorf("accept inbox: find duplicate: %w", err)
	}
	return id, true, false, nil
}

const nextInboxAfterSQL = `SELECT ` + inboundCols + ` FROM inbox
WHERE line = ? AND chat = ? AND done = 0 AND id > ?
ORDER BY id
LIMIT 1`

// NextInboxAfter returns the oldest not-done message of chat on line after
// id, or ErrNotFound: whether more of a backlog is waiting behind a message.
func (tx *Tx) NextInboxAfter(ctx context.Context, line, chat string, id int64) (Inbound, error) {
	in, err := scanInbound(tx.queryRow(ctx, nextInboxAfterSQL, line, chat, id))
	if err != nil {
		return Inbound{}, fmt.Errorf("next inbox after %d: %w", id, notFound(err))
	}
	return in, nil
}

const finishInboxSQL = `UPDATE inbox SET done = 1, handled_at = ? WHERE id = ?`

// FinishInbox marks message id done, handled at at. ErrNotFound if
// missing: on PostgreSQL's writer it may fail the Update instead
// (affectLater).
func (tx *Tx) FinishInbox(ctx context.Context, id int64, at time.Time) error {
	return tx.affectLater(ctx, "inbox", strconv.FormatInt(id, 10), fmt.Sprintf("finish inbox %d", id), finishInboxSQL, millis(at), id)
}

const inboxByChatSQL = `SELECT * FROM (
    SELECT ` + inboundCols + ` FROM inbox WHERE line = ? AND chat = ? ORDER BY id DESC LIMIT ?
) AS recent
ORDER BY id`

// InboxByChat returns the newest limit messages of chat on line, newest
// last; limit <= 0 returns all.
func (tx *Tx) InboxByChat(ctx context.Context, line, chat string, limit int) ([]Inbound, error) {
	ins, err := queryAll(ctx, tx, scanInbound, inboxByChatSQL, line, chat, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("inbox by chat: %w", err)
	}
	return ins, nil
}

const inboxSinceSQL = `SELECT COUNT(*) FROM (
    SELECT received_at FROM inbox WHERE line = ? AND chat = ? ORDER BY id DESC LIMIT ?
) AS recent WHERE received_at >= ?`

// InboxSince counts the messages chat sent line since t (its flood rate),
// looking at its latest max messages only: a flood check needs to know
// whether there are more than a few, whatever the chat's history.
func (tx *Tx) InboxSince(ctx context.Context, line, chat string, t time.Time, max int) (int, error) {
	var n int
	if err := tx.queryRow(ctx, inboxSinceSQL, line, chat, max, millis(t)).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbox since: %w", err)
	}
	return n, nil
}
