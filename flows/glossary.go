package flows

import (
	"slices"
	"strings"
)

// The editors' glossary (flows.yaml's glossary section): the words of the
// trade customers use that no title, keyword or example names, each read
// as words routing knows. A bookkeeper writes "faturar" and "RPS", a shop
// owner "duplicata" and "Itaú"; the glossary says those are "emitir
// nota", "nota de serviço", "boleto" and "banco". It is content, like
// the examples: editors own it, and it changes with the trade, not with
// the language. How Portuguese is read (abbreviations, stop words, verb
// families, synonyms of actions) stays in words.go.
//
// A term is matched word for word in the text as routing reads it
// (folded, abbreviations spelled out), each word also in its plural
// ("duplicatas"), and replaced by its meaning; the longest term wins.
// The tree's own phrases are read through the glossary too, so a term an
// example uses means there what it means in a customer's text. A meaning
// is read once: a glossary term inside it is not looked up again.

// glossary is flows.yaml's glossary compiled for reading texts.
type glossary struct {
	entries []GlossEntry
	means   [][]string             // each entry's meaning, as tokens
	byFirst map[string][]glossTerm // a term's first word -> its terms
}

// glossTerm is one term of an entry, as tokens.
type glossTerm struct {
	words []string
	entry int
	text  string // as written
	pos   Pos
}

// GlossUse is a glossary entry applied to a text, for explanations.
type GlossUse struct {
	Term  string // the customer's words, folded
	Means string // the entry's meaning, as written
	Pos   Pos    // where the matched term is written in the flows file
}

// termWords reads a term or meaning as the glossary matches it: folded,
// abbreviations spelled out, repeated letters squeezed.
func termWords(s string) []string { return strings.Fields(spelled(Normalize(s))) }

// compileGlossary indexes entries; empty and repeated terms are left out
// (validateGlossary reports them).
func compileGlossary(entries []GlossEntry) *glossary {
	g := &glossary{entries: entries, byFirst: map[string][]glossTerm{}}
	for i, e := range entries {
		g.means = append(g.means, termWords(e.Means.Value))
		for _, t := range e.Terms {
			ws := termWords(t.Value)
			if len(ws) == 0 {
				continue
			}
			if _, _, dup := g.find(ws); dup {
				continue
			}
			g.byFirst[ws[0]] = append(g.byFirst[ws[0]], glossTerm{words: ws, entry: i, text: t.Value, pos: t.Pos})
		}
	}
	for _, ts := range g.byFirst {
		// The longest term first: "caixa economica" before "caixa".
		slices.SortStableFunc(ts, func(a, b glossTerm) int { return len(b.words) - len(a.words) })
	}
	return g
}

// find reports the term written exactly as ws, if any.
func (g *glossary) find(ws []string) (glossTerm, int, bool) {
	for _, t := range g.byFirst[ws[0]] {
		if slices.Equal(t.words, ws) {
			return t, len(ws), true
		}
	}
	return glossTerm{}, 0, false
}

// at finds the longest term starting at toks[i], each of its words
// written as is or in the plural; it reports the term and how many tokens
// it spans.
func (g *glossary) at(toks []string, i int) (glossTerm, bool) {
	if g == nil || len(g.byFirst) == 0 {
		return glossTerm{}, false
	}
	var best glossTerm
	found := false
	try := func(key string) {
		for _, t := range g.byFirst[key] {
			if found && len(t.words) <= len(best.words) {
				return
			}
			if len(t.words) > len(toks)-i {
				continue
			}
			ok := true
			for k, w := range t.words[1:] {
				if !pluralOf(toks[i+1+k], w) {
					ok = false
					break
				}
			}
			if ok {
				best, found = t, true
				return
			}
		}
	}
	// The word itself, then the singulars it may be the plural of.
	tok := toks[i]
	try(tok)
	if s, ok := strings.CutSuffix(tok, "s"); ok && len(s) > 1 {
		try(s)
		if s, ok := strings.CutSuffix(s, "e"); ok && len(s) > 1 {
			try(s)
		}
	}
	return best, found
}

// pluralOf reports whether tok is w or its plural.
func pluralOf(tok, w string) bool {
	return tok == w || tok == w+"s" || tok == w+"es"
}

// validateGlossary reports entries routing cannot use: no term or no
// meaning, empty or repeated terms, terms that are common words routing
// drops or commands that work anywhere, and meanings that use glossary
// terms (a chain, never followed, or a loop).
func (fl *Flow) validateGlossary(probs *Problems) {
	entries := fl.File.Glossary
	seen := map[string]Pos{}
	for _, e := range entries {
		if len(e.Terms) == 0 {
			probs.add(e.At("terms"), "a glossary entry needs terms: the words customers write")
		}
		if len(termWords(e.Means.Value)) == 0 {
			probs.add(e.At("means"), "a glossary entry needs means: the words routing knows that its terms stand for")
		}
		for _, t := range e.Terms {
			ws := termWords(t.Value)
			key := strings.Join(ws, " ")
			switch {
			case len(ws) == 0:
				probs.add(t.Pos, "empty glossary term")
				continue
			case !slices.ContainsFunc(ws, func(w string) bool { return !stopWords[w] && !laughter(w) }):
				probs.add(t.Pos, "glossary term %q has only common words routing leaves out (como, quero, sistema...): it would change every text that uses them", t.Value)
			case fl.commands[Normalize(t.Value)] != CmdNone:
				probs.add(t.Pos, "glossary term %q is a command word (commands): it already works anywhere, and a glossary entry must not change it", t.Value)
			}
			if p, dup := seen[key]; dup {
				probs.add(t.Pos, "glossary term %q is already written at line %d: keep one", t.Value, p.Line)
				continue
			}
			seen[key] = t.Pos
		}
	}
	g := compileGlossary(entries)
	for i, e := range entries {
		toks := g.means[i]
		for k := range toks {
			t, ok := g.at(toks, k)
			if !ok {
				continue
			}
			if t.entry == i {
				probs.add(e.Means.Pos, "glossary meaning %q uses its own term %q: a loop; write the words routing knows", e.Means.Value, t.text)
			} else {
				probs.add(e.Means.Pos, "glossary meaning %q uses the term %q of line %d, which is not looked up again: write what it means directly", e.Means.Value, t.text, t.pos.Line)
			}
			break
		}
	}
}

// checkGlossary reports meanings with words no node knows: such a word
// would weigh against every node instead of leading to one.
func (fl *Flow) checkGlossary(probs *Problems) {
	r := fl.router
	for i, e := range fl.File.Glossary {
		ws := normalWords(strings.Join(r.gloss.means[i], " "))
		if len(ws) == 0 {
			if len(r.gloss.means[i]) > 0 {
				probs.add(e.Means.Pos, "glossary meaning %q has only common words (como, quero, não...): say what the terms are about", e.Means.Value)
			}
			continue
		}
		for _, w := range ws {
			if _, ok := r.postings[w.stem]; !ok {
				probs.add(e.Means.Pos, "glossary meaning %q: no node knows %q; use words of the titles, keywords or examples", e.Means.Value, w.surface)
				break
			}
		}
	}
}
