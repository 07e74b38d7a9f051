package bot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"suporte/flows"
)

// partialFlow is the test flows with Ash Wednesday open from 14:00 and
// Christmas Eve until 13:00, as the federal calendar keeps them.
func partialFlow(t *testing.T) *flows.Flow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("sim", "testdata", "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "  optional_holidays: []\n", `  optional_holidays:
    - day: quarta_de_cinzas
      open_from: "14:00"
    - day: vespera_de_natal
      open_until: "13:00"
`, 1)
	fl, err := flows.Parse(strings.NewReader(src), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// TestPartialDaysTold: on a day closed in part the customer hears when
// the Encantadores are back (that same afternoon), and the queue hears
// that the day ended when the eve closes at 13:00.
func TestPartialDaysTold(t *testing.T) {
	fl := partialFlow(t)
	loc := fl.Calendar.Location
	ashMorning := time.Date(2027, 2, 10, 10, 0, 0, 0, loc) // Ash Wednesday 2027
	if got := nextOpening(fl.Calendar, ashMorning); got != "hoje às 14h" {
		t.Errorf("Ash Wednesday at 10h: opens %q; want hoje às 14h", got)
	}

	d := newDesk(t) // its clock only moves forward: Christmas Eve 2026 first
	d.rt = newRuntime(d.db, fl, d.tr, d.clock)
	d.clock.Set(time.Date(2026, 12, 24, 11, 0, 0, 0, loc))
	d.queue("c2")
	d.clock.Set(time.Date(2026, 12, 24, 13, 5, 0, 0, loc))
	got := d.since("c2", func() { must(t, d.rt.NotifyQueue(context.Background())) })
	if len(got) != 1 || !strings.Contains(got[0], "expediente de hoje terminou") || !strings.Contains(got[0], "segunda-feira (28/12) às 9h") {
		t.Errorf("the queue at 13:05 on Christmas Eve was told %q; want that the day ended, back Monday at 9h", got)
	}

	d.clock.Set(ashMorning)
	got = d.say("c1", "12345678", "atendente")
	if len(got) == 0 || !strings.Contains(got[len(got)-1], "a partir de hoje às 14h") {
		t.Errorf("asking for a person on Ash Wednesday morning: %q; want the Encantadores back at 14h today", got)
	}
}
