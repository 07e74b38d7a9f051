package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHours: `suporte hours` says whether the team works at an instant,
// why, and when that changes, partial optional days included.
func TestHours(t *testing.T) {
	b, err := os.ReadFile("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "  optional_holidays: []\n", `  optional_holidays:
    - carnaval
    - day: quarta_de_cinzas
      open_from: "14:00"
    - day: vespera_de_natal
      open_until: "13:00"
`, 1)
	if src == string(b) {
		t.Fatal("flows.yaml has no empty optional_holidays line to edit")
	}
	path := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ at, want string }{
		{"2026-11-24T10:00:00-03:00", "open at Tue 2026-11-24 10:00 -03: horário de atendimento; closes Tue 2026-11-24 18:00"},
		{"2026-12-25T10:00:00-03:00", "closed at Fri 2026-12-25 10:00 -03: feriado: Natal; opens Mon 2026-12-28 09:00"},
		{"2027-02-10T10:00:00-03:00", "closed at Wed 2027-02-10 10:00 -03: feriado: Quarta-feira de Cinzas; opens Wed 2027-02-10 14:00"},
		{"2026-12-24T10:00:00-03:00", "open at Thu 2026-12-24 10:00 -03: horário de atendimento; closes Thu 2026-12-24 13:00"},
		{"2026-12-24T13:30:00-03:00", "closed at Thu 2026-12-24 13:30 -03: feriado: Véspera de Natal; opens Mon 2026-12-28 09:00"},
	} {
		var out bytes.Buffer
		if err := runHours(context.Background(), []string{"--flows", path, "--at", tc.at}, nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("hours --at %s:\n got %s\nwant %s", tc.at, got, tc.want)
		}
	}
}
