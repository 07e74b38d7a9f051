package whatsapp

import (
	"fmt"
	"strings"
)

// digits normalizes a phone number written any way ("+55 47 3512-1777",
// "554735121777") to its international digits, as WhatsApp's JIDs have them.
func digits(phone string) (string, error) {
	var b strings.Builder
	for _, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", fmt.Errorf("phone number %q: unexpected %q", phone, r)
		}
	}
	d := b.String()
	if len(d) < 10 || len(d) > 15 || d[0] == '0' {
		return "", fmt.Errorf("phone number %q: want the international form, e.g. +55 47 3512-1777", phone)
	}
	return d, nil
}

// samePhone reports whether two numbers in international digits are the
// same WhatsApp account. Brazilian mobiles registered before the ninth
// digit may carry it or not: 55 47 9XXXX-XXXX and 55 47 XXXX-XXXX match.
func samePhone(a, b string) bool {
	return a == b || brazilShort(a) == brazilShort(b)
}

// brazilShort drops the ninth digit of a Brazilian mobile number (mobiles
// start with 9 then 6-9 after the area code; landlines with 2-5).
func brazilShort(d string) string {
	if len(d) == 13 && strings.HasPrefix(d, "55") && d[4] == '9' && d[5] >= '6' {
		return d[:4] + d[5:]
	}
	return d
}

// pretty writes international digits with a plus, for people to read.
func pretty(d string) string { return "+" + d }
