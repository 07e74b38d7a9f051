package flows

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The routing measure: flows/testdata/routing/phrases.tsv holds customer
// phrasings for the shipped flows.yaml, each labelled with the node a
// person would send it to ("-" for text that belongs to no trail). The
// test answers each one at the main menu exactly as the engine does and
// prints the figures; it fails below the targets.

type labelled struct {
	line   int
	node   string // "-" when out of scope
	phrase string
}

func readLabelled(t testing.TB) []labelled {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "routing", "phrases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		node, phrase, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(phrase) == "" {
			t.Fatalf("phrases.tsv:%d: want NODE<TAB>PHRASE, got %q", n, line)
		}
		out = append(out, labelled{line: n, node: node, phrase: phrase})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRoutingLabelledSet prints direct accuracy, accuracy within one
// confirmation (the question offers the right node, or the sub-menu
// reached offers it) and the out-of-scope texts routed anywhere.
func TestRoutingLabelledSet(t *testing.T) {
	fl := loadShipped(t)
	set := readLabelled(t)
	var in, direct, within, oos, oosRouted, oosTrail, oosAsked int
	for _, c := range set {
		a := fl.Understand(fl.Root(), c.phrase)
		got := a.Target()
		if c.node == "-" {
			oos++
			switch a.Kind {
			case AnswerGo, AnswerOption:
				oosRouted++
				if k := fl.Node(got).Type.Value; k != KindMenu {
					oosTrail++
					t.Errorf("phrases.tsv:%d: out-of-scope %q routed into %s %q", c.line, c.phrase, k, got)
				} else {
					t.Logf("phrases.tsv:%d: out-of-scope %q opened menu %q", c.line, c.phrase, got)
				}
			case AnswerAsk:
				oosAsked++
				t.Logf("phrases.tsv:%d: out-of-scope %q asked %v", c.line, c.phrase, a.Routing.Nodes)
			}
			continue
		}
		if fl.Node(c.node) == nil {
			t.Fatalf("phrases.tsv:%d: no node %q", c.line, c.node)
		}
		in++
		ok := (a.Kind == AnswerGo || a.Kind == AnswerOption) && got == c.node
		near := ok || a.Kind == AnswerAsk && slices.Contains(a.Routing.Nodes, c.node) ||
			(a.Kind == AnswerGo || a.Kind == AnswerOption) && offers(fl, got, c.node)
		if ok {
			direct++
		}
		if near {
			within++
		}
		if !ok {
			t.Logf("phrases.tsv:%d: %q: want %s, got %s %v %s", c.line, c.phrase, c.node, a.Kind, a.nodes(), top(a.Routing))
		}
	}
	pct := func(a, b int) float64 { return 100 * float64(a) / float64(b) }
	t.Logf("in scope: %d phrases; direct %d (%.1f%%); within one confirmation %d (%.1f%%)", in, direct, pct(direct, in), within, pct(within, in))
	t.Logf("out of scope: %d phrases; routed %d (into a trail %d), asked %d", oos, oosRouted, oosTrail, oosAsked)
	if in < 150 {
		t.Errorf("only %d labelled in-scope phrases; want at least 150", in)
	}
	if pct(direct, in) < 85 {
		t.Errorf("direct accuracy %.1f%%; want at least 85%%", pct(direct, in))
	}
	if pct(within, in) < 95 {
		t.Errorf("accuracy within one confirmation %.1f%%; want at least 95%%", pct(within, in))
	}
}

// offers reports whether menu lists an option leading to node.
func offers(fl *Flow, menu, node string) bool {
	n := fl.Node(menu)
	return n != nil && slices.ContainsFunc(n.Options, func(o Option) bool { return o.Goto.Value == node })
}

func top(r Routing) string {
	var b strings.Builder
	for i, c := range r.Ranking {
		if i == 3 {
			break
		}
		b.WriteString(" ")
		b.WriteString(c.Node)
		b.WriteString("=")
		b.WriteString(strings.TrimRight(strings.TrimRight(strconvF(c.Score), "0"), "."))
	}
	return b.String()
}

// TestRoutingSetDisjoint keeps the measure honest: no labelled phrase is
// one of the examples editors wrote.
func TestRoutingSetDisjoint(t *testing.T) {
	fl := loadShipped(t)
	examples := map[string]string{}
	for _, n := range fl.Nodes() {
		for _, e := range n.Examples {
			examples[Normalize(e.Value)] = n.ID
		}
	}
	for _, c := range readLabelled(t) {
		if id, ok := examples[Normalize(c.phrase)]; ok {
			t.Errorf("phrases.tsv:%d: %q is an example of %q in flows.yaml", c.line, c.phrase, id)
		}
	}
}

func strconvF(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// BenchmarkRoute routes the labelled phrases in turn, as the engine does
// with a message at a menu (go test -bench Route ./flows).
func BenchmarkRoute(b *testing.B) {
	fl := loadShipped(b)
	set := readLabelled(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		fl.Understand(fl.Root(), set[i%len(set)].phrase)
	}
}

// BenchmarkRouteLong routes a message at the input cap: the worst case.
func BenchmarkRouteLong(b *testing.B) {
	fl := loadShipped(b)
	text := strings.Repeat("minha nota fiscal de serviço foi rejeitada pela prefeitura, snha errda ", 8)[:MaxInput]
	b.ReportAllocs()
	for b.Loop() {
		fl.Understand(fl.Root(), text)
	}
}

// BenchmarkRouterBuild is the cost a load or reload pays for the index.
func BenchmarkRouterBuild(b *testing.B) {
	fl := loadShipped(b)
	b.ReportAllocs()
	for b.Loop() {
		buildRouter(fl, tuned)
	}
}
