package console

import (
	"cmp"
	"net/http"
	"time"

	"suporte/flows"
	"suporte/store"
)

// The trail tree as the console draws it, with the report's figures on
// each node. The flows form a graph (a handoff many menus point to, a
// "back to the menu" option); the page draws a tree: every node once,
// under the first node that reaches it breadth-first from the main menu,
// and links for the other edges.

// trailFiguresJSON is how one trail did in the range.
type trailFiguresJSON struct {
	Reached    int     `json:"reached"`    // the bot asked "resolveu?" at its end
	Solved     int     `json:"solved"`     // the customer said yes and rated ("útil: Solved de Reached")
	ToPerson   int     `json:"to_person"`  // went on to the queue in the same conversation
	Deflection float64 `json:"deflection"` // Solved / Reached
	Rated      int     `json:"rated"`      // ratings of conversations that ended on it
	CSAT       float64 `json:"csat"`       // their average, 0 if none
}

// menuFiguresJSON sums the trails drawn below a menu. The store keeps
// only the last trail each conversation reached, not the menus it passed,
// so this is a lower bound of the customers who went through the menu:
// those who left it without reaching a trail are not counted.
type menuFiguresJSON struct {
	Reached  int `json:"reached"`
	Solved   int `json:"solved"`
	ToPerson int `json:"to_person"`
	Trails   int `json:"trails"` // trails below
}

type treeEdgeJSON struct {
	Option int    `json:"option"` // 1-based option number; 0 for a trail's next
	Label  string `json:"label"`
	To     string `json:"to"`
	Tree   bool   `json:"tree"` // the child is drawn here; false: a link to a node drawn elsewhere
}

type treeNodeJSON struct {
	ID       string            `json:"id"`
	Type     string            `json:"type"` // menu, trail, handoff or tickets
	Title    string            `json:"title"`
	Text     string            `json:"text,omitempty"` // a menu's question
	Messages int               `json:"messages,omitempty"`
	Line     int               `json:"line"` // where the node starts in the file
	Parent   string            `json:"parent"`
	Depth    int               `json:"depth"`
	Children []treeEdgeJSON    `json:"children"`
	Trail    *trailFiguresJSON `json:"trail,omitempty"`
	Menu     *menuFiguresJSON  `json:"menu,omitempty"`
}

type goneTrailJSON struct {
	Topic string `json:"topic"`
	trailFiguresJSON
}

// treeJSON is GET /api/flows/tree.
type treeJSON struct {
	Version  string         `json:"version"`
	Root     string         `json:"root"`
	From     string         `json:"from"` // first day, YYYY-MM-DD
	To       string         `json:"to"`   // last day, included
	Timezone string         `json:"timezone"`
	Question string         `json:"resolved_question"`
	Nodes    []treeNodeJSON `json:"nodes"` // in file order
	// Gone lists trails with figures in the range that the flows in force
	// no longer have (renamed or removed).
	Gone []goneTrailJSON `json:"gone"`
	// Unmatched are the phrases customers wrote in the range that the
	// bot did not understand, most written first: examples to add.
	Unmatched []store.Phrase `json:"unmatched"`
	// Asked are the phrases customers wrote in the range that the bot
	// answered with a question, with what they chose, most written
	// first: the texts to make examples of, so that it need not ask.
	Asked  []askedJSON `json:"asked"`
	Totals struct {
		Conversations int `json:"conversations"`
		Reached       int `json:"reached"`
		Solved        int `json:"solved"`
		ToPerson      int `json:"to_person"`
	} `json:"totals"`
}

// askedJSON is a phrase the bot asked about (see store.Asked), with the
// titles of the nodes in force; a node gone keeps its id.
type askedJSON struct {
	Text        string    `json:"text"`
	Asked       []string  `json:"asked"`        // the titles asked about
	Chosen      string    `json:"chosen"`       // the node chosen; "" none of them; "-" no answer
	ChosenTitle string    `json:"chosen_title"` // its title, when a node
	Count       int       `json:"count"`
	Last        time.Time `json:"last"`
}

// handleFlowsTree serves the tree of the flows in force with the figures
// of ?from=&to= (as the report's range).
func (s *Server) handleFlowsTree(w http.ResponseWriter, r *http.Request) {
	rep, fl, err := s.report(r.Context(), r.URL.Query())
	if err != nil {
		s.respond(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, buildTree(fl, rep))
}

// buildTree lays the flows out as a tree and puts the report's figures on it.
func buildTree(fl *flows.Flow, rep reportJSON) treeJSON {
	out := treeJSON{Version: fl.Version, Root: fl.Root(), From: rep.FromDay, To: rep.ToDay, Timezone: rep.Location,
		Question: fl.File.Resolved.Question.Value, Gone: []goneTrailJSON{}, Unmatched: rep.Unmatched}
	if out.Unmatched == nil {
		out.Unmatched = []store.Phrase{}
	}
	out.Asked = make([]askedJSON, 0, len(rep.Asked))
	for _, a := range rep.Asked {
		j := askedJSON{Text: a.Text, Asked: make([]string, len(a.Nodes)), Chosen: a.Chosen, Count: a.Count, Last: a.Last}
		for i, id := range a.Nodes {
			j.Asked[i] = cmp.Or(fl.Title(id), id)
		}
		if a.Chosen != store.NoneChosen && a.Chosen != store.NoAnswer {
			j.ChosenTitle = cmp.Or(fl.Title(a.Chosen), a.Chosen)
		}
		out.Asked = append(out.Asked, j)
	}
	out.Totals.Conversations = rep.Conversations

	figures := map[string]*trailFiguresJSON{}
	for _, t := range rep.Trails {
		figures[t.Topic] = &trailFiguresJSON{Reached: t.Reached, Solved: t.Solved, ToPerson: t.ToPerson, Deflection: t.DeflectionRate}
	}
	for _, g := range rep.CSAT.ByTrail {
		if f := figures[g.Topic]; f != nil {
			f.Rated, f.CSAT = g.Count, g.Average
		}
	}

	nodes := fl.Nodes()
	index := make(map[string]int, len(nodes))
	out.Nodes = make([]treeNodeJSON, len(nodes))
	for i, n := range nodes {
		index[n.ID] = i
		tn := treeNodeJSON{ID: n.ID, Type: n.Type.Value, Title: fl.Title(n.ID), Line: n.IDPos.Line, Depth: -1, Children: []treeEdgeJSON{}}
		for k, o := range n.Options {
			tn.Children = append(tn.Children, treeEdgeJSON{Option: k + 1, Label: o.Label.Value, To: o.Goto.Value})
		}
		switch n.Type.Value {
		case flows.KindMenu:
			tn.Text = n.Text.Value
			tn.Menu = &menuFiguresJSON{}
		case flows.KindTrail:
			tn.Messages = len(n.Messages)
			if n.Next.Value != "" {
				tn.Children = append(tn.Children, treeEdgeJSON{To: n.Next.Value, Label: "depois"})
			}
			f := figures[n.ID]
			if f == nil {
				f = &trailFiguresJSON{}
			}
			tn.Trail = f
		}
		out.Nodes[i] = tn
	}

	// Breadth-first from the main menu: each node's first visitor draws it.
	// Nodes no path reaches (validation refuses them) start trees of their own.
	var order []int
	visit := func(root int) {
		out.Nodes[root].Depth = 0
		queue := []int{root}
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			order = append(order, u)
			for k := range out.Nodes[u].Children {
				e := &out.Nodes[u].Children[k]
				v, ok := index[e.To]
				if !ok || out.Nodes[v].Depth >= 0 {
					continue
				}
				e.Tree = true
				out.Nodes[v].Depth = out.Nodes[u].Depth + 1
				out.Nodes[v].Parent = out.Nodes[u].ID
				queue = append(queue, v)
			}
		}
	}
	if i, ok := index[fl.Root()]; ok {
		visit(i)
	}
	for i := range out.Nodes {
		if out.Nodes[i].Depth < 0 {
			visit(i)
		}
	}

	// Sum the trails into the menus above them, deepest first.
	for k := len(order) - 1; k >= 0; k-- {
		n := &out.Nodes[order[k]]
		var add menuFiguresJSON
		switch {
		case n.Trail != nil:
			add = menuFiguresJSON{Reached: n.Trail.Reached, Solved: n.Trail.Solved, ToPerson: n.Trail.ToPerson, Trails: 1}
		case n.Menu != nil:
			add = *n.Menu
		}
		for p := n.Parent; p != ""; {
			pn := &out.Nodes[index[p]]
			if pn.Menu != nil {
				pn.Menu.Reached += add.Reached
				pn.Menu.Solved += add.Solved
				pn.Menu.ToPerson += add.ToPerson
				pn.Menu.Trails += add.Trails
				break // the parent menu passes it on in its own turn
			}
			p = pn.Parent
		}
	}

	for _, t := range rep.Trails {
		out.Totals.Reached += t.Reached
		out.Totals.Solved += t.Solved
		out.Totals.ToPerson += t.ToPerson
		if i, ok := index[t.Topic]; !ok || out.Nodes[i].Type != flows.KindTrail {
			g := goneTrailJSON{Topic: t.Topic, trailFiguresJSON: trailFiguresJSON{Reached: t.Reached, Solved: t.Solved, ToPerson: t.ToPerson, Deflection: t.DeflectionRate}}
			out.Gone = append(out.Gone, g)
		}
	}
	return out
}
