package console

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// "Testar fluxo": a conversation with the real engine running a candidate
// flows.yaml, before it goes live. Each test is a sandbox: a throwaway
// store in a temporary folder, a runtime over the candidate, an in-memory
// transport and a clock that stands still unless the editor moves it.
// Messages are handled synchronously in the request (Receive, then
// Drain): no goroutine per test. Tests are few, belong to whoever started
// them, and end when deleted (editor.js deletes its test when the page
// goes away too), when idle too long, when their owner starts one more
// than maxAgentSandboxes, or with the console.

const (
	// maxAgentSandboxes is how many tests one person keeps open: one more
	// ends their least recently used, so tests a page left behind never
	// lock them out.
	maxAgentSandboxes = 2
	// maxSandboxes bounds the tests of everyone together (each holds a
	// candidate flow and its model): a safety net, reached only when many
	// people test at once.
	maxSandboxes = 10
	sandboxIdle  = 30 * time.Minute
	sandboxChat  = "5500000000000" // the test customer
	sandboxName  = "Cliente de teste"
	maxTestWait  = 30 * 24 * time.Hour // the longest a message may move the test clock
	// sandboxTimeout bounds one message's work in a sandbox.
	sandboxTimeout = 15 * time.Second
	// testTyping is how far the test clock moves per customer message, as
	// the simulator's does: a still clock would look like a flood.
	testTyping = 5 * time.Second
)

// sandboxes are the open tests.
type sandboxes struct {
	dir string // parent of the temporary folders; "" is the system's
	log zerolog.Logger

	mu   sync.Mutex
	open map[string]*sandbox
	seq  uint64 // tests started so far: their order, where used times tie
}

func newSandboxes(dir string, log zerolog.Logger) *sandboxes {
	return &sandboxes{dir: dir, log: log, open: map[string]*sandbox{}}
}

// sandbox is one test conversation.
type sandbox struct {
	id    string
	owner int64 // the agent who started it
	dir   string
	db    *store.DB
	rt    *bot.Runtime
	clock *bot.ManualClock
	flow  *flows.Flow
	out   *memTransport

	mu     sync.Mutex // one message at a time; guards n and closed
	n      int
	closed bool

	used time.Time // guarded by sandboxes.mu
	seq  uint64    // its place in the order tests started, set under sandboxes.mu
}

// memTransport keeps what the bot sends in the sandbox.
type memTransport struct {
	mu   sync.Mutex
	msgs []testMessageJSON
}

func (t *memTransport) Send(_ context.Context, m bot.Outbound) (bot.Sent, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	msg := testMessageJSON{Text: m.Text, Options: []optionJSON{}}
	if f := m.File; f != nil {
		msg.File = &testFileJSON{Kind: f.Kind, Name: f.Name, MIME: f.Type, Bytes: f.Bytes}
	}
	for _, o := range m.Options {
		msg.Options = append(msg.Options, optionJSON{Key: o.Key, Label: o.Label})
	}
	t.msgs = append(t.msgs, msg)
	return bot.Sent{ID: "teste-" + strconv.Itoa(len(t.msgs))}, nil
}

func (t *memTransport) since(i int) []testMessageJSON {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]testMessageJSON, len(t.msgs)-i)
	copy(out, t.msgs[i:])
	return out
}

func (t *memTransport) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.msgs)
}

var errTooManyTests = fail(http.StatusTooManyRequests,
	fmt.Sprintf("O console já tem %d testes de fluxo abertos por outras pessoas, o máximo ao mesmo tempo. Tente de novo em alguns minutos: um teste parado por %d minutos termina sozinho.",
		maxSandboxes, int(sandboxIdle/time.Minute)))

// start opens a sandbox over fl with its clock at at. An owner at
// maxAgentSandboxes, or anyone when all maxSandboxes are open, makes room
// by ending their own least recently used test; with none of their own to
// end, a full console refuses.
func (b *sandboxes) start(ctx context.Context, owner int64, fl *flows.Flow, at, now time.Time) (*sandbox, error) {
	b.expire(now)
	if err := b.admit(owner, nil); err != nil { // before the costly part
		return nil, err
	}
	dir, err := os.MkdirTemp(b.dir, "suporte-teste-*")
	if err != nil {
		return nil, fmt.Errorf("flows test folder: %w", err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "teste.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("flows test store: %w", err)
	}
	sb := &sandbox{id: rand.Text(), owner: owner, dir: dir, db: db, clock: bot.NewManualClock(at), flow: fl, out: &memTransport{}, used: now}
	files, err := store.OpenFiles(filepath.Join(dir, "media"))
	if err != nil {
		db.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("flows test media: %w", err)
	}
	sb.rt = bot.New(bot.Config{
		Store:     db,
		Files:     files, // the flows' attachments are copied there to be "sent"
		Flow:      func() *flows.Flow { return fl },
		Transport: sb.out,
		Clock:     sb.clock,
		Log:       b.log.With().Str("flows_test", sb.id[:6]).Logger().Level(zerolog.WarnLevel),
	})
	if err := b.admit(owner, sb); err != nil { // others started meanwhile
		sb.close(b.log)
		return nil, err
	}
	return sb, nil
}

// admit makes room for one more test of owner, ending their least
// recently used ones as room says, then opens sb (none: only the room).
func (b *sandboxes) admit(owner int64, sb *sandbox) error {
	for {
		b.mu.Lock()
		old, err := b.room(owner)
		if old == nil && err == nil && sb != nil {
			b.seq++
			sb.seq = b.seq
			b.open[sb.id] = sb
		}
		b.mu.Unlock()
		if old == nil {
			return err
		}
		old.close(b.log)
		b.log.Info().Int64("agent", owner).Msg("flows test ended for a newer one")
	}
}

// room tells whether owner may open one more test: nil, nil when they
// may; else the owner's least recently used test, taken out of the open
// ones for the caller to close, or errTooManyTests when the console is
// full of others' tests. b.mu must be held.
func (b *sandboxes) room(owner int64) (*sandbox, error) {
	var oldest *sandbox
	mine := 0
	for _, sb := range b.open {
		if sb.owner != owner {
			continue
		}
		mine++
		if oldest == nil || sb.used.Before(oldest.used) || sb.used.Equal(oldest.used) && sb.seq < oldest.seq {
			oldest = sb
		}
	}
	switch {
	case mine < maxAgentSandboxes && len(b.open) < maxSandboxes:
		return nil, nil
	case oldest == nil:
		return nil, errTooManyTests
	}
	delete(b.open, oldest.id)
	return oldest, nil
}

// get returns owner's open sandbox id and marks it used.
func (b *sandboxes) get(id string, owner int64, now time.Time) (*sandbox, error) {
	b.expire(now)
	b.mu.Lock()
	defer b.mu.Unlock()
	sb, ok := b.open[id]
	if !ok || sb.owner != owner {
		return nil, fail(http.StatusNotFound, "Teste não encontrado: ele terminou, ficou parado tempo demais ou deu lugar a um teste mais novo seu. Comece outro.")
	}
	sb.used = now
	return sb, nil
}

// end closes owner's sandbox id.
func (b *sandboxes) end(id string, owner int64) error {
	b.mu.Lock()
	sb, ok := b.open[id]
	if ok && sb.owner == owner {
		delete(b.open, id)
	}
	b.mu.Unlock()
	if !ok || sb.owner != owner {
		return fail(http.StatusNotFound, "Teste não encontrado: ele terminou, ficou parado tempo demais ou deu lugar a um teste mais novo seu.")
	}
	sb.close(b.log)
	return nil
}

// expire closes the sandboxes idle since before now - sandboxIdle.
func (b *sandboxes) expire(now time.Time) {
	var old []*sandbox
	b.mu.Lock()
	for id, sb := range b.open {
		if now.Sub(sb.used) >= sandboxIdle {
			old = append(old, sb)
			delete(b.open, id)
		}
	}
	b.mu.Unlock()
	for _, sb := range old {
		sb.close(b.log)
	}
	if len(old) > 0 {
		b.log.Info().Int("tests", len(old)).Msg("idle flows tests closed")
	}
}

// closeAll ends every sandbox (the console is stopping).
func (b *sandboxes) closeAll() {
	b.mu.Lock()
	open := b.open
	b.open = map[string]*sandbox{}
	b.mu.Unlock()
	for _, sb := range open {
		sb.close(b.log)
	}
}

func (b *sandboxes) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.open)
}

// close waits for a message in progress, then drops the store and its folder.
func (sb *sandbox) close(log zerolog.Logger) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed {
		return
	}
	sb.closed = true
	if err := sb.db.Close(); err != nil {
		log.Warn().Err(err).Msg("close flows test store")
	}
	if err := os.RemoveAll(sb.dir); err != nil {
		log.Warn().Err(err).Str("dir", sb.dir).Msg("remove flows test folder")
	}
}

// say moves the test clock by wait (firing the timers due on the way),
// then sends text as the customer, and returns what the bot sent.
func (sb *sandbox) say(ctx context.Context, text string, wait time.Duration) ([]testMessageJSON, error) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed {
		return nil, fail(http.StatusNotFound, "Teste não encontrado: ele terminou.")
	}
	first := sb.out.count()
	if text != "" {
		wait += testTyping
	}
	if err := sb.rt.AdvanceTo(ctx, sb.clock, sb.clock.Now().Add(wait)); err != nil {
		return nil, err
	}
	if text != "" {
		sb.n++
		in := bot.Inbound{Chat: sandboxChat, ID: "teste-" + strconv.Itoa(sb.n), Kind: bot.KindText, Text: text,
			At: sb.clock.Now(), PushName: sandboxName}
		if _, err := sb.rt.Receive(ctx, in); err != nil {
			return nil, err
		}
		if err := sb.rt.Drain(ctx); err != nil {
			return nil, err
		}
	}
	return sb.out.since(first), nil
}

// where tells the node the test conversation stands on.
func (sb *sandbox) where(ctx context.Context) (state, node string, err error) {
	err = sb.db.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(ctx, "", sandboxChat) // the sandbox's runtime has no line
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		state, node = c.State, c.Node
		return err
	})
	return state, node, err
}

type optionJSON struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

type testMessageJSON struct {
	Text    string        `json:"text"`
	Options []optionJSON  `json:"options"`
	File    *testFileJSON `json:"file,omitempty"` // a trail's attachment, with Text as its caption
}

// testFileJSON is the file a test message sends.
type testFileJSON struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	MIME  string `json:"mime"`
	Bytes int64  `json:"bytes"`
}

// testJSON answers the start of a test and each message in it.
type testJSON struct {
	Session   string            `json:"session"`
	Version   string            `json:"version"`
	At        jsonTime          `json:"at"` // the test clock
	Open      bool              `json:"open"`
	Hours     string            `json:"hours"` // the calendar's state at At, in words
	State     string            `json:"state,omitempty"`
	Node      string            `json:"node,omitempty"`
	NodeTitle string            `json:"node_title,omitempty"`
	Replies   []testMessageJSON `json:"replies"`
	Check     *validateJSON     `json:"check,omitempty"` // at the start: what the candidate changes
	Route     *routeJSON        `json:"route,omitempty"` // a text written at a menu: how the bot read it
}

func (s *Server) testOut(ctx context.Context, sb *sandbox, replies []testMessageJSON) (testJSON, error) {
	at := sb.clock.Now()
	out := testJSON{Session: sb.id, Version: sb.flow.Version, At: jsonTime(at), Replies: replies}
	if cal := sb.flow.Calendar; cal != nil {
		out.Open = cal.IsOpen(at)
		out.Hours = "fora do horário de atendimento"
		if out.Open {
			out.Hours = "dentro do horário de atendimento"
		}
	}
	state, node, err := sb.where(ctx)
	if err != nil {
		return testJSON{}, err
	}
	out.State, out.Node = state, node
	if node != "" && sb.flow.Node(node) != nil {
		out.NodeTitle = sb.flow.Title(node)
	}
	return out, nil
}

// handleFlowTestStart validates a candidate (422 with its problems) and
// opens a test conversation over it.
func (s *Server) handleFlowTestStart(w http.ResponseWriter, r *http.Request) {
	req, err := decodeCandidate(w, r)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	now := s.cfg.Clock.Now()
	at := now
	if req.At != "" {
		if at, err = time.Parse(time.RFC3339, req.At); err != nil {
			writeError(w, http.StatusBadRequest, "at deve ser um instante RFC3339, como 2026-11-24T20:30:00-03:00.")
			return
		}
	}
	fl, err := s.candidate(req)
	if err != nil {
		s.respondFlows(w, r, err)
		return
	}
	sess := current(r)
	ctx := r.Context()
	sb, err := s.flowTests.start(ctx, sess.agent.ID, fl, at, now)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	out, err := s.testOut(ctx, sb, []testMessageJSON{})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	check := s.validateOut(fl)
	out.Check = &check
	s.log.Info().Int64("agent", sess.agent.ID).Str("version", fl.Version).Msg("flows test started")
	writeJSON(w, http.StatusCreated, out)
}

type testMessageRequest struct {
	Text string `json:"text"`
	Wait string `json:"wait"` // move the test clock first, e.g. "10m" (timers fire)
}

// handleFlowTestMessage sends a customer message in a test and answers
// the bot's replies.
func (s *Server) handleFlowTestMessage(w http.ResponseWriter, r *http.Request) {
	var req testMessageRequest
	if err := decode(w, r, &req); err != nil {
		s.respond(w, r, err)
		return
	}
	text := strings.TrimSpace(req.Text)
	var wait time.Duration
	if req.Wait != "" {
		d, err := time.ParseDuration(req.Wait)
		if err != nil || d < 0 || d > maxTestWait {
			writeError(w, http.StatusBadRequest, "wait deve ser uma duração como 10m ou 2h (até 30 dias).")
			return
		}
		wait = d
	}
	switch {
	case text == "" && wait == 0:
		writeError(w, http.StatusBadRequest, "Escreva a mensagem do cliente.")
		return
	case utf8.RuneCountInString(text) > maxText:
		writeError(w, http.StatusBadRequest, "Mensagem longa demais: o máximo é "+strconv.Itoa(maxText)+" caracteres.")
		return
	}
	sb, err := s.flowTests.get(r.PathValue("session"), current(r).agent.ID, s.cfg.Clock.Now())
	if err != nil {
		s.respond(w, r, err)
		return
	}
	// The test's state must not depend on the browser staying.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), sandboxTimeout)
	defer cancel()
	state, menu, err := sb.where(ctx)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	replies, err := sb.say(ctx, text, wait)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	out, err := s.testOut(ctx, sb, replies)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	if text != "" && bot.AtMenu(state) && sb.flow.Menu(menu) != nil {
		out.Route = routeOut(sb.flow, menu, text)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleFlowTestEnd(w http.ResponseWriter, r *http.Request) {
	if err := s.flowTests.end(r.PathValue("session"), current(r).agent.ID); err != nil {
		s.respond(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
