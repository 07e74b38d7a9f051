package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// flowsFixture is the simulator's flows file, which the console's tests
// share.
var flowsFixture = filepath.Join("..", "sim", "testdata", "flows.yaml")

// password is every test agent's.
const password = "senha-muito-boa"

// fakeTransport records what customers receive, per chat, and signals
// every delivery.
type fakeTransport struct {
	mu     sync.Mutex
	sent   map[string][]string
	files  map[string][]*bot.File // chat -> files sent, in order
	media  map[string][]byte      // what customers' files hold, by Media.Ref
	hold   map[string]chan error  // files whose fetch waits for a word: nil, it comes; an error, it fails
	n      int
	signal chan struct{} // gets a value after each send (buffered 1)
}

// Fetch serves customers' files from media, as WhatsApp's servers would;
// a file held waits for its word first.
func (f *fakeTransport) Fetch(ctx context.Context, req bot.FetchRequest, dst bot.MediaFile) error {
	f.mu.Lock()
	gate := f.hold[string(req.Ref)]
	f.mu.Unlock()
	if gate != nil {
		select {
		case err := <-gate:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	b, ok := f.media[string(req.Ref)]
	f.mu.Unlock()
	if !ok {
		return bot.ErrMediaGone
	}
	_, err := dst.Write(b)
	return err
}

func newFakeTransport() *fakeTransport {
	return &fakeTransport{sent: map[string][]string{}, files: map[string][]*bot.File{}, media: map[string][]byte{}, hold: map[string]chan error{}, signal: make(chan struct{}, 1)}
}

func (f *fakeTransport) Send(_ context.Context, m bot.Outbound) (bot.Sent, error) {
	f.mu.Lock()
	f.sent[m.Chat] = append(f.sent[m.Chat], m.Text)
	if m.File != nil {
		f.files[m.Chat] = append(f.files[m.Chat], m.File)
	}
	f.n++
	n := f.n
	f.mu.Unlock()
	select {
	case f.signal <- struct{}{}:
	default:
	}
	return bot.Sent{ID: fmt.Sprint("wa-", n)}, nil
}

func (f *fakeTransport) texts(chat string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent[chat])
}

// backend is what a console under test serves: a runtime over a real
// store and the fixture's flows, sending to a fakeTransport, on a manual
// clock. Nothing runs in the background: tests step the runtime.
//
// Its helpers take the test, not keep it: a fuzz worker shares one
// backend between inputs, each with its own t.
type backend struct {
	ctx   context.Context
	db    *store.DB
	files *store.Files
	flow  *flows.Flow
	clock *bot.ManualClock
	tr    *fakeTransport
	rt    *bot.Runtime
	line  string // rt's line: "" unless a test gives it one
	n     int    // customer messages made, for their ids
}

func newBackend(tb testing.TB) *backend {
	tb.Helper()
	return newBackendAt(tb, filepath.Join(tb.TempDir(), "suporte.db"))
}

// newBackendAt is newBackend over the store dsn, with a data folder of its
// own: backends on one PostgreSQL database are processes on machines that
// share nothing else.
func newBackendAt(tb testing.TB, dsn string) *backend {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	fl, err := flows.Load(flowsFixture)
	if err != nil {
		tb.Fatal(err)
	}
	files, err := store.MediaFiles(db, filepath.Join(tb.TempDir(), "media"))
	if err != nil {
		tb.Fatal(err)
	}
	b := &backend{ctx: ctx, db: db, files: files, flow: fl, tr: newFakeTransport(),
		clock: bot.NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))} // Tue 10:00 in São Paulo
	b.rt = bot.New(bot.Config{Store: db, Files: files, Flow: b.current, Transport: b.tr, Clock: b.clock, Log: zerolog.Nop()})
	return b
}

func (b *backend) current() *flows.Flow { return b.flow }

// console returns a console over b. cfg holds what a test adds (Health,
// Flows, another Flow); the store, runtime, clock, a quiet log and a
// fast bcrypt are b's.
func (b *backend) console(cfg Config) *Server {
	cfg.Store, cfg.Runtime, cfg.Clock, cfg.Files = b.db, b.rt, b.clock, b.files
	cfg.Log, cfg.BcryptCost = zerolog.Nop(), bcrypt.MinCost
	if cfg.Flow == nil {
		cfg.Flow = b.current
	}
	return New(cfg)
}

// addAgent stores a with the test password and returns it with its id.
func (b *backend) addAgent(tb testing.TB, a store.Agent) store.Agent {
	tb.Helper()
	hash, err := HashPassword(password, bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	a.PasswordHash = hash
	err = b.db.Update(b.ctx, func(tx *store.Tx) error {
		var err error
		a.ID, err = tx.CreateAgent(b.ctx, a)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// drainRuntime does the runtime's pending work, as its workers would:
// answers are sent and recorded when it returns.
func (b *backend) drainRuntime(tb testing.TB) {
	tb.Helper()
	if err := b.rt.Drain(b.ctx); err != nil {
		tb.Fatalf("drain: %v", err)
	}
}

// closeUndoWindows moves the clock past every Resolver's undo window,
// so the tickets resolve (and their customers are asked for a rating).
func (b *backend) closeUndoWindows(tb testing.TB) {
	tb.Helper()
	if err := b.rt.AdvanceTo(b.ctx, b.clock, b.clock.Now().Add(bot.ResolveUndo)); err != nil {
		tb.Fatal(err)
	}
}

// message is a new customer text in chat, sent now.
func (b *backend) message(chat, text string) bot.Inbound {
	b.n++
	return bot.Inbound{Chat: chat, ID: fmt.Sprint("m", b.n), Kind: bot.KindText, Text: text, At: b.clock.Now(), PushName: "Cliente " + chat}
}

// receive hands customer texts in chat to the real engine, each handled
// before the next.
func (b *backend) receive(tb testing.TB, chat string, texts ...string) {
	tb.Helper()
	for _, text := range texts {
		if _, err := b.rt.Receive(b.ctx, b.message(chat, text)); err != nil {
			tb.Fatal(err)
		}
		b.drainRuntime(tb)
	}
}

// queue puts chat in the queue (its ID Suporte, then "atendente") and
// returns its ticket.
func (b *backend) queue(tb testing.TB, chat string) store.Ticket {
	tb.Helper()
	b.receive(tb, chat, "12345678", "atendente")
	var tk store.Ticket
	err := b.db.View(b.ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(b.ctx, b.line, chat)
		if err != nil || c.Ticket == 0 {
			return err
		}
		tk, err = tx.Ticket(b.ctx, c.Ticket)
		return err
	})
	if err != nil || tk.ID == 0 {
		tb.Fatalf("customer %s has no ticket: %v", chat, err)
	}
	return tk
}

func (b *backend) readTicket(tb testing.TB, id int64) store.Ticket {
	tb.Helper()
	var tk store.Ticket
	err := b.db.View(b.ctx, func(tx *store.Tx) error {
		var err error
		tk, err = tx.Ticket(b.ctx, id)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tk
}

// chatTickets returns up to limit tickets of chat (0: all), newest first.
func (b *backend) chatTickets(tb testing.TB, chat string, limit int) []store.Ticket {
	tb.Helper()
	var ts []store.Ticket
	err := b.db.View(b.ctx, func(tx *store.Tx) error {
		var err error
		ts, err = tx.TicketsByChat(b.ctx, "", chat, limit)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ts
}

// putTicket stores every field of tk, which CreateTicket alone does not
// (the claim and escalation times), and returns its id.
func putTicket(ctx context.Context, tx *store.Tx, tk store.Ticket) (int64, error) {
	id, err := tx.CreateTicket(ctx, tk)
	if err != nil {
		return 0, err
	}
	tk.ID = id
	return id, tx.UpdateTicket(ctx, tk)
}

// login signs email in through h with the test password and returns the
// session token.
func login(tb testing.TB, h http.Handler, email string) string {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/api/login", bytes.NewReader(body)))
	var out struct{ Token string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); w.Code != http.StatusOK || err != nil || out.Token == "" {
		tb.Fatalf("login %s: got %d %s; want 200 and a token", email, w.Code, w.Body)
	}
	return out.Token
}

// env is a console over a backend, served over HTTP, for one test.
type env struct {
	*backend
	t   *testing.T
	s   *Server
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{backend: newBackend(t), t: t}
	e.serve(e.console(Config{Health: func() map[string]any { return map[string]any{"whatsapp": "connected"} }}))
	return e
}

// serve makes s the console e's requests go to.
func (e *env) serve(s *Server) {
	e.s = s
	e.srv = httptest.NewServer(s.Handler())
	e.t.Cleanup(e.srv.Close)
}

// agent creates an agent with the test password.
func (e *env) agent(email, name, role string, maxChats int) store.Agent {
	e.t.Helper()
	return e.addAgent(e.t, store.Agent{Email: email, Name: name, Role: role, MaxChats: maxChats})
}

func (e *env) login(email string) string {
	e.t.Helper()
	return login(e.t, e.s.Handler(), email)
}

func (e *env) drain() {
	e.t.Helper()
	e.drainRuntime(e.t)
}

// say sends customer messages through the real engine.
func (e *env) say(chat string, msgs ...string) {
	e.t.Helper()
	e.receive(e.t, chat, msgs...)
}

// customer puts chat in the queue and returns its ticket.
func (e *env) customer(chat string) int64 {
	e.t.Helper()
	return e.queue(e.t, chat).ID
}

func (e *env) lastTicket(chat string) int64 {
	e.t.Helper()
	ts := e.chatTickets(e.t, chat, 1)
	if len(ts) == 0 {
		e.t.Fatalf("no ticket for %s", chat)
	}
	return ts[0].ID
}

func (e *env) ticket(id int64) store.Ticket {
	e.t.Helper()
	return e.readTicket(e.t, id)
}

// events opens tok's event stream for up to 10 s and returns a function
// that waits for the next event of a kind, skipping the others, and gives
// its data.
func (e *env) events(tok string) (next func(kind string) string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	e.t.Cleanup(cancel)
	r, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/events", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	res, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { res.Body.Close() })
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		e.t.Fatalf("Content-Type %q; want text/event-stream", ct)
	}
	events := make(chan [2]string, 64) // name, data
	go func() {
		defer close(events)
		var name, data string
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				data = line[len("data: "):]
			case line == "" && name != "":
				events <- [2]string{name, data}
				name, data = "", ""
			}
		}
	}()
	return func(kind string) string {
		e.t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					e.t.Fatalf("stream ended before a %q event", kind)
				}
				if ev[0] == kind {
					return ev[1]
				}
			case <-ctx.Done():
				e.t.Fatalf("no %q event before the deadline", kind)
			}
		}
	}
}
