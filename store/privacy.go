package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The LGPD duties: keep personal data no longer than needed (Purge,
// RunRetention), and give a person a copy of their data or erase it
// (ExportPerson, DeletePerson).
//
// Purge keeps what the reports count: a resolved ticket past the limit
// stays with its times, status, topic, agent and rating, but loses
// everything that points to a person. Its chat becomes "anon:<ticket id>"
// (no hash of the chat: a hash of a phone number is still linkable), its
// requester, ID Suporte and feedback comment become empty, and its
// history keeps its lines (when, what kind, which agent) with the text
// replaced by Removed, except the lines the bot writes itself about the
// ticket (status changes, queue entries, transfers: the report reads
// NoteQueueEntered), which hold no one's words.

// ConversationClosed is the state of a chat with no conversation going on;
// the bot's stateClosed is this constant. An empty state is a chat that never
// had one. Retention leaves chats in any other state alone.
const ConversationClosed = "closed"

// Removed replaces the text of a purged ticket event.
const Removed = "[removido]"

// purgeBatch bounds the rows of each kind one Tx.Purge call changes, so a
// purge never holds the writer for long.
const purgeBatch = 500

// PurgeResult counts what a purge changed, or with dryRun would change.
type PurgeResult struct {
	Tickets       int // resolved tickets anonymized (kept for the reports)
	Events        int // lines of their history blanked
	Feedback      int // their ratings anonymized (kept, comment removed)
	Inbox         int // customer messages deleted
	Outbox        int // messages to customers deleted
	Customers     int // customers deleted
	Conversations int // conversation rows deleted
	Timers        int // timers deleted
	Media         int // files' rows deleted (the files go with Files.Sweep)

	// More reports that one Tx.Purge call stopped at its batch limit:
	// call it again (DB.Purge does).
	More bool
}

func (r *PurgeResult) add(o PurgeResult) {
	r.Tickets += o.Tickets
	r.Events += o.Events
	r.Feedback += o.Feedback
	r.Inbox += o.Inbox
	r.Outbox += o.Outbox
	r.Customers += o.Customers
	r.Conversations += o.Conversations
	r.Timers += o.Timers
	r.Media += o.Media
}

// The retention rules, as SQL conditions on the row x under test. Every ?
// in them is the limit in unix ms (see sameArgs). Each holds or not whatever
// order the batches run in, so a dry run's counts equal a real run's.
const (
	// activeChatX: x's chat has a conversation going on; nothing of it is touched.
	activeChatX = `EXISTS (SELECT 1 FROM conversations c WHERE c.chat = x.chat AND c.line = x.line AND c.state NOT IN ('', '` + ConversationClosed + `'))`

	// expiredTicketK: ticket k is resolved and idle since before the limit;
	// keptTicketK: it stays as it is (open, or active within the limit).
	expiredTicketK = `(k.status = 'resolvido' AND k.last_activity_at < ?)`
	keptTicketK    = `NOT ` + expiredTicketK

	// purgeTicketX: ticket x is resolved, idle since before the limit, not
	// yet anonymized, and its chat has no conversation going on.
	purgeTicketX = `x.status = 'resolvido' AND x.last_activity_at < ? AND x.chat <> ('anon:' || x.id) AND NOT ` + activeChatX

	// keepFromX: a chat's messages from this instant on stay: the limit,
	// or the start of its oldest kept ticket if earlier (an old open
	// ticket keeps its messages).
	keepFromX = `COALESCE((SELECT MIN(k.created_at) FROM tickets k WHERE k.chat = x.chat AND k.line = x.line AND ` + keptTicketK + ` AND k.created_at < ?), ?)`

	// purgeInboxX, purgeOutboxX: a handled (sent) message of a chat with no
	// conversation going on, older than what its chat keeps; a sent message
	// of a purged ticket goes whenever it was written (it names the
	// ticket). Rows with an empty chat are tombstones (see dropRows). The
	// plain comparison with the limit comes first: it spares most rows the
	// subqueries.
	purgeInboxX  = `x.received_at < ? AND x.done = 1 AND x.chat <> '' AND x.received_at < ` + keepFromX + ` AND NOT ` + activeChatX
	purgeOutboxX = `x.created_at < ? AND x.sent_at <> 0 AND x.chat <> ''
    AND (x.created_at < ` + keepFromX + ` OR EXISTS (SELECT 1 FROM tickets k WHERE k.id = x.ticket AND ` + expiredTicketK + `))
    AND NOT ` + activeChatX

	// purgeChatX: chat x shows no activity since the limit and has nothing
	// left that retention keeps, so its customer, conversation and timers go.
	purgeChatX = `x.chat <> ''
    AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.chat = x.chat AND (c.state NOT IN ('', '` + ConversationClosed + `') OR c.updated_at >= ?))
    AND NOT EXISTS (SELECT 1 FROM customers u WHERE u.chat = x.chat AND (u.created_at >= ? OR u.updated_at >= ?))
    AND NOT EXISTS (SELECT 1 FROM tickets k WHERE k.chat = x.chat AND ` + keptTicketK + `)
    AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.chat = x.chat AND (i.done = 0 OR i.received_at >= ?))
    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.chat = x.chat AND (o.sent_at = 0 OR o.created_at >= ?))
    AND NOT EXISTS (SELECT 1 FROM timers m WHERE m.chat = x.chat AND m.due >= ?)`
	purgeChatsFrom = `(SELECT chat FROM customers UNION SELECT chat FROM conversations) AS x`

	// keptEventKinds are the history lines whose text stays: the bot's own
	// notes on the ticket.
	keptEventKinds = `('status', 'system')`

	// eventChangesE: purging would change event e of ticket x.
	eventChangesE = `((e.kind NOT IN ` + keptEventKinds + ` AND e.text <> '` + Removed + `') OR e.actor = x.chat)`
)

const purgeCountSQL = `SELECT
    (SELECT COUNT(*) FROM tickets x WHERE ` + purgeTicketX + `),
    (SELECT COUNT(*) FROM ticket_events e JOIN tickets x ON x.id = e.ticket WHERE ` + purgeTicketX + ` AND ` + eventChangesE + `),
    (SELECT COUNT(*) FROM feedback f JOIN tickets x ON x.id = f.ticket WHERE ` + purgeTicketX + `),
    (SELECT COUNT(*) FROM inbox x WHERE ` + purgeInboxX + `),
    (SELECT COUNT(*) FROM outbox x WHERE ` + purgeOutboxX + `),
    (SELECT COUNT(*) FROM customers WHERE chat IN (SELECT x.chat FROM ` + purgeChatsFrom + ` WHERE ` + purgeChatX + `)),
    (SELECT COUNT(*) FROM conversations WHERE chat IN (SELECT x.chat FROM ` + purgeChatsFrom + ` WHERE ` + purgeChatX + `)),
    (SELECT COUNT(*) FROM timers WHERE chat IN (SELECT x.chat FROM ` + purgeChatsFrom + ` WHERE ` + purgeChatX + `)),
    (SELECT COUNT(*) FROM media m WHERE m.chat <> '' AND (m.inbox IN (SELECT x.id FROM inbox x WHERE ` + purgeInboxX + `)
        OR m.id IN (SELECT x.media FROM outbox x WHERE ` + purgeOutboxX + `)))`

// deleteOrphanMediaSQL: the files whose message is gone (purged or
// deleted), a customer's or one sent to them. The flows' attachments (no
// chat) are nobody's and stay.
const deleteOrphanMediaSQL = `DELETE FROM media WHERE chat <> ''
    AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.id = media.inbox AND i.chat = media.chat)
    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.media = media.id AND o.chat = media.chat)`

// A batch's rows are handed to the statements as a list (listMark); the
// ID queries end with LIMIT ?, every other ? is the limit in time.
const (
	purgeTicketIDsSQL = `SELECT x.id FROM tickets x WHERE ` + purgeTicketX + ` ORDER BY x.id LIMIT ?`

	anonymizeEventsSQL = `UPDATE ticket_events AS e SET
    text = CASE WHEN e.kind IN ` + keptEventKinds + ` THEN e.text ELSE '` + Removed + `' END,
    actor = CASE WHEN e.actor = x.chat THEN '' ELSE e.actor END
FROM tickets AS x
WHERE x.id = e.ticket AND x.id IN ` + listMark + ` AND ` + eventChangesE

	anonymizeFeedbackSQL = `UPDATE feedback SET chat = 'anon:' || ticket, comment = ''
WHERE ticket IN ` + listMark

	anonymizeTicketsSQL = `UPDATE tickets SET chat = 'anon:' || id, requester = '', id_suporte = ''
WHERE id IN ` + listMark

	purgeInboxIDsSQL  = `SELECT x.id FROM inbox x WHERE ` + purgeInboxX + ` ORDER BY x.id LIMIT ?`
	purgeOutboxIDsSQL = `SELECT x.id FROM outbox x WHERE ` + purgeOutboxX + ` ORDER BY x.id LIMIT ?`
	purgeChatsSQL     = `SELECT x.chat FROM ` + purgeChatsFrom + ` WHERE ` + purgeChatX + ` ORDER BY x.chat LIMIT ?`

	deleteCustomersSQL     = `DELETE FROM customers WHERE chat IN ` + listMark
	deleteConversationsSQL = `DELETE FROM conversations WHERE chat IN ` + listMark
	deleteChatTimersSQL    = `DELETE FROM timers WHERE chat IN ` + listMark
)

// Purge applies retention with the limit before. Resolved tickets idle
// since before it are anonymized: chat "anon:<id>"; no requester, ID
// Suporte nor feedback comment; history texts Removed but for the bot's
// own notes; times, status, topic, agent and rating kept. Handled
// messages older than the limit are deleted, and customers with nothing
// left that retention keeps go with their conversation and timers. Open
// tickets, chats with a conversation going on and messages not yet
// handled or sent are never touched; a chat keeps its messages from the
// start of its oldest kept ticket on.
//
// Without dryRun, Purge changes at most one batch of rows of each kind
// and sets More if some are left: call it again in a new Update (DB.Purge
// does) so the writer is never held for long. With dryRun it changes
// nothing and counts everything at once; it can run in View.
func (tx *Tx) Purge(ctx context.Context, before time.Time, dryRun bool) (PurgeResult, error) {
	if before.IsZero() {
		return PurgeResult{}, errors.New("purge: zero limit")
	}
	b := millis(before)
	var r PurgeResult
	if dryRun {
		err := tx.queryRow(ctx, purgeCountSQL, sameArgs(purgeCountSQL, b)...).Scan(&r.Tickets, &r.Events, &r.Feedback,
			&r.Inbox, &r.Outbox, &r.Customers, &r.Conversations, &r.Timers, &r.Media)
		if err != nil {
			return PurgeResult{}, fmt.Errorf("purge count: %w", err)
		}
		return r, nil
	}
	tickets, err := queryAll(ctx, tx, scanInt64, purgeTicketIDsSQL, sameArgs(purgeTicketIDsSQL, b, purgeBatch)...)
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purge tickets: %w", err)
	}
	if len(tickets) > 0 {
		if r.Events, err = execList(ctx, tx, anonymizeEventsSQL, tickets); err != nil {
			return PurgeResult{}, fmt.Errorf("purge ticket events: %w", err)
		}
		if r.Feedback, err = execList(ctx, tx, anonymizeFeedbackSQL, tickets); err != nil {
			return PurgeResult{}, fmt.Errorf("purge feedback: %w", err)
		}
		if r.Tickets, err = execList(ctx, tx, anonymizeTicketsSQL, tickets); err != nil {
			return PurgeResult{}, fmt.Errorf("purge tickets: %w", err)
		}
		if err := tx.deleteTerms(ctx, tickets); err != nil { // their words go with their texts
			return PurgeResult{}, fmt.Errorf("purge tickets: %w", err)
		}
	}

	inbox, err := queryAll(ctx, tx, scanInt64, purgeInboxIDsSQL, sameArgs(purgeInboxIDsSQL, b, purgeBatch)...)
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purge inbox: %w", err)
	}
	if r.Inbox, err = dropInbox(ctx, tx, inbox); err != nil {
		return PurgeResult{}, fmt.Errorf("purge inbox: %w", err)
	}
	outbox, err := queryAll(ctx, tx, scanInt64, purgeOutboxIDsSQL, sameArgs(purgeOutboxIDsSQL, b, purgeBatch)...)
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purge outbox: %w", err)
	}
	if r.Outbox, err = dropOutbox(ctx, tx, outbox); err != nil {
		return PurgeResult{}, fmt.Errorf("purge outbox: %w", err)
	}

	chats, err := queryAll(ctx, tx, scanString, purgeChatsSQL, sameArgs(purgeChatsSQL, b, purgeBatch)...)
	if err != nil {
		return PurgeResult{}, fmt.Errorf("purge customers: %w", err)
	}
	if len(chats) > 0 {
		if r.Customers, err = execList(ctx, tx, deleteCustomersSQL, chats); err != nil {
			return PurgeResult{}, fmt.Errorf("purge customers: %w", err)
		}
		if r.Conversations, err = execList(ctx, tx, deleteConversationsSQL, chats); err != nil {
			return PurgeResult{}, fmt.Errorf("purge conversations: %w", err)
		}
		if r.Timers, err = execList(ctx, tx, deleteChatTimersSQL, chats); err != nil {
			return PurgeResult{}, fmt.Errorf("purge timers: %w", err)
		}
	}
	if r.Media, err = affected(tx.exec(ctx, deleteOrphanMediaSQL)); err != nil {
		return PurgeResult{}, fmt.Errorf("purge media: %w", err)
	}
	r.More = len(tickets) == purgeBatch || len(inbox) == purgeBatch ||
		len(outbox) == purgeBatch || len(chats) == purgeBatch
	return r, nil
}

// Purge runs Tx.Purge to the end: with dryRun in one View, else batch
// after batch, each in its own Update, so the service's own writes go in
// between. It returns the totals, and what was done before an error.
func (db *DB) Purge(ctx context.Context, before time.Time, dryRun bool) (PurgeResult, error) {
	var total PurgeResult
	if dryRun {
		err := db.View(ctx, func(tx *Tx) error {
			var err error
			total, err = tx.Purge(ctx, before, true)
			return err
		})
		return total, err
	}
	for {
		var r PurgeResult
		err := db.Update(ctx, func(tx *Tx) error {
			var err error
			r, err = tx.Purge(ctx, before, false)
			return err
		})
		if err != nil {
			return total, err
		}
		total.add(r)
		if !r.More {
			return total, nil
		}
	}
}

// RunRetention purges what went quiet more than keep ago (DB.Purge), at
// once and then every every, until ctx ends; it then returns nil. Each
// run's totals or error go to report (which may be nil); a failed run is
// tried again at the next one. now tells the time the limit is counted
// from; the waits use the runtime's timers (fake ones under synctest).
func RunRetention(ctx context.Context, db *DB, every, keep time.Duration, now func() time.Time, report func(PurgeResult, error)) error {
	if every <= 0 || keep <= 0 {
		return fmt.Errorf("retention: every %v, keep %v: both must be positive", every, keep)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		r, err := db.Purge(ctx, now().Add(-keep), false)
		if ctx.Err() != nil {
			return nil
		}
		if report != nil {
			report(r, err)
		}
		timer.Reset(every)
	}
}

// Tombstones. inbox and outbox have plain rowid keys on SQLite: it gives
// a new row the largest id plus one, so deleting the newest row would hand
// its id out again, and a worker still holding the old id (to mark it
// handled or sent) would then mark someone else's message. dropRows never
// deletes the newest row: it blanks it instead, with an empty chat that
// nothing reads nor purges. (PostgreSQL's identities never reuse an id;
// the same SQL runs there, harmlessly.)
const (
	tombstoneInboxSQL = `UPDATE inbox SET chat = '', msg_id = NULL, kind = '', text = '', push_name = '', phone = '', done = 1
WHERE id = (SELECT MAX(id) FROM inbox) AND id IN ` + listMark
	deleteInboxSQL = `DELETE FROM inbox
WHERE id IN ` + listMark + ` AND id <> (SELECT MAX(id) FROM inbox)`

	tombstoneOutboxSQL = `UPDATE outbox SET chat = '', ticket = 0, text = '', options = NULL, author = '',
    wa_id = '', poll_id = '', last_error = '', sent_at = CASE WHEN sent_at > 1 THEN sent_at ELSE 1 END
WHERE id = (SELECT MAX(id) FROM outbox) AND id IN ` + listMark
	deleteOutboxSQL = `DELETE FROM outbox
WHERE id IN ` + listMark + ` AND id <> (SELECT MAX(id) FROM outbox)`
)

func dropInbox(ctx context.Context, tx *Tx, ids []int64) (int, error) {
	return dropRows(ctx, tx, tombstoneInboxSQL, deleteInboxSQL, ids)
}

func dropOutbox(ctx context.Context, tx *Tx, ids []int64) (int, error) {
	return dropRows(ctx, tx, tombstoneOutboxSQL, deleteOutboxSQL, ids)
}

// dropRows removes the rows ids with deleteSQL, the table's newest one
// with tombstoneSQL, and returns how many went.
func dropRows(ctx context.Context, tx *Tx, tombstoneSQL, deleteSQL string, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := execList(ctx, tx, tombstoneSQL, ids)
	if err != nil {
		return 0, err
	}
	m, err := execList(ctx, tx, deleteSQL, ids)
	if err != nil {
		return 0, err
	}
	return n + m, nil
}

// Person names a data subject: one chat, or every chat of an ID Suporte
// (several people of one company may share it).
type Person struct {
	Chat      string `json:"chat,omitempty"`
	IDSuporte string `json:"id_suporte,omitempty"`
}

// String names p for the operator (it holds a phone number: not for logs).
func (p Person) String() string {
	if p.Chat != "" {
		return "chat " + p.Chat
	}
	return "ID Suporte " + p.IDSuporte
}

// Record is one stored row, column by column, as the export shows it:
// times as UTC time.Time (nil when unset), the rest as SQLite returns it.
type Record map[string]any

// PersonData is everything stored about a person, chat by chat.
type PersonData struct {
	Chats []ChatData `json:"chats"`
}

// ChatData is everything stored about one chat. Anonymized tickets no
// longer belong to it.
type ChatData struct {
	Chat          string       `json:"chat"`
	Customer      Record       `json:"customer"`      // nil if none
	Conversations []Record     `json:"conversations"` // one per line the person wrote to
	Tickets       []TicketData `json:"tickets"`
	Inbox         []Record     `json:"inbox"`
	Outbox        []Record     `json:"outbox"`
	Timers        []Record     `json:"timers"`
	Media         []Record     `json:"media"` // the files' rows; sha256 names the file under data/media
}

// TicketData is one ticket with its history and rating.
type TicketData struct {
	Ticket   Record   `json:"ticket"`
	Events   []Record `json:"events"`
	Feedback Record   `json:"feedback"` // nil if none
}

// PersonCounts counts a person's rows.
type PersonCounts struct {
	Chats         int
	Customers     int
	Conversations int
	Tickets       int
	Events        int
	Feedback      int
	Inbox         int
	Outbox        int
	Timers        int
	Media         int // files' rows (the files go with Files.Sweep)

	OpenTickets int // of Tickets, not resolved
	ActiveChats int // of Chats, with a conversation going on
}

// chatHasDataSQL: chat x is stored anywhere. ticket_events and feedback
// hang off tickets. Every ? is the chat.
const chatHasDataSQL = `SELECT CAST(? AS TEXT) WHERE CAST(? AS TEXT) <> '' AND (
    EXISTS (SELECT 1 FROM customers WHERE chat = ?)
    OR EXISTS (SELECT 1 FROM conversations WHERE chat = ?)
    OR EXISTS (SELECT 1 FROM tickets WHERE chat = ?)
    OR EXISTS (SELECT 1 FROM inbox WHERE chat = ?)
    OR EXISTS (SELECT 1 FROM outbox WHERE chat = ?)
    OR EXISTS (SELECT 1 FROM timers WHERE chat = ?)
    OR EXISTS (SELECT 1 FROM feedback WHERE chat = ?))`

// idSuporteChatsSQL: the chats whose customer has the ID Suporte, and
// those of tickets opened under it (the customer may have changed ID
// since). Every ? is the ID Suporte.
const idSuporteChatsSQL = `SELECT chat FROM customers WHERE id_suporte = ? AND CAST(? AS TEXT) <> ''
UNION
SELECT chat FROM tickets WHERE id_suporte = ? AND CAST(? AS TEXT) <> ''
ORDER BY 1`

// PersonChats returns the chats holding p's data, sorted; none if nothing
// is stored about p.
func (tx *Tx) PersonChats(ctx context.Context, p Person) ([]string, error) {
	var chats []string
	var err error
	switch {
	case p.Chat != "" && p.IDSuporte != "":
		return nil, errors.New("person chats: a chat or an ID Suporte, not both")
	case p.Chat != "":
		chats, err = queryAll(ctx, tx, scanString, chatHasDataSQL, sameArgs(chatHasDataSQL, p.Chat)...)
	case p.IDSuporte != "":
		chats, err = queryAll(ctx, tx, scanString, idSuporteChatsSQL, sameArgs(idSuporteChatsSQL, p.IDSuporte)...)
	default:
		return nil, errors.New("person chats: no chat nor ID Suporte")
	}
	if err != nil {
		return nil, fmt.Errorf("person chats: %w", err)
	}
	return chats, nil
}

const (
	exportCustomerSQL     = `SELECT * FROM customers WHERE chat = ?`
	exportConversationSQL = `SELECT * FROM conversations WHERE chat = ? ORDER BY line`
	exportTicketsSQL      = `SELECT * FROM tickets WHERE chat = ? ORDER BY id`
	exportEventsSQL       = `SELECT * FROM ticket_events WHERE ticket = ? ORDER BY id`
	exportFeedbackSQL     = `SELECT * FROM feedback WHERE ticket = ?`
	exportInboxSQL        = `SELECT * FROM inbox WHERE chat = ? ORDER BY id`
	exportOutboxSQL       = `SELECT * FROM outbox WHERE chat = ? ORDER BY id`
	exportTimersSQL       = `SELECT * FROM timers WHERE chat = ? ORDER BY due, kind`
	// A file's ref is the transport's means to fetch it, not the person's data.
	exportMediaSQL = `SELECT id, inbox, direction, kind, name, mime, content_type, bytes, sha256, caption, duration_ms, voice,
    lat_e6, lng_e6, state, problem, created_at, stored_at FROM media WHERE chat = ? ORDER BY id`
)

// ExportPerson returns every row stored about p (SELECT *: columns added
// later are exported too), or ErrNotFound if there is none.
func (tx *Tx) ExportPerson(ctx context.Context, p Person) (PersonData, error) {
	chats, err := tx.PersonChats(ctx, p)
	if err != nil {
		return PersonData{}, err
	}
	if len(chats) == 0 {
		return PersonData{}, fmt.Errorf("export person: %w", ErrNotFound)
	}
	var d PersonData
	for _, chat := range chats {
		c, err := tx.exportChat(ctx, chat)
		if err != nil {
			return PersonData{}, fmt.Errorf("export person: %w", err)
		}
		d.Chats = append(d.Chats, c)
	}
	return d, nil
}

func (tx *Tx) exportChat(ctx context.Context, chat string) (ChatData, error) {
	c := ChatData{Chat: chat, Tickets: []TicketData{}}
	one := func(query string, args ...any) (Record, error) {
		rs, err := tx.records(ctx, query, args...)
		if len(rs) == 0 {
			return nil, err
		}
		return rs[0], err
	}
	var err error
	if c.Customer, err = one(exportCustomerSQL, chat); err != nil {
		return ChatData{}, fmt.Errorf("customer: %w", err)
	}
	if c.Conversations, err = tx.records(ctx, exportConversationSQL, chat); err != nil {
		return ChatData{}, fmt.Errorf("conversation: %w", err)
	}
	tickets, err := tx.records(ctx, exportTicketsSQL, chat)
	if err != nil {
		return ChatData{}, fmt.Errorf("tickets: %w", err)
	}
	for _, t := range tickets {
		td := TicketData{Ticket: t}
		if td.Events, err = tx.records(ctx, exportEventsSQL, t["id"]); err != nil {
			return ChatData{}, fmt.Errorf("ticket events: %w", err)
		}
		if td.Feedback, err = one(exportFeedbackSQL, t["id"]); err != nil {
			return ChatData{}, fmt.Errorf("feedback: %w", err)
		}
		c.Tickets = append(c.Tickets, td)
	}
	if c.Inbox, err = tx.records(ctx, exportInboxSQL, chat); err != nil {
		return ChatData{}, fmt.Errorf("inbox: %w", err)
	}
	if c.Outbox, err = tx.records(ctx, exportOutboxSQL, chat); err != nil {
		return ChatData{}, fmt.Errorf("outbox: %w", err)
	}
	if c.Timers, err = tx.records(ctx, exportTimersSQL, chat); err != nil {
		return ChatData{}, fmt.Errorf("timers: %w", err)
	}
	if c.Media, err = tx.records(ctx, exportMediaSQL, chat); err != nil {
		return ChatData{}, fmt.Errorf("media: %w", err)
	}
	return c, nil
}

// isTimeColumn reports the INTEGER unix ms columns the export shows as times.
func isTimeColumn(col string) bool {
	switch col {
	case "at", "due", "created_at", "updated_at", "started_at", "paused_until",
		"sent_at", "received_at", "handled_at", "next_try",
		"queued_at", "last_activity_at", "closed_at", "claimed_at", "first_response_at",
		"escalated_at", "escalation_due", "queue_notified_at", "stored_at":
		return true
	}
	return false
}

// records runs query and returns its rows as Records; never nil.
func (tx *Tx) records(ctx context.Context, query string, args ...any) ([]Record, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := []Record{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make(Record, len(cols))
		for i, col := range cols {
			v := vals[i]
			if ms, ok := v.(int64); ok && isTimeColumn(col) {
				if ms == 0 {
					v = nil
				} else {
					v = fromMillis(ms)
				}
			}
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			r[col] = v
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// p is the chats of the list that hold anything: in either engine a list
// is written out as placeholders, and they type best beside a column.
const personCountsSQL = `WITH p(chat) AS (SELECT chat FROM customers WHERE chat IN ` + listMark + `
    UNION SELECT chat FROM tickets WHERE chat IN ` + listMark + `
    UNION SELECT chat FROM feedback WHERE chat IN ` + listMark + `
    UNION SELECT chat FROM conversations WHERE chat IN ` + listMark + `
    UNION SELECT chat FROM inbox WHERE chat IN ` + listMark + `
    UNION SELECT chat FROM outbox WHERE chat IN ` + listMark + `
    UNION SELECT chat FROM timers WHERE chat IN ` + listMark + `),
pt(id) AS (SELECT id FROM tickets WHERE chat IN (SELECT chat FROM p))
SELECT
    (SELECT COUNT(*) FROM customers WHERE chat IN (SELECT chat FROM p)),
    (SELECT COUNT(*) FROM conversations WHERE chat IN (SELECT chat FROM p)),
    (SELECT COUNT(*) FROM pt),
    (SELECT COUNT(*) FROM ticket_events WHERE ticket IN (SELECT id FROM pt)),
    (SELECT COUNT(*) FROM feedback WHERE ticket IN (SELECT id FROM pt) OR chat IN (SELECT chat FROM p)),
    (SELECT COUNT(*) FROM inbox WHERE chat IN (SELECT chat FROM p)),
    (SELECT COUNT(*) FROM outbox WHERE chat IN (SELECT chat FROM p)),
    (SELECT COUNT(*) FROM timers WHERE chat IN (SELECT chat FROM p)),
    (SELECT COUNT(*) FROM media WHERE chat IN (SELECT chat FROM p)),
    (SELECT COUNT(*) FROM tickets WHERE id IN (SELECT id FROM pt) AND status <> 'resolvido'),
    (SELECT COUNT(*) FROM conversations WHERE chat IN (SELECT chat FROM p) AND state NOT IN ('', '` + ConversationClosed + `'))`

// CountPerson counts p's rows: what DeletePerson would delete.
func (tx *Tx) CountPerson(ctx context.Context, p Person) (PersonCounts, error) {
	chats, err := tx.PersonChats(ctx, p)
	if err != nil {
		return PersonCounts{}, err
	}
	return tx.countChats(ctx, chats)
}

func (tx *Tx) countChats(ctx context.Context, chats []string) (PersonCounts, error) {
	c := PersonCounts{Chats: len(chats)}
	if len(chats) == 0 {
		return c, nil
	}
	q, args := expand(personCountsSQL, chats)
	err := tx.queryRow(ctx, q, args...).Scan(&c.Customers, &c.Conversations,
		&c.Tickets, &c.Events, &c.Feedback, &c.Inbox, &c.Outbox, &c.Timers, &c.Media, &c.OpenTickets, &c.ActiveChats)
	if err != nil {
		return PersonCounts{}, fmt.Errorf("count person: %w", err)
	}
	return c, nil
}

// personLinesSQL: the lines and chats of p's conversations and tickets,
// whose locks DeletePerson takes (two marks, one list).
const personLinesSQL = `SELECT line, chat FROM conversations WHERE chat IN ` + listMark + `
UNION
SELECT line, chat FROM tickets WHERE chat IN ` + listMark

const (
	personTicketsIn         = `SELECT id FROM tickets WHERE chat IN ` + listMark
	deletePersonMediaSQL    = `DELETE FROM media WHERE chat IN ` + listMark
	deletePersonEventsSQL   = `DELETE FROM ticket_events WHERE ticket IN (` + personTicketsIn + `)`
	deletePersonFeedbackSQL = `DELETE FROM feedback WHERE ticket IN (` + personTicketsIn + `) OR chat IN ` + listMark
	deletePersonTicketsSQL  = `DELETE FROM tickets WHERE chat IN ` + listMark
	personInboxSQL          = `SELECT id FROM inbox WHERE chat IN ` + listMark + ` ORDER BY id`
	personOutboxSQL         = `SELECT id FROM outbox WHERE chat IN ` + listMark + ` ORDER BY id`
)

// DeletePerson deletes every row of p, open tickets and a conversation
// going on included, and returns the counts. Ticket numbers are never
// given out again (AUTOINCREMENT). A chat that writes again starts afresh.
//
// It holds the locks of p's chats (LockChat) first: a turn or an agent's
// action on one of them, under way in another transaction, commits before
// the rows are read for deletion, or starts after they are gone. On
// PostgreSQL no foreign key stops an event written meanwhile for a ticket
// being deleted (migrations/postgres/0022), so this is what leaves none
// behind.
func (tx *Tx) DeletePerson(ctx context.Context, p Person) (PersonCounts, error) {
	chats, err := tx.PersonChats(ctx, p)
	if err != nil {
		return PersonCounts{}, err
	}
	if err := tx.lockChats(ctx, chats); err != nil {
		return PersonCounts{}, fmt.Errorf("delete person: %w", err)
	}
	c, err := tx.countChats(ctx, chats)
	if err != nil || c.Chats == 0 {
		return c, err
	}
	steps := []struct {
		what  string
		query string
		n     *int
	}{
		{"ticket events", deletePersonEventsSQL, &c.Events},
		{"feedback", deletePersonFeedbackSQL, &c.Feedback},
		{"tickets", deletePersonTicketsSQL, &c.Tickets},
		{"timers", deleteChatTimersSQL, &c.Timers},
		{"media", deletePersonMediaSQL, &c.Media},
		{"conversations", deleteConversationsSQL, &c.Conversations},
		{"customers", deleteCustomersSQL, &c.Customers},
	}
	for _, s := range steps {
		if *s.n, err = execList(ctx, tx, s.query, chats); err != nil {
			return PersonCounts{}, fmt.Errorf("delete person %s: %w", s.what, err)
		}
	}
	q, args := expand(personInboxSQL, chats)
	inbox, err := queryAll(ctx, tx, scanInt64, q, args...)
	if err == nil {
		c.Inbox, err = dropInbox(ctx, tx, inbox)
	}
	if err != nil {
		return PersonCounts{}, fmt.Errorf("delete person inbox: %w", err)
	}
	q, args = expand(personOutboxSQL, chats)
	outbox, err := queryAll(ctx, tx, scanInt64, q, args...)
	if err == nil {
		c.Outbox, err = dropOutbox(ctx, tx, outbox)
	}
	if err != nil {
		return PersonCounts{}, fmt.Errorf("delete person outbox: %w", err)
	}
	return c, nil
}

// lockChats takes the lock of chats on every line that started on the
// store and on the lines of their conversations and tickets: a chat's
// first turn on another line, which opens a ticket there, commits before
// the deletion reads, not between its statements. It takes them in the
// order of their keys, as a batch's opening takes its own (openLockSQL),
// so that the two cannot deadlock.
func (tx *Tx) lockChats(ctx context.Context, chats []string) error {
	if !tx.d.postgres || len(chats) == 0 {
		return nil
	}
	type lineChat struct{ line, chat string }
	q, args := expand(personLinesSQL, chats)
	pairs, err := queryAll(ctx, tx, func(r rowScanner) (lineChat, error) {
		var lc lineChat
		return lc, r.Scan(&lc.line, &lc.chat)
	}, q, args...)
	if err != nil {
		return err
	}
	lines, err := tx.Lines(ctx)
	if err != nil {
		return err
	}
	for _, line := range lines {
		for _, chat := range chats {
			pairs = append(pairs, lineChat{line, chat})
		}
	}
	key := func(lc lineChat) int64 { return lockKey(lc.line, lc.chat) }
	slices.SortFunc(pairs, func(a, b lineChat) int { return cmp.Compare(key(a), key(b)) })
	for i, lc := range pairs {
		if i > 0 && key(lc) == key(pairs[i-1]) {
			continue
		}
		if err := tx.LockChat(ctx, lc.line, lc.chat); err != nil {
			return err
		}
	}
	return nil
}

// execList runs query with its listMarks written out for list, and
// returns how many rows it changed.
func execList[T any](ctx context.Context, tx *Tx, query string, list []T) (int, error) {
	q, args := expand(query, list)
	return affected(tx.exec(ctx, q, args...))
}

// affected returns how many rows res changed.
func affected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanInt64(s rowScanner) (int64, error) {
	var v int64
	err := s.Scan(&v)
	return v, err
}
