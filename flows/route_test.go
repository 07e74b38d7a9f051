package flows

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func stems(ws []word) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.stem)
	}
	return out
}

func TestContentWords(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // stems
	}{
		{"stop words go", "Como eu faço para emitir a nota?", []string{"emit", "not"}},
		{"abbreviation spelled out", "vc sabe pq a nf n sai", []string{"not", "fiscal", "sai"}},
		{"idioms and generic verbs go", "queria tirar uma dúvida, como se chama a tela que aparece?", []string{"tel"}},
		{"repeated letters", "sefazzz rejeitouuu", []string{"sefaz", "rejeit"}},
		{"laughter and greetings", "kkkkk oiii bom dia hahaha rsrs", nil},
		{"product name", "não consigo entrar na Conta Azul", []string{"entrar"}},
		{"numbers kept whole", "erro 539 no 0800", []string{"erro", "539", "0800"}},
		{"acronyms kept whole", "OFX da NF-e", []string{"ofx", "nfe"}},
		{"a word group read as one word", "carne e osso, por favor", []string{"human"}},
		{"the bot's names are no topic", "vc é um robô?", nil},
		{"what the company sells is no topic", "vcs vendem impressora fiscal?", []string{"impressor", "fiscal"}},
		{"time words are no topic", "toda semana, no fim do mês", []string{"fim"}},
		{"cancelling the product is its subscription", "quero cancelar a Conta Azul", []string{"cancel", "assinatur"}},
		{"leaving the product too", "vou sair do sistema", []string{"cancel", "assinatur"}},
		{"not authorized is rejected, abbreviations spelled out first", "a NF n foi autorizada", []string{"not", "fiscal", "rejeit"}},
		{"no text", "?!", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stems(contentWords(tt.text)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("contentWords(%q) stems = %q; want %q", tt.text, got, tt.want)
			}
		})
	}
}

// Words customers write with or without accents, in the singular or the
// plural, as a noun or a verb, must meet at one stem.
func TestStemsMeet(t *testing.T) {
	groups := [][]string{
		{"conciliação", "conciliacao", "conciliações", "conciliar", "conciliando"},
		{"rejeitada", "rejeitou", "rejeitadas", "rejeitando"},
		{"permissão", "permissao", "permissões", "permissoes"},
		{"emitir", "emito", "emitida", "emitindo"},
		{"cobrança", "cobranca", "cobranças"},
		{"usuário", "usuario", "usuários"},
		{"atendimento", "atendem", "atende"},
	}
	for _, g := range groups {
		want := stem(Normalize(g[0]))
		for _, w := range g[1:] {
			if got := stem(Normalize(w)); got != want {
				t.Errorf("stem(%q) = %q; want %q, the stem of %q", w, got, want, g[0])
			}
		}
	}
}

// The forms of one word the stemmer leaves apart meet through families:
// a verb and its noun, an irregular form.
func TestFamiliesMeet(t *testing.T) {
	for _, g := range [][]string{
		{"emitir", "emissão", "emissao", "emito"},
		{"corrigir", "correção", "corrijo"},
		{"conectar", "conexão"},
		{"vencem", "vencimento", "vencido"},
		{"pagar", "paguei", "pagou"},
		{"retificar", "retifico"},
	} {
		want := stems(contentWords(g[0]))
		for _, w := range g[1:] {
			if got := stems(contentWords(w)); !reflect.DeepEqual(got, want) {
				t.Errorf("contentWords(%q) stems = %q; want %q, those of %q", w, got, want, g[0])
			}
		}
	}
}

// TestTold tells an action wanted from one told.
func TestTold(t *testing.T) {
	for w, want := range map[string]bool{"cancelar": false, "cancelo": false, "cancelamento": false, "emissao": false, "envia": false,
		"cancelei": true, "emiti": true, "mandou": true, "emitiu": true, "cancelada": true, "emitidos": true} {
		if got := told(w); got != want {
			t.Errorf("told(%q) = %v; want %v", w, got, want)
		}
	}
	for _, tt := range []struct {
		w    string
		want bool
	}{{"cancelar", true}, {"cancelada", false}, {"recusada", true}, {"recusou", true}} {
		w := contentWords(tt.w)[0]
		if got := asks(w, action(w.stem)); got != tt.want {
			t.Errorf("asks(%q) = %v; want %v", tt.w, got, tt.want)
		}
	}
}

// TestActionWeighs: the verb says which trail of a topic the text is
// about, over nouns the topic's trails share, and says so in the ranking.
func TestActionWeighs(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"estornar a nota de produto", "notas-cancelar"},
		{"como arrumo a nota de serviço", "notas-cancelar"},
		{"emiti a NF-e errada, como cancelo?", "notas-cancelar"}, // "emiti" tells what was done
		{"como emitir nota de serviço", "notas-nfse"},
		{"reenviar o boleto", "boletos-enviar"},
		{"minha nota de serviço foi negada", "notas-rejeitada"}, // an event tells too, in any tense
	})
	r := fl.Route("como arrumo a nota de serviço", "")
	i := slices.IndexFunc(r.Ranking, func(c Candidate) bool { return c.Node == "notas-nfse" })
	if i < 0 || r.Ranking[i].Against != "arrumo" {
		t.Errorf("Route ranking = %+v; want notas-nfse lowered against %q", r.Ranking, "arrumo")
	}
	j := slices.IndexFunc(r.Ranking, func(c Candidate) bool { return c.Node == "notas-cancelar" })
	if j < 0 || !slices.ContainsFunc(r.Ranking[j].Matches, func(m Match) bool { return m.Word == "arrumo" && m.How == HowMeaning && m.Term == "corrigir" }) {
		t.Errorf("notas-cancelar matches = %+v; want arrumo read as corrigir", r.Ranking[j].Matches)
	}
	// Another topic's trail is not told apart by the verb: Emitir NF-e
	// explains sending the DANFE, and boletos are no invoices.
	if r := fl.Route("mandar a nota de produto", ""); slices.ContainsFunc(r.Ranking, func(c Candidate) bool { return c.Against != "" }) {
		t.Errorf("Route ranking = %+v; want no node lowered", r.Ranking)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		max  int
		want int
	}{
		{"senha", "senha", 2, 0},
		{"snha", "senha", 2, 1},
		{"rejeitda", "rejeitada", 2, 1},
		{"boleot", "boleto", 2, 1}, // neighbours swapped
		{"concilacao", "conciliacao", 2, 1},
		{"nota", "conta", 2, 2},
		{"nota", "boleto", 2, 3}, // over max: max+1
		{"ab", "abcdefgh", 2, 3}, // lengths too far apart
		{"", "abc", 3, 3},        // from nothing
		{"abc", strings.Repeat("a", 40), 2, 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.max); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d; want %d", tt.a, tt.b, tt.max, got, tt.want)
		}
	}
}

func TestTypoBudget(t *testing.T) {
	for _, tt := range []struct{ n, want int }{{1, 0}, {3, 0}, {4, 1}, {6, 1}, {7, 2}, {20, 2}} {
		if got := typoBudget(tt.n); got != tt.want {
			t.Errorf("typoBudget(%d) = %d; want %d", tt.n, got, tt.want)
		}
	}
}

// TestUnderstand pins the behaviours editors and customers rely on, on
// the shipped flows.
func TestUnderstand(t *testing.T) {
	fl := loadRanking(t)
	tests := []struct {
		name string
		menu string
		text string
		kind AnswerKind
		want []string // the node, or the nodes asked about
	}{
		{"a sentence reaches the deepest node", "inicio", "minha nota foi rejeitada pela sefaz", AnswerGo, []string{"notas-rejeitada"}},
		{"from another sub-menu too", "financeiro", "minha nota foi rejeitada pela sefaz", AnswerGo, []string{"notas-rejeitada"}},
		{"from a sub-menu to a sibling branch", "notas", "esqueci a senha", AnswerGo, []string{"acesso"}},
		{"typos and no accents", "inicio", "esqueci minha snha", AnswerGo, []string{"acesso"}},
		{"a topic word alone opens its menu", "inicio", "quero ajuda com boletos", AnswerGo, []string{"boletos"}},
		{"a keyword of a menu and of its trail goes to the trail", "inicio", "carta de correção", AnswerGo, []string{"notas-cancelar"}},
		{"close alternatives are asked", "inicio", "quero cancelar", AnswerAsk, []string{"notas-cancelar", "plano"}},
		{"many alternatives under one menu open it", "inicio", "como emito nota?", AnswerGo, []string{"notas"}},
		{"numbers keep their meaning in the menu shown", "inicio", "3", AnswerOption, []string{"boletos"}},
		{"the same number elsewhere", "notas", "3", AnswerOption, []string{"notas-rejeitada"}},
		{"a number out of range is no route", "notas", "9", AnswerNone, nil},
		{"keycap emoji", "notas", "2️⃣", AnswerOption, []string{"notas-nfse"}},
		{"a whole keyword of the menu shown wins", "inicio", "senha", AnswerOption, []string{"acesso"}},
		{"a keyword to a sub-menu goes on when it names a trail", "inicio", "conciliação bancária", AnswerGo, []string{"financeiro-conciliacao"}},
		{"the menu shown tips the balance", "notas", "quero cancelar", AnswerGo, []string{"notas-cancelar"}},
		{"a word of this menu and of another one stays here", "notas", "quero emitir", AnswerAsk, []string{"notas-nfe", "notas-nfse"}},
		{"the same word elsewhere", "boletos", "quero emitir", AnswerGo, []string{"boletos-emitir"}},
		{"a clearly other topic leaves the menu", "notas", "quero cancelar minha assinatura", AnswerGo, []string{"plano"}},
		{"a clearly other trail leaves the menu", "boletos", "minha nota foi rejeitada", AnswerGo, []string{"notas-rejeitada"}},
		{"the best trail under the menu a weak text names", "inicio", "a nota travou na transmissão com erro", AnswerGo, []string{"notas-rejeitada"}},
		{"a customer's own words weigh less beside two known ones", "inicio", "os lançamentos do extrato bancário vieram zoados", AnswerGo, []string{"financeiro-conciliacao"}},
		{"one known word among unknown ones opens no trail", "inicio", "meu gato comeu o boleto", AnswerOption, []string{"boletos"}},
		{"a main-menu keyword in a weak sentence counts at a sub-menu too", "boletos", "o valor da mensalidade subiu", AnswerGo, []string{"plano"}},
		{"a keyword of the menu shown needs routing's support", "chamados", "como assim?", AnswerNone, nil},
		{"a clearly better node elsewhere beats the menu shown", "boletos", "financeiro", AnswerGo, []string{"financeiro"}},
		{"the menu shown breaks only ties: more explained elsewhere is asked", "notas", "deu erro pra gerar boleto", AnswerAsk, []string{"notas-rejeitada", "boletos-emitir"}},
		{"laughter", "inicio", "kkkkkk", AnswerNone, nil},
		{"off topic", "inicio", "quem ganhou o jogo ontem?", AnswerNone, nil},
		{"a keyword among unknown words leads nowhere", "financeiro", "qual a receita do bolo de cenoura?", AnswerNone, nil},
		{"a keyword tied with a word of another topic leads nowhere", "financeiro", "me manda a receita do pudim", AnswerAsk, []string{"financeiro-contas"}},
		{"the menu's own word opens the menu", "inicio", "sobre os chamados", AnswerGo, []string{"chamados"}},
		{"the words that call an Encantador name the handoff", "notas", "prefiro um ser humano", AnswerGo, []string{"atendente"}},
		{"bills to pay", "inicio", "paguei a conta de água, onde lanço?", AnswerGo, []string{"financeiro-contas"}},
		{"unknown menu reads as the main menu", "nao-existe", "3", AnswerOption, []string{"boletos"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fl.Understand(tt.menu, tt.text)
			if a.Kind != tt.kind || !slices.Equal(a.nodes(), tt.want) {
				t.Errorf("Understand(%q, %q) = %s %v; want %s %v%s", tt.menu, tt.text, a.Kind, a.nodes(), tt.kind, tt.want, top(a.Routing))
			}
		})
	}
}

// TestRouteExplains checks that a ranking says which words counted, how
// and where they were found.
func TestRouteExplains(t *testing.T) {
	fl := loadRanking(t)
	r := fl.Route("esqueci minha snha", "")
	if len(r.Ranking) == 0 || r.Ranking[0].Node != "acesso" {
		t.Fatalf("Route ranking = %+v; want acesso first", r.Ranking)
	}
	c := r.Ranking[0]
	if c.Title != "Acesso e senha" || c.Phrase == "" || c.Score <= 0 || c.Likeness <= 0 || c.Coverage <= 0 {
		t.Errorf("best = %+v; want its title, closest phrase and positive scores", c)
	}
	var typo *Match
	for i, m := range c.Matches {
		if m.Word == "snha" {
			typo = &c.Matches[i]
		}
	}
	if typo == nil || typo.How != HowTypo || typo.Term != "senha" || typo.Source == "" || typo.Weight <= 0 {
		t.Errorf("match for %q = %+v; want a typo of senha with its source", "snha", typo)
	}
	r = fl.Route("minha geladeira quebrou", "")
	if !slices.Contains(r.Unknown, "geladeira") {
		t.Errorf("Unknown = %q; want geladeira in it", r.Unknown)
	}
}

// TestRouteMatchesOwnPhrases checks the evidence behind every score: a
// word a node knows comes from one of its own phrases, or from a phrase
// of the menu above it that the match names. ("emissão de nfe" once went
// to boletos-emitir on "nfe" credited to the boletos menu, which has no
// such word: an inherited match was read from another node's slot.)
func TestRouteMatchesOwnPhrases(t *testing.T) {
	t.Parallel() // over thousands of labelled phrases: the longest tests
	fl := loadRanking(t)
	r := fl.router
	has := func(node, source string) bool {
		i, ok := r.index[node]
		return ok && slices.ContainsFunc(r.phrases, func(p phrase) bool { return p.node == i && p.source == source })
	}
	texts := []string{"emissão de nfe", "nota fiscal rejeitada por ncm invalido"}
	for _, c := range sampleLabelled(t) {
		texts = append(texts, c.phrase)
	}
	for _, text := range texts {
		for _, menu := range []string{"", "notas", "boletos", "financeiro", "chamados"} {
			for _, c := range fl.Route(text, menu).Ranking {
				for _, m := range c.Matches {
					owner := c.Node
					if m.From != "" {
						owner = m.From
						if !slices.Contains(r.nodes[r.index[c.Node]].ancestors, r.index[m.From]) {
							t.Errorf("Route(%q, %q): %s credits %q to %q, not a menu above it", text, menu, c.Node, m.Word, m.From)
						}
					}
					if !has(owner, m.Source) {
						t.Errorf("Route(%q, %q): %s credits %q to %q of %s, which has no such phrase", text, menu, c.Node, m.Word, m.Source, owner)
					}
				}
			}
		}
	}
	if a := fl.Understand(fl.Root(), "emissão de nfe"); a.Target() == "boletos-emitir" {
		t.Errorf("Understand(%q) went to boletos-emitir; want the invoices", "emissão de nfe")
	}
}

// TestIncidentalWords: a word only examples use weighs less than it would
// if a title, label or keyword named it; a named word keeps its weight.
func TestIncidentalWords(t *testing.T) {
	fl := loadRanking(t)
	full := tuned
	full.incidental = 1
	r, plain := fl.router, buildRouter(fl, full)
	for _, c := range []struct {
		stem  string
		ratio float64
	}{{stem("tirar"), tuned.incidental}, {stem("boleto"), 1}, {"ofx", 1}} {
		if plain.idf[c.stem] == 0 {
			t.Fatalf("%q is not in the index", c.stem)
		}
		if got := r.idf[c.stem] / plain.idf[c.stem]; math.Abs(got-c.ratio) > 1e-9 {
			t.Errorf("idf(%q) is %.3f of its plain weight; want %.3f", c.stem, got, c.ratio)
		}
	}
}

// TestRouteDeterministic routes the same texts twice, and from a freshly
// parsed copy: the same answers, the same scores.
func TestRouteDeterministic(t *testing.T) {
	t.Parallel() // over thousands of labelled phrases: the longest tests
	a := loadRanking(t)
	fresh, err := Load(shippedFlows)
	if err != nil {
		t.Fatal(err)
	}
	b := withoutModel(fresh)
	for _, c := range sampleLabelled(t) {
		x, y, z := a.Route(c.phrase, ""), a.Route(c.phrase, ""), b.Route(c.phrase, "")
		if !reflect.DeepEqual(x, y) || !reflect.DeepEqual(x, z) {
			t.Fatalf("Route(%q) differs between calls:\n%+v\n%+v\n%+v", c.phrase, x, y, z)
		}
	}
}

// FuzzRoute: any text, at any menu, gets an answer naming real nodes.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"", "1", "minha nota foi rejeitada", "kkkk", "\xff\xfe", "🔟", strings.Repeat("boleto ", 200),
		"ççççççç", "snha", "nf nfe nfs nfse", "0800 600 0919"} {
		f.Add("inicio", s)
		f.Add("notas", s)
	}
	fl := loadShipped(f)
	f.Fuzz(func(t *testing.T, menu, text string) {
		a := fl.Understand(menu, text)
		for _, id := range a.nodes() {
			if fl.Node(id) == nil || id == fl.Root() {
				t.Fatalf("Understand(%q, %q) names %q", menu, text, id)
			}
		}
		if a.Kind == AnswerAsk && (len(a.Routing.Nodes) == 0 || len(a.Routing.Nodes) > maxAsk) {
			t.Fatalf("Understand(%q, %q) asks about %v", menu, text, a.Routing.Nodes)
		}
		for _, u := range a.Routing.Unknown {
			if !utf8.ValidString(u) {
				t.Fatalf("unknown word %q is not valid UTF-8", u)
			}
		}
	})
}

func TestSqueeze(t *testing.T) {
	for in, want := range map[string]string{"oiii": "oi", "sefazzz": "sefaz", "kkkkk": "k", "carro": "carro", "assessoria": "assessoria",
		"aaabbbccc": "abc", "0000": "0000", "": "", "x": "x"} {
		if got := squeeze(in); got != want {
			t.Errorf("squeeze(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestTypoWithinBothBudgets: a typo is within the budget of the word
// written and of the word it is taken for, and two edits away only from
// a word a title, label or keyword names: "testando" is not "estado"
// (two edits, and "estado" allows one), "emprego" not an example's
// "empresa".
func TestTypoWithinBothBudgets(t *testing.T) {
	fl := parseValid(t, "    title: Boletos\n", "    title: Boletos\n    examples:\n      - boleto para outro estado\n      - boleto da empresa\n")
	r := fl.router
	for _, tt := range []struct {
		w    string
		want []string
	}{
		{"testando", nil},
		{"emprego", nil},
		{"empressa", []string{"empresa"}}, // one edit from an example's word
		{"boletp", []string{"boleto"}},
		{"bolteos", []string{"boletos"}}, // two edits from a title's word
	} {
		var got []string
		for _, m := range r.lookup(word{surface: tt.w, stem: wordStem(tt.w)}) {
			got = append(got, m.surface)
		}
		if m := r.lookup(word{surface: tt.w, stem: wordStem(tt.w)}); len(m) > 0 && m[0].how != HowTypo {
			continue // the word's own stem is indexed
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("lookup(%q) = %q; want %q", tt.w, got, tt.want)
		}
	}
}

// TestAloneAmongUnknown: one known word among words no node knows leads
// into no trail; the customer is asked, and a menu still opens.
func TestAloneAmongUnknown(t *testing.T) {
	fl := loadRanking(t)
	for _, text := range []string{"quero uma receita de pudim", "o cartão da academia venceu"} {
		for _, menu := range []string{fl.Root(), "financeiro", "boletos"} {
			a := fl.Understand(menu, text)
			if (a.Kind == AnswerGo || a.Kind == AnswerOption) && fl.Node(a.Node).Type.Value != KindMenu {
				t.Errorf("Understand(%q, %q) = %s %v; want no trail%s", menu, text, a.Kind, a.nodes(), top(a.Routing))
			}
		}
	}
	if a := fl.Understand(fl.Root(), "boleto do pudim"); a.Kind != AnswerOption || a.Node != "boletos" {
		t.Errorf("Understand(boleto do pudim) = %s %v; want the boletos menu", a.Kind, a.nodes())
	}
}

// TestLongMessages: a long message's few topic words still lead to their
// trail among the story around them; a long message about nothing here
// leads into no trail, not even on a main-menu keyword lost in it.
func TestLongMessages(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"Boa tarde! Aqui é o Roberto da Ferragens Silva, a gente usa a Conta Azul faz uns dois anos e nunca tive problema, mas hoje de manhã a nota da venda pra construtora voltou com rejeição e o caminhão já está esperando pra sair, me ajudem por favor", "notas-rejeitada"},
		{"olá, trabalho numa distribuidora de bebidas, semana passada o gerente do banco trocou nossa conta de agência e desde então as movimentações pararam de entrar sozinhas no sistema, o que preciso fazer pra voltar a sincronizar?", "financeiro-conexao"},
		{"Boa tarde, sou a dona da empresa, contratei uma moça nova pro escritório e ela precisa entrar no sistema pra lançar as vendas, mas não quero que ela veja o financeiro, como eu cadastro ela com menos permissão?", "acesso"},
	})
	wantNoTrail(t, fl,
		"boa tarde, estou organizando uma festa de aniversário para minha filha no sábado e queria saber se vocês indicam algum buffet aqui em Joinville",
		"oi pessoal, vocês sabem me dizer se vai ter feriado na segunda que vem aqui em Santa Catarina? preciso avisar meus funcionários",
		"bom dia, estou procurando emprego na área de vendas, trabalho faz dez anos com atendimento e queria mandar meu currículo para vocês",
	)
}

// TestRouteConcurrent: messages routed at once (one per chat) share the
// scratch pool, and each gets the answer it gets alone.
func TestRouteConcurrent(t *testing.T) {
	fl := loadRanking(t)
	texts := []string{"minha nota foi rejeitada pela sefaz", "esqueci minha senha", "o itaú desconectou", "kkkk",
		strings.Repeat("boleto pago e não compensou, ", 12), "como emito nota de serviço"}
	want := make([]Routing, len(texts))
	for i, text := range texts {
		want[i] = fl.Route(text, "")
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 50 {
				i := (g + n) % len(texts)
				if got := fl.Route(texts[i], ""); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("Route(%q) at once = %+v; want %+v", texts[i], got.Nodes, want[i].Nodes)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestElsewhereIn: the words that place a text in the customer's own
// life, and the things it says they own.
func TestElsewhereIn(t *testing.T) {
	for _, tt := range []struct {
		text      string
		life, own []string
	}{
		{"meu filho perdeu a prova de geografia", []string{"filho", "prova", "geografia"}, nil},
		{"o boleto do meu cartão pessoal", []string{"cartao pessoal"}, nil},
		{"oi pessoal, bom dia", nil, nil},
		{"em particular a nota de serviço", nil, nil},
		{"o departamento pessoal lança os salários", nil, nil},
		{"minha conta particular no banco", []string{"conta particular"}, nil},
		{"meu celular não abre", nil, []string{"meu celular"}},
		{"o WhatsApp de vocês atende sábado?", nil, nil},
		{"travou meu zap", nil, []string{"meu whatsapp"}},
		{"a claro me cobrou a mais", []string{"a claro"}, nil},
		{"claro, quero emitir nota", nil, nil},
		{"a mãe do aluno pagou o boleto", nil, nil}, // a client's relative (see kin)
		{"o nome da noiva saiu errado na nota", nil, nil},
		{"mãe, o boleto chegou", []string{"mae"}, nil},
		{"pai de aluno pediu nota fiscal das aulas", nil, nil}, // a client's relative, before whose
		{"preciso da nota da venda pra mãe de um aluno", nil, nil},
		{"mãe da minha vizinha pediu um bolo", []string{"mae"}, nil},                                        // before "minha": the customer's own circle
		{"o cliente emitiu uma nota de devolução errada pra mim", []string{"cliente emitiu uma nota"}, nil}, // issued to the customer
		{"a distribuidora mandou a nf pra gente com o preço errado", []string{"distribuidora mandou a nota"}, nil},
		{"a assistente emitiu a nota pro cliente errado", nil, nil}, // issued by the customer's clerk
		{"o cliente emitiu uma nota?", nil, nil},
		{"a nota do conserto veio errada, quero que eles refaçam", []string{"eles refacam"}, nil}, // theirs to fix
		{"mandei a nota pra ele, tem como arrumar?", nil, nil},                                    // sent to him, the customer's to fix
		{"como peço pra ela cancelar a nota?", []string{"ela cancelar"}, nil},
	} {
		c := cuesIn(Normalize(tt.text))
		life, own := c.life, c.own
		if !slices.Equal(life, tt.life) || !slices.Equal(own, tt.own) {
			t.Errorf("elsewhereIn(%q) = %q, %q; want %q, %q", tt.text, life, own, tt.life, tt.own)
		}
	}
}

// TestSystems: the name of a system logged into, or a document was
// issued or cancelled in, read whole, unless it may be the product; so
// are what a text asks the hours of and who sent the customer a notice.
func TestSystems(t *testing.T) {
	for _, tt := range []struct {
		text           string
		logged, issued []string
	}{
		{"não consigo entrar no sisflora da semas, esqueci a senha", []string{"sisflora", "semas"}, nil},
		{"pediu pra autorizar o acesso no ambiente do banco", []string{"ambiente", "banco"}, nil}, // routing knows "banco": the product's
		{"nao consigo acessar no meu esocial", []string{"esocial"}, nil},
		{"não consigo entrar no sistema", nil, nil},
		{"não consigo entrar no sitema", nil, nil}, // the product, typed fast
		{"nao consigo entrar no aplicatvo", nil, nil},
		{"não consigo entrar no ca", nil, nil}, // too short to tell
		{"como cancelo a gta q emiti errado na idaron", nil, []string{"idaron"}},
		{"emiti a nota no loteamento do seu zé", nil, []string{"loteamento"}},
		{"primeira vez q vou emitir nfe aqui na otica", nil, nil}, // where the customer is
		{"cancelar a nota no sitema", nil, nil},
	} {
		c := cuesIn(Normalize(tt.text))
		if !slices.Equal(c.loggedInto, tt.logged) || !slices.Equal(c.issuedIn, tt.issued) {
			t.Errorf("cuesIn(%q): logged into %q, issued in %q; want %q, %q", tt.text, c.loggedInto, c.issuedIn, tt.logged, tt.issued)
		}
	}
	// What a text asks the hours of, and who sent the customer a notice,
	// are read the same way.
	for _, tt := range []struct {
		text        string
		hours, sent []string
	}{
		{"qual horario de check-in de vcs?", []string{"checkin"}, nil},
		{"qual o horario de atendimento de vcs", []string{"atendimento"}, nil},
		{"o elo7 mandou email dizendo q minha senha expirou", nil, []string{"elo7"}},
		{"o frotista mandou comprovante mas o boleto continua em aberto", nil, nil}, // a client's receipt, no notice
	} {
		c := cuesIn(Normalize(tt.text))
		if !slices.Equal(c.hoursOf, tt.hours) || !slices.Equal(c.sentBy, tt.sent) {
			t.Errorf("cuesIn(%q): hours of %q, sent by %q; want %q, %q", tt.text, c.hoursOf, c.sentBy, tt.hours, tt.sent)
		}
	}
	// Where a document was issued is a system only when neither routing
	// nor the model knows its name: a customer's place may be new too.
	// So are what a text asks the hours of, and who sent a notice.
	fl := loadShipped(t)
	for _, tt := range []struct {
		text      string
		elsewhere bool
	}{
		{"como cancelo a guia que emiti errado na zorbatec", true},
		{"como cancelo a nota que emiti errado na zorbatec", true},
		{"quero emitir a nota do servico de terraplanagem q fizemos no loteamento", false}, // a word customers use
		{"como emito nota no emissor nacional", false},
		{"qual horario de check-in de vcs?", true},
		{"9h as 18h é horario de brasilia?", false}, // a word customers use
		{"o elo7 mandou email dizendo q minha senha expirou", true},
		{"o sistema mandou email dizendo q minha senha expirou", false},
	} {
		if got := len(fl.Route(tt.text, fl.Root()).Elsewhere) > 0; got != tt.elsewhere {
			t.Errorf("Route(%q) someone else's: %v; want %v", tt.text, got, tt.elsewhere)
		}
	}
}

// TestPersonalLife: a text about the customer's own life (family,
// school, a personal card, their own phone) enters no trail at any menu,
// though it shares a topic word with one; the same cues beside the
// company's business do not stop it.
func TestPersonalLife(t *testing.T) {
	fl := loadRanking(t)
	var menus []string
	for _, n := range fl.Nodes() {
		if n.Type.Value == KindMenu {
			menus = append(menus, n.ID)
		}
	}
	for _, text := range []string{
		"meu filho tirou nota vermelha em química",
		"a professora disse que a nota da prova sai amanhã",
		"a anuidade do meu cartão de crédito pessoal subiu",
		"meu celular travou",
		"meu whatsapp não manda áudio",
		"fiz um pix pro meu irmão e não caiu",
		"esqueci a senha do facebook e o código não chega",
		"quero cancelar meu plano da claro",
		"o app do nubank não abre, não consigo entrar",
		"a fatura do meu cartão nubank veio errada",
		"como cancelo a assinatura do spotify",
		"preciso da senha do roteador",
		"o chamado que abri com a tim nunca foi respondido",
		"recebi um boleto falso por email, acho que é golpe",
		"nossa, que calor hoje né",
		"desculpa, mandei mensagem errada aqui",
		"o telefone do detran não atende",
		"perdi a senha do gov.br",
		"o restaurante ali da praça atende até que horas?", // a place's hours, in the support's words
		"o hospital de seabra tem atendimento 24h?",
		"não consigo entrar no sisflora da semas, esqueci a senha", // a system no node knows
		"não consigo entrar no meu hotmail, fica dizendo senha incorreta",
		"o boleto da copasa que chegou não passa no banco, diz não registrado", // a utility's bill
		"o proagro do cliente foi negado, o que faço?",                         // a public programme's answer
	} {
		for _, menu := range menus {
			a := fl.Understand(menu, text)
			if (a.Kind == AnswerGo || a.Kind == AnswerOption) && fl.Node(a.Node).Type.Value != KindMenu {
				t.Errorf("Understand(%q, %q) = %s %v; want no trail%s", menu, text, a.Kind, a.nodes(), top(a.Routing))
			}
		}
	}
	wantGo(t, fl, []routeCase{
		{"oi pessoal, como emito nota de serviço", "notas-nfse"},
		{"vocês atendem pelo whatsapp no sábado?", "canais"},
		{"a senha nova não chega no meu celular e o login não entra", "acesso"},
		{"lancei o cartão de crédito da empresa como despesa, onde vejo", "financeiro-contas"},
		{"quero conectar a conta do itaú da empresa", "financeiro-conexao"},
		{"o boleto do sicoob não registrou", "boletos-registro"},
		{"o extrato do bradesco não importa", "financeiro-conciliacao"},
		{"meu cliente pagou pelo app do itaú e o boleto deu inválido", "boletos-registro"},
		{"como tiro o acesso do joão que saiu da empresa", "acesso"},
		{"troquei o cartão da assinatura", "plano"},
		{"esqeci minha snha", "acesso"},
		{"vocês têm atendimento 24h?", "canais"},
		{"preciso emitir nfse da manutenção do portão eletrônico do condomínio", "notas-nfse"}, // clients and places a trade serves
		{"como emito nota de serviço pra igreja", "notas-nfse"},
		{"como emito nota das vendas do ifood", "notas-nfe"}, // a channel a business sells through
		{"o cadastro da shopee pede a nota das vendas, como emito", "notas-nfe"},
		{"quero emitir boleto pra noiva pagar o restante do vestido", "boletos-emitir"}, // a bridal shop's client
		{"a equipe de vocês atende até que horas?", "canais"},
		{"qual o telefone de vocês?", "canais"},
		{"como emito a nfs-e no emissor nacional com o login do gov.br", "notas-nfse"},
	})
}

// TestToldRejection: a note "não é", "não está" or "não está sendo
// autorizada" was rejected, as one that "não foi".
func TestToldRejection(t *testing.T) {
	for _, text := range []string{"a nota não é aprovada", "a nfe não está autorizando", "a nota ainda não está sendo autorizada"} {
		if got := stems(contentWords(text)); !slices.Contains(got, "rejeit") {
			t.Errorf("contentWords(%q) stems = %q; want a rejection", text, got)
		}
	}
}

// TestTurningTheBotDown: refusing the bot, or asking for "gente", asks
// for a person; "a gente" is still us.
func TestTurningTheBotDown(t *testing.T) {
	fl := loadRanking(t)
	for _, text := range []string{"chega de robô", "não quero falar com máquina", "preciso falar com gente, por favor", "cansei de menu",
		"o robô não entendeu nada, me passa pra um atendente", "esse bot é burro, quero falar com gente"} {
		if a := fl.Understand(fl.Root(), text); a.Kind != AnswerGo || a.Node != "atendente" {
			t.Errorf("Understand(%q) = %s %v; want go atendente%s", text, a.Kind, a.nodes(), top(a.Routing))
		}
	}
	if got := stems(contentWords("a gente emite nota")); slices.Contains(got, "human") {
		t.Errorf("contentWords(a gente emite nota) = %q; want no person asked for", got)
	}
}

// TestBothOpensTheMenu: a text asking about two trails of one menu at
// once ("tanto X quanto Y") opens the menu, which shows both; without
// the construction the best trail still wins.
func TestBothOpensTheMenu(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"quero aprender tanto a emitir boleto quanto a mandar a cobrança", "boletos"},
		{"me explica tanto a conciliação como as contas a pagar", "financeiro"},
		{"quero aprender a emitir boleto", "boletos-emitir"},
	})
}

// TestShippedGlossaryByHand: flows.yaml's glossary reads a user
// deactivated as blocked and reactivating as unblocking, and money or a
// cheque taken by hand as an entry of the books, not a boleto.
func TestShippedGlossaryByHand(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"a vendedora ficou inativa, como reativo ela", "acesso"},
		{"dá pra reativar a conta do estagiário?", "acesso"},
		{"o cliente acertou em espécie, como registro", "financeiro-contas"},
		{"paguei o frete em dinheiro, onde coloco", "financeiro-contas"},
		{"tem algum plano mais em conta pra mim?", "plano"},
		{"quando é o reajuste?", "plano"},
	})
}

// TestShippedGlossaryTickets: the situation or status of the customer's
// own ticket is its progress (Meus chamados); a response time is how
// tickets work (Como acompanhar chamados); "ligar" a bank is connecting
// it, not calling.
func TestShippedGlossaryTickets(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"me passa o status do meu ticket", "meus-chamados"},
		{"qual o prazo de resposta pra um ticket?", "chamados-como-acompanhar"},
		{"quero ligar meu banco sicredi", "financeiro-conexao"},
	})
}

// TestEventTrailNeedsAnEvent: a trail named only for an event (Nota
// rejeitada) does not answer a text only asking for an action a sibling
// is named for, or where something is set; an action tried ("quando
// tento emitir") tells, it does not ask, so a story of a failed try
// still reaches it, and so does asking where, with the event told.
func TestEventTrailNeedsAnEvent(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"como faz pra emitir nota pra prefeitura aqui de Itajaí?", "notas-nfse"},
		{"quando tento emitir a nota aparece cst inválido", "notas-rejeitada"},
		{"onde eu ponho a alíquota do ISS pra nota de serviço?", "notas-nfse"},
		{"onde fica o campo do CST no produto", "notas-nfe"},
		{"onde vejo o motivo da rejeição da nota?", "notas-rejeitada"},
		{"o boleto foi pago e não compensou, onde confiro?", "boletos-registro"},
	})
	if ws := contentWords("tentei cancelar a nota"); len(ws) == 0 || !told(ws[0].surface) {
		t.Errorf("contentWords(tentei cancelar a nota) = %+v; want the action told", ws)
	}
}

// TestBothCues: a text asking about two things at once says so in
// several ways; a number of things, or "os outros" alone, does not.
func TestBothCues(t *testing.T) {
	for text, want := range map[string]bool{
		"nota de produto e de serviço, os dois":       true,
		"ambos os boletos":                            true,
		"umas notas saíram e outras foram rejeitadas": true,
		"tanto boleto quanto pix":                     true,
		"emiti dois boletos":                          false,
		"os outros clientes receberam":                false,
	} {
		if got := cuesIn(Normalize(text)).both; got != want {
			t.Errorf("cuesIn(%q).both = %v; want %v", text, got, want)
		}
	}
}

// TestMakingIsIssuing: making a note or a boleto is issuing it.
func TestMakingIsIssuing(t *testing.T) {
	for _, text := range []string{"faço os boletos no site do banco", "fiz a nota ontem"} {
		if got := stems(contentWords(text)); !slices.Contains(got, stem("emitir")) {
			t.Errorf("contentWords(%q) stems = %q; want emitir", text, got)
		}
	}
}

// TestSomeoneIsAPerson: asking for someone to be called asks for a person.
func TestSomeoneIsAPerson(t *testing.T) {
	for _, text := range []string{"o robô não ajuda, chama alguém", "quero falar com alguém"} {
		if got := stems(contentWords(text)); !slices.Contains(got, stem("humano")) {
			t.Errorf("contentWords(%q) stems = %q; want humano", text, got)
		}
	}
}

// TestBareTextOpensTheTitledMenu: a text naming only what a trail is
// named for doing, when the menu's own title names it too ("cobrança":
// Boletos e cobranças, Enviar cobrança), opens the menu; asking the
// action, or naming what only the trail's title names (NFS-e), still
// goes to the trail.
func TestBareTextOpensTheTitledMenu(t *testing.T) {
	fl := loadRanking(t)
	for _, tt := range []struct{ text, want string }{
		{"tenho uma dúvida de cobranças", "boletos"},
		{"cobrança", "boletos"},
		{"quero enviar a cobrança pro cliente", "boletos-enviar"},
		{"nfse", "notas-nfse"},
	} {
		a := fl.Understand(fl.Root(), tt.text)
		if a.Kind != AnswerGo && a.Kind != AnswerOption || a.Node != tt.want {
			t.Errorf("Understand(%q) = %s %v; want %s%s", tt.text, a.Kind, a.nodes(), tt.want, top(a.Routing))
		}
	}
}

// TestTicketsOrHowTheyWork: a text about tickets the customer has (a
// possessive with more to say, "que abri", a protocol's number) goes to
// the node listing them; one asking where in the product or how tickets
// work goes to the trail explaining it, even with a possessive; "meu
// chamado" alone, or a ticket with someone else, settles nothing.
func TestTicketsOrHowTheyWork(t *testing.T) {
	fl := loadRanking(t)
	for _, tt := range []struct{ text, want string }{
		{"o protocolo 7731902 já andou?", "meus-chamados"},
		{"tem algum protocolo meu em aberto?", "meus-chamados"},
		{"em qual tela eu encontro meus chamados?", "chamados-como-acompanhar"},
		{"onde vejo meus chamados no sistema", "chamados-como-acompanhar"},
		{"o que quer dizer aguardando resposta no chamado", "chamados-como-acompanhar"},
		{"meu chamado", "chamados"},
	} {
		a := fl.Understand(fl.Root(), tt.text)
		if a.Kind != AnswerGo && a.Kind != AnswerOption || a.Node != tt.want {
			t.Errorf("Understand(%q) = %s %v; want %s%s", tt.text, a.Kind, a.nodes(), tt.want, top(a.Routing))
		}
	}
	for text, want := range map[string]string{
		"o chamado que abri ontem":                    "chamado que abri",
		"protocolo 2024-55871":                        "202455871",
		"aquele ticket":                               "aquele ticket",
		"mandei o ticket semana passada":              "mandei o ticket",
		"como está meu chamado de ontem?":             "chamado de ontem",
		"meu chamado na prefeitura nunca andou":       "",
		"meu chamado":                                 "",
		"ja faz 5 dias do meu chamado, e a resposta?": "meu chamado",
	} {
		if got := cuesIn(Normalize(text)).records; got != want {
			t.Errorf("cuesIn(%q).records = %q; want %q", text, got, want)
		}
	}
}

// TestHowOrHowItIs: "como" before something the customer would do asks
// how (an explanation); before how a thing is, or why, it does not.
func TestHowOrHowItIs(t *testing.T) {
	for text, want := range map[string]string{
		"como adiciono um comentário":     "como adiciono",
		"como acompanhar pelo computador": "como acompanhar",
		"como está meu chamado?":          "",
		"e por que não aceita comentário": "por que",
	} {
		if got := cuesIn(Normalize(text)).explains; got != want {
			t.Errorf("cuesIn(%q).explains = %q; want %q", text, got, want)
		}
	}
	if got := cuesIn(Normalize("como está meu chamado?")).records; got != "meu chamado" {
		t.Errorf("cuesIn(como está meu chamado?).records = %q; want meu chamado", got)
	}
}

// TestLanguageOfTheTrade: word groups read as what they mean for the
// books: a line tied to entries is reconciled, files no longer imported
// want the bank's feed, a mistake asks for a correction, something not
// allowed was rejected, stopping using the product is leaving it, and a
// person asked to look is a person.
func TestLanguageOfTheTrade(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"não consigo vincular com os pagamentos que já lancei", "financeiro-conciliacao"},
		{"tem como o itaú mandar tudo sem precisar baixar arquivo?", "financeiro-conexao"},
		{"a sefaz disse que o CFOP não é permitido pra essa operação", "notas-rejeitada"},
		{"vou parar de usar o sistema no mês que vem", "plano"},
		{"quero que uma pessoa me responda agora", "atendente"},
	})
	if got := stems(contentWords("errei o valor da nota")); !slices.Contains(got, stem("corrigir")) {
		t.Errorf("contentWords(errei o valor da nota) stems = %q; want corrigir", got)
	}
	// Another company's ERP, the home's condominium, the customer's own
	// CPF: no trail.
	wantNoTrail(t, fl, "o sistema da totvs caiu de novo", "o boleto do condomínio venceu, onde pago?", "meu cpf tá irregular")
}

// TestShippedGlossaryRound8: the trade's words flows.yaml's glossary
// reads: a note's model, a boleto the bank calls invalid, a year paid at
// once, a phone call to support.
func TestShippedGlossaryRound8(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"nota modelo 65 no balcão, como emito", "notas-nfe"},
		{"o banco diz boleto inválido quando o cliente tenta pagar", "boletos-registro"},
		{"dá desconto pagando o ano inteiro?", "plano"},
		{"atendem por ligação até que horas?", "canais"},
	})
}

// TestRound9: a personal bank app's password or a public office's
// statement enters no trail; someone asked for is a person; wanting
// entries without typing them wants the bank's feed; the trade's words
// the glossary reads.
func TestRound9(t *testing.T) {
	fl := loadRanking(t)
	wantNoTrail(t, fl, "troquei a senha do app do itau e não consigo entrar", "como vejo o extrato do meu fgts")
	wantGo(t, fl, []routeCase{
		{"preciso de alguém pra resolver isso comigo", "atendente"},
		{"quero que os lançamentos do santander entrem sem eu ter que digitar", "financeiro-conexao"},
		{"sou freela e preciso emitir nota pro cliente", "notas-nfse"},
		{"deu acesso negado ao entrar", "acesso"},
		{"quais são as formas de contato?", "canais"},
	})
}

// TestRound10: a personal device's password, or the phone of someone no
// node knows, enters no trail; what a plan includes is asked about with
// the plan; a note not accepted was rejected; the person at support is a
// person; a boleto the bank will not take is not registered.
func TestRound10(t *testing.T) {
	fl := loadRanking(t)
	wantNoTrail(t, fl, "esqueci a senha do meu iphone", "me passa o telefone da farmácia")
	if a := fl.Understand(fl.Root(), "o plano atual tem emissão de boleto?"); !slices.Contains(a.nodes(), "plano") {
		t.Errorf("Understand(o plano atual tem emissão de boleto?) = %s %v; want plano among them%s", a.Kind, a.nodes(), top(a.Routing))
	}
	wantGo(t, fl, []routeCase{
		{"a sefaz não aceitou a nota de novo", "notas-rejeitada"},
		{"quero falar com a moça do atendimento", "atendente"},
		{"o boleto não passa no banco do cliente", "boletos-registro"},
	})
}

// TestRound11OwnLife: personal documents, a flight, a message in the
// wrong group, an app's account said with "no", opening a bank
// account, a branch's hours and a purchase not made enter no trail; a
// ticket opened with someone else is not the customer's here.
func TestRound11OwnLife(t *testing.T) {
	fl := loadRanking(t)
	wantNoTrail(t, fl, "mandei isso no grupo errado, foi mal", "preciso da segunda via da minha cnh",
		"o horário do voo pra recife mudou?", "meu login no uber tá bloqueado", "queria abrir conta no itaú pra mim",
		"o banco abre sábado?", "apareceu compra que eu não fiz no cartão")
	if got := cuesIn(Normalize("o chamado que abri no procon")).records; got != "" {
		t.Errorf("cuesIn(o chamado que abri no procon).records = %q; want none", got)
	}
}

// TestRound12: a ticket the customer opened is asked about whatever its
// subject; the product's own charge is the subscription; sessions and
// classes are services; lines checked against the bank are reconciled.
func TestRound12(t *testing.T) {
	fl := loadRanking(t)
	wantGo(t, fl, []routeCase{
		{"o protocolo que abri sobre o boleto já foi respondido?", "meus-chamados"},
		{"a fatura da conta azul veio com valor diferente", "plano"},
		{"como emito nota das sessões de pilates", "notas-nfse"},
		{"preciso conferir com o extrato tudo que entrou", "financeiro-conciliacao"},
	})
}

// TestRound12OwnLife: a card named beside a bank, a utility's bill, the
// home's gate, a purchase from a store, another ERP's login, a gym's
// charge and an ATM enter no trail.
func TestRound12OwnLife(t *testing.T) {
	fl := loadRanking(t)
	wantNoTrail(t, fl, "o itaú cancelou meu cartão de crédito", "preciso pagar a conta da cemig", "o portão da garagem travou",
		"quero devolver uma compra que fiz na amazon", "meu login do bling expirou", "a cobrança da smartfit veio errada",
		"o caixa eletrônico engoliu meu cartão")
}

// TestRound13: a person asked for wins over the subject they will talk
// about; a person only named does not; the trade's words the glossary
// reads this round.
func TestRound13(t *testing.T) {
	fl := loadRanking(t)
	if a := fl.Understand(fl.Root(), "quero conversar com uma pessoa sobre o boleto que não registra"); a.Kind == AnswerGo && a.Node != "atendente" {
		t.Errorf("Understand(conversar com uma pessoa sobre o boleto) = go %s; want no trail but the handoff%s", a.Node, top(a.Routing))
	}
	if got := personAsked(contentWords("o atendente da lotérica disse que o boleto não existe")); got != "" {
		t.Errorf("personAsked(o atendente da lotérica disse...) = %q; want none", got)
	}
	wantGo(t, fl, []routeCase{
		{"não aparece a opção de boleto quando fecho a venda", "boletos-emitir"},
		{"esqueci o email de cadastro, como entro?", "acesso"},
		{"onde vejo quanto os clientes vão me pagar em janeiro", "financeiro-contas"},
	})
}

// TestRound14: a message meant for the customer's own customer, a
// technician at home, a purchase from a store, a pix sent to the wrong
// person, savings, and a card unblocked at its bank enter no trail;
// moving money is no handoff; reconnecting is connecting.
func TestRound14(t *testing.T) {
	fl := loadRanking(t)
	wantNoTrail(t, fl, "segue o boleto do conserto, qualquer coisa me chama", "o técnico vem aqui em casa amanhã ver o chamado da internet",
		"quero devolver a compra que fiz na magalu", "mandei um pix errado, como cancelo?", "quanto rende a poupança?",
		"o inter bloqueou meu cartão, como desbloqueio")
	// Nor is transferring a thing; transferring the chat is.
	for _, text := range []string{"como transferir dinheiro entre as contas da empresa", "qual o prazo pra transferir o veiculo depois da venda"} {
		if a := fl.Understand(fl.Root(), text); a.Node == "atendente" {
			t.Errorf("Understand(%q) = %s %s; want no handoff%s", text, a.Kind, a.Node, top(a.Routing))
		}
	}
	for _, text := range []string{"pode transferir o atendimento pra uma pessoa?", "consegue transferir a conversa pra um humano"} {
		if a := fl.Understand(fl.Root(), text); a.Kind != AnswerGo || a.Node != "atendente" {
			t.Errorf("Understand(%q) = %s %v; want go atendente%s", text, a.Kind, a.nodes(), top(a.Routing))
		}
	}
	if a := fl.Understand(fl.Root(), "como reconecto o banco do brasil"); a.Kind != AnswerGo || a.Node != "financeiro-conexao" {
		t.Errorf("Understand(como reconecto o banco do brasil) = %s %v; want go financeiro-conexao%s", a.Kind, a.nodes(), top(a.Routing))
	}
}

// TestRound15: a phone chip, a shopping mall, the government's portal, a
// meal voucher, a pix "você me mandou" and a message opening with
// "chefe" enter no trail; lunch is opening hours only as a time.
func TestRound15(t *testing.T) {
	fl := loadRanking(t)
	wantNoTrail(t, fl, "meu chip não pega, como desbloqueio", "a loja do shopping abre domingo?", "onde emito a guia no portal do governo",
		"o saldo do vale refeição sumiu", "o pix que você me mandou não chegou", "chefe, a nota do fornecedor chegou?")
	if a := fl.Understand(fl.Root(), "vocês atendem no horário de almoço?"); a.Kind != AnswerGo || a.Node != "canais" {
		t.Errorf("Understand(vocês atendem no horário de almoço?) = %s %v; want go canais%s", a.Kind, a.nodes(), top(a.Routing))
	}
	if got := fl.Route("a nota do almoço saiu sem cpf", "").Glossary; len(got) > 0 {
		t.Errorf("Route(a nota do almoço...).Glossary = %+v; want no glossary term", got)
	}
}

// routeCase is a text and the node it must go straight to.
type routeCase struct{ text, want string }

// wantGo fails for each case not routed straight to its node from the
// main menu.
func wantGo(t *testing.T, fl *Flow, cases []routeCase) {
	t.Helper()
	for _, tt := range cases {
		if a := fl.Understand(fl.Root(), tt.text); a.Kind != AnswerGo || a.Node != tt.want {
			t.Errorf("Understand(%q) = %s %v; want go %s%s", tt.text, a.Kind, a.nodes(), tt.want, top(a.Routing))
		}
	}
}

// wantNoTrail fails for each text that enters a trail (or the handoff,
// or the tickets) from the main menu: a menu or a question is fine.
func wantNoTrail(t *testing.T, fl *Flow, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if a := fl.Understand(fl.Root(), text); (a.Kind == AnswerGo || a.Kind == AnswerOption) && fl.Node(a.Node).Type.Value != KindMenu {
			t.Errorf("Understand(%q) = %s %s; want no trail%s", text, a.Kind, a.Node, top(a.Routing))
		}
	}
}

// TestRound16: a bare text whose words the menu's own title names opens
// the menu, whatever the trail is named for; an explicit request for a
// person is no lone word among unknown ones, and a ticket mentioned
// beside it does not rule the handoff out; a claim checked ("é
// verdade?") enters no trail.
func TestRound16(t *testing.T) {
	fl := loadRanking(t)
	wantNoTrail(t, fl, "meu contador disse que tenho q emitir nota de tudo, ate de conserto pequeno, é verdade isso?",
		"o fornecedor falou que boleto registrado demora 3 dias, isso procede?")
	if a := fl.Understand(fl.Root(), "acompanhar chamados"); a.Node != "chamados" {
		t.Errorf("Understand(acompanhar chamados) = %s %v; want the chamados menu%s", a.Kind, a.nodes(), top(a.Routing))
	}
	wantGo(t, fl, []routeCase{{"fiz tudo que o passo a passo manda, preciso de uma pessoa", "atendente"}})
	if a := fl.Understand(fl.Root(), "preciso que uma pessoa veja meu caso com urgência"); !slices.Contains(a.nodes(), "atendente") {
		t.Errorf("Understand(preciso que uma pessoa veja meu caso...) = %s %v; want the handoff among them%s", a.Kind, a.nodes(), top(a.Routing))
	}
}

// whoseRounds are, per round on held-out sets' misses, texts that must
// enter no trail and texts that must still reach their node, each in
// words of their own (never a set's).
var whoseRounds = []struct {
	name, why string
	noTrail   []string
	goes      []routeCase
}{{
	"actors", "a brand or someone unknown acting on a plan or bill holds it; a card beside what happens to a person's card is " +
		"theirs; a boleto of a loan or the rent was received; a place's hours are the place's; a copy of an owned bill is the bill",
	[]string{"a operadora cobrou a fatura errada de novo", "o clube cobrou a mensalidade mesmo eu tendo saído do plano",
		"esqueci o limite do cartão de crédito", "perdi meu cartão, como bloqueio", "a parcela do empréstimo não chegou no meu email",
		"qual o horário da padaria amanhã", "preciso da segunda via da fatura do cartão do itaú", "o cadastro no app da pizzaria foi bloqueado"},
	[]routeCase{{"qual o horário de atendimento de vocês", "canais"},
		{"meu cartão foi bloqueado e a assinatura da conta azul não renovou, como pago a mensalidade", "plano"},
		{"como lanço o boleto do aluguel no contas a pagar", "financeiro-contas"}},
}, {
	"addressed", "a title and a name routing does not know open a message meant for that person; a ticket opened with someone " +
		"unknown is theirs; a company named as whose a thing is; a statement of a payable; \"resolvido\" alone closes",
	[]string{"dona Cida, a nota do açougue veio errada, pede pra eles cancelarem",
		"abri um chamado com o síndico por causa do vazamento, como acompanho?", "o reembolso do uber não caiu no meu pix",
		"segunda via do boleto do condomínio", "o extrato do financiamento não mostra a última parcela", "resolvido, obrigada!"},
	[]routeCase{{"seu boleto não foi registrado? como vejo isso", "boletos-registro"},
		{"abri um chamado com o encantador ontem, como está?", "meus-chamados"}},
}, {
	"received", "a place's opening hours; a bill someone sent the customer, or one for what they bought; a ticket opened at " +
		"someone else; a node's whole title; being transferred; doing something by oneself is no bank feed",
	[]string{"que horas a farmácia fecha hoje", "o itaú funciona sábado?", "a escola mandou o boleto da matrícula errado",
		"me manda a nota da geladeira que eu comprei aí semana passada", "a reclamação que fiz no procon, como acompanho?"},
	[]routeCase{{"meus chamados", "meus-chamados"}, {"tentei resolver sozinho e não deu, me transfere", "atendente"},
		{"que horas vocês atendem sábado", "canais"},
		{"comprei mercadoria e o boleto do fornecedor vence sexta, como lanço no contas a pagar?", "financeiro-contas"}},
}, {
	"theirs", "an account \"ao\" a public office; a company's app \"deles\"; a ticket \"da\" someone unknown; an order " +
		"bought, a bill received, a card's bill to split, a bank branch's hours",
	[]string{"meu acesso ao gov.br foi bloqueado, como desbloqueio", "a operadora pediu pra eu atualizar meu cadastro no app deles",
		"como acompanho o protocolo do detran da minha moto", "quero cancelar o pedido de cimento que comprei ontem",
		"o boleto da academia que recebi veio com o código errado", "dá pra parcelar a fatura do meu cartão em 10x?",
		"horário da agência do itaú do shopping"},
	[]routeCase{{"ainda tem alguém atendendo agora?", "canais"}, {"esse atendimento é cobrado à parte?", "canais"},
		{"recebi o pagamento do boleto mas não baixou no sistema", "boletos-registro"}},
}, {
	"greetings", "\"grata\" is thanks; a vocative after a greeting; a purchase not recognized; a ticket opened somewhere " +
		"routing does not know, but not a place in the product",
	[]string{"obrigada, grata!", "oi amor, hoje tem fechamento do caixa, chego tarde",
		"tem uma compra que não reconheço na fatura do cartão", "abri um chamado na concessionária de água, como acompanho?"},
	[]routeCase{{"onde vejo meus chamados pelo computador?", "chamados-como-acompanhar"}},
}, {
	"family", "a relative who asks through the writer runs the family's business; a relative's school or bill is still theirs",
	[]string{"a escola do meu filho pediu a segunda via do boleto", "minha filha tirou nota baixa na prova"},
	[]routeCase{{"minha mãe quer saber como emite nota fiscal de serviço", "notas-nfse"}},
}, {
	"issued", "an invoice issued to the customer, or by a seller, is theirs to fix; a brand past an account's first owner " +
		"is where the account is; a public body's hours are its own",
	[]string{"o comprador emitiu a nota de devolução pra mim com o cfop errado", "a senha do email da loja no gmail expirou",
		"o atacadista da capital emitiu a nfe com o ncm errado, falo o que pra ele?",
		"a gráfica fez a nota do banner com o cnpj errado, quero que eles refaçam hoje",
		"a receita federal atende até que horas hoje?"},
	[]routeCase{{"a assistente emitiu a nota pro cliente errado, como cancelo?", "notas-cancelar"},
		{"como mando a cobrança pro cliente pelo email?", "boletos-enviar"},
		{"o fornecedor mandou o boleto da mercadoria, onde lanço no contas a pagar?", "financeiro-contas"},
		{"vocês atendem até que horas hoje?", "canais"}},
}}

// TestWhoseRounds: whose a thing is, and whom a message is meant for,
// keep a text out of the trails (see whoseRounds).
func TestWhoseRounds(t *testing.T) {
	fl := loadRanking(t)
	for _, r := range whoseRounds {
		t.Run(r.name, func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Log("the round's rule: " + r.why)
				}
			}()
			wantNoTrail(t, fl, r.noTrail...)
			wantGo(t, fl, r.goes)
		})
	}
}

// TestMenuAsked: a text asking for a menu gets it, the main menu when it
// names it ("começo" only as where to go back to), and a menu named when
// routing found nothing else; a text asking what tickets are ("é o mesmo
// que", "pra que serve", "como funcionam") gets how they work.
func TestMenuAsked(t *testing.T) {
	fl := loadRanking(t)
	for _, c := range []struct{ at, text, want string }{
		{"inicio", "manda as opções de novo, apaguei a conversa", "inicio"},
		{"notas", "me manda as opções de novo, apaguei a conversa", "notas"},
		{"notas", "quero voltar para o começo", "inicio"},
		{"boletos", "errei a opção. menu principal", "inicio"},
		{"financeiro", "tem como recomeçar? quero escolher outro assunto", "inicio"},
		{"inicio", "primeira vez emitindo nota de produto, por onde começo?", "notas-nfe"},
		{"inicio", "o id do ticket é a mesma coisa que o protocolo?", "chamados-como-acompanhar"},
		{"inicio", "como funcionam os tickets de vocês?", "chamados-como-acompanhar"},
	} {
		if a := fl.Understand(c.at, c.text); a.Kind != AnswerGo || a.Node != c.want {
			t.Errorf("Understand(%s, %q) = %s %v; want go %s", c.at, c.text, a.Kind, a.nodes(), c.want)
		}
	}
}
