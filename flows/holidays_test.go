package flows

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func calDate(y int, m time.Month, day int) Date {
	return Date{Year: y, Month: m, Day: day}
}

func TestEaster(t *testing.T) {
	tests := []struct {
		year int
		want Date
	}{
		{1583, calDate(1583, time.April, 10)},
		{1700, calDate(1700, time.April, 11)},
		{1818, calDate(1818, time.March, 22)}, // earliest possible
		{1900, calDate(1900, time.April, 15)},
		{1943, calDate(1943, time.April, 25)}, // latest possible
		{1961, calDate(1961, time.April, 2)},
		{2000, calDate(2000, time.April, 23)},
		{2008, calDate(2008, time.March, 23)},
		{2011, calDate(2011, time.April, 24)},
		{2019, calDate(2019, time.April, 21)},
		{2023, calDate(2023, time.April, 9)},
		{2024, calDate(2024, time.March, 31)},
		{2025, calDate(2025, time.April, 20)},
		{2026, calDate(2026, time.April, 5)},
		{2027, calDate(2027, time.March, 28)},
		{2030, calDate(2030, time.April, 21)},
		{2038, calDate(2038, time.April, 25)},
		{2100, calDate(2100, time.March, 28)},
		{2285, calDate(2285, time.March, 22)},
		{9999, calDate(9999, time.March, 28)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.year), func(t *testing.T) {
			if got := Easter(tt.year); got != tt.want {
				t.Errorf("Easter(%d) = %v; want %v", tt.year, got, tt.want)
			}
		})
	}
}

// TestEasterRange checks invariants for every supported year, catching
// arithmetic slips the spot checks above could miss.
func TestEasterRange(t *testing.T) {
	lo, hi := calDate(0, time.March, 22), calDate(0, time.April, 25)
	for y := 1583; y <= 9999; y++ {
		e := Easter(y)
		if e.Weekday() != time.Sunday {
			t.Fatalf("Easter(%d) = %v is a %v; want Sunday", y, e, e.Weekday())
		}
		md := Date{Month: e.Month, Day: e.Day}
		if md.compare(lo) < 0 || md.compare(hi) > 0 {
			t.Fatalf("Easter(%d) = %v; want between 03-22 and 04-25", y, e)
		}
	}
}

func TestNationalHolidays(t *testing.T) {
	list := func(year int, goodFriday Date, zumbi bool) []Holiday {
		hs := []Holiday{
			{calDate(year, time.January, 1), "Confraternização Universal"},
			{goodFriday, "Paixão de Cristo"},
			{calDate(year, time.April, 21), "Tiradentes"},
			{calDate(year, time.May, 1), "Dia do Trabalho"},
			{calDate(year, time.September, 7), "Independência do Brasil"},
			{calDate(year, time.October, 12), "Nossa Senhora Aparecida"},
			{calDate(year, time.November, 2), "Finados"},
			{calDate(year, time.November, 15), "Proclamação da República"},
		}
		if zumbi {
			hs = append(hs, Holiday{calDate(year, time.November, 20), "Dia Nacional de Zumbi e da Consciência Negra"})
		}
		return append(hs, Holiday{calDate(year, time.December, 25), "Natal"})
	}
	tests := []struct {
		name string
		year int
		want []Holiday
	}{
		{"2023 without Nov 20", 2023, list(2023, calDate(2023, time.April, 7), false)},
		{"2024 first year of Nov 20", 2024, list(2024, calDate(2024, time.March, 29), true)},
		{"2025", 2025, list(2025, calDate(2025, time.April, 18), true)},
		{"2026", 2026, list(2026, calDate(2026, time.April, 3), true)},
		{"2027", 2027, list(2027, calDate(2027, time.March, 26), true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NationalHolidays(tt.year)
			if !slices.Equal(got, tt.want) {
				t.Errorf("NationalHolidays(%d) =\n%v\nwant\n%v", tt.year, got, tt.want)
			}
		})
	}
}

func TestNationalHolidaysEdgeYears(t *testing.T) {
	t.Run("2000 Good Friday on Tiradentes keeps both", func(t *testing.T) {
		got := NationalHolidays(2000)
		if got[1].Name != "Paixão de Cristo" || got[1].Date != calDate(2000, time.April, 21) {
			t.Errorf("got %v; want Paixão de Cristo on 2000-04-21", got[1])
		}
		if got[2].Name != "Tiradentes" || got[2].Date != calDate(2000, time.April, 21) {
			t.Errorf("got %v; want Tiradentes on 2000-04-21", got[2])
		}
	})
	t.Run("1979 before Aparecida law", func(t *testing.T) {
		for _, h := range NationalHolidays(1979) {
			if h.Date.Month == time.October && h.Date.Day == 12 {
				t.Errorf("got %v in 1979; want no Oct 12 holiday", h)
			}
		}
		if n := len(NationalHolidays(1979)); n != 8 {
			t.Errorf("got %d holidays in 1979; want 8", n)
		}
	})
	t.Run("sorted for many years", func(t *testing.T) {
		for y := 1900; y <= 2100; y++ {
			hs := NationalHolidays(y)
			if !slices.IsSortedFunc(hs, func(a, b Holiday) int { return a.Date.compare(b.Date) }) {
				t.Fatalf("NationalHolidays(%d) not sorted: %v", y, hs)
			}
			for _, h := range hs {
				if h.Date.Year != y {
					t.Fatalf("NationalHolidays(%d) has %v; want only year %d", y, h, y)
				}
			}
		}
	})
}

func TestGoodFridayIsFriday(t *testing.T) {
	for y := 1990; y <= 2060; y++ {
		i := slices.IndexFunc(NationalHolidays(y), func(h Holiday) bool { return h.Name == "Paixão de Cristo" })
		if i < 0 {
			t.Fatalf("year %d: got no Paixão de Cristo; want one", y)
		}
		gf := NationalHolidays(y)[i]
		if want := Easter(y).addDays(-2); gf.Date != want || gf.Date.Weekday() != time.Friday {
			t.Fatalf("year %d: got %v (%v); want %v, a Friday", y, gf.Date, gf.Date.Weekday(), want)
		}
	}
}

func TestOptionalHolidays(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		year   int
		want   []Holiday
		wantOK bool
	}{
		{"carnaval 2027", "carnaval", 2027, []Holiday{
			{calDate(2027, time.February, 8), "Carnaval (segunda-feira)"},
			{calDate(2027, time.February, 9), "Carnaval (terça-feira)"},
		}, true},
		{"carnaval 2026", "carnaval", 2026, []Holiday{
			{calDate(2026, time.February, 16), "Carnaval (segunda-feira)"},
			{calDate(2026, time.February, 17), "Carnaval (terça-feira)"},
		}, true},
		{"quarta de cinzas 2026", "quarta_de_cinzas", 2026, []Holiday{
			{calDate(2026, time.February, 18), "Quarta-feira de Cinzas"},
		}, true},
		{"corpus christi 2026", "corpus_christi", 2026, []Holiday{
			{calDate(2026, time.June, 4), "Corpus Christi"},
		}, true},
		{"corpus christi 2027", "corpus_christi", 2027, []Holiday{
			{calDate(2027, time.May, 27), "Corpus Christi"},
		}, true},
		{"vespera de natal", "vespera_de_natal", 2026, []Holiday{
			{calDate(2026, time.December, 24), "Véspera de Natal"},
		}, true},
		{"vespera de ano novo", "vespera_de_ano_novo", 2026, []Holiday{
			{calDate(2026, time.December, 31), "Véspera de Ano-Novo"},
		}, true},
		{"unknown key", "pascoa", 2026, nil, false},
		{"keys are case sensitive", "Carnaval", 2026, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := OptionalHolidays(tt.key, tt.year)
			if ok != tt.wantOK || !slices.Equal(got, tt.want) {
				t.Errorf("OptionalHolidays(%q, %d) = %v, %v; want %v, %v", tt.key, tt.year, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestOptionalHolidayWeekdays(t *testing.T) {
	want := map[string][]time.Weekday{
		"carnaval":         {time.Monday, time.Tuesday},
		"quarta_de_cinzas": {time.Wednesday},
		"corpus_christi":   {time.Thursday},
	}
	for key, days := range want {
		t.Run(key, func(t *testing.T) {
			for y := 1990; y <= 2060; y++ {
				hs, _ := OptionalHolidays(key, y)
				for i, h := range hs {
					if got := h.Date.Weekday(); got != days[i] {
						t.Fatalf("%s %d: got %v on %v; want %v", key, y, h.Date, got, days[i])
					}
				}
			}
		})
	}
}

func TestOptionalHolidayKeys(t *testing.T) {
	keys := OptionalHolidayKeys()
	want := []string{"carnaval", "corpus_christi", "quarta_de_cinzas", "vespera_de_ano_novo", "vespera_de_natal"}
	if !slices.Equal(keys, want) {
		t.Errorf("OptionalHolidayKeys() = %v; want %v", keys, want)
	}
	for _, k := range keys {
		if _, ok := OptionalHolidays(k, 2026); !ok {
			t.Errorf("OptionalHolidays(%q) unknown; want every listed key to work", k)
		}
	}
	keys[0] = "mutated"
	if got := OptionalHolidayKeys()[0]; got != "carnaval" {
		t.Errorf("after mutating a returned slice got %q; want %q", got, "carnaval")
	}
}
