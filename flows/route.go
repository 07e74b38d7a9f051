package flows

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
)

// Routing: free text matched against every node of the tree, so a
// customer who writes "minha nota foi rejeitada pela sefaz" at any menu
// reaches the rejected-invoice trail. Each node is described by phrases:
// its title, the labels and keywords of the options leading to it, and
// the sentences editors wrote under its examples. Words are weighed by
// how few nodes use them (inverse document frequency), so "rejeitada" or
// "ofx" count far more than "nota" or "cliente".
//
// A node's score blends two things, each from 0 to 1: how alike the text
// is to the node's closest phrase (cosine of their weighted words: "como
// cancelo uma nota" is close to "como cancelar uma nota fiscal", not to
// "cancelar assinatura"), and how much of the text's weight the node's
// words explain at all. A node also hears its menus' phrases and words,
// at half weight per level, so "nota de serviço" reaches the NFS-e trail
// under "Notas fiscais".
//
// The index is built once per Flow (at load and reload); a lookup reads
// a few maps and costs microseconds. Everything is deterministic and
// every score can be explained word by word.

// Field is where a node's phrase comes from.
type Field int

// The fields a node's phrases come from.
const (
	FieldTitle Field = iota
	FieldLabel
	FieldKeyword
	FieldExample
)

func (f Field) String() string {
	return [...]string{"title", "label", "keyword", "example"}[f]
}

// How tells how a customer's word met a node's word.
type How int

// The ways a word matches.
const (
	HowSame    How = iota // the same stem ("rejeitou" and "rejeitada")
	HowTypo               // within the typo budget ("snha" and "senha")
	HowMeaning            // synonyms ("arrumar" and "corrigir", see synonyms)
)

func (h How) String() string {
	return [...]string{"stem", "typo", "meaning"}[h]
}

// tuning holds routing's constants. They were set on the labelled sets in
// flows/phrasebook (route_eval_test.go prints their figures): change them
// only with those figures at hand.
type tuning struct {
	inherit      float64 // a menu's phrases and words count this much for each level below it
	typo1        float64 // a word one edit away counts this much
	typo2        float64 // two edits away
	synonym      float64 // a synonym of a word the index knows (see synonyms)
	unknown      float64 // the weight of a word no node knows
	unknownAmong float64 // the same, in a text with two or more words some node knows
	alike        float64 // the share of the score that is likeness to the closest phrase; the rest is coverage
	fit          float64 // how much the words of a phrase the text leaves out lower its likeness
	boost        float64 // nodes under the menu the customer is at, closest to a title, label or keyword (what menus show)
	minScore     float64 // below this, nothing convincing
	minCoverage  float64 // the share of the text's weight the winner must explain
	askScore     float64 // a best node under minScore or minCoverage but over these...
	askCoverage  float64 // ...is not ignored: the customer is asked whether it is that
	close        float64 // a runner-up this close to the best is a real alternative
	branch       float64 // the share of a word's weight from how few main-menu topics use it
	example      float64 // an example's words against a title's, label's or keyword's
	incidental   float64 // the weight of a word only examples use, against one a title, label or keyword names
	underScore   float64 // the least score of such a node
	apart        float64 // how far ahead of its siblings a node under the menu the text names must be (see clearUnder)
	action       float64 // the score of a trail named for another action than the one the text asks for (see actionWeigh)
	long         float64 // a text with more content words than this is long: the thresholds above scale by sqrt(long/words) (see bar)
	learnGo      float64 // the learned model's least probability to go to its best node (see learnedAnswer)...
	learnAlone   float64 // ...where the ranking found nothing...
	learnOwned   float64 // ...and into a trail, on a text naming the customer's own things
	learnOut     float64 // its probability that a text belongs to no node over which nothing is entered
	learnDoubt   float64 // ...over which a trail is asked about, not entered...
	learnAgainst float64 // ...and where the model overrules the ranking's answer
	learnHere    float64 // how much more likely a node under the menu shown is

	// The second opinion (see fitOutside): its probability that a text
	// belongs to no node over which a trail is asked about, where the
	// model gives no node at least outsideNB and the text has outsideWords
	// content words (one or two say too little: "o itaú desconectou").
	// Below even odds on purpose: a trail asked about costs a customer
	// who meant it one tap, and the out-of-scope texts into a trail
	// more than halved for 0.4 points direct (see README).
	outside      float64
	outsideNB    float64
	outsideWords int
}

var tuned = tuning{
	inherit:      0.5,
	typo1:        0.8,
	typo2:        0.6,
	synonym:      0.9,
	unknown:      2.5,
	unknownAmong: 2,
	alike:        0.6,
	fit:          0.5,
	boost:        1.3,
	minScore:     0.35,
	minCoverage:  0.45,
	askScore:     0.3,
	askCoverage:  0.3,
	close:        0.9,
	branch:       0.5,
	example:      1,
	incidental:   0.7,
	underScore:   0.2,
	apart:        1.5,
	action:       0.5,
	long:         6,
	learnGo:      0.8,
	learnAlone:   0.999,
	learnOwned:   0.999,
	learnOut:     0.02,
	learnDoubt:   0.0025,
	learnAgainst: 0.00005,
	learnHere:    2,

	outside:      0.35,
	outsideNB:    1e-9,
	outsideWords: 3,
}

// maxAsk is how many topics "É sobre X ou Y?" names at most.
const maxAsk = 3

// Decision is what routing concluded.
type Decision int

// The decisions.
const (
	RouteNone Decision = iota // nothing convincing: "não entendi"
	RouteGo                   // one clear node
	RouteAsk                  // a few close nodes: ask which
)

func (d Decision) String() string {
	return [...]string{"none", "go", "ask"}[d]
}

// Routing is the result of routing one text: the decision, the nodes it
// names (one for RouteGo, two or three for RouteAsk) and the ranking
// behind it, best first, with the evidence for each score.
type Routing struct {
	Decision Decision
	Nodes    []string
	Ranking  []Candidate
	Unknown  []string   // the text's words no node knows
	Glossary []GlossUse // the glossary entries the text's words were read through
	Weak     bool       // RouteAsk only because the best node is not convincing enough to go to, or the text is about the customer's own life
	Reason   string     // why, when it was not the ranking: ReasonTitle, ReasonMenu
	// Elsewhere lists the text's words that place it in the customer's
	// own life (family, school, a personal card, an account with a
	// consumer brand: "senha do insta"): no trail is entered on such a
	// text, it is only asked about (or a menu opened), since its topic
	// words are likely a coincidence.
	Elsewhere []string
	// Owned lists the customer's own things the text names ("meu
	// celular", a bank's card or app, an account of someone no node
	// knows: "plano da academia"): a trail is entered only when it knows
	// two of the text's other words.
	Owned []string
	// Learned is the learned model's best guesses for the text (see
	// learn.go), and Why the words that most favour its first over its
	// second, when the flow learns from the phrasebook.
	Learned []Guess
	Why     []string
	// Outside is the learned second opinion's probability that the text
	// belongs to no node (see fitOutside).
	Outside float64

	words       int  // the text's content words, one per stem
	theirPerson bool // the person asked for is someone else's (see cues.personOf)
	both        bool // it asks about two things at once (see cues)
	bare        bool // it asks for no action and tells of no event (see wants)
}

// The reasons for an answer the ranking did not decide.
const (
	ReasonTitle = "title" // the text is a node's whole title or label ("meus chamados")
	ReasonMenu  = "menu"  // the text asks for a menu ("manda as opções de novo")
)

// Candidate is one node's score and why.
type Candidate struct {
	Node     string
	Title    string
	Score    float64 // alike*Likeness + (1-alike)*Coverage, lowered for another action or when ruled out (see Against, Ruled), boosted under the current menu (see boost)
	Likeness float64 // how alike the text and the node's closest phrase are, 0 to 1
	Phrase   string  // that phrase, as written
	From     string  // the menu the phrase belongs to, when it is a menu's above the node
	Coverage float64 // the share of the text's weight the node's words explain
	Matches  []Match // the text's words the node knows
	Against  string  // the text's word asking for an action (or telling of an event) the node is named for another than and never says
	Ruled    string  // the text's words ruling the node out: it asks about its own tickets or how tickets work (see settled), or for a person (see personAsked)

	own   float64 // Coverage by the node's own words, without its menus'
	named float64 // the part of own from its title, labels and keywords: what it is named for
	base  float64 // Score before the boost of the menu shown
}

// Match is one customer word the node knows.
type Match struct {
	Word   string  // the customer's word, folded (for a glossary term, the word of its meaning)
	Gloss  string  // the glossary term the customer wrote, folded, when Word comes from its meaning
	Term   string  // the node's word it met, folded
	How    How     // how they met
	Source string  // a phrase of the node holding it, as written
	From   string  // the menu above the node the phrase belongs to, if not the node's
	Weight float64 // what it adds to Coverage

	named bool // Source is a title, label or keyword, not an example
}

// router is the index of one Flow.
type router struct {
	t        tuning
	root     string
	nodes    []routeNode
	index    map[string]int // node id -> position in nodes
	phrases  []phrase
	postings map[string][]int // stem -> the phrases using it
	idf      map[string]float64
	acts     map[int][]string    // main-menu topic -> the actions its trails are named for
	surfaces map[string]string   // folded word -> its stem, every word of the index
	titled   map[string]bool     // the folded words titles, labels and keywords use
	named    map[string]string   // a title or label, normalized: its node ("" when two nodes share it)
	gloss    *glossary           // the editors' glossary, applied to the index's phrases and to texts
	deletes  map[string][]string // deletion variant -> the index words it comes from
	learned  *model              // what the phrasebook and the flow's phrases teach (see learn.go); nil when the flow does not ask for it
}

type routeNode struct {
	id         string
	title      string
	ancestors  []int    // menus above it, nearest first, the main menu excluded
	menu       bool     // a menu: it covers every action of the trails under it
	tickets    bool     // it reads the customer's own tickets out in the chat (kind tickets)
	handoff    bool     // it hands the chat to a person (kind handoff)
	ticketsAt  bool     // a menu offering such a node: it asks whether the customer wants their tickets or how tickets work
	titleStems []string // the stems of its title (see menuTitled)
	names      []string // the actions its title, labels and keywords name (class stems)
	says       []string // the actions any of its phrases or messages says
}

// phrase is one title, label, keyword or example of a node.
type phrase struct {
	node   int
	field  Field
	source string
	stems  []string
	words  []string // the word each stem was written as, for explanations
	mass   float64  // the sum of its stems' squared weights
}

// buildRouter indexes every node but the main menu. It runs on a valid
// Flow only.
func buildRouter(fl *Flow, t tuning) *router {
	r := &router{
		t:        t,
		root:     fl.Root(),
		index:    map[string]int{},
		postings: map[string][]int{},
		idf:      map[string]float64{},
		acts:     map[int][]string{},
		surfaces: map[string]string{},
		titled:   map[string]bool{},
		named:    map[string]string{},
		deletes:  map[string][]string{},
		gloss:    compileGlossary(fl.File.Glossary),
	}
	parent := fl.parent
	for _, n := range fl.File.Nodes {
		if n.ID == r.root || parent[n.ID] == "" {
			continue
		}
		r.index[n.ID] = len(r.nodes)
		rn := routeNode{id: n.ID, title: fl.Title(n.ID), menu: n.Type.Value == KindMenu, tickets: n.Type.Value == KindTickets, handoff: n.Type.Value == KindHandoff}
		for _, w := range r.read(Normalize(rn.title), nil) {
			rn.titleStems = append(rn.titleStems, w.stem)
		}
		r.nodes = append(r.nodes, rn)
	}
	for i := range r.nodes {
		for p := parent[r.nodes[i].id]; p != r.root && p != ""; p = parent[p] {
			r.nodes[i].ancestors = append(r.nodes[i].ancestors, r.index[p])
		}
		if a := r.nodes[i].ancestors; r.nodes[i].tickets && len(a) > 0 {
			r.nodes[a[0]].ticketsAt = true
		}
	}
	add := func(id string, f Field, source string) {
		i, ok := r.index[id]
		if !ok {
			return
		}
		p := phrase{node: i, field: f, source: source}
		if f == FieldTitle || f == FieldLabel {
			n := Normalize(source)
			if prev, ok := r.named[n]; ok && prev != id {
				id = ""
			}
			r.named[n] = id
		}
		for _, w := range r.read(Normalize(source), nil) {
			r.surfaces[w.surface] = w.stem
			if f != FieldExample {
				r.titled[w.surface] = true
			}
			if !slices.Contains(p.stems, w.stem) {
				p.stems = append(p.stems, w.stem)
				p.words = append(p.words, w.surface)
			}
			if n, a := &r.nodes[i], action(w.stem); a != "" && !n.menu {
				if f != FieldExample && !slices.Contains(n.names, a) {
					n.names = append(n.names, a)
				}
				n.says = appendNew(n.says, a)
			}
		}
		if len(p.stems) > 0 {
			r.phrases = append(r.phrases, p)
		}
	}
	for _, n := range fl.File.Nodes {
		if n.Title.Value != "" {
			add(n.ID, FieldTitle, n.Title.Value)
		}
		for _, o := range n.Options {
			add(o.Goto.Value, FieldLabel, o.Label.Value)
			for _, k := range o.Keywords {
				add(o.Goto.Value, FieldKeyword, k.Value)
			}
		}
		for _, e := range n.Examples {
			add(n.ID, FieldExample, e.Value)
		}
		// The words that call an Encantador from anywhere name the
		// handoff too: "atendente" is a topic, not only a command.
		if n.Type.Value == KindHandoff {
			for _, w := range fl.File.Commands.Agent {
				add(n.ID, FieldKeyword, w.Value)
			}
		}
	}
	// What a trail's messages explain how to do, it is about too: Emitir
	// NF-e tells how to send the DANFE to the customer.
	for _, n := range fl.File.Nodes {
		i, ok := r.index[n.ID]
		if !ok || r.nodes[i].menu {
			continue
		}
		for _, m := range n.Messages {
			for _, w := range r.read(Normalize(m.Text.Value), nil) {
				if a := action(w.stem); a != "" {
					r.nodes[i].says = appendNew(r.nodes[i].says, a)
				}
			}
		}
	}
	for i, n := range r.nodes {
		for _, a := range n.names {
			b := r.branch(i)
			r.acts[b] = appendNew(r.acts[b], a)
		}
	}
	// A word's weight blends how few nodes use it and how few of the main
	// menu's topics do: "nota" is in most trails about invoices, but it
	// still tells invoices from plans.
	nodes, branches := map[string][]int{}, map[string][]int{}
	nbranches := 0
	for i := range r.nodes {
		if r.branch(i) == i {
			nbranches++
		}
	}
	for pi, p := range r.phrases {
		for _, st := range p.stems {
			r.postings[st] = append(r.postings[st], pi)
			if !slices.Contains(nodes[st], p.node) {
				nodes[st] = append(nodes[st], p.node)
			}
			if b := r.branch(p.node); !slices.Contains(branches[st], b) {
				branches[st] = append(branches[st], b)
			}
		}
	}
	idf := func(n, df int) float64 { return math.Log((float64(n) + 1) / (float64(df) + 0.5)) }
	named := map[string]bool{}
	for _, p := range r.phrases {
		if p.field != FieldExample {
			for _, st := range p.stems {
				named[st] = true
			}
		}
	}
	for st, ns := range nodes {
		r.idf[st] = (1-r.t.branch)*idf(len(r.nodes), len(ns)) + r.t.branch*idf(nbranches, len(branches[st]))
		if !named[st] {
			r.idf[st] *= r.t.incidental
		}
	}
	for pi := range r.phrases {
		p := &r.phrases[pi]
		for _, st := range p.stems {
			p.mass += r.idf[st] * r.idf[st]
		}
	}
	for w := range r.surfaces {
		deletions(w, typoBudget(len(w)), func(d string) {
			if !slices.Contains(r.deletes[d], w) {
				r.deletes[d] = append(r.deletes[d], w)
			}
		})
	}
	for _, ws := range r.deletes {
		slices.Sort(ws) // deterministic typo candidates
	}
	if fl.File.Settings.Phrasebook == "builtin" {
		r.learned = train(fl, r.gloss, nil)
	}
	return r
}

// parents maps every node to the menu it is first offered from, going
// breadth-first from the main menu; a trail reached only through "next"
// belongs where the trail before it does. The main menu and unreachable
// nodes map to "".
func (fl *Flow) parents() map[string]string {
	parent := map[string]string{}
	root := fl.Root()
	seen := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		n := fl.nodes[id]
		if n == nil {
			continue
		}
		visit := func(child, p string) {
			if child == "" || seen[child] || fl.nodes[child] == nil {
				return
			}
			seen[child] = true
			parent[child] = p
			queue = append(queue, child)
		}
		for _, o := range n.Options {
			visit(o.Goto.Value, id)
		}
		visit(n.Next.Value, parent[id])
	}
	return parent
}

// termMatch is one index stem a customer's word met, and how well.
type termMatch struct {
	stem    string
	surface string
	quality float64
	how     How
}

// lookup finds the index stems a customer's word means: its own stem,
// failing that its synonym's, failing that the closest words within its
// typo budget.
func (r *router) lookup(w word) []termMatch {
	if _, ok := r.postings[w.stem]; ok {
		return []termMatch{{stem: w.stem, surface: w.surface, quality: 1, how: HowSame}}
	}
	if s, ok := synonym[w.stem]; ok {
		if _, ok := r.postings[s]; ok {
			return []termMatch{{stem: s, surface: w.surface, quality: r.t.synonym, how: HowMeaning}}
		}
	}
	budget := typoBudget(len(w.surface))
	if budget == 0 {
		return nil
	}
	best := budget + 1
	var found []string
	deletions(w.surface, budget, func(d string) {
		for _, c := range r.deletes[d] {
			if slices.Contains(found, c) && best <= budget {
				continue
			}
			// Within both words' budgets; two edits only from a word
			// a title, label or keyword names: an example's incidental
			// words are too many to be that lenient with ("testando"
			// is no "estado", "emprego" no "empresa").
			lim := min(budget, typoBudget(len(c)))
			if !r.titled[c] {
				lim = min(lim, 1)
			}
			dist := editDistance(w.surface, c, lim)
			if dist > lim {
				continue
			}
			switch {
			case dist < best:
				best, found = dist, append(found[:0], c)
			case dist == best && !slices.Contains(found, c):
				found = append(found, c)
			}
		}
	})
	if best > budget {
		return nil
	}
	q := r.t.typo1
	if best == 2 {
		q = r.t.typo2
	}
	slices.Sort(found)
	var out []termMatch
	for _, c := range found {
		s := r.surfaces[c]
		if !slices.ContainsFunc(out, func(m termMatch) bool { return m.stem == s }) {
			out = append(out, termMatch{stem: s, surface: c, quality: q, how: HowTypo})
		}
	}
	return out
}

// read is readWords with the router's glossary.
func (r *router) read(n string, used *[]GlossUse) []word { return readWords(n, r.gloss, used) }

// route ranks every node for norm, a normalized text. from is the menu the
// customer is at: nodes under it get a small boost, since that is where
// they are looking.
func (r *router) route(norm, from string) Routing {
	var out Routing
	words := r.read(norm, &out.Glossary)
	cs := cuesIn(norm)
	out.Elsewhere, out.Owned, out.both = cs.life, cs.own, cs.both
	if len(words) == 1 && closings[words[0].surface] {
		return out
	}
	// One vote per stem: "nota nota nota" says "nota" once.
	uniq := words[:0:0]
	for _, w := range words {
		if !slices.ContainsFunc(uniq, func(u word) bool { return u.stem == w.stem }) {
			uniq = append(uniq, w)
		}
	}
	n := len(r.nodes)
	mass := 0.0 // the text's weight: the sum of its words' squared weights
	sc := scratchPool.Get().(*scratch)
	if len(sc.hits) < len(r.phrases) {
		sc.hits = make([]phraseHit, len(r.phrases))
	}
	hits := sc.hits[:len(r.phrases)] // what the text shares with each phrase
	touched := sc.touched[:0]        // the phrases it shares something with
	defer func() {
		for _, pi := range touched {
			hits[pi] = phraseHit{}
		}
		sc.touched = touched[:0]
		scratchPool.Put(sc)
	}()
	k := len(uniq)
	if cap(sc.own) < n*k {
		sc.own = make([]Match, n*k)
	}
	own := sc.own[:n*k] // own[node*k+word]: the word's best match in the node's own phrases
	clear(own)
	nknown := 0          // the text's words some node knows
	var guessed []string // and those it knows only as a typo of its own words
	for qi, w := range uniq {
		known := 0.0
		ms := r.lookup(w)
		if len(ms) > 0 && !slices.ContainsFunc(ms, func(m termMatch) bool { return m.how != HowTypo }) {
			guessed = append(guessed, w.surface)
		}
		for _, m := range ms {
			idf := r.idf[m.stem]
			v := idf * idf * m.quality
			known = max(known, idf)
			for _, pi := range r.postings[m.stem] {
				p := r.phrases[pi]
				h := &hits[pi]
				if h.mass == 0 {
					touched = append(touched, pi)
				}
				h.dot += v * r.fieldWeight(p.field)
				h.mass += idf * idf
				named := p.field != FieldExample
				if cur := own[p.node*k+qi]; v > cur.Weight || v == cur.Weight && named && !cur.named {
					term := p.words[slices.Index(p.stems, m.stem)]
					own[p.node*k+qi] = Match{Word: w.surface, Gloss: w.gloss, Term: term, How: m.how, Source: p.source, Weight: v, named: named}
				}
			}
		}
		switch {
		case known > 0:
			mass += known * known
			nknown++
		case isNumber(w.surface):
			// A number no node knows (an error code, an amount) says nothing either way.
		default:
			out.Unknown = append(out.Unknown, w.surface)
		}
	}
	// Words no node knows weigh against every node. One known word among
	// them may be a coincidence ("meu iphone não liga"); two or more say
	// the text is about the product, and the rest is the customer's own
	// detail (a bank's name, an error's wording), which weighs less.
	unknown := r.t.unknown
	if nknown > 1 {
		unknown = r.t.unknownAmong
	}
	// Past the second, each unknown word weighs less (the k-th 2/k of the
	// first): a short text of unknown words is about something else, but
	// a long message's greetings, names and story surround the few words
	// that say what it is about.
	for k := range out.Unknown {
		mass += unknown * unknown * min(1, 2/float64(k+1))
	}
	// An account said of a consumer brand puts the text in the customer's
	// own life; a card or an app said of a bank, any account said of a
	// public office, or a plan or card said of someone no node knows
	// (a word it reads only as a typo of its own is not known: "o app do
	// mercado" is no "feriado"), is the customer's own thing.
	if name := strings.Fields(cs.addressed); len(name) == 2 && slices.Contains(out.Unknown, name[1]) {
		out.Elsewhere = append(out.Elsewhere, cs.addressed)
	}
	if cs.with != "" && slices.Contains(out.Unknown, cs.with) {
		out.Elsewhere = append(out.Elsewhere, cs.with)
	}
	// A system is someone else's when no node knows its name. Where a
	// document was issued may be where the customer worked ("no
	// loteamento"), a word some customer has used before: there, only a
	// name nobody has used is a system. So with what a text asks the
	// hours of ("brasília" is the support's clock) and who sent a notice.
	strangeName := func(name []string, unlearned bool) bool {
		return len(name) > 0 && !slices.ContainsFunc(name, func(w string) bool {
			return !slices.Contains(out.Unknown, w) || unlearned && (r.learned == nil || r.learned.knows(w))
		})
	}
	if strangeName(cs.loggedInto, false) {
		out.Elsewhere = append(out.Elsewhere, strings.Join(cs.loggedInto, " "))
	}
	if strangeName(cs.issuedIn, true) {
		out.Elsewhere = append(out.Elsewhere, strings.Join(cs.issuedIn, " "))
	}
	if strangeName(cs.hoursOf, true) {
		out.Elsewhere = append(out.Elsewhere, strings.Join(cs.hoursOf, " "))
	}
	if strangeName(cs.sentBy, true) {
		out.Elsewhere = append(out.Elsewhere, strings.Join(cs.sentBy, " "))
	}
	if o := cs.personOf; o != "" && (banks[o] || brands[o] || offices[o] || slices.Contains(out.Unknown, o)) {
		out.Elsewhere = append(out.Elsewhere, o)
		out.theirPerson = true
	}
	strange := func(w string) bool { return slices.Contains(out.Unknown, w) || slices.Contains(guessed, w) }
	for _, t := range cs.theirs {
		switch {
		case t.brand || t.place && strange(t.owner):
			out.Elsewhere = append(out.Elsewhere, t.words)
		case t.own || t.held && strange(t.owner):
			out.Owned = append(out.Owned, t.words)
		}
	}
	if mass == 0 {
		return out
	}
	like := make([]float64, n)
	closest := make([]int, n)
	for i := range closest {
		closest[i] = -1
	}
	slices.Sort(touched) // ties between phrases go to the first written
	for _, pi := range touched {
		h := hits[pi]
		p := r.phrases[pi]
		// How much of the text the phrase says, times (gently) how much
		// of the phrase the text says: "cancelar nota" is nearer to "como
		// cancelar uma nota fiscal" than to "cancelamento".
		c := h.dot / mass * math.Pow(h.mass/p.mass, r.t.fit)
		if c > like[p.node] || c == like[p.node] && pi < closest[p.node] {
			like[p.node], closest[p.node] = c, pi
		}
	}
	boosted := r.subtree(from)
	person := personAsked(words)
	wants := r.wants(words)
	out.bare = len(wants) == 0
	for i, node := range r.nodes {
		c := Candidate{Node: node.id, Title: node.title, Likeness: like[i]}
		if closest[i] >= 0 {
			c.Phrase = r.phrases[closest[i]].source
		}
		for k, a := range node.ancestors {
			if v := like[a] * math.Pow(r.t.inherit, float64(k+1)); v > c.Likeness {
				c.Likeness, c.Phrase, c.From = v, r.phrases[closest[a]].source, r.nodes[a].id
			}
		}
		for qi := range uniq {
			m := own[i*k+qi]
			c.own += m.Weight / mass
			if m.named {
				c.named += m.Weight / mass
			}
			for depth, a := range node.ancestors {
				up := own[a*k+qi]
				if v := up.Weight * math.Pow(r.t.inherit, float64(depth+1)); v > m.Weight {
					m = up
					m.From, m.Weight = r.nodes[a].id, v
				}
			}
			if m.Weight > 0 {
				m.Weight /= mass
				c.Coverage += m.Weight
				c.Matches = append(c.Matches, m)
			}
		}
		c.Score = r.t.alike*c.Likeness + (1-r.t.alike)*c.Coverage
		if a, ok := r.actionWeigh(i, wants, cs.where); !ok {
			c.Score *= r.t.action
			c.Against = a
		} else if a, ok := r.settled(i, cs); !ok {
			c.Score *= r.t.action
			c.Ruled = a
		} else if person != "" && !node.menu && !node.handoff {
			// "quero conversar com uma pessoa sobre a nota rejeitada"
			// asks for the person; the note is what they will talk about.
			c.Score *= r.t.action
			c.Ruled = person
		}
		c.base = c.Score
		// The customer reads the options of the menu shown, not the
		// examples behind them: only words like theirs tip the balance.
		if boosted != nil && boosted[i] && c.From == "" && closest[i] >= 0 && r.phrases[closest[i]].field != FieldExample {
			c.Score *= r.t.boost
		}
		if c.Score > 0 {
			out.Ranking = append(out.Ranking, c)
		}
	}
	slices.SortStableFunc(out.Ranking, func(a, b Candidate) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		// At equal scores the deeper node first: it says more.
		return cmp.Compare(len(r.nodes[r.index[b.Node]].ancestors), len(r.nodes[r.index[a.Node]].ancestors))
	})
	out.words = k
	r.decide(&out, boosted)
	// A text that is a node's whole title or label names it: "meus
	// chamados" is that trail, though the menu above it is titled
	// "Acompanhar meus chamados" too.
	if id := r.named[norm]; id != "" {
		out.Decision, out.Nodes, out.Weak, out.Reason = RouteGo, []string{id}, false, ReasonTitle
	}
	return out
}

// settled: a text saying it is about tickets the customer has ("meu
// chamado", "o protocolo que abri") or about how tickets work and where
// the product shows them ("no sistema", "o que significa") answers the
// question a menu offering the customer's tickets asks ("por aqui" or
// "na Conta Azul"). That menu, and what the text rules out (the tickets
// for how they work; every trail for tickets it has), score
// as a node named for another action does, and report the words that
// ruled them out (see Candidate.Ruled). How wins when a text says both ("onde vejo meus
// chamados no sistema").
func (r *router) settled(i int, cs cues) (string, bool) {
	why, mine := cs.explains, false
	if why == "" {
		why, mine = cs.records, true
	}
	n := r.nodes[i]
	switch {
	case why == "":
		return "", true
	case n.ticketsAt:
		return why, false
	case n.tickets:
		return why, mine
	case mine && !n.menu && !n.handoff:
		// The trails beside the tickets, and any other: "o ticket que abri
		// sobre a nota rejeitada" asks about the ticket, not the note.
		return why, false
	}
	return "", true
}

// personAsked is the word of a text asking for a person: "humano", read
// from "pessoa de verdade", "conversar com uma pessoa", "chama alguém"
// and the like (see expressions); "" when it asks for none. A person
// named ("o atendente da lotérica disse") is not asked for.
func personAsked(words []word) string {
	for _, w := range words {
		if w.surface == "humano" {
			return w.surface
		}
	}
	return ""
}

// wants lists the actions the text asks for and the events it tells of
// (see asks): their groups' stems, with their surfaces for explanations.
func (r *router) wants(words []word) []word {
	var out []word
	for _, w := range words {
		if a := action(w.stem); a != "" && asks(w, a) && !slices.ContainsFunc(out, func(o word) bool { return o.stem == a }) {
			out = append(out, word{surface: w.surface, stem: a})
		}
	}
	return out
}

// actionWeigh: a verb says what the customer wants done (or what
// happened), the nouns what it is done to, and the trails of one topic
// share their nouns. "anular uma nota de serviço" shares "nota de
// serviço" with Emitir NFS-e but asks for what Cancelar ou corrigir nota
// is named for. So when a trail of node i's topic is named for an action
// the text asks for, and node i is a trail named for others that neither
// its phrases nor its messages ever mention, it reports false and that
// action, and its score is lowered (by action). Menus cover their trails'
// actions; a topic whose trails name no such action is not told apart by
// it.
func (r *router) actionWeigh(i int, wants []word, where string) (string, bool) {
	n := r.nodes[i]
	if n.menu || len(n.names) == 0 {
		return "", true
	}
	// A trail named only for an event ("Nota rejeitada") answers a text
	// telling of one; a text only asking for an action another trail of
	// its topic is named for ("como emito a nota pra prefeitura"), or
	// asking where something is set ("onde coloco a alíquota do ISS"), is
	// not about it, whatever its phrases say.
	if !slices.ContainsFunc(n.names, func(a string) bool { return verbs[a] != isEvent }) &&
		!slices.ContainsFunc(wants, func(w word) bool { return verbs[w.stem] == isEvent }) {
		for _, w := range wants {
			if slices.Contains(r.acts[r.branch(i)], w.stem) {
				return w.surface, false
			}
		}
		if where != "" {
			return where, false
		}
	}
	if len(wants) == 0 {
		return "", true
	}
	against := ""
	for _, w := range wants {
		if slices.Contains(n.says, w.stem) {
			return "", true
		}
		if against == "" && slices.Contains(r.acts[r.branch(i)], w.stem) {
			against = w.surface
		}
	}
	return against, against == ""
}

// appendNew appends s to list unless it is there already.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// scratch is route's working memory, reused from message to message: a
// text touches a few dozen of the index's hundreds of phrases, and
// clearing those costs less than allocating and collecting them all.
type scratch struct {
	hits    []phraseHit
	touched []int
	own     []Match
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// phraseHit is what a text shares with one phrase.
type phraseHit struct {
	dot  float64 // the shared words' weights, typo and field discounts applied
	mass float64 // the shared words' squared weights in the phrase
}

// decide turns a ranking into a decision. The nodes close to the best
// are grouped by the main-menu topic they are under, and each topic
// stands for one node: the deepest when they lie on one line from its
// menu down ("carta de correção" is a keyword of the invoices menu and of
// the trail under it); their shared sub-menu when it is among them or
// they are three or more ("boleto" names the topic, not which of
// its trails); otherwise each of them. Under the menu the customer is
// at (here), only those there count. One node left is a clear winner;
// more, and the customer is asked.
func (r *router) decide(out *Routing, here []bool) {
	if len(out.Ranking) == 0 {
		return
	}
	top := out.Ranking[0]
	bar := r.bar(out.words)
	if top.Score < r.t.askScore*bar || top.Coverage < r.t.askCoverage*bar {
		return
	}
	weak := top.Score < r.t.minScore*bar || top.Coverage < r.t.minCoverage*bar || r.alone(*out, top) || r.guessed(top)
	// Close to the best, with or without the boost of the menu shown: the
	// boost lets this menu's nodes in, never keeps others out.
	best, bestBase := top.Score, 0.0
	for _, c := range out.Ranking {
		bestBase = max(bestBase, c.base)
	}
	var groups [][]int
	for _, c := range out.Ranking {
		if c.Score < best*r.t.close && c.base < bestBase*r.t.close {
			continue
		}
		i := r.index[c.Node]
		k := slices.IndexFunc(groups, func(g []int) bool { return r.branch(g[0]) == r.branch(i) })
		if k < 0 {
			groups = append(groups, []int{i})
		} else {
			groups[k] = append(groups[k], i)
		}
	}
	var picks []int
	for _, g := range groups {
		picks = append(picks, r.pick(g, *out)...)
	}
	// Words that fit the menu the customer is at as well as elsewhere are
	// about this menu: at "Notas fiscais", "emitir" is about invoices. The
	// menu shown only breaks ties, though: when a node elsewhere explains
	// more of the text, the customer is asked, this menu's nodes first.
	if here != nil {
		var local, away []int
		bestLocal, bestAway := 0.0, 0.0
		for _, i := range picks {
			b := r.coverage(out.Ranking, i)
			if here[i] {
				local, bestLocal = append(local, i), max(bestLocal, b)
			} else {
				away, bestAway = append(away, i), max(bestAway, b)
			}
		}
		switch {
		case len(local) > 0 && bestAway > bestLocal:
			picks = append(local, away...)
		case len(local) > 0:
			picks = local
		}
	}
	if len(picks) == 1 && out.both {
		if m, ok := r.pair(*out, picks[0]); ok {
			picks[0] = m
		}
	}
	if len(picks) == 1 && r.personal(*out, r.nodes[picks[0]].id) {
		weak = true
	}
	if len(picks) == 1 && !weak {
		out.Decision, out.Nodes = RouteGo, []string{r.nodes[picks[0]].id}
		return
	}
	out.Decision, out.Weak = RouteAsk, weak
	for _, i := range picks[:min(len(picks), maxAsk)] {
		out.Nodes = append(out.Nodes, r.nodes[i].id)
	}
}

// bar scales the thresholds a node must clear for a text of n content
// words. A long message tells a story around its request (who writes,
// since when, what they tried): no node explains most of it, nor is any
// phrase much like all of it, though the ranking still puts the right
// node ahead. So past long words the thresholds fall with the square root
// of the length; the runner-up still has to be well behind (close), and a
// trail resting on one word among unknown ones is still only asked about.
func (r *router) bar(n int) float64 {
	if float64(n) <= r.t.long {
		return 1
	}
	return math.Sqrt(r.t.long / float64(n))
}

// alone reports whether trail c rests on a single word of a text that
// has words no node knows: one known word among unknown ones may be a
// coincidence ("vocês vendem maquininha de cartão?" is not about the
// subscription's card), so the customer is asked rather than taken there.
// A menu is no such risk: it only shows its options.
func (r *router) alone(out Routing, c Candidate) bool {
	if n := r.nodes[r.index[c.Node]]; len(out.Unknown) == 0 || n.menu || len(c.Matches) == 0 ||
		n.handoff && c.Matches[0].Word == "humano" {
		return false // an explicit request for a person is no coincidence
	}
	for _, m := range c.Matches[1:] {
		if m.Word != c.Matches[0].Word {
			return false
		}
	}
	return true
}

// guessed reports whether trail c rests on one word of the text, read
// as a typo of its own: a real word one letter from a topic word ("tá
// calor aí?" is not "valor") is as likely as a slip, so the customer is
// asked first. Two such words agreeing ("esquci a senah") are no
// coincidence.
func (r *router) guessed(c Candidate) bool {
	if r.nodes[r.index[c.Node]].menu || len(c.Matches) == 0 {
		return false
	}
	for _, m := range c.Matches {
		if m.How != HowTypo || m.Word != c.Matches[0].Word {
			return false
		}
	}
	return true
}

// pair is the menu to open for a text asking about two things at once
// ("tanto de produto quanto de serviço") whose best node is trail i: the
// menu right above it, when another trail of that menu is named (by its
// title, labels or keywords) for a word of the text that i is not named
// for. The menu shows both.
func (r *router) pair(out Routing, i int) (int, bool) {
	n := r.nodes[i]
	if n.menu || len(n.ancestors) == 0 {
		return 0, false
	}
	m := n.ancestors[0]
	k := slices.IndexFunc(out.Ranking, func(c Candidate) bool { return c.Node == n.id })
	if k < 0 {
		return 0, false
	}
	mine := out.Ranking[k].Matches
	for _, c := range out.Ranking {
		j := r.index[c.Node]
		if j == i || r.nodes[j].menu || !slices.Contains(r.nodes[j].ancestors, m) {
			continue
		}
		for _, w := range c.Matches {
			if w.named && w.From == "" && !slices.ContainsFunc(mine, func(x Match) bool { return x.Word == w.Word && x.named && x.From == "" }) {
				return m, true
			}
		}
	}
	return 0, false
}

// personal reports whether trail node may not be entered on a text about
// the customer's own life: one naming family, school, a personal thing or
// a consumer brand's account (Elsewhere), or the customer's own device,
// bank card or app, or an account of someone no node knows (Owned) when
// node knows fewer than two of the text's other words (a glossary term
// inside the thing is the thing). A menu is no such risk: it only shows
// its options.
func (r *router) personal(out Routing, node string) bool {
	i, ok := r.index[node]
	switch {
	case !ok || r.nodes[i].menu:
		return false
	case len(out.Elsewhere) > 0:
		return true
	case len(out.Owned) == 0:
		return false
	}
	k := slices.IndexFunc(out.Ranking, func(c Candidate) bool { return c.Node == node })
	if k < 0 {
		return true
	}
	var other []string
	for _, m := range out.Ranking[k].Matches {
		if !slices.ContainsFunc(out.Owned, func(o string) bool {
			return slices.Contains(strings.Fields(o), m.Word) || m.Gloss != "" && strings.Contains(" "+o+" ", " "+m.Gloss+" ")
		}) {
			// "bloqueado" and "desbloqueio" are one word of the text, not two.
			key := strings.TrimPrefix(wordStem(m.Word), "des")
			if !slices.ContainsFunc(other, func(o string) bool { return strings.HasPrefix(o, key) || strings.HasPrefix(key, o) }) {
				other = append(other, key)
			}
		}
	}
	return len(other) < 2
}

// clearUnder reports the node under menu that a ranking not convincing
// enough to go anywhere still clearly prefers there: the best node of the
// whole ranking, under menu, with score at least underScore and at least
// apart times the next node under menu that is not above it.
func (r *router) clearUnder(out Routing, menu string) (string, bool) {
	if r == nil || len(out.Ranking) == 0 {
		return "", false
	}
	m, ok := r.index[menu]
	if !ok {
		return "", false
	}
	top := out.Ranking[0]
	i := r.index[top.Node]
	if top.Score < r.t.underScore || !slices.Contains(r.nodes[i].ancestors, m) {
		return "", false
	}
	for _, c := range out.Ranking[1:] {
		j := r.index[c.Node]
		if j == m || !slices.Contains(r.nodes[j].ancestors, m) || slices.Contains(r.nodes[i].ancestors, j) {
			continue
		}
		if c.Score*r.t.apart > top.Score {
			return "", false
		}
		break
	}
	return top.Node, true
}

// beyond reports whether node, under menu and reached through keyword
// kw found inside the text, has routing's support beyond that keyword: a
// score of at least underScore and a coverage of at least askCoverage
// (the words no node knows do not outweigh it), and some word of the text
// it knows that kw does not say, or a score before the boost of the menu
// shown ahead of every node elsewhere. "receita" at Financeiro is a keyword of Contas
// a pagar e a receber, but "me manda uma receita de bolo" is about
// nothing there: "manda" fits Enviar cobrança as well.
func (r *router) beyond(out Routing, node, menu, kw string) bool {
	if r == nil {
		return false
	}
	k := slices.IndexFunc(out.Ranking, func(c Candidate) bool { return c.Node == node })
	if k < 0 || out.Ranking[k].Score < r.t.underScore || out.Ranking[k].Coverage < r.t.askCoverage {
		return false
	}
	if !r.only(out, node, kw) {
		return true
	}
	if len(out.Unknown) > 0 {
		return false // the keyword alone among words no node knows (see alone)
	}
	c := out.Ranking[k]
	here := r.subtree(menu)
	for _, o := range out.Ranking {
		if i, ok := r.index[o.Node]; ok && (here == nil || !here[i]) && o.base >= c.base {
			return false
		}
	}
	return true
}

// only reports whether every word of the text that node knows is a word
// of its keyword kw: the keyword is all routing has for it.
func (r *router) only(out Routing, node, kw string) bool {
	if r == nil {
		return true
	}
	k := slices.IndexFunc(out.Ranking, func(c Candidate) bool { return c.Node == node })
	if k < 0 {
		return true
	}
	said := r.read(Normalize(kw), nil)
	for _, m := range out.Ranking[k].Matches {
		if st := wordStem(m.Word); !slices.ContainsFunc(said, func(w word) bool { return w.stem == st }) {
			return false
		}
	}
	return true
}

// lost reports whether keyword kw is all routing has for node in a text
// where words no node knows outweigh it: node explains less than
// askCoverage of the text.
func (r *router) lost(out Routing, node, kw string) bool {
	if r == nil || len(out.Unknown) == 0 || !r.only(out, node, kw) {
		return false
	}
	i, ok := r.index[node]
	return ok && r.coverage(out.Ranking, i) < r.t.askCoverage
}

// coverage is node i's Coverage in the ranking, 0 when it is not there.
func (r *router) coverage(ranking []Candidate, i int) float64 {
	for _, c := range ranking {
		if c.Node == r.nodes[i].id {
			return c.Coverage
		}
	}
	return 0
}

// score is node's score in the ranking, 0 when it is not there.
func (r *router) score(out Routing, node string) float64 {
	for _, c := range out.Ranking {
		if c.Node == node {
			return c.Score
		}
	}
	return 0
}

// pick is what the close nodes of one topic stand for (see decide).
func (r *router) pick(g []int, rt Routing) []int {
	if d, ok := r.line(g); ok {
		if m, ok := r.menuFor(d, g, rt); ok {
			return []int{m}
		}
		return []int{d}
	}
	if m, ok := r.sharedMenu(g); ok && (slices.Contains(g, m) || len(g) >= maxAsk) {
		return []int{m}
	}
	var picks []int
	for _, i := range g {
		// A menu above another close node adds nothing to the question.
		if !slices.ContainsFunc(g, func(j int) bool { return slices.Contains(r.nodes[j].ancestors, i) }) {
			picks = append(picks, i)
		}
	}
	return picks
}

// menuFor: a trail scoring no more than a menu above it says no more
// than that menu does. When another trail of the menu is named for as
// much of the text as the trail's own words explain (by its title, labels
// or keywords: "chamados" names Meus chamados and Como acompanhar
// chamados alike), the menu, which shows both, stands for the text;
// otherwise the trail ("carta de correção" names only Cancelar ou
// corrigir nota). A text asking nothing done, whose words the menu's own
// title names as the trail's does ("cobranças": Boletos e cobranças,
// Enviar cobrança), is about the menu too.
func (r *router) menuFor(d int, g []int, rt Routing) (int, bool) {
	ranking := rt.Ranking
	at := func(i int) *Candidate {
		for k := range ranking {
			if ranking[k].Node == r.nodes[i].id {
				return &ranking[k]
			}
		}
		return nil
	}
	cd := at(d)
	for _, m := range r.nodes[d].ancestors {
		cm := at(m)
		if !slices.Contains(g, m) || cm == nil || cd == nil || cm.Score < cd.Score {
			continue
		}
		if rt.bare && r.menuTitled(*cd, *cm) {
			return m, true
		}
		for _, c := range ranking {
			j := r.index[c.Node]
			if j != d && c.named > 0 && c.named >= cd.own && slices.Contains(r.nodes[j].ancestors, m) && !slices.Contains(r.nodes[d].ancestors, j) {
				return m, true
			}
		}
	}
	return 0, false
}

// menuTitled reports whether every word trail c knows, menu m knows from its
// title.
func (r *router) menuTitled(c, m Candidate) bool {
	title := r.nodes[r.index[m.Node]].titleStems
	for _, w := range c.Matches {
		if !slices.Contains(title, wordStem(w.Word)) {
			return false
		}
	}
	return len(c.Matches) > 0
}

// branch is the main-menu topic node i is under (itself for the main menu's options).
func (r *router) branch(i int) int {
	if a := r.nodes[i].ancestors; len(a) > 0 {
		return a[len(a)-1]
	}
	return i
}

// line reports whether the nodes all lie on one path from the main menu
// down, and the deepest of them.
func (r *router) line(nodes []int) (int, bool) {
	deepest := nodes[0]
	for _, i := range nodes {
		if len(r.nodes[i].ancestors) > len(r.nodes[deepest].ancestors) {
			deepest = i
		}
	}
	for _, i := range nodes {
		if i != deepest && !slices.Contains(r.nodes[deepest].ancestors, i) {
			return 0, false
		}
	}
	return deepest, true
}

// sharedMenu is the nearest sub-menu every node is or lies under.
func (r *router) sharedMenu(nodes []int) (int, bool) {
	chain := func(i int) []int { return append([]int{i}, r.nodes[i].ancestors...) }
	for _, m := range chain(nodes[0]) {
		if !slices.ContainsFunc(nodes, func(i int) bool { return !slices.Contains(chain(i), m) }) {
			return m, true
		}
	}
	return 0, false
}

// fieldWeight: an example is a whole sentence, with words that do not
// all name the topic; titles, labels and keywords were chosen to.
func (r *router) fieldWeight(f Field) float64 {
	if f == FieldExample {
		return r.t.example
	}
	return 1
}

// subtree marks the nodes under menu from (none for the main menu).
func (r *router) subtree(from string) []bool {
	m, ok := r.index[from]
	if !ok {
		return nil
	}
	marks := make([]bool, len(r.nodes))
	for i, n := range r.nodes {
		marks[i] = i == m || slices.Contains(n.ancestors, m)
	}
	return marks
}

func isNumber(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// Route ranks the flow's nodes for a customer's free text, as if written
// at menu from (the main menu when from is empty or unknown).
func (fl *Flow) Route(text, from string) Routing {
	if fl.router == nil {
		return Routing{}
	}
	return fl.router.route(Normalize(text), from)
}
