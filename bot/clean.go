package bot

import "strings"

// CleanText keeps what a person wrote and drops what only hides or fakes
// it: invalid UTF-8 becomes U+FFFD; NUL and the other C0 and C1 control
// characters go, except line breaks and tabs; and so do the bidirectional
// overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make a text
// read backwards where the bot echoes it or an agent reads it. Everything
// else, emoji and accents included, is kept as sent.
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if hidden(r) {
			return -1
		}
		return r
	}, s)
}

// CleanLine is CleanText for one-line values such as a customer's name:
// line breaks and tabs become spaces, and surrounding spaces go.
func CleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, CleanText(s))
	return strings.TrimSpace(s)
}

// hidden reports whether CleanText drops r.
func hidden(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL and C1
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi overrides and isolates
		return true
	}
	return false
}
