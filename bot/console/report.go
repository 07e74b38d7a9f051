package console

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// The managers' report: what `suporte report` prints, for a date range,
// as JSON for the console's "Relatórios" view (supervisors only).

// defaultReportDays is the range without from/to: the last 30 days,
// today included.
const defaultReportDays = 30

// maxReportDays bounds the range the console asks for: a year answers in
// well under a second on a large store.
const maxReportDays = 366

// reportJSON is store.Report plus the holidays that closed days of the
// range (by YYYY-MM-DD), so charts can say why a day was quiet.
type reportJSON struct {
	store.Report
	Holidays map[string]string `json:"holidays"`
	// Days of the range as asked (To is the last day, included).
	FromDay string `json:"from_day"`
	ToDay   string `json:"to_day"`
	// LineLabels writes the lines of Lines as numbers: "(47) 3512-1777".
	LineLabels map[string]string `json:"line_labels"`
}

// dayRange reads ?from=YYYY-MM-DD&to=YYYY-MM-DD (to included) in loc;
// without them the last defaultReportDays days up to now's. It returns
// the instants [from, to).
func dayRange(q url.Values, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	day := func(name string) (time.Time, bool, error) {
		s := q.Get(name)
		if s == "" {
			return time.Time{}, false, nil
		}
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return time.Time{}, false, fail(http.StatusBadRequest, fmt.Sprintf("%s deve ser uma data AAAA-MM-DD.", name))
		}
		return t, true, nil
	}
	local := now.In(loc)
	last := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	if t, ok, err := day("to"); err != nil {
		return from, to, err
	} else if ok {
		last = t
	}
	first := last.AddDate(0, 0, 1-defaultReportDays)
	if t, ok, err := day("from"); err != nil {
		return from, to, err
	} else if ok {
		first = t
	}
	if first.After(last) {
		return from, to, fail(http.StatusBadRequest, "A data inicial é depois da final.")
	}
	to = last.AddDate(0, 0, 1)
	if first.AddDate(0, 0, maxReportDays).Before(to) {
		return from, to, fail(http.StatusBadRequest, fmt.Sprintf("Escolha um período de até %d dias.", maxReportDays))
	}
	return first, to, nil
}

// report runs store.Report for the range of q with the flows' calendar,
// trail titles filled in.
func (s *Server) report(ctx context.Context, q url.Values) (reportJSON, *flows.Flow, error) {
	fl := s.currentFlow()
	if fl == nil || fl.Calendar == nil {
		return reportJSON{}, nil, fail(http.StatusNotFound, "Relatório indisponível: o console não conhece os fluxos.")
	}
	cal := fl.Calendar
	loc := cmp.Or(cal.Location, time.UTC)
	now := s.cfg.Clock.Now()
	from, to, err := dayRange(q, now, loc)
	if err != nil {
		return reportJSON{}, nil, err
	}
	r, holidays, err := bot.Report(ctx, s.cfg.Store, fl, from, to, now)
	if err != nil {
		return reportJSON{}, nil, err
	}
	out := reportJSON{Report: r, Holidays: holidays,
		FromDay: from.Format(time.DateOnly), ToDay: to.AddDate(0, 0, -1).Format(time.DateOnly),
		LineLabels: map[string]string{}}
	for _, l := range r.Lines {
		out.LineLabels[l.Line] = LineLabel(l.Line)
	}
	return out, fl, nil
}

// handleReport serves the managers' report for ?from=&to= (days in the
// flows' time zone, to included; the last 30 days by default).
// Durations are in nanoseconds (the *_ns fields), as `suporte report
// --format json` writes them.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	if !isSupervisor(current(r).agent) {
		writeError(w, http.StatusForbidden, "Os relatórios são só para supervisores.")
		return
	}
	out, _, err := s.report(r.Context(), r.URL.Query())
	if err != nil {
		s.respond(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
