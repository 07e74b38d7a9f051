package console

import (
	"fmt"
	"strings"
	"testing"

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
