package bot

import "testing"

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, text, line string
	}{
		{"plain", "Olá, tudo bem? 👋", "Olá, tudo bem? 👋", "Olá, tudo bem? 👋"},
		{"nul", "abc\x00def", "abcdef", "abcdef"},
		{"right-to-left override", "abc\u202edef", "abcdef", "abcdef"},
		{"every bidi control", "a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j", "abcdefghij", "abcdefghij"},
		{"c0 and c1", "a\x01b\x1bc\x7fd\u0085e\u009ff", "abcdef", "abcdef"},
		{"line breaks and tabs stay", "linha 1\r\nlinha 2\tfim", "linha 1\nlinha 2\tfim", "linha 1 linha 2 fim"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"marks kept", "e\u0301 \u200d", "e\u0301 \u200d", "e\u0301 \u200d"},
		{"name padding", "  Ana\n", "  Ana\n", "Ana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanText(tt.in); got != tt.text {
				t.Errorf("CleanText(%q): got %q; want %q", tt.in, got, tt.text)
			}
			if got := CleanLine(tt.in); got != tt.line {
				t.Errorf("CleanLine(%q): got %q; want %q", tt.in, got, tt.line)
			}
		})
	}
}
