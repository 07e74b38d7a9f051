package console

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"suporte/bot"
	"suporte/store"
)

// lifecycleState is a state an agent may find a ticket of chat c1 in when
// acting on it from the console.
type lifecycleState struct {
	name string
	as   string // who acts: Ana unless it says
	// setup puts the ticket in the state, as Ana (token ana), Bia (bia)
	// and the customer would, and returns its id.
	setup func(e *env, ana, bia string) int64
	// refused is the status of every ticket action the state does not
	// list in codes; claim-next answers 409 (nobody waiting) unless codes
	// says.
	refused int
	codes   map[string]int
}

// want is the status action answers in st.
func (st lifecycleState) want(action string) int {
	if c, ok := st.codes[action]; ok {
		return c
	}
	if action == "claim-next" {
		return 409
	}
	return st.refused
}

// The codes shared by several states; the actions they leave out are
// refused.
var (
	mineCodes      = map[string]int{"claim": 200, "reply": 200, "note": 200, "aguardando": 200, "resolvido": 200, "release": 200, "transfer": 200, "escalate": 200}
	resolvingCodes = map[string]int{"claim": 200, "note": 200, "resolvido": 200, "undo": 200} // the rest: undo first
	unclaimedCodes = map[string]int{"claim": 200, "claim-next": 200}                          // waiting in the queue
	newerCodes     = map[string]int{"claim-next": 200}                                        // the newer ticket waits in the queue
	asideCodes     = map[string]int{"note": 200, "claim-next": 200}                           // held, the customer in a newer conversation: notes only
)

// claimedByAna and claimedByBia put c1 in the queue and have one of them
// claim its ticket.
func claimedByAna(e *env, ana, _ string) int64 { return claimed(e, ana) }
func claimedByBia(e *env, _, bia string) int64 { return claimed(e, bia) }

func claimed(e *env, tok string) int64 {
	e.t.Helper()
	id := e.customer("c1")
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: tok})
	return id
}

// escalatedThenNewer has Ana (token ana) claim and escalate c1's ticket,
// with resolving Resolver it too, and then c1 start a newer conversation;
// it returns the escalated ticket's id.
func escalatedThenNewer(e *env, ana string, resolving bool) int64 {
	e.t.Helper()
	id := claimed(e, ana)
	e.must(200, req{method: "POST", path: idPath(id, "escalate"), token: ana})
	if resolving {
		setStatus(e, ana, id, store.StatusResolvido)
	}
	e.say("c1", "atendente")
	return id
}

// newerLeftAlone returns c1's newer ticket, not id, and a check that
// neither it nor what the customer heard changed since.
func newerLeftAlone(e *env, id int64) (newer int64, check func()) {
	e.t.Helper()
	e.drain()
	newer = e.lastTicket("c1")
	if newer == id {
		e.t.Fatal("no newer ticket")
	}
	before, heard := e.ticket(newer), len(e.tr.texts("c1"))
	return newer, func() {
		e.t.Helper()
		e.drain()
		if got := e.tr.texts("c1")[heard:]; len(got) != 0 {
			e.t.Errorf("the customer, in a newer conversation, heard %q", got)
		}
		if got := e.ticket(newer); !reflect.DeepEqual(got, before) {
			e.t.Errorf("the newer ticket changed: %+v, was %+v", got, before)
		}
	}
}

func setStatus(e *env, tok string, id int64, status string) {
	e.t.Helper()
	e.must(200, req{method: "POST", path: idPath(id, "status"), token: tok, body: map[string]string{"status": status}})
}

var lifecycleStates = []lifecycleState{
	{name: "queued", setup: func(e *env, _, _ string) int64 { return e.customer("c1") }, refused: 409, codes: unclaimedCodes},
	{name: "mine", setup: claimedByAna, refused: 409, codes: mineCodes},
	{name: "waiting on the customer", setup: func(e *env, ana, _ string) int64 {
		id := claimed(e, ana)
		setStatus(e, ana, id, store.StatusAguardando)
		return id
	}, refused: 409, codes: mineCodes},
	{name: "another's", setup: claimedByBia, refused: 403},
	{name: "another's, as a supervisor", as: "sofia@contaazul.com", setup: claimedByBia, refused: 409,
		codes: map[string]int{"reply": 200, "note": 200, "aguardando": 200, "resolvido": 200, "release": 200, "transfer": 200, "escalate": 200}},
	{name: "released", setup: func(e *env, ana, _ string) int64 {
		id := claimed(e, ana)
		e.must(200, req{method: "POST", path: idPath(id, "release"), token: ana})
		return id
	}, refused: 409, codes: unclaimedCodes},
	{name: "resolving", setup: func(e *env, ana, _ string) int64 {
		id := claimed(e, ana)
		setStatus(e, ana, id, store.StatusResolvido)
		return id
	}, refused: 409, codes: resolvingCodes},
	{name: "undo window over", setup: func(e *env, ana, _ string) int64 { // its timer has not fired yet
		id := claimed(e, ana)
		setStatus(e, ana, id, store.StatusResolvido)
		e.clock.Advance(bot.ResolveUndo + time.Second)
		return id
	}, refused: 409, codes: resolvingCodes},
	{name: "resolved", setup: func(e *env, ana, _ string) int64 {
		id := claimed(e, ana)
		setStatus(e, ana, id, store.StatusResolvido)
		e.closeUndoWindows(e.t)
		return id
	}, refused: 409},
	{name: "escalated", setup: func(e *env, ana, _ string) int64 { // the chat ended; the ticket is Ana's to follow up
		id := claimed(e, ana)
		e.must(200, req{method: "POST", path: idPath(id, "escalate"), token: ana})
		return id
	}, refused: 409, codes: map[string]int{"claim": 200, "reply": 200, "note": 200, "aguardando": 200, "resolvido": 200, "release": 200, "transfer": 200}},
	{name: "escalated, newer ticket", setup: func(e *env, ana, _ string) int64 {
		return escalatedThenNewer(e, ana, false)
	}, refused: 409, codes: asideCodes},
	{name: "escalated, resolving, newer ticket", setup: func(e *env, ana, _ string) int64 {
		return escalatedThenNewer(e, ana, true)
	}, refused: 409, codes: asideCodes},
	{name: "back at the menu", setup: func(e *env, _, _ string) int64 {
		id := e.customer("c1")
		e.say("c1", "menu")
		return id
	}, refused: 409},
	{name: "left", setup: func(e *env, _, _ string) int64 {
		id := e.customer("c1")
		e.say("c1", "sair")
		return id
	}, refused: 409},
	{name: "left, newer ticket", setup: func(e *env, _, _ string) int64 {
		id := e.customer("c1")
		e.say("c1", "sair", "atendente")
		return id
	}, refused: 409, codes: newerCodes},
	{name: "left the bot", setup: func(e *env, _, _ string) int64 { // the bot resolved it
		e.say("c1", "12345678", "sair")
		return e.lastTicket("c1")
	}, refused: 409},
	{name: "missing", setup: func(e *env, _, _ string) int64 { return 999 }, refused: 404},
}

// lifecycleAction is one agent action on ticket id.
type lifecycleAction struct {
	name string
	req  func(id int64) req
}

var lifecycleActions = []lifecycleAction{
	{"claim", func(id int64) req { return req{method: "POST", path: idPath(id, "claim")} }},
	{"reply", func(id int64) req {
		return req{method: "POST", path: idPath(id, "messages"), body: map[string]any{"text": "Oi, tudo bem?"}}
	}},
	{"note", func(id int64) req {
		return req{method: "POST", path: idPath(id, "messages"), body: map[string]any{"text": "cliente irritado", "internal": true}}
	}},
	{"aguardando", func(id int64) req {
		return req{method: "POST", path: idPath(id, "status"), body: map[string]string{"status": store.StatusAguardando}}
	}},
	{"resolvido", func(id int64) req {
		return req{method: "POST", path: idPath(id, "status"), body: map[string]string{"status": store.StatusResolvido}}
	}},
	{"undo", func(id int64) req { return req{method: "POST", path: idPath(id, "undo-resolve")} }},
	{"release", func(id int64) req { return req{method: "POST", path: idPath(id, "release")} }},
	{"transfer", func(id int64) req {
		return req{method: "POST", path: idPath(id, "transfer"), body: map[string]string{"agent": "caio@contaazul.com"}}
	}},
	{"escalate", func(id int64) req { return req{method: "POST", path: idPath(id, "escalate")} }},
	{"claim-next", func(int64) req { return req{method: "POST", path: "/api/queue/claim-next"} }},
}

// TestActionsOnEveryState runs every agent action on a ticket in every
// state it can be in. None answers 500: each acts or is refused with the
// status the table says and a message for people; a refusal changes
// nothing and tells the customer nothing.
func TestActionsOnEveryState(t *testing.T) {
	for _, st := range lifecycleStates {
		for _, ac := range lifecycleActions {
			t.Run(st.name+"/"+ac.name, func(t *testing.T) {
				e := newEnv(t)
				e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
				e.agent("bia@contaazul.com", "Bia", store.RoleAgent, 5)
				e.agent("caio@contaazul.com", "Caio", store.RoleAgent, 5)
				e.agent("sofia@contaazul.com", "Sofia", store.RoleSupervisor, 5)
				ana, bia := e.login("ana@contaazul.com"), e.login("bia@contaazul.com")
				tok := ana
				if st.as != "" {
					tok = e.login(st.as)
				}
				id := st.setup(e, ana, bia)
				e.drain()
				exists := st.refused != 404
				var before store.Ticket
				if exists {
					before = e.ticket(id)
				}
				said := len(e.tr.texts("c1"))
				r := ac.req(id)
				r.token = tok
				res := e.call(r)
				e.drain()
				if want := st.want(ac.name); res.code != want {
					t.Errorf("got %d %s; want %d", res.code, res.body, want)
				}
				if res.code == 200 {
					return
				}
				if msg := res.errMsg(t); strings.TrimSpace(msg) == "" || strings.Contains(msg, "Erro interno") {
					t.Errorf("refused without a message for people: %s", res.body)
				}
				if exists {
					if after := e.ticket(id); !reflect.DeepEqual(after, before) {
						t.Errorf("the refusal changed the ticket:\n%+v\nwas\n%+v", after, before)
					}
				}
				if got := e.tr.texts("c1")[said:]; len(got) != 0 {
					t.Errorf("the customer was told %q", got)
				}
			})
		}
	}
}

// TestNoteWhileCustomerElsewhere: an agent notes on a ticket they hold
// (escalated, waiting on the product team) while its customer is in a
// newer conversation: the note joins that ticket's transcript, and the
// newer conversation and the customer hear nothing of it.
func TestNoteWhileCustomerElsewhere(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	ana := e.login("ana@contaazul.com")
	id := escalatedThenNewer(e, ana, false)
	newer, leftAlone := newerLeftAlone(e, id)
	e.must(200, req{method: "POST", path: idPath(id, "messages"), token: ana,
		body: map[string]any{"text": "produto respondeu: corrigido na 5.2", "internal": true}})
	leftAlone()
	if d := e.detail(ana, id); !d.has("note", "corrigido na 5.2") {
		t.Errorf("the note is not in the escalated ticket's transcript: %+v", d.Messages)
	}
	if d := e.detail(ana, newer); d.has("note", "corrigido") {
		t.Error("the note went to the newer ticket")
	}
	// A reply still waits for the customer's conversation to end.
	res := e.post(ana, idPath(id, "messages"), map[string]any{"text": "Oi! Seu caso foi resolvido."})
	if res.code != 409 || res.errMsg(t) != "O cliente está em outra conversa agora." {
		t.Errorf("a reply: got %d %s; want 409", res.code, res.body)
	}
}

// TestResolveDueWhileCustomerElsewhere: Resolver on an escalated ticket,
// then its customer starts a newer conversation before the undo window
// closes: when it closes the ticket is Resolvido all the same, and the
// rating question, which would break into that conversation, is not sent.
func TestResolveDueWhileCustomerElsewhere(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	ana := e.login("ana@contaazul.com")
	id := escalatedThenNewer(e, ana, true)
	_, leftAlone := newerLeftAlone(e, id)
	e.closeUndoWindows(t)
	leftAlone()
	tk := e.ticket(id)
	if tk.Status != store.StatusResolvido || tk.CloseReason != store.CloseSolvedByAgent || tk.ClosedAt.IsZero() {
		t.Errorf("the escalated ticket after its undo window: status %q, reason %q, closed %v; want resolved by its agent",
			tk.Status, tk.CloseReason, tk.ClosedAt)
	}
	if d := e.detail(ana, id); !d.has("system", "Status: Resolvido") || d.Messages[len(d.Messages)-1].ActorName != "Ana" {
		t.Errorf("the transcript does not say who resolved it: %+v", d.Messages)
	}
}
