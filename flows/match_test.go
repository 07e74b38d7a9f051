package flows

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"lower case", "MENU Principal", "menu principal"},
		{"cedilla and tilde", "Ação", "acao"},
		{"acute", "É Você", "e voce"},
		{"decomposed accents", "a\u0301c\u0327a\u0303o", "acao"},
		{"keycap digit", "1️⃣", "1"},
		{"keycap digit without selector", "2\u20e3", "2"},
		{"keycap ten", "🔟", "10"},
		{"keycap hash is a symbol", "#️⃣", ""},
		{"fullwidth digit", "２", "2"},
		{"fullwidth number", "１２３", "123"},
		{"arabic-indic digits", "١٢٣", "123"},
		{"hyphen joins", "NF-e", "nfe"},
		{"dot joins", "c.c.e", "cce"},
		{"apostrophe joins", "d'água", "dagua"},
		{"typographic apostrophe joins", "d’água", "dagua"},
		{"punctuation collapses to one space", "olá,   tudo bem?!", "ola tudo bem"},
		{"symbols between words", "a/b*c+d", "a b c d"},
		{"emoji between words", "oi 👋 tchau", "oi tchau"},
		{"leading and trailing spaces", "   sim   ", "sim"},
		{"leading and trailing punctuation", "¿¡sim!?", "sim"},
		{"tab and newlines", "\tum\r\ndois\n", "um dois"},
		{"nul and del", "a\x00b\x7fc", "a b c"},
		{"zero width space", "a\u200bb", "a b"},
		{"only spaces", " \t\n ", ""},
		{"only emoji", "👍🎉", ""},
		{"invalid byte dropped", "a\xffb", "ab"},
		{"only invalid bytes", "\xff\xfe\xc3", ""},
		{"truncated rune", "sim\xe2\x82", "sim"},
		{"stray lead byte before an accent", "\xf0Č", "c"},
		{"stray lead byte inside a word", "sim\xf0não", "simnao"},
		{"digits and letters", "Opção 2", "opcao 2"},
		{"number with dot", "2.", "2"},
		{"number with paren", "2)", "2"},
		{"dotless capital I", "İstanbul", "istanbul"},
		{"german sharp s", "Straße", "straße"},
		{"greek", "ΟΔΥΣΣΕΥΣ", "οδυσσευσ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeLongInput(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"ascii over the limit", strings.Repeat("a", MaxInput+100), strings.Repeat("a", MaxInput)},
		// "ç" is two bytes; the limit cuts it in half and the lone lead
		// byte must vanish, not leak out as invalid UTF-8.
		{"cut inside a rune", strings.Repeat("a", MaxInput-1) + "ç", strings.Repeat("a", MaxInput-1)},
		{"rune just inside", strings.Repeat("a", MaxInput-2) + "ç", strings.Repeat("a", MaxInput-2) + "c"},
		{"cut inside a keycap", strings.Repeat("b", MaxInput-2) + "1️⃣", strings.Repeat("b", MaxInput-2) + "1"},
		// 73 whole "ação " (7 bytes each) fill 511 bytes; byte 512 is an "a".
		{"words", strings.Repeat("ação ", 1000), strings.Repeat("acao ", 73) + "a"},
		{"emoji", strings.Repeat("😀", 10000), ""},
		{"ten kilobytes of accents", strings.Repeat("é", 5000), strings.Repeat("e", MaxInput/2)},
		// Lowercasing "Ⱥ" (2 bytes) gives "ⱥ" (3 bytes): the output is cut
		// again at a rune boundary.
		{"lowercase grows", strings.Repeat("Ⱥ", MaxInput/2), strings.Repeat("ⱥ", MaxInput/3)},
		// Each Hangul syllable decomposes into three 3-byte jamo.
		{"hangul decomposes", strings.Repeat("한", MaxInput), string([]rune(strings.Repeat("\u1112\u1161\u11ab", MaxInput))[:MaxInput/3])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if !utf8.ValidString(got) {
				t.Fatalf("Normalize(%d bytes) = %q; want valid UTF-8", len(tt.in), got)
			}
			if len(got) > MaxInput {
				t.Errorf("len(Normalize(%d bytes)) = %d; want at most %d", len(tt.in), len(got), MaxInput)
			}
			if got != tt.want {
				t.Errorf("Normalize(%d bytes) = %q; want %q", len(tt.in), got, tt.want)
			}
		})
	}
}

// testChooser is a menu like the shipped main menu, built without a file.
func testChooser(tb testing.TB) *Chooser {
	tb.Helper()
	c := NewChooser(
		[]string{"Notas fiscais", "Financeiro e conciliação bancária", "Boletos e cobranças", "Plano e assinatura"},
		[][]string{
			{"nota", "notas", "nota fiscal", "nf", "NF-e", "emitir"},
			{"financeiro", "conciliação", "extrato", "OFX"},
			{"boleto", "cobrança", "segunda via", ""},
			{"plano", "assinatura", "nota da assinatura"},
		})
	if got := c.Len(); got != 4 {
		tb.Fatalf("Len() = %d; want 4", got)
	}
	return c
}

func TestChooserMatch(t *testing.T) {
	const none = -1
	tests := []struct {
		name string
		in   string
		want int // 0-based choice, or none
	}{
		// By number.
		{"number", "2", 1},
		{"number with spaces", " 2 ", 1},
		{"number with dot", "2.", 1},
		{"number with paren", "2)", 1},
		{"opção prefix", "opção 2", 1},
		{"opcao prefix upper", "OPCAO 3", 2},
		{"número prefix", "número 4", 3},
		{"leading zero", "01", 0},
		{"keycap", "2️⃣", 1},
		{"fullwidth", "３", 2},
		{"first", "1", 0},
		{"last", "4", 3},
		{"out of range above", "9", none},
		{"one past the end", "5", none},
		{"zero", "0", none},
		{"keycap ten", "🔟", none},
		{"huge number", "99999999999999999999999", none},
		// By number, the ways customers write "number" or "option".
		{"nº prefix", "nº 2", 1},
		{"Nº prefix upper", "Nº 2", 1},
		{"nº joined", "nº2", 1},
		{"n° with degree sign", "n° 2", 1},
		{"no prefix", "no 2", 1},
		{"no. prefix", "No. 2", 1},
		{"numero prefix", "numero 2", 1},
		{"masculine ordinal", "2º", 1},
		{"feminine ordinal", "2ª", 1},
		{"ordinal with nº", "nº 2º", 1},
		{"degree as ordinal", "2°", 1},
		{"opcao prefix", "opcao 2", 1},
		{"a prefix", "a 2", 1},
		{"o prefix", "o 2", 1},
		{"article and opção", "a opção 2", 1},
		{"article and nº", "o nº 3", 2},
		{"opção and nº", "opção nº 4", 3},
		{"hash", "#2", 1},
		{"hash and space", "# 2", 1},
		{"nº out of range", "nº 5", none},
		{"ordinal out of range", "5º", none},
		{"a and zero", "a 0", none},
		{"nº of an id", "nº 12345678", none},
		// Numbers in text are not choices.
		{"number in a sentence", "tenho 2 filiais", none},
		{"number then a word", "2 filiais", none},
		{"ordinal then a word", "2º lugar", none},
		{"two numbers", "de 1 a 2", none},
		{"number then an article", "2 a", none},
		{"letter ordinal", "2a", none},
		{"letter ordinal o", "2o", none},
		{"two ordinals", "2ºº", none},
		{"ordinal sign alone", "º", none},
		{"article alone", "a", none},
		{"nº alone", "nº", none},
		// By the whole label.
		{"label", "Notas fiscais", 0},
		{"label upper", "NOTAS FISCAIS", 0},
		{"label without accents", "financeiro e conciliacao bancaria", 1},
		{"label with accents", "Boletos e Cobranças", 2},
		{"label with punctuation", "plano, e assinatura!", 3},
		// By a keyword.
		{"keyword", "boleto", 2},
		{"keyword with accent", "Conciliação", 1},
		{"keyword without accent", "conciliacao", 1},
		{"keyword hyphen", "NF-e", 0},
		{"keyword hyphen dropped", "nfe", 0},
		{"keyword upper in list", "ofx", 1},
		{"multi-word keyword", "segunda via", 2},
		{"short keyword exact", "nf", 0},
		{"short keyword with punctuation", "NF!", 0},
		// A keyword inside a sentence.
		{"sentence", "quero emitir nota fiscal", 0},
		{"sentence with question", "Como pago a segunda via?", 2},
		{"sentence with accents", "preciso importar o extrato do banco", 1},
		{"multi-word keyword in sentence", "onde pego a segunda via", 2},
		{"two keywords same choice", "emitir a nota fiscal", 0},
		// No match.
		{"two choices in a sentence", "quero o boleto do plano", none},
		{"the more specific phrase wins", "quero a nota da assinatura", 3},
		{"short keyword in sentence", "minha nf sumiu", none},
		{"keyword as part of a word", "notação", none},
		{"keyword as prefix", "boletoz", none},
		{"unknown word", "bom dia", none},
		{"empty", "", none},
		{"spaces", "   ", none},
		{"newlines", "\n\t\n", none},
		{"emoji only", "👍🎉", none},
		{"punctuation only", "?!...", none},
	}
	c := testChooser(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, ok := c.Match(tt.in)
			got := none
			if ok {
				got = i
			}
			if got != tt.want {
				t.Errorf("Match(%q) = %d, %t; want %d (-1 means no match)", tt.in, i, ok, tt.want)
			}
		})
	}
}

func TestChooserLabels(t *testing.T) {
	c := testChooser(t)
	want := []string{"Notas fiscais", "Financeiro e conciliação bancária", "Boletos e cobranças", "Plano e assinatura"}
	for i, w := range want {
		if got := c.Label(i); got != w {
			t.Errorf("Label(%d) = %q; want %q", i, got, w)
		}
	}
}

func TestChooserEmpty(t *testing.T) {
	c := NewChooser(nil, nil)
	for _, in := range []string{"1", "0", "sim", ""} {
		if i, ok := c.Match(in); ok {
			t.Errorf("empty chooser: Match(%q) = %d, true; want no match", in, i)
		}
	}
}

func TestRating(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   int
		wantOK bool
	}{
		{"digit", "5", 5, true},
		{"lowest", "1", 1, true},
		{"digit with spaces", "  3 ", 3, true},
		{"digit with punctuation", "4!", 4, true},
		{"keycap", "5️⃣", 5, true},
		{"fullwidth", "４", 4, true},
		{"nota prefix", "nota 4", 4, true},
		{"nota prefix upper", "Nota 2", 2, true},
		{"dou prefix", "dou 5", 5, true},
		{"estrelas suffix", "4 estrelas", 4, true},
		{"estrela suffix", "1 estrela", 1, true},
		{"nota and estrelas", "nota 3 estrelas", 3, true},
		{"three stars", "⭐⭐⭐", 3, true},
		{"stars with selectors", "⭐️⭐️", 2, true},
		{"stars with spaces", " ⭐ ⭐ ⭐ ⭐ ", 4, true},
		{"black stars", "★★★★★", 5, true},
		{"six stars", "⭐⭐⭐⭐⭐⭐", 0, false},
		{"stars and text", "⭐⭐ ruim", 0, false},
		{"zero", "0", 0, false},
		{"six", "6", 0, false},
		{"ten", "10", 0, false},
		{"keycap ten", "🔟", 0, false},
		{"decimal", "4.5", 0, false},
		{"two numbers", "4 ou 5", 0, false},
		{"word", "cinco", 0, false},
		{"sentence", "foi ótimo", 0, false},
		{"empty", "", 0, false},
		{"spaces", "   ", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Rating(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Rating(%q) = %d, %t; want %d, %t", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
