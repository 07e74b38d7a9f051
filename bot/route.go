package bot

import (
	"strings"

	"suporte/flows"
	"suporte/store"
)

// Free text: what a customer writes instead of a menu number is routed
// over the whole tree (flows.Understand). A clear winner is entered
// directly, wherever it is; a few close ones are asked about ("É sobre X
// ou Y?", the choosing_topic state); nothing convincing is "não entendi",
// and the text is kept on the ticket for the editors' report of phrases
// nothing understood.

// intentRoute prefixes an Intent holding the nodes the customer's words
// led to, "|"-separated: one to enter once the ID Suporte is known, or
// the ones a question asks about.
const intentRoute = "route:"

// maxUnmatched bounds the text kept for the editors' report.
const maxUnmatched = 200

func routeIntent(nodes []string) string { return intentRoute + strings.Join(nodes, "|") }

// intentNodes are the nodes of a route intent; gone reports that the
// flows no longer have some of them (a reload removed them).
func (t *turn) intentNodes() (nodes []string, gone bool) {
	rest, ok := strings.CutPrefix(t.conv.Intent, intentRoute)
	if !ok || rest == "" {
		return nil, false
	}
	for _, id := range strings.Split(rest, "|") {
		if n := t.flow.Node(id); n != nil && id != t.flow.Root() {
			nodes = append(nodes, id)
		} else {
			gone = true
		}
	}
	return nodes, gone
}

// remember keeps where text leads, to go there once the ID Suporte is
// known. Only a clear answer counts: the customer has not seen the menu
// yet, so a number or a vague word means nothing. With ask, close
// alternatives count too, to be asked about then.
func (t *turn) remember(text string, ask bool) {
	r := t.flow.Route(text, "")
	if r.Decision == flows.RouteGo || ask && r.Decision == flows.RouteAsk && !r.Weak {
		t.conv.Intent = routeIntent(r.Nodes)
	}
}

// enter goes to node id wherever it is in the tree, with "voltar" leading
// to the menu that offers it, as if the customer had walked there.
func (t *turn) enter(id string) error {
	t.conv.Intent = ""
	n := t.flow.Node(id)
	switch n.Type.Value {
	case flows.KindMenu:
		return t.browse(id, t.flow.Path(id))
	case flows.KindTrail:
		t.conv.Path = t.flow.Path(id)
		return t.read(n)
	case flows.KindTickets:
		return t.listTickets()
	}
	return t.handOff()
}

// clarify asks which of nodes the customer means. "Outro assunto" leads
// back to menu, reached through path.
func (t *turn) clarify(nodes []string, menu string, path []string) error {
	t.conv.Node, t.conv.Path = menu, path
	t.conv.Intent = routeIntent(nodes)
	return t.act(evClarify)
}

// follow acts on how a text at menu was understood; false when it was not.
func (t *turn) follow(a flows.Answer, menu string, path []string) (bool, error) {
	switch a.Kind {
	case flows.AnswerOption:
		t.conv.Intent = ""
		t.conv.Node, t.conv.Path = menu, path
		return true, t.choose(a.Option)
	case flows.AnswerGo:
		return true, t.enter(a.Node)
	case flows.AnswerAsk:
		t.asked(a.Routing.Nodes)
		return true, t.clarify(a.Routing.Nodes, menu, path)
	}
	return false, nil
}

// routeFrom acts on free text written outside a menu (the "resolveu?"
// question, the ID confirmation): only a clear answer counts there, the
// customer was not choosing a topic.
func (t *turn) routeFrom(text, menu string, path []string) (bool, error) {
	r := t.flow.Route(text, menu)
	switch {
	case r.Decision == flows.RouteGo:
		return true, t.enter(r.Nodes[0])
	case r.Decision == flows.RouteAsk && !r.Weak:
		t.asked(r.Nodes)
		return true, t.clarify(r.Nodes, menu, path)
	}
	return false, nil
}

// onChoose answers "É sobre X ou Y?": by number or title, "Outro
// assunto" for the menu again, or in other words, read as at that menu.
func (t *turn) onChoose(text string) error {
	nodes, _ := t.intentNodes()
	if i, ok := t.flow.WhichChoice(nodes).MatchExact(text); ok {
		if i < len(nodes) {
			t.note(store.EventChosen, nodes[i], "")
			return t.enter(nodes[i])
		}
		t.note(store.EventChosen, store.NoneChosen, "")
		t.conv.Intent = ""
		return t.browse(t.conv.Node, t.conv.Path)
	}
	if flows.IsNumber(text) {
		return t.notUnderstood() // numbers answer the question, not the menu behind it
	}
	if ok, err := t.follow(t.flow.Understand(t.conv.Node, text), t.conv.Node, t.conv.Path); ok || err != nil {
		return err
	}
	return t.notUnderstood()
}

// promptChoose asks the question of the choosing_topic state.
func (t *turn) promptChoose() {
	nodes, _ := t.intentNodes()
	t.sayWith(t.flow.WhichText(), flows.Vars{Assuntos: t.flow.WhichTopics(nodes)}, t.flow.WhichChoice(nodes))
}

// unmatched keeps a text the bot did not understand on the ticket, folded
// (case, accents, punctuation) so the editors' report counts "Boleto?!"
// and "boleto" as one phrase. Retention treats it as any customer line.
func (t *turn) unmatched(text string) {
	n := flows.Normalize(text)
	if n == "" {
		return // an emoji, a sticker's worth of symbols: nothing to learn from
	}
	t.note(store.EventUnmatched, t.conv.Node, Truncate(n, maxUnmatched))
}

// asked keeps the text a question answers, with the nodes it asks
// about, for the editors' report: with the customer's choice (noted in
// onChoose), it says which texts to make examples of.
func (t *turn) asked(nodes []string) {
	if n := flows.Normalize(t.text); n != "" {
		t.note(store.EventAsked, strings.Join(nodes, "|"), Truncate(n, maxUnmatched))
	}
}

// AtMenu tells whether a conversation in state waits at a menu, where
// free text is read by flows.Understand (the console's test explains it).
func AtMenu(state string) bool { return state == stateBrowsing }
