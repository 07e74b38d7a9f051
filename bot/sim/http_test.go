package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/flows"
	"suporte/store"
)

// waitFor bounds every wait for the runtime: a failing deadline, never a
// sleep.
const waitFor = 10 * time.Second

// simEnv is the demo's customer side over a real runtime and store. The
// test steps the runtime (Drain) and moves its clock; there are no typing
// pauses, but "digitando..." is still shown. (cmd/suporte's demo test runs
// the same wiring with the runtime in the background.)
type simEnv struct {
	db      *store.DB
	dir     string       // uploads/ and media/ (kept across restarts)
	files   *store.Files // the service's media folder
	clock   *bot.ManualClock
	phone   *Phone
	rt      *bot.Runtime
	srv     *httptest.Server
	updates <-chan Update
	pending []Update // read from updates but not yet consumed
}

func newSimEnv(t *testing.T) *simEnv {
	t.Helper()
	// Tuesday 10:00 in São Paulo: the Encantadores are working.
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))
	e := &simEnv{db: testStore(t), clock: clock}
	e.start(t, testFlow(t), clock, false)
	return e
}

// start runs a new Phone and runtime on e's store, as a demo (re)start
// does. A live runtime works in the background, as in the demo, instead
// of being stepped by drain.
func (e *simEnv) start(t *testing.T, fl *flows.Flow, clock bot.Clock, live bool) {
	t.Helper()
	if e.dir == "" {
		e.dir = t.TempDir()
	}
	files, err := store.OpenFiles(filepath.Join(e.dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	e.files = files
	e.phone = NewPhone(PhoneConfig{Store: e.db, Clock: clock, Location: fl.Calendar.Location, Log: zerolog.Nop(),
		Uploads: filepath.Join(e.dir, "uploads"), Files: files})
	e.rt = bot.New(bot.Config{
		Store:     e.db,
		Files:     files,
		Flow:      func() *flows.Flow { return fl },
		Transport: e.phone,
		Clock:     clock,
		Log:       zerolog.Nop(),
		Sleep:     func(context.Context, time.Duration) error { return nil },
	})
	updates, unsubscribe := e.phone.Subscribe()
	e.updates, e.pending = updates, nil
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if live {
		go func() { done <- e.rt.Run(ctx) }()
	} else {
		done <- nil
	}
	e.srv = httptest.NewUnstartedServer(e.phone.Handler(e.rt))
	e.srv.Config.BaseContext = func(net.Listener) context.Context { return ctx }
	e.srv.Start()
	srv := e.srv
	t.Cleanup(func() {
		cancel() // first: it ends the page's event streams, which Close waits for
		srv.Close()
		unsubscribe()
		if err := <-done; err != nil {
			t.Errorf("runtime: %v", err)
		}
	})
}

// drain does the runtime's pending work, as its workers would: answers
// are sent and recorded when it returns.
func (e *simEnv) drain(t *testing.T) {
	t.Helper()
	if err := e.rt.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// do sends a request and returns the status and body.
func (e *simEnv) do(t *testing.T, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// post sends a customer message and returns the answer.
func (e *simEnv) post(t *testing.T, body string) postAnswer {
	t.Helper()
	code, _, b := e.do(t, "POST", "/sim/api/messages", body)
	if code != http.StatusAccepted {
		t.Fatalf("POST %s: got %d %s; want 202", body, code, b)
	}
	var a postAnswer
	if err := json.Unmarshal(b, &a); err != nil || a.ID == "" {
		t.Fatalf("POST answer %s: %v", b, err)
	}
	return a
}

// say posts text as chat and waits for n support messages to it.
func (e *simEnv) say(t *testing.T, chat, text string, n int) []Message {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"chat": chat, "text": text})
	e.post(t, string(b))
	return e.wait(t, chat, n)
}

// wait runs the runtime and returns the next n support messages shown in
// chat, in order. Updates of other chats stay queued for their own waits.
func (e *simEnv) wait(t *testing.T, chat string, n int) []Message {
	t.Helper()
	e.drain(t)
	var got []Message
	deadline := time.After(waitFor)
	for len(got) < n {
		if i := slices.IndexFunc(e.pending, func(u Update) bool { return u.Chat == chat }); i >= 0 {
			u := e.pending[i]
			e.pending = slices.Delete(e.pending, i, i+1)
			if u.Type == UpdateMessage && u.Message.From == FromSupport {
				got = append(got, *u.Message)
			}
			continue
		}
		select {
		case u, ok := <-e.updates:
			if !ok {
				t.Fatal("updates closed: the test fell behind")
			}
			e.pending = append(e.pending, u)
		case <-deadline:
			t.Fatalf("chat %s: got %d support messages %q; want %d within %v", chat, len(got), texts(got), n, waitFor)
		}
	}
	return got
}

// sent reads GET /sim/api/messages.
func (e *simEnv) sent(t *testing.T, query string) []Message {
	t.Helper()
	return e.list(t, "/sim/api/messages?"+query)
}

func (e *simEnv) list(t *testing.T, path string) []Message {
	t.Helper()
	code, _, b := e.do(t, "GET", path, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s: got %d %s; want 200", path, code, b)
	}
	var ms []Message
	if err := json.Unmarshal(b, &ms); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, b)
	}
	if ms == nil {
		t.Fatalf("GET %s: got %s; want a list", path, b)
	}
	return ms
}

func texts(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func (e *simEnv) later(d time.Duration) { e.clock.Set(e.clock.Now().Add(d)) }

const chatA = "5547999990001"

func TestConversationThroughAPI(t *testing.T) {
	e := newSimEnv(t)
	a := e.post(t, `{"chat":"`+chatA+`","text":"oi","name":"Maria Silva"}`)
	if a.Duplicate || !strings.HasPrefix(a.ID, "sim-") {
		t.Fatalf("first post: got %+v; want a new sim- id", a)
	}
	greeting := e.wait(t, chatA, 1)[0]
	if !strings.Contains(greeting.Text, "ID Suporte") {
		t.Fatalf("greeting: got %q; want it to ask the ID Suporte", greeting.Text)
	}
	e.later(time.Minute)
	e.post(t, `{"chat":"`+chatA+`","text":"12345678","id":"m-2"}`)
	e.wait(t, chatA, 2)

	ms := e.sent(t, "chat="+chatA)
	if len(ms) != 3 {
		t.Fatalf("GET messages: got %d %q; want greeting, confirmation, menu", len(ms), texts(ms))
	}
	for i, want := range []string{"Boas-vindas", "12345678", "Sobre qual assunto"} {
		if !strings.Contains(ms[i].Text, want) {
			t.Errorf("message %d: got %q; want it to contain %q", i, ms[i].Text, want)
		}
		if ms[i].Chat != chatA || ms[i].From != FromSupport || ms[i].Seq == 0 {
			t.Errorf("message %d: got %+v; want a support message of %s with a seq", i, ms[i], chatA)
		}
		if i > 0 && ms[i].Seq <= ms[i-1].Seq {
			t.Errorf("seq %d after %d; want increasing", ms[i].Seq, ms[i-1].Seq)
		}
	}
	if len(ms[0].Options) != 0 || len(ms[2].Options) != 8 || ms[2].Options[0] != (bot.Option{Key: "1", Label: "Notas fiscais"}) {
		t.Errorf("options: got %v and %v; want none on the greeting, the 8 topics on the menu", ms[0].Options, ms[2].Options)
	}
	_, _, raw := e.do(t, "GET", "/sim/api/messages?chat="+chatA, "")
	if n := bytes.Count(raw, []byte(`"options"`)); n != 1 {
		t.Errorf(`GET messages: got "options" %d times; want only on the menu: %s`, n, raw)
	}

	after := e.sent(t, "chat="+chatA+"&after="+jsonInt(ms[0].Seq))
	if len(after) != 2 || after[0].Seq != ms[1].Seq {
		t.Errorf("GET after=%d: got %q; want the last two", ms[0].Seq, texts(after))
	}
	if none := e.sent(t, "chat="+chatA+"&after="+jsonInt(ms[2].Seq)); len(none) != 0 {
		t.Errorf("GET after the last: got %q; want none", texts(none))
	}

	h := e.list(t, "/sim/api/history?chat="+chatA)
	var who []string
	for _, m := range h {
		who = append(who, m.From+":"+strings.SplitN(m.Text, "\n", 2)[0])
	}
	want := []string{"customer:oi", "support:" + strings.SplitN(ms[0].Text, "\n", 2)[0], "customer:12345678",
		"support:" + strings.SplitN(ms[1].Text, "\n", 2)[0], "support:" + strings.SplitN(ms[2].Text, "\n", 2)[0]}
	if !slices.Equal(who, want) {
		t.Errorf("history:\n got %q\nwant %q", who, want)
	}
	if h[2].ID != "m-2" || !h[2].Read {
		t.Errorf("history customer message: got %+v; want id m-2, read", h[2])
	}

	var chats []Chat
	_, _, b := e.do(t, "GET", "/sim/api/chats", "")
	if err := json.Unmarshal(b, &chats); err != nil {
		t.Fatal(err)
	}
	if len(chats) != 1 || chats[0].Chat != chatA || chats[0].Name != "Maria Silva" || chats[0].Last == nil || chats[0].Last.Seq != ms[2].Seq {
		t.Errorf("chats: got %s; want Maria Silva's chat ending with the menu", b)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestRepeatedIDIsIgnored(t *testing.T) {
	e := newSimEnv(t)
	first := e.post(t, `{"chat":"`+chatA+`","text":"oi","id":"wa-1"}`)
	e.wait(t, chatA, 1)
	again := e.post(t, `{"chat":"`+chatA+`","text":"oi","id":"wa-1"}`)
	if first.Duplicate || !again.Duplicate || again.ID != "wa-1" {
		t.Fatalf("got %+v then %+v; want wa-1 new, then wa-1 duplicate", first, again)
	}
	// The chat is served in order: had the redelivery been handled, its
	// answer would come before the answers to this next message.
	e.later(time.Minute)
	got := e.say(t, chatA, "12345678", 2)
	if !strings.Contains(got[0].Text, "12345678") {
		t.Errorf("after the redelivery: got %q; want the ID confirmation first", texts(got))
	}
	if ms := e.sent(t, "chat="+chatA); len(ms) != 3 {
		t.Errorf("GET messages: got %q; want greeting, confirmation, menu: one answer to wa-1", texts(ms))
	}
	var customer int
	for _, m := range e.list(t, "/sim/api/history?chat="+chatA) {
		if m.From == FromCustomer {
			customer++
		}
	}
	if customer != 2 {
		t.Errorf("history: got %d customer messages; want 2", customer)
	}
}

func TestMediaGetsTextOnlyAnswer(t *testing.T) {
	e := newSimEnv(t)
	for i, kind := range bot.MediaKinds {
		chat := "55479999900" + jsonInt(int64(10+i))
		e.say(t, chat, "oi", 1)
		e.later(time.Minute)
		e.say(t, chat, "12345678", 2)
		e.later(time.Minute)
		b, _ := json.Marshal(map[string]string{"chat": chat, "kind": kind})
		e.post(t, string(b))
		got := e.wait(t, chat, 2)
		if !strings.Contains(got[0].Text, "só mensagens de *texto*") || !strings.Contains(got[1].Text, "Sobre qual assunto") {
			t.Errorf("%s: got %q; want the text-only answer, then the menu again", kind, texts(got))
		}
		h := e.list(t, "/sim/api/history?chat="+chat)
		if m := h[len(h)-3]; m.From != FromCustomer || m.Kind != kind {
			t.Errorf("%s: history shows %+v; want the customer's %s", kind, m, kind)
		}
	}
	// A caption rides along with the media.
	e.post(t, `{"chat":"`+chatA+`","kind":"image","text":"print do erro"}`)
	e.wait(t, chatA, 1)
	if h := e.list(t, "/sim/api/history?chat="+chatA); h[0].Kind != bot.KindImage || h[0].Text != "print do erro" {
		t.Errorf("captioned image: got %+v; want kind image with its caption", h[0])
	}
}

func TestChatsDoNotMix(t *testing.T) {
	e := newSimEnv(t)
	const chatB = "5511988887777"
	e.post(t, `{"chat":"`+chatA+`","text":"oi","name":"Maria"}`)
	e.post(t, `{"chat":"`+chatB+`","text":"oi","name":"João"}`)
	e.wait(t, chatA, 1)
	e.wait(t, chatB, 1)
	e.later(time.Minute)
	e.say(t, chatB, "87654321", 2)

	a, b := e.sent(t, "chat="+chatA), e.sent(t, "chat="+chatB)
	if len(a) != 1 || len(b) != 3 {
		t.Fatalf("got %d messages for A and %d for B; want 1 and 3", len(a), len(b))
	}
	for _, m := range slices.Concat(a, b) {
		if strings.Contains(m.Text, "87654321") && m.Chat != chatB {
			t.Errorf("B's confirmation shown in %s", m.Chat)
		}
	}
	for _, m := range e.list(t, "/sim/api/history?chat="+chatA) {
		if m.Chat != chatA || m.Text == "87654321" {
			t.Errorf("A's history holds %+v", m)
		}
	}
	var chats []Chat
	_, _, raw := e.do(t, "GET", "/sim/api/chats", "")
	if err := json.Unmarshal(raw, &chats); err != nil {
		t.Fatal(err)
	}
	if len(chats) != 2 || chats[0].Chat != chatB || chats[1].Chat != chatA || chats[0].Name != "João" {
		t.Errorf("chats: got %s; want João's (newest) then Maria's", raw)
	}
	if ms := e.sent(t, "chat=5500000000000"); len(ms) != 0 {
		t.Errorf("unknown chat: got %q; want []", texts(ms))
	}
}

func TestAPIErrors(t *testing.T) {
	e := newSimEnv(t)
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string // in the error message
	}{
		{"empty body", "POST", "/sim/api/messages", ``, 400, "objeto JSON"},
		{"bad json", "POST", "/sim/api/messages", `{"chat":`, 400, "JSON inválido"},
		{"not an object", "POST", "/sim/api/messages", `["oi"]`, 400, "JSON inválido"},
		{"unknown field", "POST", "/sim/api/messages", `{"chat":"1","text":"oi","from_me":true}`, 400, `"from_me"`},
		{"wrong type", "POST", "/sim/api/messages", `{"chat":5547,"text":"oi"}`, 400, `"chat"`},
		{"two values", "POST", "/sim/api/messages", `{"chat":"1","text":"oi"} {}`, 400, "JSON inválido"},
		{"no chat", "POST", "/sim/api/messages", `{"text":"oi"}`, 400, `"chat"`},
		{"chat too long", "POST", "/sim/api/messages", `{"chat":"` + strings.Repeat("1", 65) + `","text":"oi"}`, 400, `"chat" inválido`},
		{"chat with space", "POST", "/sim/api/messages", `{"chat":"55 47","text":"oi"}`, 400, `"chat" inválido`},
		{"chat with slash", "POST", "/sim/api/messages", `{"chat":"../x","text":"oi"}`, 400, `"chat" inválido`},
		{"no text", "POST", "/sim/api/messages", `{"chat":"1"}`, 400, `"text"`},
		{"blank text", "POST", "/sim/api/messages", `{"chat":"1","text":" \n "}`, 400, `"text"`},
		{"text too long", "POST", "/sim/api/messages", `{"chat":"1","text":"` + long(MaxText+1) + `"}`, 400, "65536"},
		{"caption too long", "POST", "/sim/api/messages", `{"chat":"1","kind":"image","text":"` + long(MaxText+1) + `"}`, 400, "65536"},
		{"unknown kind", "POST", "/sim/api/messages", `{"chat":"1","kind":"gif"}`, 400, `"gif" desconhecido`},
		{"internal kind", "POST", "/sim/api/messages", `{"chat":"1","kind":"from_me","text":"oi"}`, 400, "desconhecido"},
		{"bad id", "POST", "/sim/api/messages", `{"chat":"1","text":"oi","id":"a b"}`, 400, `"id" inválido`},
		{"text only hidden characters", "POST", "/sim/api/messages", `{"chat":"1","text":"\u0000\u202e"}`, 400, `"text"`},
		{"name too long", "POST", "/sim/api/messages", `{"chat":"1","text":"oi","name":"` + strings.Repeat("a", 65) + `"}`, 400, `"name" inválido`},
		{"body too big", "POST", "/sim/api/messages", `{"chat":"1","text":"` + strings.Repeat("a", MaxBody) + `"}`, 413, "1024 KiB"},
		{"put", "PUT", "/sim/api/messages", `{}`, 405, "Método"},
		{"post chats", "POST", "/sim/api/chats", `{}`, 405, "Método"},
		{"delete history", "DELETE", "/sim/api/history?chat=1", ``, 405, "Método"},
		{"get without chat", "GET", "/sim/api/messages", ``, 400, "?chat="},
		{"get bad chat", "GET", "/sim/api/messages?chat=a%20b", ``, 400, `"chat" inválido`},
		{"get bad after", "GET", "/sim/api/messages?chat=1&after=x", ``, 400, `"after"`},
		{"get negative after", "GET", "/sim/api/messages?chat=1&after=-1", ``, 400, `"after"`},
		{"history without chat", "GET", "/sim/api/history", ``, 400, "?chat="},
		{"unknown endpoint", "GET", "/sim/api/nada", ``, 404, "desconhecido"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, b := e.do(t, tt.method, tt.path, tt.body)
			if code != tt.code {
				t.Fatalf("got %d %s; want %d", code, b, tt.code)
			}
			if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type: got %q; want JSON", ct)
			}
			var eb errorBody
			if err := json.Unmarshal(b, &eb); err != nil || !strings.Contains(eb.Error, tt.want) {
				t.Errorf("error: got %s (%v); want one mentioning %q", b, err, tt.want)
			}
			if code == 405 && hdr.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	// At the limits, everything is accepted.
	e.post(t, `{"chat":"`+strings.Repeat("a", 64)+`","text":"`+long(MaxText)+`","name":"`+strings.Repeat("n", 64)+`","id":"`+strings.Repeat("i", 128)+`"}`)
	e.post(t, `{"chat":"ab@c.d_e+f-g","kind":"text","text":"oi"}`)
}

func TestStaticPage(t *testing.T) {
	e := newSimEnv(t)
	tests := []struct {
		path, ctype, want string
		code              int
	}{
		{"/sim/", "text/html", "WhatsApp simulado", 200},
		{"/sim/index.html", "text/html", "Simulação", 200},
		{"/sim/app.js", "javascript", "EventSource", 200},
		{"/sim/app.css", "text/css", "--green", 200},
		{"/sim/favicon.svg", "image/svg+xml", "<svg", 200},
		{"/sim/nada.js", "", "", 404},
		{"/sim/outra/pagina", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, hdr, b := e.do(t, "GET", tt.path, "")
			if code != tt.code {
				t.Fatalf("got %d; want %d", code, tt.code)
			}
			if code != 200 {
				return
			}
			if ct := hdr.Get("Content-Type"); !strings.Contains(ct, tt.ctype) || !bytes.Contains(b, []byte(tt.want)) {
				t.Errorf("got %s with %.60q; want %s with %q", ct, b, tt.ctype, tt.want)
			}
			if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("CSP: got %q", csp)
			}
			req, _ := http.NewRequest("GET", e.srv.URL+tt.path, nil)
			req.Header.Set("If-None-Match", hdr.Get("ETag"))
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotModified {
				t.Errorf("with its ETag: got %d; want 304", res.StatusCode)
			}
		})
	}
	if code, _, _ := e.do(t, "POST", "/sim/", "x"); code != 405 {
		t.Errorf("POST /sim/: got %d; want 405", code)
	}
	// The page never inlines scripts or styles: the CSP would block them.
	_, _, page := e.do(t, "GET", "/sim/", "")
	for _, bad := range []string{"<script>", "style=", "onclick=", "http://", "https://"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("index.html contains %q", bad)
		}
	}
}

func TestEventStream(t *testing.T) {
	e := newSimEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/sim/api/events", nil)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type: got %q", ct)
	}
	events := make(chan [2]string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{name, v}
			}
		}
	}()
	next := func() (string, Update) {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			var u Update
			if ev[0] != "hello" {
				if err := json.Unmarshal([]byte(ev[1]), &u); err != nil {
					t.Fatalf("event %s: %v", ev[1], err)
				}
			}
			return ev[0], u
		case <-time.After(waitFor):
			t.Fatal("no event")
		}
		return "", Update{}
	}
	if name, _ := next(); name != "hello" {
		t.Fatalf("first event: got %q; want hello", name)
	}
	e.post(t, `{"chat":"`+chatA+`","text":"oi","id":"c-1"}`)
	e.drain(t)
	var seq []string
	for len(seq) < 3 {
		name, u := next()
		if u.Chat != chatA || u.Type != name {
			t.Fatalf("event %s: got %+v", name, u)
		}
		switch name {
		case UpdateMessage:
			seq = append(seq, "message:"+u.Message.From)
			if u.Message.From == FromCustomer && !u.Message.Read {
				t.Errorf("customer message %+v: want it shown read (the runtime answered it at once)", u.Message)
			}
		case UpdateRead:
			seq = append(seq, "read:"+strings.Join(u.IDs, ","))
		default:
			seq = append(seq, name)
		}
	}
	// The customer's own message (read: the runtime handles an idle
	// chat's message as it stores it), the bot typing, its answer.
	want := []string{"message:customer", "typing", "message:support"}
	if !slices.Equal(seq, want) {
		t.Errorf("events: got %q; want %q", seq, want)
	}
}

func TestRestartKeepsHistory(t *testing.T) {
	e := newSimEnv(t)
	e.say(t, chatA, "oi", 1)
	e.later(time.Minute)
	e.say(t, chatA, "12345678", 2)
	before := e.list(t, "/sim/api/history?chat="+chatA)

	e.start(t, testFlow(t), e.clock, false) // a second demo process on the same data
	after := e.list(t, "/sim/api/history?chat="+chatA)
	if len(after) != 5 || !slices.EqualFunc(before, after, func(a, b Message) bool {
		return a.Seq == b.Seq && a.ID == b.ID && a.Text == b.Text && a.At.Equal(b.At)
	}) {
		t.Errorf("after a restart:\n got %q\nwant %q", texts(after), texts(before))
	}
}

// outboxOf opens a store holding texts as chatA's queued support
// messages, none sent, and returns it with their seqs.
func outboxOf(t *testing.T, texts ...string) (*store.DB, []int64) {
	t.Helper()
	ctx := context.Background()
	db := testStore(t)
	var ids []int64
	err := db.Update(ctx, func(tx *store.Tx) error {
		for _, text := range texts {
			id, err := tx.AppendOutbox(ctx, store.OutMsg{Chat: chatA, Text: text, Author: "bot", CreatedAt: simStart})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, ids
}

// simStart is when the store-only tests happen.
var simStart = time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)

func markSent(t *testing.T, db *store.DB, id int64) {
	t.Helper()
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.MarkSent(ctx, id, fmt.Sprint("sim-out-", id), simStart) }); err != nil {
		t.Fatal(err)
	}
}

// TestSentBeforeRecorded covers the moment between Send and the runtime
// recording the delivery: the message is on the phone, the store does not
// know it yet.
func TestSentBeforeRecorded(t *testing.T) {
	ctx := context.Background()
	db, ids := outboxOf(t, "um", "dois", "três")
	markSent(t, db, ids[0])
	p := NewPhone(PhoneConfig{Store: db, Clock: bot.NewManualClock(simStart)})
	if _, err := p.Send(ctx, bot.Outbound{Seq: ids[1], Chat: chatA, Text: "dois"}); err != nil {
		t.Fatal(err)
	}
	ms, err := p.Sent(ctx, chatA, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(ms); !slices.Equal(got, []string{"um", "dois"}) {
		t.Errorf("got %q; want the recorded one and the one on the phone, not the queued one", got)
	}
}

// TestPollNeverSkipsAMessage polls GET /sim/api/messages as the page
// does, moving "after" to the last seq it got, while deliveries are
// recorded out of order (no typing pauses: the runtime may record a later
// send first). A message not yet recorded holds back the ones after it,
// or the page would move past it and never show it.
func TestPollNeverSkipsAMessage(t *testing.T) {
	ctx := context.Background()
	db, ids := outboxOf(t, "um", "dois", "três", "quatro")
	p := NewPhone(PhoneConfig{Store: db, Clock: bot.NewManualClock(simStart), Log: zerolog.Nop()})
	srv := httptest.NewServer(p.Handler(nil))
	defer srv.Close()
	var after int64
	poll := func() []string {
		t.Helper()
		res, err := srv.Client().Get(fmt.Sprintf("%s/sim/api/messages?chat=%s&after=%d", srv.URL, chatA, after))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var ms []Message
		if err := json.NewDecoder(res.Body).Decode(&ms); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET after=%d: got %d, %v; want 200 and a list", after, res.StatusCode, err)
		}
		for _, m := range ms {
			after = m.Seq
		}
		return texts(ms)
	}
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"later ones recorded first", func() { markSent(t, db, ids[1]); markSent(t, db, ids[3]) }, nil},
		{"the first recorded", func() { markSent(t, db, ids[0]) }, []string{"um", "dois"}},
		{"the gap on the phone, not recorded", func() {
			if _, err := p.Send(ctx, bot.Outbound{Seq: ids[2], Chat: chatA, Text: "três"}); err != nil {
				t.Fatal(err)
			}
		}, []string{"três", "quatro"}},
		{"nothing new", func() { markSent(t, db, ids[2]) }, nil},
	}
	for _, s := range steps {
		s.do()
		if got := poll(); !slices.Equal(got, s.want) {
			t.Errorf("%s: got %q; want %q", s.name, got, s.want)
		}
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	p := NewPhone(PhoneConfig{})
	updates, cancel := p.Subscribe()
	defer cancel()
	for range subBuffer + 1 {
		_ = p.Typing(context.Background(), chatA)
	}
	n := 0
	for range updates {
		n++
	}
	if n != subBuffer {
		t.Errorf("got %d updates before the close; want %d", n, subBuffer)
	}
	cancel() // after the drop: a no-op
}

// The runtime finds these optional transport methods by interface.
var (
	_ interface {
		Typing(context.Context, string) error
	} = (*Phone)(nil)
	_ interface {
		MarkRead(context.Context, string, []string, time.Time) error
	} = (*Phone)(nil)
)

func TestReadReceipts(t *testing.T) {
	p := NewPhone(PhoneConfig{})
	updates, cancel := p.Subscribe()
	defer cancel()
	// A message the runtime reads later, after the page shows it: the
	// ticks turn blue by an update.
	_ = p.MarkRead(context.Background(), chatA, []string{"m-1"}, time.Time{})
	if u := <-updates; u.Type != UpdateRead || u.Chat != chatA || !slices.Equal(u.IDs, []string{"m-1"}) {
		t.Errorf("got %+v; want a read update for m-1", u)
	}
	// A message read while it is being received is shown read at once.
	rt := receiverFunc(func(ctx context.Context, in bot.Inbound) (bool, error) {
		return false, p.MarkRead(ctx, in.Chat, []string{in.ID}, time.Time{})
	})
	if _, err := p.receive(context.Background(), rt, bot.Inbound{Chat: chatA, ID: "m-2", Kind: bot.KindText, Text: "oi"}); err != nil {
		t.Fatal(err)
	}
	if u := <-updates; u.Type != UpdateMessage || u.Message.ID != "m-2" || !u.Message.Read {
		t.Errorf("got %+v; want m-2 shown read, with no separate read update", u)
	}
	if len(p.receiving) != 0 {
		t.Errorf("receiving: got %v; want it empty", p.receiving)
	}
}

type receiverFunc func(context.Context, bot.Inbound) (bool, error)

func (f receiverFunc) Receive(ctx context.Context, in bot.Inbound) (bool, error) { return f(ctx, in) }

// TestCrossSitePost: a page of another site open in the demo user's
// browser cannot post as a customer; the simulator's own page and
// scripts (no Origin) can.
func TestCrossSitePost(t *testing.T) {
	e := newSimEnv(t)
	body := `{"chat":"5547999990001","text":"oi"}`
	for _, tc := range []struct {
		name   string
		header map[string]string
		code   int
	}{
		{"another site", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"another site, Origin only", map[string]string{"Origin": "https://evil.example"}, 403},
		{"a sibling site", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"the simulator's page", map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, 202},
		{"a script", nil, 202},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", e.srv.URL+"/sim/api/messages", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.code {
				t.Errorf("got %d %s; want %d", res.StatusCode, b, tc.code)
			}
		})
	}
}

// TestDeclaredTooLong: a message whose declared length is far over the cap
// (more than web.DrainMax over) is refused with 413 before its body
// arrives, instead of holding the connection open while a byte trickles
// in now and then.
func TestDeclaredTooLong(t *testing.T) {
	e := newSimEnv(t)
	c, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitFor))
	fmt.Fprintf(c, "POST /sim/api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", MaxBody+web.DrainMax+1)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("declared %d bytes, sent one: %v; want 413 at once", MaxBody+web.DrainMax+1, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "grande demais") {
		t.Errorf("got %d %s; want 413 with the limit", res.StatusCode, b)
	}
}
