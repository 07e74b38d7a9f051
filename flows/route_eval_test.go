package flows

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The routing measure: flows/phrasebook/*.tsv hold customer phrasings
// for the shipped flows.yaml, each labelled with the node a person would
// send it to ("-" for text that belongs to no trail). They are also what
// the learned model learns from (see learn.go), so each set is measured
// by a model trained on the others only (leave one set out): to the
// model, every set is text it never saw. The test answers each phrase as
// written at the main menu, and again at each sub-menu, exactly as the
// engine does, and prints the figures; it fails below each set's floor
// at the main menu, and at the sub-menus (all together) on the held-out
// sets. The ranking and its rules, though, were tuned looking at the
// sets up to holdout23; the history below is theirs, with the ranking
// alone.
//
// phrases.tsv is the tuned set: the router's constants and flows.yaml's
// examples were chosen looking at it. The holdout sets were written
// without looking at the router, the examples or each other's results
// (holdout2.tsv after the tuning on holdout.tsv; the sub-menu changes were
// then made looking at both), so their figures are the honest ones.
// holdout3.tsv was written before the sub-menu changes ran on it; its
// first figures (90.1% direct and 92.6% within one confirmation at the
// main menu, 89.8% and 91.7% at the sub-menus) missed the 95%, and its
// misses, by kind, led the next changes: a verb beaten by the object its
// trail's siblings share ("anular uma nota de serviço"), a person asked
// for in words the handoff did not know ("carne e osso" read as "carnê"),
// bills to pay in words no node used, a menu tied with its own trail.
// Those were fixed by general means (actionWeigh, word families,
// synonyms and expressions in words.go, the agent command's words, menuFor),
// never by its phrases, but it is no longer unseen: the next held-out set
// is the honest measure. Never copy their phrases into flows.yaml.
//
// holdout4.tsv is that set, written by someone who had not seen the
// router, its results or the other sets, in the words of customers who
// know their trade (CFOP, natureza da operação, RPS, denegada, the
// banks' names, "analista"). Its first figures were far from the
// targets (60.9% direct and 84.0% within one confirmation at the main
// menu); the glossary round answered its kinds of miss without opening
// it, and it then came out at 78.8% and 89.7%. holdout5.tsv was written
// blind after that round and measured once: 84.2% and 91.6% at the main
// menu, 85.0% and 91.6% at the sub-menus, three out-of-scope texts into
// a trail. Both are held at the floors they reached, not at the targets,
// until routing improves by general means; their phrases, like the
// others', never go into flows.yaml. Their misses were then looked at by
// kind: the out-of-scope texts into a trail were about the customer's
// own life (see Routing.Elsewhere), and none enters a trail now; the
// rejection told in the present, the bot turned down and "tanto X quanto
// Y" (see cues) raised both sets' floors. They are seen sets now.
// holdout6.tsv was written blind after that round and measured once:
// 76.8% and 86.5% at the main menu, eight out-of-scope texts into a
// trail, all about a consumer's own accounts with named companies. It
// has been looked at since, by kind: an account said of a consumer
// brand, of a bank (a card, an app) or of someone no node knows (see
// cues) enters no trail now; the trade's words it used that no node knew
// went into the glossary (never its phrases), and "os dois", "umas X,
// outras Y" and "faço os boletos" are read as words of the language. It
// is a seen set; the next blind one is the honest measure.
// holdout7.tsv was written blind after that round and measured once:
// 81.6% and 90.6% at the main menu, 82.0% and 90.8% at the sub-menus,
// four out-of-scope texts into a trail (five at the worst sub-menu).
// Its out-of-scope misses were then answered by kind (a lone typo, a
// message sent to the wrong chat, a public office's account): two are
// left at the main menu, three at the worst sub-menu. The ticket nodes
// were its largest kind of in-scope miss: a text now says whether it is
// about tickets the customer has or how tickets work (see settled).
// holdout8.tsv was written blind after that round, by someone who saw
// only the tree's titles and first messages, and measured once (without
// the seven phrases that were word for word examples of flows.yaml):
// 78.2% and 88.0% at the main menu, 78.4% and 87.8% at the sub-menus,
// four out-of-scope texts into a trail (five at the worst sub-menu). The
// rounds raise the sets they look at; a fresh set still comes in near
// 80% direct. Its misses were then answered by kind: "como" before a
// verb asks how, "por que" asks why (explanations, see explaining);
// "como está meu chamado" asks about the customer's ticket; lines tied
// to entries are reconciled, files no longer imported want the bank's
// feed, "não permitido" was rejected, stopping using the product is
// leaving it; another ERP, the home's condominium and the customer's CPF
// are their own life; the trade's words went into the glossary. It is a
// seen set now. holdout9.tsv was written blind after that round, in the
// voices of people unlike an office clerk (an old shop owner, a young
// freelancer's slang, an accountant's fragments, voice-to-text), and
// measured once (without the five phrases that were word for word
// examples): 81.9% and 88.1% at the main menu, 81.8% and 88.2% at the
// sub-menus, four out-of-scope texts into a trail (five at the worst
// sub-menu). Its misses were then answered by kind (a person asked for
// in more words, a personal bank app's password, a public office's
// statement, entries wanted without typing, the trade's words in the
// glossary): 85.0% and 91.2% at the main menu, two out-of-scope texts
// into a trail. holdout4 gave back one direct hit for that ("troquei a
// senha do app do banco" is now asked about: it is the customer's own
// app). holdout10.tsv was written blind after that round, in yet other
// voices (regional speech, a bookkeeper for many clients, quoted error
// texts, lists, fragments continuing a conversation), and measured once
// (without the two phrases that were word for word examples): 77.4%
// and 90.0% at the main menu, 77.5% and 90.2% at the sub-menus, three
// out-of-scope texts into a trail (four at the worst sub-menu).
// Its misses were then answered by kind (a personal device's password,
// a stranger's phone, what a plan includes, a note not accepted, the
// person at support, a boleto the bank will not take, "botar" for
// "colocar"): 79.1% and 92.6%, one out-of-scope text into a trail. It
// is a seen set. holdout11.tsv was written blind after that round, in
// the voices of owners and staff of many trades, and measured once
// (without the three phrases that were word for word examples): 79.9%
// and 90.0% at the main menu, 80.1% and 89.7% at the sub-menus, and
// eleven out-of-scope texts into a trail (twelve at the worst
// sub-menu): personal documents, other things' opening hours, a
// student's boleto, an app's account, a message sent to the wrong chat.
// Those kinds were then answered (see elsewhere, ownLife, of): none of
// its out-of-scope texts enters a trail now, at any menu, and no
// in-scope figure of any set fell. Its in-scope misses were then
// answered by kind (a ticket the customer opened asked about whatever
// its subject, the product's own charge, sessions and classes as
// services, lines checked against the bank): 83.8% and 92.6%. It is a
// seen set. holdout12.tsv was written blind after that round, as a Monday
// morning's queue, and measured once (without the four phrases that were
// word for word examples): 88.2% and 94.3% at the main menu, 88.6% and
// 94.2% at the sub-menus, but nine out-of-scope texts into a trail (ten
// at the worst sub-menu). Those were then answered by kind (a card named beside a
// bank, a utility's bill, the home's gate, a store's purchase, another
// ERP, a gym's charge, an ATM): one is left ("comprar picanha pra
// sábado": a keyword among unknown words, which "diminuir o plano pq tá
// pesando no bolso" needs to keep). Its in-scope misses were then answered by kind (a person
// asked for wins over the subject they will talk about, see
// personAsked; the boleto as a sale's form of payment and the students'
// monthly fees are boletos the company issues; the e-mail of the
// account is the login): 91.7% and 96.9%. It is a seen set.
// holdout13.tsv was written blind after that round, its out-of-scope
// texts mostly messages sent to the wrong chat, and measured once:
// 86.2% and 93.1% at the main menu, 86.4% and 93.1% at the sub-menus,
// seven out-of-scope texts into a trail (nine at the worst sub-menu).
// Its misses were then answered by kind (a message meant for the
// customer's own customer, the home, a store's purchase, a pix to the
// wrong person, savings, "bloqueado" and "desbloqueio" as one word,
// moving money, "reconectar", the trade's words): 87.9% and 95.3%, one
// out-of-scope text into a trail ("pode mandar a nota ... junto com a
// entrega?", meant for a supplier). It is a seen set. holdout14.tsv
// was written blind after that round and measured once (without the
// three phrases that were word for word examples): 83.4% and 91.3% at
// the main menu, 84.1% and 91.2% at the sub-menus, ten out-of-scope
// texts into a trail (eleven at the worst sub-menu). Blind sets after
// a round have come in between 77% and 88% direct, 88% and 94% within
// one confirmation, with three to eleven out-of-scope texts into a
// trail: the targets are not met on unseen text. Its out-of-scope
// misses were then answered by kind (a phone chip, a mall, the
// government's portal, a meal voucher, "você me mandou", a message
// opening with "chefe", lunch only as a time): three are left at the
// main menu.
// holdout15.tsv was written blind after the round on holdout14's
// in-scope misses and measured once (without the two phrases that were
// word for word examples): 88.6% direct and 96.5% within one
// confirmation at the main menu, 88.5% and 96.3% at the sub-menus, both
// over the targets; but eleven out-of-scope texts went into a trail
// (thirteen at the worst sub-menu), about the customer's own cards,
// bills, services and apps. Those were then answered by kind (a brand or
// someone unknown acting on a plan or bill, what happens to a person's
// card, a boleto of a loan or the rent, a place's hours, a copy of an
// owned bill): three are left at the main menu.
// holdout16.tsv and holdout17.tsv were written blind after that round
// and measured once (without four and six phrases that were word for
// word examples): holdout16 87.9% direct and 93.1% within one
// confirmation at the main menu, four out-of-scope texts into a trail
// (one fewer than before the round); holdout17 86.3% and 92.1%, twelve
// (as before the round). The round's answers did not carry to new
// writers' out-of-scope texts. Their misses were then answered by kind:
// a message opening with a title and a name ("seu João,"), a ticket
// opened with someone unknown, a named company whose a thing is, a
// statement of a payable, "resolvido" alone, and a text asking for the
// menu or its options, which was read as "não entendi".
// holdout18.tsv and holdout19.tsv were written blind after that round
// and measured once (without five and one phrases that were word for
// word examples): holdout18 83.0% direct and 90.4% within one
// confirmation at the main menu, fourteen out-of-scope texts into a
// trail; holdout19 84.9% and 92.2%, seven. Their misses were then
// answered by kind: a place's opening hours, a bill someone sent the
// customer or one for what they bought, a ticket opened at someone
// else, a text that is a node's whole title, the menu named among other
// words, being transferred, "resolver sozinho" (by oneself, not the
// bank's feed), "já li" (no topic).
// holdout20.tsv and holdout21.tsv were written blind after that round
// and measured once (without two phrases each that were word for word
// examples): holdout20 82.8% direct and 91.4% within one confirmation at
// the main menu, seven out-of-scope texts into a trail; holdout21 81.5%
// and 90.5%, ten. Their misses were then answered by kind: an account
// "ao" a public office, a company's app "deles", a ticket "da" someone
// unknown, an order the customer bought, a bill they received, a card's
// bill to split, a bank branch's hours, starting over, and in the
// glossary and examples: someone "atendendo" now, whether support is
// charged, the official number, the "solicitante" of a ticket (which
// holdout17's "solicitação ... que abri" now shares a stem with: its
// floor within one at the sub-menus went from 93 to 92).
// holdout22.tsv and holdout23.tsv were written blind after that round
// and measured once (without one phrase of holdout23 that was word for
// word an example): holdout22 81.1% direct and 93.3% within one
// confirmation at the main menu, eight out-of-scope texts into a trail;
// holdout23 79.9% and 92.7%, five. Six rounds on seven blind pairs have
// not lifted what a new writer's text gets straight (80-89%); within one
// confirmation it is 90-97%, and new writers still find three to
// fourteen texts of their own lives that enter a trail. Their misses
// were then answered by kind: a menu asked to be shown among other
// words, or named when routing found nothing ("começo" only where to go
// back to), "grata", a vocative after a greeting, a purchase not
// recognized, a ticket opened somewhere routing does not know; then a
// relative who asks through the writer ("meu pai quer saber") and "é o
// mesmo que", "pra que serve" asking how a thing works.
// holdout24.tsv and holdout25.tsv were written blind after all of that
// and measured once (without two and one phrases that were word for word
// examples): holdout24 81.9% direct and 90.5% within one confirmation at
// the main menu, eleven out-of-scope texts into a trail; holdout25 85.3%
// and 93.5%, three. Nothing was changed for them.
//
// Then the learned model joined the ranking (learn.go, learnedAnswer),
// trained on the twenty-six sets, and holdout26.tsv (an auto repair
// shop) and holdout27.tsv (a beauty salon) were written blind and
// measured once with it (without three and six phrases that were word
// for word examples): holdout26 92.7% direct and 96.6% within one
// confirmation at the main menu, three out-of-scope texts into a trail
// (the ranking alone: 84.0%, 92.7%, twelve); holdout27 93.9%, 97.1%, two
// (alone: 84.0%, 94.7%, eight). The answer's policy was then set on
// them and on the others left out in turn, and holdout28.tsv (a
// pharmacy) and holdout29.tsv (a farm-supply store, regional speech)
// were written blind and measured once (without three phrases each):
// holdout28 93.0% and 96.3% at the main menu, three into a trail (alone:
// 85.5%, 93.4%, ten); holdout29 90.3% and 95.8%, two (alone: 77.1%,
// 91.1%, six). Learning from customers' phrasings met the first two
// targets on unseen text where twenty rounds of rules had not; text of
// the customer's own life that shares the trails' words still enters a
// trail two or three times in ninety. All four then joined the
// phrasebook, and rare words were learned as such (see rareUpTo), which
// over the thirty sets left out in turn took the out-of-scope texts into
// a trail from 47 to 33 at the main menu. holdout30.tsv (a computer
// and phone repair shop, tech slang) and holdout31.tsv (a driving and
// language school, messages forwarded for others) were then written
// blind and measured once (without two and three phrases that were
// examples): holdout30 95.9% direct and 98.4% within one confirmation at
// the main menu, four out-of-scope texts into a trail (the ranking
// alone: 84.0%, 93.4%, fifteen); holdout31 94.3%, 98.4% and none, at the
// sub-menus too (alone: 78.3%, 90.6%, eight). Then a text naming the
// customer's own things went into a trail only on a near-certain guess
// (see learnOwned): over the thirty-two sets, 39 out-of-scope texts into
// a trail at the main menu became 34. holdout32.tsv (a family bakery in
// Minas Gerais) and holdout33.tsv (a vet clinic and pet shop in Porto
// Alegre) were then written blind and measured once: 92.7% direct, 98.0%
// within one confirmation and three out-of-scope texts into a trail
// (the ranking alone: 82.3%, 92.7%, twelve); 94.3%, 97.2% and one
// (alone: 81.3%, 92.7%, thirteen). With them learned, a trail the model
// is sure of was asked about while "no node" kept a small chance (see
// learnDoubt): over the thirty-four sets, 36 out-of-scope texts into a
// trail at the main menu became 17, for 0.7 points direct.
// holdout34.tsv (a building-materials store in Recife) and holdout35.tsv
// (an events company in São Paulo), written blind with them, were
// measured before that rule and after: 96.7% and 93.0% direct became
// 96.3% and 91.8%, within one 100% and 98.4% became 100% and 98.8%, six
// out-of-scope texts into a trail became three in each.
// holdout36.tsv to holdout39.tsv (a boat-tour company in Bahia, a print
// shop in Curitiba, a courier business in Manaus, a solar-panel
// installer in Goiânia) were then written blind and measured once by the
// model trained on the thirty-six sets: 93.9%, 93.9%, 95.5% and 96.0%
// direct, 98.4% to 98.8% within one confirmation, five, one, one and
// three out-of-scope texts into a trail (the ranking alone: 82.9% to
// 85.4%, 92.7% to 94.7%, nine to fifteen). Then the contrast pairs
// (contrast*.tsv, never measured) were learned too: over the forty sets,
// out-of-scope texts into a trail at the main menu went from 28 to 17
// (118 to 67 at the sub-menus), for 1.2 points direct. holdout40.tsv to
// holdout43.tsv (a family supermarket, a coworking space, an auto parts
// store, a psychology clinic) were then written blind and measured once
// by the model trained on the forty sets and the pairs: 91.5%, 93.1%,
// 91.9% and 96.0% direct, 98.4% to 98.8% within one confirmation, one,
// none, one and none out-of-scope texts into a trail (none at the
// sub-menus either in holdout41 and holdout43; the ranking alone: 80.2%
// to 85.5%, 92.7% to 96.0%, eight to fourteen). A second round of
// contrast pairs, on the kinds of text still entering a trail, took
// those from 21 to 16 over the forty-four sets. holdout44.tsv to
// holdout47.tsv (a translation office, a garden centre, a music school,
// an air-conditioning installer) were then written blind and measured
// once: 95.1%, 94.6%, 93.5% and 94.6% direct, 98.8% to 99.6% within one
// confirmation, one, two, none and four out-of-scope texts into a trail
// (the ranking alone: 80.6% to 86.4%, 90.5% to 95.1%, nine to twelve).
// holdout48.tsv to holdout51.tsv (a feed distributor, an online cosmetics
// shop, an engineering firm, a chain of bakery-cafés), written blind
// after those joined, were measured once: 96.7%, 94.8%, 95.9% and 95.1%
// direct, 98.8% to 99.2% within one confirmation, one, none, three and
// one out-of-scope texts into a trail (the ranking alone: 82.9% to
// 89.0%, 93.1% to 95.9%, nine to fifteen); then a third round of
// contrast pairs, measured on them second: none, none, three and one.
// holdout52.tsv to holdout55.tsv (a dental laboratory, a hostel and surf
// school, a security systems company, a second-hand clothing shop),
// written blind after that round, were measured once: 95.1%, 91.9%,
// 94.7% and 96.0% direct, 97.6% to 99.6% within one confirmation, one,
// none, one and none out-of-scope texts into a trail (the ranking alone:
// 82.1% to 87.4%, 93.1% to 95.9%, six to sixteen). holdout56.tsv to
// holdout59.tsv (an optician's shop, a laundry, a carpentry workshop, a
// language school) were written blind and measured once, without and
// with the second opinion (see fitOutside): 98.9% -> 98.3%, 97.9% ->
// 97.4%, 96.3% and 92.3% direct, 97.8% to 99.5% within one confirmation
// either way, none, two, two -> none, and one out-of-scope text into a
// trail (the ranking alone: 79.1% to 86.4%, 91.1% to 94.1%, eleven to
// seventeen). holdout60.tsv to holdout63.tsv (a craft brewery, a
// physiotherapy clinic, a pet shop, an equipment rental), written blind
// after those joined, were measured once: 96.2%, 96.2%, 97.8% and 94.7%
// direct, 98.9% to 99.5% within one confirmation, none, none, two and
// one out-of-scope texts into a trail (the ranking alone: 74.5% to
// 86.1%, 90.8% to 95.7%, nine to seventeen); then a fourth round of
// contrast pairs, measured on them second: 96.7%, 96.7%, 97.8% and 94.7%,
// the same into a trail. holdout64.tsv to holdout67.tsv (two pharmacies,
// a motorcycle repair shop, a photography studio, a cleaning company),
// written blind after those joined, were measured once: 94.0%, 95.8%,
// 92.2% and 96.3% direct, 98.2% to 100% within one confirmation, none,
// none, one and two out-of-scope texts into a trail (the ranking alone:
// 81.0% to 88.0%, 92.7% to 94.6%, seven to nineteen). holdout68.tsv to
// holdout71.tsv (a school-uniform factory, an audiology clinic, an
// organic farm, an IT support company), written blind after the second
// opinion's step went to 0.5, were measured once: 94.7%, 94.2%, 96.8%
// and 97.0% direct, 97.4% to 99.4% within one confirmation, one, two,
// none and one out-of-scope texts into a trail (the ranking alone: 78.4%
// to 85.5%, 92.0% to 94.0%, nine to thirteen). holdout72.tsv to
// holdout75.tsv (a vehicle documentation agency, a solar panel
// installer, a honey producer, a dental prosthetics laboratory), written
// blind before the second opinion's bar went from 70% to 40%, were
// measured once with each: 97.0%, 98.3%, 96.2% and 98.3% direct became
// 96.3%, 97.2%, 95.5% and 97.7%, within one confirmation 100%, 98.3%,
// 98.7% and 99.4% became 100%, 97.7%, 98.1% and 99.4%, and three, one,
// two and one out-of-scope texts into a trail became one, one, none and
// none (13, 4, 8, 4 -> 4, 4, 1, 0 at the sub-menus; the ranking alone:
// 80.1% to 87.2%, 91.3% to 95.1%, ten to nineteen). holdout76.tsv to
// holdout79.tsv (a funeral services company, a tattoo studio, a
// recycling cooperative, a home care nursing service), written blind
// after those joined, were measured once at 40%: 96.6%, 95.9%, 97.7% and
// 91.4% direct, 97.6% to 99.4% within one confirmation, none, none, none
// and one out-of-scope text into a trail (none, none, none and four at
// the sub-menus; the ranking alone: 77.6% to 84.7%, 90.6% to 94.3%,
// eleven to nineteen); at 70%, measured second, one, none, none and one.
// holdout80.tsv to holdout83.tsv (a driving school, a gas station, a
// used-car dealership, an event buffet), written blind after those
// joined, were measured once with the family-words rule (see kin):
// 93.2%, 95.3%, 93.5% and 98.0% direct, 97.6% to 99.3% within one
// confirmation, none, one, three and one out-of-scope texts into a
// trail or a person (none, four, twelve and four at the sub-menus; the
// ranking alone: 78.2% to 85.7%, 92.0% to 94.0%, eleven to nineteen);
// without the rule, second, the buffet's 98.0% was 95.4%. Two of the
// used-car dealership's three were someone else's attendant, which the
// rule on persons (see persons) came after. holdout84.tsv to
// holdout87.tsv (a bicycle shop, a construction materials store, a
// dermatology clinic, a coffee roaster), written blind after those
// joined, were measured once with the second opinion's pull at 0.003
// and bar at 35%: 97.7%, 99.4%, 97.6% and 96.9% direct, 98.7% to 100%
// within one confirmation, none, one, none and one out-of-scope text
// into a trail or a person (none, four, none and four at the sub-menus;
// the ranking alone: 80.7% to 87.2%, 91.6% to 93.3%, ten to thirteen);
// with the pull at 0.0001 and the bar at 40%, second, the same but
// 97.5% direct in the coffee roaster's. holdout88.tsv to holdout91.tsv
// (a private security company, a fishing supplies shop, a school
// transport operator, a print-on-demand t-shirt shop), written blind
// after those joined, were measured once: 95.7%, 97.7%, 92.5% and 97.0%
// direct, 98.2% to 99.4% within one confirmation, and no out-of-scope
// text into a trail or to a person in any, at any menu (the ranking
// alone: 76.5% to 86.2%, 93.9% to 96.0%, twelve to sixteen).
// holdout92.tsv to holdout95.tsv (a locksmith, a musical instruments
// store, an ice cream factory, a pool maintenance company), written
// blind after those joined, were measured once: 93.6%, 95.3%, 95.3% and
// 97.2% direct, 98.1% to 100% within one confirmation, none, none, one
// and none out-of-scope texts into a trail (none, none, four and none
// at the sub-menus; the ranking alone: 81.4% to 86.0%, 91.0% to 95.9%,
// thirteen to eighteen). The ice cream factory's one, an invoice a
// client issued to the customer, is what the rule on invoices issued to
// the customer (see notes) came after. holdout96.tsv to holdout99.tsv (a
// large-animal veterinary practice, a quick-print shop, a surf school,
// an elevator maintenance company), written blind after those joined,
// were measured once: 98.1%, 97.2%, 97.5% and 96.6% direct, 98.3% to
// 100% within one confirmation, three, none, none and one out-of-scope
// texts into a trail (twelve, none, none and four at the sub-menus; the
// ranking alone: 81.6% to 89.3%, 91.2% to 94.9%, nine to fourteen).
// The elevator company's one, an e-mail's password "no outlook", is what
// the rule on a brand past an account's owner (see ownerOf) came after.
// holdout100.tsv to holdout103.tsv (a confectionery, an agricultural
// drone spraying service, a marble workshop, a sworn translation
// office), written blind after those joined, were measured once: 95.7%,
// 95.3%, 98.0% and 95.7% direct, 97.1% to 99.4% within one
// confirmation, none, two, one and one out-of-scope texts into a trail
// (none, eight, four and four at the sub-menus; the ranking alone:
// 77.6% to 83.2%, 89.4% to 92.9%, eight to sixteen). Two of those were
// invoices a seller issued, which the rule on sellers (see sellers)
// came after. holdout104.tsv to holdout107.tsv (a fitness equipment
// store, a hair salon, a river boat transport company, a small software
// house), written blind after those joined, were measured once: 97.8%,
// 97.1%, 96.7% and 96.1% direct, 98.7% to 99.4% within one
// confirmation, none, none, one and none out-of-scope texts into a
// trail (none, none, four and none at the sub-menus; the ranking alone:
// 80.0% to 85.7%, 92.5% to 95.4%, thirteen to fourteen). The boat
// company's one, an invoice a shipyard is to fix ("quero q ele
// corrija"), is what the rule on someone else named to fix a thing (see
// fixes) came after. holdout108.tsv to holdout111.tsv (a cachaça
// distillery, an outsourced hospital laundry, a soccer field rental, a
// piano restoration workshop), written blind after those joined, were
// measured once: 97.3%, 98.2%, 96.8% and 97.3% direct, 98.9% to 100%
// within one confirmation, and no out-of-scope text into a trail in
// any, at any menu (the ranking alone: 80.1% to 83.0%, 91.7% to 93.6%,
// eight to thirteen). holdout112.tsv to holdout115.tsv (a kitchen
// cabinet factory, a pet cremation service, a tutoring centre, an açaí
// trailer), written blind after those joined, were measured once:
// 97.3%, 98.1%, 91.9% and 94.4% direct, 97.8% to 99.4% within one
// confirmation, none, one, none and none out-of-scope texts into a trail
// (none, four, none and none at the sub-menus; the ranking alone: 76.9%
// to 82.2%, 91.7% to 94.9%, ten to eighteen). The tutoring centre's
// parents ("pai de aluno pediu nota") are what the rule on a family word
// before whose relative it is (see someonesKin) came after: 94.3% then.
// holdout116.tsv to holdout119.tsv (a riding school, a safety equipment
// distributor, a bakery, a sign company), written blind after those
// joined, were measured once: 99.3%, 97.6%, 96.8% and 96.9% direct,
// 99.4% to 100% within one confirmation, none, one, none and none
// out-of-scope texts into a trail (none, four, none and none at the
// sub-menus; the ranking alone: 81.1% to 87.0%, 91.0% to 95.1%, eight to
// eighteen). The distributor's one, a state tax office's hours, is what
// the rule on public bodies' hours (see publicBodies) came after.
// holdout120.tsv to holdout123.tsv (a natural cosmetics maker, a moving
// company, an agricultural machinery parts shop, a children's party
// entertainment company), written blind after those joined, were
// measured once: 96.9%, 97.5%, 97.4% and 97.6% direct, 98.1% to 100%
// within one confirmation, none, one, none and none out-of-scope texts
// into a trail (none, four, none and none at the sub-menus; the ranking
// alone: 82.7% to 86.5%, 92.9% to 95.7%, ten to sixteen).
// holdout124.tsv to holdout127.tsv (a nautical workshop, a spice
// wholesaler, an occupational health clinic, a photocopy shop), written
// blind after those joined, were measured once: 99.3%, 98.8%, 95.5% and
// 96.8% direct, 98.1% to 99.4% within one confirmation, and no
// out-of-scope text into a trail at any menu (the ranking alone: 80.0%
// to 85.0%, 90.3% to 93.6%, ten to fourteen).
// holdout128.tsv to holdout131.tsv (a car wash, an outsourced jeans
// sewing workshop, a customs broker, an elderly care home), written blind
// after those joined, were measured once: 96.8%, 95.5%, 98.1% and 97.8%
// direct, 98.7% to 100% within one confirmation, and no out-of-scope
// text into a trail at any menu (the ranking alone: 75.3% to 87.9%,
// 91.6% to 96.8%, seven to eighteen).
// holdout132.tsv to holdout135.tsv (a pousada, a sawmill, a bookshop and
// café, a commercial refrigeration repairer), written blind after those
// joined, were measured once: 96.0%, 100%, 96.5% and 97.4% direct,
// 99.4% to 100% within one confirmation, two, one, none and none
// out-of-scope texts into a trail (eight, four, none and none at the
// sub-menus; the ranking alone: 77.8% to 87.1%, 90.1% to 96.8%, ten to
// seventeen): a restaurant's and a hospital's hours in the support's
// words and a state system's password ("entrar no sisflora"), which the
// rules on places' hours (see opens) and on systems no node knows (see
// logsIn) came after.
// holdout136.tsv to holdout139.tsv (a chocolate factory, a fish farming
// cooperative, a medical equipment rental, a car audio shop), written
// blind after those joined, were measured once: 98.6%, 98.8%, 97.8% and
// 99.4% direct, 100% within one confirmation, none, one, none and one
// out-of-scope texts into a trail (none, four, none and four at the
// sub-menus; the ranking alone: 76.9% to 86.5%, 91.3% to 96.3%, five to
// twelve): an animal transit form cancelled in a state agency's system
// ("a gta q emiti errado na idaron"), which the rule on systems a
// document was issued in (see issues) came after, and whether tomorrow
// is a holiday in the customer's city.
// holdout140.tsv to holdout143.tsv (a school canteen operator, a dog
// daycare, a hardware store, a party rental), written blind after those
// joined, were measured once: 98.2%, 97.5%, 96.2% and 98.0% direct,
// 98.8% to 100% within one confirmation, and no out-of-scope text into a
// trail at any menu (the ranking alone: 81.5% to 86.1%, 92.4% to 96.0%,
// eight to fourteen).
// holdout144.tsv to holdout147.tsv (an agronomy consultancy, a bridal
// dress rental, a metalworker, a Japanese food delivery), written blind
// after those joined, were measured once: 96.4%, 93.8%, 93.0% and 98.1%
// direct, 96.9% to 100% within one confirmation, one, none, one and none
// out-of-scope texts into a trail (four, none, four and none at the
// sub-menus; the ranking alone: 80.1% to 88.7%, 92.4% to 96.4%, ten to
// fifteen): a rural insurance programme's answer and a water utility's
// bill, which the utilities and programmes in elsewhere came after; the
// metalworker's gates, which that list then let go (98.1%).
// holdout148.tsv to holdout151.tsv (a funeral flower shop, a plumber, a
// small publishing house, a religious articles shop), written blind
// after those joined, were measured once: 98.8%, 95.7%, 98.1% and 96.8%
// direct, 98.6% to 100% within one confirmation, none, one, none and none
// out-of-scope texts into a trail (none, four, none and none at the
// sub-menus; the ranking alone: 81.0% to 84.7%, 93.5% to 95.0%, ten to
// fourteen): a Google account's two-step code, left as it is ("google"
// among the brands would take "entrar com o login do google" and "a
// fatura da google cloud como despesa" from their trails).
// holdout152.tsv to holdout155.tsv (a dairy, a pest control company, a
// video and drone studio, a rural feed store), written blind after those
// joined, were measured once: 95.4%, 99.4%, 99.4% and 98.1% direct,
// 98.1% to 100% within one confirmation, and no out-of-scope text into a
// trail at any menu (the ranking alone: 79.5% to 84.8%, 91.0% to 96.4%,
// five to thirteen).
// holdout156.tsv to holdout159.tsv (a beekeeper, a tire shop, a vehicle
// paperwork dispatcher, an upholstery shop), written blind after those
// joined, were measured once: 96.7%, 95.2%, 97.1% and 98.3% direct,
// 97.8% to 99.4% within one confirmation, none, none, one and one
// out-of-scope text into a trail (one, none, four and four at the
// sub-menus; the ranking alone: 83.4% to 86.7%, 90.3% to 94.0%, fourteen
// to fifteen): a vehicle's transfer, read as a transfer to a person, and
// an accountant's claim checked ("é verdade?"), which the rules on
// transferring a thing and on a claim checked came after.
// holdout160.tsv to holdout163.tsv (a cattle auction company, a glass
// and mirror installer, a drywall contractor, a watch repair and
// jewellery shop), written blind after those joined, were measured once:
// 97.0%, 98.6%, 95.7% and 94.9% direct, 98.2% to 100% within one
// confirmation, and no out-of-scope text into a trail at any menu (the
// ranking alone: 76.2% to 87.4%, 90.1% to 95.2%, nine to fourteen).
// holdout164.tsv to holdout167.tsv (a tow truck service, a butcher
// shop, a pottery studio, a hostel), written blind after those joined,
// were measured once: 96.5%, 98.8%, 96.2% and 99.3% direct, 99.4% to
// 100% within one confirmation, none, none, one and one out-of-scope
// text into a trail (none, none, three and four at the sub-menus; the
// ranking alone: 76.2% to 83.1%, 90.7% to 94.8%, nine to fifteen): a
// marketplace's notice of a password expired and a hostel's check-in
// hours, which the rules on who sent a notice and on what a text asks
// the hours of came after.
// holdout168.tsv to holdout171.tsv (an ice factory, a craft brewery, a
// driving school, a tailoring shop), written blind after those joined,
// were measured once: 97.3%, 99.4%, 97.6% and 97.3% direct, 98.6% to
// 100% within one confirmation, and no out-of-scope text into a trail at
// any menu (the ranking alone: 79.2% to 87.3%, 93.3% to 95.3%, seven to
// thirteen).
// holdout172.tsv to holdout175.tsv (a gas and water delivery shop, a
// curtains and blinds shop, a fee-fishing lake, an aquarium shop),
// written blind after those joined, were measured once: 97.9%, 96.5%,
// 96.9% and 97.4% direct, 97.9% to 100% within one confirmation, and no
// out-of-scope text into a trail at any menu (the ranking alone: 77.9%
// to 85.2%, 91.5% to 93.0%, seven to thirteen).
// holdout176.tsv to holdout179.tsv (a landscaping company, an
// electrician, a pizzeria, a house painter), written blind after those
// joined, were measured once: 98.7%, 94.5%, 99.3% and 97.6% direct,
// 98.7% to 100% within one confirmation, and no out-of-scope text into a
// trail at any menu (the ranking alone: 76.6% to 84.1%, 91.4% to 94.1%,
// ten to seventeen).
// holdout180.tsv to holdout183.tsv (a phone repair shop, a shoemaker, a
// toy store, a fabric store), written blind after those joined, were
// measured once: 98.1%, 96.9%, 98.1% and 97.1% direct, 98.8% to 100%
// within one confirmation, and no out-of-scope text into a trail at any
// menu (the ranking alone: 81.9% to 84.1%, 92.3% to 94.4%, nine to
// thirteen): the sixteenth set in a row with none. The floors below are
// each set's figures with the others learned.
var labelledSets = []struct {
	name           string
	minIn, min     int     // the least in-scope and out-of-scope phrases it holds
	held           bool    // held out: the targets hold at the sub-menus too
	direct, within float64 // the least direct accuracy, and within one confirmation
	intoTrail      int     // the most out-of-scope phrases into a trail at one menu: 0, the target, but where a held-out set came out
}{
	{"phrases.tsv", 150, 40, false, 91, 97, 0},
	{"holdout.tsv", 150, 40, true, 93, 98, 0},
	{"holdout2.tsv", 60, 15, true, 99, 99, 0},
	{"holdout3.tsv", 60, 15, true, 98, 99, 0},
	{"holdout4.tsv", 150, 25, true, 90, 96, 0},
	{"holdout5.tsv", 150, 40, true, 94, 97, 0},
	{"holdout6.tsv", 150, 40, true, 88, 94, 0},
	{"holdout7.tsv", 150, 40, true, 96, 97, 0},
	{"holdout8.tsv", 150, 40, true, 96, 97, 0},
	{"holdout9.tsv", 150, 40, true, 95, 97, 0},
	{"holdout10.tsv", 150, 40, true, 90, 93, 0},
	{"holdout11.tsv", 150, 40, true, 94, 96, 0},
	{"holdout12.tsv", 150, 40, true, 97, 97, 0},
	{"holdout13.tsv", 150, 40, true, 95, 98, 0},
	{"holdout14.tsv", 150, 40, true, 97, 98, 0},
	{"holdout15.tsv", 150, 40, true, 96, 99, 0},
	{"holdout16.tsv", 150, 40, true, 95, 96, 0},
	{"holdout17.tsv", 150, 40, true, 93, 95, 1},
	{"holdout18.tsv", 150, 40, true, 95, 97, 0},
	{"holdout19.tsv", 150, 40, true, 94, 96, 1},
	{"holdout20.tsv", 150, 40, true, 95, 97, 1},
	{"holdout21.tsv", 150, 40, true, 91, 97, 1},
	{"holdout22.tsv", 150, 40, true, 93, 96, 1},
	{"holdout23.tsv", 150, 40, true, 91, 95, 1},
	{"holdout24.tsv", 150, 40, true, 95, 97, 0},
	{"holdout25.tsv", 150, 40, true, 95, 97, 0},
	{"holdout26.tsv", 150, 40, true, 94, 98, 0},
	{"holdout27.tsv", 150, 40, true, 94, 97, 1},
	{"holdout28.tsv", 150, 40, true, 95, 97, 0},
	{"holdout29.tsv", 150, 40, true, 87, 95, 0},
	{"holdout30.tsv", 150, 40, true, 93, 96, 0},
	{"holdout31.tsv", 150, 40, true, 94, 97, 0},
	{"holdout32.tsv", 150, 40, true, 93, 97, 0},
	{"holdout33.tsv", 150, 40, true, 94, 96, 0},
	{"holdout34.tsv", 150, 40, true, 96, 99, 0},
	{"holdout35.tsv", 150, 40, true, 96, 98, 1},
	{"holdout36.tsv", 150, 40, true, 95, 98, 0},
	{"holdout37.tsv", 150, 40, true, 95, 97, 0},
	{"holdout38.tsv", 150, 40, true, 95, 97, 0},
	{"holdout39.tsv", 150, 40, true, 94, 97, 0},
	{"holdout40.tsv", 150, 40, true, 94, 97, 0},
	{"holdout41.tsv", 150, 40, true, 95, 97, 0},
	{"holdout42.tsv", 150, 40, true, 93, 97, 0},
	{"holdout43.tsv", 150, 40, true, 96, 98, 0},
	{"holdout44.tsv", 150, 40, true, 95, 97, 1},
	{"holdout45.tsv", 150, 40, true, 93, 97, 1},
	{"holdout46.tsv", 150, 40, true, 95, 98, 0},
	{"holdout47.tsv", 150, 40, true, 96, 98, 0},
	{"holdout48.tsv", 150, 40, true, 96, 98, 0},
	{"holdout49.tsv", 150, 40, true, 96, 97, 0},
	{"holdout50.tsv", 150, 40, true, 95, 97, 2},
	{"holdout51.tsv", 150, 40, true, 96, 98, 0},
	{"holdout52.tsv", 150, 40, true, 95, 97, 0},
	{"holdout53.tsv", 150, 40, true, 92, 96, 2},
	{"holdout54.tsv", 150, 40, true, 95, 97, 1},
	{"holdout55.tsv", 150, 40, true, 97, 98, 0},
	{"holdout56.tsv", 150, 40, true, 98, 98, 0},
	{"holdout57.tsv", 150, 40, true, 97, 97, 0},
	{"holdout58.tsv", 150, 40, true, 98, 98, 0},
	{"holdout59.tsv", 150, 40, true, 95, 98, 0},
	{"holdout60.tsv", 150, 40, true, 97, 99, 0},
	{"holdout61.tsv", 150, 40, true, 97, 98, 0},
	{"holdout62.tsv", 150, 40, true, 98, 98, 0},
	{"holdout63.tsv", 150, 40, true, 96, 97, 1},
	{"holdout64.tsv", 150, 40, true, 97, 98, 0},
	{"holdout65.tsv", 150, 40, true, 97, 97, 0},
	{"holdout66.tsv", 150, 40, true, 98, 98, 0},
	{"holdout67.tsv", 150, 40, true, 96, 98, 0},
	{"holdout68.tsv", 150, 40, true, 97, 97, 0},
	{"holdout69.tsv", 150, 40, true, 95, 97, 0},
	{"holdout70.tsv", 150, 40, true, 96, 97, 0},
	{"holdout71.tsv", 150, 40, true, 96, 98, 0},
	{"holdout72.tsv", 150, 40, true, 97, 98, 1},
	{"holdout73.tsv", 150, 40, true, 96, 97, 0},
	{"holdout74.tsv", 150, 40, true, 97, 98, 0},
	{"holdout75.tsv", 150, 40, true, 97, 98, 1},
	{"holdout76.tsv", 150, 40, true, 97, 97, 0},
	{"holdout77.tsv", 150, 40, true, 96, 97, 0},
	{"holdout78.tsv", 150, 40, true, 98, 98, 0},
	{"holdout79.tsv", 150, 40, true, 96, 98, 1},
	{"holdout80.tsv", 150, 40, true, 96, 97, 0},
	{"holdout81.tsv", 150, 40, true, 95, 97, 0},
	{"holdout82.tsv", 150, 40, true, 95, 98, 2},
	{"holdout83.tsv", 150, 40, true, 98, 98, 0},
	{"holdout84.tsv", 150, 40, true, 97, 99, 0},
	{"holdout85.tsv", 150, 40, true, 97, 99, 0},
	{"holdout86.tsv", 150, 40, true, 98, 98, 0},
	{"holdout87.tsv", 150, 40, true, 97, 98, 0},
	{"holdout88.tsv", 150, 40, true, 97, 97, 0},
	{"holdout89.tsv", 150, 40, true, 97, 98, 0},
	{"holdout90.tsv", 150, 40, true, 94, 98, 0},
	{"holdout91.tsv", 150, 40, true, 97, 97, 0},
	{"holdout92.tsv", 150, 40, true, 97, 97, 0},
	{"holdout93.tsv", 150, 40, true, 97, 98, 0},
	{"holdout94.tsv", 150, 40, true, 97, 98, 0},
	{"holdout95.tsv", 150, 40, true, 97, 99, 0},
	{"holdout96.tsv", 150, 40, true, 97, 99, 2},
	{"holdout97.tsv", 150, 40, true, 97, 97, 0},
	{"holdout98.tsv", 150, 40, true, 97, 98, 0},
	{"holdout99.tsv", 150, 40, true, 96, 97, 0},
	{"holdout100.tsv", 150, 40, true, 96, 98, 0},
	{"holdout101.tsv", 150, 40, true, 95, 97, 2},
	{"holdout102.tsv", 150, 40, true, 97, 98, 0},
	{"holdout103.tsv", 150, 40, true, 96, 97, 1},
	{"holdout104.tsv", 150, 40, true, 97, 98, 0},
	{"holdout105.tsv", 150, 40, true, 97, 98, 0},
	{"holdout106.tsv", 150, 40, true, 96, 98, 0},
	{"holdout107.tsv", 150, 40, true, 97, 97, 1},
	{"holdout108.tsv", 150, 40, true, 98, 99, 0},
	{"holdout109.tsv", 150, 40, true, 97, 98, 0},
	{"holdout110.tsv", 150, 40, true, 97, 99, 0},
	{"holdout111.tsv", 150, 40, true, 97, 98, 0},
	{"holdout112.tsv", 150, 40, true, 97, 97, 0},
	{"holdout113.tsv", 150, 40, true, 97, 98, 0},
	{"holdout114.tsv", 150, 40, true, 95, 98, 0},
	{"holdout115.tsv", 150, 40, true, 95, 97, 0},
	{"holdout116.tsv", 150, 40, true, 97, 99, 0},
	{"holdout117.tsv", 150, 40, true, 98, 99, 0},
	{"holdout118.tsv", 150, 40, true, 97, 98, 0},
	{"holdout119.tsv", 150, 40, true, 96, 97, 0},
	{"holdout120.tsv", 150, 40, true, 97, 98, 0},
	{"holdout121.tsv", 150, 40, true, 97, 98, 1},
	{"holdout122.tsv", 150, 40, true, 98, 98, 0},
	{"holdout123.tsv", 150, 40, true, 97, 98, 0},
	{"holdout124.tsv", 150, 40, true, 98, 98, 0},
	{"holdout125.tsv", 150, 40, true, 97, 98, 0},
	{"holdout126.tsv", 150, 40, true, 96, 97, 0},
	{"holdout127.tsv", 150, 40, true, 97, 98, 0},
	{"holdout128.tsv", 150, 40, true, 96, 98, 0},
	{"holdout129.tsv", 150, 40, true, 97, 99, 0},
	{"holdout130.tsv", 150, 40, true, 97, 98, 0},
	{"holdout131.tsv", 150, 40, true, 97, 98, 0},
	{"holdout132.tsv", 150, 40, true, 95, 97, 0},
	{"holdout133.tsv", 150, 40, true, 98, 98, 0},
	{"holdout134.tsv", 150, 40, true, 96, 98, 0},
	{"holdout135.tsv", 150, 40, true, 97, 99, 0},
	{"holdout136.tsv", 150, 40, true, 97, 99, 0},
	{"holdout137.tsv", 150, 40, true, 97, 98, 0},
	{"holdout138.tsv", 150, 40, true, 98, 99, 0},
	{"holdout139.tsv", 150, 40, true, 98, 98, 1},
	{"holdout140.tsv", 150, 40, true, 98, 99, 0},
	{"holdout141.tsv", 150, 40, true, 97, 98, 0},
	{"holdout142.tsv", 150, 40, true, 96, 98, 0},
	{"holdout143.tsv", 150, 40, true, 97, 98, 0},
	{"holdout144.tsv", 150, 40, true, 97, 99, 0},
	{"holdout145.tsv", 150, 40, true, 94, 97, 0},
	{"holdout146.tsv", 150, 40, true, 97, 98, 0},
	{"holdout147.tsv", 150, 40, true, 98, 99, 0},
	{"holdout148.tsv", 150, 40, true, 98, 98, 0},
	{"holdout149.tsv", 150, 40, true, 95, 97, 1},
	{"holdout150.tsv", 150, 40, true, 98, 98, 0},
	{"holdout151.tsv", 150, 40, true, 96, 97, 0},
	{"holdout152.tsv", 150, 40, true, 95, 98, 0},
	{"holdout153.tsv", 150, 40, true, 98, 98, 0},
	{"holdout154.tsv", 150, 40, true, 98, 98, 0},
	{"holdout155.tsv", 150, 40, true, 98, 98, 0},
	{"holdout156.tsv", 150, 40, true, 96, 98, 1},
	{"holdout157.tsv", 150, 40, true, 96, 98, 0},
	{"holdout158.tsv", 150, 40, true, 97, 97, 0},
	{"holdout159.tsv", 150, 40, true, 97, 98, 0},
	{"holdout160.tsv", 150, 40, true, 97, 99, 0},
	{"holdout161.tsv", 150, 40, true, 98, 99, 0},
	{"holdout162.tsv", 150, 40, true, 95, 97, 0},
	{"holdout163.tsv", 150, 40, true, 95, 97, 0},
	{"holdout164.tsv", 150, 40, true, 96, 98, 0},
	{"holdout165.tsv", 150, 40, true, 97, 98, 0},
	{"holdout166.tsv", 150, 40, true, 97, 99, 0},
	{"holdout167.tsv", 150, 40, true, 98, 98, 1},
	{"holdout168.tsv", 150, 40, true, 97, 98, 0},
	{"holdout169.tsv", 150, 40, true, 98, 98, 0},
	{"holdout170.tsv", 150, 40, true, 96, 98, 0},
	{"holdout171.tsv", 150, 40, true, 96, 98, 0},
	{"holdout172.tsv", 150, 40, true, 97, 98, 0},
	{"holdout173.tsv", 150, 40, true, 96, 97, 0},
	{"holdout174.tsv", 150, 40, true, 96, 98, 0},
	{"holdout175.tsv", 150, 40, true, 97, 98, 0},
	{"holdout176.tsv", 150, 40, true, 97, 98, 0},
	{"holdout177.tsv", 150, 40, true, 95, 98, 0},
	{"holdout178.tsv", 150, 40, true, 98, 98, 0},
	{"holdout179.tsv", 150, 40, true, 97, 99, 0},
	{"holdout180.tsv", 150, 40, true, 97, 98, 0},
	{"holdout181.tsv", 150, 40, true, 96, 98, 0},
	{"holdout182.tsv", 150, 40, true, 97, 99, 0},
	{"holdout183.tsv", 150, 40, true, 97, 98, 0},
}

type labelled struct {
	line   int
	node   string // "-" when out of scope
	phrase string
}

func readLabelled(t testing.TB, name string) []labelled {
	t.Helper()
	var out []labelled
	for _, p := range phrasebook() {
		if p.Set != name {
			continue
		}
		if p.Node == "" {
			t.Fatalf("%s:%d: want NODE<TAB>PHRASE, got %q", name, p.Line, p.Phrase)
		}
		out = append(out, labelled{line: p.Line, node: p.Node, phrase: p.Phrase})
	}
	if len(out) == 0 {
		t.Fatalf("no labelled set %s in flows/phrasebook", name)
	}
	return out
}

// TestRoutingLabelledSet prints, for each labelled set, direct accuracy,
// accuracy within one confirmation (the question offers the right node,
// or the sub-menu reached offers it) and the out-of-scope texts routed
// anywhere: at the main menu, then as written at each sub-menu (the
// engine reads free text at the menu shown, which weighs in its own
// favour), each sub-menu and all of them together.
func TestRoutingLabelledSet(t *testing.T) {
	fl := loadShipped(t)
	var subMenus []string
	for _, n := range fl.Nodes() {
		if n.Type.Value == KindMenu && n.ID != fl.Root() {
			subMenus = append(subMenus, n.ID)
		}
	}
	if len(subMenus) == 0 {
		t.Fatal("the shipped flows have no sub-menu to measure at")
	}
	for i, s := range labelledSets {
		if raceDetector && i%8 != 0 {
			// A model per set, under the race detector, would take most
			// of make test's time: an eighth of the sets checks the code
			// here, and make test measures every set without it.
			continue
		}
		t.Run(strings.TrimSuffix(s.name, ".tsv"), func(t *testing.T) {
			t.Parallel() // each set has its own model; the flow is read only
			set := readLabelled(t, s.name)
			fl := unseen(fl, s.name)
			main := measureRouting(t, fl, s.name, set, fl.Root())
			main.log(t, s.name+" at the main menu")
			if main.in < s.minIn || main.oos < s.min {
				t.Errorf("%s: only %d in-scope and %d out-of-scope phrases; want at least %d and %d", s.name, main.in, main.oos, s.minIn, s.min)
			}
			main.check(t, s.name+" at the main menu", s.direct, s.within, s.intoTrail)
			var sub tally
			for _, m := range subMenus {
				at := measureRouting(t, fl, s.name, set, m)
				at.log(t, s.name+" at "+m)
				sub.add(at)
			}
			sub.log(t, s.name+" at the sub-menus")
			if s.held {
				sub.check(t, s.name+" at the sub-menus", s.direct, s.within, s.intoTrail*len(subMenus))
			}
		})
	}
}

// unseen is fl with its learned model trained without the phrasebook's
// set name: the set is measured as text the model never saw.
func unseen(fl *Flow, name string) *Flow {
	if fl.router.learned == nil {
		return fl
	}
	cp := *fl
	r := *fl.router
	r.learned = train(fl, r.gloss, func(set string) bool { return set == name })
	cp.router = &r
	return &cp
}

// sampleLabelled is about two thousand labelled phrases spread evenly
// over every set, for the tests of what holds of any text (the
// explanations, determinism): their cost stays put while the sets grow.
func sampleLabelled(t testing.TB) []labelled {
	var all []labelled
	for _, s := range labelledSets {
		all = append(all, readLabelled(t, s.name)...)
	}
	step := max(1, len(all)/2000)
	var out []labelled
	for i := 0; i < len(all); i += step {
		out = append(out, all[i])
	}
	return out
}

// tally counts how the phrases of a set were answered.
type tally struct {
	in, direct, within            int // in-scope phrases, straight to their node, within one confirmation
	oos, oosRouted, oosTrail, ask int // out-of-scope phrases, routed anywhere, into a trail, asked about
}

func (a *tally) add(b tally) {
	a.in += b.in
	a.direct += b.direct
	a.within += b.within
	a.oos += b.oos
	a.oosRouted += b.oosRouted
	a.oosTrail += b.oosTrail
	a.ask += b.ask
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }

func (a tally) log(t *testing.T, what string) {
	t.Helper()
	t.Logf("%s: in scope %d; direct %d (%.1f%%); within one confirmation %d (%.1f%%); out of scope %d: routed %d (into a trail %d), asked %d",
		what, a.in, a.direct, pct(a.direct, a.in), a.within, pct(a.within, a.in), a.oos, a.oosRouted, a.oosTrail, a.ask)
}

// check fails below the targets (within, for accuracy within one
// confirmation).
func (a tally) check(t *testing.T, what string, direct, within float64, intoTrail int) {
	t.Helper()
	if pct(a.direct, a.in) < direct {
		t.Errorf("%s: direct accuracy %.1f%%; want at least %.1f%%", what, pct(a.direct, a.in), direct)
	}
	if pct(a.within, a.in) < within {
		t.Errorf("%s: accuracy within one confirmation %.1f%%; want at least %.1f%%", what, pct(a.within, a.in), within)
	}
	if a.oosTrail > intoTrail {
		t.Errorf("%s: %d out-of-scope phrases routed into a trail; want at most %d", what, a.oosTrail, intoTrail)
	}
}

// measureRouting answers each phrase of set as written at menu, logging
// each miss.
func measureRouting(t *testing.T, fl *Flow, name string, set []labelled, menu string) tally {
	t.Helper()
	var a tally
	for _, c := range set {
		ans := fl.Understand(menu, c.phrase)
		got := ans.Target()
		if c.node == "-" {
			a.oos++
			switch ans.Kind {
			case AnswerGo, AnswerOption:
				a.oosRouted++
				if k := fl.Node(got).Type.Value; k != KindMenu {
					a.oosTrail++
					t.Logf("%s:%d at %s: out-of-scope %q routed into %s %q", name, c.line, menu, c.phrase, k, got)
				} else {
					t.Logf("%s:%d at %s: out-of-scope %q opened menu %q", name, c.line, menu, c.phrase, got)
				}
			case AnswerAsk:
				a.ask++
				t.Logf("%s:%d at %s: out-of-scope %q asked %v", name, c.line, menu, c.phrase, ans.Routing.Nodes)
			}
			continue
		}
		if fl.Node(c.node) == nil {
			t.Fatalf("%s:%d: no node %q", name, c.line, c.node)
		}
		a.in++
		ok := (ans.Kind == AnswerGo || ans.Kind == AnswerOption) && got == c.node
		near := ok || ans.Kind == AnswerAsk && slices.Contains(ans.Routing.Nodes, c.node) ||
			(ans.Kind == AnswerGo || ans.Kind == AnswerOption) && offers(fl, got, c.node)
		if ok {
			a.direct++
		}
		if near {
			a.within++
		}
		if !ok {
			t.Logf("%s:%d at %s: %q: want %s, got %s %v %s", name, c.line, menu, c.phrase, c.node, ans.Kind, ans.nodes(), top(ans.Routing))
		}
	}
	return a
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

// TestRoutingSetDisjoint keeps the measure honest: no labelled phrase (in
// any set) is one of the examples editors wrote.
func TestRoutingSetDisjoint(t *testing.T) {
	fl := loadShipped(t)
	examples := map[string]string{}
	for _, n := range fl.Nodes() {
		for _, e := range n.Examples {
			examples[Normalize(e.Value)] = n.ID
		}
	}
	for _, s := range labelledSets {
		for _, c := range readLabelled(t, s.name) {
			if id, ok := examples[Normalize(c.phrase)]; ok {
				t.Errorf("%s:%d: %q is an example of %q in flows.yaml", s.name, c.line, c.phrase, id)
			}
		}
	}
}

func strconvF(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// BenchmarkRoute routes the labelled phrases in turn, as the engine does
// with a message at a menu (go test -bench Route ./flows).
func BenchmarkRoute(b *testing.B) {
	fl := loadShipped(b)
	set := readLabelled(b, "phrases.tsv")
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
