package main

import (
	"fmt"
	"io"
	"strings"

	"suporte/flows"
)

// runFlowsRoute shows editors where a customer's text leads and why: the
// answer the bot gives at a menu, then the nodes ranked with their scores
// and the words behind each.
func runFlowsRoute(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("flows route", stderr)
	path := fs.String("flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "the flows file")
	menu := fs.String("menu", "", "the menu the customer is at (default: the main menu)")
	top := fs.Int("top", 5, "how many nodes of the ranking to show")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(stderr, `usage: suporte flows route [--flows FILE] [--menu ID] "what the customer wrote"`)
		return errUsage
	}
	fl, err := flows.Load(*path)
	if err != nil {
		return err
	}
	if *menu == "" {
		*menu = fl.Root()
	}
	if n := fl.Node(*menu); n == nil || n.Type.Value != flows.KindMenu {
		fmt.Fprintf(stderr, "suporte flows route: %q is not a menu of %s\n", *menu, *path)
		return errUsage
	}
	writeRouting(stdout, fl, *menu, text, *top)
	return nil
}

// writeRouting prints the answer to text at menu and the ranking behind it.
func writeRouting(w io.Writer, fl *flows.Flow, menu, text string, top int) {
	a := fl.Understand(menu, text)
	fmt.Fprintf(w, "%q at menu %q\n", text, menu)
	switch a.Kind {
	case flows.AnswerOption:
		fmt.Fprintf(w, "-> option %d of the menu: %s (%s)\n", a.Option+1, a.Node, fl.Title(a.Node))
	case flows.AnswerGo:
		fmt.Fprintf(w, "-> goes to %s (%s)\n", a.Node, fl.Title(a.Node))
	case flows.AnswerAsk:
		var ts []string
		for _, id := range a.Routing.Nodes {
			ts = append(ts, fmt.Sprintf("%s (%s)", id, fl.Title(id)))
		}
		fmt.Fprintf(w, "-> asks: %s\n", strings.Join(ts, " or "))
	default:
		fmt.Fprintln(w, "-> not understood: the menu again")
	}
	r := a.Routing
	switch r.Reason {
	case flows.ReasonMenu:
		fmt.Fprintln(w, "it asks for a menu: the menu is shown")
	case flows.ReasonTitle:
		fmt.Fprintln(w, "it is the whole title or label of the node")
	}
	if len(r.Learned) > 0 {
		var gs []string
		for _, g := range r.Learned {
			name := g.Node
			if g.Node == flows.OutOfScope {
				name = "no node (out of scope)"
			}
			gs = append(gs, name+" "+percent(g.P))
		}
		fmt.Fprintf(w, "learned from customers' phrasings: %s\n", strings.Join(gs, ", "))
		fmt.Fprintf(w, "second opinion, no node against any: %s no node\n", percent(r.Outside))
		if len(r.Why) > 0 && len(r.Learned) > 1 {
			fmt.Fprintf(w, "words that tip it to %s over %s: %s\n", r.Learned[0].Node, r.Learned[1].Node, strings.Join(r.Why, ", "))
		}
	}
	if a.Kind == flows.AnswerOption && len(r.Ranking) == 0 {
		// The menu's own option won before routing ran; show what routing says anyway.
		r = fl.Route(text, menu)
	}
	for _, g := range r.Glossary {
		fmt.Fprintf(w, "glossary: %q read as %q (line %d)\n", g.Term, g.Means, g.Pos.Line)
	}
	if len(r.Unknown) > 0 {
		fmt.Fprintf(w, "words no node knows: %s\n", strings.Join(r.Unknown, ", "))
	}
	if len(r.Elsewhere) > 0 {
		fmt.Fprintf(w, "the customer's own life: %s (no trail entered, only asked)\n", strings.Join(r.Elsewhere, ", "))
	}
	if len(r.Owned) > 0 {
		fmt.Fprintf(w, "the customer's own things: %s (a trail needs two other words)\n", strings.Join(r.Owned, ", "))
	}
	if len(r.Ranking) == 0 {
		if r.Reason == "" {
			fmt.Fprintln(w, "no node shares a word with it")
		}
		return
	}
	fmt.Fprintln(w, "\n score  alike  cover  node")
	for i, c := range r.Ranking {
		if i == top {
			break
		}
		fmt.Fprintf(w, " %5.2f  %5.2f  %5.2f  %s (%s)\n", c.Score, c.Likeness, c.Coverage, c.Node, c.Title)
		from := ""
		if c.From != "" {
			from = " of menu " + c.From
		}
		fmt.Fprintf(w, "                      closest: %q%s\n", c.Phrase, from)
		if c.Against != "" {
			fmt.Fprintf(w, "                      %q: another action than this trail is named for, score lowered\n", c.Against)
		}
		if c.Ruled != "" {
			fmt.Fprintf(w, "                      %q: the text rules this node out (its own tickets, how tickets work, or a person asked for), score lowered\n", c.Ruled)
		}
		for _, m := range c.Matches {
			how := "same word"
			switch {
			case m.How == flows.HowTypo:
				how = "typo of"
			case m.How == flows.HowMeaning:
				how = "same meaning as"
			case m.Word != m.Term:
				how = "same stem as"
			}
			from := ""
			if m.From != "" {
				from = ", menu " + m.From
			}
			word := m.Word
			if m.Gloss != "" {
				word = fmt.Sprintf("%s (glossary: %s)", m.Gloss, m.Word)
			}
			fmt.Fprintf(w, "                      %s: %s %q in %q%s (+%.2f)\n", word, how, m.Term, m.Source, from, m.Weight)
		}
	}
}

// percent shows a probability so that a small doubt is not shown as
// none: 0.3% of "no node" is why a trail is asked about.
func percent(p float64) string {
	switch {
	case p > 0 && p < 0.001:
		return "<0.1%"
	case p < 1 && p > 0.999:
		return ">99.9%"
	case p < 0.1 || p > 0.9:
		return fmt.Sprintf("%.1f%%", 100*p)
	}
	return fmt.Sprintf("%.0f%%", 100*p)
}
