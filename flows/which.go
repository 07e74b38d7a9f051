package flows

import (
	"cmp"
	"strings"
)

// The question asked when free text fits a few nodes: "É sobre *Emitir
// NF-e* ou *Emitir NFS-e*?", with the nodes' titles as numbered options
// and one more for none of them.

// Built-in texts of the question, for files written before it existed.
const (
	defaultWhich      = "É sobre {assuntos}?"
	defaultWhichOther = "Outro assunto"
)

// WhichText is the question, with {assuntos} where the topics go.
func (fl *Flow) WhichText() string {
	return cmp.Or(strings.TrimSpace(fl.File.Texts.Which.Value), defaultWhich)
}

// WhichTopics lists the nodes' titles for {assuntos}: "*A*", "*A* ou *B*",
// "*A*, *B* ou *C*".
func (fl *Flow) WhichTopics(nodes []string) string {
	ts := make([]string, len(nodes))
	for i, id := range nodes {
		ts[i] = "*" + fl.Title(id) + "*"
	}
	if len(ts) < 2 {
		return strings.Join(ts, "")
	}
	return strings.Join(ts[:len(ts)-1], ", ") + " ou " + ts[len(ts)-1]
}

// WhichChoice is the question's chooser: one option per node, by its
// title, then "Outro assunto". With a single node, yes and no answer it.
func (fl *Flow) WhichChoice(nodes []string) *Chooser {
	labels := make([]string, 0, len(nodes)+1)
	keywords := make([][]string, 0, len(nodes)+1)
	for _, id := range nodes {
		labels = append(labels, fl.Title(id))
		keywords = append(keywords, nil)
	}
	other := []string{"outro", "outra", "outro assunto", "nenhum", "nenhuma", "nenhum desses", "nenhum dos dois", "nada disso"}
	if len(nodes) == 1 {
		keywords[0] = yesWords
		other = append(other, noWords...)
	}
	labels = append(labels, cmp.Or(strings.TrimSpace(fl.File.Texts.WhichOther.Value), defaultWhichOther))
	keywords = append(keywords, other)
	return NewChooser(labels, keywords)
}

// Path lists the menus from the main menu down to the one that offers
// node: where "voltar" leads from it, as if the customer had walked there.
func (fl *Flow) Path(node string) []string {
	var path []string
	for p := fl.parent[node]; p != ""; p = fl.parent[p] {
		path = append([]string{p}, path...)
	}
	return path
}

// IsNumber tells whether text only gives a number ("7", "opção 7",
// "7️⃣"): at a question it names an option, or none, never a topic.
func IsNumber(text string) bool {
	_, ok := choiceNumber(Normalize(text))
	return ok
}
