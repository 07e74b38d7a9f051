package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event is one of the console's live events (a ticket's queue, transcript
// or status changed), as processes sharing a PostgreSQL store pass them to
// each other: written to the events table and announced on eventsChannel
// in the same transaction, so an event is heard only once committed, and
// heard by every process in commit order.
type Event struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Ticket int64     `json:"ticket,omitempty"`
	Chat   string    `json:"chat,omitempty"`
	Agent  string    `json:"agent,omitempty"`
	Line   string    `json:"line,omitempty"` // the ticket's line (LineName)
}

// eventsChannel is the NOTIFY channel; a notification carries the JSON of
// one batch of events (well under PostgreSQL's 8,000-byte payload limit:
// see maxNotify).
const eventsChannel = "suporte_events"

// maxNotify bounds the events of one notification.
const maxNotify = 32

const eventCols = `id, at, kind, ticket, chat, agent, line`

func scanEvent(s rowScanner) (Event, error) {
	var e Event
	var at int64
	if err := s.Scan(&e.ID, &at, &e.Kind, &e.Ticket, &e.Chat, &e.Agent, &e.Line); err != nil {
		return Event{}, err
	}
	e.At = fromMillis(at)
	return e, nil
}

const addEventSQL = `INSERT INTO events (at, kind, ticket, chat, agent, line, created_at)
VALUES (?, ?, ?, ?, ?, ?, ` + nowMark + `)
RETURNING id`

const notifySQL = `SELECT pg_notify('` + eventsChannel + `', ?)`

// AddEvents stores evs, sets their ids and, on PostgreSQL, announces them
// to every process listening (Listen) once the Update commits.
func (tx *Tx) AddEvents(ctx context.Context, evs []Event) error {
	q := tx.clock(addEventSQL)
	for i := range evs {
		e := &evs[i]
		var err error
		if e.ID, err = tx.insert(ctx, q, millis(e.At), e.Kind, e.Ticket, e.Chat, e.Agent, e.Line); err != nil {
			return fmt.Errorf("add events: %w", err)
		}
	}
	if !tx.d.postgres {
		return nil
	}
	for len(evs) > 0 {
		n := min(len(evs), maxNotify)
		b, err := json.Marshal(evs[:n])
		if err != nil {
			return fmt.Errorf("add events: %w", err)
		}
		if _, err := tx.exec(ctx, notifySQL, string(b)); err != nil {
			return fmt.Errorf("announce events: %w", err)
		}
		evs = evs[n:]
	}
	return nil
}

const eventsAfterSQL = `SELECT ` + eventCols + ` FROM events WHERE id > ? ORDER BY id LIMIT ?`

// EventsAfter returns up to limit events with an id above after, oldest
// first: what a console missed while it was away.
func (tx *Tx) EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error) {
	es, err := queryAll(ctx, tx, scanEvent, eventsAfterSQL, after, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("events after %d: %w", after, err)
	}
	return es, nil
}

const lastEventSQL = `SELECT COALESCE(MAX(id), 0) FROM events`

// LastEvent returns the newest event's id, 0 if none.
func (tx *Tx) LastEvent(ctx context.Context) (int64, error) {
	var id int64
	if err := tx.queryRow(ctx, lastEventSQL).Scan(&id); err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return id, nil
}

const pruneEventsSQL = `DELETE FROM events WHERE created_at < ` + nowMark + ` - ?`

// PruneEvents deletes the events older than keep (by the database's
// clock) and returns how many.
func (tx *Tx) PruneEvents(ctx context.Context, keep time.Duration) (int, error) {
	n, err := affected(tx.exec(ctx, tx.clock(pruneEventsSQL), keep.Milliseconds()))
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return n, nil
}

// catchUpWindow is how far below the last id heard a catch-up looks: ids
// are handed out before commit, so an event with a lower id than one
// already heard may commit later (another process's batch).
const catchUpWindow = 256

// listenWait is Listen's pause before it connects again after a break, a
// second; false if ctx ended first. A test's outage counts the attempts
// through it.
var listenWait = func(ctx context.Context) bool {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ErrNoListen is Listen's answer on SQLite, whose store only this process
// uses: its events need no passing on.
var ErrNoListen = errors.New("listen: only a PostgreSQL store is shared")

// Listen hears the events every process sharing the store adds, on a
// connection of its own (LISTEN), and calls fn with each batch in commit
// order, until ctx ends. When the connection breaks it connects again
// after a pause and first hands fn what was added meanwhile (from the
// events table), so nothing is missed; fn sees each event once, however
// the catch-up and the notifications overlap, and must not block.
// reconnected, if not nil, is told of each new connection after a break
// (not of the attempts that failed while the server was away).
func (db *DB) Listen(ctx context.Context, fn func([]Event), reconnected func()) error {
	if !db.d.postgres {
		return ErrNoListen
	}
	d := delivered{ids: map[int64]struct{}{}}
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		d.high, err = tx.LastEvent(ctx)
		return err
	})
	if err != nil {
		return err
	}
	listening := func() {}
	for first := true; ; first = false {
		if !first {
			if reconnected != nil {
				broken := true
				listening = func() {
					if broken {
						broken = false
						reconnected()
					}
				}
			}
			if !listenWait(ctx) {
				return nil
			}
		}
		err := db.listen(ctx, &d, fn, listening)
		if ctx.Err() != nil {
			return nil
		}
		_ = err // the next connection catches up
	}
}

// delivered is what a listener handed over, so that nothing is handed
// over twice: a catch-up reads again events already heard, and hears
// again, as notifications, events it has just read. An event commits at
// most catchUpWindow ids after its id was handed out (the catch-up's
// premise), so one that comes with an id that far below the highest
// delivered is one delivered before, and only the ids above that need
// remembering.
type delivered struct {
	high int64              // the highest id delivered
	ids  map[int64]struct{} // the ids delivered above high-catchUpWindow
}

// fresh returns the events of evs not delivered yet, in their order, and
// counts them delivered.
func (d *delivered) fresh(evs []Event) []Event {
	var out []Event
	high := d.high
	for _, e := range evs {
		if _, ok := d.ids[e.ID]; ok || e.ID <= d.high-catchUpWindow {
			continue
		}
		d.ids[e.ID] = struct{}{}
		high = max(high, e.ID)
		out = append(out, e)
	}
	if high != d.high {
		d.high = high
		for id := range d.ids {
			if id <= high-catchUpWindow {
				delete(d.ids, id)
			}
		}
	}
	return out
}

// deliver hands fn the events of evs it has not had.
func (d *delivered) deliver(evs []Event, fn func([]Event)) {
	if evs = d.fresh(evs); len(evs) > 0 {
		fn(evs)
	}
}

// listen holds one LISTEN connection until it breaks or ctx ends; it
// calls listening once it listens.
func (db *DB) listen(ctx context.Context, d *delivered, fn func([]Event), listening func()) error {
	conn, err := pgx.Connect(ctx, db.path)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+eventsChannel); err != nil {
		return err
	}
	listening()
	// Listening now: whatever was added since the last event heard is in
	// the table. Ids are handed out before commit, so events of other
	// processes may commit after a higher id was heard: look a little
	// further back.
	from := max(0, d.high-catchUpWindow)
	for {
		var missed []Event
		err := db.View(ctx, func(tx *Tx) error {
			var err error
			missed, err = tx.EventsAfter(ctx, from, 1000)
			return err
		})
		if err != nil {
			return err
		}
		if len(missed) == 0 {
			break
		}
		from = missed[len(missed)-1].ID
		d.deliver(missed, fn)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var evs []Event
		if err := json.Unmarshal([]byte(n.Payload), &evs); err != nil || len(evs) == 0 {
			continue // not ours
		}
		d.deliver(evs, fn)
	}
}

// EventID parses a Last-Event-ID header; 0 when absent or malformed.
func EventID(s string) int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}
