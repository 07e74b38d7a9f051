package flows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// horizonDays bounds every forward search so a calendar that never opens
// (or never closes) cannot loop forever.
const horizonDays = 400

const minutesPerDay = 24 * 60

// Reasons shown to customers; kept together so wording stays consistent.
const (
	reasonOpen       = "horário de atendimento"
	reasonAfterHours = "fora do horário de atendimento"
	reasonWeekend    = "fim de semana"
	reasonClosedDate = "data fechada"
	holidayPrefix    = "feriado: "
)

// Date is a calendar day without time or zone, so holidays compare equal
// regardless of where or when they are looked up.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a "YYYY-MM-DD" date, rejecting days that do not exist
// (such as 2026-02-30) instead of silently normalizing them.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	y, okY := atoi(s[0:4])
	m, okM := atoi(s[5:7])
	d, okD := atoi(s[8:10])
	if !okY || !okM || !okD {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	if m < 1 || m > 12 {
		return Date{}, fmt.Errorf("invalid date %q: month out of range", s)
	}
	if d < 1 || d > daysIn(y, time.Month(m)) {
		return Date{}, fmt.Errorf("invalid date %q: day out of range", s)
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// String formats the date as "YYYY-MM-DD", the same form ParseDate accepts.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// DateOf returns the date of t in t's own location; convert t with In first
// to get the date somewhere else.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// Weekday returns the day of the week, computed in UTC so it does not
// depend on any zone.
func (d Date) Weekday() time.Weekday {
	return d.utc().Weekday()
}

func (d Date) utc() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

func (d Date) addDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

func (d Date) compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

// at returns the instant of minute (0..1440 since midnight) on d in loc. A wall
// time skipped by a DST jump maps to the instant the clock jumped, so spans
// starting at midnight on old São Paulo DST days still start on that day.
func (d Date) at(minute int, loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, minute/60, minute%60, 0, 0, loc)
	want := time.Date(d.Year, d.Month, d.Day, minute/60, minute%60, 0, 0, time.UTC)
	y, m, dd := t.Date()
	h, mi, _ := t.Clock()
	wy, wm, wd := want.Date()
	if y == wy && m == wm && dd == wd && h == want.Hour() && mi == want.Minute() {
		return t
	}
	_, end := t.ZoneBounds()
	if end.IsZero() {
		return t
	}
	return end
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// atoi parses a non-empty run of ASCII digits; strconv.Atoi would also
// accept signs, which no date or clock field may carry.
func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// Span is an opening interval within a day, in minutes since local midnight,
// half-open [Start, End) so 18:00 is already closed.
type Span struct {
	Start, End int
}

// String formats the span as "HH:MM-HH:MM", the form ParseSpans accepts.
func (s Span) String() string {
	return formatMinute(s.Start) + "-" + formatMinute(s.End)
}

func formatMinute(m int) string {
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// ParseSpans parses comma-separated "HH:MM-HH:MM" spans such as
// "09:00-12:00, 13:30-18:00". Times run from 00:00 to 24:00. Spans may come in
// any order and are returned sorted; empty or overlapping spans are errors
// because they almost always mean a typo in the editor's config.
func ParseSpans(s string) ([]Span, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no spans")
	}
	var spans []Span
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("empty span in %q", s)
		}
		from, to, ok := strings.Cut(part, "-")
		if !ok || strings.Contains(to, "-") {
			return nil, fmt.Errorf("invalid span %q: want HH:MM-HH:MM", part)
		}
		start, err := parseClock(strings.TrimSpace(from))
		if err != nil {
			return nil, err
		}
		end, err := parseClock(strings.TrimSpace(to))
		if err != nil {
			return nil, err
		}
		sp := Span{Start: start, End: end}
		switch {
		case end < start:
			return nil, fmt.Errorf("span %q ends before it starts", sp.String())
		case end == start:
			return nil, fmt.Errorf("span %q is empty", sp.String())
		}
		spans = append(spans, sp)
	}
	slices.SortFunc(spans, func(a, b Span) int { return cmpInt(a.Start, b.Start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].Start < spans[i-1].End {
			return nil, fmt.Errorf("spans %q and %q overlap", spans[i-1].String(), spans[i].String())
		}
	}
	return spans, nil
}

// parseClock parses a strict "HH:MM" between 00:00 and 24:00.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	h, okH := atoi(s[:2])
	m, okM := atoi(s[3:])
	if !okH || !okM || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	return h*60 + m, nil
}

// Calendar answers "are the Encantadores working at instant t?". Its
// methods are safe for concurrent use; set the fields before the first
// call and leave them alone after, since each year's holidays are kept.
type Calendar struct {
	Location *time.Location // wall clock of the spans; nil means UTC
	Week     [7][]Span      // by time.Weekday; empty = closed all day
	National bool           // close on NationalHolidays
	Optional []OptionalDay  // optional holidays kept; unknown keys are ignored
	Closed   []Holiday      // extra closed dates (empty Name -> "data fechada")
	Open     []OpenDate     // special hours that override everything for that date

	// holidays maps a year to its yearHolidays index, never changed once
	// stored: the report asks IsOpen about every ticket, and each answer
	// would otherwise redo Easter and the holiday lists. cachedYears
	// bounds it, since any year can be asked about.
	holidays    sync.Map
	cachedYears atomic.Int32
}

// maxCachedYears is far more years than a running service asks about.
const maxCachedYears = 64

// OptionalDay is an optional holiday the team keeps (a key of
// OptionalHolidays). With Open nil the whole day is closed; otherwise only
// the day's regular hours within Open stay open: {840, 1440} opens from
// 14:00, {0, 780} closes from 13:00.
type OptionalDay struct {
	Key  string
	Open *Span
}

// OpenDate opens a date with its own hours even if it is a holiday or a
// weekend. Empty Spans means the regular Week hours of that weekday, so an
// editor can simply "work on this holiday".
type OpenDate struct {
	Date  Date
	Name  string
	Spans []Span
}

// Status describes the calendar at an instant, for customers and for
// `suporte hours`.
type Status struct {
	Open   bool
	Reason string    // pt-BR, short, e.g. "feriado: Natal"
	Until  time.Time // next instant Open changes (in Location); zero if none within 400 days
}

// Status reports whether the calendar is open at t, why, and until when.
func (c *Calendar) Status(t time.Time) Status {
	v := c.newView()
	t = t.In(v.loc)
	today := DateOf(t)

	var cur interval // the open interval containing t, once found
	found := false
	day := today
	for range horizonDays + 1 {
		for _, iv := range v.intervals(day) {
			if !found {
				if !iv.end.After(t) {
					continue
				}
				if t.Before(iv.start) {
					return Status{Open: false, Reason: v.closedReason(today), Until: iv.start}
				}
				cur, found = iv, true
				continue
			}
			if iv.start.After(cur.end) {
				return Status{Open: true, Reason: reasonOpen, Until: cur.end}
			}
			if iv.end.After(cur.end) {
				cur.end = iv.end
			}
		}
		day = day.addDays(1)
	}
	if !found {
		return Status{Open: false, Reason: v.closedReason(today)}
	}
	st := Status{Open: true, Reason: reasonOpen}
	if cur.end.Before(day.at(0, v.loc)) {
		st.Until = cur.end
	}
	return st
}

// IsOpen reports whether the calendar is open at t; it only looks at t's
// own day, so it is cheaper than Status.
func (c *Calendar) IsOpen(t time.Time) bool {
	v := c.newView()
	t = t.In(v.loc)
	for _, iv := range v.intervals(DateOf(t)) {
		if !t.Before(iv.start) && t.Before(iv.end) {
			return true
		}
	}
	return false
}

// NextOpen returns t itself if open, else the next instant the calendar
// opens (zero if none within 400 days).
func (c *Calendar) NextOpen(t time.Time) time.Time {
	st := c.Status(t)
	if st.Open {
		return t
	}
	return st.Until
}

// Holiday returns why d is closed as a holiday or closed date ("", false if
// it is not one). An Open date is never a holiday.
func (c *Calendar) Holiday(d Date) (string, bool) {
	return c.newView().holiday(d)
}

// AddBusinessDays returns the closing instant of the n-th business day after
// t's day (a business day has at least one open span), for promises such as
// "até 6 dias úteis". n < 1 counts as 1. It returns the zero time if 400
// consecutive days pass without a business day.
func (c *Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	n = max(n, 1)
	v := c.newView()
	day := DateOf(t.In(v.loc))
	for idle := 0; idle < horizonDays; {
		day = day.addDays(1)
		ivs := v.intervals(day)
		if len(ivs) == 0 {
			idle++
			continue
		}
		idle = 0
		if n--; n == 0 {
			end := ivs[0].end
			for _, iv := range ivs[1:] {
				if iv.end.After(end) {
					end = iv.end
				}
			}
			return end
		}
	}
	return time.Time{}
}

// BusinessDuration returns how much open time lies in [a, b), for reports
// on how long the team took; it is zero when b is not after a.
func (c *Calendar) BusinessDuration(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	v := c.newView()
	a, b = a.In(v.loc), b.In(v.loc)
	last := DateOf(b)
	var total time.Duration
	for day := DateOf(a); day.compare(last) <= 0; day = day.addDays(1) {
		for _, iv := range v.intervals(day) {
			start, end := iv.start, iv.end
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
	}
	return total
}

type interval struct {
	start, end time.Time
}

// view is a per-call index of a Calendar's extra dates.
type view struct {
	cal    *Calendar
	loc    *time.Location
	open   map[Date]OpenDate
	closed map[Date]string
}

func (c *Calendar) newView() *view {
	v := &view{
		cal:    c,
		loc:    c.Location,
		open:   make(map[Date]OpenDate, len(c.Open)),
		closed: make(map[Date]string, len(c.Closed)),
	}
	if v.loc == nil {
		v.loc = time.UTC
	}
	for _, o := range c.Open {
		if _, dup := v.open[o.Date]; !dup {
			v.open[o.Date] = o
		}
	}
	for _, h := range c.Closed {
		if _, dup := v.closed[h.Date]; dup {
			continue
		}
		name := h.Name
		if name == "" {
			name = reasonClosedDate
		}
		v.closed[h.Date] = name
	}
	return v
}

// dayOff is a holiday of the calendar: why, and, for a day closed only in
// part, the window its regular hours stay open within.
type dayOff struct {
	reason string
	open   *Span
}

// yearHolidays indexes the national and optional holidays of year; the first
// wins when two fall on the same date, so a national holiday closes the
// whole day even if an optional one on it keeps some hours.
func (c *Calendar) yearHolidays(year int) map[Date]dayOff {
	if m, ok := c.holidays.Load(year); ok {
		return m.(map[Date]dayOff)
	}
	m := make(map[Date]dayOff)
	add := func(hs []Holiday, open *Span) {
		for _, h := range hs {
			if _, dup := m[h.Date]; !dup {
				m[h.Date] = dayOff{reason: holidayPrefix + h.Name, open: open}
			}
		}
	}
	if c.National {
		add(NationalHolidays(year), nil)
	}
	for _, o := range c.Optional {
		if hs, ok := OptionalHolidays(o.Key, year); ok {
			add(hs, o.Open)
		}
	}
	// Two first calls for a year may both get here; their maps are equal.
	if c.cachedYears.Load() < maxCachedYears && c.cachedYears.Add(1) <= maxCachedYears {
		c.holidays.Store(year, m)
	}
	return m
}

func (v *view) holiday(d Date) (string, bool) {
	off, ok := v.dayOff(d)
	return off.reason, ok
}

// dayOff returns d's holiday or closed date, if any; an Open date is none.
// A day closed whole wins over one closed in part.
func (v *view) dayOff(d Date) (dayOff, bool) {
	if _, ok := v.open[d]; ok {
		return dayOff{}, false
	}
	off, holiday := v.cal.yearHolidays(d.Year)[d]
	if holiday && off.open == nil {
		return off, true
	}
	if r, ok := v.closed[d]; ok {
		return dayOff{reason: r}, true
	}
	return off, holiday
}

// spans returns the opening spans of d after applying overrides and holidays.
func (v *view) spans(d Date) []Span {
	if o, ok := v.open[d]; ok && len(o.Spans) > 0 {
		return o.Spans
	}
	week := v.cal.Week[d.Weekday()]
	off, ok := v.dayOff(d)
	switch {
	case !ok:
		return week
	case off.open == nil:
		return nil
	}
	return Within(week, *off.open)
}

// Within returns the parts of spans inside w: a day's regular hours on a
// day that keeps only some of them.
func Within(spans []Span, w Span) []Span {
	var out []Span
	for _, s := range spans {
		if start, end := max(s.Start, w.Start), min(s.End, w.End); end > start {
			out = append(out, Span{Start: start, End: end})
		}
	}
	return out
}

// intervals returns d's open intervals as instants, sorted and with
// impossible spans dropped, since Week may be filled without ParseSpans.
func (v *view) intervals(d Date) []interval {
	spans := v.spans(d)
	if len(spans) == 0 {
		return nil
	}
	ivs := make([]interval, 0, len(spans))
	for _, s := range spans {
		start, end := max(s.Start, 0), min(s.End, minutesPerDay)
		if end <= start {
			continue
		}
		ivs = append(ivs, interval{start: d.at(start, v.loc), end: d.at(end, v.loc)})
	}
	slices.SortFunc(ivs, func(a, b interval) int { return a.start.Compare(b.start) })
	return ivs
}

func (v *view) closedReason(d Date) string {
	if r, ok := v.holiday(d); ok {
		return r
	}
	if wd := d.Weekday(); len(v.spans(d)) == 0 && (wd == time.Saturday || wd == time.Sunday) {
		return reasonWeekend
	}
	return reasonAfterHours
}
