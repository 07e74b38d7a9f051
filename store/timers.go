package store

import (
	"context"
	"fmt"
	"time"
)

// Timer is a persisted deadline for a chat (inactivity reminder,
// auto-close, the end of an undo window...). There is at most one per
// (Chat, Line, Kind).
type Timer struct {
	Chat string
	Line string // the WhatsApp line whose runtime fires it (LineName)
	Kind string
	Due  time.Time
	Arg  string // what the timer's kind needs to know when due, if anything
}

const timerCols = `chat, line, kind, due, arg`

func scanTimer(s rowScanner) (Timer, error) {
	var t Timer
	var due int64
	if err := s.Scan(&t.Chat, &t.Line, &t.Kind, &due, &t.Arg); err != nil {
		return Timer{}, err
	}
	t.Due = fromMillis(due)
	return t, nil
}

// A timer's wake is when the timer loop must look at it: its due time,
// or an earlier one. Moving a timer later (every customer message pushes
// the inactivity reminder back) leaves its wake where it was, so the
// update changes no indexed column: on PostgreSQL a HOT update, which
// writes no index entry, where moving the indexed due time wrote two. At
// the old wake the chat's worker finds the timer not due yet and moves
// its wake up to its due time (RearmTimers), once for all the moves
// since.
const setTimerSQL = `INSERT INTO timers (` + timerCols + `, wake)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (chat, line, kind) DO UPDATE SET due = excluded.due, arg = excluded.arg,
    wake = CASE WHEN excluded.due < timers.wake THEN excluded.due ELSE timers.wake END`

// SetTimer inserts or moves the timer (t.Chat, t.Line, t.Kind).
func (tx *Tx) SetTimer(ctx context.Context, t Timer) error {
	due := millis(t.Due)
	if err := tx.writeRowLater(ctx, "timers", timerRow(t.Chat, t.Line, t.Kind), setTimerSQL, t.Chat, t.Line, t.Kind, due, t.Arg, due); err != nil {
		return fmt.Errorf("set timer %s: %w", t.Kind, err)
	}
	return nil
}

const rearmTimersSQL = `UPDATE timers SET wake = due WHERE chat = ? AND line = ? AND wake <= ? AND due > ?`

// RearmTimers moves the wake of chat's timers on line that the loop
// looked at by now but that are not due yet (moved later since their
// wake) to their due time.
func (tx *Tx) RearmTimers(ctx context.Context, line, chat string, now time.Time) error {
	at := millis(now)
	if err := tx.writeLater(ctx, "timers", rearmTimersSQL, chat, line, at, at); err != nil {
		return fmt.Errorf("rearm timers: %w", err)
	}
	return nil
}

// timerRow is the key of a timer's row, so that a turn's writes of two
// timers of its chat (the close timer deleted, the reminder set) go in
// one statement on PostgreSQL; with kind "", of all the chat's timers.
func timerRow(chat, line, kind string) string { return chat + "\x00" + line + "\x00" + kind }

const deleteTimerSQL = `DELETE FROM timers WHERE chat = ? AND line = ? AND kind = ?`

// DeleteTimer removes the timer (chat, line, kind); a missing timer is not
// an error.
func (tx *Tx) DeleteTimer(ctx context.Context, line, chat, kind string) error {
	if err := tx.writeRowLater(ctx, "timers", timerRow(chat, line, kind), deleteTimerSQL, chat, line, kind); err != nil {
		return fmt.Errorf("delete timer %s: %w", kind, err)
	}
	return nil
}

const clearTimersSQL = `DELETE FROM timers WHERE chat = ? AND line = ? AND kind <> ?`

// ClearTimers removes every timer of chat on line but the one of kind keep
// ("" keeps none).
func (tx *Tx) ClearTimers(ctx context.Context, line, chat, keep string) error {
	if err := tx.writeRowLater(ctx, "timers", timerRow(chat, line, ""), clearTimersSQL, chat, line, keep); err != nil {
		return fmt.Errorf("clear timers: %w", err)
	}
	return nil
}

const timersSQL = `SELECT ` + timerCols + ` FROM timers WHERE chat = ? AND line = ? ORDER BY due, kind`

// Timers returns the timers of chat on line, earliest first.
func (tx *Tx) Timers(ctx context.Context, line, chat string) ([]Timer, error) {
	ts, err := queryAll(ctx, tx, scanTimer, timersSQL, chat, line)
	if err != nil {
		return nil, fmt.Errorf("timers: %w", err)
	}
	return ts, nil
}

// dueTimersSQL reads the wake index: a timer is due only after its wake
// (wake <= due), so the timers due by now are among those woken by now.
const dueTimersSQL = `SELECT ` + timerCols + ` FROM timers
WHERE line = ? AND wake <= ? AND due <= ?
ORDER BY due, chat, kind
LIMIT ?`

// DueTimers returns up to limit timers of line due at or before now, by
// due time then chat; limit <= 0 returns all.
func (tx *Tx) DueTimers(ctx context.Context, line string, now time.Time, limit int) ([]Timer, error) {
	at := millis(now)
	ts, err := queryAll(ctx, tx, scanTimer, dueTimersSQL, line, at, at, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	return ts, nil
}

const wakeChatsSQL = `SELECT DISTINCT chat FROM (SELECT chat FROM timers
WHERE line = ? AND wake <= ?
ORDER BY wake, chat, kind
LIMIT ?) AS w ORDER BY chat`

// WakeChats returns the chats of line with a timer whose wake has come
// by now (up to limit timers; limit <= 0 reads all): a due timer, or one
// moved later since, whose wake the chat's worker moves (RearmTimers).
func (tx *Tx) WakeChats(ctx context.Context, line string, now time.Time, limit int) ([]string, error) {
	chats, err := queryAll(ctx, tx, scanString, wakeChatsSQL, line, millis(now), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("timers to look at: %w", err)
	}
	return chats, nil
}

const nextWakeSQL = `SELECT wake FROM timers WHERE line = ? ORDER BY wake LIMIT 1`

// NextWake returns when the timer loop must next look at line's timers
// (the earliest wake; the timer may turn out not due yet), or
// ErrNotFound when line has none.
func (tx *Tx) NextWake(ctx context.Context, line string) (time.Time, error) {
	var at int64
	if err := tx.queryRow(ctx, nextWakeSQL, line).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("next timer: %w", notFound(err))
	}
	return fromMillis(at), nil
}
