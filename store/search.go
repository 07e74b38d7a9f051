package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Search finds tickets by a word or the start of one (in the requester's
// name and in what customers and agents wrote), by protocol, by ID
// Suporte and by phone number, through indexes only, so it costs the same
// on a hundred tickets or a million.
//
// Words live in search_terms, folded to lowercase ASCII (accents off,
// letters and digits split apart: "NF-e539" is "nf", "539"). The store
// writes a ticket's terms with the ticket (its requester) and with each
// customer, agent or note line; Purge deletes them when it anonymizes the
// ticket, DeletePerson with the ticket.

const (
	minTerm      = 3   // shorter words are neither indexed nor searched
	maxTerm      = 32  // longer ones are cut to this
	maxLineTerms = 100 // terms one line adds, at most
	maxQueryTerm = 6   // words of a search used, at most
)

// stopWords are too common in support chats to tell tickets apart.
var stopWords = map[string]bool{
	"que": true, "nao": true, "com": true, "para": true, "pra": true, "uma": true, "por": true,
	"mais": true, "como": true, "mas": true, "foi": true, "isso": true, "esta": true, "esse": true,
	"essa": true, "tem": true, "ser": true, "dos": true, "das": true, "nos": true, "nas": true,
	"pelo": true, "pela": true, "sao": true, "ate": true, "sem": true, "voce": true, "meu": true,
	"minha": true, "seu": true, "sua": true, "ola": true, "obrigado": true, "obrigada": true,
}

// searchedKinds are the ticket lines whose words are indexed: people's.
const searchedKinds = `('customer', 'agent', 'note')`

func searchedKind(kind string) bool { return kind == "customer" || kind == "agent" || kind == "note" }

// terms splits text into search terms: runs of letters or of digits,
// lowercase, without accents, minTerm characters or more (cut at
// maxTerm), stop words left out, each once, at most limit.
func terms(text string, limit int) []string {
	var out []string
	var b strings.Builder
	digits := false
	flush := func() {
		t := b.String()
		b.Reset()
		if len(t) < minTerm || len(out) >= limit {
			return
		}
		t = t[:min(len(t), maxTerm)]
		if !stopWords[t] && !containsString(out, t) {
			out = append(out, t)
		}
	}
	for _, r := range norm.NFD.String(strings.ToValidUTF8(text, "")) {
		switch {
		case unicode.Is(unicode.Mn, r): // an accent of the letter before
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			if digits {
				flush()
			}
			digits = false
			b.WriteRune(unicode.ToLower(r))
		case r >= '0' && r <= '9':
			if !digits {
				flush()
			}
			digits = true
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// prefixEnd returns the least string above every term that starts with
// p (letters only or digits only), or "" if no term is above them: the
// range [p, prefixEnd(p)) is those terms in any collation that orders
// digits before letters, SQLite's and PostgreSQL's alike.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != '9' && b[i] != 'z' {
			b[i]++
			return string(b[:i+1])
		}
	}
	if p != "" && p[0] == '9' {
		return "a" // all nines: the letters come next
	}
	return ""
}

const insertTermSQL = `INSERT INTO search_terms (term, ticket) VALUES (?, ?)
ON CONFLICT (term, ticket) DO NOTHING`

// termRows collects the search terms of several lines, to insert them
// in one statement on PostgreSQL.
type termRows struct {
	args []any // term, ticket, term, ticket...
}

func (r *termRows) add(ticket int64, text string) {
	for _, t := range terms(text, maxLineTerms) {
		r.args = append(r.args, t, ticket)
	}
}

// write inserts the terms. Their rows are repeated up to a power of two,
// which the conflict clause ignores: a handful of statements serve every
// count.
func (r *termRows) write(ctx context.Context, tx *Tx) error {
	n := len(r.args) / 2
	if n == 0 {
		return nil
	}
	padded := 1
	for padded < n {
		padded *= 2
	}
	for len(r.args) < 2*padded {
		r.args = append(r.args, r.args[len(r.args)-2:]...)
	}
	q := `INSERT INTO search_terms (term, ticket) VALUES ` + rows(padded, 2) + `
ON CONFLICT (term, ticket) DO NOTHING`
	if err := tx.addLater(ctx, "search_terms", q, r.args...); err != nil {
		return fmt.Errorf("index ticket %d: %w", r.args[1], err)
	}
	return nil
}

// indexText adds the terms of text to ticket's, in one statement.
func (tx *Tx) indexText(ctx context.Context, ticket int64, text string) error {
	if tx.pg != nil {
		var r termRows
		r.add(ticket, text)
		return r.write(ctx, tx)
	}
	ts := terms(text, maxLineTerms)
	if len(ts) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(ts))
	for _, t := range ts {
		args = append(args, t, ticket)
	}
	q := insertTermSQL
	if len(ts) > 1 {
		q = `INSERT INTO search_terms (term, ticket) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(ts)), ", ") + `
ON CONFLICT (term, ticket) DO NOTHING`
	}
	if err := tx.execLater(ctx, q, args...); err != nil {
		return fmt.Errorf("index ticket %d: %w", ticket, err)
	}
	return nil
}

// deleteTerms drops the terms of tickets.
func (tx *Tx) deleteTerms(ctx context.Context, tickets []int64) error {
	if len(tickets) == 0 {
		return nil
	}
	if _, err := tx.exec(ctx, `DELETE FROM search_terms WHERE ticket IN (`+marks(len(tickets))+`)`, anys(tickets)...); err != nil {
		return fmt.Errorf("delete search terms: %w", err)
	}
	return nil
}

// marks is n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anys[T any](list []T) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

// TicketSearch is what SearchTickets looks for.
type TicketSearch struct {
	// Text is words (of a name or of the messages; each may be the start
	// of one), or a number: a protocol, an ID Suporte or a phone number
	// written any way ("+55 (47) 99999-0001"), which also matches as words.
	Text   string
	Status string // only tickets with this status; "" any
	Limit  int    // at most this many; <= 0 means 50
}

// Searchable reports whether text holds something SearchTickets can look
// for: a word or number of minTerm characters or more.
func Searchable(text string) bool {
	return len(terms(text, 1)) > 0 || phoneDigits(text) != ""
}

// Parts of a search, each a query for ticket ids.
const (
	// searchWordCountSQL counts a word's tickets up to sparseWord.
	searchWordCountSQL = `SELECT COUNT(*) FROM (SELECT 1 FROM search_terms AS a WHERE %s LIMIT ?) AS c`
	sparseWord         = 1000
	searchProtocolSQL  = `SELECT id AS ticket FROM tickets WHERE id = ?`
	// "<> ''" lets SQLite use the partial indexes (migration 0009).
	searchIDSuporteSQL = `SELECT k.id AS ticket FROM customers c JOIN tickets k ON k.chat = c.chat WHERE c.id_suporte = ? AND c.id_suporte <> ''`
	searchPhoneSQL     = `SELECT k.id AS ticket FROM customers c JOIN tickets k ON k.chat = c.chat WHERE c.phone IN (?, ?) AND c.phone <> ''`
	searchChatSQL      = `SELECT id AS ticket FROM tickets WHERE chat IN (?, ?, ?, ?)`
	// The matches drive (CROSS JOIN keeps SQLite from walking every
	// ticket newest first to probe them), newest first.
	searchTicketsSQL = `SELECT ` + ticketCols + `
FROM (SELECT ticket FROM (%s) AS matches ORDER BY ticket DESC LIMIT ?) AS m CROSS JOIN tickets
WHERE id = m.ticket%s
ORDER BY id DESC LIMIT ?`
	searchStatusClause  = ` AND status = ?`
	statusWindow        = 10_000
	searchLinesSQL      = `SELECT ` + ticketEventCols + ` FROM ticket_events WHERE ticket IN (%s) AND kind IN ` + searchedKinds + ` ORDER BY id DESC`
	searchBackfillToSQL = `SELECT value FROM settings WHERE name = 'search_backfill_to'`
)

// SearchTickets returns the tickets matching s, newest first: those with
// every word of s.Text (or words starting so) in their requester's name or
// lines, and, when s.Text is a number, the ticket with that protocol and
// the tickets of the customers with that ID Suporte or phone number.
func (tx *Tx) SearchTickets(ctx context.Context, s TicketSearch) ([]Ticket, error) {
	if s.Status != "" {
		if err := validStatus(s.Status); err != nil {
			return nil, fmt.Errorf("search tickets: %w", err)
		}
	}
	var parts []string
	var args []any
	limit := s.Limit
	if limit <= 0 {
		limit = 50
	}
	// The matches are cut to the newest limit before the tickets are
	// read; with a status, which the tickets hold, a wider cut: the only
	// part that can be large (common words) is already cut, in status.
	window := limit
	if s.Status != "" {
		window = statusWindow
	}
	if words := terms(s.Text, maxQueryTerm); len(words) > 0 {
		part, wargs, err := tx.wordsPart(ctx, words, s.Status, limit)
		if err != nil {
			return nil, fmt.Errorf("search tickets: %w", err)
		}
		parts, args = append(parts, part), append(args, wargs...)
	}
	if d := phoneDigits(s.Text); d != "" {
		if id, err := strconv.ParseInt(d, 10, 64); err == nil {
			parts, args = append(parts, searchProtocolSQL), append(args, id)
		}
		parts, args = append(parts, searchIDSuporteSQL), append(args, d)
		if len(d) >= 10 { // a phone: with or without the country code 55
			local, intl := strings.TrimPrefix(d, "55"), d
			if local == d {
				intl = "55" + d
			}
			parts, args = append(parts, searchPhoneSQL), append(args, "+"+intl, "+"+local)
			parts, args = append(parts, searchChatSQL), append(args, intl, intl+"@s.whatsapp.net", local, local+"@s.whatsapp.net")
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	status := ""
	if s.Status != "" {
		status = searchStatusClause
	}
	args = append(args, window)
	if s.Status != "" {
		args = append(args, s.Status)
	}
	args = append(args, limit)
	q := fmt.Sprintf(searchTicketsSQL, strings.Join(parts, " UNION "), status)
	ts, err := queryAll(ctx, tx, scanTicket, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search tickets: %w", err)
	}
	return ts, nil
}

// wordsPart is the part of a search for tickets with every word (or a
// word starting so), and its arguments. How it looks depends on how
// common the words are: when one is rare, the tickets that have it are
// checked for the others; when all are common, the tickets (with status,
// if not "") are walked newest first until limit of them have every
// word, which is soon.
func (tx *Tx) wordsPart(ctx context.Context, words []string, status string, limit int) (string, []any, error) {
	counts := make(map[string]int, len(words))
	for _, w := range words {
		cond, args := wordRange("a", w)
		var n int
		if err := tx.queryRow(ctx, fmt.Sprintf(searchWordCountSQL, cond), append(args, sparseWord)...).Scan(&n); err != nil {
			return "", nil, err
		}
		counts[w] = n
	}
	slices.SortStableFunc(words, func(a, b string) int { return counts[a] - counts[b] })
	var q strings.Builder
	var args []any
	has := func(w, on string) {
		cond, a := wordRange("b", w)
		fmt.Fprintf(&q, ` AND EXISTS (SELECT 1 FROM search_terms AS b WHERE b.ticket = %s AND %s)`, on, cond)
		args = append(args, a...)
	}
	if counts[words[0]] < sparseWord {
		cond, a := wordRange("a", words[0])
		q.WriteString(`SELECT a.ticket FROM search_terms AS a WHERE ` + cond)
		args = append(args, a...)
		for _, w := range words[1:] {
			has(w, "a.ticket")
		}
	} else {
		q.WriteString(`SELECT id AS ticket FROM tickets AS t WHERE id > 0`)
		if status != "" {
			q.WriteString(` AND t.status = ?`)
			args = append(args, status)
		}
		for _, w := range words {
			has(w, "t.id")
		}
		q.WriteString(` ORDER BY id DESC LIMIT ?`)
		args = append(args, limit)
	}
	return `SELECT ticket FROM (` + q.String() + `) AS words`, args, nil
}

// wordRange is the condition on alias.term of the terms starting with
// w, and its arguments.
func wordRange(alias, w string) (string, []any) {
	if end := prefixEnd(w); end != "" {
		return alias + ".term >= ? AND " + alias + ".term < ?", []any{w, end}
	}
	return alias + ".term >= ?", []any{w}
}

// phoneDigits returns the digits of text if it is a number written as
// people write phones, protocols and IDs (digits, spaces, + - . ( )),
// with minTerm digits or more; else "".
func phoneDigits(text string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(text) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '+' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	if b.Len() < minTerm || b.Len() > 20 {
		return ""
	}
	return b.String()
}

// SearchLines returns, for each of tickets that has one, its newest
// customer, agent or note line with every word of text (or words starting
// so): what a search result shows of why it matched.
func (tx *Tx) SearchLines(ctx context.Context, tickets []int64, text string) (map[int64]TicketEvent, error) {
	words := terms(text, maxQueryTerm)
	out := map[int64]TicketEvent{}
	if len(tickets) == 0 || len(words) == 0 {
		return out, nil
	}
	q := fmt.Sprintf(searchLinesSQL, marks(len(tickets)))
	err := tx.eachRow(ctx, q, anys(tickets), func(r rowScanner) error {
		e, err := scanTicketEvent(r)
		if err != nil {
			return err
		}
		if _, done := out[e.Ticket]; !done && hasWords(terms(e.Text, maxLineTerms), words) {
			out[e.Ticket] = e
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search lines: %w", err)
	}
	return out, nil
}

// hasWords reports whether every word starts one of have.
func hasWords(have, words []string) bool {
	for _, w := range words {
		found := false
		for _, h := range have {
			if strings.HasPrefix(h, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// backfillSearch indexes the tickets stored before migration 0009, a
// batch at a time, each in its own transaction; it resumes where it
// stopped if interrupted (settings search_backfill_from).
func backfillSearch(ctx context.Context, d *dialect, db *sql.DB) error {
	var to int64
	err := db.QueryRowContext(ctx, searchBackfillToSQL).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("search backfill: %w", err)
	}
	for {
		done, err := backfillBatch(ctx, d, db, to)
		if err != nil {
			return fmt.Errorf("search backfill: %w", err)
		}
		if done {
			return nil
		}
	}
}

const (
	backfillFromSQL    = `SELECT value FROM settings WHERE name = 'search_backfill_from'`
	backfillTicketsSQL = `SELECT id, requester FROM tickets WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`
	backfillLinesSQL   = `SELECT ticket, text FROM ticket_events WHERE ticket > ? AND ticket <= ? AND kind IN ` + searchedKinds
	backfillMarkSQL    = `INSERT INTO settings (name, value, updated_at) VALUES ('search_backfill_from', ?, 0)
ON CONFLICT (name) DO UPDATE SET value = excluded.value`
	backfillDoneSQL = `DELETE FROM settings WHERE name IN ('search_backfill_from', 'search_backfill_to')`
	backfillTickets = 2000 // per transaction
)

func backfillBatch(ctx context.Context, d *dialect, db *sql.DB, to int64) (done bool, err error) {
	stx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer stx.Rollback()
	tx := &Tx{q: stx, d: d}
	var from int64
	var v string
	switch err := tx.queryRow(ctx, backfillFromSQL).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, err
	default:
		if from, err = strconv.ParseInt(v, 10, 64); err != nil {
			return false, fmt.Errorf("search_backfill_from %q: %w", v, err)
		}
	}
	type named struct { // a ticket and a text of it
		id        int64
		requester string
	}
	tickets, err := queryAll(ctx, tx, func(r rowScanner) (named, error) {
		var n named
		return n, r.Scan(&n.id, &n.requester)
	}, backfillTicketsSQL, from, to, backfillTickets)
	if err != nil {
		return false, err
	}
	if len(tickets) == 0 {
		if _, err := tx.exec(ctx, backfillDoneSQL); err != nil {
			return false, err
		}
		return true, stx.Commit()
	}
	last := tickets[len(tickets)-1].id
	for _, t := range tickets {
		if err := tx.indexText(ctx, t.id, t.requester); err != nil {
			return false, err
		}
	}
	lines, err := queryAll(ctx, tx, func(r rowScanner) (named, error) {
		var n named
		return n, r.Scan(&n.id, &n.requester)
	}, backfillLinesSQL, from, last)
	if err != nil {
		return false, err
	}
	for _, l := range lines {
		if err := tx.indexText(ctx, l.id, l.requester); err != nil {
			return false, err
		}
	}
	if _, err := tx.exec(ctx, backfillMarkSQL, strconv.FormatInt(last, 10)); err != nil {
		return false, err
	}
	return false, stx.Commit()
}
