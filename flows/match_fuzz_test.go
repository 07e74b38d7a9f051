package flows

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// matchSeeds are customer answers, real and hostile, shared by the
// matching fuzzers.
var matchSeeds = []string{
	"", "1", " 2 ", "2.", "2)", "02", "opção 3", "OPCAO 3", "número 4", "nº 1", "n° 1",
	"nº2", "no 2", "2º", "3ª", "a 2", "o nº 3", "#2", "tenho 2 filiais", "de 1 a 2",
	"1️⃣", "2\u20e3", "🔟", "３", "١٢", "99999999999999999999999", "-1", "+1", "0",
	"sim", "Não", "não resolveu", "ainda não resolveu", "Sim, resolveu", "voltar ao menu",
	"quero emitir nota fiscal", "boleto do plano", "NF-e", "d’água", "👍", "👍🏽", "👎",
	"⭐⭐⭐", "★★★★★", "⭐️⭐️", "nota 4", "4 estrelas", "dou 5", "e 3",
	"12345678", "123.456.789-0", "meu ID é 12345678", "ID: 1234 5678", "tel 5547999990001",
	"\x00", "a\x00b", "\t\r\n", "\u200b1\u200b", "\u200f2\u200e", "\u202e3\u202c", "\ufeff1",
	"\xff\xfe", "sim\xe2\x82", "\xf0Č", "İ", "ǅ", "Ⱥ", "한국어", "שלום 1", "مرحبا ٣",
	"a\u0301\u0301\u0301\u0301", "🏳️‍🌈", "👨‍👩‍👧‍👦 2", "#️⃣", "*️⃣",
	strings.Repeat("9", 600), strings.Repeat("é", MaxInput), strings.Repeat("한", MaxInput),
	strings.Repeat(" ", MaxInput) + "1", strings.Repeat("\u0301", 1000) + "2",
}

// numberChooser has more than ten choices, so 10, 11 and 12 and the
// keycap ten are numbers in range.
func numberChooser() *Chooser {
	labels := make([]string, 12)
	keywords := make([][]string, 12)
	for i := range labels {
		labels[i] = "Opção de teste " + strconv.Itoa(i+1)
		keywords[i] = []string{"palavra" + strconv.Itoa(i+1), "👍"}
	}
	return NewChooser(labels, keywords)
}

// decoration keeps the runes of s that a number may be wrapped in
// without changing it: no letters, digits or keycap ten, nothing that
// normalizes to a word, at most 128 bytes.
func decoration(s string) string {
	d := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '🔟' {
			return -1
		}
		return r
	}, s)
	if len(d) > 128 {
		d = d[:128]
	}
	if Normalize(d) != "" {
		return "" // a rune that decomposes into a letter: leave it out
	}
	return d
}

// writeNumber writes k (0 to 13) in one of the ways customers type a
// menu choice.
func writeNumber(k int, style uint8) string {
	s := strconv.Itoa(k)
	digits := func(base rune) string {
		var b strings.Builder
		for _, c := range s {
			b.WriteRune(base + c - '0')
		}
		return b.String()
	}
	switch style % 13 {
	case 1:
		return "0" + s
	case 2:
		if k == 10 {
			return "🔟"
		}
		var b strings.Builder
		for _, c := range s {
			b.WriteString(string(c) + "\ufe0f\u20e3")
		}
		return b.String()
	case 3:
		return digits('０') // fullwidth
	case 4:
		return digits('٠') // arabic-indic
	case 5:
		return "opção " + s
	case 6:
		return "Número " + s
	case 7:
		return s + "\u20e3" // keycap without the emoji selector
	case 8:
		return "n° " + s
	case 9:
		return "Nº " + s
	case 10:
		return s + "º"
	case 11:
		return "a opção " + s + "ª"
	case 12:
		return "#" + s
	}
	return s
}

// FuzzChooserMatch checks Match on any text: it never panics, a match is
// in range, the answer is the same every time and depends only on the
// normalized text, and a number from 1 to Len, however it is written and
// wrapped in spaces, punctuation or symbols, picks that choice (0 and
// Len+1 pick none).
func FuzzChooserMatch(f *testing.F) {
	for i, s := range matchSeeds {
		f.Add(s, uint8(i), uint8(i))
	}
	// Big, not 1 MB: the fuzzer mutates and minimizes every seed, and
	// TestFindIDHugeInput already measures megabyte texts.
	f.Add(strings.Repeat("quero emitir nota fiscal ", 2500), uint8(0), uint8(0))
	f.Add(strings.Repeat("\x00\u202e👍", 8000), uint8(3), uint8(2))

	fl := loadShipped(f)
	choosers := []*Chooser{testChooser(f), numberChooser(), fl.KeepID(), fl.ResolvedChoice(), fl.OfferChoice(), NewChooser(nil, nil)}
	for _, n := range fl.Nodes() {
		if c := fl.Menu(n.ID); c != nil {
			choosers = append(choosers, c)
		}
	}

	f.Fuzz(func(t *testing.T, text string, pick, style uint8) {
		norm := Normalize(text)
		for ci, c := range choosers {
			i, ok := c.Match(text)
			if ok && (i < 0 || i >= c.Len()) {
				t.Fatalf("chooser %d: Match(%q) = %d, true; want an index in [0, %d)", ci, text, i, c.Len())
			}
			if i2, ok2 := c.Match(text); i2 != i || ok2 != ok {
				t.Fatalf("chooser %d: Match(%q) = %d, %t then %d, %t; want the same answer", ci, text, i, ok, i2, ok2)
			}
			if norm != "" {
				if i2, ok2 := c.Match(norm); i2 != i || ok2 != ok {
					t.Errorf("chooser %d: Match(%q) = %d, %t but Match(Normalize = %q) = %d, %t", ci, text, i, ok, norm, i2, ok2)
				}
			}
			if c.Len() == 0 {
				continue
			}
			k := int(pick)%c.Len() + 1
			d := decoration(text)
			cut := len(d) / 2
			for cut > 0 && !utf8.RuneStart(d[cut]) {
				cut--
			}
			in := d[:cut] + writeNumber(k, style) + d[cut:]
			if i, ok := c.Match(in); !ok || i != k-1 {
				t.Errorf("chooser %d (%d choices): Match(%q) = %d, %t; want %d, true", ci, c.Len(), in, i, ok, k-1)
			}
			for _, k := range []int{0, c.Len() + 1} {
				in := d[:cut] + writeNumber(k, style) + d[cut:]
				if i, ok := c.Match(in); ok {
					t.Errorf("chooser %d (%d choices): Match(%q) = %d, true; want no match", ci, c.Len(), in, i)
				}
			}
		}
	})
}

// FuzzRating checks Rating on any text: a rating is 1 to 5, a refusal
// is 0, and text without stars is read as its normalized form.
func FuzzRating(f *testing.F) {
	for _, s := range matchSeeds {
		f.Add(s)
	}
	f.Add(strings.Repeat("⭐", 20000))
	f.Fuzz(func(t *testing.T, text string) {
		r, ok := Rating(text)
		switch {
		case ok && (r < 1 || r > 5):
			t.Fatalf("Rating(%q) = %d, true; want 1 to 5", text, r)
		case !ok && r != 0:
			t.Fatalf("Rating(%q) = %d, false; want 0", text, r)
		}
		if !strings.ContainsAny(text, "⭐★") {
			if r2, ok2 := Rating(Normalize(text)); r2 != r || ok2 != ok {
				t.Errorf("Rating(%q) = %d, %t but Rating(Normalize) = %d, %t", text, r, ok, r2, ok2)
			}
		}
	})
}

// shippedID is the shipped ID Suporte pattern; FuzzFindID checks the
// flows file still has it.
var shippedID = regexp.MustCompile(`^[0-9]{5,12}$`)

// FuzzFindID checks FindID with the shipped flows on any text: it never
// panics, a found ID matches the pattern, is ASCII digits taken in order
// from the text and is found again in itself; nothing found is "".
func FuzzFindID(f *testing.F) {
	for _, s := range matchSeeds {
		f.Add(s)
	}
	f.Add("meu ID é 123.456-78, obrigado")
	f.Add("1234 5678 9012 3456 7890")
	f.Add("ID 1-2-3-4-5")
	f.Add("1.2.3.4.5.6.7.8.9.0.1.2.3.4.5")
	f.Add("0000000000000 12345")
	f.Add("tel (47) 99999-0001 id 98765")
	f.Add(strings.Repeat("1 ", 300) + "12345678")
	f.Add(strings.Repeat("1", 1<<20))
	f.Add(strings.Repeat(" ", 1<<20) + "12345678")
	f.Add(strings.Repeat("1.2-3 ", (1<<20)/6))

	fl := loadShipped(f)
	if got := fl.File.IDSuporte.Pattern; got != shippedID.String() {
		f.Fatalf("shipped pattern = %q; want %q (the checks below assume it)", got, shippedID)
	}
	f.Fuzz(func(t *testing.T, text string) {
		id, ok := fl.FindID(text)
		if !ok {
			if id != "" {
				t.Fatalf("FindID(%q) = %q, false; want \"\"", text, id)
			}
			return
		}
		if !shippedID.MatchString(id) {
			t.Fatalf("FindID(%q) = %q; want an ID matching %s", text, id, shippedID)
		}
		if !subsequence(id, text) {
			t.Errorf("FindID(%q) = %q; want digits taken from the text", text, id)
		}
		if again, ok := fl.FindID(id); !ok || again != id {
			t.Errorf("FindID(%q) = %q, %t; want %q, true", id, again, ok, id)
		}
	})
}

// subsequence reports whether sub's bytes appear in s in order.
func subsequence(sub, s string) bool {
	for i := 0; i < len(sub); i++ {
		j := strings.IndexByte(s, sub[i])
		if j < 0 {
			return false
		}
		s = s[j+1:]
	}
	return true
}

// TestFindIDHugeInput measures FindID on 1 MB messages: the cost must grow
// with the text at most linearly (CleanID maps the whole text once; the
// search looks only at MaxInput bytes). It logs the times; it does not
// assert them.
func TestFindIDHugeInput(t *testing.T) {
	fl := loadShipped(t)
	inputs := []struct {
		name string
		text string
	}{
		{"digits", strings.Repeat("1", 1<<20)},
		{"separated digits", strings.Repeat("1.2-3 ", (1<<20)/6)},
		{"spaces then an id", strings.Repeat(" ", 1<<20) + "12345678"},
		{"separators then an id", strings.Repeat(".-", 1<<19) + "12345678"},
		{"emoji", strings.Repeat("😀", (1<<20)/4)},
	}
	for _, in := range inputs {
		start := time.Now()
		id, ok := fl.FindID(in.text)
		t.Logf("%s: %d bytes in %v -> %q, %t", in.name, len(in.text), time.Since(start), id, ok)
	}
}
