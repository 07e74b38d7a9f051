package flows

import (
	"fmt"
	"slices"
	"strings"
)

// AnswerKind is what a customer's text at a menu leads to.
type AnswerKind int

// The kinds of answer.
const (
	AnswerNone   AnswerKind = iota // nothing convincing: "não entendi" and the menu again
	AnswerOption                   // an option of the menu shown
	AnswerGo                       // a node anywhere in the tree, found by routing
	AnswerAsk                      // a few close nodes: ask which one
)

func (k AnswerKind) String() string {
	return [...]string{"none", "option", "go", "ask"}[k]
}

// Answer is how a text written at a menu is understood.
type Answer struct {
	Kind    AnswerKind
	Option  int    // AnswerOption: the 0-based option
	Node    string // AnswerOption, AnswerGo: where it leads
	Routing Routing
}

// Target is the node the answer leads to, "" when it asks or failed.
func (a Answer) Target() string { return a.Node }

// nodes lists the nodes the answer names, for messages.
func (a Answer) nodes() []string {
	if a.Kind == AnswerAsk {
		return a.Routing.Nodes
	}
	if a.Node == "" {
		return nil
	}
	return []string{a.Node}
}

// Understand reads text written at menu (the main menu when menu is not
// one). What the menu shown offers comes first: its numbers, the whole
// label or a keyword of an option, a keyword emoji. Then routing over the
// whole tree. Last, a keyword of the menu found inside the text.
func (fl *Flow) Understand(menu, text string) Answer {
	return fl.understand(menu, text, true)
}

// understand is Understand; an editor's example, word for word, goes
// to its node only when said is true (see learnedAnswer).
func (fl *Flow) understand(menu, text string, said bool) Answer {
	c := fl.menus[menu]
	if c == nil {
		menu = fl.Root()
		c = fl.menus[menu]
	}
	goTo := func(i int) Answer {
		return Answer{Kind: AnswerOption, Option: i, Node: fl.nodes[menu].Options[i].Goto.Value}
	}
	n := Normalize(text)
	if c != nil {
		switch i, how := c.exact(text, n); how {
		case notChoice:
			return Answer{}
		case byNumber:
			return goTo(i)
		case byWord:
			// A keyword leading to a sub-menu may say more than the
			// menu's name: "conciliação bancária" goes on to that trail.
			a := goTo(i)
			if fl.nodes[a.Node].Type.Value == KindMenu {
				if r := fl.router.route(n, a.Node); r.Decision == RouteGo && fl.under(r.Nodes[0], a.Node) {
					return Answer{Kind: AnswerGo, Node: r.Nodes[0], Routing: r}
				}
			}
			return a
		}
	}
	toks := strings.Fields(spelled(n))
	if m, ok := fl.asksMenu(menu, toks, onlyMenu); ok {
		return Answer{Kind: AnswerGo, Node: m, Routing: Routing{Reason: ReasonMenu}}
	}
	var r Routing
	if fl.router != nil {
		r = fl.router.route(n, menu)
	}
	// A menu asked to be shown among other words ("manda o menu de novo,
	// apaguei sem querer") is shown, unless the text asks for a person.
	if m, ok := fl.asksMenu(menu, toks, showMenu); ok && !fl.handoff(r) {
		r.Reason = ReasonMenu
		return Answer{Kind: AnswerGo, Node: m, Routing: r}
	}
	return fl.learnedAnswer(menu, text, n, fl.ranked(menu, n, toks, r), said)
}

// ranked is the answer of the ranking and the rules read around it (see
// Understand), before the learned model weighs in.
func (fl *Flow) ranked(menu, n string, toks []string, r Routing) Answer {
	switch {
	case r.Decision == RouteGo:
		return Answer{Kind: AnswerGo, Node: r.Nodes[0], Routing: r}
	case r.Decision == RouteAsk && !r.Weak:
		return Answer{Kind: AnswerAsk, Routing: r}
	}
	if a, ok := fl.inside(menu, n, r); ok {
		return a
	}
	if r.Decision == RouteAsk {
		return Answer{Kind: AnswerAsk, Routing: r}
	}
	// Routing found nothing: a menu named is the answer ("escolhi errado.
	// menu principal"), unless a person is the text's best bet.
	if m, ok := fl.asksMenu(menu, toks, namedMenu); ok && (len(r.Ranking) == 0 || fl.nodes[r.Ranking[0].Node].Type.Value != KindHandoff) {
		r.Reason = ReasonMenu
		return Answer{Kind: AnswerGo, Node: m, Routing: r}
	}
	return Answer{Routing: r}
}

// learnedAnswer weighs what the learned model (see learn.go) says of
// the normalized text n, written at menu, against the ranking's answer
// a. A text the model places outside every node enters none; one it is
// sure of goes to its node; one it hesitates over is asked about, its
// two best nodes named. Where the ranking found nothing, only a
// near-certain guess goes. Nodes under the menu shown
// weigh more, since that is where the customer is looking. The answers
// the ranking did not decide (a title, a menu asked for, a main-menu
// keyword as the whole text) stand, and so do a person asked for and a
// text asking about two things at once, which the ranking reads and a
// bag of words cannot; a text about the customer's own life
// (Routing.Elsewhere) enters no trail, and one naming the customer's own
// things (Routing.Owned: "meu celular", the bank's app) only on a
// near-certain guess. A trail the model is sure of is still asked about
// while "no node" keeps a small chance, or the second opinion (see
// fitOutside) finds no node likely: the texts that belong to no node
// and share a trail's words are sure guesses too. A person asked for is
// asked about only when the second opinion finds no node likely and the
// model does not put the person first, or when the person is someone
// else's ("um atendente do inss", see cues.personOf). With said, an
// editor's example, word for word, goes to its node whatever the model
// says of it.
func (fl *Flow) learnedAnswer(menu, text, n string, a Answer, said bool) Answer {
	if fl.router == nil || fl.router.learned == nil || a.Routing.Reason != "" {
		return a
	}
	if _, how := fl.menus[fl.Root()].exact(text, n); how == byWord {
		return a
	}
	went := a.Kind == AnswerGo || a.Kind == AnswerOption
	if went && a.Routing.both && fl.nodes[a.Node].Type.Value == KindMenu {
		return a
	}
	r := a.Routing
	t := fl.router.t
	g, outside, why := fl.router.learned.guess(n, func(node string) float64 {
		if menu != fl.Root() && fl.under(node, menu) {
			return t.learnHere
		}
		return 1
	})
	r.Learned, r.Outside, r.Why = g[:min(len(g), maxAsk)], outside, why
	a.Routing = r
	var in []Guess // the nodes, best first
	out := 0.0
	for _, x := range g {
		if x.Node == OutOfScope {
			out = x.P
		} else {
			in = append(in, x)
		}
	}
	if went && fl.nodes[a.Node].Type.Value == KindHandoff {
		if (outside < t.outside || g[0].Node == a.Node) && !r.theirPerson {
			return a
		}
		// A person asked for in a text the second opinion places
		// outside, and the model not for the person first ("o detran
		// ta atendendo hj?"), or someone else's person: asked first.
		r.Decision, r.Nodes, r.Weak = RouteAsk, []string{a.Node}, true
		return Answer{Kind: AnswerAsk, Routing: r}
	}
	goTo := func(id string) Answer {
		if went && a.Node == id {
			return a
		}
		r.Decision, r.Nodes = RouteGo, []string{id}
		return Answer{Kind: AnswerGo, Node: id, Routing: r}
	}
	if id := fl.router.learned.said[n]; id != "" && said {
		// An editor's example, word for word: the editors' word on
		// their own tree stands over what customers' phrasings say.
		return goTo(id)
	}
	best := in[0]
	trail := fl.nodes[best.Node].Type.Value != KindMenu
	agree := went && a.Node == best.Node
	// In doubt: "no node" likely enough, less so where the model
	// overrules the ranking's answer.
	doubt := trail && (out >= t.learnDoubt || !agree && out >= t.learnAgainst || outside >= t.outside && out >= t.outsideNB && r.words >= t.outsideWords)
	switch {
	case a.Kind == AnswerNone:
		if best.P >= t.learnAlone && out < t.learnOut && (!trail || len(r.Elsewhere) == 0 && outside < t.outside) {
			return goTo(best.Node)
		}
		return a
	case out >= t.learnOut && out >= best.P+in[1].P:
		r.Decision, r.Nodes = RouteNone, nil
		return Answer{Routing: r}
	case out >= t.learnOut:
		// Maybe nowhere, but likelier one of two nodes: asking enters
		// no trail ("quero cancelar": the invoice or the plan?).
	case doubt:
		// Likely a trail, but "no node" not out of the question: asking
		// costs an in-scope text one tap, entering costs an out-of-scope
		// one a trail it did not ask for ("que horas o médico atende").
	case best.P >= t.learnGo && (!trail || len(r.Elsewhere) == 0 && (len(r.Owned) == 0 || best.P >= t.learnOwned)):
		return goTo(best.Node)
	}
	// The question names the next node too unless it is both less
	// likely than no node and not a tenth as likely as the best: then
	// the best alone, "É sobre Acesso e senha?", answered yes or no.
	r.Decision, r.Nodes, r.Weak = RouteAsk, []string{best.Node, in[1].Node}, true
	if in[1].P < out && in[1].P < best.P/10 {
		r.Nodes = r.Nodes[:1]
	}
	return Answer{Kind: AnswerAsk, Routing: r}
}

// inside is the last resort for a text routing was not sure enough
// about: a keyword of an option found inside it, of the menu shown or of
// the main menu, the same wherever the customer is. A keyword leading to
// a sub-menu goes on to the node under it that routing clearly prefers
// there (see clearUnder): "a nota travou na transmissão com erro" is
// about the rejected invoice. Away from the main menu, a keyword of the
// menu shown counts only with routing's support beyond that word (see
// beyond: a trail is no answer to "me manda uma receita de bolo"), and
// where both menus name a node, the one routing scores higher wins; the
// menu shown wins ties.
func (fl *Flow) inside(menu, n string, r Routing) (Answer, bool) {
	root := fl.Root()
	found := func(at string) (Answer, bool) {
		c := fl.menus[at]
		if c == nil {
			return Answer{}, false
		}
		i, kw, ok := c.contained(n)
		if !ok {
			return Answer{}, false
		}
		a := Answer{Kind: AnswerOption, Option: i, Node: fl.nodes[at].Options[i].Goto.Value, Routing: r}
		switch {
		case at != root && !fl.router.beyond(r, a.Node, at, kw):
			return Answer{}, false
		case at == root && fl.nodes[a.Node].Type.Value != KindMenu && fl.router.lost(r, a.Node, kw):
			// A trail of the main menu, named by one keyword lost among
			// words no node knows: "a festa de aniversário é no sábado".
			return Answer{}, false
		}
		if d, ok := fl.router.clearUnder(r, a.Node); ok && !fl.router.personal(r, d) {
			a.Kind, a.Node = AnswerGo, d
		}
		if fl.router.personal(r, a.Node) {
			return Answer{}, false // the customer's own life: no trail on a keyword (see Routing.Elsewhere)
		}
		if at != menu {
			a.Kind = AnswerGo // not an option of the menu shown
		}
		return a, true
	}
	here, okHere := found(menu)
	if menu == root {
		return here, okHere
	}
	away, okAway := found(root)
	switch {
	case okHere && okAway && here.Node != away.Node:
		if fl.router.score(r, away.Node)*fl.router.t.close > fl.router.score(r, here.Node) {
			return away, true
		}
		return here, true
	case okHere:
		return here, true
	}
	return away, okAway
}

// under reports whether node lies below menu in the tree.
func (fl *Flow) under(node, menu string) bool {
	if fl.router == nil {
		return false
	}
	i, ok := fl.router.index[node]
	m, okm := fl.router.index[menu]
	return ok && okm && slices.Contains(fl.router.nodes[i].ancestors, m)
}

// checkExamples routes every example as a customer's message at the main
// menu and reports those that do not lead straight to their own node: a
// customer writing exactly that would land elsewhere, or be asked. An
// example that does, but only because the router took it word for word
// (see learnedAnswer), is read again as a text it never memorised: one
// the rest of the tree reads as another node is reported too, or every
// example would pass however hard the tree pulls it elsewhere.
func (fl *Flow) checkExamples(probs *Problems) {
	root := fl.Root()
	for _, n := range fl.File.Nodes {
		for _, e := range n.Examples {
			switch {
			case strings.TrimSpace(e.Value) == "":
				probs.add(e.Pos, "empty example")
				continue
			case n.ID == root:
				probs.add(e.Pos, "examples of the main menu are never used (routing leads away from it): move them to the node they are about")
				continue
			case len(contentWords(e.Value)) == 0:
				probs.add(e.Pos, "example %q has only common words (como, quero, não...): say what it is about", e.Value)
				continue
			}
			// Unmemorised first: where it goes straight to n, so does
			// the example word for word, and one routing is enough.
			fresh := fl.understand(root, e.Value, false)
			if fresh.leadsTo(n.ID) {
				continue
			}
			a := fl.Understand(root, e.Value)
			switch {
			case a.leadsTo(n.ID):
				if other := fresh.first(); other != "" && other != n.ID {
					probs.add(e.Pos, "example %q leads to %q only word for word: the rest of the tree reads it as %q (%s); make it more specific or move it there", e.Value, n.ID, other, fl.Title(other))
				}
			case a.Kind == AnswerGo || a.Kind == AnswerOption:
				probs.add(e.Pos, "example %q leads to %q (%s), not to %q: make it more specific or move it there", e.Value, a.Node, fl.Title(a.Node), n.ID)
			case a.Kind == AnswerAsk:
				probs.add(e.Pos, "example %q is ambiguous: customers writing it would be asked about %s", e.Value, fl.quoteTitles(a.Routing.Nodes))
			default:
				probs.add(e.Pos, "example %q leads nowhere: its words are too common", e.Value)
			}
		}
	}
}

// leadsTo reports whether the answer goes straight to node id.
func (a Answer) leadsTo(id string) bool {
	return (a.Kind == AnswerGo || a.Kind == AnswerOption) && a.Node == id
}

// first is the node the answer leads to or names first, "" when none.
func (a Answer) first() string {
	if ns := a.nodes(); len(ns) > 0 {
		return ns[0]
	}
	return ""
}

// quoteTitles lists nodes as "id" (Title), joined for a message.
func (fl *Flow) quoteTitles(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%q (%s)", id, fl.Title(id))
	}
	return strings.Join(parts, " and ")
}

// menuWords name a menu or its choices.
var menuWords = setOf(`menu inicio recomecar reiniciar reinicia principal opcoes opcao assunto assuntos temas
	topicos escolhas escolha`)

// mainWords name the main menu itself; so does "começo" after "pro",
// "ao", "do" or "o" ("volta pro começo"), not in "por onde começo".
var mainWords = setOf(`menu inicio recomecar reiniciar reinicia principal`)
var toStart = setOf(`pro ao do o`)

// helpWords ask for help and name nothing to help with.
var helpWords = setOf(`ajuda ajudar ajude duvida duvidas orientar orientacao`)

// showWords are the verbs of asking to be shown a menu again.
var showWords = setOf(`voltar volta retornar mostrar mostra manda mande mandar envia envie enviar reenvia reenviar ver
	novo lista listar`)

// How a text asks for a menu (see asksMenu).
type menuAsk int

const (
	onlyMenu  menuAsk = iota // it says nothing else: "quais opções vocês têm", "preciso de ajuda com o sistema"
	showMenu                 // among other words, asked to be shown: "me manda as opções de novo que apertei errado"
	namedMenu                // named, when routing found nothing else: "escolhi errado. menu principal"
)

// asksMenu reads whether the words of a text, toks, ask for a menu in
// the way how says, and which: the main menu when it is named ("quero
// voltar pro menu principal"; "começo" only after "pro", "ao", "do" or
// "o", never "por onde começo", and not when only named), else the menu
// shown. It is answered with that menu, not with "não entendi". "O ID
// que pedem no começo da conversa" asks for none.
func (fl *Flow) asksMenu(menu string, toks []string, how menuAsk) (string, bool) {
	main, asks, show := false, false, false
	for i, t := range toks {
		switch {
		case mainWords[t] || how != namedMenu && t == "comeco" && i > 0 && toStart[toks[i-1]]:
			main, asks = true, true
		case menuWords[t]:
			asks = true
		case helpWords[t] && how == onlyMenu:
			asks = true
		case showWords[t]:
			show = true
		case how == onlyMenu && !stopWords[t]:
			return "", false
		}
	}
	switch {
	case !asks || how == showMenu && !show:
		return "", false
	case main:
		return fl.Root(), true
	}
	return menu, true
}

// handoff reports whether routing r leads to a person, or asks about one.
func (fl *Flow) handoff(r Routing) bool {
	return r.Decision != RouteNone && slices.ContainsFunc(r.Nodes, func(id string) bool { return fl.nodes[id].Type.Value == KindHandoff })
}
