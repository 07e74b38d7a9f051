package flows

import (
	"bufio"
	"cmp"
	"embed"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The phrasebook: customers' phrasings, each labelled with the node a
// person would send it to ("-" for text that belongs to no node), in
// flows/phrasebook/*.tsv. A flow that asks for it (settings.phrasebook:
// builtin) learns from it which words say which node, beside what its
// titles, keywords and examples say. The labelled sets (phrases.tsv,
// holdout*.tsv) are also routing's measure: each is scored by a model
// that learned from the others. The contrast pairs (contrast*.tsv) only
// teach: each phrasing that belongs to a node beside one in the same
// words that belongs to none ("esqueci a senha do sistema" and "... do
// app do banco"), the kind of text "no node" is hardest to learn from.
//
//go:embed phrasebook/*.tsv
var phrasebookFS embed.FS

// OutOfScope labels a phrase that belongs to no node, and names that
// guess of the learned model.
const OutOfScope = "-"

// bookPhrase is one phrase of the phrasebook.
type bookPhrase struct {
	Set    string // the file it is in
	Line   int
	Node   string // OutOfScope when it belongs to no node
	Phrase string
}

var phrasebook = sync.OnceValue(loadPhrasebook)

func loadPhrasebook() []bookPhrase {
	var out []bookPhrase
	names, _ := fs.Glob(phrasebookFS, "phrasebook/*.tsv")
	for _, name := range names {
		f, _ := phrasebookFS.Open(name)
		sc := bufio.NewScanner(f)
		set := strings.TrimPrefix(name, "phrasebook/")
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			// A line that is not NODE<TAB>PHRASE keeps an empty node,
			// which teaches nothing and which the tests refuse.
			node, text, ok := strings.Cut(line, "\t")
			if !ok || strings.TrimSpace(text) == "" {
				node, text = "", line
			}
			out = append(out, bookPhrase{Set: set, Line: n, Node: node, Phrase: text})
		}
		f.Close()
	}
	return out
}

// bookRead is the phrasebook's features, read through the last glossary
// asked for: every load of the same file shares them.
var bookRead struct {
	sync.Mutex
	key   string
	feats [][]string
}

// bookFeatures returns the features of each phrasebook phrase, read
// through g.
func bookFeatures(g *glossary) [][]string {
	var k strings.Builder
	for _, e := range g.entries {
		for _, t := range e.Terms {
			k.WriteString(t.Value)
			k.WriteByte(1)
		}
		k.WriteString(e.Means.Value)
		k.WriteByte(2)
	}
	bookRead.Lock()
	defer bookRead.Unlock()
	if bookRead.feats != nil && bookRead.key == k.String() {
		return bookRead.feats
	}
	book := phrasebook()
	feats := make([][]string, len(book))
	for i, p := range book {
		feats[i] = features(Normalize(p.Phrase), g, nil)
	}
	bookRead.key, bookRead.feats = k.String(), feats
	return feats
}

// features are what the model reads in a normalized text: each word's
// stem, as routing reads it (abbreviations spelled out, word families
// joined), each pair of neighbours, so "nota rejeitada" counts apart
// from "nota" and "rejeitada", and the meaning of each glossary term of
// g the text uses, so the model reads the trade's words as the editors
// explained them. Stop words stay: "minha", "do", "deles" tell whose a
// thing is. surface, when not nil, gets the words each feature was
// written as, for explanations.
func features(norm string, g *glossary, surface map[string]string) []string {
	words := strings.Fields(spelled(norm))
	toks := make([]string, len(words))
	out := make([]string, 0, 2*len(toks)+2)
	note := func(f, as string) {
		out = append(out, f)
		if _, ok := surface[f]; !ok && surface != nil {
			surface[f] = as
		}
	}
	for i, t := range words {
		if len(t) > 3 {
			t = wordStem(t)
		}
		toks[i] = t
		note(t, words[i])
		if i > 0 {
			note(toks[i-1]+"_"+t, words[i-1]+" "+words[i])
		}
	}
	if g != nil {
		for _, w := range readWords(norm, g, nil) {
			if w.gloss != "" {
				note("="+w.stem, w.gloss)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// model is a naive Bayes classifier over features: for each class (a
// node, or OutOfScope), how likely each feature is in its phrases.
type model struct {
	classes []string
	prior   []float64            // log P(class)
	like    map[string][]float64 // feature -> log P(feature | class)
	gloss   *glossary
	said    map[string]string // an editor's example, normalized -> its node ("" when two share it)
}

// alpha is the smoothing: how many times a class is taken to have seen
// every feature it never saw.
const alpha = 0.3

// train builds the model from the flow's own phrases (titles, labels,
// keywords, examples; examples count editorWeight times) and the
// phrasebook's phrases labelled with its nodes or OutOfScope, but those
// of the sets skip names, all read through the glossary g.
func train(fl *Flow, g *glossary, skip func(set string) bool) *model {
	m := &model{like: map[string][]float64{}, gloss: g, said: map[string]string{}}
	class := map[string]int{OutOfScope: 0}
	m.classes = []string{OutOfScope}
	for _, n := range fl.Nodes() {
		class[n.ID] = len(m.classes)
		m.classes = append(m.classes, n.ID)
	}
	k := len(m.classes)
	total, seen := make([]float64, k), make([]float64, k)
	// What each class says, first collected: a word that only one
	// customer's phrasing uses teaches that class little, and is counted
	// as a rare word instead (see rareOf); the flow's own words never are.
	type item struct {
		id    string
		feats []string
		w     float64
		own   bool
	}
	var items []item
	add := func(id string, feats []string, w float64) { items = append(items, item{id, feats, w, true}) }
	for _, n := range fl.Nodes() {
		for _, e := range n.Examples {
			norm := Normalize(e.Value)
			add(n.ID, features(norm, g, nil), editorWeight)
			if id, ok := m.said[norm]; ok && id != n.ID {
				m.said[norm] = "" // two nodes say it: neither word for word
			} else {
				m.said[norm] = n.ID
			}
		}
		if n.Title.Value != "" {
			add(n.ID, features(Normalize(n.Title.Value), g, nil), 1)
		}
	}
	for _, n := range fl.Nodes() {
		for _, o := range n.Options {
			if fl.Node(o.Goto.Value) == nil {
				continue
			}
			add(o.Goto.Value, features(Normalize(o.Label.Value), g, nil), 1)
			for _, k := range o.Keywords {
				add(o.Goto.Value, features(Normalize(k.Value), g, nil), 1)
			}
		}
	}
	feats := bookFeatures(g)
	for i, p := range phrasebook() {
		if skip != nil && skip(p.Set) {
			continue
		}
		if p.Node == OutOfScope || p.Node != "" && fl.Node(p.Node) != nil {
			items = append(items, item{p.Node, feats[i], 1, false})
		}
	}
	df := map[string]int{} // unigram -> how many phrasings use it; the flow's own: more than rare
	for _, it := range items {
		for _, f := range it.feats {
			switch {
			case !unigram(f):
			case it.own:
				df[f] += rareUpTo + 1
			default:
				df[f]++
			}
		}
	}
	for _, it := range items {
		c := class[it.id]
		seen[c] += it.w
		rare := 0
		for _, f := range it.feats {
			if unigram(f) && df[f] <= rareUpTo {
				rare++
				continue
			}
			count(m, f, c, it.w, k)
			total[c] += it.w
		}
		if rare > 0 {
			count(m, rareOf(rare), c, it.w, k)
			total[c] += it.w
		}
	}
	v := float64(len(m.like))
	all := 0.0
	for _, x := range seen {
		all += x
	}
	m.prior = make([]float64, k)
	for c := range m.prior {
		m.prior[c] = math.Log(seen[c] / all) // -Inf for a class nothing was said of: never guessed
	}
	for _, l := range m.like {
		for c := range l {
			l[c] = math.Log((l[c] + alpha) / (total[c] + alpha*v))
		}
	}
	return m
}

// rareUpTo is how many phrasings may use a word for it to be rare: its
// class learns a rare word, not the word. A text's words the model never
// saw count as rare words too, so a text full of them (another trade's
// names, a brand, a supplier) leans to the class that has them most:
// text that belongs to no node.
const rareUpTo = 1

// unigram reports whether feature f is one word (not a pair, a meaning
// or a count).
func unigram(f string) bool { return !strings.ContainsAny(f, "_=@") }

// rareOf is the feature of a text with n rare words, up to three.
func rareOf(n int) string { return "@rare" + strconv.Itoa(min(n, 3)) }

// count adds w to feature f's count in class c of k.
func count(m *model, f string, c int, w float64, k int) {
	l := m.like[f]
	if l == nil {
		l = make([]float64, k)
		m.like[f] = l
	}
	l[c] += w
}

// editorWeight is how many customers' phrasings an editor's example is
// worth: the editors' word on their own tree comes first.
const editorWeight = 10

// maxWhy is how many of the customer's words an explanation names.
const maxWhy = 4

// Guess is one class's probability for a text.
type Guess struct {
	Node string  // a node, or "-": the text belongs to no node
	P    float64 // 0 to 1; a text's guesses sum to 1
}

// guess ranks the classes for a normalized text, most likely first, and
// gives the features that most favour the first over the second. lift
// multiplies a node's prior odds (1: as learned).
func (m *model) guess(norm string, lift func(node string) float64) ([]Guess, []string) {
	surface := map[string]string{}
	feats := features(norm, m.gloss, surface)
	score := slices.Clone(m.prior)
	if lift != nil {
		for c, id := range m.classes {
			if id != OutOfScope {
				score[c] += math.Log(lift(id))
			}
		}
	}
	known := feats[:0]
	rare := 0
	for _, f := range feats {
		l, ok := m.like[f]
		if !ok {
			if unigram(f) {
				rare++
			}
			continue
		}
		known = append(known, f)
		for c := range score {
			score[c] += l[c]
		}
	}
	if l, ok := m.like[rareOf(rare)]; ok && rare > 0 {
		for c := range score {
			score[c] += l[c]
		}
	}
	top := slices.Max(score)
	sum := 0.0
	out := make([]Guess, len(score))
	for c, s := range score {
		p := math.Exp(s - top)
		out[c] = Guess{Node: m.classes[c], P: p}
		sum += p
	}
	for i := range out {
		out[i].P /= sum
	}
	slices.SortStableFunc(out, func(a, b Guess) int {
		return cmp.Or(cmp.Compare(b.P, a.P), strings.Compare(a.Node, b.Node))
	})
	return out, m.why(known, out, surface)
}

// why lists the customer's words behind the features that most favour
// the first guess over the second, strongest first, for explanations.
func (m *model) why(feats []string, g []Guess, surface map[string]string) []string {
	if len(g) < 2 {
		return nil
	}
	a, b := slices.Index(m.classes, g[0].Node), slices.Index(m.classes, g[1].Node)
	type lean struct {
		f string
		d float64
	}
	var ls []lean
	for _, f := range feats {
		if d := m.like[f][a] - m.like[f][b]; d > 0.5 {
			ls = append(ls, lean{f, d})
		}
	}
	slices.SortStableFunc(ls, func(x, y lean) int {
		return cmp.Or(cmp.Compare(y.d, x.d), strings.Compare(x.f, y.f))
	})
	var out []string
	for _, l := range ls {
		if w := surface[l.f]; !slices.Contains(out, w) {
			out = append(out, w)
		}
		if len(out) == maxWhy {
			break
		}
	}
	return out
}
