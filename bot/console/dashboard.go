package console

import (
	"net/http"
	"time"

	"suporte/bot/web"
	"suporte/store"
)

type dayJSON struct {
	Day            string  `json:"day"` // YYYY-MM-DD in the calendar's time zone
	Conversations  int     `json:"conversations"`
	Handoffs       int     `json:"handoffs"`
	Claimed        int     `json:"claimed"`
	AvgWaitSeconds int64   `json:"avg_wait_seconds"`
	P90WaitSeconds int64   `json:"p90_wait_seconds"`
	Ratings        int     `json:"ratings"`
	CSAT           float64 `json:"csat"`
}

type dashboardJSON struct {
	Timezone string    `json:"timezone"`
	Days     []dayJSON `json:"days"`
	CSAT     struct {
		Count        int     `json:"count"`
		Average      float64 `json:"average"`
		Distribution [5]int  `json:"distribution"` // ratings 1..5
	} `json:"csat"`
	Now struct {
		Queue      int `json:"queue"`
		WithAgents int `json:"with_agents"`
		Online     int `json:"online"`
	} `json:"now"`
}

// handleDashboard serves the supervisors' numbers: ?days=N (1..90, 14 by
// default) calendar days in the flows' time zone.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	if !isSupervisor(current(r).agent) {
		writeError(w, http.StatusForbidden, "O painel é só para supervisores.")
		return
	}
	days := 14
	if d := r.URL.Query().Get("days"); d != "" {
		n, ok := web.Digits(d)
		if !ok || n < 1 || n > 90 {
			writeError(w, http.StatusBadRequest, "days deve ser um número de 1 a 90.")
			return
		}
		days = int(n)
	}
	loc := time.UTC
	if s.cfg.Flow != nil {
		if l := s.cfg.Flow().Calendar.Location; l != nil {
			loc = l
		}
	}
	ctx := r.Context()
	var st store.Stats
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		st, err = tx.Stats(ctx, s.cfg.Clock.Now(), days, loc)
		return err
	})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	var out dashboardJSON
	out.Timezone = loc.String()
	for _, d := range st.Days {
		out.Days = append(out.Days, dayJSON{
			Day: d.Day.Format(time.DateOnly), Conversations: d.Conversations, Handoffs: d.Handoffs, Claimed: d.Claimed,
			AvgWaitSeconds: int64(d.AvgWait.Seconds()), P90WaitSeconds: int64(d.P90Wait.Seconds()),
			Ratings: d.Ratings, CSAT: d.CSAT,
		})
	}
	out.CSAT.Count, out.CSAT.Average, out.CSAT.Distribution = st.Ratings, st.CSAT, st.Distribution
	out.Now.Queue, out.Now.WithAgents, out.Now.Online = st.Queued, st.WithAgents, len(s.onlineAgents())
	writeJSON(w, http.StatusOK, out)
}

type quickReplyJSON struct {
	Title      string          `json:"title"`
	Text       string          `json:"text"`
	Attachment *attachmentJSON `json:"attachment,omitempty"`
}

// attachmentJSON is a file a quick reply sends; path is how to ask for
// it (POST .../messages {"attachment": path}).
type attachmentJSON struct {
	Path  string `json:"path"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	MIME  string `json:"mime"`
	Bytes int64  `json:"bytes"`
}

// handleQuickReplies lists the ready answers of flows.yaml (quick_replies).
func (s *Server) handleQuickReplies(w http.ResponseWriter, r *http.Request) {
	out := []quickReplyJSON{}
	if s.cfg.Flow != nil {
		fl := s.cfg.Flow()
		for _, q := range fl.File.Quick {
			qr := quickReplyJSON{Title: q.Title.Value, Text: q.Text.Value}
			if a, ok := fl.Attachment(q.Attachment.Value); ok {
				qr.Attachment = &attachmentJSON{Path: a.Path, Name: a.Name, Kind: a.Kind, MIME: a.Type, Bytes: a.Bytes}
			}
			out = append(out, qr)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
