package flows

import (
	"slices"
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
	// Drop invalid bytes first: norm leaves a rune after a stray lead byte
	// undecomposed ("\xf0Č" kept its caron).
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\uFE0F', r == '\u20E3', r == '-', r == '.', r == '\'', r == '’', r == unicode.ReplacementChar:
			// Accents, emoji presentation selectors, keycaps, joiners in words.
		case r == '🔟':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("10")
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if r <= unicode.MaxASCII {
				b.WriteRune(unicode.ToLower(r))
				continue
			}
			if v, ok := digitValue(r); ok {
				// Fullwidth and other scripts' digits count as their value.
				b.WriteByte(byte('0' + v))
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	out := b.String()
	if len(out) > MaxInput {
		// Lowercasing and decomposing can lengthen text (Hangul, "Ⱥ"); cut
		// again so the result is a fixed point of Normalize.
		out = strings.TrimRight(strings.ToValidUTF8(out[:MaxInput], ""), " ")
	}
	return out
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
	Marks []string // keywords with no letters or digits, like 👍, compared as written
}

// Chooser matches free text against numbered choices.
type Chooser struct{ choices []Choice }

// NewChooser builds a chooser; labels and keywords are normalized here.
func NewChooser(labels []string, keywords [][]string) *Chooser {
	c := &Chooser{choices: make([]Choice, len(labels))}
	for i, l := range labels {
		ch := Choice{Label: l, Words: []string{Normalize(l)}}
		if i < len(keywords) {
			for _, k := range keywords[i] {
				if n := Normalize(k); n != "" {
					ch.Words = append(ch.Words, n)
				} else if m := bareMark(k); m != "" {
					ch.Marks = append(ch.Marks, m)
				}
			}
		}
		c.choices[i] = ch
	}
	return c
}

// bareMark strips spaces, emoji presentation selectors and skin tones, so
// "👍🏽 " and "👍" compare equal.
func bareMark(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\uFE0F' || r >= 0x1F3FB && r <= 0x1F3FF {
			return -1
		}
		return r
	}, s)
}

// Len is the number of choices.
func (c *Chooser) Len() int { return len(c.choices) }

// Label returns the label of choice i (0-based).
func (c *Chooser) Label(i int) string { return c.choices[i].Label }

// Match returns the 0-based choice the text selects: as MatchExact does
// or, failing that, by the most specific keyword found inside the text
// (the one with the most words), when it belongs to a single choice:
// "ainda não resolveu" picks "não resolveu" over "resolveu"; "boleto do
// plano" is ambiguous.
func (c *Chooser) Match(text string) (int, bool) {
	n := Normalize(text)
	switch i, how := c.exact(text, n); how {
	case byNumber, byWord:
		return i, true
	case notChoice:
		return 0, false
	}
	i, _, ok := c.contained(n)
	return i, ok
}

// MatchExact returns the 0-based choice the whole text names: its number
// ("2", "2️⃣", "opção 2", "nº 2", "2º", "a 2"), its label or a keyword,
// or a keyword emoji.
func (c *Chooser) MatchExact(text string) (int, bool) {
	i, how := c.exact(text, Normalize(text))
	return i, how == byNumber || how == byWord
}

// How a text names a choice, for exact.
const (
	noMatch   = iota // not as a whole: look inside it
	notChoice        // a number out of range, a symbol: nothing else to look for
	byNumber         // its number or a keyword emoji
	byWord           // its label or a keyword, as the whole text
)

// exact is MatchExact, telling how it matched; n is Normalize(text).
func (c *Chooser) exact(text, n string) (int, int) {
	if n == "" {
		if m := bareMark(text); m != "" && len(m) <= 32 {
			for i, ch := range c.choices {
				if slices.Contains(ch.Marks, m) {
					return i, byNumber
				}
			}
		}
		return 0, notChoice
	}
	if i, ok := choiceNumber(n); ok {
		if i >= 1 && i <= len(c.choices) {
			return i - 1, byNumber
		}
		return 0, notChoice
	}
	for i, ch := range c.choices {
		if slices.Contains(ch.Words, n) {
			return i, byWord
		}
	}
	return 0, noMatch
}

// contained finds the most specific keyword inside normalized text n:
// its choice and the keyword.
func (c *Chooser) contained(n string) (int, string, bool) {
	best, bestWords, tie, kw := -1, 0, false, ""
	padded := " " + n + " "
	for i, ch := range c.choices {
		for _, w := range ch.Words {
			words := strings.Count(w, " ") + 1
			if len(w) < 3 || words < bestWords || !strings.Contains(padded, " "+w+" ") {
				continue
			}
			switch {
			case words > bestWords:
				best, bestWords, tie, kw = i, words, false, w
			case best != i:
				tie = true
			}
		}
	}
	return best, kw, best >= 0 && !tie
}

// numberWords may come before the number of a choice, in any order:
// "opção 2", "a 2", "o nº 2". Alone they are no number.
var numberWords = []string{"a", "o", "opcao", "op", "numero", "num", "n", "no", "nº"}

// choiceNumber reads a normalized answer that gives only a number: "2",
// "opcao 2", "a opcao 2", "nº2", "2º", "2ª". Any other word, as in
// "tenho 2 filiais", makes it text.
func choiceNumber(n string) (int, bool) {
	words := strings.Split(n, " ")
	for _, w := range words[:len(words)-1] {
		if !slices.Contains(numberWords, w) {
			return 0, false
		}
	}
	num := strings.TrimPrefix(words[len(words)-1], "nº")
	if o, ok := strings.CutSuffix(num, "º"); ok {
		num = o
	} else {
		num = strings.TrimSuffix(num, "ª")
	}
	i, err := strconv.Atoi(num)
	return i, err == nil
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
