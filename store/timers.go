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

const setTimerSQL = `INSERT INTO timers (` + timerCols + `)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (chat, line, kind) DO UPDATE SET due = excluded.due, arg = excluded.arg`

// SetTimer inserts or moves the timer (t.Chat, t.Line, t.Kind).
func (tx *Tx) SetTimer(ctx context.Context, t Timer) error {
	if err := tx.writeLater(ctx, "timers", setTimerSQL, t.Chat, t.Line, t.Kind, millis(t.Due), t.Arg); err != nil {
		return fmt.Errorf("set timer %s: %w", t.Kind, err)
	}
	return nil
}

const deleteTimerSQL = `DELETE FROM timers WHERE chat = ? AND line = ? AND kind = ?`

// DeleteTimer removes the timer (chat, line, kind); a missing timer is not
// an error.
func (tx *Tx) DeleteTimer(ctx context.Context, line, chat, kind string) error {
	if err := tx.writeLater(ctx, "timers", deleteTimerSQL, chat, line, kind); err != nil {
		return fmt.Errorf("delete timer %s: %w", kind, err)
	}
	return nil
}

const clearTimersSQL = `DELETE FROM timers WHERE chat = ? AND line = ? AND kind <> ?`

// ClearTimers removes every timer of chat on line but the one of kind keep
// ("" keeps none).
func (tx *Tx) ClearTimers(ctx context.Context, line, chat, keep string) error {
	if err := tx.writeLater(ctx, "timers", clearTimersSQL, chat, line, keep); err != nil {
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

const dueTimersSQL = `SELECT ` + timerCols + ` FROM timers
WHERE line = ? AND due <= ?
ORDER BY due, chat, kind
LIMIT ?`

// DueTimers returns up to limit timers of line due at or before now, by
// due time then chat; limit <= 0 returns all.
func (tx *Tx) DueTimers(ctx context.Context, line string, now time.Time, limit int) ([]Timer, error) {
	ts, err := queryAll(ctx, tx, scanTimer, dueTimersSQL, line, millis(now), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	return ts, nil
}

const nextTimerSQL = `SELECT ` + timerCols + ` FROM timers WHERE line = ? ORDER BY due, chat, kind LIMIT 1`

// NextTimer returns the earliest timer of line, or ErrNotFound.
func (tx *Tx) NextTimer(ctx context.Context, line string) (Timer, error) {
	t, err := scanTimer(tx.queryRow(ctx, nextTimerSQL, line))
	if err != nil {
		return Timer{}, fmt.Errorf("next timer: %w", notFound(err))
	}
	return t, nil
}
