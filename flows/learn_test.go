package flows

import (
	"slices"
	"strings"
	"testing"
)

// TestPhrasebookLabels: every phrase of the phrasebook names a node of
// the shipped flows, or none ("-"): a label misspelt would teach nothing
// and measure nothing.
func TestPhrasebookLabels(t *testing.T) {
	fl := loadShipped(t)
	book := phrasebook()
	if len(book) < 7000 {
		t.Fatalf("the phrasebook holds %d phrases; want the labelled sets' 7,000 and more", len(book))
	}
	sets := map[string]bool{}
	for _, p := range book {
		sets[p.Set] = true
		if p.Node != OutOfScope && fl.Node(p.Node) == nil {
			t.Errorf("%s:%d: %q is no node of the shipped flows", p.Set, p.Line, p.Node)
		}
	}
	for _, s := range labelledSets {
		if !sets[s.name] {
			t.Errorf("labelled set %s is not in the phrasebook", s.name)
		}
	}
}

// TestPhrasebookSetting: only a flow that asks for it learns from the
// phrasebook.
func TestPhrasebookSetting(t *testing.T) {
	if fl := parseValid(t, "", ""); fl.router.learned != nil {
		t.Error("a flow that does not ask for the phrasebook learned from it")
	}
	if fl := parseValid(t, "  menu_style: text\n", "  menu_style: text\n  phrasebook: none\n"); fl.router.learned != nil {
		t.Error("phrasebook: none learned from it")
	}
	if fl := parseValid(t, "  menu_style: text\n", "  menu_style: text\n  phrasebook: builtin\n"); fl.router.learned == nil {
		t.Error("phrasebook: builtin did not learn from it")
	}
	// A wrong value: see the bad-phrasebook lint case.
}

// TestLearnedAnswers: what the shipped flows answer, the learned model
// weighed against the ranking (see learnedAnswer).
func TestLearnedAnswers(t *testing.T) {
	fl := loadShipped(t)
	for _, c := range []struct {
		menu, text string
		kind       AnswerKind
		nodes      []string // where it goes, or what it asks about, in order (at the main menu, in either order when asking about two alike)
	}{
		{"inicio", "minha nota foi rejeitada pela sefaz", AnswerGo, []string{"notas-rejeitada"}},
		{"notas", "esqueci a senha", AnswerGo, []string{"acesso"}}, // a main-menu keyword means the same anywhere
		{"inicio", "a sefaz nao autorizou a nfe pq o ncm ta errado", AnswerGo, []string{"notas-rejeitada"}},
		{"inicio", "quero cancelar", AnswerAsk, []string{"notas-cancelar", "plano"}}, // maybe nowhere, likelier one of two: asked
		{"notas", "quero cancelar", AnswerAsk, []string{"notas-cancelar", "plano"}},  // the menu shown first
		{"inicio", "kkkk", AnswerNone, nil},
		{"inicio", "vocês vendem geladeira?", AnswerNone, nil},
		{"inicio", "meu app do nubank nao abre, esqueci a senha", AnswerNone, nil},        // the customer's own bank
		{"inicio", "quero cancelar a assinatura do jornal", AnswerAsk, []string{"plano"}}, // the customer's own thing: a trail only when near certain
		{"inicio", "chega de robô", AnswerGo, []string{"atendente"}},                      // a person asked for stands
		{"inicio", "perdi minha senha", AnswerAsk, []string{"acesso"}},                    // likely, but maybe the customer's own: asked, the trail alone
		{"inicio", "perdi a senha", AnswerGo, []string{"acesso"}},                         // an editor's example, word for word: it stands
		{"inicio", "quero aprender tanto a emitir boleto quanto a mandar a cobrança", AnswerGo, []string{"boletos"}},
		// Naive Bayes is sure of the trail, the second opinion that no node
		// is meant: asked first.
		{"inicio", "o banco do brasil travou minha conta pj pra atualizar cadastro", AnswerAsk, []string{"financeiro-conexao"}},
		{"inicio", "alguem sabe se o detran ta atendendo hj", AnswerAsk, []string{"atendente"}}, // a person, someone else's
		{"inicio", "quero falar com um atendente", AnswerGo, []string{"atendente"}},
		{"inicio", "ATENDENTE PELO AMOR DE DEUS", AnswerGo, []string{"atendente"}},            // a plea is no topic
		{"inicio", "tem como falar com atendente do inss?", AnswerAsk, []string{"atendente"}}, // someone else's person
		{"inicio", "quero falar com alguem do suporte", AnswerGo, []string{"atendente"}},
		{"inicio", "a mãe do aluno pagou o boleto e não compensou", AnswerGo, []string{"boletos-registro"}}, // a client's relative
	} {
		a := fl.Understand(c.menu, c.text)
		got := a.nodes()
		if a.Kind == AnswerOption && c.kind == AnswerGo {
			a.Kind = AnswerGo // an option of the menu shown is as good
		}
		if c.menu == fl.Root() && a.Kind == AnswerAsk && len(got) == 2 && len(c.nodes) == 2 && got[0] == c.nodes[1] {
			// Two alike, at the main menu: the learned odds, near even, order them.
			got = []string{got[1], got[0]}
		}
		if a.Kind != c.kind || !slices.Equal(got, c.nodes) {
			t.Errorf("Understand(%q, %q) = %v %v; want %v %v (learned %v)", c.menu, c.text, a.Kind, got, c.kind, c.nodes, a.Routing.Learned)
		}
	}
	// Someone else's hours in the support's hours' words sit near the
	// model's even odds of no node: asked about, or answered with nothing
	// from one training to the next, but never taken to the trail.
	a := fl.Understand("inicio", "a farmacia abre que horas no domingo?")
	if asked := a.Kind == AnswerAsk && slices.Equal(a.nodes(), []string{"canais"}); !asked && a.Kind != AnswerNone {
		t.Errorf("someone else's hours: %v %v; want canais asked about, or nothing (learned %v)", a.Kind, a.nodes(), a.Routing.Learned)
	}
}

// TestLearnedExplains: the answer carries the model's guesses and the
// customer's own words that tipped them, for flows route and Testar
// fluxo.
func TestLearnedExplains(t *testing.T) {
	fl := loadShipped(t)
	text := "o banco parou de mandar o extrato pra conciliar"
	r := fl.Understand(fl.Root(), text).Routing
	if len(r.Learned) == 0 || r.Learned[0].Node != "financeiro-conciliacao" || r.Learned[0].P < 0.5 {
		t.Fatalf("learned = %v; want financeiro-conciliacao first", r.Learned)
	}
	sum := 0.0
	for i, g := range r.Learned {
		sum += g.P
		if i > 0 && g.P > r.Learned[i-1].P {
			t.Errorf("learned = %v; want the likeliest first", r.Learned)
		}
	}
	if sum > 1+1e-9 {
		t.Errorf("learned = %v; its probabilities sum over 1", r.Learned)
	}
	if r.Outside <= 0 || r.Outside >= 0.5 {
		t.Errorf("outside = %v; want the second opinion's small chance of no node", r.Outside)
	}
	if len(r.Why) == 0 || len(r.Why) > maxWhy {
		t.Fatalf("why = %q; want 1 to %d words", r.Why, maxWhy)
	}
	for _, w := range r.Why {
		if !strings.Contains(Normalize(text), w) {
			t.Errorf("why = %q: %q is not the customer's words", r.Why, w)
		}
	}
}

// TestLearnedDeterministic: training is the same every time (it runs at
// each load), and so are its answers.
func TestLearnedDeterministic(t *testing.T) {
	fl := loadShipped(t)
	a, b := train(fl, fl.router.gloss, nil), train(fl, fl.router.gloss, nil)
	for _, c := range readLabelled(t, "holdout29.tsv") {
		ga, oa, wa := a.guess(Normalize(c.phrase), nil)
		gb, ob, wb := b.guess(Normalize(c.phrase), nil)
		if !slices.Equal(ga, gb) || oa != ob || !slices.Equal(wa, wb) {
			t.Fatalf("%q: %v %v %q, then %v %v %q", c.phrase, ga, oa, wa, gb, ob, wb)
		}
	}
}

// TestLearnedLeavesSetsOut: a model trained without every set knows only
// the flow's own phrases, and so never guesses "no node", which only the
// phrasebook teaches; the measure relies on leaving a set out.
func TestLearnedLeavesSetsOut(t *testing.T) {
	fl := loadShipped(t)
	m := train(fl, fl.router.gloss, func(string) bool { return true })
	g, _, _ := m.guess(Normalize("kkkk bom dia"), nil)
	for _, x := range g {
		if x.Node == OutOfScope && x.P != 0 {
			t.Errorf("guesses = %v; want no chance of %q without the phrasebook", g, OutOfScope)
		}
	}
	full, _, _ := fl.router.learned.guess(Normalize("kkkk bom dia"), nil)
	if full[0].Node != OutOfScope {
		t.Errorf("with the phrasebook, guesses = %v; want %q first", full, OutOfScope)
	}
}

// TestLearnedRareWords: words the model never saw lean a text towards no
// node (another trade's names, a brand, a supplier), and the flow's own
// words are never rare, however few phrasings use them.
func TestLearnedRareWords(t *testing.T) {
	fl := loadShipped(t)
	m := fl.router.learned
	out := func(text string) float64 {
		g, _, _ := m.guess(Normalize(text), nil)
		for _, x := range g {
			if x.Node == OutOfScope {
				return x.P
			}
		}
		return 0
	}
	if a, b := out("a cobrança veio errada"), out("a cobrança da zorblax veio errada"); b <= a {
		t.Errorf("no node: %.4f with a word never seen, %.4f without; want more with it", b, a)
	}
	for _, n := range fl.Nodes() {
		for _, o := range n.Options {
			for _, k := range o.Keywords {
				for _, f := range features(Normalize(k.Value), fl.router.gloss, nil) {
					if _, ok := m.span(f); !ok && unigram(f) {
						t.Errorf("keyword %q: its word %q is not learned", k.Value, f)
					}
				}
			}
		}
	}
}
