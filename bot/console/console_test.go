package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"suporte/store"
)

// req is one API call.
type req struct {
	method, path string
	token        string // bearer token
	body         any    // marshalled to JSON unless a string or []byte
	header       map[string]string
}

type resp struct {
	code   int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) errMsg(t *testing.T) string {
	t.Helper()
	var e struct{ Error string }
	r.json(t, &e)
	return e.Error
}

func (e *env) call(r req) resp {
	e.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{code: res.StatusCode, header: res.Header, body: b}
}

// must calls and checks the status code.
func (e *env) must(code int, r req) resp {
	e.t.Helper()
	got := e.call(r)
	if got.code != code {
		e.t.Fatalf("%s %s: got %d %s; want %d", r.method, r.path, got.code, got.body, code)
	}
	return got
}

func (e *env) post(token, path string, body any) resp {
	e.t.Helper()
	return e.call(req{method: "POST", path: path, token: token, body: body})
}

func (e *env) get(token, path string) resp {
	e.t.Helper()
	return e.call(req{method: "GET", path: path, token: token})
}

// detail is GET /api/tickets/{id}.
type detail struct {
	ID            int64  `json:"id"`
	Status        string `json:"status"`
	Agent         string `json:"agent"`
	AgentName     string `json:"agent_name"`
	IDSuporte     string `json:"id_suporte"`
	Requester     string `json:"requester"`
	EscalationDue string `json:"escalation_due"`
	Feedback      *struct {
		Rating int    `json:"rating"`
		Agent  string `json:"agent"`
	} `json:"feedback"`
	Messages []struct {
		From, Text, Actor string
		ActorName         string `json:"actor_name"`
	} `json:"messages"`
}

func (e *env) detail(token string, id int64) detail {
	e.t.Helper()
	var d detail
	e.must(200, req{method: "GET", path: fmt.Sprint("/api/tickets/", id), token: token}).json(e.t, &d)
	return d
}

func (d detail) has(from, text string) bool {
	for _, m := range d.Messages {
		if m.From == from && strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

func idPath(id int64, action string) string { return fmt.Sprintf("/api/tickets/%d/%s", id, action) }

func TestLogin(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	off := e.agent("velho@contaazul.com", "Velho", store.RoleAgent, 5)
	if err := e.db.Update(e.ctx, func(tx *store.Tx) error { return tx.SetAgentDisabled(e.ctx, off.ID, true, e.clock.Now()) }); err != nil {
		t.Fatal(err)
	}

	res := e.must(200, req{method: "POST", path: "/api/login", body: map[string]string{"email": " ANA@contaazul.com", "password": password}})
	var out struct {
		Token string
		Agent struct{ ID, Name, Role string }
	}
	res.json(t, &out)
	if out.Token == "" || out.Agent.Name != "Ana Lima" || out.Agent.Role != "agent" {
		t.Errorf("login answer: got %+v", out)
	}
	cookie := res.header.Get("Set-Cookie")
	for _, want := range []string{CookieName + "=" + out.Token, "Path=/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %q", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("cookie %q is Secure without cfg.Secure", cookie)
	}
	var me struct{ Agent struct{ Name string } }
	e.must(200, req{method: "GET", path: "/api/me", token: out.Token}).json(t, &me)
	if me.Agent.Name != "Ana Lima" {
		t.Errorf("/api/me by bearer: got %+v", me)
	}
	e.must(200, req{method: "GET", path: "/api/me", header: map[string]string{"Cookie": CookieName + "=" + out.Token}})

	for _, tt := range []struct {
		name, email, pw string
		code            int
	}{
		{"wrong password", "ana@contaazul.com", "errada-errada", 401},
		{"unknown email", "ninguem@contaazul.com", password, 401},
		{"disabled agent", "velho@contaazul.com", password, 401},
		{"empty", "", "", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.call(req{method: "POST", path: "/api/login", body: map[string]string{"email": tt.email, "password": tt.pw}})
			if res.code != tt.code || res.errMsg(t) == "" {
				t.Errorf("got %d %s; want %d with a message", res.code, res.body, tt.code)
			}
		})
	}

	// Logout ends the session.
	e.must(200, req{method: "POST", path: "/api/logout", token: out.Token})
	e.must(401, req{method: "GET", path: "/api/me", token: out.Token})
}

// TestDummyHash checks the hash compared for unknown e-mails: made once
// however many logins ask at the same time, at the configured cost, so it
// takes as long to compare as a real password hash.
func TestDummyHash(t *testing.T) {
	const cost = bcrypt.MinCost + 1
	s := New(Config{Log: zerolog.Nop(), BcryptCost: cost})
	hashes := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range hashes {
		wg.Go(func() { hashes[i] = s.dummy() })
	}
	wg.Wait()
	for i, h := range hashes[1:] {
		if &h[0] != &hashes[0][0] {
			t.Errorf("dummy() call %d made another hash; want the first one", i+2)
		}
	}
	if got, err := bcrypt.Cost(hashes[0]); err != nil || got != cost {
		t.Errorf("bcrypt.Cost(dummy()) = %d, %v; want %d, nil", got, err, cost)
	}
}

func TestQueueOrderAndPositions(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	tok := e.login("ana@contaazul.com")
	var ids []int64
	for i, chat := range []string{"5547999990001", "5547999990002", "5547999990003"} {
		if i == 1 { // read a trail first, then ask for a person
			e.say(chat, "12345678", "1", "1", "2")
			ids = append(ids, e.lastTicket(chat))
		} else {
			ids = append(ids, e.customer(chat))
		}
		e.clock.Advance(time.Minute)
	}
	var q []struct {
		Ticket         int64
		Chat           string
		IDSuporte      string `json:"id_suporte"`
		Topic          string
		TopicID        string    `json:"topic_id"`
		WaitingSince   time.Time `json:"waiting_since"`
		WaitingSeconds int64     `json:"waiting_seconds"`
		Position       int
	}
	e.must(200, req{method: "GET", path: "/api/queue", token: tok}).json(t, &q)
	if len(q) != 3 {
		t.Fatalf("queue: got %d entries; want 3", len(q))
	}
	start := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	for i, got := range q {
		if got.Ticket != ids[i] || got.Position != i+1 || got.IDSuporte != "12345678" {
			t.Errorf("entry %d: got ticket %d position %d id %q; want %d, %d, 12345678", i, got.Ticket, got.Position, got.IDSuporte, ids[i], i+1)
		}
		if want := start.Add(time.Duration(i) * time.Minute); !got.WaitingSince.Equal(want) {
			t.Errorf("entry %d waiting since %v; want %v", i, got.WaitingSince, want)
		}
		if wantID, want := map[int]string{1: "notas-nfe"}[i], map[int]string{1: "Emitir NF-e"}[i]; got.TopicID != wantID || got.Topic != want {
			t.Errorf("entry %d topic %q (%q); want %q (%q)", i, got.Topic, got.TopicID, want, wantID)
		}
		if want := int64(3-i) * 60; got.WaitingSeconds != want {
			t.Errorf("entry %d waiting %d s; want %d", i, got.WaitingSeconds, want)
		}
	}

	// Claim the next: the first in line.
	var res struct{ Ticket int64 }
	e.must(200, req{method: "POST", path: "/api/queue/claim-next", token: tok}).json(t, &res)
	if res.Ticket != ids[0] {
		t.Errorf("claim-next took %d; want %d", res.Ticket, ids[0])
	}
	e.must(200, req{method: "GET", path: "/api/queue", token: tok}).json(t, &q)
	if len(q) != 2 || q[0].Ticket != ids[1] || q[0].Position != 1 {
		t.Errorf("queue after claim-next: got %+v", q)
	}
}

func TestConversationThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	ana := e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	tok := e.login("ana@contaazul.com")
	const chat = "5547999990001"
	id := e.customer(chat)

	before := len(e.tr.texts(chat))
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: tok})
	e.drain()
	if got := e.tr.texts(chat)[before:]; len(got) != 1 || !strings.Contains(got[0], "Ana") {
		t.Errorf("claim told the customer %q; want the claimed text naming Ana", got)
	}

	before = len(e.tr.texts(chat))
	e.must(200, req{method: "POST", path: idPath(id, "messages"), token: tok, body: map[string]any{"text": "Oi! Vou verificar sua nota.", "internal": false}})
	e.drain()
	if got := e.tr.texts(chat)[before:]; len(got) != 1 || !strings.Contains(got[0], "Oi! Vou verificar sua nota.") {
		t.Fatalf("the customer got %q; want the agent's text", got)
	}
	before = len(e.tr.texts(chat))
	e.must(200, req{method: "POST", path: idPath(id, "messages"), token: tok, body: map[string]any{"text": "cliente da filial", "internal": true}})
	e.drain()
	if got := e.tr.texts(chat)[before:]; len(got) != 0 {
		t.Errorf("an internal note reached the customer: %q", got)
	}

	e.say(chat, "A nota não sai de jeito nenhum")
	d := e.detail(tok, id)
	if !d.has("customer", "A nota não sai") || !d.has("agent", "Vou verificar") || !d.has("note", "cliente da filial") {
		t.Errorf("transcript lacks the customer's, agent's or note lines: %+v", d.Messages)
	}
	if d.Agent != fmt.Sprint(ana.ID) || d.AgentName != "Ana" || d.IDSuporte != "12345678" {
		t.Errorf("ticket: got agent %q (%q), id %q", d.Agent, d.AgentName, d.IDSuporte)
	}

	e.must(200, req{method: "POST", path: idPath(id, "status"), token: tok, body: map[string]string{"status": "aguardando_resposta"}})
	e.drain()
	if s := e.detail(tok, id).Status; s != store.StatusAguardando {
		t.Fatalf("status: got %q; want aguardando_resposta", s)
	}
	e.say(chat, "Pronto, testei de novo")
	if s := e.detail(tok, id).Status; s != store.StatusAberto {
		t.Errorf("a customer answer left the status %q; want aberto", s)
	}

	before = len(e.tr.texts(chat))
	e.must(200, req{method: "POST", path: idPath(id, "status"), token: tok, body: map[string]string{"status": "resolvido"}})
	e.closeUndoWindows(e.t)
	e.drain()
	got := e.tr.texts(chat)[before:]
	if len(got) == 0 || !strings.Contains(got[len(got)-1], "*1* (muito ruim) a *5*") {
		t.Fatalf("resolve told the customer %q; want the rating question", got)
	}
	e.say(chat, "5")
	d = e.detail(tok, id)
	resolved := 0
	for _, m := range d.Messages {
		if m.From == "system" && strings.HasPrefix(m.Text, "Status: Resolvido") {
			resolved++
		}
	}
	if resolved != 1 {
		t.Errorf("the transcript says Resolvido %d times; want once: %+v", resolved, d.Messages)
	}
	if d.Status != store.StatusResolvido || d.Feedback == nil || d.Feedback.Rating != 5 || d.Feedback.Agent != fmt.Sprint(ana.ID) {
		t.Errorf("after the rating: status %q feedback %+v; want resolvido, 5 from agent %d", d.Status, d.Feedback, ana.ID)
	}

	// A resolved ticket takes no more messages.
	res := e.post(tok, idPath(id, "messages"), map[string]string{"text": "mais uma coisa"})
	if res.code != 409 {
		t.Errorf("message to a resolved ticket: got %d %s; want 409", res.code, res.body)
	}
}

func TestReleaseTransferEscalate(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	bia := e.agent("bia@contaazul.com", "Bia", store.RoleAgent, 5)
	ana := e.login("ana@contaazul.com")
	biaTok := e.login("bia@contaazul.com")
	id := e.customer("c1")
	e.clock.Advance(time.Minute)
	later := e.customer("c2")

	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: ana})
	e.clock.Advance(time.Minute)
	e.must(200, req{method: "POST", path: idPath(id, "release"), token: ana})
	e.drain()
	if tk := e.ticket(id); tk.Agent != "" || tk.QueuedAt.IsZero() {
		t.Fatalf("after release: agent %q queued %v; want back in the queue", tk.Agent, tk.QueuedAt)
	}
	// "Sem perder a vez": the released customer is first again, ahead of c2.
	var q []struct {
		Ticket   int64
		Position int
	}
	e.must(200, req{method: "GET", path: "/api/queue", token: ana}).json(t, &q)
	if len(q) != 2 || q[0].Ticket != id || q[1].Ticket != later {
		t.Errorf("queue after release: got %+v; want %d first (its original place), then %d", q, id, later)
	}
	e.must(200, req{method: "POST", path: idPath(later, "claim"), token: biaTok})

	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: ana})
	e.must(200, req{method: "POST", path: idPath(id, "transfer"), token: ana, body: map[string]string{"agent": "BIA@contaazul.com"}})
	e.drain()
	if tk := e.ticket(id); tk.Agent != fmt.Sprint(bia.ID) {
		t.Fatalf("after transfer by e-mail: agent %q; want %d", tk.Agent, bia.ID)
	}
	if res := e.post(ana, idPath(id, "messages"), map[string]string{"text": "ainda estou aqui"}); res.code != 403 {
		t.Errorf("the old agent replying: got %d; want 403", res.code)
	}

	before := len(e.tr.texts("c1"))
	var esc struct {
		OK  bool
		Due time.Time
	}
	e.must(200, req{method: "POST", path: idPath(id, "escalate"), token: biaTok}).json(t, &esc)
	e.drain()
	if !esc.OK || esc.Due.IsZero() || !esc.Due.After(e.clock.Now().Add(6*24*time.Hour)) {
		t.Errorf("escalate: got %+v; want a due date 6 business days away", esc)
	}
	if got := e.tr.texts("c1")[before:]; len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), "time de produto") {
		t.Errorf("escalate told the customer %q", got)
	}
	if d := e.detail(biaTok, id); d.EscalationDue == "" {
		t.Errorf("ticket escalation_due empty after escalate")
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	bia := e.agent("bia@contaazul.com", "Bia", store.RoleAgent, 5)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 5)
	ana, biaTok, sara := e.login("ana@contaazul.com"), e.login("bia@contaazul.com"), e.login("sara@contaazul.com")
	id := e.customer("c1")
	other := e.customer("c2")
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: ana})
	e.drain()

	for _, tt := range []struct {
		name string
		r    req
		code int
	}{
		{"B replies to A's chat", req{method: "POST", path: idPath(id, "messages"), token: biaTok, body: map[string]string{"text": "oi"}}, 403},
		{"B notes on A's chat", req{method: "POST", path: idPath(id, "messages"), token: biaTok, body: map[string]any{"text": "oi", "internal": true}}, 403},
		{"B claims A's chat", req{method: "POST", path: idPath(id, "claim"), token: biaTok}, 403},
		{"B transfers A's chat to herself", req{method: "POST", path: idPath(id, "transfer"), token: biaTok, body: map[string]string{"agent": fmt.Sprint(bia.ID)}}, 403},
		{"B resolves A's chat", req{method: "POST", path: idPath(id, "status"), token: biaTok, body: map[string]string{"status": "resolvido"}}, 403},
		{"B releases A's chat", req{method: "POST", path: idPath(id, "release"), token: biaTok}, 403},
		{"B escalates A's chat", req{method: "POST", path: idPath(id, "escalate"), token: biaTok}, 403},
		{"B reads A's chat", req{method: "GET", path: fmt.Sprint("/api/tickets/", id), token: biaTok}, 403},
		{"B reads a queued chat", req{method: "GET", path: fmt.Sprint("/api/tickets/", other), token: biaTok}, 200},
		{"B replies before claiming", req{method: "POST", path: idPath(other, "messages"), token: biaTok, body: map[string]string{"text": "oi"}}, 409},
		{"the supervisor reads A's chat", req{method: "GET", path: fmt.Sprint("/api/tickets/", id), token: sara}, 200},
		{"the supervisor notes on A's chat", req{method: "POST", path: idPath(id, "messages"), token: sara, body: map[string]any{"text": "acompanhando", "internal": true}}, 200},
		{"an agent opens the dashboard", req{method: "GET", path: "/api/dashboard", token: ana}, 403},
		{"the supervisor opens the dashboard", req{method: "GET", path: "/api/dashboard?days=7", token: sara}, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := e.call(tt.r)
			if got.code != tt.code {
				t.Errorf("got %d %s; want %d", got.code, got.body, tt.code)
			}
		})
	}

	// Lists: agents see the queue and their own; supervisors everything.
	list := func(token, q string) []int64 {
		t.Helper()
		var ts []struct{ ID int64 }
		e.must(200, req{method: "GET", path: "/api/tickets" + q, token: token}).json(t, &ts)
		var ids []int64
		for _, tk := range ts {
			ids = append(ids, tk.ID)
		}
		slices.Sort(ids)
		return ids
	}
	for _, tt := range []struct {
		name, token, q string
		want           []int64
	}{
		{"A's own", ana, "?mine=1", []int64{id}},
		{"B's own", biaTok, "?mine=1", nil},
		{"B's default view", biaTok, "", []int64{other}},
		{"B filtering by A's chat", biaTok, "?chat=c1", nil},
		{"A's customer history", ana, "?chat=c1", []int64{id}},
		{"supervisor", sara, "", []int64{id, other}},
		{"supervisor, aberto", sara, "?status=aberto", []int64{id, other}},
		{"supervisor, resolvido", sara, "?status=resolvido", nil},
	} {
		t.Run("list "+tt.name, func(t *testing.T) {
			if got := list(tt.token, tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 1)
	tok := e.login("ana@contaazul.com")
	id := e.customer("c1")
	second := e.customer("c2")
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: tok})
	e.drain()
	bruno := e.agent("bruno@contaazul.com", "Bruno", store.RoleAgent, 1)
	if err := e.rt.Claim(e.ctx, botAgent(bruno), e.customer("c4")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	e.say("c3", "oi", "sair") // the customer gives up: the ticket is resolved
	resolved := e.lastTicket("c3")
	if tk := e.ticket(resolved); tk.Status != store.StatusResolvido {
		t.Fatalf("ticket of c3: status %q; want resolvido", tk.Status)
	}

	cookie := map[string]string{"Cookie": CookieName + "=" + tok}
	withCookie := func(extra map[string]string) map[string]string {
		m := map[string]string{"Cookie": CookieName + "=" + tok}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	big := `{"text": "` + strings.Repeat("a", 65<<10) + `"}`
	for _, tt := range []struct {
		name string
		r    req
		code int
		msg  string // in the error, if set
	}{
		{"bad JSON", req{method: "POST", path: idPath(id, "messages"), token: tok, body: `{"text": `}, 400, ""},
		{"wrong JSON type", req{method: "POST", path: idPath(id, "messages"), token: tok, body: `{"text": 5}`}, 400, ""},
		{"unknown field", req{method: "POST", path: idPath(id, "messages"), token: tok, body: `{"text": "oi", "urgent": true}`}, 400, ""},
		{"data after the object", req{method: "POST", path: idPath(id, "messages"), token: tok, body: `{"text": "oi"} {}`}, 400, ""},
		{"body over 64 KiB", req{method: "POST", path: idPath(id, "messages"), token: tok, body: big}, 413, ""},
		{"empty text", req{method: "POST", path: idPath(id, "messages"), token: tok, body: map[string]string{"text": "  "}}, 400, ""},
		{"text too long", req{method: "POST", path: idPath(id, "messages"), token: tok, body: map[string]string{"text": strings.Repeat("a", maxText+1)}}, 400, ""},
		{"bad status", req{method: "POST", path: idPath(id, "status"), token: tok, body: map[string]string{"status": "fechado"}}, 400, ""},
		{"status aberto", req{method: "POST", path: idPath(id, "status"), token: tok, body: map[string]string{"status": "aberto"}}, 400, ""},
		{"unknown ticket", req{method: "GET", path: "/api/tickets/999999", token: tok}, 404, ""},
		{"malformed ticket id", req{method: "GET", path: "/api/tickets/abc", token: tok}, 404, ""},
		{"ticket id with a sign", req{method: "GET", path: fmt.Sprintf("/api/tickets/+%d", id), token: tok}, 404, ""},
		{"action on a ticket id with a sign", req{method: "POST", path: fmt.Sprintf("/api/tickets/+%d/messages", id), token: tok, body: map[string]string{"text": "oi"}}, 404, ""},
		{"JSON body not an object", req{method: "POST", path: idPath(id, "messages"), token: tok, body: "[]"}, 400, "envie um objeto"},
		{"ticket id with a leading zero", req{method: "GET", path: fmt.Sprintf("/api/tickets/0%d", id), token: tok}, 404, ""},
		{"ticket id with leading space", req{method: "GET", path: fmt.Sprintf("/api/tickets/%%20%d", id), token: tok}, 404, ""},
		{"limit with a sign", req{method: "GET", path: "/api/tickets?limit=%2B5", token: tok}, 400, ""},
		{"claim unknown ticket", req{method: "POST", path: idPath(999999, "claim"), token: tok}, 404, ""},
		{"transfer to nobody", req{method: "POST", path: idPath(id, "transfer"), token: tok, body: map[string]string{"agent": "ninguem@contaazul.com"}}, 404, ""},
		{"transfer to a full agent", req{method: "POST", path: idPath(id, "transfer"), token: tok, body: map[string]string{"agent": "bruno@contaazul.com"}}, 409, "Bruno já está no limite"},
		{"transfer to the holder", req{method: "POST", path: idPath(id, "transfer"), token: tok, body: map[string]string{"agent": "ana@contaazul.com"}}, 409, ""},
		{"transfer without agent", req{method: "POST", path: idPath(id, "transfer"), token: tok, body: map[string]string{}}, 400, ""},
		{"body on claim", req{method: "POST", path: idPath(id, "claim"), token: tok, body: `{"x": 1}`}, 400, ""},
		{"at capacity", req{method: "POST", path: idPath(second, "claim"), token: tok}, 409, "limite"},
		{"claim-next at capacity", req{method: "POST", path: "/api/queue/claim-next", token: tok}, 409, "limite"},
		{"message to a resolved ticket", req{method: "POST", path: idPath(resolved, "messages"), token: tok, body: map[string]string{"text": "oi"}}, 409, "resolvido"},
		{"claim a resolved ticket", req{method: "POST", path: idPath(resolved, "claim"), token: tok}, 409, ""},
		{"wrong method on an action", req{method: "GET", path: idPath(id, "claim"), token: tok}, 405, ""},
		{"wrong method on the queue", req{method: "DELETE", path: "/api/queue", token: tok}, 405, ""},
		{"wrong method on login", req{method: "GET", path: "/api/login"}, 405, ""},
		{"unknown API path", req{method: "GET", path: "/api/nada", token: tok}, 404, ""},
		{"bad tickets filter", req{method: "GET", path: "/api/tickets?status=fechado", token: tok}, 400, ""},
		{"dashboard for an agent", req{method: "GET", path: "/api/dashboard?days=0", token: tok}, 403, ""},
		{"no auth", req{method: "GET", path: "/api/queue"}, 401, ""},
		{"bad token", req{method: "GET", path: "/api/queue", token: "nope"}, 401, ""},
		{"no auth on an action", req{method: "POST", path: idPath(id, "claim")}, 401, ""},
		{"cookie POST without the CSRF header", req{method: "POST", path: idPath(id, "messages"), header: withCookie(map[string]string{"Origin": "SELF"}), body: map[string]string{"text": "oi"}}, 403, ""},
		{"cookie POST from another site", req{method: "POST", path: idPath(id, "messages"), header: withCookie(map[string]string{csrfHeader: csrfValue, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}), body: map[string]string{"text": "oi"}}, 403, ""},
		{"cookie POST without any origin", req{method: "POST", path: idPath(id, "messages"), header: withCookie(map[string]string{csrfHeader: csrfValue}), body: map[string]string{"text": "oi"}}, 403, ""},
		{"cookie POST from the console", req{method: "POST", path: idPath(id, "messages"), header: withCookie(map[string]string{csrfHeader: csrfValue, "Origin": "SELF", "Sec-Fetch-Site": "same-origin"}), body: map[string]string{"text": "oi"}}, 200, ""},
		{"cookie GET needs no header", req{method: "GET", path: "/api/queue", header: cookie}, 200, ""},
		{"login from another site", req{method: "POST", path: "/api/login", header: map[string]string{"Origin": "https://evil.example"}, body: map[string]string{"email": "ana@contaazul.com", "password": password}}, 403, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.r.header {
				if v == "SELF" {
					tt.r.header[k] = e.srv.URL
				}
			}
			got := e.call(tt.r)
			if got.code != tt.code {
				t.Fatalf("got %d %s; want %d", got.code, got.body, tt.code)
			}
			if got.code >= 400 {
				if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q; want JSON", ct)
				}
				if m := got.errMsg(t); m == "" || !strings.Contains(m, tt.msg) {
					t.Errorf("error message %q; want one containing %q", m, tt.msg)
				}
			}
		})
	}
	// The queue is empty once every waiting customer is taken.
	e.must(200, req{method: "POST", path: idPath(id, "status"), token: tok, body: map[string]string{"status": "resolvido"}})
	e.closeUndoWindows(e.t)
	e.must(200, req{method: "POST", path: idPath(second, "claim"), token: tok})
	e.drain()
	e.say("c1", "5")
	if res := e.post(tok, "/api/queue/claim-next", nil); res.code != 409 {
		t.Errorf("claim-next with an empty queue: got %d %s; want 409", res.code, res.body)
	}
}

func TestEventsStream(t *testing.T) {
	e := newEnv(t)
	ana := e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 5)
	tok := e.login("ana@contaazul.com")
	sara := e.login("sara@contaazul.com")

	next := e.events(tok)
	hello := next("hello")
	if !strings.Contains(hello, fmt.Sprintf("%q", fmt.Sprint(ana.ID))) {
		t.Errorf("hello %s does not list the agent online", hello)
	}
	// Presence: Ana is online while her stream is open.
	var agents []struct {
		Name   string
		Online bool
	}
	e.must(200, req{method: "GET", path: "/api/agents", token: sara}).json(t, &agents)
	for _, a := range agents {
		if want := a.Name == "Ana"; a.Online != want {
			t.Errorf("agent %s online %v; want %v", a.Name, a.Online, want)
		}
	}

	id := e.customer("c1")
	ev := next("queue")
	var data struct{ Ticket int64 }
	if err := json.Unmarshal([]byte(ev), &data); err != nil || data.Ticket != id {
		t.Errorf("queue event %s; want ticket %d", ev, id)
	}
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: tok})
	next("ticket")
	e.must(200, req{method: "POST", path: idPath(id, "messages"), token: tok, body: map[string]string{"text": "Oi!"}})
	next("message")
}

func TestHealthzStaticAndHeaders(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	tok := e.login("ana@contaazul.com")

	res := e.must(200, req{method: "GET", path: "/healthz"})
	var h map[string]any
	res.json(t, &h)
	if h["status"] != "ok" || h["whatsapp"] != "connected" {
		t.Errorf("/healthz: got %v", h)
	}
	for _, path := range []string{"/", "/api/me", "/app.js"} {
		res := e.call(req{method: "GET", path: path, token: tok})
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
			if got := res.header.Get(k); got != want {
				t.Errorf("%s %s: got %q; want %q", path, k, got, want)
			}
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s CSP %q", path, csp)
		}
	}
	page := e.must(200, req{method: "GET", path: "/"})
	if !bytes.Contains(page.body, []byte(`src="/app.js"`)) || bytes.Contains(page.body, []byte("<script>")) {
		t.Errorf("index.html must load app.js and hold no inline script")
	}
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("index Content-Type %q", ct)
	}
	js := e.must(200, req{method: "GET", path: "/app.js"})
	if ct := js.header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js Content-Type %q", ct)
	}
	e.must(304, req{method: "GET", path: "/app.js", header: map[string]string{"If-None-Match": js.header.Get("ETag")}})
	e.must(200, req{method: "GET", path: "/atendimento/100001"}) // page paths get the page
	e.must(404, req{method: "GET", path: "/nada.png"})
}

func TestAgentsQuickRepliesDashboard(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 3)
	ana, sara := e.login("ana@contaazul.com"), e.login("sara@contaazul.com")
	id := e.customer("c1")
	e.clock.Advance(2 * time.Minute)
	e.must(200, req{method: "POST", path: idPath(id, "claim"), token: ana})
	e.must(200, req{method: "POST", path: idPath(id, "status"), token: ana, body: map[string]string{"status": "resolvido"}})
	e.closeUndoWindows(e.t)
	e.drain()
	e.say("c1", "4")

	var agents []struct {
		Name        string
		Email       string
		ActiveChats int `json:"active_chats"`
		MaxChats    int `json:"max_chats"`
	}
	e.must(200, req{method: "GET", path: "/api/agents", token: ana}).json(t, &agents)
	if len(agents) != 2 || agents[0].Email != "" {
		t.Errorf("agents for an agent: got %+v; want both, without e-mails", agents)
	}
	e.must(200, req{method: "GET", path: "/api/agents", token: sara}).json(t, &agents)
	if len(agents) != 2 || agents[1].Email == "" || agents[1].MaxChats != 3 {
		t.Errorf("agents for a supervisor: got %+v", agents)
	}

	var quick []struct{ Title, Text string }
	e.must(200, req{method: "GET", path: "/api/quick-replies", token: ana}).json(t, &quick)
	if len(quick) != len(e.flow.File.Quick) || len(quick) == 0 || quick[0].Title == "" || quick[0].Text == "" {
		t.Errorf("quick replies: got %+v", quick)
	}

	var dash struct {
		Days []struct {
			Day            string
			Conversations  int
			Handoffs       int
			AvgWaitSeconds int64 `json:"avg_wait_seconds"`
		}
		CSAT struct {
			Count        int
			Average      float64
			Distribution [5]int
		}
		Now struct{ Queue, WithAgents int }
	}
	e.must(200, req{method: "GET", path: "/api/dashboard?days=7", token: sara}).json(t, &dash)
	if len(dash.Days) != 7 {
		t.Fatalf("dashboard days: got %d; want 7", len(dash.Days))
	}
	today := dash.Days[6]
	if today.Day != "2026-11-24" || today.Conversations != 1 || today.Handoffs != 1 || today.AvgWaitSeconds != 120 {
		t.Errorf("today: got %+v; want 1 conversation handed off, 120 s wait", today)
	}
	if dash.CSAT.Count != 1 || dash.CSAT.Average != 4 || dash.CSAT.Distribution != [5]int{0, 0, 0, 1, 0} {
		t.Errorf("CSAT: got %+v", dash.CSAT)
	}
}

func TestPasswordRules(t *testing.T) {
	for _, tt := range []struct {
		pw string
		ok bool
	}{
		{"curta", false},
		{"123456789", false},
		{"1234567890", true},
		{" espaço-no-começo", false},
		{strings.Repeat("x", 73), false},
		{"ção-ção-çã", true}, // 10 characters, more bytes
	} {
		_, err := HashPassword(tt.pw, bcrypt.MinCost)
		if (err == nil) != tt.ok {
			t.Errorf("HashPassword(%q): got %v; want ok=%v", tt.pw, err, tt.ok)
		}
	}
}

// TestStatusNames: the server names the statuses (one source, which the
// page loads) and says of each ticket both its status and whether it
// waits in the queue: a queued ticket is Aberto and in line.
func TestStatusNames(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	tok := e.login("ana@contaazul.com")

	var meta struct {
		Statuses []struct{ ID, Label string }
	}
	e.must(200, req{method: "GET", path: "/api/meta", token: tok}).json(t, &meta)
	want := []struct{ ID, Label string }{{"aberto", "Aberto"}, {"aguardando_resposta", "Aguardando resposta"}, {"resolvido", "Resolvido"}}
	if !slices.Equal(meta.Statuses, want) {
		t.Errorf("/api/meta statuses: got %+v; want %+v", meta.Statuses, want)
	}

	first := e.customer("5547999990001")
	e.clock.Advance(time.Minute)
	second := e.customer("5547999990002")
	type ticket struct {
		ID            int64
		Status        string
		StatusLabel   string `json:"status_label"`
		Queued        bool
		QueuePosition int `json:"queue_position"`
	}
	for i, id := range []int64{first, second} {
		var got ticket
		e.must(200, req{method: "GET", path: fmt.Sprint("/api/tickets/", id), token: tok}).json(t, &got)
		if got.Status != "aberto" || got.StatusLabel != "Aberto" || !got.Queued || got.QueuePosition != i+1 {
			t.Errorf("queued ticket %d: got %+v; want aberto, Aberto, queued at position %d", id, got, i+1)
		}
	}
	e.must(200, req{method: "POST", path: idPath(first, "claim"), token: tok})
	e.must(200, req{method: "POST", path: idPath(first, "status"), token: tok, body: map[string]string{"status": "aguardando_resposta"}})
	var list []ticket
	e.must(200, req{method: "GET", path: "/api/tickets?mine=1", token: tok}).json(t, &list)
	if len(list) != 1 || list[0].StatusLabel != "Aguardando resposta" || list[0].Queued || list[0].QueuePosition != 0 {
		t.Errorf("claimed ticket: got %+v; want Aguardando resposta, not queued", list)
	}
	d := e.detail(tok, first)
	if !d.has("system", "Status: Aguardando resposta") {
		t.Errorf("the transcript does not name the status as the label: %+v", d.Messages)
	}
}

// TestSearch: agents find tickets by the words customers and agents wrote,
// by name, protocol and phone; they read resolved tickets, the queue and
// their own, never a colleague's conversation going on; supervisors find
// everything. The log names who searched, never what.
func TestSearch(t *testing.T) {
	e := &env{backend: newBackend(t), t: t}
	var logs bytes.Buffer
	cfg := Config{Store: e.db, Runtime: e.rt, Clock: e.clock, Flow: e.current, BcryptCost: bcrypt.MinCost, Log: zerolog.New(&logs)}
	e.serve(New(cfg))
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	bia := botAgent(e.agent("bia@contaazul.com", "Bia Souza", store.RoleAgent, 5))
	e.agent("sara@contaazul.com", "Sara", store.RoleSupervisor, 5)
	ana, sara := e.login("ana@contaazul.com"), e.login("sara@contaazul.com")

	// Last week Bia solved a rejected invoice; today she has another one
	// going on, and a third customer waits in the queue.
	solved := e.customer("5547999990001")
	e.say("5547999990001", "A nota fiscal voltou com Rejeição 539")
	if err := e.rt.Claim(e.ctx, bia, solved); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Reply(e.ctx, bia, solved, "Atualize o certificado digital e emita de novo."); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.SetStatus(e.ctx, bia, solved, store.StatusResolvido); err != nil {
		t.Fatal(err)
	}
	e.closeUndoWindows(t)
	e.drain()
	going := e.customer("5547988880002")
	e.say("5547988880002", "Também deu rejeição 539 aqui")
	if err := e.rt.Claim(e.ctx, bia, going); err != nil {
		t.Fatal(err)
	}
	waiting := e.customer("5547977770003")
	e.say("5547977770003", "Meu boleto da rejeição sumiu")
	e.drain()

	type hit struct {
		ID          int64
		StatusLabel string `json:"status_label"`
		Match       *struct {
			From, Text string
			ActorName  string `json:"actor_name"`
		}
	}
	find := func(tok, q string) []hit {
		t.Helper()
		var hits []hit
		e.must(200, req{method: "GET", path: "/api/search?q=" + url.QueryEscape(q), token: tok}).json(t, &hits)
		return hits
	}
	ids := func(hs []hit) []int64 {
		var out []int64
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name, tok, q string
		want         []int64
	}{
		{"an agent: resolved and queued, not a colleague's chat", ana, "rejeicao", []int64{waiting, solved}},
		{"a supervisor: everything", sara, "rejeição", []int64{waiting, going, solved}},
		{"words of an agent's reply", ana, "certificado", []int64{solved}},
		{"every word", ana, "rejeição boleto", []int64{waiting}},
		{"a phone as written", sara, "(47) 98888-0002", []int64{going}},
		{"a protocol", ana, fmt.Sprint(solved), []int64{solved}},
		{"nothing", ana, "xyzzy", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(find(tt.tok, tt.q)); !slices.Equal(got, tt.want) {
				t.Errorf("search %q: got %v; want %v", tt.q, got, tt.want)
			}
		})
	}
	hs := find(ana, "certif")
	if len(hs) != 1 || hs[0].StatusLabel != "Resolvido" || hs[0].Match == nil || hs[0].Match.From != "agent" ||
		hs[0].Match.ActorName != "Bia Souza" || !strings.Contains(hs[0].Match.Text, "certificado digital") {
		t.Errorf("hit: %+v; want the resolved ticket with Bia's line", hs)
	}
	// What search finds, the agent may open; a colleague's chat stays closed.
	e.must(200, req{method: "GET", path: fmt.Sprint("/api/tickets/", solved), token: ana})
	e.must(403, req{method: "GET", path: fmt.Sprint("/api/tickets/", going), token: ana})

	for _, tt := range []struct {
		q, want string
	}{
		{"ab", "pelo menos 3"},
		{strings.Repeat("boleto ", 40), "longa demais"},
	} {
		res := e.get(ana, "/api/search?q="+url.QueryEscape(tt.q))
		if res.code != 400 || !strings.Contains(res.errMsg(t), tt.want) {
			t.Errorf("search %q: got %d %s; want 400 %q", tt.q, res.code, res.body, tt.want)
		}
	}
	if res := e.get(ana, "/api/search?q=boleto&status=fechado"); res.code != 400 {
		t.Errorf("unknown status: got %d; want 400", res.code)
	}
	if res := e.call(req{method: "GET", path: "/api/search?q=boleto"}); res.code != 401 {
		t.Errorf("no login: got %d; want 401", res.code)
	}
	if l := logs.String(); !strings.Contains(l, `"action":"search"`) || strings.Contains(l, "rejei") || strings.Contains(l, "98888") {
		t.Errorf("the log must say who searched, not what:\n%s", l)
	}
}

// TestTranscriptHidesUnmatched: what the bot did not understand is noted
// on the ticket for the editors' report, but agents read the customer's
// own line, once.
func TestTranscriptHidesUnmatched(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	tok := e.login("ana@contaazul.com")
	const chat = "5547999990009"
	e.say(chat, "oi", "12345678", "Quem ganhou o jogo?", "atendente")
	id := e.lastTicket(chat)
	var noted []store.TicketEvent
	err := e.db.View(context.Background(), func(tx *store.Tx) error {
		es, err := tx.TicketEvents(context.Background(), id, 0)
		for _, ev := range es {
			if ev.Kind == store.EventUnmatched {
				noted = append(noted, ev)
			}
		}
		return err
	})
	if err != nil || len(noted) != 1 || noted[0].Text != "quem ganhou o jogo" {
		t.Fatalf("unmatched events = %+v, %v; want the folded text once", noted, err)
	}
	d := e.detail(tok, id)
	n := 0
	for _, m := range d.Messages {
		if strings.Contains(strings.ToLower(m.Text), "quem ganhou o jogo") {
			n++
			if m.From != "customer" {
				t.Errorf("line %+v; want only the customer's", m)
			}
		}
	}
	if n != 1 {
		t.Errorf("the text shows %d times in the transcript; want once: %+v", n, d.Messages)
	}
}

// TestDeclaredTooLong: a request whose declared length is over the API's
// cap is refused with 413 before its body arrives (a client declaring a
// huge body could otherwise hold the connection while trickling bytes).
func TestDeclaredTooLong(t *testing.T) {
	e := newEnv(t)
	c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("declared 100 MB, sent a byte: %v; want 413 at once", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "grande demais") {
		t.Errorf("got %d %s; want 413 with the limit", res.StatusCode, b)
	}
}
