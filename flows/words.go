package flows

import (
	"strings"
	"sync"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/portuguese"
)

// How routing reads Portuguese: a text becomes a list of content words,
// each with its stem. Normalize folds case and accents; then WhatsApp
// habits are undone (repeated letters, laughter, abbreviations), words
// that carry no topic are dropped, and what is left is stemmed, so
// "rejeitada", "rejeitou" and "rejeitando" meet.

// word is one content word of a text: as it was written (folded) and its stem.
type word struct {
	surface string
	stem    string
}

// abbreviations are spellings customers use on WhatsApp for words the
// index knows, or for filler the stop list drops; an expansion may be
// several words ("nf" is "nota fiscal").
var abbreviations = map[string]string{
	"vc": "voce", "vcs": "voces", "voc": "voce", "naum": "nao", "n": "nao", "q": "que", "oq": "o que",
	"oque": "o que", "pq": "porque", "pk": "porque", "porq": "porque", "tb": "tambem", "tbm": "tambem",
	"msg": "mensagem", "msgs": "mensagens", "nf": "nota fiscal", "nfs": "notas fiscais",
	"add": "adicionar", "qdo": "quando", "qnd": "quando", "hj": "hoje", "td": "tudo", "tds": "todos",
	"mt": "muito", "mto": "muito", "mta": "muita", "obg": "obrigado", "obgd": "obrigado", "vlw": "valeu",
	"blz": "beleza", "pfv": "por favor", "pfvr": "por favor", "pf": "por favor", "pls": "por favor",
	"plz": "por favor", "ta": "esta", "to": "estou", "tou": "estou", "dps": "depois", "msm": "mesmo",
	"agr": "agora", "cmg": "comigo", "ngm": "ninguem", "nd": "nada", "qto": "quanto", "qnto": "quanto",
	"p": "para", "c": "com", "d": "de", "eh": "e", "vdd": "verdade", "fds": "fim de semana", "sab": "sabado",
	"zap": "whatsapp", "zapzap": "whatsapp", "wpp": "whatsapp", "whats": "whatsapp", "wts": "whatsapp",
	"whatsap": "whatsapp", "tel": "telefone", "fone": "telefone", "cel": "celular", "pgto": "pagamento",
	"pagto": "pagamento", "vcto": "vencimento", "venc": "vencimento", "config": "configurar",
	"configs": "configuracoes", "info": "informacao", "infos": "informacoes", "num": "numero",
	"cad": "cadastro", "cert": "certificado", "logar": "login", "loga": "login",
	"qro": "quero", "kero": "quero", "qria": "queria", "hr": "hora", "hrs": "horas", "mtos": "muitos",
	"tmb": "tambem", "vo": "vou", "nois": "nos", "sla": "sei la", "qq": "qualquer",
}

// stopWords carry no topic: articles, pronouns, common verbs, greetings,
// politeness and the product's own name. Topic words stay even when
// frequent ("nota", "cliente"): the index weighs those.
var stopWords = setOf(`a o as os um uma uns umas de do da dos das em no na nos nas num numa
	por pelo pela pelos pelas para pra pro pras pros com sem sob sobre ate apos e ou mas que se como
	quando onde qual quais quanto quantos quanta quantas porque pois entao eu tu ele ela nos vos eles elas voce voces
	me te lhe lhes meu minha meus minhas seu sua seus suas teu tua nosso nossa nossos nossas dele dela
	deles delas esse essa esses essas isso este esta estes estas isto aquele aquela aquilo ai aqui ali la
	ja ainda tambem so mais menos muito muita muitos pouco bem nao sim ne tipo agora hoje ontem sempre nunca
	tudo nada algo algum alguma nenhum nenhuma todo toda todos todas outro outra outros outras mesmo mesma
	ser sou e eh foi era sao estar estou esta estao estava estive tem tenho ter tinha temos ha houve
	fazer faco faz fiz feito fazendo ir vou vai vamos pode posso podem poderia consigo conseguir consegue
	quero queria quer gostaria preciso precisava precisa necessito saber sei ajuda ajudar ajude duvida duvidas
	favor obrigado obrigada oi ola bom boa dia tarde noite beleza ok okay pessoal gente amigo amiga
	senhor senhora moco moca alo opa ei eae salve valeu gratidao please hello hi ae uai tchau rs
	azul sistema erp app aplicativo plataforma site programa coisa coisas negocio assunto respeito
	comigo contigo verdade depois antes aonde entao logo certo certinho
	dar da dando deu dei jeito problema problemas questao
	ao aos dum duma neste nesta nesse nessa disso nisso desse dessa deste desta qualquer
	fica ficou ficar fico ficando aparece apareceu aparecer aparecendo acontece aconteceu
	tento tentei tentar tentando tentou uso usar usando usei acho achei sabe
	chama chamo chamar chamou chamei chamam resolvo resolver resolve
	urgente urgencia socorro help aff affs poxa nossa cara mano vei galera amanha
	explica explicar explicacao funciona funcionar funcionando funcionou significa diz dizer disse falou
	pergunta perguntas dentro desde parte`)

// fillerPhrases are word groups that carry no topic though their words
// may ("de novo" is "again", not "new"; "tirar uma dúvida" asks a
// question, it does not issue anything as "tirar nota" does); the
// product's name is one.
var fillerPhrases = []string{" conta azul ", " de novo ", " tudo bem ", " tudo bom ",
	" tirar uma duvida ", " tirar umas duvidas ", " tirar duvida ", " tirar duvidas ", " passo a passo "}

// laughter is WhatsApp laughing or typing noise: "kkkk", "hahaha", "rsrs".
func laughter(w string) bool {
	for _, unit := range []string{"k", "ha", "he", "hi", "rs", "hua", "ah", "eh", "hue"} {
		if len(w) >= 2*len(unit) && strings.ReplaceAll(w, unit, "") == "" {
			return true
		}
	}
	return false
}

func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// squeeze collapses a letter repeated three or more times to one
// ("oiii", "sefazzz"): Portuguese doubles letters, never triples them.
func squeeze(w string) string {
	var b []byte
	for i := 0; i < len(w); {
		j := i + 1
		for j < len(w) && w[j] == w[i] {
			j++
		}
		if j-i >= 3 && w[i] >= 'a' && w[i] <= 'z' {
			if b == nil {
				b = append(b, w[:i]...)
			}
			b = append(b, w[i])
		} else if b != nil {
			b = append(b, w[i:j]...)
		}
		i = j
	}
	if b == nil {
		return w
	}
	return string(b)
}

// contentWords reads text as routing does: normalized, filler phrases
// dropped, repeated letters squeezed, abbreviations spelled out, stop
// words and laughter dropped, each remaining word stemmed.
func contentWords(text string) []word { return normalWords(Normalize(text)) }

// normalWords is contentWords of an already normalized text.
func normalWords(n string) []word {
	n = " " + n + " "
	for _, p := range fillerPhrases {
		n = strings.ReplaceAll(n, p, " ")
	}
	var out []word
	for _, tok := range strings.Fields(n) {
		tok = squeeze(tok)
		exp, ok := abbreviations[tok]
		if !ok {
			exp = tok
		}
		for _, w := range strings.Fields(exp) {
			if len(w) < 2 || stopWords[w] || laughter(w) {
				continue
			}
			out = append(out, word{surface: w, stem: stem(w)})
		}
	}
	return out
}

// stemEnvs reuses the stemmer's buffers; stemming runs per message.
var stemEnvs = sync.Pool{New: func() any { return snowballstem.NewEnv("") }}

// stem is the Portuguese Snowball stem of a folded word. The stemmer
// expects accents its rules look for, so common unaccented endings get
// them back first ("conciliacao" stems like "conciliação", and plural
// "-oes" like singular "-ão"); the stem is folded again. Short words,
// acronyms and numbers ("ofx", "nfe", "0800") are kept whole.
func stem(w string) string {
	if len(w) <= 3 || strings.ContainsAny(w, "0123456789") {
		return w
	}
	switch {
	case strings.HasSuffix(w, "coes"):
		w = w[:len(w)-4] + "ção"
	case strings.HasSuffix(w, "cao"):
		w = w[:len(w)-3] + "ção"
	case strings.HasSuffix(w, "oes"):
		w = w[:len(w)-3] + "ão"
	case strings.HasSuffix(w, "ao"):
		w = w[:len(w)-2] + "ão"
	}
	env := stemEnvs.Get().(*snowballstem.Env)
	env.SetCurrent(w)
	portuguese.Stem(env)
	s := fold(env.Current())
	stemEnvs.Put(env)
	return s
}

// fold drops the accents the stem-time restoration put back.
func fold(s string) string {
	if !strings.ContainsAny(s, "ãõçáéíóúâêô") {
		return s
	}
	return Normalize(s)
}
