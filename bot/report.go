package bot

import (
	"context"
	"time"

	"suporte/flows"
	"suporte/store"
)

// Report computes the managers' figures for tickets created in [from, to)
// on fl's business calendar, with trail titles filled in, and names the
// days of the range the calendar closes for a holiday (by YYYY-MM-DD).
// `suporte report` and the console's reports both read it.
func Report(ctx context.Context, db *store.DB, fl *flows.Flow, from, to, now time.Time) (store.Report, map[string]string, error) {
	cal := fl.Calendar
	loc := cal.Location
	if loc == nil {
		loc = time.UTC
	}
	var r store.Report
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.Report(ctx, store.ReportInput{
			From: from, To: to, Now: now, Loc: loc,
			IsOpen: cal.IsOpen, BusinessDuration: cal.BusinessDuration,
		})
		return err
	})
	if err != nil {
		return store.Report{}, nil, err
	}
	title := func(id string) string {
		if id == "" || fl.Node(id) == nil {
			return "" // a trail the flows no longer have
		}
		return fl.Title(id)
	}
	for i := range r.Trails {
		r.Trails[i].Title = title(r.Trails[i].Topic)
	}
	for i := range r.CSAT.ByTrail {
		r.CSAT.ByTrail[i].Title = title(r.CSAT.ByTrail[i].Topic)
	}
	holidays := map[string]string{}
	for _, d := range r.Days {
		if date, err := flows.ParseDate(d.Date); err == nil {
			if name, ok := cal.Holiday(date); ok {
				holidays[d.Date] = name
			}
		}
	}
	return r, holidays, nil
}
