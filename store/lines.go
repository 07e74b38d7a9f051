package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Several WhatsApp lines (numbers) may share one store (migration 0015).
// A line is named by its number's digits with the country code
// ("554735121777"), as LineName makes them. Every row of a chat carries
// its line: a conversation is a (chat, line) pair, and what the runtime of
// one line reads (the inbox, outbox, timers and downloads waiting) is its
// own line's only. Customers are people: one row whoever they wrote to.

// LineName returns the digits of phone: a line's name in the store.
func LineName(phone string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
}

// Rows stored before lines existed have line ”. The first line that
// starts on the store adopts them, once: the setting adoptedBySetting
// records which, so a line added later never takes them. (The flows'
// attachments, media rows without a chat, belong to no line, and
// tombstones (see dropRows) have no chat either.)
const (
	adoptedBySetting = "lines_adopted_by"

	startLineSQL  = `INSERT INTO lines (line, started_at) VALUES (?, ?) ON CONFLICT (line) DO NOTHING`
	adoptRowsSQL  = `INSERT INTO settings (name, value, updated_at) VALUES ('` + adoptedBySetting + `', ?, ?) ON CONFLICT (name) DO NOTHING`
	adoptedBySQL  = `SELECT value FROM settings WHERE name = '` + adoptedBySetting + `'`
	adoptTableSQL = `UPDATE %s SET line = ? WHERE line = '' AND chat <> ''`
	linesSQL      = `SELECT line FROM lines ORDER BY started_at, line`
)

// lineTables are the tables whose rows carry their line.
var lineTables = []string{"conversations", "inbox", "outbox", "timers", "tickets", "media"}

// StartLine records that line runs on this store and, if it is the first
// line to start here, makes the rows stored before lines existed its own.
// It returns the line that adopted them (line itself, or one before it).
// Every process calls it when it starts, before any work of its line.
func (tx *Tx) StartLine(ctx context.Context, line string, now time.Time) (adoptedBy string, err error) {
	if line == "" {
		return "", errors.New("start line: a line needs a number")
	}
	if _, err := tx.exec(ctx, startLineSQL, line, millis(now)); err != nil {
		return "", fmt.Errorf("start line: %w", err)
	}
	// Two lines starting at once on PostgreSQL: the second's insert waits
	// for the first's commit, then does nothing.
	n, err := affected(tx.exec(ctx, adoptRowsSQL, line, millis(now)))
	if err != nil {
		return "", fmt.Errorf("start line: %w", err)
	}
	if n == 0 {
		if err := tx.queryRow(ctx, adoptedBySQL).Scan(&adoptedBy); err != nil {
			return "", fmt.Errorf("start line: %w", err)
		}
		return adoptedBy, nil
	}
	for _, table := range lineTables {
		if _, err := tx.exec(ctx, fmt.Sprintf(adoptTableSQL, table), line); err != nil {
			return "", fmt.Errorf("start line: adopt %s: %w", table, err)
		}
	}
	return line, nil
}

// Lines returns the lines that ever started on this store, the first
// first.
func (tx *Tx) Lines(ctx context.Context) ([]string, error) {
	ls, err := queryAll(ctx, tx, scanString, linesSQL)
	if err != nil {
		return nil, fmt.Errorf("lines: %w", err)
	}
	return ls, nil
}
