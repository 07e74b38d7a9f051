package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What the bot writes and the report reads. The bot must use exactly these
// strings (bot/engine.go and bot/agents.go spell them today).
const (
	CloseSolvedByBot   = "resolvido_pelo_bot"        // the customer said the trail solved it and rated
	CloseSolvedByAgent = "resolvido_pelo_encantador" // an Encantador marked the ticket resolved
	NoteQueueEntered   = "cliente entrou na fila de atendimento"
	// EventUnmatched is the kind of the ticket event holding a customer's
	// text the bot did not understand (folded), for the editors' report;
	// its actor is the menu it was written at. Retention blanks it like
	// any customer line.
	EventUnmatched = "unmatched"
	// EventAsked is the kind of the ticket event holding a customer's text
	// (folded) the bot answered with a question ("É sobre X ou Y?"); its
	// actor is the nodes asked about, "|"-separated. EventChosen is the
	// customer's answer: its actor is the node chosen, "" for none of
	// them. Together they show editors which texts to make examples of.
	EventAsked  = "asked"
	EventChosen = "chosen"
)

// ReportInput says which tickets a Report covers and how to read time.
// store knows no calendar: the caller hands in the business calendar's
// answers (cmd wires flows.Calendar's methods).
type ReportInput struct {
	From, To time.Time // tickets created in [From, To)
	// Now is the instant open escalations are judged against (overdue or
	// still within the deadline); zero means To.
	Now time.Time
	Loc *time.Location // days are counted in it; nil means UTC
	// IsOpen reports whether the Encantadores work at t. It is called
	// once per distinct minute of created_at, with the minute's start:
	// business hours are whole minutes.
	IsOpen func(t time.Time) bool
	// BusinessDuration is the open time in [a, b).
	BusinessDuration func(a, b time.Time) time.Duration
}

// Report holds the figures managers read, for the tickets ("conversas")
// created in [From, To). Outcomes are as stored when the report runs: a
// ticket created on the last day and claimed the next morning counts as
// claimed. Durations are wall time unless the field name says Business
// (open time per the calendar). Medians and 90th percentiles use the
// nearest rank (see percentile).
type Report struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	AsOf     time.Time `json:"as_of"` // ReportInput.Now: what open escalations are judged against
	Location string    `json:"location"`

	Conversations int    `json:"conversations"` // tickets created in range: one per conversation
	InsideHours   int    `json:"inside_hours"`  // created while IsOpen
	OutsideHours  int    `json:"outside_hours"` // created while closed: nights, weekends, holidays
	Days          []Day  `json:"days"`          // every day of the range in Loc, oldest first
	Lines         []Line `json:"lines"`         // by WhatsApp line (LineName), when several share the store

	Trails      []Trail     `json:"trails"` // by Reached, most first
	Queue       Queue       `json:"queue"`
	Agents      []AgentLoad `json:"agents"` // by Claimed, most first
	CSAT        CSAT        `json:"csat"`
	Escalations Escalations `json:"escalations"`
	Unmatched   []Phrase    `json:"unmatched"` // what customers wrote in range that the bot did not understand, most written first
	Asked       []Asked     `json:"asked"`     // what customers wrote in range that the bot asked about, and what they chose, most written first
	Media       MediaReport `json:"media"`
}

// Line is one WhatsApp line's share of the range's conversations.
type Line struct {
	Line          string `json:"line"`
	Conversations int    `json:"conversations"`
	ToPerson      int    `json:"to_person"` // went to the queue for an Encantador
}

// MediaReport counts the files of the range (by when each came or was
// sent, not by its ticket): customers' by kind, with those that could not
// be kept (over a cap, or a download given up), and those sent to
// customers by agents and trails.
type MediaReport struct {
	Received []KindCount `json:"received"`
	Failed   int         `json:"failed"`
	Sent     []KindCount `json:"sent"`
}

// KindCount is how many files of one kind.
type KindCount struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// Phrase is a text customers wrote that the bot did not understand (folded:
// lowercase, no accents or punctuation), for editors to turn into
// examples or keywords.
type Phrase struct {
	Text  string    `json:"text"`
	Count int       `json:"count"`
	Last  time.Time `json:"last"`
}

// Asked is a text customers wrote that the bot answered with a question
// (folded as Phrase's), the nodes it asked about, and what the customer
// chose: a node, NoneChosen or NoAnswer.
type Asked struct {
	Text   string    `json:"text"`
	Nodes  []string  `json:"nodes"`
	Chosen string    `json:"chosen"`
	Count  int       `json:"count"`
	Last   time.Time `json:"last"`
}

// What the customer chose at a question, when not one of its nodes.
const (
	NoneChosen = ""  // "Outro assunto", or no
	NoAnswer   = "-" // nothing: they wrote something else, or left
)

// maxPhrases bounds the report's lists of phrases.
const maxPhrases = 30

// Day is one calendar day of the range.
type Day struct {
	Date          string `json:"date"` // YYYY-MM-DD in the report's location
	Conversations int    `json:"conversations"`
	OutsideHours  int    `json:"outside_hours"`
}

// Trail is how one trail did. A ticket's topic is the id of the last
// trail the bot sent in that conversation; the bot sets it as it sends the
// trail and asks "resolveu?" in the same step, so every ticket with a
// topic reached the end of that trail.
type Trail struct {
	Topic string `json:"topic"`
	Title string `json:"title,omitempty"` // left empty by store; callers that know the flows fill it

	Reached int `json:"reached"` // the bot asked "resolveu?"
	// Solved: the customer answered yes and rated (close reason
	// CloseSolvedByBot). A yes followed by silence closes by inactivity
	// and is not counted: no column records that yes.
	Solved         int     `json:"solved"`
	ToPerson       int     `json:"to_person"`       // entered the human queue (or was claimed) in the same conversation
	DeflectionRate float64 `json:"deflection_rate"` // Solved / Reached, 0..1 ("útil: Solved de Reached")
}

// Queue is the human queue. A ticket entered it if it has a
// NoteQueueEntered event or is queued now (the bot clears queued_at when
// the customer leaves the queue or is claimed, so the column alone only
// shows who waits now).
type Queue struct {
	Queued    int `json:"queued"`    // entered the queue
	Claimed   int `json:"claimed"`   // of those, taken by an Encantador (claimed_at set)
	Abandoned int `json:"abandoned"` // never claimed and not waiting: left the queue or was closed
	Waiting   int `json:"waiting"`   // never claimed and still in the queue now

	// Wait is claimed_at minus the last queue entry before it, over the
	// claimed tickets: in wall time and in business time.
	WaitWall     Durations `json:"wait_wall"`
	WaitBusiness Durations `json:"wait_business"`
}

// AgentLoad is one Encantador's work. Tickets count for the agent holding
// them now: after a transfer, the last one; a released ticket waiting in
// the queue counts for nobody.
type AgentLoad struct {
	Agent string `json:"agent"` // agent id as tickets store it
	Name  string `json:"name"`  // from agents; "" if unknown

	Claimed   int `json:"claimed"`   // tickets held that were claimed
	Resolved  int `json:"resolved"`  // closed as CloseSolvedByAgent
	Responded int `json:"responded"` // with a first message to the customer

	// FirstResponseBusiness: first_response_at - claimed_at, over Responded.
	FirstResponseBusiness Durations `json:"first_response_business"`
	// HandlingBusiness: closed_at - claimed_at over Resolved tickets that
	// were not escalated (an escalation waits on the product team; see
	// Escalations).
	HandlingBusiness Durations `json:"handling_business"`

	Rated int     `json:"rated"` // ratings of the agent's tickets
	CSAT  float64 `json:"csat"`  // their average, 0 if none
}

// Durations summarizes a sample of durations.
type Durations struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median_ns"` // nearest-rank 50th percentile; 0 if N is 0
	P90    time.Duration `json:"p90_ns"`    // nearest-rank 90th percentile; 0 if N is 0
}

// Ratings summarizes customer ratings (1 to 5).
type Ratings struct {
	Count        int     `json:"count"`
	Average      float64 `json:"average"`      // 0 if Count is 0
	Distribution [5]int  `json:"distribution"` // index 0 counts rating 1
}

// CSAT is the customers' ratings of the tickets in range, whenever given.
type CSAT struct {
	Ratings
	ByAgent []AgentRatings `json:"by_agent"` // by agent id; "" is the bot
	ByTrail []TrailRatings `json:"by_trail"` // by topic; "" is no trail (straight to a person)
}

// AgentRatings are the ratings of tickets an agent held when rated.
type AgentRatings struct {
	Agent string `json:"agent"`
	Name  string `json:"name"`
	Ratings
}

// TrailRatings are the ratings of tickets whose last trail was Topic,
// whoever solved them.
type TrailRatings struct {
	Topic string `json:"topic"`
	Title string `json:"title,omitempty"` // filled by callers, like Trail.Title
	Ratings
}

// Escalations are the tickets sent to the product team, with the return
// date promised to the customer (escalation_due). Met + Late + Overdue +
// WithinDeadline = Escalated.
type Escalations struct {
	Escalated      int `json:"escalated"`
	Met            int `json:"met"`             // closed at or before the due time
	Late           int `json:"late"`            // closed after the due time
	Overdue        int `json:"overdue"`         // still open and due before AsOf
	WithinDeadline int `json:"within_deadline"` // still open and due at or after AsOf
}

// maxReportDays bounds the range of one report.
const maxReportDays = 3700

// The range filter every report query shares: tickets created in [?, ?).
const reportRange = `t.created_at >= ? AND t.created_at < ?`

// Minutes, not instants: IsOpen is asked once per distinct minute.
const reportCreatedSQL = `SELECT t.created_at / 60000, COUNT(*)
FROM tickets t
WHERE ` + reportRange + `
GROUP BY 1`

// queueEntry tells whether ticket t has entered the human queue. The
// literal lets SQLite use a partial index on exactly these events.
const queueEntry = `EXISTS (SELECT 1 FROM ticket_events e
    WHERE e.ticket = t.id AND e.kind = 'system' AND e.text = '` + NoteQueueEntered + `')`

// A CASE, not an OR, so the events are only looked up when the columns
// do not already tell.
const reportTrailsSQL = `SELECT t.topic, COUNT(*),
    SUM(CASE WHEN t.close_reason = '` + CloseSolvedByBot + `' THEN 1 ELSE 0 END),
    SUM(CASE WHEN t.queued_at > 0 OR t.claimed_at > 0 THEN 1 WHEN ` + queueEntry + ` THEN 1 ELSE 0 END)
FROM tickets t
WHERE ` + reportRange + ` AND t.topic <> ''
GROUP BY t.topic`

// reportHandoffsSQL lists the tickets that met a person: queued or
// claimed. entered is the last queue entry before the claim (any entry if
// never claimed): a customer who left the queue and came back waited only
// the second time.
const reportHandoffsSQL = `SELECT t.agent, t.status, t.queued_at, t.claimed_at, t.first_response_at, t.closed_at, t.close_reason, t.escalated_at,
    (SELECT MAX(e.at) FROM ticket_events e
        WHERE e.ticket = t.id AND e.kind = 'system' AND e.text = '` + NoteQueueEntered + `'
        AND (t.claimed_at = 0 OR e.at <= t.claimed_at))
FROM tickets t
WHERE ` + reportRange + ` AND (t.queued_at > 0 OR t.claimed_at > 0 OR ` + queueEntry + `)`

const reportRatingsSQL = `SELECT f.agent, f.topic, f.rating, COUNT(*)
FROM feedback f JOIN tickets t ON t.id = f.ticket
WHERE ` + reportRange + `
GROUP BY f.agent, f.topic, f.rating`

const reportEscalationsSQL = `SELECT COUNT(*),
    COALESCE(SUM(CASE WHEN t.closed_at > 0 AND t.closed_at <= t.escalation_due THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN t.closed_at > 0 AND t.closed_at > t.escalation_due THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN t.closed_at = 0 AND t.escalation_due < ? THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN t.closed_at = 0 AND t.escalation_due >= ? THEN 1 ELSE 0 END), 0)
FROM tickets t
WHERE ` + reportRange + ` AND t.escalated_at > 0`

const reportAgentNamesSQL = `SELECT id, name FROM agents`

const ticketSpanSQL = `SELECT COALESCE(MIN(created_at), 0), COALESCE(MAX(created_at), 0) FROM tickets`

// TicketSpan returns when the first and the last tickets were created
// (zero times if there are none): the range a whole-history report takes.
func (tx *Tx) TicketSpan(ctx context.Context) (first, last time.Time, err error) {
	var a, b int64
	if err := tx.queryRow(ctx, ticketSpanSQL).Scan(&a, &b); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("ticket span: %w", err)
	}
	return fromMillis(a), fromMillis(b), nil
}

// Report computes the managers' figures for the tickets created in
// [in.From, in.To). Run it in View: its queries then share one snapshot.
//
// SQL counts and groups; Go only buckets the minutes into days, asks the
// calendar, and takes the percentiles. Two indexes keep it fast on large
// stores (BenchmarkReport: 100,000 tickets, about 3x faster):
//
//	CREATE INDEX tickets_created ON tickets (created_at);
//	CREATE INDEX ticket_events_queue ON ticket_events (ticket, at)
//	    WHERE kind = 'system' AND text = 'cliente entrou na fila de atendimento';
func (tx *Tx) Report(ctx context.Context, in ReportInput) (Report, error) {
	if in.From.IsZero() || !in.To.After(in.From) {
		return Report{}, fmt.Errorf("report: range [%v, %v) is empty", in.From, in.To)
	}
	if in.IsOpen == nil || in.BusinessDuration == nil {
		return Report{}, errors.New("report: IsOpen and BusinessDuration are required")
	}
	loc := cmp.Or(in.Loc, time.UTC)
	asOf := in.Now
	if asOf.IsZero() {
		asOf = in.To
	}
	r := Report{From: in.From.In(loc), To: in.To.In(loc), AsOf: asOf.In(loc), Location: loc.String()}
	days, err := reportDays(in.From, in.To, loc)
	if err != nil {
		return Report{}, err
	}
	r.Days = days.days
	lo, hi := millis(in.From), millis(in.To)

	if err := tx.reportConversations(ctx, &r, days, in.IsOpen, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report conversations: %w", err)
	}
	if err := tx.reportLines(ctx, &r, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report lines: %w", err)
	}
	if err := tx.reportTrails(ctx, &r, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report trails: %w", err)
	}
	names, err := tx.reportAgentNames(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("report agents: %w", err)
	}
	if err := tx.reportHandoffs(ctx, &r, in.BusinessDuration, names, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report queue: %w", err)
	}
	if err := tx.reportRatings(ctx, &r, names, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report ratings: %w", err)
	}
	if r.Unmatched, err = tx.reportUnmatched(ctx, loc, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report phrases not understood: %w", err)
	}
	if r.Asked, err = tx.reportAsked(ctx, loc, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report phrases asked about: %w", err)
	}
	e := &r.Escalations
	err = tx.queryRow(ctx, reportEscalationsSQL, millis(asOf), millis(asOf), lo, hi).
		Scan(&e.Escalated, &e.Met, &e.Late, &e.Overdue, &e.WithinDeadline)
	if err != nil {
		return Report{}, fmt.Errorf("report escalations: %w", err)
	}
	if err := tx.reportMedia(ctx, &r.Media, lo, hi); err != nil {
		return Report{}, fmt.Errorf("report media: %w", err)
	}
	return r, nil
}

const (
	reportMediaInSQL = `SELECT kind, COUNT(*), SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) FROM media
WHERE direction = 'in' AND created_at >= ? AND created_at < ?
GROUP BY kind ORDER BY kind`
	reportMediaOutSQL = `SELECT m.kind, COUNT(*) FROM outbox o JOIN media m ON m.id = o.media
WHERE o.media <> 0 AND o.sent_at <> 0 AND o.created_at >= ? AND o.created_at < ?
GROUP BY m.kind ORDER BY m.kind`
)

func (tx *Tx) reportMedia(ctx context.Context, r *MediaReport, lo, hi int64) error {
	r.Received, r.Sent = []KindCount{}, []KindCount{}
	err := tx.eachRow(ctx, reportMediaInSQL, []any{lo, hi}, func(s rowScanner) error {
		var k KindCount
		var failed int
		if err := s.Scan(&k.Kind, &k.Count, &failed); err != nil {
			return err
		}
		r.Received = append(r.Received, k)
		r.Failed += failed
		return nil
	})
	if err != nil {
		return err
	}
	return tx.eachRow(ctx, reportMediaOutSQL, []any{lo, hi}, func(s rowScanner) error {
		var k KindCount
		if err := s.Scan(&k.Kind, &k.Count); err != nil {
			return err
		}
		r.Sent = append(r.Sent, k)
		return nil
	})
}

// dayIndex maps instants to the days of a report.
type dayIndex struct {
	days []Day
	ends []int64 // unix ms where each day ends (excluded), ascending
}

// reportDays lists every day in loc that [from, to) touches.
func reportDays(from, to time.Time, loc *time.Location) (dayIndex, error) {
	f := from.In(loc)
	day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	var ix dayIndex
	for day.Before(to) {
		if len(ix.days) == maxReportDays {
			return dayIndex{}, fmt.Errorf("report: range longer than %d days", maxReportDays)
		}
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		ix.days = append(ix.days, Day{Date: day.Format(time.DateOnly)})
		ix.ends = append(ix.ends, millis(next))
		day = next
	}
	return ix, nil
}

// of returns the index of the day holding ms.
func (ix dayIndex) of(ms int64) int {
	i, found := slices.BinarySearch(ix.ends, ms)
	if found {
		i++ // ms is the first instant of the next day
	}
	return min(i, len(ix.days)-1)
}

func (tx *Tx) reportConversations(ctx context.Context, r *Report, days dayIndex, isOpen func(time.Time) bool, lo, hi int64) error {
	return tx.eachRow(ctx, reportCreatedSQL, []any{lo, hi}, func(s rowScanner) error {
		var minute int64
		var n int
		if err := s.Scan(&minute, &n); err != nil {
			return err
		}
		start := max(minute*60000, lo) // the range may start inside a minute
		d := &r.Days[days.of(start)]
		d.Conversations += n
		r.Conversations += n
		if isOpen(fromMillis(start)) {
			r.InsideHours += n
		} else {
			d.OutsideHours += n
			r.OutsideHours += n
		}
		return nil
	})
}

const reportLinesSQL = `SELECT line, COUNT(*), SUM(CASE WHEN queued_at > 0 THEN 1 ELSE 0 END) FROM tickets
WHERE created_at >= ? AND created_at < ?
GROUP BY line ORDER BY line`

func (tx *Tx) reportLines(ctx context.Context, r *Report, lo, hi int64) error {
	r.Lines = []Line{}
	return tx.eachRow(ctx, reportLinesSQL, []any{lo, hi}, func(s rowScanner) error {
		var l Line
		if err := s.Scan(&l.Line, &l.Conversations, &l.ToPerson); err != nil {
			return err
		}
		r.Lines = append(r.Lines, l)
		return nil
	})
}

func (tx *Tx) reportTrails(ctx context.Context, r *Report, lo, hi int64) error {
	r.Trails = []Trail{}
	err := tx.eachRow(ctx, reportTrailsSQL, []any{lo, hi}, func(s rowScanner) error {
		var t Trail
		if err := s.Scan(&t.Topic, &t.Reached, &t.Solved, &t.ToPerson); err != nil {
			return err
		}
		t.DeflectionRate = ratio(t.Solved, t.Reached)
		r.Trails = append(r.Trails, t)
		return nil
	})
	slices.SortFunc(r.Trails, func(a, b Trail) int {
		return cmp.Or(cmp.Compare(b.Reached, a.Reached), cmp.Compare(a.Topic, b.Topic))
	})
	return err
}

// reportUnmatchedSQL groups the phrases not understood written in range;
// purged lines (Removed) are no phrase.
const reportUnmatchedSQL = `SELECT text, COUNT(*) AS n, MAX(at) AS last FROM ticket_events
WHERE kind = '` + EventUnmatched + `' AND at >= ? AND at < ? AND text <> '` + Removed + `'
GROUP BY text
ORDER BY n DESC, last DESC, text
LIMIT ?`

func (tx *Tx) reportUnmatched(ctx context.Context, loc *time.Location, lo, hi int64) ([]Phrase, error) {
	out := []Phrase{}
	err := tx.eachRow(ctx, reportUnmatchedSQL, []any{lo, hi, maxPhrases}, func(s rowScanner) error {
		var p Phrase
		var last int64
		if err := s.Scan(&p.Text, &p.Count, &last); err != nil {
			return err
		}
		p.Last = fromMillis(last).In(loc)
		out = append(out, p)
		return nil
	})
	return out, err
}

// reportAskedSQL groups the phrases asked about written in range with
// the answer each got: the ticket's next question or answer, if it is an
// answer. Purged lines (Removed) are no phrase.
const reportAskedSQL = `SELECT text, asked, chosen, COUNT(*) AS n, MAX(at) AS last FROM (
  SELECT a.text AS text, a.actor AS asked, a.at AS at, COALESCE((
    SELECT CASE WHEN c.kind = '` + EventChosen + `' THEN c.actor ELSE '` + NoAnswer + `' END FROM ticket_events c
    WHERE c.ticket = a.ticket AND c.id > a.id AND c.kind IN ('` + EventAsked + `', '` + EventChosen + `')
    ORDER BY c.id LIMIT 1), '` + NoAnswer + `') AS chosen
  FROM ticket_events a
  WHERE a.kind = '` + EventAsked + `' AND a.at >= ? AND a.at < ? AND a.text <> '` + Removed + `'
) AS q
GROUP BY text, asked, chosen
ORDER BY n DESC, last DESC, text, asked, chosen
LIMIT ?`

func (tx *Tx) reportAsked(ctx context.Context, loc *time.Location, lo, hi int64) ([]Asked, error) {
	out := []Asked{}
	err := tx.eachRow(ctx, reportAskedSQL, []any{lo, hi, maxPhrases}, func(s rowScanner) error {
		var a Asked
		var nodes string
		var last int64
		if err := s.Scan(&a.Text, &nodes, &a.Chosen, &a.Count, &last); err != nil {
			return err
		}
		a.Nodes = strings.Split(nodes, "|")
		a.Last = fromMillis(last).In(loc)
		out = append(out, a)
		return nil
	})
	return out, err
}

func (tx *Tx) reportAgentNames(ctx context.Context) (map[string]string, error) {
	names := map[string]string{}
	err := tx.eachRow(ctx, reportAgentNamesSQL, nil, func(s rowScanner) error {
		var id int64
		var name string
		if err := s.Scan(&id, &name); err != nil {
			return err
		}
		names[strconv.FormatInt(id, 10)] = name
		return nil
	})
	return names, err
}

// agentSamples gathers one agent's figures before the medians.
type agentSamples struct {
	load             AgentLoad
	first, handling  []time.Duration
	ratingSum, rated int
}

func (tx *Tx) reportHandoffs(ctx context.Context, r *Report, business func(a, b time.Time) time.Duration, names map[string]string, lo, hi int64) error {
	var wall, biz []time.Duration
	agents := map[string]*agentSamples{}
	err := tx.eachRow(ctx, reportHandoffsSQL, []any{lo, hi}, func(s rowScanner) error {
		var agent, status, reason string
		var queued, claimed, first, closed, escalated int64
		var entered sql.NullInt64
		if err := s.Scan(&agent, &status, &queued, &claimed, &first, &closed, &reason, &escalated, &entered); err != nil {
			return err
		}
		q := &r.Queue
		if entered.Valid || queued > 0 {
			q.Queued++
			switch {
			case claimed > 0:
				q.Claimed++
				if entered.Valid && claimed >= entered.Int64 {
					wall = append(wall, time.Duration(claimed-entered.Int64)*time.Millisecond)
					biz = append(biz, business(fromMillis(entered.Int64), fromMillis(claimed)))
				}
			case queued > 0 && status != StatusResolvido:
				q.Waiting++
			default:
				q.Abandoned++
			}
		}
		if claimed == 0 || agent == "" {
			return nil
		}
		a := agents[agent]
		if a == nil {
			a = &agentSamples{load: AgentLoad{Agent: agent, Name: names[agent]}}
			agents[agent] = a
		}
		a.load.Claimed++
		if first >= claimed {
			a.load.Responded++
			a.first = append(a.first, business(fromMillis(claimed), fromMillis(first)))
		}
		if reason == CloseSolvedByAgent {
			a.load.Resolved++
			if escalated == 0 && closed >= claimed {
				a.handling = append(a.handling, business(fromMillis(claimed), fromMillis(closed)))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.Queue.WaitWall, r.Queue.WaitBusiness = summarize(wall), summarize(biz)
	r.Agents = make([]AgentLoad, 0, len(agents))
	for _, a := range agents {
		a.load.FirstResponseBusiness, a.load.HandlingBusiness = summarize(a.first), summarize(a.handling)
		r.Agents = append(r.Agents, a.load)
	}
	sortAgents(r.Agents)
	return nil
}

func sortAgents(as []AgentLoad) {
	slices.SortFunc(as, func(a, b AgentLoad) int {
		return cmp.Or(cmp.Compare(b.Claimed, a.Claimed), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Agent, b.Agent))
	})
}

func (tx *Tx) reportRatings(ctx context.Context, r *Report, names map[string]string, lo, hi int64) error {
	byAgent := map[string]*Ratings{}
	byTrail := map[string]*Ratings{}
	add := func(m map[string]*Ratings, key string, rating, n int) {
		g := m[key]
		if g == nil {
			g = &Ratings{}
			m[key] = g
		}
		g.add(rating, n)
	}
	err := tx.eachRow(ctx, reportRatingsSQL, []any{lo, hi}, func(s rowScanner) error {
		var agent, topic string
		var rating, n int
		if err := s.Scan(&agent, &topic, &rating, &n); err != nil {
			return err
		}
		if rating < 1 || rating > 5 {
			return nil // the table's CHECK forbids it
		}
		r.CSAT.Ratings.add(rating, n)
		add(byAgent, agent, rating, n)
		add(byTrail, topic, rating, n)
		return nil
	})
	if err != nil {
		return err
	}
	r.CSAT.ByAgent = []AgentRatings{}
	for agent, g := range byAgent {
		r.CSAT.ByAgent = append(r.CSAT.ByAgent, AgentRatings{Agent: agent, Name: names[agent], Ratings: *g})
	}
	slices.SortFunc(r.CSAT.ByAgent, func(a, b AgentRatings) int { return cmp.Compare(a.Agent, b.Agent) })
	r.CSAT.ByTrail = []TrailRatings{}
	for topic, g := range byTrail {
		r.CSAT.ByTrail = append(r.CSAT.ByTrail, TrailRatings{Topic: topic, Ratings: *g})
	}
	slices.SortFunc(r.CSAT.ByTrail, func(a, b TrailRatings) int { return cmp.Compare(a.Topic, b.Topic) })

	// Agents who were rated but hold no claimed ticket in range still show.
	seen := map[string]int{}
	for i, a := range r.Agents {
		seen[a.Agent] = i
	}
	for _, g := range r.CSAT.ByAgent {
		if g.Agent == "" {
			continue
		}
		i, ok := seen[g.Agent]
		if !ok {
			r.Agents = append(r.Agents, AgentLoad{Agent: g.Agent, Name: g.Name})
			i = len(r.Agents) - 1
		}
		r.Agents[i].Rated, r.Agents[i].CSAT = g.Count, g.Average
	}
	sortAgents(r.Agents)
	return nil
}

// add counts n ratings of value rating and recomputes the average.
func (g *Ratings) add(rating, n int) {
	g.Count += n
	g.Distribution[rating-1] += n
	sum := 0
	for i, k := range g.Distribution {
		sum += (i + 1) * k
	}
	g.Average = ratio(sum, g.Count)
}

// summarize sorts ds and returns its count, median and 90th percentile.
func summarize(ds []time.Duration) Durations {
	slices.Sort(ds)
	return Durations{N: len(ds), Median: percentile(ds, 50), P90: percentile(ds, 90)}
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest rank: the ceil(p/100 * n)-th smallest value, so at least p% of
// the values are at most it. The median of an even count is the lower of
// the two middle values. 0 if sorted is empty.
func percentile(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100 // ceil(p*n/100)
	return sorted[max(rank, 1)-1]
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
