package flows

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxInput is how much of a customer's message matching looks at. Menu
// answers are short; the rest of a long text is kept in the transcript but
// never scanned, so a pasted novel costs the same as a word.
const MaxInput = 512

// Normalize folds a customer's answer (or a label, a keyword) to the form
// used for matching: lower case, no accents, keycap emoji as plain digits,
// hyphens, dots and apostrophes dropped ("NF-e" -> "nfe"), any other
// punctuation or symbol as a single space, trimmed.
func Normalize(s string) string {
	if len(s) > MaxInput {
		s = s[:MaxInput]
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\uFE0F', r == '\u20E3', r == '-', r == '.', r == '\'', r == '’', r == unicode.ReplacementChar:
			// Accents, emoji presentation selectors, keycaps, joiners in words.
		case r == '🔟':
			b.WriteString("10")
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if v, ok := digitValue(r); ok && r > unicode.MaxASCII {
				// Fullwidth and other scripts' digits count as their value.
				b.WriteByte(byte('0' + v))
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

// digitValue reads the value of a Unicode decimal digit from any script.
func digitValue(r rune) (int, bool) {
	for _, t := range unicode.Nd.R16 {
		if r >= rune(t.Lo) && r <= rune(t.Hi) {
			return int(r-rune(t.Lo)) % 10, true
		}
	}
	for _, t := range unicode.Nd.R32 {
		if r >= rune(t.Lo) && r <= rune(t.Hi) {
			return int(r-rune(t.Lo)) % 10, true
		}
	}
	return 0, false
}

// Choice is one numbered answer of a question or menu, with the words that
// also select it.
type Choice struct {
	Label string
	Words []string // normalized keywords, label included
}

// Chooser matches free text against numbered choices.
type Chooser struct{ choices []Choice }

// NewChooser builds a chooser; labels and keywords are normalized here.
func NewChooser(labels []string, keywords [][]string) *Chooser {
	c := &Chooser{choices: make([]Choice, len(labels))}
	for i, l := range labels {
		words := []string{Normalize(l)}
		if i < len(keywords) {
			for _, k := range keywords[i] {
				if n := Normalize(k); n != "" {
					words = append(words, n)
				}
			}
		}
		c.choices[i] = Choice{Label: l, Words: words}
	}
	return c
}

// Len is the number of choices.
func (c *Chooser) Len() int { return len(c.choices) }

// Label returns the label of choice i (0-based).
func (c *Chooser) Label(i int) string { return c.choices[i].Label }

var numberPrefixes = []string{"opcao ", "op ", "numero ", "num ", "n "}

// Match returns the 0-based choice the text selects: by number ("2",
// "2️⃣", "opção 2"), by the whole label or a keyword, or, failing that, by
// a keyword found inside the text when exactly one choice has one there.
func (c *Chooser) Match(text string) (int, bool) {
	n := Normalize(text)
	if n == "" {
		return 0, false
	}
	num := n
	for _, p := range numberPrefixes {
		num = strings.TrimPrefix(num, p)
	}
	if i, err := strconv.Atoi(num); err == nil {
		if i >= 1 && i <= len(c.choices) {
			return i - 1, true
		}
		return 0, false
	}
	for i, ch := range c.choices {
		for _, w := range ch.Words {
			if n == w {
				return i, true
			}
		}
	}
	found := -1
	padded := " " + n + " "
	for i, ch := range c.choices {
		for _, w := range ch.Words {
			if len(w) >= 3 && strings.Contains(padded, " "+w+" ") {
				if found >= 0 && found != i {
					return 0, false
				}
				found = i
				break
			}
		}
	}
	return found, found >= 0
}

// Rating reads a 1 to 5 rating: "4", "4️⃣", "nota 4", "⭐⭐⭐⭐".
func Rating(text string) (int, bool) {
	if stars := strings.Count(text, "⭐") + strings.Count(text, "★"); stars > 0 {
		if strings.Trim(text, "⭐★ \uFE0F") == "" && stars <= 5 {
			return stars, true
		}
	}
	n := Normalize(text)
	for _, p := range []string{"nota ", "dou ", "e "} {
		n = strings.TrimPrefix(n, p)
	}
	n = strings.TrimSuffix(strings.TrimSuffix(n, " estrelas"), " estrela")
	if len(n) == 1 && n[0] >= '1' && n[0] <= '5' {
		return int(n[0] - '0'), true
	}
	return 0, false
}
