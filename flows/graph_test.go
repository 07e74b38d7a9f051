package flows

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// graphCounts counts what a diagram of fl must draw.
func graphCounts(fl *Flow) (nodes, options, trails int) {
	for _, n := range fl.Nodes() {
		nodes++
		options += len(n.Options)
		if n.Type.Value == KindTrail {
			trails++
		}
	}
	return nodes, options, trails
}

func TestMermaid(t *testing.T) {
	fl := loadShipped(t)
	out := fl.Mermaid()
	if !strings.HasPrefix(out, "flowchart TD\n") {
		t.Fatalf("Mermaid() starts %q; want %q", out[:min(len(out), 20)], "flowchart TD\n")
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("Mermaid() does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:]

	nodes, options, trails := graphCounts(fl)
	if got, want := len(lines), nodes+1+options+trails; got != want {
		t.Errorf("Mermaid() has %d lines after the header; want %d (%d nodes, the resolved question, %d options, %d trail ends)",
			got, want, nodes, options, trails)
	}

	shapes := map[string]string{KindMenu: "[\"", KindTrail: "(\"", KindHandoff: "{{\"", KindTickets: "([\""}
	for _, n := range fl.Nodes() {
		t.Run(n.ID, func(t *testing.T) {
			shape, ok := shapes[n.Type.Value]
			if !ok {
				shape = shapes[KindHandoff] // every other kind is drawn like the handoff
			}
			decl := "  n_" + mermaidID(n.ID) + shape + mermaidText(fl.Title(n.ID)) + "\""
			if got := countPrefix(lines, decl); got != 1 {
				t.Errorf("%d lines declare %q; want 1", got, decl)
			}
			for i, o := range n.Options {
				edge := "  n_" + mermaidID(n.ID) + " -- \"" + string(rune('1'+i)) + ". " + mermaidText(o.Label.Value) + "\" --> n_" + mermaidID(o.Goto.Value)
				if got := countPrefix(lines, edge); got != 1 {
					t.Errorf("%d lines draw option %d: %q; want 1", got, i+1, edge)
				}
			}
			if n.Type.Value == KindTrail {
				to := resolvedNode
				if n.Next.Value != "" {
					to = "n_" + mermaidID(n.Next.Value)
				}
				edge := "  n_" + mermaidID(n.ID) + " --> " + to
				if got := countPrefix(lines, edge); got != 1 {
					t.Errorf("%d lines draw the trail end %q; want 1", got, edge)
				}
			}
		})
	}
	if got := countPrefix(lines, "  "+resolvedNode+"{\""); got != 1 {
		t.Errorf("%d lines declare the resolved question; want 1", got)
	}
	if got := countPrefix(lines, "  n_"); got != nodes+options+trails {
		t.Errorf("%d lines start with a node; want %d", got, nodes+options+trails)
	}
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func TestMermaidIDsAreOneToOne(t *testing.T) {
	ids := []string{"a-b", "a_b", "a_hb", "a_ub", "a__b", "a--b", "a_-b", "a-_b", "ab"}
	seen := map[string]string{}
	for _, id := range ids {
		m := mermaidID(id)
		if prev, dup := seen[m]; dup {
			t.Errorf("mermaidID(%q) = mermaidID(%q) = %q; want distinct", id, prev, m)
		}
		seen[m] = id
		if strings.ContainsAny(m, "-") {
			t.Errorf("mermaidID(%q) = %q; want no hyphen", id, m)
		}
	}
}

func TestMermaidEscapesLabels(t *testing.T) {
	fl := parseValid(t, "    title: Emitir NF-e\n", "    title: \"Emitir \\\"NF-e\\\"\\nagora\"\n")
	out := fl.Mermaid()
	want := `  n_notas_hnfe("Emitir #quot;NF-e#quot; agora")`
	if !strings.Contains(out, want+"\n") {
		t.Errorf("Mermaid() has no line %q:\n%s", want, out)
	}
}

// runDot feeds src to Graphviz and returns the SVG.
func runDot(tb testing.TB, src string) string {
	tb.Helper()
	path, err := exec.LookPath("dot")
	if err != nil {
		tb.Fatalf("Graphviz's dot is not installed (%v): run make deps, which installs graphviz", err)
	}
	cmd := exec.Command(path, "-Tsvg")
	cmd.Stdin = strings.NewReader(src)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("dot -Tsvg: %v\n%s\ninput:\n%s", err, stderr.String(), src)
	}
	if stderr.Len() > 0 {
		tb.Errorf("dot -Tsvg warned: %s", stderr.String())
	}
	return stdout.String()
}

func TestDot(t *testing.T) {
	tests := []struct {
		name string
		fl   func(testing.TB) *Flow
	}{
		{"shipped", loadShipped},
		{"valid", func(tb testing.TB) *Flow { return parseValid(tb, "", "") }},
		{"quotes, backslash and newline in labels", func(tb testing.TB) *Flow {
			return parseValid(tb, "    title: Emitir NF-e\n", `    title: "Emitir \"NF-e\" \\ [agora]\n<b>já</b>;"`+"\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := tt.fl(t)
			src := fl.Dot()
			if !strings.HasPrefix(src, "digraph flows {\n") || !strings.HasSuffix(src, "}\n") {
				t.Errorf("Dot() = %q...; want a digraph flows { ... } block", src[:min(len(src), 40)])
			}
			svg := runDot(t, src)
			if !strings.Contains(svg, "<svg") {
				t.Fatalf("dot -Tsvg output has no <svg>:\n%s", svg)
			}
			nodes, options, trails := graphCounts(fl)
			if got, want := strings.Count(svg, `class="node"`), nodes+1; got != want {
				t.Errorf("SVG has %d nodes; want %d (the nodes and the resolved question)", got, want)
			}
			if got, want := strings.Count(svg, `class="edge"`), options+trails; got != want {
				t.Errorf("SVG has %d edges; want %d (%d options, %d trail ends)", got, want, options, trails)
			}
			for _, n := range fl.Nodes() {
				// dot writes the id as the node's SVG title, hyphens as &#45;.
				if title := "<title>" + strings.ReplaceAll(n.ID, "-", "&#45;") + "</title>"; !strings.Contains(svg, title) {
					t.Errorf("SVG has no %s", title)
				}
			}
		})
	}
}
