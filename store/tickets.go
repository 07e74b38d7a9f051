package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Ticket statuses.
const (
	StatusAberto     = "aberto"
	StatusAguardando = "aguardando_resposta"
	StatusResolvido  = "resolvido"
)

// Ticket is a "chamado": its ID is also the protocol number customers see.
type Ticket struct {
	ID             int64
	Chat           string
	Line           string // the WhatsApp line the customer wrote to (LineName); never changes
	Requester      string // customer's name as known (push name) or chat
	IDSuporte      string
	Topic          string    // flow node id / label chosen
	Status         string    // StatusAberto, StatusAguardando or StatusResolvido
	QueuedAt       time.Time // zero unless waiting in the human queue
	Agent          string    // agent id, "" if none
	CreatedAt      time.Time
	LastActivityAt time.Time
	ClosedAt       time.Time
	CloseReason    string

	ClaimedAt        time.Time // when an agent took it from the queue
	FirstResponseAt  time.Time // the first agent message to the customer
	EscalatedAt      time.Time // sent to the product team
	EscalationDue    time.Time // the return time promised to the customer
	QueueNotifiedAt  time.Time // last queue-position message to the customer
	QueueNotifiedPos int       // the position that message told
}

func validStatus(s string) error {
	switch s {
	case StatusAberto, StatusAguardando, StatusResolvido:
		return nil
	}
	return fmt.Errorf("invalid ticket status %q", s)
}

const ticketCols = `id, chat, line, requester, id_suporte, topic, status, queued_at, agent, created_at, last_activity_at, closed_at, close_reason,
claimed_at, first_response_at, escalated_at, escalation_due, queue_notified_at, queue_notified_pos`

func scanTicket(s rowScanner) (Ticket, error) {
	var t Ticket
	var queued, created, activity, closed, claimed, first, escalated, due, notified int64
	err := s.Scan(&t.ID, &t.Chat, &t.Line, &t.Requester, &t.IDSuporte, &t.Topic, &t.Status, &queued,
		&t.Agent, &created, &activity, &closed, &t.CloseReason,
		&claimed, &first, &escalated, &due, &notified, &t.QueueNotifiedPos)
	if err != nil {
		return Ticket{}, err
	}
	t.QueuedAt, t.CreatedAt = fromMillis(queued), fromMillis(created)
	t.LastActivityAt, t.ClosedAt = fromMillis(activity), fromMillis(closed)
	t.ClaimedAt, t.FirstResponseAt = fromMillis(claimed), fromMillis(first)
	t.EscalatedAt, t.EscalationDue, t.QueueNotifiedAt = fromMillis(escalated), fromMillis(due), fromMillis(notified)
	return t, nil
}

const createTicketSQL = `INSERT INTO tickets (chat, line, requester, id_suporte, topic, status, queued_at, agent, created_at, last_activity_at, closed_at, close_reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`

// createTicketPGSQL is createTicketSQL with its id taken ahead
// (ticketIDSQL), a write the writer may queue.
const createTicketPGSQL = `INSERT INTO tickets (id, chat, line, requester, id_suporte, topic, status, queued_at, agent, created_at, last_activity_at, closed_at, close_reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// ticketIDSQL takes the next id of the tickets' sequence.
const ticketIDSQL = `SELECT nextval((SELECT CAST(pg_get_serial_sequence('tickets', 'id') AS regclass)))`

// CreateTicket stores t (its ID is ignored) and returns the new ticket id,
// which is also its protocol number: ids start at 100001.
//
// On PostgreSQL's writer the id comes first, from the sequence alone,
// and the ticket's insert is queued: a read of the new id after the
// queued writes split a busy batch's run of turns (every conversation
// opens a ticket), where the writes of its turns share statements.
func (tx *Tx) CreateTicket(ctx context.Context, t Ticket) (int64, error) {
	if err := validStatus(t.Status); err != nil {
		return 0, fmt.Errorf("create ticket: %w", err)
	}
	args := []any{t.Chat, t.Line, t.Requester, t.IDSuporte, t.Topic, t.Status, millis(t.QueuedAt), t.Agent,
		millis(t.CreatedAt), millis(t.LastActivityAt), millis(t.ClosedAt), t.CloseReason}
	var id int64
	var err error
	if tx.pg != nil {
		if err = tx.aside(ctx, ticketIDSQL).Scan(&id); err == nil {
			err = tx.writeRowLater(ctx, "tickets", strconv.FormatInt(id, 10), createTicketPGSQL, append([]any{id}, args...)...)
		}
	} else {
		id, err = tx.insert(ctx, createTicketSQL, args...)
	}
	if err != nil {
		return 0, fmt.Errorf("create ticket: %w", err)
	}
	return id, tx.indexText(ctx, id, t.Requester)
}

const ticketSQL = `SELECT ` + ticketCols + ` FROM tickets WHERE id = ?`

// Ticket returns ticket id, or ErrNotFound.
func (tx *Tx) Ticket(ctx context.Context, id int64) (Ticket, error) {
	t, err := scanTicket(tx.queryRow(ctx, ticketSQL, id))
	if err != nil {
		return Ticket{}, fmt.Errorf("load ticket %d: %w", id, notFound(err))
	}
	return t, nil
}

// ticketSets are the columns an update of a ticket may set, in the order
// of its statement, each with its value in a Ticket.
var ticketSets = []struct {
	col string
	val func(*Ticket) any
}{
	{"chat", func(t *Ticket) any { return t.Chat }},
	{"requester", func(t *Ticket) any { return t.Requester }},
	{"id_suporte", func(t *Ticket) any { return t.IDSuporte }},
	{"topic", func(t *Ticket) any { return t.Topic }},
	{"status", func(t *Ticket) any { return t.Status }},
	{"queued_at", func(t *Ticket) any { return millis(t.QueuedAt) }},
	{"agent", func(t *Ticket) any { return t.Agent }},
	{"created_at", func(t *Ticket) any { return millis(t.CreatedAt) }},
	{"last_activity_at", func(t *Ticket) any { return millis(t.LastActivityAt) }},
	{"closed_at", func(t *Ticket) any { return millis(t.ClosedAt) }},
	{"close_reason", func(t *Ticket) any { return t.CloseReason }},
	{"claimed_at", func(t *Ticket) any { return millis(t.ClaimedAt) }},
	{"first_response_at", func(t *Ticket) any { return millis(t.FirstResponseAt) }},
	{"escalated_at", func(t *Ticket) any { return millis(t.EscalatedAt) }},
	{"escalation_due", func(t *Ticket) any { return millis(t.EscalationDue) }},
	{"queue_notified_at", func(t *Ticket) any { return millis(t.QueueNotifiedAt) }},
	{"queue_notified_pos", func(t *Ticket) any { return t.QueueNotifiedPos }},
}

// ticketUpdates caches the text of each update of ticketSets' columns,
// by the bits of those it sets.
var ticketUpdates sync.Map

// UpdateTicket overwrites ticket t.ID with t, but for its line, which
// stays. ErrNotFound if missing: on PostgreSQL's writer it may fail the
// Update instead (affectLater).
func (tx *Tx) UpdateTicket(ctx context.Context, t Ticket) error {
	return tx.updateTicket(ctx, nil, t)
}

// ChangeTicket writes the columns of ticket after.ID in which after
// differs from before, the ticket as read in this Update. SQLite rewrites
// every index on a column an UPDATE sets, changed or not, and a turn
// mostly changes columns no index holds. Nothing differing, it writes
// nothing. ErrNotFound as for UpdateTicket.
func (tx *Tx) ChangeTicket(ctx context.Context, before, after Ticket) error {
	return tx.updateTicket(ctx, &before, after)
}

// updateTicket writes the columns of t that differ from before, or all
// of them when before is nil.
func (tx *Tx) updateTicket(ctx context.Context, before *Ticket, t Ticket) error {
	if err := validStatus(t.Status); err != nil {
		return fmt.Errorf("update ticket %d: %w", t.ID, err)
	}
	var set uint32
	args := make([]any, 0, len(ticketSets)+1)
	for i, c := range ticketSets {
		v := c.val(&t)
		if before != nil && v == c.val(before) {
			continue
		}
		set |= 1 << i
		args = append(args, v)
	}
	if set == 0 {
		return nil
	}
	query, ok := ticketUpdates.Load(set)
	if !ok {
		var cols []string
		for i, c := range ticketSets {
			if set&(1<<i) != 0 {
				cols = append(cols, c.col+" = ?")
			}
		}
		query, _ = ticketUpdates.LoadOrStore(set, "UPDATE tickets SET "+strings.Join(cols, ", ")+" WHERE id = ?")
	}
	return tx.affectLater(ctx, "tickets", strconv.FormatInt(t.ID, 10), fmt.Sprintf("update ticket %d", t.ID), query.(string), append(args, t.ID)...)
}

const ticketsByChatSQL = `SELECT ` + ticketCols + ` FROM tickets
WHERE chat = ? AND (line = ? OR CAST(? AS TEXT) = '*')
ORDER BY id DESC
LIMIT ?`

// AllLines, given as a line to the reads that take one and say so, reads
// every line's rows.
const AllLines = "*"

// TicketsByChat returns up to limit tickets of chat on line (AllLines:
// on every line), newest first; limit <= 0 returns all.
func (tx *Tx) TicketsByChat(ctx context.Context, line, chat string, limit int) ([]Ticket, error) {
	ts, err := queryAll(ctx, tx, scanTicket, ticketsByChatSQL, chat, line, line, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("tickets by chat: %w", err)
	}
	return ts, nil
}

// queueWaiting is the condition of a ticket waiting for an agent: queued,
// no agent, not resolved. The tickets_waiting index (migration 0005) has
// the same condition, so that counts of the line read the index alone.
const queueWaiting = `queued_at > 0 AND agent = '' AND status <> 'resolvido'`

const queuedTicketsSQL = `SELECT ` + ticketCols + ` FROM tickets
WHERE ` + queueWaiting + `
ORDER BY queued_at, id`

// QueuedTickets returns the tickets waiting for an agent (queued, no agent,
// not resolved), longest waiting first.
func (tx *Tx) QueuedTickets(ctx context.Context) ([]Ticket, error) {
	ts, err := queryAll(ctx, tx, scanTicket, queuedTicketsSQL)
	if err != nil {
		return nil, fmt.Errorf("queued tickets: %w", err)
	}
	return ts, nil
}

const ticketsByStatusSQL = `SELECT ` + ticketCols + ` FROM tickets
WHERE status = ?
ORDER BY id DESC
LIMIT ?`

// TicketsByStatus returns up to limit tickets with status, newest first;
// limit <= 0 returns all.
func (tx *Tx) TicketsByStatus(ctx context.Context, status string, limit int) ([]Ticket, error) {
	if err := validStatus(status); err != nil {
		return nil, fmt.Errorf("tickets by status: %w", err)
	}
	ts, err := queryAll(ctx, tx, scanTicket, ticketsByStatusSQL, status, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("tickets by status %s: %w", status, err)
	}
	return ts, nil
}

// TicketEvent is one line of a ticket's transcript or history.
type TicketEvent struct {
	ID     int64
	Ticket int64
	At     time.Time
	Kind   string // "customer", "bot", "agent", "note", "status", "system"
	Actor  string
	Text   string
	Media  int64 // the file this line shows, if any
}

const ticketEventCols = `id, ticket, at, kind, actor, text, media`

func scanTicketEvent(s rowScanner) (TicketEvent, error) {
	var e TicketEvent
	var at int64
	if err := s.Scan(&e.ID, &e.Ticket, &at, &e.Kind, &e.Actor, &e.Text, &e.Media); err != nil {
		return TicketEvent{}, err
	}
	e.At = fromMillis(at)
	return e, nil
}

const addTicketEventSQL = `INSERT INTO ticket_events (ticket, at, kind, actor, text, media)
VALUES (?, ?, ?, ?, ?, ?)
RETURNING id`

// AddTicketEvent appends e to the history of ticket e.Ticket and returns its
// id. A customer's, agent's or note line's words go to the search index.
func (tx *Tx) AddTicketEvent(ctx context.Context, e TicketEvent) (int64, error) {
	id, err := tx.insert(ctx, addTicketEventSQL, e.Ticket, millis(e.At), e.Kind, e.Actor, e.Text, e.Media)
	if err != nil {
		return 0, fmt.Errorf("add ticket %d event: %w", e.Ticket, err)
	}
	if searchedKind(e.Kind) {
		return id, tx.indexText(ctx, e.Ticket, e.Text)
	}
	return id, nil
}

const addTicketEventNoIDSQL = `INSERT INTO ticket_events (ticket, at, kind, actor, text, media)
VALUES (?, ?, ?, ?, ?, ?)`

// AddTicketEvents appends events as AddTicketEvent appends each, without
// returning their ids: on PostgreSQL the writes are queued, sent with the
// next statement that needs an answer, the events in one statement and
// their search terms in another.
func (tx *Tx) AddTicketEvents(ctx context.Context, events []TicketEvent) error {
	if tx.pg != nil {
		return tx.addTicketEventsPG(ctx, events)
	}
	for _, e := range events {
		if err := tx.execLater(ctx, addTicketEventNoIDSQL, e.Ticket, millis(e.At), e.Kind, e.Actor, e.Text, e.Media); err != nil {
			return fmt.Errorf("add ticket %d event: %w", e.Ticket, err)
		}
		if searchedKind(e.Kind) {
			if err := tx.indexText(ctx, e.Ticket, e.Text); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tx *Tx) addTicketEventsPG(ctx context.Context, events []TicketEvent) error {
	if len(events) == 0 {
		return nil
	}
	args := make([]any, 0, 6*len(events))
	var terms termRows
	for _, e := range events {
		args = append(args, e.Ticket, millis(e.At), e.Kind, e.Actor, e.Text, e.Media)
		if searchedKind(e.Kind) {
			terms.add(e.Ticket, e.Text)
		}
	}
	q := `INSERT INTO ticket_events (ticket, at, kind, actor, text, media) VALUES ` + rows(len(events), 6)
	if err := tx.addLater(ctx, "ticket_events", q, args...); err != nil {
		return fmt.Errorf("add ticket %d events: %w", events[0].Ticket, err)
	}
	return terms.write(ctx, tx)
}

const ticketEventsSQL = `SELECT * FROM (
    SELECT ` + ticketEventCols + ` FROM ticket_events WHERE ticket = ? ORDER BY id DESC LIMIT ?
) AS recent
ORDER BY id`

// TicketEvents returns the history of ticket, oldest first. With limit > 0
// it returns only the newest limit events, still oldest first.
func (tx *Tx) TicketEvents(ctx context.Context, ticket int64, limit int) ([]TicketEvent, error) {
	es, err := queryAll(ctx, tx, scanTicketEvent, ticketEventsSQL, ticket, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("ticket %d events: %w", ticket, err)
	}
	return es, nil
}

const ticketsByAgentSQL = `SELECT ` + ticketCols + ` FROM tickets
WHERE agent = ? AND status <> 'resolvido'
ORDER BY id`

// TicketsByAgent returns the unresolved tickets assigned to agent, oldest first.
func (tx *Tx) TicketsByAgent(ctx context.Context, agent string) ([]Ticket, error) {
	ts, err := queryAll(ctx, tx, scanTicket, ticketsByAgentSQL, agent)
	if err != nil {
		return nil, fmt.Errorf("tickets by agent: %w", err)
	}
	return ts, nil
}

// recentClaimsSQL ends with its limit, written into the text: given as a
// parameter, PostgreSQL planned the query anew at every handoff (87 µs,
// against 4 µs to run it), since a plan for any limit must reckon with
// reading many rows.
const recentClaimsSQL = `SELECT ` + ticketCols + ` FROM tickets
WHERE claimed_at > 0
ORDER BY claimed_at DESC
LIMIT `

// RecentClaims returns the limit tickets most recently taken by an agent,
// newest first: the sample for honest queue wait estimates.
func (tx *Tx) RecentClaims(ctx context.Context, limit int) ([]Ticket, error) {
	ts, err := queryAll(ctx, tx, scanTicket, recentClaimsSQL+strconv.FormatInt(sqlLimit(limit), 10))
	if err != nil {
		return nil, fmt.Errorf("recent claims: %w", err)
	}
	return ts, nil
}

// queueAheadSQL counts the waiting tickets ahead of one: the queue's size,
// the sum the tickets' triggers keep (migrations 0020 and 0021), less the
// waiting tickets at or behind it, itself included if written. At a
// handoff the customer is last: where counting those ahead read the whole
// queue (about 1 ms a handoff on PostgreSQL with 5,000 waiting, 0.17 ms on
// SQLite), this reads about one entry.
//
// The bounds come before queueWaiting's own queued_at > 0, and the tie
// is written without OR: SQLite starts its range at the first lower bound
// it meets and reads an OR as a second range, either of which read the
// whole queue again (0.1 ms with 5,000 waiting, against 2 µs).
const queueAheadSQL = `SELECT (SELECT COALESCE(SUM(n), 0) FROM queue_counts) - (SELECT COUNT(*) FROM tickets
WHERE queued_at >= ? AND NOT (queued_at = ? AND id < ?) AND ` + queueWaiting + `)`

// QueueAhead counts the tickets waiting in the queue ahead of one queued at
// queuedAt with that id (which need not be written yet).
func (tx *Tx) QueueAhead(ctx context.Context, id int64, queuedAt time.Time) (int, error) {
	var n int
	at := millis(queuedAt)
	if err := tx.queryRow(ctx, queueAheadSQL, at, at, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("queue ahead of %d: %w", id, err)
	}
	return n, nil
}

// foldQueueCountsSQL folds the queue_counts rows of server processes gone
// into row 0, so that the sum reads few rows (PostgreSQL).
const foldQueueCountsSQL = `WITH gone AS (
    DELETE FROM queue_counts
    WHERE backend <> 0 AND backend NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
    RETURNING n
)
UPDATE queue_counts SET n = n + (SELECT COALESCE(SUM(n), 0) FROM gone) WHERE backend = 0`

const botLinesSQL = `SELECT id, created_at, text, media FROM outbox WHERE ticket = ? AND author = 'bot' ORDER BY id`

// Transcript is a ticket's whole story for people to read: its events
// merged with what the bot said, which lives in the outbox only (writing
// every bot text twice would double the busiest writes).
func (tx *Tx) Transcript(ctx context.Context, ticket int64) ([]TicketEvent, error) {
	events, err := tx.TicketEvents(ctx, ticket, 0)
	if err != nil {
		return nil, err
	}
	bot, err := queryAll(ctx, tx, func(s rowScanner) (TicketEvent, error) {
		e := TicketEvent{Ticket: ticket, Kind: "bot", Actor: "bot"}
		var at int64
		err := s.Scan(&e.ID, &at, &e.Text, &e.Media)
		e.At = fromMillis(at)
		return e, err
	}, botLinesSQL, ticket)
	if err != nil {
		return nil, fmt.Errorf("ticket %d transcript: %w", ticket, err)
	}
	// A turn answers the customer's message at one instant: at equal times
	// the customer's line comes first, then the bot's, then everything else
	// (agents, notes, status), each kind in the order it was written.
	out := append(events, bot...)
	rank := func(e TicketEvent) int {
		switch e.Kind {
		case "customer":
			return 0
		case "bot":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b TicketEvent) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return rank(a) - rank(b)
	})
	return out, nil
}
