package console

import (
	"slices"
	"strings"
	"testing"

	"suporte/flows"
)

// TestRouteOutGlossary: Testar fluxo names the glossary entries a text
// was read through, and which of its words came from one.
func TestRouteOutGlossary(t *testing.T) {
	src := strings.Replace(fixture(t), "\nmenu: inicio\n", "\nglossary:\n  - terms: [duplicata]\n    means: boleto\n\nmenu: inicio\n", 1)
	fl, err := flows.Parse(strings.NewReader(src), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := routeOut(fl, fl.Root(), "minhas duplicatas")
	if len(r.Glossary) != 1 || r.Glossary[0].Term != "duplicatas" || r.Glossary[0].Means != "boleto" || r.Glossary[0].Line == 0 {
		t.Errorf("glossary = %+v; want duplicatas read as boleto, with its line", r.Glossary)
	}
	if len(r.Ranking) == 0 || !slices.ContainsFunc(r.Ranking[0].Matches, func(m routeMatchJSON) bool { return m.Gloss == "duplicatas" && m.Word == "boleto" }) {
		t.Errorf("ranking = %+v; want a match from the glossary", r.Ranking)
	}
	if r := routeOut(fl, fl.Root(), "boleto"); r.Glossary == nil || len(r.Glossary) != 0 {
		t.Errorf("no glossary entry applied: got %#v; want an empty list", r.Glossary)
	}
}

// TestRouteOutReason: Testar fluxo says when the ranking did not decide:
// a text asking for the menu, or a node's whole title.
func TestRouteOutReason(t *testing.T) {
	fl, err := flows.Load("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ text, reason, node string }{
		{"manda as opções de novo, apaguei a conversa", flows.ReasonMenu, fl.Root()},
		{"meus chamados", flows.ReasonTitle, "meus-chamados"},
		{"minha nota foi rejeitada pela sefaz", "", "notas-rejeitada"},
	} {
		if r := routeOut(fl, fl.Root(), c.text); r.Reason != c.reason || len(r.Nodes) != 1 || r.Nodes[0].ID != c.node {
			t.Errorf("routeOut(%q) = reason %q, nodes %+v; want %q, %s", c.text, r.Reason, r.Nodes, c.reason, c.node)
		}
	}
}

// TestRouteOutPersonal: Testar fluxo names the words that place a text in
// the customer's own life, and lists none (not null) otherwise.
func TestRouteOutPersonal(t *testing.T) {
	fl, err := flows.Parse(strings.NewReader(fixture(t)), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := routeOut(fl, fl.Root(), "meu celular e a prova da minha filha"); !slices.Equal(r.Personal, []string{"prova", "filha", "meu celular"}) {
		t.Errorf("personal = %q; want prova, filha, meu celular", r.Personal)
	}
	if r := routeOut(fl, fl.Root(), "boleto"); r.Personal == nil || len(r.Personal) != 0 {
		t.Errorf("personal = %#v; want an empty list", r.Personal)
	}
}

// TestRouteOutLearned: Testar fluxo shows what the learned model guessed
// and the words that tipped it, "-" for no node, and the second
// opinion's chance of no node; lists, never null, when
// the flow does not learn from the phrasebook.
func TestRouteOutLearned(t *testing.T) {
	fl, err := flows.Load("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := routeOut(fl, fl.Root(), "minha nota foi rejeitada pela sefaz")
	if len(r.Learned) == 0 || r.Learned[0].ID != "notas-rejeitada" || r.Learned[0].Title == "" || r.Learned[0].P <= 0.5 || len(r.Why) == 0 {
		t.Errorf("learned = %+v, why = %q; want notas-rejeitada first, with its title and words", r.Learned, r.Why)
	}
	if r.Outside >= 0.5 {
		t.Errorf("outside = %v; want the second opinion's small chance of no node", r.Outside)
	}
	r = routeOut(fl, fl.Root(), "kkkk bom dia")
	if len(r.Learned) == 0 || r.Learned[0].ID != flows.OutOfScope || r.Learned[0].Title != "" {
		t.Errorf("learned = %+v; want no node first, untitled", r.Learned)
	}
	if r.Outside <= 0.5 {
		t.Errorf("outside = %v; want the second opinion's large chance of no node", r.Outside)
	}
	fx, err := flows.Parse(strings.NewReader(fixture(t)), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := routeOut(fx, fx.Root(), "minha nota foi rejeitada"); r.Learned == nil || len(r.Learned) != 0 || r.Why == nil {
		t.Errorf("learned = %#v, why = %#v; want empty lists", r.Learned, r.Why)
	}
}
