package flows

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds Parse arbitrary files: it must never panic, and whatever
// it refuses must come back as a *Problems printed one FILE:LINE:COL line
// per problem.
func FuzzParse(f *testing.F) {
	seeds := []string{shippedFlows}
	lint, err := filepath.Glob(filepath.Join(lintDir, "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, lint...)
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("---\n"))
	f.Add([]byte("just a text"))
	f.Add([]byte("- a\n- list\n"))
	f.Add([]byte("a: &x [*x]\n"))

	const name = "fuzz.yaml"
	re := problemLine(name)
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse(bytes.NewReader(data), name)
		if err == nil {
			if fl == nil {
				t.Fatal("Parse = nil, nil; want a flow or problems")
			}
			// A valid flow must also draw.
			_ = fl.Mermaid()
			_ = fl.Dot()
			return
		}
		if fl != nil {
			t.Errorf("Parse = %v, %v; want a nil flow with problems", fl, err)
		}
		var ps *Problems
		if !errors.As(err, &ps) {
			t.Fatalf("Parse error = %T %v; want *Problems", err, err)
		}
		if len(ps.Items) == 0 {
			t.Fatal("Parse returned an empty *Problems")
		}
		for _, l := range strings.Split(err.Error(), "\n") {
			if !re.MatchString(l) {
				t.Errorf("problem line %q; want %s", l, re)
			}
		}
	})
}

// FuzzNormalize checks the properties matching relies on: the output is
// valid UTF-8, lower case, single-spaced and trimmed, never longer than
// MaxInput, and normalizing twice changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "Ação", "1️⃣", "🔟", "２", "NF-e", " a  b ", "a\xffb", "İ", "ǅ", "한국",
		"quero emitir nota fiscal", "⭐⭐⭐", "\x00\t\n", strings.Repeat("é", MaxInput),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Normalize(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Normalize(%q) = %q; want valid UTF-8", s, got)
		}
		if lower := strings.ToLower(got); lower != got {
			t.Errorf("Normalize(%q) = %q; want lower case %q", s, got, lower)
		}
		if strings.TrimSpace(got) != got {
			t.Errorf("Normalize(%q) = %q; want no leading or trailing space", s, got)
		}
		if strings.Contains(got, "  ") {
			t.Errorf("Normalize(%q) = %q; want no double space", s, got)
		}
		if len(got) > MaxInput {
			t.Errorf("len(Normalize(%q)) = %d; want at most %d", s, len(got), MaxInput)
		}
		if again := Normalize(got); again != got {
			t.Errorf("Normalize(Normalize(%q)) = %q; want %q", s, again, got)
		}
	})
}
