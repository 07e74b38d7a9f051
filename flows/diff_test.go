package flows

import (
	"os"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	src := shippedSource(t)
	parse := func(s string) *Flow { return parseSource(t, s) }
	old := parse(src)
	if got := Diff(old, parse(src)); len(got) != 0 {
		t.Fatalf("same file: %v; want no changes", got)
	}
	edited := strings.Replace(src, "Sobre qual assunto você quer ajuda?", "Em que posso ajudar?", 1)
	edited = strings.Replace(edited, "  reminder: 10m", "  reminder: 15m", 1)
	edited += "\n  nova-trilha:\n    type: trail\n    title: Nova\n    messages: [\"Oi\"]\n"
	edited = strings.Replace(edited, "        goto: atendente\n", "        goto: atendente\n      - label: Novidade\n        goto: nova-trilha\n", 1)
	var got []string
	for _, c := range Diff(old, parse(edited)) {
		got = append(got, c.Op+" "+c.Path)
	}
	want := []string{"~ timeouts.reminder", "~ node inicio text", "+ node inicio options 9", "+ node nova-trilha"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("changes %q; want %q", got, want)
	}
	removed := Diff(parse(edited), old)
	if last := removed[len(removed)-1]; last.Op != "-" || last.Path != "node nova-trilha" || !strings.Contains(last.String(), "trail Nova") {
		t.Errorf("removing a node reads %q", last)
	}
}

// TestDiffLists: an option added at the top of a menu, one option
// relabelled and a keyword removed from another read as those three
// changes, not as every option after the first one changed.
func TestDiffLists(t *testing.T) {
	src := shippedSource(t)
	parse := func(s string) *Flow { return parseSource(t, s) }
	edited := strings.Replace(src, "    options:\n      - label: Notas fiscais\n",
		"    options:\n      - label: Novidades\n        goto: canais\n      - label: Notas fiscais\n", 1)
	edited = strings.Replace(edited, "label: Boletos e cobranças", "label: Boletos e cobrança", 1)
	edited = strings.Replace(edited, "extrato, ofx, conta bancária", "extrato, conta bancária", 1)
	var got []string
	for _, c := range Diff(parse(src), parse(edited)) {
		got = append(got, c.Op+" "+c.Path+" "+c.Old+">"+c.New)
	}
	want := []string{
		"+ node inicio options 1 >label=Novidades goto=canais",
		"- node inicio options 3 keywords 6 ofx>",
		"~ node inicio options 4 label Boletos e cobranças>Boletos e cobrança",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// shippedSource is the text of the shipped flows file, for tests that
// edit it.
func shippedSource(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(shippedFlows)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// parseSource parses a flows file's text, failing the test on any problem.
func parseSource(tb testing.TB, src string) *Flow {
	tb.Helper()
	fl, err := Parse(strings.NewReader(src), "f.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return fl
}
