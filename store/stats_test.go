package store

import (
	"reflect"
	"testing"
	"time"
)

func TestStats(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	type fixture struct {
		created, queued, claimed string
		agent, status            string
		rating                   int
		ratedAt                  string
	}
	fx := []fixture{
		// 21 Nov 23:30 in São Paulo: the day before the window.
		{created: "2026-11-22T02:30:00Z", status: StatusResolvido, rating: 1, ratedAt: "2026-11-22T02:45:00Z"},
		// 22 Nov 00:00 in São Paulo.
		{created: "2026-11-22T03:00:00Z", status: StatusResolvido, rating: 4, ratedAt: "2026-11-22T10:00:00Z"},
		// 23 Nov: three waits of 1, 3 and 10 minutes, one customer still waiting since 23:59.
		{created: "2026-11-23T12:00:00Z", queued: "2026-11-23T12:05:00Z", claimed: "2026-11-23T12:06:00Z", agent: "1", status: StatusResolvido, rating: 5, ratedAt: "2026-11-23T12:30:00Z"},
		{created: "2026-11-23T13:00:00Z", queued: "2026-11-23T13:00:00Z", claimed: "2026-11-23T13:03:00Z", agent: "1", status: StatusAguardando},
		{created: "2026-11-23T14:00:00Z", queued: "2026-11-23T14:00:00Z", claimed: "2026-11-23T14:10:00Z", agent: "1", status: StatusResolvido, rating: 2, ratedAt: "2026-11-23T15:00:00Z"},
		{created: "2026-11-24T02:59:00Z", queued: "2026-11-24T02:59:30Z", status: StatusAberto},
		// 24 Nov (today): one 30 s wait, one waiting.
		{created: "2026-11-24T12:00:00Z", queued: "2026-11-24T12:00:00Z", claimed: "2026-11-24T12:00:30Z", agent: "2", status: StatusAberto},
		{created: "2026-11-24T12:30:00Z", queued: "2026-11-24T12:30:00Z", status: StatusAberto},
	}
	// 22 Nov: ten waits of 1..10 minutes.
	for i := 1; i <= 10; i++ {
		at := utc("2026-11-22T12:00:00Z").Add(time.Duration(i) * time.Hour)
		fx = append(fx, fixture{created: at.Format(time.RFC3339), queued: at.Format(time.RFC3339),
			claimed: at.Add(time.Duration(i) * time.Minute).Format(time.RFC3339), agent: "3", status: StatusResolvido})
	}
	opt := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		return utc(s)
	}
	update(t, db, func(tx *Tx) error {
		for _, f := range fx {
			tk := Ticket{Chat: "c", Status: f.status, CreatedAt: utc(f.created), QueuedAt: opt(f.queued), Agent: f.agent}
			id, err := tx.CreateTicket(ctx, tk)
			if err != nil {
				return err
			}
			tk.ID, tk.ClaimedAt = id, opt(f.claimed)
			if err := tx.UpdateTicket(ctx, tk); err != nil {
				return err
			}
			if f.rating > 0 {
				if err := tx.PutFeedback(ctx, Feedback{Ticket: id, Rating: f.rating, At: utc(f.ratedAt)}); err != nil {
					return err
				}
			}
		}
		return nil
	})

	var got Stats
	view(t, db, func(tx *Tx) error {
		var err error
		got, err = tx.Stats(ctx, utc("2026-11-24T13:00:00Z"), 3, sp)
		return err
	})
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, sp) }
	want := Stats{
		Days: []DayStats{
			{Day: day(22), Conversations: 11, Handoffs: 10, Claimed: 10, AvgWait: 330 * time.Second, P90Wait: 9 * time.Minute, Ratings: 1, CSAT: 4},
			{Day: day(23), Conversations: 4, Handoffs: 4, Claimed: 3, AvgWait: 280 * time.Second, P90Wait: 10 * time.Minute, Ratings: 2, CSAT: 3.5},
			{Day: day(24), Conversations: 2, Handoffs: 2, Claimed: 1, AvgWait: 30 * time.Second, P90Wait: 30 * time.Second},
		},
		Ratings:      3,
		CSAT:         11.0 / 3,
		Distribution: [5]int{0, 1, 0, 1, 1},
		Queued:       2,
		WithAgents:   2,
	}
	if len(got.Days) != len(want.Days) {
		t.Fatalf("days: got %d, want %d", len(got.Days), len(want.Days))
	}
	for i := range want.Days {
		g, w := got.Days[i], want.Days[i]
		if !g.Day.Equal(w.Day) {
			t.Errorf("day %d: got %v, want %v", i, g.Day, w.Day)
		}
		g.Day = w.Day
		if g != w {
			t.Errorf("day %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	got.Days, want.Days = nil, nil
	view(t, db, func(tx *Tx) error {
		active, err := tx.ActiveChats(ctx)
		if want := map[string]int{"1": 1, "2": 1}; !reflect.DeepEqual(active, want) {
			t.Errorf("ActiveChats: got %v, want %v", active, want)
		}
		return err
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("totals:\n got %+v\nwant %+v", got, want)
	}
}

func TestStatsEmptyAndBounds(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	view(t, db, func(tx *Tx) error {
		st, err := tx.Stats(ctx, now, 7, nil)
		if err != nil {
			return err
		}
		if len(st.Days) != 7 || st.Ratings != 0 || st.CSAT != 0 || st.Queued != 0 {
			t.Errorf("empty stats: got %+v", st)
		}
		if want := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC); !st.Days[0].Day.Equal(want) {
			t.Errorf("first day: got %v, want %v", st.Days[0].Day, want)
		}
		for _, n := range []int{0, -1, 367} {
			if _, err := tx.Stats(ctx, now, n, nil); err == nil {
				t.Errorf("Stats(%d days): want an error", n)
			}
		}
		_, err = tx.Stats(ctx, now, 366, nil)
		return err
	})
}
