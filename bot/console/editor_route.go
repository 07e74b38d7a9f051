package console

import (
	"suporte/flows"
)

// How "Testar fluxo" explains a customer's text written at a menu: what
// the bot did with it and the ranking behind it, as `suporte flows route`
// prints it.

// routeShown is how many nodes of the ranking the console shows.
const routeShown = 3

type routeJSON struct {
	Menu     string           `json:"menu"`
	Answer   string           `json:"answer"` // option, go, ask or none
	Option   int              `json:"option,omitempty"`
	Reason   string           `json:"reason,omitempty"` // when the ranking did not decide: title or menu (see flows.ReasonTitle)
	Nodes    []routeNodeJSON  `json:"nodes"`            // where it led, or what it asked about
	Unknown  []string         `json:"unknown"`          // words no node knows
	Personal []string         `json:"personal"`         // words placing the text in the customer's own life (see flows.Routing.Elsewhere and Owned)
	Glossary []routeGlossJSON `json:"glossary"`         // the glossary entries the text was read through
	Learned  []routeGuessJSON `json:"learned"`          // the learned model's best guesses (see flows.Routing.Learned)
	Why      []string         `json:"why"`              // the words that tip its first guess over the second
	Outside  float64          `json:"outside"`          // the second opinion's probability of no node (see flows.Routing.Outside)
	Ranking  []routeScoreJSON `json:"ranking"`
}

// routeGuessJSON is one guess of the learned model; id "-" and no title
// when it places the text outside every node.
type routeGuessJSON struct {
	routeNodeJSON
	P float64 `json:"p"`
}

type routeGlossJSON struct {
	Term  string `json:"term"`  // the customer's words, folded
	Means string `json:"means"` // the entry's meaning
	Line  int    `json:"line"`  // where the term is written in flows.yaml
}

type routeNodeJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type routeScoreJSON struct {
	routeNodeJSON
	Score    float64          `json:"score"`
	Likeness float64          `json:"likeness"`
	Coverage float64          `json:"coverage"`
	Phrase   string           `json:"phrase"`
	From     string           `json:"from,omitempty"`    // the menu above the node the phrase belongs to
	Against  string           `json:"against,omitempty"` // the action asked for, when the node is named for another (see flows.Candidate)
	Ruled    string           `json:"ruled,omitempty"`   // the words ruling the node out (see flows.Candidate)
	Matches  []routeMatchJSON `json:"matches"`
}

type routeMatchJSON struct {
	Word   string  `json:"word"`
	Gloss  string  `json:"gloss,omitempty"` // the glossary term the customer wrote, when word is from its meaning
	Term   string  `json:"term"`
	How    string  `json:"how"` // same, stem or typo
	Source string  `json:"source"`
	From   string  `json:"from,omitempty"`
	Weight float64 `json:"weight"`
}

// routeOut explains text written at menu of fl.
func routeOut(fl *flows.Flow, menu, text string) *routeJSON {
	a := fl.Understand(menu, text)
	r := a.Routing
	if a.Kind == flows.AnswerOption && len(r.Ranking) == 0 {
		r = fl.Route(text, menu) // the menu's own option won first; show routing anyway
	}
	out := &routeJSON{Menu: menu, Answer: a.Kind.String(), Reason: a.Routing.Reason, Nodes: []routeNodeJSON{}, Unknown: r.Unknown, Ranking: []routeScoreJSON{}}
	if out.Unknown == nil {
		out.Unknown = []string{}
	}
	out.Personal = append(append([]string{}, r.Elsewhere...), r.Owned...)
	out.Glossary = []routeGlossJSON{}
	for _, g := range r.Glossary {
		out.Glossary = append(out.Glossary, routeGlossJSON{Term: g.Term, Means: g.Means, Line: g.Pos.Line})
	}
	node := func(id string) routeNodeJSON { return routeNodeJSON{ID: id, Title: fl.Title(id)} }
	out.Learned, out.Why, out.Outside = []routeGuessJSON{}, append([]string{}, a.Routing.Why...), round2(a.Routing.Outside)
	for _, g := range a.Routing.Learned {
		n := routeNodeJSON{ID: g.Node}
		if g.Node != flows.OutOfScope {
			n = node(g.Node)
		}
		out.Learned = append(out.Learned, routeGuessJSON{routeNodeJSON: n, P: round2(g.P)})
	}
	switch a.Kind {
	case flows.AnswerOption:
		out.Option = a.Option + 1
		out.Nodes = append(out.Nodes, node(a.Node))
	case flows.AnswerGo:
		out.Nodes = append(out.Nodes, node(a.Node))
	case flows.AnswerAsk:
		for _, id := range a.Routing.Nodes {
			out.Nodes = append(out.Nodes, node(id))
		}
	}
	for i, c := range r.Ranking {
		if i == routeShown {
			break
		}
		s := routeScoreJSON{routeNodeJSON: node(c.Node), Score: round2(c.Score), Likeness: round2(c.Likeness), Coverage: round2(c.Coverage),
			Phrase: c.Phrase, From: c.From, Against: c.Against, Ruled: c.Ruled, Matches: []routeMatchJSON{}}
		for _, m := range c.Matches {
			how := "same"
			switch {
			case m.How == flows.HowTypo:
				how = "typo"
			case m.How == flows.HowMeaning:
				how = "meaning"
			case m.Word != m.Term:
				how = "stem"
			}
			s.Matches = append(s.Matches, routeMatchJSON{Word: m.Word, Gloss: m.Gloss, Term: m.Term, How: how, Source: m.Source, From: m.From, Weight: round2(m.Weight)})
		}
		out.Ranking = append(out.Ranking, s)
	}
	return out
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }
