package flows

import (
	"bufio"
	"cmp"
	"embed"
	"io/fs"
	"maps"
	"math"
	"runtime"
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

// phrasebook reads the phrasebook. Each call reads it again (a few tens
// of milliseconds): what a training needs of it stays in bookFeats, and
// its texts need not stay in memory.
func phrasebook() []bookPhrase {
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
	key  string
	book *bookFeats
}

// bookFeats is the phrasebook's features, each one's text kept once: a
// phrase's features are numbers, and the model's table shares the texts,
// so what stays in memory is a few megabytes whatever the book's size.
// Neither the phrases' texts nor a map of the features stays.
type bookFeats struct {
	names  []string // number -> feature
	uni    []bool   // number -> whether the feature is one word (see unigram)
	sorted []int32  // the numbers in the order of their features, to look one up
	flat   []int32  // every phrase's features' numbers, one after another
	ends   []int32  // phrase i's are flat[ends[i-1]:ends[i]]
	labels []string // the files' and nodes' names
	set    []uint16 // phrase i's file, in labels
	node   []uint16 // phrase i's node, OutOfScope or "" (see phrasebook), in labels
}

// id returns feature f's number, or false if no phrase has it.
func (b *bookFeats) id(f string) (int32, bool) {
	i, ok := slices.BinarySearchFunc(b.sorted, f, func(id int32, f string) int { return strings.Compare(b.names[id], f) })
	if !ok {
		return 0, false
	}
	return b.sorted[i], true
}

// setOf and nodeOf return phrase i's file and node.
func (b *bookFeats) setOf(i int) string  { return b.labels[b.set[i]] }
func (b *bookFeats) nodeOf(i int) string { return b.labels[b.node[i]] }

// of returns the numbers of phrase i's features.
func (b *bookFeats) of(i int) []int32 {
	lo := int32(0)
	if i > 0 {
		lo = b.ends[i-1]
	}
	return b.flat[lo:b.ends[i]]
}

// bookFeatures returns the phrasebook's features, read through g.
func bookFeatures(g *glossary) *bookFeats {
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
	if bookRead.book != nil && bookRead.key == k.String() {
		return bookRead.book
	}
	book := phrasebook()
	b := &bookFeats{ends: make([]int32, len(book)), set: make([]uint16, len(book)), node: make([]uint16, len(book))}
	ids := map[string]int32{}
	labels := map[string]uint16{}
	label := func(s string) uint16 {
		if l, ok := labels[s]; ok {
			return l
		}
		l := uint16(len(b.labels))
		labels[s] = l
		b.labels = append(b.labels, strings.Clone(s)) // a line's slice would keep the line
		return l
	}
	// The phrases are read on every core, a block at a time, and numbered
	// in order: the same numbers every time, in a fraction of the time
	// (it is most of what loading a flow costs), and only a block's
	// features held at once.
	workers := runtime.GOMAXPROCS(0)
	block := make([][]string, 1024*workers)
	for lo := 0; lo < len(book); lo += len(block) {
		n := min(len(block), len(book)-lo)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					block[i] = features(Normalize(book[lo+i].Phrase), g, nil)
				}
			})
		}
		wg.Wait()
		for k, feats := range block[:n] {
			for _, f := range feats {
				id, ok := ids[f]
				if !ok {
					id = int32(len(b.names))
					f = strings.Clone(f) // a word may be a slice of its phrase: not the phrase kept for it
					ids[f] = id
					b.names = append(b.names, f)
					b.uni = append(b.uni, unigram(f))
				}
				b.flat = append(b.flat, id)
			}
			i := lo + k
			b.ends[i] = int32(len(b.flat))
			b.set[i], b.node[i] = label(book[i].Set), label(book[i].Node)
		}
	}
	// Copies, not clips: append leaves up to a quarter of an array unused.
	b.flat, b.names, b.uni = slices.Clone(b.flat), slices.Clone(b.names), slices.Clone(b.uni)
	b.sorted = make([]int32, len(b.names))
	for i := range b.sorted {
		b.sorted[i] = int32(i)
	}
	slices.SortFunc(b.sorted, func(x, y int32) int { return strings.Compare(b.names[x], b.names[y]) })
	bookRead.key, bookRead.book = k.String(), b
	return b
}

// vocab numbers features for one training: the phrasebook's numbers,
// then the flow's own words it lacks.
type vocab struct {
	book  *bookFeats
	extra map[string]int32
	names []string // the extra features, from number len(book.names)
}

func (v *vocab) id(f string) int32 {
	id, ok := v.find(f)
	if !ok {
		id = int32(len(v.book.names) + len(v.names))
		v.extra[f] = id
		v.names = append(v.names, f)
	}
	return id
}

// find returns feature f's number, or false if it has none yet.
func (v *vocab) find(f string) (int32, bool) {
	if id, ok := v.book.id(f); ok {
		return id, true
	}
	id, ok := v.extra[f]
	return id, ok
}

func (v *vocab) ids(feats []string) []int32 {
	out := make([]int32, len(feats))
	for i, f := range feats {
		out[i] = v.id(f)
	}
	return out
}

func (v *vocab) size() int { return len(v.book.names) + len(v.names) }

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
// node, or OutOfScope), how likely each feature is in its phrases. Most
// features were seen by one class or two, so the table keeps only those:
// a feature a class never saw has that class's unseen likelihood.
type model struct {
	classes []string
	prior   []float64 // log P(class)
	unseen  []float64 // log P(feature | class) of a feature the class never saw
	voc     *vocab    // the features' numbers: the phrasebook's index, not a map, keeps the model small
	spans   []span    // feature's number -> its classes that saw it, in seen (none: lo == hi)
	seen    []seenBy
	bias    float64 // the second opinion's log odds of no node before any feature (see outside)
	gloss   *glossary
	said    map[string]string // an editor's example, normalized -> its node ("" when two share it)
}

// span is where a feature's entries are in model.seen, and its weight
// in the second opinion (see outside).
type span struct {
	lo, hi int32
	out    float64
}

// seenBy is a class that saw a feature, and how much likelier the class
// finds the feature than one it never saw (a log ratio, above 0).
type seenBy struct {
	class int32
	lift  float64
}

// knows reports whether the model learned the word w, as features read
// it: a word used by at most rareUpTo phrasings it learned only as rare.
func (m *model) knows(w string) bool {
	if len(w) > 3 {
		w = wordStem(w)
	}
	_, ok := m.span(w)
	return ok
}

// span returns where feature f's entries are in seen, or false if no
// class saw it.
func (m *model) span(f string) (span, bool) {
	id, ok := m.voc.find(f)
	if !ok {
		return span{}, false
	}
	sp := m.spans[id]
	return sp, sp.hi > sp.lo
}

// like is log P(feature f | class c).
func (m *model) like(f string, c int) float64 {
	sp, _ := m.span(f)
	for _, e := range m.seen[sp.lo:sp.hi] {
		if int(e.class) == c {
			return m.unseen[c] + e.lift
		}
	}
	return m.unseen[c]
}

// alpha is the smoothing: how many times a class is taken to have seen
// every feature it never saw.
const alpha = 0.3

// train builds the model from the flow's own phrases (titles, labels,
// keywords, examples; examples count editorWeight times) and the
// phrasebook's phrases labelled with its nodes or OutOfScope, but those
// of the sets skip names, all read through the glossary g.
func train(fl *Flow, g *glossary, skip func(set string) bool) *model {
	m := &model{gloss: g, said: map[string]string{}}
	class := map[string]int{OutOfScope: 0}
	m.classes = []string{OutOfScope}
	for _, n := range fl.Nodes() {
		class[n.ID] = len(m.classes)
		m.classes = append(m.classes, n.ID)
	}
	k := len(m.classes)
	book := bookFeatures(g)
	voc := &vocab{book: book, extra: map[string]int32{}}
	total, seen := make([]float64, k), make([]float64, k)
	// What each class says, first collected: a word that only one
	// customer's phrasing uses teaches that class little, and is counted
	// as a rare word instead (see rareOf); the flow's own words never are.
	type item struct {
		id    string
		feats []int32
		w     float64
		own   bool
	}
	var items []item
	add := func(id string, feats []string, w float64) { items = append(items, item{id, voc.ids(feats), w, true}) }
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
	for i := range book.node {
		if skip != nil && skip(book.setOf(i)) {
			continue
		}
		if node := book.nodeOf(i); node == OutOfScope || node != "" && fl.Node(node) != nil {
			items = append(items, item{node, book.of(i), 1, false})
		}
	}
	var rares [4]int32 // rareOf(n)'s number
	for n := 1; n <= 3; n++ {
		rares[n] = voc.id(rareOf(n))
	}
	uni := append(slices.Clone(book.uni), make([]bool, len(voc.names))...)
	for i, f := range voc.names {
		uni[len(book.uni)+i] = unigram(f)
	}
	df := make([]int, len(uni)) // unigram -> how many phrasings use it; the flow's own: more than rare
	for _, it := range items {
		for _, f := range it.feats {
			switch {
			case !uni[f]:
			case it.own:
				df[f] += rareUpTo + 1
			default:
				df[f]++
			}
		}
	}
	counts := map[int64]float64{} // feature's number * k + class -> count
	var row []int32
	for _, it := range items {
		c := class[it.id]
		seen[c] += it.w
		rare := 0
		row = row[:0]
		for _, f := range it.feats {
			if uni[f] && df[f] <= rareUpTo {
				rare++
				continue
			}
			row = append(row, f)
		}
		if rare > 0 {
			row = append(row, rares[min(rare, 3)])
		}
		for _, f := range row {
			counts[int64(f)*int64(k)+int64(c)] += it.w
			total[c] += it.w
		}
	}
	outW := make([]float64, voc.size())
	phrasings := make([][]int32, len(items)) // the customers' phrasings, every word of them
	for i, it := range items {
		if !it.own {
			phrasings[i] = it.feats
		}
	}
	m.bias = fitOutside(phrasings, func(i int) bool { return items[i].id == OutOfScope }, outW)
	keys := slices.Sorted(maps.Keys(counts))
	m.voc, m.spans = voc, make([]span, voc.size())
	m.seen = make([]seenBy, len(keys))
	v := 0.0 // how many features some class saw
	for i, key := range keys {
		f, c := int32(key/int64(k)), int32(key%int64(k))
		m.seen[i] = seenBy{c, math.Log((counts[key] + alpha) / alpha)}
		sp := &m.spans[f]
		if sp.hi == sp.lo {
			sp.lo = int32(i)
			v++
		}
		sp.hi, sp.out = int32(i+1), outW[f]
	}
	all := 0.0
	for _, x := range seen {
		all += x
	}
	m.prior, m.unseen = make([]float64, k), make([]float64, k)
	for c := range m.prior {
		m.prior[c] = math.Log(seen[c] / all) // -Inf for a class nothing was said of: never guessed
		m.unseen[c] = math.Log(alpha / (total[c] + alpha*v))
	}
	return m
}

// fitOutside fits the second opinion: a logistic regression of "no
// node" (out(i)) against any node over the phrases' features (rows; a
// nil row is skipped), their weights written into w by feature number;
// it returns the bias.
//
// Naive Bayes weighs a text's words one class at a time, and "no node"
// is a class of every other topic: a text in a trail's own words with
// one word that places it elsewhere ("a senha do gov.br", "o banco do
// brasil travou minha conta") is a sure guess for the trail. The
// regression learns from the contrast pairs which words tip a text out
// of every node. Stochastic gradient descent in a fixed order, so the
// same phrases always give the same weights. The pull towards 0 keeps a
// word few phrasings use from tipping a text alone: weaker, the weights
// of such words depended on the order the phrasings came in, and a
// text's "no node" moved by twenty points from one order to another.
func fitOutside(rows [][]int32, out func(i int) bool, w []float64) float64 {
	const (
		epochs = 8
		rate   = 0.5   // the first epoch's step; the e-th's is rate/(1+e)
		decay  = 0.003 // the pull of each weight towards 0 when its feature is seen
	)
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	bias, seed := 0.0, uint64(1)
	for e := range epochs {
		for i := len(order) - 1; i > 0; i-- { // Fisher-Yates with a fixed LCG
			seed = seed*6364136223846793005 + 1442695040888963407
			j := int((seed >> 33) % uint64(i+1))
			order[i], order[j] = order[j], order[i]
		}
		step := rate / float64(1+e)
		for _, i := range order {
			if rows[i] == nil {
				continue
			}
			z := bias
			for _, f := range rows[i] {
				z += w[f]
			}
			y := 0.0
			if out(i) {
				y = 1
			}
			g := 1/(1+math.Exp(-z)) - y
			bias -= step * g
			for _, f := range rows[i] {
				w[f] -= step * (g + decay*w[f])
			}
		}
	}
	return bias
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

// guess ranks the classes for a normalized text, most likely first,
// gives the second opinion's probability that it belongs to no node (see
// fitOutside), and the features that most favour the first over the
// second. lift multiplies a node's prior odds (1: as learned).
func (m *model) guess(norm string, lift func(node string) float64) (g []Guess, outside float64, why []string) {
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
	rare, n := 0, 0
	z := m.bias
	look := func(f string) bool {
		sp, ok := m.span(f)
		if ok {
			n++
			z += sp.out
			for _, e := range m.seen[sp.lo:sp.hi] {
				score[e.class] += e.lift
			}
		}
		return ok
	}
	for _, f := range feats {
		switch {
		case look(f):
			known = append(known, f)
		case unigram(f):
			rare++
		}
	}
	if rare > 0 {
		look(rareOf(rare))
	}
	for c := range score {
		score[c] += float64(n) * m.unseen[c]
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
	return out, 1 / (1 + math.Exp(-z)), m.why(known, out, surface)
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
		if d := m.like(f, a) - m.like(f, b); d > 0.5 {
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
