package web

import "strconv"

// Digits parses a non-negative decimal number written with digits only,
// as ids and counts appear in paths and queries: strconv would also take
// "+100001", which names the same ticket as "100001" under another path.
func Digits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// ID parses a row's id in a path: a positive number written one way only,
// so that "0100001" does not name ticket 100001 under a second path.
func ID(s string) (int64, bool) {
	n, ok := Digits(s)
	return n, ok && n > 0 && s[0] != '0'
}
