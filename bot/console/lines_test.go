package console

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/store"
)

// The lines of these tests: the process's own (A), another on the same
// store (B), and the customer who writes to both.
const (
	lineA = "554735121777"
	lineB = "551140042000"
	chat  = "5547999990001"
)

// newLineAEnv serves a console whose runtime is line A's.
func newLineAEnv(t *testing.T) *env {
	b := newBackend(t)
	b.line = lineA
	b.rt = bot.New(bot.Config{Store: b.db, Line: lineA, Files: b.files, Flow: b.current, Transport: b.tr, Clock: b.clock, Log: zerolog.Nop()})
	e := &env{backend: b, t: t}
	e.serve(e.console(Config{}))
	return e
}

// startLine records line as started on the store, as its process does.
func (e *env) startLine(line string) {
	e.t.Helper()
	if err := e.db.Update(e.ctx, func(tx *store.Tx) error { _, err := tx.StartLine(e.ctx, line, e.clock.Now()); return err }); err != nil {
		e.t.Fatal(err)
	}
}

func TestLineLabel(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"554735121777", "(47) 3512-1777"},
		{"5511987654321", "(11) 98765-4321"},
		{"14155550100", "+14155550100"},
		{"", ""},
	} {
		if got := LineLabel(c.line); got != c.want {
			t.Errorf("LineLabel(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// TestLinesShown: a console on a store of one line names no line; once a
// second line starts, the queue, tickets and a customer's history say
// which number each ticket came through, and an agent's reply goes to the
// ticket's line, whichever line's process the console runs in.
func TestLinesShown(t *testing.T) {
	e := newLineAEnv(t)
	b := e.backend
	e.startLine(lineA)
	e.agent("ana@contaazul.com", "Ana", store.RoleAgent, 5)
	tok := e.login("ana@contaazul.com")
	type entry struct {
		Ticket int64
		ID     int64
		Line   *string
	}
	next := e.events(tok)
	tkA := e.customer(chat)
	// eventLine reads the next event of kind about ticket id and the line
	// it names, nil if none.
	eventLine := func(kind string, id int64) *string {
		t.Helper()
		for {
			var ev struct {
				Ticket int64
				Line   *string
			}
			if err := json.Unmarshal([]byte(next(kind)), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Ticket == id {
				return ev.Line
			}
		}
	}
	if l := eventLine("queue", tkA); l != nil {
		t.Errorf("one line's queue event names line %q; want none", *l)
	}
	var q []entry
	e.must(200, req{method: "GET", path: "/api/queue", token: tok}).json(t, &q)
	if len(q) != 1 || q[0].Line != nil {
		t.Errorf("one line's queue: %+v; want one ticket and no line named", q)
	}

	// The same customer writes to a second number, served by another
	// process on the same store.
	e.startLine(lineB)
	trB := newFakeTransport()
	rtB := bot.New(bot.Config{Store: b.db, Line: lineB, Files: b.files, Flow: b.current, Transport: trB, Clock: b.clock, Log: zerolog.Nop()})
	for i, text := range []string{"12345678", "atendente"} {
		in := b.message(chat, text)
		in.ID = "b" + string(rune('0'+i))
		if _, err := rtB.Receive(b.ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := rtB.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.must(200, req{method: "GET", path: "/api/queue", token: tok}).json(t, &q)
	if len(q) != 2 || q[0].Ticket != tkA || q[0].Line == nil || *q[0].Line != "(47) 3512-1777" || q[1].Line == nil || *q[1].Line != "(11) 4004-2000" {
		t.Fatalf("two lines' queue: %+v; want A's ticket then B's, each with its number", q)
	}
	tkB := q[1].Ticket
	var detail entry
	e.must(200, req{method: "GET", path: fmt.Sprint("/api/tickets/", tkB), token: tok}).json(t, &detail)
	if detail.ID != tkB || detail.Line == nil || *detail.Line != "(11) 4004-2000" {
		t.Errorf("ticket %d: %+v; want line (11) 4004-2000", tkB, detail)
	}
	var history []entry
	e.must(200, req{method: "GET", path: "/api/tickets?chat=" + chat, token: tok}).json(t, &history)
	if len(history) != 2 {
		t.Errorf("the customer's tickets: %+v; want both lines'", history)
	}

	// Ana, on line A's console, answers the customer on line B: the reply
	// waits in line B's outbox, for line B's process to send.
	e.must(200, req{method: "POST", path: idPath(tkB, "claim"), token: tok})
	if l := eventLine("ticket", tkB); l == nil || *l != "(11) 4004-2000" {
		t.Errorf("the claim's event names line %v; want (11) 4004-2000", l)
	}
	e.must(200, req{method: "POST", path: idPath(tkB, "messages"), token: tok, body: map[string]any{"text": "Oi! Sou a Ana.", "internal": false}})
	sentA := len(e.tr.texts(chat))
	e.drain()
	if got := e.tr.texts(chat)[sentA:]; len(got) != 0 {
		t.Errorf("line A's transport sent %q for line B's ticket", got)
	}
	err := b.db.View(b.ctx, func(tx *store.Tx) error {
		out, err := tx.PendingOutbox(b.ctx, lineB, chat, 0)
		if err == nil && (len(out) != 2 || out[1].Ticket != tkB) {
			t.Errorf("line B's outbox: %+v; want the claim notice and Ana's reply", out)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testLines: with two lines on the store, the queue and the conversation
// say which number the customer wrote to.
func testLines(t *testing.T, browser context.Context) {
	e := newLineAEnv(t)
	b := e.backend
	rtB := bot.New(bot.Config{Store: b.db, Line: lineB, Files: b.files, Flow: b.current, Transport: newFakeTransport(), Clock: b.clock, Log: zerolog.Nop()})
	e.startLine(lineA)
	e.startLine(lineB)
	for i, text := range []string{"12345678", "atendente"} {
		in := b.message(chat, text)
		in.ID = fmt.Sprint("b", i)
		if _, err := rtB.Receive(b.ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := rtB.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	var id int64
	if err := b.db.View(b.ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(b.ctx, lineB, chat)
		id = c.Ticket
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx, check := tab(t, browser)
	item := fmt.Sprintf(`.queue-item[data-ticket="%d"]`, id)
	steps(t, ctx, check, "log in, see the queue, open the conversation",
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		logIn("ana@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(item)),
		chromedp.Click(chromedp.CSS(item+` .item-name`)),
		chromedp.WaitVisible(chromedp.ID("conv-line")),
		screenshot("lines"),
	)
	sub, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(item+` .item-sub`)))
	if err != nil || !strings.Contains(sub, "Linha (11) 4004-2000") {
		t.Errorf("the queue item says %q, %v; want the line (11) 4004-2000", sub, err)
	}
	line, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("conv-line")))
	if err != nil || line != "Linha (11) 4004-2000" {
		t.Errorf("the conversation's line: %q, %v; want Linha (11) 4004-2000", line, err)
	}
	check()
}

// testLinesLive: a page opened while the store had one line names none;
// when a second line starts, the next event about a ticket on the page
// names its line there, as a page loaded then would.
func testLinesLive(t *testing.T, browser context.Context) {
	e := newLineAEnv(t)
	e.startLine(lineA)
	e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	id := e.customer(chat)
	ctx, check := tab(t, browser)
	item := fmt.Sprintf(`.queue-item[data-ticket="%d"]`, id)
	steps(t, ctx, check, "log in, open the conversation of the only line",
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		logIn("ana@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(item)),
		chromedp.Click(chromedp.CSS(item+` .item-name`)),
		chromedp.WaitVisible(chromedp.ID("conv")),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`)),
	)
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('conv-line').hidden`)); err != nil || !hidden {
		t.Errorf("one line: the conversation names a line (hidden %v, %v)", hidden, err)
	}
	e.startLine(lineB)
	e.say(chat, "ainda estou aguardando")
	steps(t, ctx, check, "the customer writes again once a second line started",
		chromedp.Poll[chromedp.Void](`document.getElementById('conv-line').textContent === 'Linha (47) 3512-1777' && !document.getElementById('conv-line').hidden`),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+item+` .item-sub').textContent.includes('Linha (47) 3512-1777')`),
	)
	check()
}
