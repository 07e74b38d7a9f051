package flows

import (
	"fmt"
	"strconv"
	"strings"
)

// The trail tree as a diagram, for editors (flows graph) and the console.
// Menus are boxes, trails rounded, the handoff a hexagon; every trail ends
// in the shared "resolveu?" question.

const resolvedNode = "resolveu"

// Mermaid renders the tree as a Mermaid flowchart.
func (fl *Flow) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	id := func(s string) string { return "n_" + mermaidID(s) }
	for _, n := range fl.File.Nodes {
		label := mermaidText(fl.Title(n.ID))
		switch n.Type.Value {
		case KindMenu:
			fmt.Fprintf(&b, "  %s[\"%s\"]\n", id(n.ID), label)
		case KindTrail:
			fmt.Fprintf(&b, "  %s(\"%s\")\n", id(n.ID), label)
		case KindTickets:
			fmt.Fprintf(&b, "  %s([\"%s\"])\n", id(n.ID), label)
		default:
			fmt.Fprintf(&b, "  %s{{\"%s\"}}\n", id(n.ID), label)
		}
	}
	fmt.Fprintf(&b, "  %s{\"%s\"}\n", resolvedNode, mermaidText(fl.File.Resolved.Question.Value))
	for _, n := range fl.File.Nodes {
		for i, o := range n.Options {
			fmt.Fprintf(&b, "  %s -- \"%d. %s\" --> %s\n", id(n.ID), i+1, mermaidText(o.Label.Value), id(o.Goto.Value))
		}
		if n.Type.Value == KindTrail {
			if n.Next.Value != "" {
				fmt.Fprintf(&b, "  %s --> %s\n", id(n.ID), id(n.Next.Value))
			} else {
				fmt.Fprintf(&b, "  %s --> %s\n", id(n.ID), resolvedNode)
			}
		}
	}
	return b.String()
}

// Dot renders the tree in Graphviz's dot language.
func (fl *Flow) Dot() string {
	var b strings.Builder
	b.WriteString("digraph flows {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n")
	for _, n := range fl.File.Nodes {
		shape := "box"
		switch n.Type.Value {
		case KindTrail:
			shape = "box, style=rounded"
		case KindHandoff:
			shape = "hexagon"
		case KindTickets:
			shape = "folder"
		}
		fmt.Fprintf(&b, "  %s [label=%s, shape=%s];\n", strconv.Quote(n.ID), strconv.Quote(fl.Title(n.ID)), shape)
	}
	fmt.Fprintf(&b, "  %s [label=%s, shape=diamond];\n", strconv.Quote(resolvedNode), strconv.Quote(fl.File.Resolved.Question.Value))
	for _, n := range fl.File.Nodes {
		for i, o := range n.Options {
			fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", strconv.Quote(n.ID), strconv.Quote(o.Goto.Value), strconv.Quote(fmt.Sprintf("%d. %s", i+1, o.Label.Value)))
		}
		if n.Type.Value == KindTrail {
			to := n.Next.Value
			if to == "" {
				to = resolvedNode
			}
			fmt.Fprintf(&b, "  %s -> %s;\n", strconv.Quote(n.ID), strconv.Quote(to))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// mermaidID maps a node id (lowercase letters, digits, - and _, see
// validation) to a Mermaid identifier, one to one.
func mermaidID(s string) string {
	return strings.NewReplacer("_", "_u", "-", "_h").Replace(s)
}

// mermaidText escapes a label for a quoted Mermaid string.
func mermaidText(s string) string {
	s = strings.ReplaceAll(s, "\"", "#quot;")
	return strings.ReplaceAll(s, "\n", " ")
}
