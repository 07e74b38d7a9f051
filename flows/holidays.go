package flows

import (
	"slices"
	"time"
)

// Holiday is a named date on which the support team may be closed.
type Holiday struct {
	Date Date
	Name string // pt-BR, shown to customers
}

// consciousnessDayFrom is the first year of the national Zumbi holiday
// (Lei 14.759/2023); before it, Nov 20 was only a state/municipal holiday.
const consciousnessDayFrom = 2024

// aparecidaFrom is the first year of the national Aparecida holiday
// (Lei 6.802/1980), so old dates are not reported as holidays.
const aparecidaFrom = 1980

// Easter returns Easter Sunday of the Gregorian calendar, using the anonymous
// Gregorian (Meeus/Jones/Butcher) algorithm. It is valid for years 1583..9999.
func Easter(year int) Date {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{Year: year, Month: time.Month(month), Day: day}
}

// NationalHolidays returns Brazil's national holidays (feriados nacionais) in
// force in year, sorted by date. Carnaval, Ash Wednesday and Corpus Christi
// are only pontos facultativos, so they live in OptionalHolidays instead.
func NationalHolidays(year int) []Holiday {
	fixed := func(m time.Month, d int, name string) Holiday {
		return Holiday{Date: Date{Year: year, Month: m, Day: d}, Name: name}
	}
	hs := []Holiday{
		fixed(time.January, 1, "Confraternização Universal"),
		{Date: Easter(year).addDays(-2), Name: "Paixão de Cristo"},
		fixed(time.April, 21, "Tiradentes"),
		fixed(time.May, 1, "Dia do Trabalho"),
		fixed(time.September, 7, "Independência do Brasil"),
	}
	if year >= aparecidaFrom {
		hs = append(hs, fixed(time.October, 12, "Nossa Senhora Aparecida"))
	}
	hs = append(hs,
		fixed(time.November, 2, "Finados"),
		fixed(time.November, 15, "Proclamação da República"),
	)
	if year >= consciousnessDayFrom {
		hs = append(hs, fixed(time.November, 20, "Dia Nacional de Zumbi e da Consciência Negra"))
	}
	hs = append(hs, fixed(time.December, 25, "Natal"))
	// Good Friday can fall on Apr 21 (as in 2000); a stable sort keeps both.
	slices.SortStableFunc(hs, func(x, y Holiday) int { return x.Date.compare(y.Date) })
	return hs
}

// OptionalHolidays returns the days closed by an optional-holiday key
// (pontos facultativos and eves), or false if the key is unknown. It is a
// switch rather than a package-level map so nothing can mutate it.
func OptionalHolidays(key string, year int) ([]Holiday, bool) {
	easter := Easter(year)
	switch key {
	case "carnaval":
		return []Holiday{
			{Date: easter.addDays(-48), Name: "Carnaval (segunda-feira)"},
			{Date: easter.addDays(-47), Name: "Carnaval (terça-feira)"},
		}, true
	case "quarta_de_cinzas":
		return []Holiday{{Date: easter.addDays(-46), Name: "Quarta-feira de Cinzas"}}, true
	case "corpus_christi":
		return []Holiday{{Date: easter.addDays(60), Name: "Corpus Christi"}}, true
	case "vespera_de_natal":
		return []Holiday{{Date: Date{Year: year, Month: time.December, Day: 24}, Name: "Véspera de Natal"}}, true
	case "vespera_de_ano_novo":
		return []Holiday{{Date: Date{Year: year, Month: time.December, Day: 31}, Name: "Véspera de Ano-Novo"}}, true
	}
	return nil, false
}

// OptionalHolidayKeys returns the valid keys for OptionalHolidays, sorted,
// so config validation can list them in its error messages.
func OptionalHolidayKeys() []string {
	return []string{
		"carnaval",
		"corpus_christi",
		"quarta_de_cinzas",
		"vespera_de_ano_novo",
		"vespera_de_natal",
	}
}
