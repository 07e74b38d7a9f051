package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"suporte/bot"
	"suporte/store"
)

// fuzzRoutes are the console calls FuzzConsoleAPI makes; "{id}" is the
// fuzzed ticket id.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/login"},
	{"POST", "/api/tickets/{id}/messages"},
	{"POST", "/api/tickets/{id}/status"},
	{"POST", "/api/tickets/{id}/transfer"},
	{"POST", "/api/tickets/{id}/claim"},
	{"POST", "/api/tickets/{id}/release"},
	{"POST", "/api/tickets/{id}/escalate"},
	{"POST", "/api/tickets/{id}/undo-resolve"},
	{"GET", "/api/tickets/{id}"},
}

// How FuzzConsoleAPI authenticates, picked by sel/24%11.
const (
	authBearerSupervisor = 6  // 0 to 5: Ana's bearer token; 6 and 7: the supervisor's
	authCookie           = 8  // Ana's cookie with the console's CSRF header
	authCookieNoCSRF     = 9  // Ana's cookie alone: a cross-site form
	authNone             = 10 // nothing
	authModes            = 11
)

// fuzzConsole is a console over a backend, shared by the inputs of one
// fuzz worker.
type fuzzConsole struct {
	*backend
	h        http.Handler
	ana, bia store.Agent
	anaToken string
	supToken string
	chats    int
}

func newFuzzConsole(tb testing.TB) *fuzzConsole {
	tb.Helper()
	c := &fuzzConsole{backend: newBackend(tb)}
	c.h = c.console(Config{}).Handler()
	var agents []store.Agent
	for _, a := range []store.Agent{
		{Email: "ana@contaazul.com", Name: "Ana Lima", Role: store.RoleAgent},      // id 1: the fuzzing agent
		{Email: "bia@contaazul.com", Name: "Bia Souza", Role: store.RoleAgent},     // id 2: another agent
		{Email: "velho@contaazul.com", Name: "Velho", Role: store.RoleAgent},       // id 3: disabled
		{Email: "sup@contaazul.com", Name: "Sara Sup", Role: store.RoleSupervisor}, // id 4
		{Email: "cheia@contaazul.com", Name: "Cheia", Role: store.RoleAgent, MaxChats: 1},
	} {
		agents = append(agents, c.addAgent(tb, a))
	}
	c.ana, c.bia = agents[0], agents[1]
	if err := c.db.Update(c.ctx, func(tx *store.Tx) error { return tx.SetAgentDisabled(c.ctx, agents[2].ID, true, c.clock.Now()) }); err != nil {
		tb.Fatal(err)
	}
	c.anaToken = login(tb, c.h, "ana@contaazul.com")
	c.supToken = login(tb, c.h, "sup@contaazul.com")
	return c
}

func (c *fuzzConsole) serve(r *http.Request) (int, []byte) {
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

// customer puts a new chat in the queue and returns its ticket; owner,
// if set, claims it.
func (c *fuzzConsole) customer(t *testing.T, owner *store.Agent) store.Ticket {
	t.Helper()
	c.chats++
	tk := c.queue(t, fmt.Sprint("fuzz", c.chats))
	if owner != nil {
		if err := c.rt.Claim(c.ctx, botAgent(*owner), tk.ID); err != nil {
			t.Fatalf("claim ticket %d for %s: %v", tk.ID, owner.Name, err)
		}
		c.drainRuntime(t)
		tk = c.readTicket(t, tk.ID)
	}
	return tk
}

// onlyTicket is chat's ticket: a fuzz chat never gets a second one.
func (c *fuzzConsole) onlyTicket(t *testing.T, chat string) store.Ticket {
	t.Helper()
	ts := c.chatTickets(t, chat, 0)
	if len(ts) != 1 {
		t.Fatalf("tickets of %s: got %d; want 1", chat, len(ts))
	}
	return ts[0]
}

// resolvingAt is when tk resolves after an agent's Resolver, or zero.
func (c *fuzzConsole) resolvingAt(t *testing.T, tk store.Ticket) time.Time {
	t.Helper()
	var at time.Time
	err := c.db.View(c.ctx, func(tx *store.Tx) error {
		timers, err := tx.Timers(c.ctx, "", tk.Chat)
		at = bot.ResolvingAt(timers, tk.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// FuzzConsoleAPI sends any body, with any ticket id in the path, to the
// console's login and ticket actions, authenticated or not. sel picks the
// route (sel%9), the ticket the id "" stands for (sel/8%3: a new chat
// held by the agent, waiting in the queue, or held by another agent) and
// the authentication (sel/24%11). Never a 5xx; every error is a JSON
// {"error"}; nothing succeeds without a session, nor does a POST with
// the cookie but without the CSRF header; the ticket's status stays one of
// the three, and an action that succeeds did what it says.
//
// One store, runtime and console serve a fuzz worker; each input gets a
// new chat. With /tmp on disk every commit is an fsync: run with
// TMPDIR=/dev/shm.
func FuzzConsoleAPI(f *testing.F) {
	text := []string{
		`{"text":"Olá, vou verificar"}`, `{"text":"nota interna","internal":true}`, `{"text":"   "}`, `{}`, ``,
		`{"text":"` + strings.Repeat("á", maxText+1) + `"}`, `{"text":"` + strings.Repeat("x", maxBody) + `"}`,
		`{"text":"\u0000\u202e*bold*"}`, `{"text":"oi"} {}`, `{"text":"oi"}x`, `{"text":1}`,
	}
	status := []string{
		`{"status":"resolvido"}`, `{"status":"aguardando_resposta"}`, `{"status":"aberto"}`, `{"status":"RESOLVIDO"}`,
		`{"status":"resolvido\u0000"}`, `{"status":1}`, `{"status":"resolvido","status":"x"}`, `{}`,
	}
	transfer := []string{
		`{"agent":"2"}`, `{"agent":"bia@contaazul.com"}`, `{"agent":" BIA@contaazul.com "}`, `{"agent":"1"}`,
		`{"agent":"3"}`, `{"agent":"4"}`, `{"agent":"5"}`, `{"agent":"999"}`, `{"agent":"-1"}`,
		`{"agent":"99999999999999999999"}`, `{"agent":""}`, `{"agent":null}`,
	}
	login := []string{
		`{"email":"ana@contaazul.com","password":"senha-muito-boa"}`, `{"email":" ANA@contaazul.com","password":"senha-muito-boa"}`,
		`{"email":"ana@contaazul.com","password":"errada"}`, `{"email":"velho@contaazul.com","password":"senha-muito-boa"}`,
		`{"email":"","password":""}`, `{"email":"ana@contaazul.com","password":"` + strings.Repeat("a", 100) + `"}`,
	}
	empty := []string{``, `{}`, `{"x":1}`}
	nasty := []string{`null`, `[]`, `"x"`, "\xff", "\x00", strings.Repeat("[", 20000), strings.Repeat(`{"text":`, 3000)}
	byRoute := [][]string{login, text, status, transfer, empty, empty, empty, {``}}
	for r, bodies := range byRoute {
		for _, b := range bodies {
			f.Add(uint8(r), "", []byte(b)) // a chat Ana holds, her bearer token
		}
		for _, sel := range []int{8, 16, 24 * authBearerSupervisor, 24 * authCookie, 24 * authCookieNoCSRF, 24 * authNone} {
			f.Add(uint8(r+sel), "", []byte(bodies[0]))
		}
	}
	for i, b := range nasty {
		f.Add(uint8(i), "", []byte(b))
	}
	for i, id := range []string{"0", "-1", "1", "100001", "abc", "1.5", "+1", " 1", "1%2F2", "1/2", "..", "9223372036854775808", "\x00", "é"} {
		f.Add(uint8(2+5*(i%2)), id, []byte(status[0]))
	}

	c := newFuzzConsole(f)
	f.Fuzz(func(t *testing.T, sel uint8, id string, body []byte) {
		route := fuzzRoutes[int(sel)%len(fuzzRoutes)]
		var owner *store.Agent
		switch sel / 8 % 3 {
		case 0:
			owner = &c.ana
		case 2:
			owner = &c.bia
		}
		tk := c.customer(t, owner)
		if id == "" {
			id = strconv.FormatInt(tk.ID, 10)
		}

		r := httptest.NewRequest(route.method, "/", bytes.NewReader(body))
		r.URL.Path = strings.ReplaceAll(route.path, "{id}", id)
		auth := int(sel) / 24 % authModes
		switch {
		case auth < authBearerSupervisor:
			r.Header.Set("Authorization", "Bearer "+c.anaToken)
		case auth < authCookie:
			r.Header.Set("Authorization", "Bearer "+c.supToken)
		case auth == authCookie:
			r.AddCookie(&http.Cookie{Name: CookieName, Value: c.anaToken})
			r.Header.Set(csrfHeader, csrfValue)
			r.Header.Set("Origin", "http://"+r.Host)
		case auth == authCookieNoCSRF:
			r.AddCookie(&http.Cookie{Name: CookieName, Value: c.anaToken})
		}
		what := fmt.Sprintf("%s %q (auth %d) %.200q", route.method, r.URL.Path, auth, body)
		code, res := c.serve(r)
		c.drainRuntime(t)

		switch {
		case code >= 500:
			t.Fatalf("%s = %d %s; want no 5xx", what, code, res)
		case code >= 400:
			var e map[string]any
			if err := json.Unmarshal(res, &e); err != nil {
				t.Fatalf("%s = %d %.300q; want a JSON error (%v)", what, code, res, err)
			}
			if msg, ok := e["error"].(string); !ok || msg == "" || len(e) != 1 {
				t.Fatalf("%s = %d %.300s; want exactly {\"error\": \"...\"}", what, code, res)
			}
		case code >= 300:
			// The mux cleaning a path ("..", "//"): a redirect, nothing done.
		case route.path != "/api/login" && (auth == authNone || auth == authCookieNoCSRF && route.method != "GET"):
			t.Fatalf("%s = %d %.300s without a valid session or CSRF header; want a refusal", what, code, res)
		}

		after := c.onlyTicket(t, tk.Chat)
		switch after.Status {
		case store.StatusAberto, store.StatusAguardando, store.StatusResolvido:
		default:
			t.Fatalf("%s: ticket %d status %q; want one of the three", what, tk.ID, after.Status)
		}
		if code != http.StatusOK || id != strconv.FormatInt(tk.ID, 10) {
			return
		}
		// Success did what it says.
		me := strconv.FormatInt(c.ana.ID, 10)
		switch route.path {
		case "/api/tickets/{id}/status":
			var req statusRequest
			_ = json.Unmarshal(body, &req)
			resolving := req.Status == store.StatusResolvido && !c.resolvingAt(t, after).IsZero()
			if after.Status != req.Status && !resolving {
				t.Errorf("%s = 200 but the ticket is %s, not resolving", what, after.Status)
			}
		case "/api/tickets/{id}/undo-resolve":
			if !c.resolvingAt(t, after).IsZero() {
				t.Errorf("%s = 200 but the ticket still resolves", what)
			}
		case "/api/tickets/{id}/transfer":
			if after.Agent == tk.Agent || after.Agent == "" {
				t.Errorf("%s = 200 but the ticket went from agent %q to %q", what, tk.Agent, after.Agent)
			}
		case "/api/tickets/{id}/claim":
			if auth < authBearerSupervisor && after.Agent != me {
				t.Errorf("%s = 200 but the ticket is with agent %q; want %s", what, after.Agent, me)
			}
		case "/api/tickets/{id}/release":
			if after.Agent != "" || after.Status != store.StatusAberto || after.QueuedAt.IsZero() {
				t.Errorf("%s = 200 but the ticket is %+v; want back in the queue", what, after)
			}
		}
	})
}
