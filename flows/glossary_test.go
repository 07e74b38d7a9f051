package flows

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGlossaryReads: a term is read as its meaning, the longest term
// first, each of its words also in the plural; a meaning is not looked
// up again.
func TestGlossaryReads(t *testing.T) {
	g := compileGlossary([]GlossEntry{
		{Terms: []Text{{Value: "duplicata"}, {Value: "Título"}}, Means: Text{Value: "boleto"}},
		{Terms: []Text{{Value: "caixa"}}, Means: Text{Value: "fluxo"}},
		{Terms: []Text{{Value: "Caixa Econômica"}}, Means: Text{Value: "banco"}},
		{Terms: []Text{{Value: "boleto"}}, Means: Text{Value: "cobrança"}},
	})
	for _, tt := range []struct {
		text string
		want []string // stems
		used []string // the terms applied
	}{
		{"duplicatas vencidas", []string{"bolet", "venc"}, []string{"duplicatas"}},
		{"titulo protestado", []string{"bolet", "protest"}, []string{"titulo"}},
		{"extrato da caixa economica", []string{"extrat", "banc"}, []string{"caixa economica"}},
		{"saldo do caixa", []string{"sald", "flux"}, []string{"caixa"}},
		{"caixas economicas", []string{"banc"}, []string{"caixas economicas"}},
		{"a caixa da economica", []string{"flux", "econom"}, []string{"caixa"}},
		{"nenhum termo aqui", []string{"term"}, nil},
	} {
		var used []GlossUse
		got := readWords(Normalize(tt.text), g, &used)
		var terms []string
		for _, u := range used {
			terms = append(terms, u.Term)
		}
		if !slices.Equal(stems(got), tt.want) || !slices.Equal(terms, tt.used) {
			t.Errorf("readWords(%q) = %q, used %q; want %q, used %q", tt.text, stems(got), terms, tt.want, tt.used)
		}
	}
}

// TestGlossaryRoutes: the shipped glossary takes the trade's words where
// the tree names them otherwise, and the ranking says which entry applied.
func TestGlossaryRoutes(t *testing.T) {
	fl := loadShipped(t)
	for _, tt := range []struct{ text, want, term string }{
		{"lancei a conta de luz do mês", "financeiro-contas", "conta de luz"},
		{"o itaú desconectou", "financeiro-conexao", "itau"},
		{"a nota saiu denegada", "notas-rejeitada", "denegada"},
		{"qual o telefone do sac", "canais", "sac"},
		{"quero suporte ao vivo", "atendente", "ao vivo"},
		{"como converto o rps em nota", "notas-nfse", "rps"},
	} {
		a := fl.Understand(fl.Root(), tt.text)
		if a.Kind != AnswerGo || a.Node != tt.want {
			t.Errorf("Understand(%q) = %s %v; want go %s%s", tt.text, a.Kind, a.nodes(), tt.want, top(a.Routing))
		}
		if !slices.ContainsFunc(a.Routing.Glossary, func(u GlossUse) bool { return u.Term == tt.term && u.Pos.Line > 0 }) {
			t.Errorf("Understand(%q) glossary = %+v; want %q with its line", tt.text, a.Routing.Glossary, tt.term)
		}
		m := a.Routing.Ranking[0].Matches
		if !slices.ContainsFunc(m, func(m Match) bool { return m.Gloss == tt.term }) {
			t.Errorf("Understand(%q) matches = %+v; want one from %q", tt.text, m, tt.term)
		}
	}
}

// TestGlossaryInExamples: the tree's phrases are read through the
// glossary too, so an example that uses a term means what a customer's
// text with it means.
func TestGlossaryInExamples(t *testing.T) {
	fl := parseValid(t, "    title: Boletos\n", "    title: Boletos\n    examples:\n      - minha duplicata venceu\n")
	if _, ok := fl.router.postings["duplicat"]; !ok {
		t.Fatal("without a glossary, the example's own word is indexed")
	}
	data, err := os.ReadFile(filepath.Join("testdata", "lint", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "    title: Boletos\n", "    title: Boletos\n    examples:\n      - minha duplicata venceu\n", 1)
	s = strings.Replace(s, "menu: inicio\n", "glossary:\n  - terms: [duplicata]\n    means: boleto\nmenu: inicio\n", 1)
	fl, err = Parse(strings.NewReader(s), "valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fl.router.postings["duplicat"]; ok {
		t.Error("with duplicata in the glossary, the index still has it")
	}
	if a := fl.Understand(fl.Root(), "a duplicata venceu"); a.Node != "boletos" {
		t.Errorf("Understand(a duplicata venceu) = %s %v; want boletos", a.Kind, a.nodes())
	}
}
