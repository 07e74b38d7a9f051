package flows

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// calSaoPaulo loads the zone the real bot uses; tests fail loudly without
// tzdata rather than silently testing UTC.
func calSaoPaulo(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatalf("load location: %v", err)
	}
	return loc
}

// calAt builds a wall-clock instant in loc, the same way the calendar does.
func calAt(loc *time.Location, y int, m time.Month, day, h, mi, s int) time.Time {
	return time.Date(y, m, day, h, mi, s, 0, loc)
}

// calOfficeHours returns 09:00-18:00; a fresh slice so no test can
// change another's hours.
func calOfficeHours() []Span { return []Span{{Start: 9 * 60, End: 18 * 60}} }

// calSplitHours returns 09:00-12:00, 13:30-18:00 (closed for lunch).
func calSplitHours() []Span {
	return []Span{{Start: 9 * 60, End: 12 * 60}, {Start: 13*60 + 30, End: 18 * 60}}
}

// calWeekdays returns a week open Monday to Friday with spans.
func calWeekdays(spans []Span) [7][]Span {
	var w [7][]Span
	for wd := time.Monday; wd <= time.Friday; wd++ {
		w[wd] = spans
	}
	return w
}

// calEveryDay returns a week open every day with spans.
func calEveryDay(spans ...Span) [7][]Span {
	var w [7][]Span
	for i := range w {
		w[i] = spans
	}
	return w
}

// calReal is the production config: Mon–Fri 09:00-18:00 São Paulo with
// national holidays.
func calReal(loc *time.Location) *Calendar {
	return &Calendar{Location: loc, Week: calWeekdays(calOfficeHours()), National: true}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr string
	}{
		{"2026-12-24", calDate(2026, time.December, 24), ""},
		{"2024-02-29", calDate(2024, time.February, 29), ""},
		{"0999-01-02", calDate(999, time.January, 2), ""},
		{"2026-02-30", Date{}, `invalid date "2026-02-30": day out of range`},
		{"2025-02-29", Date{}, `invalid date "2025-02-29": day out of range`},
		{"2026-04-31", Date{}, `invalid date "2026-04-31": day out of range`},
		{"2026-12-00", Date{}, `invalid date "2026-12-00": day out of range`},
		{"2026-13-01", Date{}, `invalid date "2026-13-01": month out of range`},
		{"2026-00-10", Date{}, `invalid date "2026-00-10": month out of range`},
		{"2026-1-2", Date{}, `invalid date "2026-1-2": want YYYY-MM-DD`},
		{"26-12-24", Date{}, `invalid date "26-12-24": want YYYY-MM-DD`},
		{"2026/12/24", Date{}, `invalid date "2026/12/24": want YYYY-MM-DD`},
		{"24/12/2026", Date{}, `invalid date "24/12/2026": want YYYY-MM-DD`},
		{"2026-12-24T00:00", Date{}, `invalid date "2026-12-24T00:00": want YYYY-MM-DD`},
		{" 2026-12-24", Date{}, `invalid date " 2026-12-24": want YYYY-MM-DD`},
		{"+026-12-24", Date{}, `invalid date "+026-12-24": want YYYY-MM-DD`},
		{"", Date{}, `invalid date "": want YYYY-MM-DD`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseDate(%q) error = %v; want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q) error = %v; want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDate(%q) = %v; want %v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q; want %q", s, tt.in)
			}
		})
	}
}

func TestDateOfAndWeekday(t *testing.T) {
	loc := calSaoPaulo(t)
	utc := time.Date(2026, time.November, 25, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		t       time.Time
		want    Date
		weekday time.Weekday
	}{
		{"utc instant in utc", utc, calDate(2026, time.November, 25), time.Wednesday},
		{"same instant in sao paulo", utc.In(loc), calDate(2026, time.November, 24), time.Tuesday},
		{"christmas", calAt(loc, 2026, time.December, 25, 0, 0, 0), calDate(2026, time.December, 25), time.Friday},
		{"leap day", calAt(loc, 2024, time.February, 29, 23, 59, 59), calDate(2024, time.February, 29), time.Thursday},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DateOf(tt.t)
			if got != tt.want {
				t.Errorf("DateOf(%v) = %v; want %v", tt.t, got, tt.want)
			}
			if wd := got.Weekday(); wd != tt.weekday {
				t.Errorf("%v.Weekday() = %v; want %v", got, wd, tt.weekday)
			}
		})
	}
}

func TestParseSpans(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Span
		wantErr string
	}{
		{"single", "09:00-18:00", calOfficeHours(), ""},
		{"split", "09:00-12:00, 13:30-18:00", calSplitHours(), ""},
		{"unsorted is sorted", "13:30-18:00,09:00-12:00", calSplitHours(), ""},
		{"spaces around dash", " 09:00 - 18:00 ", calOfficeHours(), ""},
		{"whole day", "00:00-24:00", []Span{{0, 1440}}, ""},
		{"adjacent spans", "09:00-12:00,12:00-13:00", []Span{{540, 720}, {720, 780}}, ""},
		{"empty", "", nil, "no spans"},
		{"blank", "   ", nil, "no spans"},
		{"hour too big", "25:00-26:00", nil, `invalid time "25:00"`},
		{"past midnight", "09:00-24:01", nil, `invalid time "24:01"`},
		{"minute too big", "09:60-10:00", nil, `invalid time "09:60"`},
		{"one digit hour", "9:00-18:00", nil, `invalid time "9:00"`},
		{"signed hour", "+9:00-18:00", nil, `invalid time "+9:00"`},
		{"h notation", "9h-18h", nil, `invalid time "9h"`},
		{"h with minutes", "09h00-18:00", nil, `invalid time "09h00"`},
		{"portuguese range", "09:00 às 18:00", nil, `invalid span "09:00 às 18:00": want HH:MM-HH:MM`},
		{"no end", "09:00", nil, `invalid span "09:00": want HH:MM-HH:MM`},
		{"two dashes", "09:00-12:00-13:00", nil, `invalid span "09:00-12:00-13:00": want HH:MM-HH:MM`},
		{"trailing comma", "09:00-12:00,", nil, `empty span in "09:00-12:00,"`},
		{"ends before start", "18:00-09:00", nil, `span "18:00-09:00" ends before it starts`},
		{"empty span", "09:00-09:00", nil, `span "09:00-09:00" is empty`},
		{"overlap", "09:00-12:00, 11:00-13:00", nil, `spans "09:00-12:00" and "11:00-13:00" overlap`},
		{"overlap unsorted", "11:00-13:00, 09:00-12:00", nil, `spans "09:00-12:00" and "11:00-13:00" overlap`},
		{"duplicate", "09:00-12:00,09:00-12:00", nil, `spans "09:00-12:00" and "09:00-12:00" overlap`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSpans(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseSpans(%q) error = %v; want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSpans(%q) error = %v; want nil", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseSpans(%q) = %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSpanString(t *testing.T) {
	tests := []struct {
		span Span
		want string
	}{
		{Span{540, 1080}, "09:00-18:00"},
		{Span{0, 1440}, "00:00-24:00"},
		{Span{810, 815}, "13:30-13:35"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.span.String(); got != tt.want {
				t.Errorf("String() = %q; want %q", got, tt.want)
			}
			back, err := ParseSpans(tt.want)
			if err != nil || len(back) != 1 || back[0] != tt.span {
				t.Errorf("ParseSpans(%q) = %v, %v; want [%v]", tt.want, back, err, tt.span)
			}
		})
	}
}

func TestCalendarHoliday(t *testing.T) {
	loc := calSaoPaulo(t)
	withExtras := calReal(loc)
	withExtras.Optional = whole("carnaval", "no_such_key")
	withExtras.Closed = []Holiday{
		{Date: calDate(2026, time.November, 24), Name: "Treinamento da equipe"},
		{Date: calDate(2026, time.November, 25)},
		{Date: calDate(2026, time.December, 7), Name: "Fechado e aberto"},
	}
	withExtras.Open = []OpenDate{
		{Date: calDate(2026, time.November, 20), Name: "Plantão"},
		{Date: calDate(2026, time.December, 7)},
	}
	noNational := &Calendar{Location: loc, Week: calWeekdays(calOfficeHours())}

	tests := []struct {
		name   string
		cal    *Calendar
		date   Date
		want   string
		wantOK bool
	}{
		{"christmas", calReal(loc), calDate(2026, time.December, 25), "feriado: Natal", true},
		{"good friday", calReal(loc), calDate(2026, time.April, 3), "feriado: Paixão de Cristo", true},
		{"nov 20 2026", calReal(loc), calDate(2026, time.November, 20), "feriado: Dia Nacional de Zumbi e da Consciência Negra", true},
		{"nov 20 2023 was not national", calReal(loc), calDate(2023, time.November, 20), "", false},
		{"holiday on a sunday", calReal(loc), calDate(2026, time.November, 15), "feriado: Proclamação da República", true},
		{"plain weekday", calReal(loc), calDate(2026, time.November, 24), "", false},
		{"plain saturday is not a holiday", calReal(loc), calDate(2026, time.November, 28), "", false},
		{"carnaval not national", calReal(loc), calDate(2027, time.February, 8), "", false},
		{"national off", noNational, calDate(2026, time.December, 25), "", false},
		{"optional carnaval", withExtras, calDate(2027, time.February, 9), "feriado: Carnaval (terça-feira)", true},
		{"closed with name", withExtras, calDate(2026, time.November, 24), "Treinamento da equipe", true},
		{"closed without name", withExtras, calDate(2026, time.November, 25), "data fechada", true},
		{"open override on holiday", withExtras, calDate(2026, time.November, 20), "", false},
		{"open override beats closed", withExtras, calDate(2026, time.December, 7), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.cal.Holiday(tt.date)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Holiday(%v) = %q, %v; want %q, %v", tt.date, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCalendarStatus(t *testing.T) {
	loc := calSaoPaulo(t)
	at := func(y int, m time.Month, day, h, mi, s int) time.Time { return calAt(loc, y, m, day, h, mi, s) }
	utc := func(y int, m time.Month, day, h, mi, s int) time.Time {
		return time.Date(y, m, day, h, mi, s, 0, time.UTC)
	}

	office := calReal(loc)

	split := calReal(loc)
	split.Week = calWeekdays(calSplitHours())

	extras := calReal(loc)
	extras.Optional = whole("carnaval")
	extras.Closed = []Holiday{
		{Date: calDate(2026, time.November, 24), Name: "Treinamento da equipe"},
		{Date: calDate(2026, time.November, 26)},
	}
	extras.Open = []OpenDate{
		{Date: calDate(2026, time.December, 25), Name: "Plantão de Natal", Spans: []Span{{10 * 60, 14 * 60}}},
		{Date: calDate(2026, time.November, 20), Name: "Trabalhamos no feriado"},
		{Date: calDate(2026, time.November, 28), Name: "Sábado especial", Spans: []Span{{10 * 60, 14 * 60}}},
	}

	allDay := &Calendar{Location: loc, Week: calEveryDay(Span{0, 1440})}
	never := &Calendar{Location: loc}
	nights := &Calendar{Location: loc, Week: calEveryDay(Span{22 * 60, 1440}, Span{0, 2 * 60})}
	unsorted := &Calendar{Location: loc, Week: calWeekdays([]Span{{13*60 + 30, 18 * 60}, {9 * 60, 12 * 60}})}
	utcCal := &Calendar{Week: calWeekdays(calOfficeHours())}
	// São Paulo DST began at midnight on 2018-11-04: 00:00 never happened,
	// so a midnight span opens at the jump (01:00 -02).
	dstMidnight := &Calendar{Location: loc, Week: calEveryDay(Span{0, 6 * 60})}

	const (
		open    = "horário de atendimento"
		after   = "fora do horário de atendimento"
		weekend = "fim de semana"
	)
	tests := []struct {
		name string
		cal  *Calendar
		t    time.Time
		want Status
	}{
		{"just before opening", office, at(2026, time.November, 24, 8, 59, 59), Status{false, after, at(2026, time.November, 24, 9, 0, 0)}},
		{"opening instant", office, at(2026, time.November, 24, 9, 0, 0), Status{true, open, at(2026, time.November, 24, 18, 0, 0)}},
		{"last open second", office, at(2026, time.November, 24, 17, 59, 59), Status{true, open, at(2026, time.November, 24, 18, 0, 0)}},
		{"closing instant", office, at(2026, time.November, 24, 18, 0, 0), Status{false, after, at(2026, time.November, 25, 9, 0, 0)}},
		{"midnight", office, at(2026, time.November, 25, 0, 0, 0), Status{false, after, at(2026, time.November, 25, 9, 0, 0)}},
		{"friday night", office, at(2026, time.November, 27, 23, 0, 0), Status{false, after, at(2026, time.November, 30, 9, 0, 0)}},
		{"saturday", office, at(2026, time.November, 28, 10, 0, 0), Status{false, weekend, at(2026, time.November, 30, 9, 0, 0)}},
		{"sunday", office, at(2026, time.November, 29, 23, 59, 59), Status{false, weekend, at(2026, time.November, 30, 9, 0, 0)}},
		{"christmas friday", office, at(2026, time.December, 25, 10, 0, 0), Status{false, "feriado: Natal", at(2026, time.December, 28, 9, 0, 0)}},
		{"christmas eve after hours", office, at(2026, time.December, 24, 18, 0, 0), Status{false, after, at(2026, time.December, 28, 9, 0, 0)}},
		{"new year", office, at(2027, time.January, 1, 12, 0, 0), Status{false, "feriado: Confraternização Universal", at(2027, time.January, 4, 9, 0, 0)}},
		{"good friday", office, at(2026, time.April, 3, 12, 0, 0), Status{false, "feriado: Paixão de Cristo", at(2026, time.April, 6, 9, 0, 0)}},
		{"thursday before good friday", office, at(2026, time.April, 2, 18, 0, 0), Status{false, after, at(2026, time.April, 6, 9, 0, 0)}},
		{"nov 20 2026", office, at(2026, time.November, 20, 9, 30, 0), Status{false, "feriado: Dia Nacional de Zumbi e da Consciência Negra", at(2026, time.November, 23, 9, 0, 0)}},
		{"holiday on sunday", office, at(2026, time.November, 15, 9, 30, 0), Status{false, "feriado: Proclamação da República", at(2026, time.November, 16, 9, 0, 0)}},
		{"long weekend independence", office, at(2026, time.September, 4, 18, 0, 0), Status{false, after, at(2026, time.September, 8, 9, 0, 0)}},
		{"long weekend aparecida", office, at(2026, time.October, 10, 8, 0, 0), Status{false, weekend, at(2026, time.October, 13, 9, 0, 0)}},
		{"open end before long weekend", office, at(2026, time.October, 9, 17, 0, 0), Status{true, open, at(2026, time.October, 9, 18, 0, 0)}},
		{"carnaval not closed by default", office, at(2027, time.February, 8, 10, 0, 0), Status{true, open, at(2027, time.February, 8, 18, 0, 0)}},
		{"utc opening", office, utc(2026, time.November, 24, 12, 0, 0), Status{true, open, at(2026, time.November, 24, 18, 0, 0)}},
		{"utc before opening", office, utc(2026, time.November, 24, 11, 59, 59), Status{false, after, at(2026, time.November, 24, 9, 0, 0)}},
		{"utc date differs", office, utc(2026, time.November, 25, 2, 0, 0), Status{false, after, at(2026, time.November, 25, 9, 0, 0)}},
		{"dst era weekday", office, at(2018, time.November, 5, 9, 0, 0), Status{true, open, utc(2018, time.November, 5, 20, 0, 0)}},
		{"dst starts over holiday weekend", office, at(2018, time.November, 1, 18, 0, 0), Status{false, after, utc(2018, time.November, 5, 11, 0, 0)}},
		{"dst ends over weekend", office, at(2019, time.February, 15, 18, 0, 0), Status{false, after, utc(2019, time.February, 18, 12, 0, 0)}},

		{"lunch break", split, at(2026, time.November, 24, 12, 0, 0), Status{false, after, at(2026, time.November, 24, 13, 30, 0)}},
		{"lunch last second", split, at(2026, time.November, 24, 13, 29, 59), Status{false, after, at(2026, time.November, 24, 13, 30, 0)}},
		{"morning until lunch", split, at(2026, time.November, 24, 11, 59, 59), Status{true, open, at(2026, time.November, 24, 12, 0, 0)}},
		{"afternoon", split, at(2026, time.November, 24, 13, 30, 0), Status{true, open, at(2026, time.November, 24, 18, 0, 0)}},
		{"unsorted week spans", unsorted, at(2026, time.November, 24, 12, 0, 0), Status{false, after, at(2026, time.November, 24, 13, 30, 0)}},

		{"open override on christmas", extras, at(2026, time.December, 25, 10, 0, 0), Status{true, open, at(2026, time.December, 25, 14, 0, 0)}},
		{"before override opens", extras, at(2026, time.December, 25, 9, 0, 0), Status{false, after, at(2026, time.December, 25, 10, 0, 0)}},
		{"after override closes", extras, at(2026, time.December, 25, 14, 0, 0), Status{false, after, at(2026, time.December, 28, 9, 0, 0)}},
		{"override without spans uses week", extras, at(2026, time.November, 20, 17, 0, 0), Status{true, open, at(2026, time.November, 20, 18, 0, 0)}},
		{"override on saturday", extras, at(2026, time.November, 28, 9, 0, 0), Status{false, after, at(2026, time.November, 28, 10, 0, 0)}},
		{"closed extra date", extras, at(2026, time.November, 24, 10, 0, 0), Status{false, "Treinamento da equipe", at(2026, time.November, 25, 9, 0, 0)}},
		{"closed extra without name", extras, at(2026, time.November, 26, 10, 0, 0), Status{false, "data fechada", at(2026, time.November, 27, 9, 0, 0)}},
		{"carnaval monday", extras, at(2027, time.February, 8, 10, 0, 0), Status{false, "feriado: Carnaval (segunda-feira)", at(2027, time.February, 10, 9, 0, 0)}},
		{"friday before carnaval", extras, at(2027, time.February, 5, 18, 0, 0), Status{false, after, at(2027, time.February, 10, 9, 0, 0)}},

		{"always open", allDay, at(2026, time.November, 24, 3, 0, 0), Status{true, open, time.Time{}}},
		{"never open weekday", never, at(2026, time.November, 24, 10, 0, 0), Status{false, after, time.Time{}}},
		{"never open saturday", never, at(2026, time.November, 28, 10, 0, 0), Status{false, weekend, time.Time{}}},
		{"night spans merge across midnight", nights, at(2026, time.November, 24, 23, 0, 0), Status{true, open, at(2026, time.November, 25, 2, 0, 0)}},
		{"night spans after midnight", nights, at(2026, time.November, 25, 1, 0, 0), Status{true, open, at(2026, time.November, 25, 2, 0, 0)}},
		{"night spans closed", nights, at(2026, time.November, 25, 12, 0, 0), Status{false, after, at(2026, time.November, 25, 22, 0, 0)}},
		{"nil location is utc", utcCal, utc(2026, time.November, 24, 8, 0, 0), Status{false, after, utc(2026, time.November, 24, 9, 0, 0)}},
		{"dst gap at midnight", dstMidnight, utc(2018, time.November, 4, 2, 30, 0), Status{false, after, utc(2018, time.November, 4, 3, 0, 0)}},
		{"dst gap day open", dstMidnight, utc(2018, time.November, 4, 3, 0, 0), Status{true, open, utc(2018, time.November, 4, 8, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Status(tt.t)
			if got.Open != tt.want.Open || got.Reason != tt.want.Reason || !got.Until.Equal(tt.want.Until) {
				t.Errorf("Status(%v) = {%v %q %v}; want {%v %q %v}",
					tt.t, got.Open, got.Reason, got.Until, tt.want.Open, tt.want.Reason, tt.want.Until)
			}
			wantLoc := tt.cal.Location
			if wantLoc == nil {
				wantLoc = time.UTC
			}
			if !got.Until.IsZero() && got.Until.Location() != wantLoc {
				t.Errorf("Until location = %v; want %v", got.Until.Location(), wantLoc)
			}
			if isOpen := tt.cal.IsOpen(tt.t); isOpen != tt.want.Open {
				t.Errorf("IsOpen(%v) = %v; want %v", tt.t, isOpen, tt.want.Open)
			}
		})
	}
}

// TestCalendarStatusConsistent sweeps a month of instants around the
// year-end holidays and checks that Status, IsOpen and NextOpen agree and
// that Until really is the next change.
func TestCalendarStatusConsistent(t *testing.T) {
	loc := calSaoPaulo(t)
	cals := map[string]*Calendar{
		"real":  calReal(loc),
		"split": {Location: loc, Week: calWeekdays(calSplitHours()), National: true, Optional: whole("vespera_de_natal")},
	}
	for name, cal := range cals {
		t.Run(name, func(t *testing.T) {
			start := calAt(loc, 2026, time.December, 15, 0, 0, 0)
			end := calAt(loc, 2027, time.January, 15, 0, 0, 0)
			for ts := start; ts.Before(end); ts = ts.Add(15 * time.Minute) {
				st := cal.Status(ts)
				if got := cal.IsOpen(ts); got != st.Open {
					t.Fatalf("IsOpen(%v) = %v; want %v (Status)", ts, got, st.Open)
				}
				next := cal.NextOpen(ts)
				if st.Open && !next.Equal(ts) {
					t.Fatalf("NextOpen(%v) = %v; want t itself", ts, next)
				}
				if !st.Open && !next.Equal(st.Until) {
					t.Fatalf("NextOpen(%v) = %v; want %v", ts, next, st.Until)
				}
				if st.Until.IsZero() || !st.Until.After(ts) {
					t.Fatalf("Status(%v).Until = %v; want a later instant", ts, st.Until)
				}
				if cal.IsOpen(st.Until.Add(-time.Second)) != st.Open {
					t.Fatalf("Status(%v): open changed before Until %v", ts, st.Until)
				}
				if cal.IsOpen(st.Until) == st.Open {
					t.Fatalf("Status(%v): open did not change at Until %v", ts, st.Until)
				}
			}
		})
	}
}

func TestCalendarNextOpen(t *testing.T) {
	loc := calSaoPaulo(t)
	at := func(y int, m time.Month, day, h, mi int) time.Time { return calAt(loc, y, m, day, h, mi, 0) }
	tests := []struct {
		name string
		cal  *Calendar
		t    time.Time
		want time.Time
	}{
		{"open returns t", calReal(loc), at(2026, time.November, 24, 10, 7), at(2026, time.November, 24, 10, 7)},
		{"before opening", calReal(loc), at(2026, time.November, 24, 7, 0), at(2026, time.November, 24, 9, 0)},
		{"christmas", calReal(loc), at(2026, time.December, 25, 7, 0), at(2026, time.December, 28, 9, 0)},
		{"never opens", &Calendar{Location: loc}, at(2026, time.November, 24, 7, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.NextOpen(tt.t); !got.Equal(tt.want) {
				t.Errorf("NextOpen(%v) = %v; want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestCalendarAddBusinessDays(t *testing.T) {
	loc := calSaoPaulo(t)
	at := func(y int, m time.Month, day, h, mi int) time.Time { return calAt(loc, y, m, day, h, mi, 0) }
	split := calReal(loc)
	split.Week = calWeekdays(calSplitHours())
	saturday := calReal(loc)
	saturday.Open = []OpenDate{{Date: calDate(2026, time.November, 28), Spans: []Span{{10 * 60, 14 * 60}}}}

	tests := []struct {
		name string
		cal  *Calendar
		t    time.Time
		n    int
		want time.Time
	}{
		{"six days over christmas and new year", calReal(loc), at(2026, time.December, 24, 10, 0), 6, at(2027, time.January, 5, 18, 0)},
		{"one day over christmas", calReal(loc), at(2026, time.December, 24, 10, 0), 1, at(2026, time.December, 28, 18, 0)},
		{"across new year", calReal(loc), at(2026, time.December, 30, 10, 0), 2, at(2027, time.January, 4, 18, 0)},
		{"friday night", calReal(loc), at(2026, time.November, 13, 20, 0), 1, at(2026, time.November, 16, 18, 0)},
		{"from a holiday", calReal(loc), at(2026, time.November, 20, 10, 0), 3, at(2026, time.November, 25, 18, 0)},
		{"day is taken in location", calReal(loc), time.Date(2026, time.November, 25, 2, 0, 0, 0, time.UTC), 1, at(2026, time.November, 25, 18, 0)},
		{"split spans end at last span", split, at(2026, time.November, 24, 10, 0), 1, at(2026, time.November, 25, 18, 0)},
		{"open saturday counts", saturday, at(2026, time.November, 27, 10, 0), 1, at(2026, time.November, 28, 14, 0)},
		{"zero counts as one", calReal(loc), at(2026, time.November, 24, 10, 0), 0, at(2026, time.November, 25, 18, 0)},
		{"never opens", &Calendar{Location: loc}, at(2026, time.November, 24, 10, 0), 1, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.AddBusinessDays(tt.t, tt.n)
			if !got.Equal(tt.want) {
				t.Errorf("AddBusinessDays(%v, %d) = %v; want %v", tt.t, tt.n, got, tt.want)
			}
		})
	}
}

func TestCalendarBusinessDuration(t *testing.T) {
	loc := calSaoPaulo(t)
	at := func(y int, m time.Month, day, h, mi int) time.Time { return calAt(loc, y, m, day, h, mi, 0) }
	split := calReal(loc)
	split.Week = calWeekdays(calSplitHours())

	tests := []struct {
		name string
		cal  *Calendar
		a, b time.Time
		want time.Duration
	}{
		{"same day", calReal(loc), at(2026, time.November, 24, 10, 0), at(2026, time.November, 24, 15, 30), 5*time.Hour + 30*time.Minute},
		{"across a night", calReal(loc), at(2026, time.November, 24, 17, 0), at(2026, time.November, 25, 10, 0), 2 * time.Hour},
		{"across a weekend", calReal(loc), at(2026, time.November, 27, 17, 0), at(2026, time.November, 30, 9, 30), 90 * time.Minute},
		{"across christmas", calReal(loc), at(2026, time.December, 24, 17, 0), at(2026, time.December, 28, 10, 0), 2 * time.Hour},
		{"whole week", calReal(loc), at(2026, time.November, 23, 0, 0), at(2026, time.November, 30, 0, 0), 45 * time.Hour},
		{"week with nov 20", calReal(loc), at(2026, time.November, 16, 0, 0), at(2026, time.November, 23, 0, 0), 36 * time.Hour},
		{"only outside hours", calReal(loc), at(2026, time.November, 24, 19, 0), at(2026, time.November, 25, 8, 0), 0},
		{"split day", split, at(2026, time.November, 24, 8, 0), at(2026, time.November, 24, 20, 0), 7*time.Hour + 30*time.Minute},
		{"utc inputs", calReal(loc), time.Date(2026, time.November, 24, 11, 0, 0, 0, time.UTC), time.Date(2026, time.November, 24, 13, 0, 0, 0, time.UTC), time.Hour},
		{"dst era day", calReal(loc), at(2018, time.November, 5, 0, 0), at(2018, time.November, 6, 0, 0), 9 * time.Hour},
		{"equal", calReal(loc), at(2026, time.November, 24, 10, 0), at(2026, time.November, 24, 10, 0), 0},
		{"b before a", calReal(loc), at(2026, time.November, 24, 15, 0), at(2026, time.November, 24, 10, 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.BusinessDuration(tt.a, tt.b); got != tt.want {
				t.Errorf("BusinessDuration(%v, %v) = %v; want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestCalendarCachedHolidays sweeps 2023 to 2031 in 7-hour steps (so
// every hour of the day comes round) from several goroutines sharing one
// calendar, and checks its cached answers against a fresh calendar's,
// which computes the holidays for the call.
func TestCalendarCachedHolidays(t *testing.T) {
	loc := calSaoPaulo(t)
	newCal := func() *Calendar {
		// Open every day, the night of Dec 31 to Jan 1 included, so only
		// the holidays close it.
		return &Calendar{Location: loc, Week: calEveryDay(Span{0, 2 * 60}, Span{9 * 60, 24 * 60}), National: true,
			Optional: whole("carnaval", "corpus_christi", "vespera_de_natal", "vespera_de_ano_novo")}
	}
	shared := newCal()
	start := calAt(loc, 2023, time.January, 1, 1, 0, 0)
	end := calAt(loc, 2032, time.January, 1, 3, 0, 0)
	const workers = 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Each goroutine starts in a different year, so they fill the
			// cache in different orders.
			offset := time.Duration(w) * 400 * 24 * time.Hour
			span := end.Sub(start)
			for d := time.Duration(0); d < span; d += 7 * time.Hour {
				ts := start.Add((d + offset) % span)
				if got, want := shared.IsOpen(ts), newCal().IsOpen(ts); got != want {
					t.Errorf("cached IsOpen(%v) = %t; want %t", ts, got, want)
					return
				}
				day := DateOf(ts.In(loc))
				got, gotOK := shared.Holiday(day)
				want, wantOK := newCal().Holiday(day)
				if got != want || gotOK != wantOK {
					t.Errorf("cached Holiday(%v) = %q, %t; want %q, %t", day, got, gotOK, want, wantOK)
					return
				}
			}
		})
	}
	wg.Wait()

	// More years than the cache keeps: the rest are computed each time.
	for year := 1900; year < 2100; year++ {
		for _, day := range []Date{Easter(year).addDays(-2), Easter(year).addDays(-1)} {
			got, gotOK := shared.Holiday(day)
			want, wantOK := newCal().Holiday(day)
			if got != want || gotOK != wantOK {
				t.Errorf("cached Holiday(%v) = %q, %t; want %q, %t", day, got, gotOK, want, wantOK)
			}
		}
	}

	// The local year and day count, not UTC's: 23:30 on Jan 1 in São
	// Paulo is already Jan 2 in UTC.
	for year := 2024; year <= 2032; year++ {
		for _, tt := range []struct {
			t    time.Time
			want bool
		}{
			{calAt(loc, year-1, time.December, 31, 23, 30, 0), false},
			{calAt(loc, year, time.January, 1, 23, 30, 0).UTC(), false},
			{calAt(loc, year, time.January, 2, 0, 30, 0), true},
		} {
			if got := shared.IsOpen(tt.t); got != tt.want {
				t.Errorf("IsOpen(%v) = %t; want %t", tt.t, got, tt.want)
			}
		}
	}
}

// BenchmarkIsOpen asks the production calendar about instants spread over
// two years, as the report does for every ticket.
func BenchmarkIsOpen(b *testing.B) {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		b.Fatalf("load location: %v", err)
	}
	cal := calReal(loc)
	cal.Optional = whole("carnaval", "vespera_de_natal")
	start := calAt(loc, 2026, time.January, 1, 0, 0, 0)
	i := 0
	for b.Loop() {
		cal.IsOpen(start.Add(time.Duration(i%(2*365*24)) * time.Hour))
		i++
	}
}

// whole returns optional days that close every day of keys.
func whole(keys ...string) []OptionalDay {
	out := make([]OptionalDay, len(keys))
	for i, k := range keys {
		out[i] = OptionalDay{Key: k}
	}
	return out
}

// TestPartialOptionalDays: the federal calendar keeps Ash Wednesday
// optional until 14h and the eves from 13h or 14h. Such a day keeps its
// regular hours from open_from or until open_until; closed the rest of
// it, for the holiday's reason; "opens next" and the business time follow.
func TestPartialOptionalDays(t *testing.T) {
	loc := calSaoPaulo(t)
	cal := calReal(loc)
	cal.Optional = []OptionalDay{
		{Key: "quarta_de_cinzas", Open: &Span{Start: 14 * 60, End: minutesPerDay}}, // 2026-02-18, a Wednesday
		{Key: "vespera_de_natal", Open: &Span{Start: 0, End: 13 * 60}},             // 2026-12-24, a Thursday
		{Key: "vespera_de_ano_novo"},                                               // 2026-12-31, the whole day
	}
	tests := []struct {
		name   string
		at     time.Time
		open   bool
		reason string
		until  time.Time
	}{
		{"Ash Wednesday morning", calAt(loc, 2026, 2, 18, 10, 0, 0), false, "feriado: Quarta-feira de Cinzas", calAt(loc, 2026, 2, 18, 14, 0, 0)},
		{"Ash Wednesday afternoon", calAt(loc, 2026, 2, 18, 14, 0, 0), true, reasonOpen, calAt(loc, 2026, 2, 18, 18, 0, 0)},
		{"Ash Wednesday evening", calAt(loc, 2026, 2, 18, 18, 30, 0), false, "feriado: Quarta-feira de Cinzas", calAt(loc, 2026, 2, 19, 9, 0, 0)},
		{"Christmas Eve morning", calAt(loc, 2026, 12, 24, 9, 0, 0), true, reasonOpen, calAt(loc, 2026, 12, 24, 13, 0, 0)},
		{"Christmas Eve afternoon", calAt(loc, 2026, 12, 24, 13, 0, 0), false, "feriado: Véspera de Natal", calAt(loc, 2026, 12, 28, 9, 0, 0)},
		{"New Year's Eve, whole day", calAt(loc, 2026, 12, 31, 10, 0, 0), false, "feriado: Véspera de Ano-Novo", calAt(loc, 2027, 1, 4, 9, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := cal.Status(tt.at)
			if st.Open != tt.open || st.Reason != tt.reason || !st.Until.Equal(tt.until) {
				t.Errorf("Status: got %v %q until %v; want %v %q until %v", st.Open, st.Reason, st.Until, tt.open, tt.reason, tt.until)
			}
			if cal.IsOpen(tt.at) != tt.open {
				t.Errorf("IsOpen: got %v; want %v", !tt.open, tt.open)
			}
		})
	}
	day := func(y int, m time.Month, d int) time.Duration {
		return cal.BusinessDuration(calAt(loc, y, m, d, 0, 0, 0), calAt(loc, y, m, d+1, 0, 0, 0))
	}
	if got := day(2026, 2, 18); got != 4*time.Hour {
		t.Errorf("Ash Wednesday's business time: %v; want 4h (14:00-18:00)", got)
	}
	if got := day(2026, 12, 24); got != 4*time.Hour {
		t.Errorf("Christmas Eve's business time: %v; want 4h (09:00-13:00)", got)
	}
	if name, ok := cal.Holiday(Date{2026, 12, 24}); !ok || name != "feriado: Véspera de Natal" {
		t.Errorf("Holiday(2026-12-24): %q, %v; want the eve, a holiday in part", name, ok)
	}
	// A date closed whole (an editor's closed date) wins over a day closed in part.
	closed := calReal(loc)
	closed.Optional = []OptionalDay{{Key: "vespera_de_natal", Open: &Span{Start: 0, End: 13 * 60}}}
	closed.Closed = []Holiday{{Date: Date{2026, 12, 24}, Name: "Feriado municipal"}}
	if st := closed.Status(calAt(loc, 2026, 12, 24, 10, 0, 0)); st.Open || st.Reason != "Feriado municipal" {
		t.Errorf("an eve open in part that is also a closed date: %+v; want closed, Feriado municipal", st)
	}
}
