package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// saoPaulo loads the fixture's zone.
func saoPaulo(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// weekCalendar is the fixture's business calendar: Monday to Friday,
// 09:00-18:00 in loc, closed on the holidays (YYYY-MM-DD).
type weekCalendar struct {
	loc      *time.Location
	holidays map[string]bool
}

// hours returns the open interval of the day starting at midnight, if any.
func (c weekCalendar) hours(midnight time.Time) (start, end time.Time, ok bool) {
	if wd := midnight.Weekday(); wd == time.Saturday || wd == time.Sunday || c.holidays[midnight.Format(time.DateOnly)] {
		return time.Time{}, time.Time{}, false
	}
	y, m, d := midnight.Date()
	return time.Date(y, m, d, 9, 0, 0, 0, c.loc), time.Date(y, m, d, 18, 0, 0, 0, c.loc), true
}

func (c weekCalendar) IsOpen(t time.Time) bool {
	t = t.In(c.loc)
	start, end, ok := c.hours(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc))
	return ok && !t.Before(start) && t.Before(end)
}

func (c weekCalendar) BusinessDuration(a, b time.Time) time.Duration {
	var total time.Duration
	a, b = a.In(c.loc), b.In(c.loc)
	for day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, c.loc); day.Before(b); day = day.AddDate(0, 0, 1) {
		start, end, ok := c.hours(day)
		if !ok {
			continue
		}
		if start.Before(a) {
			start = a
		}
		if end.After(b) {
			end = b
		}
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}

// fixtureInput is the report of the fixture's week, as of 4 Jan 2027.
func fixtureInput(tb testing.TB) ReportInput {
	tb.Helper()
	sp := saoPaulo(tb)
	cal := weekCalendar{loc: sp, holidays: map[string]bool{"2026-12-25": true}}
	return ReportInput{
		From:             time.Date(2026, 12, 21, 0, 0, 0, 0, sp),
		To:               time.Date(2026, 12, 28, 0, 0, 0, 0, sp),
		Now:              time.Date(2027, 1, 4, 12, 0, 0, 0, sp),
		Loc:              sp,
		IsOpen:           cal.IsOpen,
		BusinessDuration: cal.BusinessDuration,
	}
}

// loadFixture runs testdata/report/fixture.sql on db.
func loadFixture(tb testing.TB, db *DB) {
	tb.Helper()
	script, err := os.ReadFile(filepath.Join("testdata", "report", "fixture.sql"))
	if err != nil {
		tb.Fatal(err)
	}
	update(tb, db, func(tx *Tx) error {
		if _, err := tx.exec(context.Background(), fixtureTimes(tb, string(script))); err != nil {
			return err
		}
		return syncSequences(context.Background(), tx)
	})
}

// fixtureTime is how the fixture writes an instant: unixepoch('2026-12-21
// 09:00-03:00') * 1000, seconds optional.
var fixtureTime = regexp.MustCompile(`unixepoch\('([^']+)'\) \* 1000`)

// fixtureTimes writes the fixture's instants as the unix milliseconds the
// columns hold: SQLite's unixepoch is not PostgreSQL's.
func fixtureTimes(tb testing.TB, script string) string {
	return fixtureTime.ReplaceAllStringFunc(script, func(m string) string {
		s := fixtureTime.FindStringSubmatch(m)[1]
		t, err := time.Parse("2006-01-02 15:04:05-07:00", s)
		if err != nil {
			t, err = time.Parse("2006-01-02 15:04-07:00", s)
		}
		if err != nil {
			tb.Fatalf("fixture time %q: %v", s, err)
		}
		return strconv.FormatInt(t.UnixMilli(), 10)
	})
}

func report(tb testing.TB, db *DB, in ReportInput) Report {
	tb.Helper()
	var r Report
	view(tb, db, func(tx *Tx) error {
		var err error
		r, err = tx.Report(context.Background(), in)
		return err
	})
	return r
}

// TestReport checks every figure of the fixture against answers worked
// out by hand from the comments in fixture.sql.
func TestReport(t *testing.T) {
	db := openTest(t)
	loadFixture(t, db)
	in := fixtureInput(t)
	got := report(t, db, in)
	m := time.Minute

	t.Run("range", func(t *testing.T) {
		if !got.From.Equal(in.From) || !got.To.Equal(in.To) || !got.AsOf.Equal(in.Now) || got.Location != "America/Sao_Paulo" {
			t.Errorf("got %v to %v as of %v in %s; want the input's", got.From, got.To, got.AsOf, got.Location)
		}
	})

	t.Run("conversations", func(t *testing.T) {
		// 15 tickets in range: 100011 (one second before) and 100012 (at To) are out.
		// Outside hours: Mon 23:30, Tue 18:00 (closing minute), Natal, Saturday, Sunday.
		if got.Conversations != 15 || got.InsideHours != 10 || got.OutsideHours != 5 {
			t.Errorf("got %d conversations, %d inside and %d outside hours; want 15, 10, 5",
				got.Conversations, got.InsideHours, got.OutsideHours)
		}
		want := []Day{
			{"2026-12-21", 4, 1}, // 09:00, 11:00, 12:00 and 23:30 (which is Tuesday in UTC)
			{"2026-12-22", 3, 1}, // 10:00, 17:40, 18:00
			{"2026-12-23", 2, 0},
			{"2026-12-24", 3, 0},
			{"2026-12-25", 1, 1}, // Natal
			{"2026-12-26", 1, 1},
			{"2026-12-27", 1, 1},
		}
		if !reflect.DeepEqual(got.Days, want) {
			t.Errorf("days:\n got %+v\nwant %+v", got.Days, want)
		}
	})

	t.Run("trails", func(t *testing.T) {
		want := []Trail{
			{Topic: "acesso", Reached: 2, Solved: 1, ToPerson: 1, DeflectionRate: 0.5},
			{Topic: "notas-nfe", Reached: 2, Solved: 1, ToPerson: 1, DeflectionRate: 0.5},
			{Topic: "notas-nfse", Reached: 2, Solved: 0, ToPerson: 1, DeflectionRate: 0},
			{Topic: "trilha-antiga", Reached: 1, Solved: 1, ToPerson: 0, DeflectionRate: 1},
		}
		if !reflect.DeepEqual(got.Trails, want) {
			t.Errorf("trails:\n got %+v\nwant %+v", got.Trails, want)
		}
	})

	t.Run("queue", func(t *testing.T) {
		// Claimed waits, wall: 1m 2m 4m 8m 10m 10m 9h30m 15h18m; business: the
		// night waits shrink to 5m (Tue 09:00-09:05) and 18m (Tue 17:45-18:00
		// plus Wed 09:00-09:03): 1m 2m 4m 5m 8m 10m 10m 18m. Of 8, the median
		// is the 4th, the 90th percentile the 8th (ceil 7.2).
		want := Queue{
			Queued: 10, Claimed: 8, Abandoned: 1, Waiting: 1,
			WaitWall:     Durations{N: 8, Median: 8 * m, P90: 15*time.Hour + 18*m},
			WaitBusiness: Durations{N: 8, Median: 5 * m, P90: 18 * m},
		}
		if got.Queue != want {
			t.Errorf("queue:\n got %+v\nwant %+v", got.Queue, want)
		}
	})

	t.Run("agents", func(t *testing.T) {
		want := []AgentLoad{
			// 100002, 100004, 100016 (escalated: no handling time). First
			// responses 2m 7m 1m; handling 30m and 57m. Rated 4 and 3.
			{Agent: "1", Name: "Ana", Claimed: 3, Resolved: 3, Responded: 3,
				FirstResponseBusiness: Durations{N: 3, Median: 2 * m, P90: 7 * m},
				HandlingBusiness:      Durations{N: 2, Median: 30 * m, P90: 57 * m},
				Rated:                 2, CSAT: 3.5},
			// 100008 (escalated, met), 100009 (open), 100017 (released by
			// Bruno, so claimed_at is his 16:05). First responses 2m 10m 30m.
			{Agent: "3", Name: "Carla", Claimed: 3, Resolved: 2, Responded: 3,
				FirstResponseBusiness: Durations{N: 3, Median: 10 * m, P90: 30 * m},
				HandlingBusiness:      Durations{N: 1, Median: 55 * m, P90: 55 * m},
				Rated:                 1, CSAT: 5},
			// 100003 (claimed Tue 09:05 after the night) and 100010 (open).
			{Agent: "2", Name: "Bruno", Claimed: 2, Resolved: 1, Responded: 2,
				FirstResponseBusiness: Durations{N: 2, Median: 1 * m, P90: 5 * m},
				HandlingBusiness:      Durations{N: 1, Median: 15 * m, P90: 15 * m},
				Rated:                 1, CSAT: 2},
		}
		if !reflect.DeepEqual(got.Agents, want) {
			t.Errorf("agents:\n got %+v\nwant %+v", got.Agents, want)
		}
	})

	t.Run("csat", func(t *testing.T) {
		// 5 4 2 3 4 5 5 (100011's 1 is out of range): 28 / 7.
		want := CSAT{
			Ratings: Ratings{Count: 7, Average: 4, Distribution: [5]int{0, 1, 1, 2, 3}},
			ByAgent: []AgentRatings{
				{Agent: "", Ratings: Ratings{Count: 3, Average: 14.0 / 3, Distribution: [5]int{0, 0, 0, 1, 2}}},
				{Agent: "1", Name: "Ana", Ratings: Ratings{Count: 2, Average: 3.5, Distribution: [5]int{0, 0, 1, 1, 0}}},
				{Agent: "2", Name: "Bruno", Ratings: Ratings{Count: 1, Average: 2, Distribution: [5]int{0, 1, 0, 0, 0}}},
				{Agent: "3", Name: "Carla", Ratings: Ratings{Count: 1, Average: 5, Distribution: [5]int{0, 0, 0, 0, 1}}},
			},
			ByTrail: []TrailRatings{
				{Topic: "", Ratings: Ratings{Count: 1, Average: 2, Distribution: [5]int{0, 1, 0, 0, 0}}},
				{Topic: "acesso", Ratings: Ratings{Count: 2, Average: 4.5, Distribution: [5]int{0, 0, 0, 1, 1}}},
				{Topic: "notas-nfe", Ratings: Ratings{Count: 2, Average: 4.5, Distribution: [5]int{0, 0, 0, 1, 1}}},
				{Topic: "notas-nfse", Ratings: Ratings{Count: 1, Average: 3, Distribution: [5]int{0, 0, 1, 0, 0}}},
				{Topic: "trilha-antiga", Ratings: Ratings{Count: 1, Average: 5, Distribution: [5]int{0, 0, 0, 0, 1}}},
			},
		}
		if !reflect.DeepEqual(got.CSAT, want) {
			t.Errorf("csat:\n got %+v\nwant %+v", got.CSAT, want)
		}
	})

	t.Run("escalations", func(t *testing.T) {
		want := Escalations{Escalated: 4, Met: 1, Late: 1, Overdue: 1, WithinDeadline: 1}
		if got.Escalations != want {
			t.Errorf("escalations: got %+v; want %+v", got.Escalations, want)
		}
	})
}

// TestReportAsOf judges the open escalations at another instant.
func TestReportAsOf(t *testing.T) {
	db := openTest(t)
	loadFixture(t, db)
	tests := []struct {
		name string
		now  time.Time
		want Escalations
	}{
		// Before 100009's due time (Thu 24 Dec 18:00) both open ones are on time.
		{"before a due time", time.Date(2026, 12, 24, 17, 59, 0, 0, saoPaulo(t)), Escalations{4, 1, 1, 0, 2}},
		// At the due time the promise still holds.
		{"at the due time", time.Date(2026, 12, 24, 18, 0, 0, 0, saoPaulo(t)), Escalations{4, 1, 1, 0, 2}},
		{"after both", time.Date(2027, 1, 9, 0, 0, 0, 0, saoPaulo(t)), Escalations{4, 1, 1, 2, 0}},
		// No Now: judged at To (Mon 28 Dec 00:00).
		{"zero means To", time.Time{}, Escalations{4, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixtureInput(t)
			in.Now = tt.now
			if got := report(t, db, in).Escalations; got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

// TestReportPartialRange starts and ends the range inside days.
func TestReportPartialRange(t *testing.T) {
	db := openTest(t)
	loadFixture(t, db)
	in := fixtureInput(t)
	sp := in.Loc
	in.From = time.Date(2026, 12, 21, 11, 0, 0, 0, sp) // 100002's very instant: included
	in.To = time.Date(2026, 12, 22, 10, 0, 0, 0, sp)   // 100008's very instant: excluded
	got := report(t, db, in)
	want := []Day{{"2026-12-21", 3, 1}, {"2026-12-22", 0, 0}}
	if got.Conversations != 3 || !reflect.DeepEqual(got.Days, want) {
		t.Errorf("got %d conversations, days %+v; want 3, %+v", got.Conversations, got.Days, want)
	}
}

func TestReportEmpty(t *testing.T) {
	db := openTest(t)
	in := fixtureInput(t)
	got := report(t, db, in)
	if got.Conversations != 0 || len(got.Days) != 7 || len(got.Trails) != 0 || len(got.Agents) != 0 ||
		got.Queue != (Queue{}) || got.CSAT.Count != 0 || got.Escalations != (Escalations{}) {
		t.Errorf("empty store: got %+v; want zero figures over 7 days", got)
	}
	if got.Trails == nil || got.Agents == nil || got.CSAT.ByAgent == nil || got.CSAT.ByTrail == nil {
		t.Errorf("empty lists are nil (JSON null); want []")
	}
}

func TestReportRejects(t *testing.T) {
	db := openTest(t)
	good := fixtureInput(t)
	tests := []struct {
		name string
		edit func(*ReportInput)
	}{
		{"to before from", func(in *ReportInput) { in.From, in.To = in.To, in.From }},
		{"empty range", func(in *ReportInput) { in.To = in.From }},
		{"zero from", func(in *ReportInput) { in.From = time.Time{} }},
		{"no calendar", func(in *ReportInput) { in.IsOpen = nil }},
		{"no business time", func(in *ReportInput) { in.BusinessDuration = nil }},
		{"too long", func(in *ReportInput) { in.From = in.To.AddDate(-11, 0, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.edit(&in)
			err := db.View(context.Background(), func(tx *Tx) error {
				_, err := tx.Report(context.Background(), in)
				return err
			})
			if err == nil {
				t.Errorf("Report(%s) = nil error; want one", tt.name)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	seq := func(n int) []time.Duration {
		ds := make([]time.Duration, n)
		for i := range ds {
			ds[i] = time.Duration(i + 1)
		}
		return ds
	}
	tests := []struct {
		n, p int
		want time.Duration
	}{
		{0, 50, 0},
		{1, 50, 1}, {1, 90, 1},
		{2, 50, 1}, {2, 90, 2}, // lower median
		{4, 50, 2},
		{5, 50, 3},
		{10, 90, 9}, {10, 50, 5},
		{11, 90, 10}, // ceil(9.9)
		{20, 90, 18},
		{100, 90, 90}, {101, 90, 91},
		{3, 100, 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("p%d of %d", tt.p, tt.n), func(t *testing.T) {
			if got := percentile(seq(tt.n), tt.p); got != tt.want {
				t.Errorf("percentile(1..%d, %d) = %d; want %d", tt.n, tt.p, got, tt.want)
			}
		})
	}
}

// TestFakeCalendar guards the fake the expected answers rest on.
func TestFakeCalendar(t *testing.T) {
	sp := saoPaulo(t)
	cal := weekCalendar{loc: sp, holidays: map[string]bool{"2026-12-25": true}}
	at := func(d, h, min int) time.Time { return time.Date(2026, 12, d, h, min, 0, 0, sp) }
	if !cal.IsOpen(at(21, 9, 0)) || cal.IsOpen(at(21, 18, 0)) || cal.IsOpen(at(25, 10, 0)) || cal.IsOpen(at(26, 12, 0)) {
		t.Error("IsOpen: want open Mon 09:00, closed Mon 18:00, Natal and Saturday")
	}
	if got := cal.BusinessDuration(at(22, 17, 45), at(23, 9, 3)); got != 18*time.Minute {
		t.Errorf("BusinessDuration(Tue 17:45, Wed 09:03) = %v; want 18m", got)
	}
	if got := cal.BusinessDuration(at(24, 17, 0), at(28, 9, 30)); got != 90*time.Minute {
		t.Errorf("BusinessDuration(Thu 17:00, Mon 09:30) = %v; want 1h30m over Natal and the weekend", got)
	}
}

// reportLoadSQL fills a store with n tickets, one every 86.4 s from 1 Sep
// 2026 (100 days for 100,000), twenty transcript lines each, and the
// queue notes, ratings and escalations of a busy line: 60% read a trail,
// 30% go to a person, one in 40 is escalated.
const reportLoadSQL = `
INSERT INTO agents (id, email, name, role, password_hash)
WITH RECURSIVE a(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM a WHERE i < 12)
SELECT i, 'a' || i || '@example.com', 'Agente ' || i, 'agent', 'x' FROM a;

INSERT INTO tickets (chat, topic, status, created_at, agent, claimed_at, first_response_at, closed_at, close_reason, escalated_at, escalation_due)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d - 1),
    c(i, created, handoff) AS (SELECT i, 1788231600000 + i * 86400, i %% 10 >= 7 FROM n)
SELECT 'c' || (i %% 5000),
    CASE WHEN i %% 10 < 6 OR i %% 10 = 7 THEN 'trail-' || (i %% 17) ELSE '' END,
    'resolvido', created,
    CASE WHEN handoff THEN '' || (1 + i %% 12) ELSE '' END,
    CASE WHEN handoff THEN created + 300000 + (i %% 13) * 60000 ELSE 0 END,
    CASE WHEN handoff THEN created + 420000 + (i %% 13) * 60000 ELSE 0 END,
    created + 1800000 + (i %% 29) * 60000,
    CASE WHEN handoff THEN 'resolvido_pelo_encantador' WHEN i %% 10 < 4 THEN 'resolvido_pelo_bot' ELSE 'inatividade' END,
    CASE WHEN handoff AND i %% 40 = 9 THEN created + 900000 ELSE 0 END,
    CASE WHEN handoff AND i %% 40 = 9 THEN created + 6 * 86400000 ELSE 0 END
FROM c;

INSERT INTO ticket_events (ticket, at, kind, actor, text)
WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 19)
SELECT t.id, t.created_at + k.j * 1000, CASE WHEN k.j %% 2 = 0 THEN 'customer' ELSE 'bot' END, 'x', 'mensagem ' || k.j
FROM tickets t, k;

INSERT INTO ticket_events (ticket, at, kind, actor, text)
SELECT id, created_at + 240000, 'system', 'bot', 'cliente entrou na fila de atendimento'
FROM tickets WHERE claimed_at > 0 OR id %% 10 = 6;

INSERT INTO feedback (ticket, chat, rating, agent, topic, at)
SELECT id, chat, 1 + id %% 5, agent, topic, closed_at FROM tickets WHERE id %% 10 IN (1, 2, 3, 8, 9);
`

// The indexes the report would like (see the report's documentation).
const reportIndexesSQL = `
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX ticket_events_queue ON ticket_events (ticket, at)
    WHERE kind = 'system' AND text = 'cliente entrou na fila de atendimento';
`

// dropReportIndexesSQL removes what migration 0004 created, for the
// benchmark's no-index case.
const dropReportIndexesSQL = `
DROP INDEX tickets_created;
DROP INDEX ticket_events_queue;
`

// BenchmarkReport reports on 100,000 tickets (2.1 million events), without
// and then with the indexes. The calendar is the fake one: flows.Calendar
// costs more per call (go test -bench Report -benchtime 3x ./store). With
// -short (make test) it runs on 2,000 tickets.
func BenchmarkReport(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 2_000
	}
	db := openTest(b)
	update(b, db, func(tx *Tx) error {
		if _, err := tx.exec(context.Background(), dropReportIndexesSQL); err != nil {
			return err
		}
		_, err := tx.exec(context.Background(), fmt.Sprintf(reportLoadSQL, n))
		return err
	})
	sp := saoPaulo(b)
	cal := weekCalendar{loc: sp}
	in := ReportInput{
		From: time.Date(2026, 9, 1, 0, 0, 0, 0, sp), To: time.Date(2026, 12, 10, 0, 0, 0, 0, sp), Loc: sp,
		IsOpen: cal.IsOpen, BusinessDuration: cal.BusinessDuration,
	}
	run := func(b *testing.B) {
		for b.Loop() {
			if r := report(b, db, in); r.Conversations != n {
				b.Fatalf("report saw %d conversations; want %d", r.Conversations, n)
			}
		}
	}
	b.Run("no-index", run)
	update(b, db, func(tx *Tx) error {
		_, err := tx.exec(context.Background(), reportIndexesSQL)
		return err
	})
	b.Run("indexed", run)
}

// weekAt gives instants of the fixture's December in in's location.
func weekAt(in ReportInput) func(day, hour int) time.Time {
	return func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, in.Loc) }
}

// addPhraseEvents creates tickets a (open in the week), b (open on the
// 22nd) and old (resolved, idle since before the week: a purge at the
// 20th takes it), and adds the events events gives for them.
func addPhraseEvents(t *testing.T, db *DB, in ReportInput, events func(a, b, old int64) []TicketEvent) {
	t.Helper()
	at := weekAt(in)
	update(t, db, func(tx *Tx) error {
		var ids [3]int64
		for i, tk := range []Ticket{
			{Chat: "a", Status: StatusAberto, CreatedAt: at(21, 10), LastActivityAt: at(23, 10)},
			{Chat: "c", Status: StatusAberto, CreatedAt: at(22, 10), LastActivityAt: at(22, 11)},
			{Chat: "b", Status: StatusResolvido, CreatedAt: at(14, 10), LastActivityAt: at(14, 11)},
		} {
			id, err := tx.CreateTicket(t.Context(), tk)
			if err != nil {
				return err
			}
			ids[i] = id
		}
		for _, e := range events(ids[0], ids[1], ids[2]) {
			if _, err := tx.AddTicketEvent(t.Context(), e); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestReportUnmatched: the phrases the bot did not understand, written in
// range, grouped and counted, most written first; purged lines drop out.
func TestReportUnmatched(t *testing.T) {
	db := openTest(t)
	in := fixtureInput(t)
	at := weekAt(in)
	addPhraseEvents(t, db, in, func(a, _, old int64) []TicketEvent {
		return []TicketEvent{
			{Ticket: a, At: at(21, 10), Kind: EventUnmatched, Actor: "inicio", Text: "kkkk"},
			{Ticket: a, At: at(22, 10), Kind: EventUnmatched, Actor: "notas", Text: "boleto vencido ontem"},
			{Ticket: a, At: at(23, 10), Kind: EventUnmatched, Actor: "inicio", Text: "kkkk"},
			{Ticket: a, At: at(23, 10), Kind: "customer", Actor: "a", Text: "kkkk"},                       // the customer's own line: not counted
			{Ticket: a, At: at(28, 0), Kind: EventUnmatched, Actor: "inicio", Text: "depois do fim"},      // at To: out
			{Ticket: old, At: at(20, 23), Kind: EventUnmatched, Actor: "inicio", Text: "antes do começo"}, // before From: out
			{Ticket: old, At: at(24, 9), Kind: EventUnmatched, Actor: "inicio", Text: "kkkk"},
			{Ticket: old, At: at(24, 9), Kind: EventUnmatched, Actor: "inicio", Text: "meu cpf e 12345678900"},
		}
	})
	got := report(t, db, in).Unmatched
	want := []Phrase{
		{Text: "kkkk", Count: 3, Last: at(24, 9)},
		{Text: "meu cpf e 12345678900", Count: 1, Last: at(24, 9)},
		{Text: "boleto vencido ontem", Count: 1, Last: at(22, 10)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("unmatched:\n got %+v\nwant %+v", got, want)
	}

	// Retention blanks them with the rest of the ticket's words.
	if _, err := db.Purge(t.Context(), at(20, 0), false); err != nil {
		t.Fatal(err)
	}
	got = report(t, db, in).Unmatched
	want = []Phrase{{Text: "kkkk", Count: 2, Last: at(23, 10)}, {Text: "boleto vencido ontem", Count: 1, Last: at(22, 10)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unmatched after the purge:\n got %+v\nwant %+v", got, want)
	}
}

// TestReportAsked: the phrases the bot asked about, written in range,
// grouped by what was asked and what the customer chose (the ticket's
// next answer; a new question or nothing is no answer), most written
// first; purged lines drop out.
func TestReportAsked(t *testing.T) {
	db := openTest(t)
	in := fixtureInput(t)
	at := weekAt(in)
	addPhraseEvents(t, db, in, func(a, b, old int64) []TicketEvent {
		return []TicketEvent{
			{Ticket: a, At: at(21, 10), Kind: EventAsked, Actor: "acesso", Text: "perdi minha senha"},
			{Ticket: a, At: at(21, 10), Kind: "customer", Actor: "a", Text: "sim"},
			{Ticket: a, At: at(21, 10), Kind: EventChosen, Actor: "acesso"},
			{Ticket: a, At: at(22, 9), Kind: EventAsked, Actor: "notas-cancelar|plano", Text: "quero cancelar"},
			{Ticket: a, At: at(22, 9), Kind: EventAsked, Actor: "notas-cancelar|plano", Text: "quero cancelar"}, // asked again: the first had no answer
			{Ticket: a, At: at(22, 9), Kind: EventChosen, Actor: "plano"},
			{Ticket: b, At: at(22, 10), Kind: EventAsked, Actor: "acesso", Text: "perdi minha senha"},
			{Ticket: b, At: at(22, 10), Kind: EventChosen, Actor: "acesso"},
			{Ticket: b, At: at(22, 11), Kind: EventAsked, Actor: "canais", Text: "que horas o medico atende"},
			{Ticket: b, At: at(22, 11), Kind: EventChosen, Actor: NoneChosen},
			{Ticket: a, At: at(23, 10), Kind: EventAsked, Actor: "acesso", Text: "perdi minha senha"}, // the customer left
			{Ticket: a, At: at(28, 0), Kind: EventAsked, Actor: "acesso", Text: "depois do fim"},      // at To: out
			{Ticket: old, At: at(24, 9), Kind: EventAsked, Actor: "canais", Text: "que horas o medico atende"},
			{Ticket: old, At: at(24, 9), Kind: EventChosen, Actor: NoneChosen},
		}
	})
	got := report(t, db, in).Asked
	want := []Asked{
		{Text: "que horas o medico atende", Nodes: []string{"canais"}, Chosen: NoneChosen, Count: 2, Last: at(24, 9)},
		{Text: "perdi minha senha", Nodes: []string{"acesso"}, Chosen: "acesso", Count: 2, Last: at(22, 10)},
		{Text: "perdi minha senha", Nodes: []string{"acesso"}, Chosen: NoAnswer, Count: 1, Last: at(23, 10)},
		{Text: "quero cancelar", Nodes: []string{"notas-cancelar", "plano"}, Chosen: NoAnswer, Count: 1, Last: at(22, 9)},
		{Text: "quero cancelar", Nodes: []string{"notas-cancelar", "plano"}, Chosen: "plano", Count: 1, Last: at(22, 9)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("asked:\n got %+v\nwant %+v", got, want)
	}

	// Retention blanks them with the rest of the ticket's words.
	if _, err := db.Purge(t.Context(), at(20, 0), false); err != nil {
		t.Fatal(err)
	}
	got = report(t, db, in).Asked
	want = append(want[1:3:3], Asked{Text: "que horas o medico atende", Nodes: []string{"canais"}, Chosen: NoneChosen, Count: 1, Last: at(22, 11)}, want[3], want[4])
	if !reflect.DeepEqual(got, want) {
		t.Errorf("asked after the purge:\n got %+v\nwant %+v", got, want)
	}
}
