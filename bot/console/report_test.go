package console

import (
	"net/http"
	"testing"
	"time"

	"suporte/store"
)

func TestReport(t *testing.T) {
	e := newEnv(t)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 5)
	ana := e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	tok := e.login("sara@contaazul.com")
	e.seedTrails("notas-nfe", 4, 3, 1, 5, 4)
	e.seedTrails("trilha-antiga", 1, 0, 0)
	id := e.customer("c1") // today, queued at 10:00
	e.clock.Advance(4 * time.Minute)
	if err := e.rt.Claim(e.ctx, botAgent(ana), id); err != nil {
		t.Fatal(err)
	}
	e.drain()

	var r struct {
		FromDay       string `json:"from_day"`
		ToDay         string `json:"to_day"`
		Location      string
		Conversations int
		InsideHours   int `json:"inside_hours"`
		OutsideHours  int `json:"outside_hours"`
		Days          []struct{ Date string }
		Holidays      map[string]string
		Trails        []struct {
			Topic, Title    string
			Reached, Solved int
			Deflection      float64 `json:"deflection_rate"`
		}
		Queue struct {
			Queued, Claimed int
			WaitBusiness    struct {
				N      int
				Median int64 `json:"median_ns"`
			} `json:"wait_business"`
		}
		Agents []struct {
			Name    string
			Claimed int
		}
		CSAT struct {
			Count   int
			Average float64
		}
	}
	e.must(200, req{method: "GET", path: "/api/report", token: tok}).json(t, &r)
	if r.FromDay != "2026-10-26" || r.ToDay != "2026-11-24" || len(r.Days) != 30 || r.Location != "America/Sao_Paulo" {
		t.Errorf("range: %s to %s, %d days, %s", r.FromDay, r.ToDay, len(r.Days), r.Location)
	}
	if r.Conversations != 6 || r.InsideHours+r.OutsideHours != 6 {
		t.Errorf("conversations: got %d (%d in hours, %d out)", r.Conversations, r.InsideHours, r.OutsideHours)
	}
	if len(r.Trails) != 2 || r.Trails[0].Topic != "notas-nfe" || r.Trails[0].Title != "Emitir NF-e" ||
		r.Trails[0].Reached != 4 || r.Trails[0].Solved != 3 || r.Trails[0].Deflection != 0.75 || r.Trails[1].Title != "" {
		t.Errorf("trails: got %+v", r.Trails)
	}
	// The seeded one waited 5 minutes, c1 4: the median is the lower.
	if r.Queue.Queued != 2 || r.Queue.Claimed != 2 || r.Queue.WaitBusiness.N != 2 || r.Queue.WaitBusiness.Median != int64(4*time.Minute) {
		t.Errorf("queue: got %+v", r.Queue)
	}
	if len(r.Agents) != 1 || r.Agents[0].Name != "Ana Lima" || r.Agents[0].Claimed != 1 {
		t.Errorf("agents: got %+v", r.Agents)
	}
	if r.CSAT.Count != 2 || r.CSAT.Average != 4.5 {
		t.Errorf("csat: got %+v", r.CSAT)
	}
	if r.Holidays == nil {
		t.Error("holidays: null; want an object")
	}

	// Christmas closes the calendar: the report names the holiday.
	e.must(200, req{method: "GET", path: "/api/report?from=2026-12-20&to=2026-12-31", token: tok}).json(t, &r)
	if r.FromDay != "2026-12-20" || len(r.Days) != 12 || r.Holidays["2026-12-25"] == "" || r.Conversations != 0 {
		t.Errorf("December: %s, %d days, holidays %v", r.FromDay, len(r.Days), r.Holidays)
	}

	for _, q := range []string{"from=ontem", "to=2026-13-01", "from=2026-11-24&to=2026-11-01", "from=2025-01-01&to=2026-11-24"} {
		if got := e.call(req{method: "GET", path: "/api/report?" + q, token: tok}); got.code != http.StatusBadRequest {
			t.Errorf("%s: got %d %s; want 400", q, got.code, got.body)
		}
	}
}
