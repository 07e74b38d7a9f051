package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DayStats is one calendar day of the supervisors' dashboard.
type DayStats struct {
	Day           time.Time // midnight starting the day, in the location asked for
	Conversations int       // tickets opened that day
	Handoffs      int       // tickets that entered the human queue that day
	Claimed       int       // of those, taken by an Encantador (the waits below)
	AvgWait       time.Duration
	P90Wait       time.Duration // nearest-rank 90th percentile of the waits
	Ratings       int           // feedback given that day
	CSAT          float64       // their average rating, 0 if none
}

// Stats is what the dashboard shows: the last days, the satisfaction over
// them, and the present.
type Stats struct {
	Days []DayStats // oldest first, today last

	Ratings      int     // feedback over all Days
	CSAT         float64 // its average, 0 if none
	Distribution [5]int  // how many gave 1..5 (index 0 is rating 1)

	Queued     int // waiting for an Encantador now
	WithAgents int // chats an Encantador holds now (not resolved)
}

// maxStatsDays bounds the days of one Stats call.
const maxStatsDays = 366

// daysCTE is a WITH clause naming the n days as (day, lo, hi): day is the
// index 0..n-1, lo and hi bound it in unix ms, hi excluded. The days are
// computed in Go (time zones) and handed to SQL as plain values, typed
// (PostgreSQL reads an untyped value in VALUES as text).
func daysCTE(n int) string {
	const day = "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)), "
	return "WITH days(day, lo, hi) AS (VALUES " + strings.TrimSuffix(strings.Repeat(day, n), ", ") + ")\n"
}

// The per-day queries join each row to its day. They return only days
// with rows; Stats fills in the empty ones.

const statsConversationsSQL = `SELECT d.day, COUNT(*)
FROM tickets t JOIN days d ON t.created_at >= d.lo AND t.created_at < d.hi
GROUP BY d.day`

const statsHandoffsSQL = `SELECT d.day, COUNT(*)
FROM tickets t JOIN days d ON t.queued_at >= d.lo AND t.queued_at < d.hi
GROUP BY d.day`

// Waits belong to the day the customer entered the queue. The 90th
// percentile is the nearest rank: the ceil(0.9 n)-th smallest wait.
const statsWaitsSQL = `, waits AS (
    SELECT d.day AS day, t.claimed_at - t.queued_at AS wait
    FROM tickets t JOIN days d ON t.queued_at >= d.lo AND t.queued_at < d.hi
    WHERE t.claimed_at >= t.queued_at
), ranked AS (
    SELECT day, wait,
        ROW_NUMBER() OVER (PARTITION BY day ORDER BY wait) AS rn,
        COUNT(*) OVER (PARTITION BY day) AS n
    FROM waits
)
SELECT day, COUNT(*), AVG(wait), MIN(CASE WHEN rn * 10 >= n * 9 THEN wait END)
FROM ranked
GROUP BY day`

const statsRatingsSQL = `SELECT d.day, COUNT(*), AVG(f.rating)
FROM feedback f JOIN days d ON f.at >= d.lo AND f.at < d.hi
GROUP BY d.day`

const statsDistributionSQL = `SELECT f.rating, COUNT(*)
FROM feedback f
WHERE f.at >= ? AND f.at < ?
GROUP BY f.rating`

const statsNowSQL = `SELECT
    (SELECT COUNT(*) FROM tickets WHERE ` + queueWaiting + `),
    (SELECT COUNT(*) FROM tickets WHERE agent <> '' AND status <> 'resolvido')`

// Stats computes the dashboard for the days calendar days ending with
// the day of now, days in loc (America/Sao_Paulo for the Encantadores).
func (tx *Tx) Stats(ctx context.Context, now time.Time, days int, loc *time.Location) (Stats, error) {
	if days < 1 || days > maxStatsDays {
		return Stats{}, fmt.Errorf("stats: %d days: want 1..%d", days, maxStatsDays)
	}
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	st := Stats{Days: make([]DayStats, days)}
	args := make([]any, 0, 3*days)
	for i := range st.Days {
		lo := time.Date(local.Year(), local.Month(), local.Day()-(days-1-i), 0, 0, 0, 0, loc)
		hi := time.Date(lo.Year(), lo.Month(), lo.Day()+1, 0, 0, 0, 0, loc)
		st.Days[i].Day = lo
		args = append(args, i, millis(lo), millis(hi))
	}
	first, end := st.Days[0].Day, st.Days[days-1].Day.AddDate(0, 0, 1)
	cte := daysCTE(days)

	count := func(query string, set func(d *DayStats, n int)) error {
		return tx.eachRow(ctx, cte+query, args, func(s rowScanner) error {
			var day, n int
			if err := s.Scan(&day, &n); err != nil {
				return err
			}
			set(&st.Days[day], n)
			return nil
		})
	}
	if err := count(statsConversationsSQL, func(d *DayStats, n int) { d.Conversations = n }); err != nil {
		return Stats{}, fmt.Errorf("stats conversations: %w", err)
	}
	if err := count(statsHandoffsSQL, func(d *DayStats, n int) { d.Handoffs = n }); err != nil {
		return Stats{}, fmt.Errorf("stats handoffs: %w", err)
	}
	// The waits query continues the WITH clause: drop its closing newline.
	err := tx.eachRow(ctx, strings.TrimSuffix(cte, "\n")+statsWaitsSQL, args, func(s rowScanner) error {
		var day, n int
		var avg float64
		var p90 int64
		if err := s.Scan(&day, &n, &avg, &p90); err != nil {
			return err
		}
		d := &st.Days[day]
		d.Claimed = n
		d.AvgWait = (time.Duration(avg) * time.Millisecond).Round(time.Second)
		d.P90Wait = time.Duration(p90) * time.Millisecond
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats waits: %w", err)
	}
	err = tx.eachRow(ctx, cte+statsRatingsSQL, args, func(s rowScanner) error {
		var day, n int
		var avg float64
		if err := s.Scan(&day, &n, &avg); err != nil {
			return err
		}
		st.Days[day].Ratings, st.Days[day].CSAT = n, avg
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats ratings: %w", err)
	}
	var all Ratings
	err = tx.eachRow(ctx, statsDistributionSQL, []any{millis(first), millis(end)}, func(s rowScanner) error {
		var rating, n int
		if err := s.Scan(&rating, &n); err != nil {
			return err
		}
		if rating >= 1 && rating <= 5 {
			all.add(rating, n)
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats distribution: %w", err)
	}
	st.Ratings, st.CSAT, st.Distribution = all.Count, all.Average, all.Distribution
	if err := tx.queryRow(ctx, statsNowSQL).Scan(&st.Queued, &st.WithAgents); err != nil {
		return Stats{}, fmt.Errorf("stats now: %w", err)
	}
	return st, nil
}

const activeChatsSQL = `SELECT agent, COUNT(*) FROM tickets
WHERE agent <> '' AND status <> 'resolvido'
GROUP BY agent`

// ActiveChats counts the unresolved tickets each agent holds, by agent id
// as tickets store it. Agents holding none are absent.
func (tx *Tx) ActiveChats(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := tx.eachRow(ctx, activeChatsSQL, nil, func(s rowScanner) error {
		var agent string
		var n int
		if err := s.Scan(&agent, &n); err != nil {
			return err
		}
		out[agent] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("active chats: %w", err)
	}
	return out, nil
}
