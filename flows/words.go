package flows

import (
	"maps"
	"slices"
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

// word is one content word of a text: as it was written (folded) and its
// stem (its family's, see families).
type word struct {
	surface string
	stem    string
	gloss   string // the glossary term it was read from, as written (folded); "" when the customer wrote it
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
	"tmb": "tambem", "vo": "vou", "boto": "coloco", "botar": "colocar", "bota": "coloca", "nois": "nos", "sla": "sei la", "qq": "qualquer", "ctz": "certeza",
}

// stopWords carry no topic: articles, pronouns, common verbs, greetings,
// politeness, the product's own name and the bot's, and complaints about
// it (talking about the bot is no topic: "vc é um robô?", "esse bot não
// entende nada"). Topic words stay even when frequent
// ("nota", "cliente"): the index weighs those.
var stopWords = setOf(`a o as os um uma uns umas de do da dos das em no na nos nas num numa
	por pelo pela pelos pelas para pra pro pras pros com sem sob sobre ate apos e ou mas que se como
	quando onde quem qual quais quanto quantos quanta quantas porque pois entao eu tu ele ela nos vos eles elas voce voces
	me te lhe lhes meu minha meus minhas seu sua seus suas teu tua nosso nossa nossos nossas dele dela
	deles delas esse essa esses essas isso este esta estes estas isto aquele aquela aquilo ai aqui ali la
	ja ainda tambem so mais menos muito muita muitos pouco bem nao sim ne tipo agora hoje ontem sempre nunca
	tudo nada algo algum alguma nenhum nenhuma todo toda todos todas outro outra outros outras mesmo mesma
	ser sou e eh foi era sao estar estou esta estao estava estive tem tenho ter tinha temos ha houve
	fazer faco faz fiz feito fazendo ir vou vai vamos pode posso podem poderia consigo conseguir consegue
	conseguindo consegui conseguiu conseguimos
	quero queria quer gostaria preciso precisava precisa necessito saber sei ajuda ajudar ajude duvida duvidas
	favor obrigado obrigada grato grata gratos gratas oi ola bom boa dia tarde noite beleza ok okay pessoal gente amigo amiga
	senhor senhora moco moca alo opa ei eae salve valeu gratidao please hello hi ae uai tchau rs
	azul sistema erp app aplicativo plataforma site programa coisa coisas negocio assunto respeito
	robo robozinho bot chatbot
	comigo contigo verdade depois antes aonde entao logo certo certinho certa certeza
	dar da dando deu dei jeito problema problemas questao
	ao aos dum duma neste nesta nesse nessa disso nisso desse dessa deste desta qualquer
	fica ficou ficar fico ficando aparece apareceu aparecer aparecendo acontece aconteceu
	tento tentei tentar tentando tentou uso usar usando usei acho achei sabe sabem sabia vejo li leio lido lendo ler
	chama chamo chamar chamou chamei chamam resolvo resolver resolve
	urgente urgencia socorro help aff affs poxa nossa cara mano vei galera amanha
	ajudando ajudou entende entendeu entendo entendi entender inutil inuteis burro burra presta prestou resolveu resolvendo
	explica explicar explicacao explique expliquem explicando funciona funcionam funcione funcionar funcionando funcionou significa diz dizer disse falou
	pergunta perguntas dentro desde parte tanto tanta
	semana semanas mes meses ano anos janeiro fevereiro abril maio junho julho agosto setembro
	outubro novembro dezembro`)

// fillerPhrases are word groups that carry no topic though their words
// may ("de novo" is "again", not "new"; "toda hora" is "always", no
// opening hours; "sem querer" is "by mistake", and a message sent to the
// wrong chat ("mandei mensagem errada") says nothing of its topic; doing
// something "sozinho" is by oneself, not the bank's automatic feed; "tirar uma dúvida" asks a
// question, it does not issue anything as "tirar nota" does; "vocês
// vendem" asks what the company sells, not about the customer's sales;
// an appeal to God or the saints is a sigh, "atendente pelo amor de deus"
// asks for a person as "atendente" does); the product's name is one.
var fillerPhrases = []string{" conta azul ", " de novo ", " tudo bem ", " tudo bom ", " voces vendem ", " voce vende ",
	" tirar uma duvida ", " tirar umas duvidas ", " tirar duvida ", " tirar duvidas ", " passo a passo ",
	" toda hora ", " o tempo todo ", " sem querer ",
	" mandei mensagem errada ", " mandei a mensagem errada ", " enviei mensagem errada ", " mensagem errada ", " mensagem errado ", " mandei errado ", " mandei errada ", " conversa errada ", " numero errado ", " pessoa errada ",
	" chat errado ", " grupo errado ", " contato errado ",
	" resolver sozinho ", " resolver sozinha ", " consegui sozinho ", " consegui sozinha ", " fazer sozinho ", " fazer sozinha ",
	" aqui sozinho ", " aqui sozinha ",
	" pelo amor de deus ", " pelamor de deus ", " pelamordedeus ", " pelo amor ", " ai meu deus ", " meu deus ", " meu deus do ceu ",
	" gracas a deus ", " se deus quiser ", " deus abencoe ", " fica com deus ", " vai com deus ", " deus me livre ", " nossa senhora "}

// expressions are word groups of the language that mean one word routing
// knows, read as that word before the text is split: "carne e osso" is a
// person, not a "carnê"; a note "não foi autorizada" was rejected. The
// trade's words ("conta de luz" is an expense, "RPS" a service note) are
// content: flows.yaml's glossary (see glossary.go).
var expressions = func() []rewrite {
	out := []rewrite{
		{" carne e osso ", " humano "}, {" ser humano ", " humano "}, {" pessoa real ", " humano "},
		{" pessoa de verdade ", " humano "}, {" fim de semana ", " sabado domingo "}, {" final de semana ", " sabado domingo "}, {" gente de verdade ", " humano "}, {" alguem de verdade ", " humano "},
		{" tem gente ai ", " humano "}, {" tem alguem ai ", " humano "},
	}
	// Not authorized, not approved, not allowed: rejected, however it is told ("não
	// foi", "não é", "não está sendo autorizada").
	for _, v := range strings.Fields("autorizada autorizado autorizou autoriza autorizando aprovada aprovado aprovou aprova aprovando permitido permitida valido valida") {
		for _, not := range []string{" nao ", " nao foi ", " nao e ", " nao esta ", " nao esta sendo ", " nao sao ", " nao estao "} {
			out = append(out, rewrite{not + v + " ", " rejeitada "})
		}
	}
	// Turning the bot down is asking for a person: "não quero robô",
	// "chega de menu"; so is asking for "gente" (not "a gente", us) or
	// for "alguém" ("chama alguém", "falar com alguém").
	for _, no := range []string{" nao quero ", " nao queria ", " chega de ", " cansei de ", " nao aguento mais "} {
		for _, bot := range []string{"robo", "bot", "robozinho", "maquina", "menu", "falar com robo", "falar com bot", "falar com o robo", "falar com maquina", "falar com uma maquina"} {
			out = append(out, rewrite{no + bot + " ", " humano "})
		}
	}
	// Tying bank lines to entries is reconciling ("vincular com os
	// recebimentos"), not connecting the bank; wanting no more files to
	// import ("sem precisar baixar o OFX") is wanting the bank's feed.
	for _, v := range []string{" vincular com ", " vincular aos ", " vincular as ", " vincular ao ", " juntar com ", " casar com "} {
		out = append(out, rewrite{v, " conciliar "})
	}
	for _, no := range []string{" sem precisar ", " sem ter que ", " sem ter de ", " nao ter que ", " nao ter de ", " nao precisar ", " parar de ", " ficar ",
		" sem eu ter que ", " sem eu precisar "} {
		for _, v := range []string{"importar", "baixar", "subir", "importando", "baixando", "subindo", "digitar", "digitando"} {
			out = append(out, rewrite{no + v + " ", " conexao automatica "})
		}
	}
	// Asking what a plan includes is about the plan, whatever feature it
	// names: "meu plano inclui nota de serviço?", "upgrade pra ter boleto".
	for _, pl := range []string{" meu plano ", " o plano ", " plano atual ", " nosso plano ", " no meu plano ", " no plano "} {
		for _, v := range []string{"inclui ", "tem ", "da direito a ", "permite ", "libera ", "possui "} {
			out = append(out, rewrite{pl + v, " mudar de plano "})
		}
	}
	for _, v := range []string{" upgrade pra ter ", " upgrade para ter ", " plano que tenha ", " plano que tem ", " plano com "} {
		out = append(out, rewrite{v, " mudar de plano "})
	}
	// A note not accepted was rejected ("a prefeitura não aceitou a
	// nota"); a boleto not accepted at the bank is another matter (see
	// the glossary).
	for _, no := range []string{" nao aceitou ", " nao aceita ", " nao aceitaram "} {
		for _, n := range []string{"a nota ", "minha nota ", "as notas ", "a nota fiscal "} {
			out = append(out, rewrite{no + n, " rejeitou " + n})
		}
	}
	// Moving money is a transfer between accounts, not transferring the
	// chat to a person.
	for _, v := range []string{" transferir dinheiro ", " transferir o dinheiro ", " transferir valor ", " transferir o valor "} {
		out = append(out, rewrite{v, " transferencia "})
	}
	// So is transferring a thing ("transferir o veiculo", "transferir a
	// linha"); transferring the chat or the call is still a handoff.
	arts := []string{"o", "a", "os", "as", "um", "uma", "meu", "minha", "seu", "sua", "esse", "essa", "nosso", "nossa"}
	for _, art := range arts {
		for _, chat := range []string{"atendimento", "conversa", "chat", "chamado", "contato", "ligacao", "papo", "caso"} {
			out = append(out, rewrite{" transferir " + art + " " + chat + " ", " transferir " + chat + " "})
		}
	}
	for _, art := range arts {
		out = append(out, rewrite{" transferir " + art + " ", " transferencia "})
	}
	// Getting something wrong asks to correct it: "errei o CNPJ na nota".
	for _, v := range []string{" errei ", " erramos ", " eu errei "} {
		out = append(out, rewrite{v, " corrigir "})
	}
	for _, v := range []string{" com gente ", " quero gente ", " queria gente ", " prefiro gente ", " chama alguem ", " chamar alguem ", " chame alguem ", " passa pra alguem ", " passar pra alguem ", " falar com alguem ", " que uma pessoa ", " que alguem olhe ", " que alguem veja ",
		" preciso de alguem ", " preciso de uma pessoa ", " conversar com uma pessoa ", " conversar com alguem ",
		" falar com a moca ", " falar com o moco ", " falar com o rapaz ", " falar com a menina ", " atendente de verdade ", " alguma pessoa "} {
		out = append(out, rewrite{v, " humano "})
	}
	// Making a note or a boleto is issuing it ("faço os boletos", "fiz a
	// nota"); "fazer" alone says nothing, so it is a stop word.
	for _, v := range []struct{ from, to string }{{"fazer", "emitir"}, {"faco", "emitir"}, {"faz", "emitir"}, {"fazemos", "emitir"}, {"fazendo", "emitir"}, {"fiz", "emiti"}, {"fizemos", "emiti"}} {
		for _, art := range []string{" ", " o ", " a ", " os ", " as ", " um ", " uma ", " uns ", " umas ", " meu ", " minha ", " meus ", " minhas "} {
			for _, thing := range []string{"boleto", "boletos", "nota", "notas"} {
				out = append(out, rewrite{" " + v.from + art + thing + " ", " " + v.to + art + thing + " "})
			}
		}
	}
	// An action tried tells what was done, it asks nothing: "tento emitir
	// e dá erro" is read as "emiti" (see told).
	for _, g := range synonyms {
		if g.kind != isAction {
			continue
		}
		for _, v := range strings.Fields(g.words) {
			past, ok := "", true
			switch {
			case strings.HasSuffix(v, "ar"):
				past = v[:len(v)-2] + "ei"
			case strings.HasSuffix(v, "ir"), strings.HasSuffix(v, "er"):
				past = v[:len(v)-2] + "i"
			default:
				ok = false
			}
			if !ok {
				continue
			}
			for _, try := range []string{" tento ", " tentei ", " tentando ", " tentar ", " tentou ", " ao ", " quando vou ", " quando tento ", " na hora de "} {
				out = append(out, rewrite{try + v + " ", " " + past + " "})
			}
		}
	}
	return out
}()

// productNames are what customers call the product, besides its name.
var productNames = []string{"sistema", "plataforma", "aplicativo", "app", "erp"}

// likeTheProduct reports whether w may be one of productNames, typed
// fast ("sitema"), or too short to tell ("ca").
func likeTheProduct(w string) bool {
	if len(w) < 3 {
		return true
	}
	return slices.ContainsFunc(productNames, func(p string) bool { return editDistance(w, p, 2) <= min(2, len(p)/3) })
}

// leaving is cancelling the product itself ("cancelar a Conta Azul",
// "cancelo o sistema"): its subscription, read before the product's name
// is dropped as filler, so that what is left is not a bare "cancelar".
var leaving = func() []rewrite {
	var out []rewrite
	for _, o := range append([]string{"conta azul"}, productNames...) {
		for _, v := range []string{"cancelar", "cancelo", "cancela", "cancelei"} {
			for _, art := range []string{" ", " a ", " o "} {
				out = append(out, rewrite{" " + v + art + o + " ", " cancelar assinatura "})
			}
		}
		// Stopping using it, or needing it no more, is leaving it too.
		for _, v := range []string{"parar de usar", "deixar de usar", "nao vou mais usar", "nao vou mais precisar", "nao preciso mais"} {
			for _, art := range []string{" a ", " o ", " ", " do ", " da "} {
				out = append(out, rewrite{" " + v + art + o + " ", " cancelar assinatura "})
			}
		}
		// What the product charges the customer is the subscription: "a
		// cobrança da Conta Azul veio mais alta".
		for _, v := range []string{"cobranca", "fatura", "mensalidade", "valor", "preco"} {
			for _, prep := range []string{" da ", " do "} {
				out = append(out, rewrite{" " + v + prep + o + " ", " mensalidade "})
			}
		}
		for _, v := range []string{"desistir", "sair"} {
			for _, prep := range []string{" da ", " do "} {
				out = append(out, rewrite{" " + v + prep + o + " ", " cancelar assinatura "})
			}
		}
	}
	return out
}()

// kin are the family words of elsewhere. After an article or a
// preposition (see someones) they are someone's relatives, most often a
// client's ("a mãe do aluno", "o nome da noiva", "o zap do pai"), not
// the customer's own family ("minha filha tirou nota baixa").
var kin = setOf(`filho filha filhos filhas mae mamae pai papai marido esposa esposo
	namorado namorada noivo noiva sogra sogro cunhado cunhada irmao irma avo avos neto neta netos
	sobrinho sobrinha tio tia primo prima`)

// persons are the words asking for a person: said of someone ("o
// atendente do detran", "um atendente do banco itau"), the person is
// theirs, not one of the support's Encantadores.
var persons = setOf(`atendente atendentes humano humana pessoa alguem`)

// someones are the words that make a relative someone's (see kin).
var someones = setOf(`a o as os um uma do da dos das de na no pela pelo com`)

// someonesKin reports whether toks[i] is someone's relative: a family
// word after an article or a preposition ("a mãe do aluno"), or before
// whose they are ("pai de aluno pediu nota", "mãe de um aluno"), unless
// that is the customer or another relative ("mãe da minha vizinha").
func someonesKin(toks []string, i int) bool {
	if !kin[toks[i]] {
		return false
	}
	if i > 0 && someones[toks[i-1]] {
		return true
	}
	return i+2 < len(toks) && genitive[toks[i+1]] && !possessives[toks[i+2]] && !kin[toks[i+2]]
}

// elsewhere are words that place a text in another part of the
// customer's life than their company's books: family, school, a consumer
// service, a scam or a break-in (a matter for the bank or the police),
// another company's ERP. A
// topic word beside one is probably a coincidence ("minha
// filha tirou nota baixa" is no invoice), so routing enters no trail on
// such a text (see Routing.Elsewhere). Words a business writes too stay
// out: "escola" and "aluno" (a school bills its students), "professor"
// (a teacher issues service notes), "instagram" (a shop sells there), and
// the clients and places a trade serves: "portão" (a metalworker makes
// them), "igreja", "faculdade", "universidade", "noiva" and "noivo" (a
// bridal shop's, a photographer's, a buffet's clients). Measured: each
// cost in-scope texts over the labelled sets and kept out none.
var elsewhere = setOf(`filho filha filhos filhas mae mamae pai papai marido esposa esposo
	namorado namorada sogra sogro cunhado cunhada irmao irma avo avos neto neta netos
	sobrinho sobrinha tio tia primo prima
	prova provas boletim vestibular enem matematica portugues geografia biologia quimica
	netflix spotify globoplay deezer disney tinder
	golpe golpes golpista fraude clonado clonada clonaram hackeado hackeada hackearam
	totvs omie sankhya bling
	reservista rg cnh passaporte certidao missa voo garagem
	celesc cemig copel enel sabesp cpfl coelba celpe energisa equatorial neoenergia elektro edp comgas
	copasa sanepar embasa compesa cagece caesb corsan casan cosern caern cagepa cosanpa caema agespisa
	deso cedae cesan saneago sanasa dmae saae poupanca
	chip puk giga gigas shopping governo proagro pronaf rastreio rastreamento`)

// owned are things a customer has as a person, not as a company: said
// right after a possessive ("meu celular"), they are the customer's own
// device, app or CPF, not the product's channel ("vocês atendem pelo
// whatsapp?"). Such a text may still be about the product ("o código não
// chega no meu celular"): it enters a trail only when the trail knows two
// of its other words.
var owned = setOf(`whatsapp celular iphone android smartphone instagram facebook tiktok cpf`)

// possessives are the words that make a thing the customer's own.
var possessives = setOf(`meu minha meus minhas`)

// qualifiers make the thing before them the customer's own: "cartão de
// crédito pessoal", "conta particular". After a word that carries no
// topic they are something else ("oi pessoal", "em particular"), and the
// company's personnel department is the company's.
var qualifiers = setOf(`pessoal particular`)

// accounts are what a person holds with any company, the product among
// them: a password or login, a plan, an app, a card and its bill, a
// ticket, a boleto, and how to reach it (its phone, site, e-mail).
// Said of another company ("a senha do insta", "o
// plano da academia", "o cartão itaú"), they are that company's, not
// the product's (see theirs).
var accounts = setOf(`senha senhas login acesso cadastro plano planos assinatura mensalidade app aplicativo
	cartao cartoes fatura faturas chamado chamados protocolo boleto boletos conta contas
	telefone telefones site email endereco extrato extratos cobranca cobrancas compra compras horario horarios portal portais`)

// brands are companies and services people deal with as consumers, none
// of them part of a company's books: phone operators, social networks
// and e-mail, video, rides, gyms, health plans, the home's wifi, the
// home's condominium, the car's tax. An account said of one ("o plano da
// vivo", "a senha do facebook") puts the text in the customer's own life.
// The consumer services in elsewhere do so wherever they are named. Not
// the ones a business sells or is paid through: Instagram, iFood, Shopee,
// an internet provider, Unimed (a clinic bills it). Measured: over the
// labelled sets each cost in-scope texts and kept out none.
var brands = setOf(`tim vivo claro oi nextel algar sky operadora
	facebook face tiktok twitter linkedin gmail hotmail yahoo icloud outlook telegram
	youtube hbo uber
	academia smartfit amil hapvida sulamerica wifi roteador modem
	condominio ipva amazon magalu aliexpress shein`)

// kinds are the brands that are kinds of business or thing, not names:
// a customer may run one or have one ("a conta de luz da academia", "a
// taxa da operadora do cartão").
var kinds = setOf(`operadora academia wifi roteador modem internet condominio ipva`)

// stores are where people buy as consumers (among the brands): a
// purchase said there is theirs, not the company's books.
var stores = setOf(`shopee amazon magalu aliexpress shein`)

// banks are the banks people hold as persons too: their card, its bill
// and their app ("o cartão do nubank", "o app do bradesco") are the
// customer's own, unless the text says more about the company's books.
// A bank's other accounts are the company's (the ERP connects a bank
// account, issues a bank's boletos, imports its statements).
var banks = setOf(`banco itau bradesco santander nubank caixa inter c6 bb picpay neon next original pan
	sicoob sicredi banrisul`)

// offices are public services people deal with as persons (their car,
// their pension, their citizen's login): an account said of one ("a
// senha do gov.br", "o telefone do detran") is the customer's own thing,
// like a bank's card, since a company deals with some of them too (the
// national service note signs in with gov.br).
var offices = setOf(`govbr detran inss poupatempo fgts`)

// publicBodies are the public offices a person (see offices) or a
// company deals with, whose hours a customer may ask about.
var publicBodies = func() map[string]bool {
	m := setOf(`sefaz prefeitura receita cartorio junta`)
	maps.Copy(m, offices)
	return m
}()

// personalBanking are the accounts a bank's customer holds as a person.
var personalBanking = setOf(`cartao cartoes fatura faturas app aplicativo`)

// heldElsewhere are the accounts a company holds only with the product
// (its plan, its app) or a bank (a card and its bill): said of someone
// else ("o plano da academia"), they are not the company's; nor is the
// phone of someone routing does not know ("o telefone da pizzaria"). A password,
// a login or a boleto of someone routing does not know is often a
// person's of the company ("o acesso do joão", "o boleto do seu josé").
var heldElsewhere = setOf(`plano planos assinatura assinaturas mensalidade app aplicativo cartao cartoes fatura faturas
	telefone telefones portal portais`)

// hours are accounts of a place: its opening hours. Said of a place no
// node knows ("o horário da farmácia"), they are that place's; "horário
// de" names a kind of hours ("de almoço", "de Brasília"), not whose.
var hours = setOf(`horario horarios`)

// payables are what a person or a company pays others for: a loan, the
// rent, a utility, a course. A boleto or bill of one ("o boleto do
// financiamento", "a fatura da luz") is one the customer received, not
// one they issued: it enters a trail only when the trail knows two of
// the text's other words ("lançar o boleto do aluguel no contas a pagar").
var payables = setOf(`financiamento financiamentos emprestimo emprestimos consorcio aluguel condominio iptu ipva
	luz agua energia gas faculdade seguro`)

// bills are the accounts a payable is paid by.
// (A "conta de luz" is the glossary's: an expense, whoever writes it.)
var bills = setOf(`boleto boletos fatura faturas carne parcela parcelas`)

// cardLife is what happens to a person's card, never to the product: its
// debt, limit, fee and rewards; losing it, having it stolen, blocking it.
// A card named beside one is the customer's own ("a dívida do cartão",
// "bloquear o cartão que perdi"), though a text may still be about the
// plan it pays ("meu cartão foi bloqueado e a assinatura não renovou").
var cardLife = setOf(`divida dividas limite anuidade cashback milhas perdi perdido perdida roubado roubada roubaram
	furtado furtada furtaram bloquear bloqueado bloqueada desbloquear desbloqueio parcelar parcelamento negociar renegociar`)

// of are the words that say whose an account is ("a senha do insta",
// "o cadastro no ifood").
var of = setOf(`do da dos das de no na nos nas ao aos`)

// genitive are the words of that say what a thing is part of: "no app"
// says where, not whose.
var genitive = setOf(`do da dos das de`)

// operators are the phone operators named by an everyday word ("claro",
// "vivo", "oi"): the company only after an article or preposition ("a
// claro me cobrou", "o plano da vivo").
var operators = setOf(`tim vivo claro oi nextel`)

// articles are the words before which an operator's name is the company.
var articles = setOf(`a da na pela com`)

// ticketWords name one of the customer's tickets: what a node of kind
// tickets lists ("Meus chamados").
var ticketWords = setOf(`chamado chamados protocolo protocolos ticket tickets atendimento atendimentos
	solicitacao solicitacoes caso reclamacao reclamacoes`)

// aTicket are the words before a ticket word that make it one the
// customer has, not tickets in general: "meu chamado", "aquele
// protocolo", "algum chamado".
var aTicket = setOf(`meu minha meus minhas aquele aquela algum alguma`)

// sentIt are the verbs that, with an article, make the ticket after them
// one the customer opened: "mandei o ticket", "abri um chamado".
var sentIt = setOf(`abri abrimos mandei mandamos enviei enviamos registrei fiz fizemos`)

// anArticle are the articles between such a verb and the ticket.
var anArticle = setOf(`o a um uma`)

// opened are the words after a ticket word that make it one the customer
// opened: "o chamado que abri", "o atendimento de ontem".
var opened = []string{" que abri ", " que eu abri ", " que abrimos ", " que mandei ", " que eu mandei ", " que fiz ",
	" que eu fiz ", " que enviei ", " que eu enviei ", " de ontem "}

// howItIs are the verbs after "como" that ask how a thing is, not how to
// do something: "como está meu chamado".
var howItIs = setOf(`esta estao estava estavam anda andam andou ficou fica ficar vai foram isso`)

// elsewhereAt are the words after a ticket word that place it with
// someone else: "o protocolo no procon", "meu chamado com a vivo".
var elsewhereAt = setOf(`na no com junto`)

// ownLife are word groups that place a text in the customer's own
// dealings with a bank or a card, or in their home, whatever product
// words they hold: opening an account, a branch's hours, a purchase they
// did not make, a pix to the wrong person; or a message meant for their
// own customer ("segue o boleto", "qualquer coisa me chama"); or a
// claim checked.
var ownLife = []string{" abrir uma conta ", " abrir conta ", " banco abre ", " agencia abre ", " banco fecha ", " caixa eletronico ",
	" chave errada ", " chave pix errada ",
	" ir na agencia ", " ir ate a agencia ", " ir no banco ", " compra que nao fiz ", " compras que nao fiz ", " compra que eu nao fiz ", " compras que eu nao fiz ",
	" compra que nao reconheco ", " compras que nao reconheco ", " compra que eu nao reconheco ",
	" aqui em casa ", " aqui de casa ", " la em casa ", " pix errado ", " pix por engano ", " transferencia errada ",
	" segue o boleto ", " segue a nota ", " segue em anexo ", " segue anexo ", " qualquer coisa me chama ",
	" voce me mandou ", " que voce mandou ", " vale alimentacao ", " vale refeicao ",
	// A claim someone made, checked ("o contador disse que tenho que
	// emitir nota de tudo, é verdade?"): a question of fact, no how-to.
	" e verdade ", " eh verdade ", " isso procede ", " procede isso "}

// vocatives are the words a message to a boss or a partner opens with.
var vocatives = setOf(`chefe patrao patroa amor mor`)

// opens are the words of a place's opening hours, and whenOpen the words
// that ask about them ("o restaurante atende até que horas?", "o
// hospital tem atendimento 24h?").
var opens = setOf(`abre abrem fecha fecham funciona funcionam atende atendem atendimento`)
var whenOpen = setOf(`hora horas horario horarios sabado domingo feriado feriados hoje amanha 24h 24hs`)

// bought are the verbs of the customer buying, and purchases what they
// got with it; gotIt are the verbs of the customer receiving a bill.
var bought = setOf(`comprei compramos`)
var purchases = setOf(`boleto boletos fatura faturas carne parcela parcelas nota notas pedido pedidos`)
var gotIt = setOf(`recebi recebemos`)

// slips are the bills that are a document to pay, not the money: "recebi
// a parcela" is a payment received.
var slips = setOf(`boleto boletos fatura faturas carne`)

// sentUs are the verbs of someone sending or charging the customer a
// bill ("o sindicato mandou um boleto" was received) or a notice (see
// notices).
var sentUs = setOf(`mandou mandaram enviou enviaram cobrou cobraram emitiu emitiram`)

// notes are the words of an invoice. One someone sent or issued to the
// customer ("o fornecedor emitiu a nota errada pra mim") is theirs to
// fix; one a clerk issued to a client is the customer's to fix.
var notes = setOf(`nota notas nfe nfse danfe`)

// logsIn are the verbs of logging into a system.
var logsIn = setOf(`entrar entro entra entrando acessar acesso acessa acessando logar loga logando`)

// notices are the messages a company sends about an account.
var notices = setOf(`email emails mensagem sms aviso notificacao alerta`)

// issues are the verbs of issuing or cancelling a document.
var issues = setOf(`emiti emitir emito emite emitimos emitiu cancelar cancelo cancelei cancela gerar gerei gero`)

// systemAt is the name of a system at toks[j], past a possessive: its
// words, and those of whose it is ("sisflora da semas"); none when it
// may be the product.
func systemAt(toks []string, j int) []string {
	if j < len(toks) && possessives[toks[j]] {
		j++
	}
	var name []string
	for ; j < len(toks) && !stopWords[toks[j]] && !isNumber(toks[j]) && !likeTheProduct(toks[j]); j += 2 {
		name = append(name, toks[j])
		if j+1 >= len(toks) || !genitive[toks[j+1]] {
			break
		}
	}
	return name
}

// thirdPersons are the pronouns of someone else, and fixes the verbs of
// setting a document right, as the one who acts says them (never "ser
// cancelada": the document itself).
var thirdPersons = setOf(`ele ela eles elas`)
var fixes = setOf(`cancelar cancele cancelem corrigir corrija corrijam arrumar arrume arrumem refazer refaca refacam
	consertar conserte consertem estornar estorne estornem trocar troque troquem`)

// sellers are the businesses a company buys from: an invoice one of
// them issued is theirs to fix.
var sellers = setOf(`fornecedor fornecedora fornecedores distribuidora distribuidoras distribuidor atacadista atacadistas
	atacadao revenda revendedora fabrica fabricante importadora importador transportadora`)

// toUs says whether toks name the customer as the one a thing was sent
// to or issued against: "pra mim", "para a gente", "contra nós".
func toUs(toks []string) bool {
	for i := 1; i < len(toks); i++ {
		if us[toks[i]] && (toward[toks[i-1]] || i > 1 && toks[i-1] == "a" && toward[toks[i-2]]) {
			return true
		}
	}
	return false
}

var us = setOf(`mim gente nos`)
var toward = setOf(`pra para pro contra`)

// theirOwn are the words after an account held elsewhere that make it
// another company's: "o app deles". ("dela" may be a sale's: "o boleto
// dela".)
var theirOwn = setOf(`deles delas`)

// who is the one named first in toks, past articles: "a TI do prédio" is
// "ti"; "" when it is a word that names no one.
func who(toks []string) string {
	for _, t := range toks {
		if !anArticle[t] && t != "os" && t != "as" {
			if stopWords[t] {
				return ""
			}
			return t
		}
	}
	return ""
}

// places are where in the product a ticket is seen: "os chamados no
// menu", "o chamado na tela de ajuda".
var places = setOf(`menu tela telas aba abas app aplicativo site portal chat whatsapp area ajuda erp computador pc notebook
	celular navegador`)

// greetings are the words a message may open with before whom it speaks to.
var greetings = setOf(`oi ola opa bom boa dia tarde noite`)

// reports are the verbs of someone asking or telling through the writer:
// "meu pai quer saber", "minha mãe pediu". In a family business the
// family is who runs it, so a relative who asks is no sign of the
// customer's own life.
var reports = setOf(`quer queria perguntou pergunta pediu pede disse falou fala precisa tentou tenta`)

// asksThrough reports whether the relative at toks[i] asks through the
// writer: a report follows, and the relative is not someone's ("a escola
// do meu filho pediu" is the school asking).
func asksThrough(toks []string, i int) bool {
	return i+1 < len(toks) && reports[toks[i+1]] && !slices.ContainsFunc(toks[max(i-2, 0):i], func(t string) bool { return genitive[t] })
}

// titles are the words before a person's name when speaking to them.
var titles = setOf(`seu dona sr sra senhor senhora`)

// closings are what a customer says when all is done: a text saying only
// that ("resolvido, valeu") asks nothing, though a ticket's status has
// the same name.
var closings = setOf(`resolvido resolvida`)

// explaining are word groups that ask how the product works or where in
// its screens something is: "no sistema", "dentro da Conta Azul", "em que
// tela", "o que significa". Such a text wants a trail's explanation, not
// the customer's records read out in the chat.
var explaining = []string{" no sistema ", " do sistema ", " pelo sistema ", " dentro do ", " dentro da ",
	" la dentro ", " no erp ", " na conta azul ", " no conta azul ", " pela conta azul ", " tela ", " telas ",
	" em que menu ", " qual menu ", " quer dizer ", " significa ", " como funciona ", " onde ", " aonde ",
	" quanto tempo ", " prazo ", " porque ", " por que ", " como funcionam ", " o que e ", " e o mesmo ", " e a mesma ",
	" pra que serve ", " para que serve "}

// cues are what a text says beyond its content words: where in the
// customer's life it is (see elsewhere, qualifiers and owned), whose
// accounts it names, whether it asks about two things at once, and
// whether it asks about tickets it has or how tickets work.
type cues struct {
	life, own []string // the words placing it in the customer's own life; their own things, after the possessive
	theirs    []theirs // accounts said of a company, or of someone routing does not know
	both      bool     // "tanto X quanto Y", "X e Y, os dois", "umas X, outras Y": both things, so the menu showing them (see decide)
	// records is why the text is about the customer's own tickets ("meu
	// chamado", "o protocolo que abri", a protocol's number), and explains
	// why it asks how the product works or where in it ("no sistema"): a
	// text that says both asks how. See settled.
	records, explains string
	where             string   // it asks where something is ("onde"): no event it tells of
	addressed         string   // the text opens with a title and a name ("seu joao"): meant for them if routing does not know the name
	with              string   // who a ticket was opened with ("um chamado com a TI"): someone else, if routing does not know them
	personOf          string   // whose a person asked for is ("um atendente do banco itau"): someone else's, if a bank, a brand, an office or unknown to routing
	loggedInto        []string // the name of the system a text logs into ("entrar no sisflora da semas"): someone else's, if routing knows none of it
	issuedIn          []string // the same, of one a document was issued or cancelled in ("cancelar a gta que emiti na idaron"): someone else's, if neither routing nor the model knows any of it
	hoursOf           []string // what a text asks the hours of ("o horário de check-in"): someone else's, if neither routing nor the model knows any of it
	sentBy            []string // who sent the customer a message ("o elo7 mandou email dizendo que minha senha expirou"): someone else's account, if neither routing nor the model knows them
}

// theirs is an account the text says is another's: "senha do insta",
// "fatura do meu cartao itau".
type theirs struct {
	words string // from the account to its owner, as written (folded)
	owner string
	brand bool // a consumer brand (see brands): the text is about the customer's own life
	own   bool // a bank's card, bill or app (see banks), an account with a public office (see offices), or of a personal device (see owned): the customer's own thing
	held  bool // an account held elsewhere (see heldElsewhere): the customer's own, when no node knows the owner
	place bool // a place's hours ("a oficina abre"): the customer's own life, when no node knows the place
}

// cuesIn reads the cues of normalized text n.
func cuesIn(n string) cues {
	var c cues
	sp := strings.ReplaceAll(spelled(n), " gov br ", " govbr ")
	toks := strings.Fields(sp)
	// A message that opens calling someone "chefe" or "amor" was meant for
	// them, not for the company's support.
	// (After a greeting too: "oi amor, chego tarde".)
	if first := slices.IndexFunc(toks, func(t string) bool { return !greetings[t] }); first >= 0 && first <= 2 && vocatives[toks[first]] {
		c.life = append(c.life, toks[first])
	}
	// One opening "seu João" or "dona Maria" was meant for them, when
	// routing does not know the name (see Routing.Elsewhere).
	if len(toks) > 1 && titles[toks[0]] {
		c.addressed = toks[0] + " " + toks[1]
	}
	for _, e := range ownLife {
		if strings.Contains(sp, e) {
			c.life = append(c.life, strings.TrimSpace(e))
		}
	}
	for _, e := range explaining {
		if strings.Contains(sp, e) {
			c.explains = strings.TrimSpace(e)
			break
		}
	}
	// "como" before a verb the customer would do ("como adiciono", "como
	// acompanhar") asks how; before how something is ("como está", "como
	// anda") it asks about the thing itself.
	if c.explains == "" {
		for i, t := range toks[:max(len(toks)-1, 0)] {
			if v := toks[i+1]; t == "como" && len(v) > 3 && !howItIs[v] &&
				(strings.HasSuffix(v, "o") || strings.HasSuffix(v, "ar") || strings.HasSuffix(v, "er") || strings.HasSuffix(v, "ir")) {
				c.explains = t + " " + v
				break
			}
		}
	}
	for _, w := range []string{" onde ", " aonde ", " em que lugar ", " em qual lugar "} {
		if strings.Contains(sp, w) {
			c.where = strings.TrimSpace(w)
		}
	}
	tickets := false
	var mine, strong, number string // a ticket after a possessive; one the customer opened; a long number
	for i, t := range toks {
		switch {
		case t == "tanto" && slices.ContainsFunc(toks[i+1:], func(u string) bool { return u == "quanto" || u == "como" }),
			t == "ambos" || t == "ambas" || (t == "dois" || t == "duas") && i > 0 && (toks[i-1] == "os" || toks[i-1] == "as"),
			(t == "uns" || t == "umas") && slices.ContainsFunc(toks[i+1:], func(u string) bool { return u == "outros" || u == "outras" }):
			c.both = true
		case elsewhere[t] && !asksThrough(toks, i) && !someonesKin(toks, i):
			// ("a mãe do aluno pagou o boleto": a client's relative, see kin.)
			// ("meu pai quer saber como tira a nota": the family's business
			// asks through someone, see reports.)
			c.life = append(c.life, t)
		case qualifiers[t] && i > 0 && !stopWords[toks[i-1]] && toks[i-1] != "departamento":
			c.life = append(c.life, toks[i-1]+" "+t)
		case owned[t] && i > 0 && possessives[toks[i-1]]:
			c.own = append(c.own, toks[i-1]+" "+t)
		case operators[t] && i > 0 && articles[toks[i-1]]:
			c.life = append(c.life, toks[i-1]+" "+t)
		case persons[t] && i+2 < len(toks) && genitive[toks[i+1]] && toks[i+1] != "de" && c.personOf == "":
			c.personOf = toks[i+2]
		case brands[t] && !kinds[t] && i > 0 && genitive[toks[i-1]] && toks[i-1] != "de":
			// "um pedido no ifood", "o suporte da vivo": a company named as
			// the one whose the thing is.
			c.life = append(c.life, toks[i-1]+" "+t)
		}
		if accounts[t] {
			if th, ok := ownerOf(toks, i); ok {
				c.theirs = append(c.theirs, th)
			}
		}
		switch {
		case ticketWords[t] && i+1 < len(toks) && elsewhereAt[toks[i+1]]:
			// "meu chamado na prefeitura": a ticket with someone else. Who
			// it was opened "com" is someone; "no" may be a place in the
			// product ("os chamados no sistema").
			if c.with == "" && (toks[i+1] == "com" || !places[who(toks[i+2:])]) {
				c.with = who(toks[i+2:])
			}
		case ticketWords[t]:
			tickets = true
			// "o protocolo da anvisa", "o chamado da garantia": a ticket of
			// someone routing may not know.
			if i+1 < len(toks) && genitive[toks[i+1]] && toks[i+1] != "de" && c.with == "" {
				c.with = who(toks[i+2:])
			}
			if i > 0 && possessives[toks[i-1]] && mine == "" {
				mine = toks[i-1] + " " + t
			} else if i > 0 && aTicket[toks[i-1]] && strong == "" {
				strong = toks[i-1] + " " + t
			}
			if i > 1 && sentIt[toks[i-2]] && anArticle[toks[i-1]] && strong == "" {
				strong = strings.Join(toks[i-2:i+1], " ")
			}
			after := " " + strings.Join(toks[i+1:min(i+5, len(toks))], " ") + " "
			for _, o := range opened {
				// "o chamado que abri na prefeitura" is with someone else.
				rest := strings.Fields(strings.TrimPrefix(after, o))
				switch {
				case !strings.HasPrefix(after, o):
				case len(rest) > 0 && elsewhereAt[rest[0]]:
					if c.with == "" {
						c.with = who(rest[1:])
					}
				case strong == "":
					strong = t + o[:len(o)-1]
				}
			}
		case len(t) >= 5 && isNumber(t):
			number = t
		}
	}
	c.readWhose(toks)
	switch {
	case strong != "":
		c.records = strong
	case tickets && number != "":
		// A long number beside a ticket word is its protocol.
		c.records = number
	case mine != "" && (strings.Contains(sp, " como esta ") || strings.Contains(sp, " como anda ") ||
		slices.ContainsFunc(toks, func(t string) bool { return !stopWords[t] && !ticketWords[t] })):
		// "meu chamado" and nothing more asks neither: the menu asks which;
		// "como está meu chamado" asks how it is going.
		c.records = mine
	}
	return c
}

// readWhose reads, past what ownerOf reads beside each account, whose
// the accounts a text names are from the rest of it: a purchase at a
// store, someone acting on a plan or bill, an invoice issued to the
// customer or by a seller, someone else named to fix a thing, what the
// customer bought or received, a payable's bill, what happens to a
// person's card, a bank's card or app. toks are the text's words, as
// cuesIn splits them.
func (c *cues) readWhose(toks []string) {
	// A purchase in a text naming a store is the customer's as a buyer
	// ("a compra que fiz na shopee").
	if k := slices.IndexFunc(toks, func(t string) bool { return t == "compra" || t == "compras" }); k >= 0 {
		if b := slices.IndexFunc(toks, func(t string) bool { return stores[t] }); b >= 0 {
			c.life = append(c.life, toks[k]+" "+toks[b])
		}
	}
	// A consumer brand, or someone routing may not know, said as the one
	// acting ("a academia cobrou a mensalidade", "a operadora do meu
	// celular cobrou a fatura", "o sindicato mandou um boleto") holds the
	// plan or bill the text then names; said opening ("a oficina abre
	// sábado?"), it is a place whose hours are asked, never the support's.
	for i, t := range toks {
		if i == 0 || toks[i-1] != "a" && toks[i-1] != "o" || stopWords[t] || accounts[t] || isNumber(t) ||
			slices.ContainsFunc(c.theirs, func(th theirs) bool { return th.owner == t }) {
			continue
		}
		j := near(toks, i, 8, func(u string) bool { return heldElsewhere[u] })
		if j < 0 && i+1 < len(toks) && sentUs[toks[i+1]] {
			j = near(toks, i, 5, func(u string) bool { return bills[u] })
			// Whoever issued it, an invoice issued to the customer is
			// one they received as a buyer, for its issuer to fix: "o
			// cliente emitiu uma nota de devolução pra mim".
			if k := near(toks, i, 5, func(u string) bool { return notes[u] }); j < 0 && k >= 0 && toUs(toks) {
				c.life = append(c.life, strings.Join(toks[i:k+1], " "))
				continue
			}
		}
		if j >= 0 {
			c.theirs = append(c.theirs, theirs{words: strings.Join(toks[i:j+1], " "), owner: t, brand: brands[t], held: !brands[t]})
		} else if j = near(toks, i, 4, func(u string) bool { return opens[u] }); j >= 0 && slices.ContainsFunc(toks, func(u string) bool { return whenOpen[u] }) {
			c.theirs = append(c.theirs, theirs{words: strings.Join(toks[i:j+1], " "), owner: t, brand: brands[t] || banks[t], place: true})
		}
	}
	// A public body's hours ("sefaz ba atende até que horas?", "a
	// prefeitura abre sábado?") are its own, never the support's, though
	// a company deals with it.
	if slices.ContainsFunc(toks, func(t string) bool { return whenOpen[t] }) {
		for i, t := range toks {
			if !publicBodies[t] {
				continue
			}
			if k := near(toks, i, 3, func(u string) bool { return opens[u] }); k >= 0 {
				c.life = append(c.life, strings.Join(toks[i:k+1], " "))
				break
			}
		}
	}
	// A system logged into that routing does not know ("não consigo
	// entrar no sisflora da semas") is someone else's: the product is
	// "o sistema", "a conta", "o app", words every node of access knows.
	// All of its name counts: "o ambiente do banco" is where a bank's
	// connection is authorized. One a document was issued or cancelled
	// in ("cancelar a gta que emiti na idaron") may be a place ("emiti a
	// nota no loteamento", "aqui na ótica"): see route. So may what a
	// text asks the hours of ("o horário de check-in de vocês", "o
	// horário de brasília").
	for i, t := range toks {
		switch {
		case (t == "horario" || t == "horarios") && c.hoursOf == nil && i+1 < len(toks) && genitive[toks[i+1]]:
			c.hoursOf = systemAt(toks, i+2)
		case sentUs[t] && c.sentBy == nil && i > 1 && anArticle[toks[i-2]] && !stopWords[toks[i-1]] && near(toks, i, 2, func(u string) bool { return notices[u] }) >= 0:
			// "o elo7 mandou email": a company no one has named, and its
			// account, the customer's with them. (What a client sends, a
			// receipt or a pix, is not a notice.)
			c.sentBy = toks[i-1 : i]
		case logsIn[t] && c.loggedInto == nil && i+1 < len(toks) && (toks[i+1] == "no" || toks[i+1] == "na"):
			c.loggedInto = systemAt(toks, i+2)
		case issues[t] && c.issuedIn == nil:
			// "aqui na ótica": where the customer is.
			if k := near(toks, i, 4, func(u string) bool { return u == "no" || u == "na" }); k >= 0 && toks[k-1] != "aqui" {
				c.issuedIn = systemAt(toks, k+1)
			}
		}
	}
	// Someone else named as the one to fix it ("quero que ele corrija",
	// "eles que têm que cancelar", "como peço pra ela refazer") makes it
	// theirs: the customer's own things are fixed by the customer.
	for i, t := range toks {
		if !thirdPersons[t] {
			continue
		}
		// After "pra" it is whom something went to ("mandei pra ele, tem
		// como arrumar?") unless the verb follows it ("pra ele cancelar").
		within := 4
		if i > 0 && toward[toks[i-1]] {
			within = 1
		}
		if k := near(toks, i, within, func(u string) bool { return fixes[u] }); k >= 0 {
			c.life = append(c.life, strings.Join(toks[i:k+1], " "))
			break
		}
	}
	// An invoice a seller issued ("a distribuidora de cola emitiu nota de
	// serviço em vez de produto") is one the customer received, for the
	// seller to fix. (A seller's bill is a payable the customer may well
	// want to record: "o fornecedor mandou o boleto, como lanço".)
	for i, t := range toks {
		if !sellers[t] {
			continue
		}
		v := near(toks, i, 6, func(u string) bool { return sentUs[u] })
		if v < 0 {
			continue
		}
		if k := near(toks, v, 5, func(u string) bool { return notes[u] }); k >= 0 {
			if w := strings.Join(toks[i:k+1], " "); !slices.Contains(c.life, w) { // issued "pra mim" too: read already
				c.life = append(c.life, w)
			}
			break
		}
	}
	// A bill, note or order of something the customer bought ("o boleto
	// da ração que comprei", "cancelar o pedido que comprei"), or a bill
	// they received ("o boleto que recebi"), is theirs as a buyer.
	for _, got := range []struct {
		verbs, things map[string]bool
	}{{bought, purchases}, {gotIt, slips}} {
		k := slices.IndexFunc(toks, func(t string) bool { return got.verbs[t] })
		if k < 0 {
			continue
		}
		var bill []string
		for _, t := range toks {
			if got.things[t] {
				bill = append(bill, t)
			}
		}
		if len(bill) > 0 {
			c.theirs = append(c.theirs, theirs{words: strings.Join(append(bill, toks[k]), " "), owner: toks[k], own: true})
		}
	}
	// A bill in a text naming a payable is one the customer received.
	if k := slices.IndexFunc(toks, func(t string) bool { return payables[t] }); k >= 0 {
		var bill []string
		for i, t := range toks {
			switch {
			case bills[t] || t == "extrato" || t == "extratos":
				bill = append(bill, t)
			case t == "via" && i > 0 && toks[i-1] == "segunda":
				bill = append(bill, t, "segunda")
			}
		}
		if len(bill) > 0 {
			c.theirs = append(c.theirs, theirs{words: strings.Join(append(bill, toks[k]), " "), owner: toks[k], own: true})
		}
	}
	// A card beside what happens to a person's card is theirs.
	for i, t := range toks {
		if t != "cartao" && t != "cartoes" {
			continue
		}
		lo, hi := max(i-5, 0), min(i+7, len(toks))
		if k := slices.IndexFunc(toks[lo:hi], func(u string) bool { return cardLife[u] }); k >= 0 {
			k += lo
			c.theirs = append(c.theirs, theirs{words: strings.Join(toks[min(i, k):max(i, k)+1], " "), owner: toks[k], own: true})
			break
		}
	}
	// A card, its bill or an app in a text naming a bank is the bank's
	// customer's own, wherever the bank is named ("o Itaú bloqueou meu
	// cartão", "cancelar o cartão de crédito do Santander").
	if k := slices.IndexFunc(toks, func(t string) bool { return personalBanking[t] }); k >= 0 {
		b := slices.IndexFunc(toks, func(t string) bool { return banks[t] })
		if b >= 0 && !slices.ContainsFunc(c.theirs, func(th theirs) bool { return th.own && th.owner == toks[b] }) { // ownerOf read it already
			words := toks[k] + " " + toks[b]
			if lo, hi := min(k, b), max(k, b); hi-lo <= 5 {
				words = strings.Join(toks[lo:hi+1], " ") // "cartao de credito do santander": all of it is the card
			}
			c.theirs = append(c.theirs, theirs{words: words, owner: toks[b], own: true})
		}
	}
}

// near returns where in the n words after toks[i] one is in, or -1.
func near(toks []string, i, n int, in func(string) bool) int {
	if j := slices.IndexFunc(toks[i+1:min(i+1+n, len(toks))], in); j >= 0 {
		return i + 1 + j
	}
	return -1
}

// ownerOf reads whose the account at toks[i] is: a brand or bank named
// right after it ("cartao itau") or after "do" or "da" ("senha do
// insta"), or someone else after "do", "da" or "de" ("plano da
// academia"), past a possessive and other accounts ("fatura do meu
// cartao itau" is the card's, the bank's). A bank owns the account only
// when it is one a person holds there ("a senha do app do banco" is the
// app's, and the app the bank's); after "de", a brand is a kind of thing
// ("conta de internet" is an expense).
func ownerOf(toks []string, i int) (theirs, bool) {
	last := toks[i] // the account the owner holds: "app" in "a senha do app do banco"
	for j := i + 1; j < len(toks); j++ {
		prep := ""
		if of[toks[j]] {
			prep = toks[j]
			j++
		}
		if j < len(toks) && possessives[toks[j]] {
			j++
		}
		if j >= len(toks) {
			break
		}
		o := toks[j]
		if accounts[o] {
			last = o
			continue
		}
		if theirOwn[o] && prep == "" && heldElsewhere[last] {
			// "o app deles": another company's.
			return theirs{words: strings.Join(toks[i:j+1], " "), owner: o, own: true}, true
		}
		th := theirs{words: strings.Join(toks[head(toks, i):j+1], " "), owner: o,
			brand: brands[o] && prep != "de" || hours[toks[i]] && (banks[o] || o == "agencia" || o == "agencias"),
			own:   prep != "de" && (personalBanking[last] && banks[o] || offices[o] || owned[o]),
			held: prep != "" && (heldElsewhere[toks[i]] || heldElsewhere[last] || hours[toks[i]] && prep != "de") &&
				!stopWords[o] && !isNumber(o)}
		if th.brand || th.own || th.held {
			// The rest of the noun phrase is the thing too: "o plano de
			// saúde da empresa". (Whose a bank's app is matters: "o app do
			// banco do cliente" is the cliente's.)
			for !th.own && j+2 < len(toks) && genitive[toks[j+1]] && !stopWords[toks[j+2]] {
				j += 2
			}
			th.words = strings.Join(toks[head(toks, i):j+1], " ")
			return th, true
		}
		if j+2 < len(toks) && of[toks[j+1]] && brands[toks[j+2]] && !kinds[toks[j+2]] {
			// A brand past the first owner is where the account is:
			// "o email da empresa no outlook".
			continue
		}
		break
	}
	return theirs{}, false
}

// head is where the words naming the account at toks[i] begin: a copy
// or part of it said before it is the same thing ("a segunda via da
// fatura do cartão", "o valor do plano da academia").
func head(toks []string, i int) int {
	if i < 2 || !genitive[toks[i-1]] || stopWords[toks[i-2]] {
		return i
	}
	if i >= 3 && !stopWords[toks[i-3]] && !of[toks[i-3]] {
		return i - 3 // "segunda via"
	}
	return i - 2
}

// rewrite replaces a padded word group.
type rewrite struct{ from, to string }

// rewrites holds fillerPhrases (dropped) then expressions, grouped by
// their first word: a text is searched for a group's phrases only when
// it has that word, so a message costs a few searches, not one per
// phrase.
var rewrites = func() []rewriteGroup {
	all := leaving
	for _, f := range fillerPhrases {
		all = append(all, rewrite{f, " "})
	}
	out := append(all, expressions...)
	var groups []rewriteGroup
	for _, e := range out {
		first := " " + strings.Fields(e.from)[0] + " "
		k := slices.IndexFunc(groups, func(g rewriteGroup) bool { return g.first == first })
		if k < 0 {
			k = len(groups)
			groups = append(groups, rewriteGroup{first: first})
		}
		groups[k].all = append(groups[k].all, e)
	}
	return groups
}()

// rewriteGroup is the rewrites whose phrases begin with one word.
type rewriteGroup struct {
	first string // the word, padded
	all   []rewrite
}

// families are forms of one word the stemmer does not bring together:
// a verb and its noun ("emitir" and "emissão", "vencem" and
// "vencimento"), an irregular form ("paguei", "corrijo"). Routing reads
// each as the first one.
var families = []string{
	"emitir emissao", "corrigir correcao corrijo corrija", "conectar conexao reconectar reconecto reconecta reconexao", "excluir exclusao",
	"anular anulacao", "retificar retificacao retifico retifica", "desfazer desfaco desfaca", "sincronizar sincronizacao", "vencer vencimento",
	"pagar paguei pague", "receber recebimento", "rejeitar rejeicao", "marcar marquei marque marquem",
}

// synonyms are verbs customers use for one thing ("anular" and
// "estornar" for "cancelar", "arrumar" for "corrigir"). A word routing
// does not know is read as the first of its group; one it knows keeps
// its own weight, since words of a group are not used alike ("gerar" is
// said of boletos more than of notes). Some groups are verbs that tell a
// topic's trails apart (see actionWeigh in route.go): what the customer
// wants done (an action), or what happened to the thing (an event).
var synonyms = []struct {
	kind  verbKind
	words string
}{
	{isAction, "cancelar anular estornar desfazer invalidar apagar deletar"},
	{isAction, "corrigir retificar consertar arrumar"},
	{isAction, "emitir gerar"},
	{isAction, "enviar reenviar mandar encaminhar compartilhar disparar"},
	{isAction, "conectar integrar vincular sincronizar"},
	{isEvent, "rejeitar recusar negar erro"},
	{isEvent, "compensar"},
}

// verbKind tells what a synonym group's verbs say.
type verbKind int

const (
	notVerb  verbKind = iota
	isAction          // what the customer wants done: only when not told in the past ("emiti")
	isEvent           // what happened to the thing: "a nota foi recusada"
)

// family maps a word's stem to its family's; synonym maps a stem (its
// family's) to its group's first; verbs tells what those firsts say.
var family, synonym, verbs = func() (map[string]string, map[string]string, map[string]verbKind) {
	f, s, v := map[string]string{}, map[string]string{}, map[string]verbKind{}
	for _, g := range families {
		ws := strings.Fields(g)
		for _, w := range ws {
			f[stem(w)] = stem(ws[0])
		}
	}
	for _, g := range synonyms {
		ws := strings.Fields(g.words)
		head := stem(ws[0])
		for _, w := range ws {
			s[stem(w)] = head
		}
		v[head] = g.kind
	}
	return f, s, v
}()

// action is the action or event a stem names, "" for none.
func action(st string) string {
	if h := synonym[st]; verbs[h] != notVerb {
		return h
	}
	return ""
}

// asks reports whether a word of an action or event group says what the
// text is about: an event always, an action unless told.
func asks(w word, a string) bool {
	return verbs[a] == isEvent || !told(w.surface)
}

// told reports whether an action word tells what was done, not what is
// wanted: the past ("emiti", "cancelei", "mandou") or a participle
// ("emitida", "cancelado"). "emiti a nota errada e quero cancelar" asks
// to cancel.
func told(surface string) bool {
	for _, end := range []string{"i", "ou", "iu", "eu", "ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"} {
		if strings.HasSuffix(surface, end) {
			return true
		}
	}
	return false
}

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
func normalWords(n string) []word { return readWords(n, nil, nil) }

// readWords is normalWords with the glossary g applied after the phrase
// lists: each term found is read as its meaning, and recorded in used
// (when not nil) once per entry.
func readWords(n string, g *glossary, used *[]GlossUse) []word {
	n = spelled(n)
	for _, rg := range rewrites {
		if strings.Contains(n, rg.first) {
			for _, e := range rg.all {
				n = strings.ReplaceAll(n, e.from, e.to)
			}
		}
	}
	var out []word
	toks := strings.Fields(n)
	for i := 0; i < len(toks); {
		t, ok := g.at(toks, i)
		if !ok {
			out = appendWord(out, toks[i], "")
			i++
			continue
		}
		term := strings.Join(toks[i:i+len(t.words)], " ")
		for _, m := range g.means[t.entry] {
			out = appendWord(out, m, term)
		}
		if used != nil && !slices.ContainsFunc(*used, func(u GlossUse) bool { return u.Pos == t.pos }) {
			*used = append(*used, GlossUse{Term: term, Means: g.entries[t.entry].Means.Value, Pos: t.pos})
		}
		i += len(t.words)
	}
	return out
}

// appendWord appends w unless it carries no topic; gloss is the glossary
// term it stands for, if any.
func appendWord(out []word, w, gloss string) []word {
	if len(w) < 2 || stopWords[w] || laughter(w) {
		return out
	}
	return append(out, word{surface: w, stem: wordStem(w), gloss: gloss})
}

// wordStem is the stem routing reads a folded content word as: its
// family's, or its own.
func wordStem(w string) string {
	st := stem(w)
	if f, ok := family[st]; ok {
		return f
	}
	return st
}

// spelled is normalized text n with repeated letters squeezed and
// abbreviations spelled out, padded with spaces for the phrase lists:
// "a nf n foi autorizada" is " a nota fiscal nao foi autorizada ".
func spelled(n string) string {
	var b strings.Builder
	b.Grow(len(n) + 16)
	b.WriteByte(' ')
	for _, tok := range strings.Fields(n) {
		tok = squeeze(tok)
		if exp, ok := abbreviations[tok]; ok {
			tok = exp
		}
		b.WriteString(tok)
		b.WriteByte(' ')
	}
	return b.String()
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
