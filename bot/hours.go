package bot

import (
	"fmt"
	"time"

	"suporte/flows"
)

var weekdaysPT = [...]string{"domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"}

// nextOpening tells a customer when the Encantadores are back, the way a
// person would say it: "hoje às 13h30", "amanhã (25/11) às 9h",
// "segunda-feira (30/11) às 9h".
func nextOpening(cal *flows.Calendar, now time.Time) string {
	at := cal.NextOpen(now)
	if at.IsZero() {
		return "o próximo dia útil"
	}
	return spokenTime(at.In(cal.Location), now.In(cal.Location))
}

// spokenTime formats t relative to now, both in the same location.
func spokenTime(t, now time.Time) string {
	hour := fmt.Sprintf("%dh", t.Hour())
	if t.Minute() != 0 {
		hour = fmt.Sprintf("%dh%02d", t.Hour(), t.Minute())
	}
	today := flows.DateOf(now)
	day := flows.DateOf(t)
	tomorrow := flows.DateOf(now.AddDate(0, 0, 1))
	switch {
	case day == today:
		return "hoje às " + hour
	case day == tomorrow:
		return fmt.Sprintf("amanhã (%02d/%02d) às %s", t.Day(), t.Month(), hour)
	case t.Sub(now) < 6*24*time.Hour:
		return fmt.Sprintf("%s (%02d/%02d) às %s", weekdaysPT[t.Weekday()], t.Day(), t.Month(), hour)
	}
	return fmt.Sprintf("%02d/%02d/%d às %s", t.Day(), t.Month(), t.Year(), hour)
}
