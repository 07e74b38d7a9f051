package console

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"suporte/store"
)

// TestClaimOnlyWaiting: a ticket is claimed only while its customer waits
// in the queue. One who went back to the menu, is still at the bot's
// menu or left with "sair" is no one's to take: 409, nothing said to
// them, and the transcript stays closed to agents who may not read it.
func TestClaimOnlyWaiting(t *testing.T) {
	e := newEnv(t)
	e.agent("bruno@contaazul.com", "Bruno", store.RoleAgent, 5)
	bruno := e.login("bruno@contaazul.com")

	e.customer("c1")
	e.say("c1", "menu") // back to the bot: out of the queue
	e.say("c2", "12345678")
	e.customer("c3")
	e.say("c3", "sair")
	for _, chat := range []string{"c1", "c2", "c3"} {
		t.Run(chat, func(t *testing.T) {
			id := e.lastTicket(chat)
			before := len(e.tr.texts(chat))
			res := e.post(bruno, idPath(id, "claim"), nil)
			if res.code != 409 || !strings.Contains(res.errMsg(t), "não está") {
				t.Errorf("claim: got %d %s; want 409 saying the customer is not waiting", res.code, res.body)
			}
			e.drain()
			if got := e.tr.texts(chat)[before:]; len(got) != 0 {
				t.Errorf("the customer was told %q", got)
			}
			if tk := e.ticket(id); tk.Agent != "" {
				t.Errorf("agent %q; want none", tk.Agent)
			}
			res = e.get(bruno, fmt.Sprint("/api/tickets/", id))
			if res.code != 403 || strings.Contains(res.errMsg(t), "outro Encantador") {
				t.Errorf("read: got %d %s; want 403 that does not blame a colleague", res.code, res.body)
			}
		})
	}
}

// TestEditorsServeNoTickets: content editors own the flows, not the
// tickets: the queue, the conversations, their search and files answer
// them 403, nobody transfers a chat to one, and agents picking whom to
// transfer to are not offered them.
func TestEditorsServeNoTickets(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	editor := e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 5)
	ana, edu := e.login("ana@contaazul.com"), e.login("edu@contaazul.com")
	id := e.customer("c1")
	e.say("c2", "12345678", "nota fiscal")
	for _, r := range []req{
		{method: "GET", path: "/api/queue"},
		{method: "POST", path: "/api/queue/claim-next"},
		{method: "GET", path: "/api/tickets"},
		{method: "GET", path: "/api/tickets?status=resolvido"},
		{method: "GET", path: "/api/search?q=12345678"},
		{method: "GET", path: fmt.Sprint("/api/tickets/", id)},
		{method: "POST", path: idPath(id, "claim")},
		{method: "POST", path: idPath(id, "messages"), body: map[string]string{"text": "oi"}},
		{method: "GET", path: "/api/media/1"},
	} {
		r.token = edu
		res := e.call(r)
		if res.code != 403 || !strings.Contains(res.errMsg(t), "Editores") {
			t.Errorf("the editor: %s %s: got %d %s; want 403", r.method, r.path, res.code, res.body)
		}
	}
	if tk := e.ticket(id); tk.Agent != "" {
		t.Fatalf("the editor took the ticket: agent %q", tk.Agent)
	}

	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: ana})
	res := e.post(ana, idPath(id, "transfer"), map[string]string{"agent": "edu@contaazul.com"})
	if res.code != 409 || !strings.Contains(res.errMsg(t), "editor") {
		t.Errorf("transfer to the editor: got %d %s; want 409", res.code, res.body)
	}
	if tk := e.ticket(id); tk.Agent == "" || tk.Agent == fmt.Sprint(editor.ID) {
		t.Errorf("after the transfer refused: agent %q; want Ana still", tk.Agent)
	}
	var list []struct{ Name, Role string }
	e.must(200, req{method: "GET", path: "/api/agents", token: ana}).json(t, &list)
	for _, a := range list {
		if a.Role == store.RoleEditor {
			t.Errorf("an agent is offered the editor %s to transfer to", a.Name)
		}
	}
}

// TestEditorsStreamNoTickets: an editor's event stream carries no
// ticket's events, live or replayed after a reconnect; an agent's does.
func TestEditorsStreamNoTickets(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	e.agent("bia@contaazul.com", "Bia", store.RoleAgent, 5)
	e.agent("edu@contaazul.com", "Edu", store.RoleEditor, 5)
	ana, edu := e.login("ana@contaazul.com"), e.login("edu@contaazul.com")
	e.customer("c1")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	eduEvents := e.stream(ctx, edu, 1) // c1's events after its first, replayed to an agent
	var kinds []string
	until := func(kind string) {
		t.Helper()
		for {
			select {
			case ev, ok := <-eduEvents:
				if !ok {
					t.Fatalf("the editor's stream ended before a %q event", kind)
				}
				kinds = append(kinds, ev.kind)
				if ev.kind == kind {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no %q event on the editor's stream", kind)
			}
		}
	}
	until("hello")
	nextAna := e.events(ana)
	until("presence") // Ana came online
	e.customer("c2")
	nextAna("queue")
	e.events(e.login("bia@contaazul.com"))
	until("presence") // Bia came online, after c2's events
	if want := []string{"hello", "presence", "presence"}; !slices.Equal(kinds, want) {
		t.Errorf("the editor's stream: %v; want %v, no ticket's events", kinds, want)
	}
}

// TestSupervisorClaimsAnothersTicket: a supervisor may act on a ticket
// another agent serves but not claim it: 409, saying whose it is, and
// the ticket stays with its agent.
func TestSupervisorClaimsAnothersTicket(t *testing.T) {
	e := newEnv(t)
	bia := e.agent("bia@contaazul.com", "Bia", store.RoleAgent, 5)
	e.agent("sofia@contaazul.com", "Sofia", store.RoleSupervisor, 5)
	id := e.customer("c1")
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: e.login("bia@contaazul.com")})
	res := e.post(e.login("sofia@contaazul.com"), idPath(id, "claim"), nil)
	if res.code != 409 || res.errMsg(t) != "Este chamado já está com outro Encantador." {
		t.Errorf("the supervisor's claim: got %d %s; want 409 saying another agent has it", res.code, res.body)
	}
	if tk := e.ticket(id); tk.Agent != fmt.Sprint(bia.ID) {
		t.Errorf("the ticket's agent: %q; want Bia's %d", tk.Agent, bia.ID)
	}
}

// TestEscalateOnce: a ticket goes to the product team once. Escalating it
// again answers 409 with the day it went, tells the customer nothing and
// keeps the promised date the reports measure.
func TestEscalateOnce(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	ana := e.login("ana@contaazul.com")
	id := e.customer("c1")
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: ana})
	e.must(200, req{method: "POST", path: idPath(id, "escalate"), token: ana})
	e.drain()
	first := e.ticket(id)
	before := len(e.tr.texts("c1"))
	e.clock.Advance(26 * time.Hour) // the next day: a new promise would be a day later
	ana = e.login("ana@contaazul.com")
	res := e.post(ana, idPath(id, "escalate"), nil)
	if res.code != 409 || res.errMsg(t) != "Este chamado já foi encaminhado ao time de produto em 24/11." {
		t.Errorf("escalating again: got %d %s; want 409 with the day it went", res.code, res.body)
	}
	e.drain()
	if got := e.tr.texts("c1")[before:]; len(got) != 0 {
		t.Errorf("the customer was told again %q", got)
	}
	if tk := e.ticket(id); !tk.EscalatedAt.Equal(first.EscalatedAt) || !tk.EscalationDue.Equal(first.EscalationDue) {
		t.Errorf("escalated %v due %v; want %v and %v unchanged", tk.EscalatedAt, tk.EscalationDue, first.EscalatedAt, first.EscalationDue)
	}
}
