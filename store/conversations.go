package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Conversation is the bot's state for one chat (one row per chat,
// overwritten as the conversation moves).
type Conversation struct {
	Chat        string
	Line        string   // the WhatsApp line the chat writes to (LineName)
	State       string   // lifecycle state name (engine-defined)
	Node        string   // current flow node id
	Path        []string // node ids visited from the root menu, for "voltar"; nil if empty
	Ticket      int64    // current ticket, 0 if none
	Attempts    int      // wrong answers at the current question
	Intent      string   // what to do after the ID is known, engine-defined
	FlowVersion string
	StartedAt   time.Time
	UpdatedAt   time.Time
	PausedUntil time.Time // a person answered from the phone: the bot stays silent until then
	Subject     int64     // the ticket the customer is looking at in "Meus chamados"
}

const conversationCols = `chat, line, state, node, path, ticket, attempts, intent, flow_version, started_at, updated_at, paused_until, subject`

func scanConversation(s rowScanner) (Conversation, error) {
	var c Conversation
	var path string
	var started, updated, paused int64
	err := s.Scan(&c.Chat, &c.Line, &c.State, &c.Node, &path, &c.Ticket, &c.Attempts,
		&c.Intent, &c.FlowVersion, &started, &updated, &paused, &c.Subject)
	if err != nil {
		return Conversation{}, err
	}
	if path != "" {
		if err := json.Unmarshal([]byte(path), &c.Path); err != nil {
			return Conversation{}, fmt.Errorf("decode path: %w", err)
		}
	}
	if len(c.Path) == 0 {
		c.Path = nil
	}
	c.StartedAt, c.UpdatedAt, c.PausedUntil = fromMillis(started), fromMillis(updated), fromMillis(paused)
	return c, nil
}

const conversationSQL = `SELECT ` + conversationCols + ` FROM conversations WHERE chat = ? AND line = ?`

// ChatRows is what a turn starts from: a chat's conversation on a line,
// its customer, and the ticket the conversation names. The No fields say
// which rows are missing.
type ChatRows struct {
	Conversation Conversation
	Customer     Customer
	Ticket       Ticket
	Recent       int // InboxSince's count, when asked for

	NoConversation, NoCustomer, NoTicket bool
}

// Recent asks ChatRows for InboxSince's count too: the chat's messages
// since Since among its latest Max (a turn's flood check).
type Recent struct {
	Since time.Time
	Max   int
}

const conversationTicketSQL = `SELECT ` + ticketCols + ` FROM tickets
WHERE id = (SELECT ticket FROM conversations WHERE chat = ? AND line = ?)`

// ChatRows reads chat's conversation on line, its customer and the
// conversation's ticket, and with recent set counts its recent messages:
// on PostgreSQL in one round trip.
func (tx *Tx) ChatRows(ctx context.Context, line, chat string, recent *Recent) (ChatRows, error) {
	if r, ok := tx.openedRows(line, chat, recent); ok {
		return r, nil
	}
	var r ChatRows
	reads := r.reads(line, chat)
	if recent != nil {
		reads = append(reads, read{inboxSinceSQL, []any{line, chat, recent.Max, millis(recent.Since)},
			func(s rowScanner) error { return s.Scan(&r.Recent) }})
	}
	if tx.pg != nil {
		// One statement: each costs the server an executor's setup.
		q, args := chatRowsSQL, []any{chat, line, chat}
		if recent != nil {
			q, args = chatRowsRecentSQL, append(args, line, chat, recent.Max, millis(recent.Since))
		}
		parts := reads[:3]
		reads = []read{{q, args, func(s rowScanner) error { return r.scanJoined(s, parts, recent != nil) }}}
	}
	if err := tx.readAll(ctx, reads...); err != nil {
		return ChatRows{}, fmt.Errorf("load chat: %w", err)
	}
	return r, nil
}

// reads are ChatRows' reads of chat's conversation on line, its customer
// and the conversation's ticket, each scanning into r.
func (r *ChatRows) reads(line, chat string) []read {
	missing := func(no *bool, err error) error {
		if errors.Is(err, sql.ErrNoRows) {
			*no, err = true, nil
		}
		return err
	}
	return []read{
		{conversationSQL, []any{chat, line}, func(s rowScanner) (err error) {
			r.Conversation, err = scanConversation(s)
			return missing(&r.NoConversation, err)
		}},
		{customerSQL, []any{chat}, func(s rowScanner) (err error) {
			r.Customer, err = scanCustomer(s)
			return missing(&r.NoCustomer, err)
		}},
		{conversationTicketSQL, []any{chat, line}, func(s rowScanner) (err error) {
			r.Ticket, err = scanTicket(s)
			return missing(&r.NoTicket, err)
		}},
	}
}

// chatRowsSQL is ChatRows' reads as one row: the conversation's columns,
// the customer's and the ticket's, NULL where the row is missing.
const chatRowsSQL = `SELECT c.*, u.*, t.* FROM (SELECT 1 AS one) AS o
LEFT JOIN (SELECT ` + conversationCols + ` FROM conversations WHERE chat = ? AND line = ?) AS c ON 1 = 1
LEFT JOIN (SELECT ` + customerCols + ` FROM customers WHERE chat = ?) AS u ON 1 = 1
LEFT JOIN (SELECT ` + ticketCols + ` FROM tickets) AS t ON t.id = c.ticket`

// chatRowsRecentSQL is chatRowsSQL with inboxSinceSQL's count last.
const chatRowsRecentSQL = `SELECT c.*, u.*, t.*, n.* FROM (SELECT 1 AS one) AS o
LEFT JOIN (SELECT ` + conversationCols + ` FROM conversations WHERE chat = ? AND line = ?) AS c ON 1 = 1
LEFT JOIN (SELECT ` + customerCols + ` FROM customers WHERE chat = ?) AS u ON 1 = 1
LEFT JOIN (SELECT ` + ticketCols + ` FROM tickets) AS t ON t.id = c.ticket
LEFT JOIN (` + inboxSinceSQL + `) AS n ON 1 = 1`

// chatRowsWidths are the column counts of chatRowsSQL's parts.
var chatRowsWidths = [3]int{
	strings.Count(conversationCols, ",") + 1,
	strings.Count(customerCols, ",") + 1,
	strings.Count(ticketCols, ",") + 1,
}

// scanJoined reads a row of chatRowsSQL (chatRowsRecentSQL when recent):
// each part, whose first column is never NULL in its table, goes to the
// scan of its own read, as a row read alone would.
func (r *ChatRows) scanJoined(s rowScanner, parts []read, recent bool) error {
	n := chatRowsWidths[0] + chatRowsWidths[1] + chatRowsWidths[2]
	if recent {
		n++
	}
	vals := make([]any, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := s.Scan(dest...); err != nil {
		return err
	}
	at := 0
	for i, p := range parts {
		part := vals[at : at+chatRowsWidths[i]]
		at += chatRowsWidths[i]
		var err error
		if part[0] == nil {
			err = p.scan(errRow{sql.ErrNoRows})
		} else {
			err = p.scan(valuesRow(part))
		}
		if err != nil {
			return err
		}
	}
	if recent {
		return valuesRow(vals[at:]).Scan(&r.Recent)
	}
	return nil
}

// Conversation returns the conversation of chat on line, or ErrNotFound.
func (tx *Tx) Conversation(ctx context.Context, line, chat string) (Conversation, error) {
	c, err := scanConversation(tx.queryRow(ctx, conversationSQL, chat, line))
	if err != nil {
		return Conversation{}, fmt.Errorf("load conversation: %w", notFound(err))
	}
	return c, nil
}

const putConversationSQL = `INSERT INTO conversations (` + conversationCols + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (chat, line) DO UPDATE SET
    state = excluded.state,
    node = excluded.node,
    path = excluded.path,
    ticket = excluded.ticket,
    attempts = excluded.attempts,
    intent = excluded.intent,
    flow_version = excluded.flow_version,
    started_at = excluded.started_at,
    updated_at = excluded.updated_at,
    paused_until = excluded.paused_until,
    subject = excluded.subject`

// PutConversation inserts or replaces the conversation of c.Chat on c.Line.
func (tx *Tx) PutConversation(ctx context.Context, c Conversation) error {
	path := "[]"
	if len(c.Path) > 0 {
		b, err := json.Marshal(c.Path)
		if err != nil {
			return fmt.Errorf("put conversation: encode path: %w", err)
		}
		path = string(b)
	}
	err := tx.writeRowLater(ctx, "conversations", c.Chat+"\x00"+c.Line, putConversationSQL,
		c.Chat, c.Line, c.State, c.Node, path, c.Ticket, c.Attempts, c.Intent, c.FlowVersion,
		millis(c.StartedAt), millis(c.UpdatedAt), millis(c.PausedUntil), c.Subject)
	if err != nil {
		return fmt.Errorf("put conversation: %w", err)
	}
	return nil
}
