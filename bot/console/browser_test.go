package console

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"suporte/bot"
	"suporte/store"
)

// chromiumPath is Debian's chromium, which `make deps` installs.
const chromiumPath = "/usr/bin/chromium"

// startBrowser starts a headless chromium for the test, failing (not
// skipping) when it is missing. It lives until timeout or the test's end.
func startBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the console's browser test needs Debian's chromium at %s (run `make deps`, which installs it): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "pt-BR"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// tab opens a tab with cookies of its own. Its pages' uncaught exceptions
// and console errors are collected by check, which fails the test if
// there were any.
func tab(t *testing.T, browser context.Context) (ctx context.Context, check func()) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			p = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				p += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				p = "console.error"
				for _, a := range ev.Args {
					p += " " + string(a.Value) + a.Description
				}
			}
		case *log.EventEntryAdded:
			// 4xx answers the page handles are expected; anything else is not.
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
				p = "log: " + ev.Entry.Text
			}
		}
		if p != "" {
			mu.Lock()
			problems = append(problems, p)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx, func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("page: %s", p)
		}
		problems = nil
	}
}

// waitSent waits until chat received a text containing want.
func (e *env) waitSent(ctx context.Context, chat, want string) {
	e.t.Helper()
	for {
		for _, s := range e.tr.texts(chat) {
			if strings.Contains(s, want) {
				return
			}
		}
		select {
		case <-e.tr.signal:
		case <-ctx.Done():
			e.t.Fatalf("customer %s never received %q; got %q", chat, want, e.tr.texts(chat))
		}
	}
}

// screenshot saves the page when CONSOLE_SCREENSHOTS names a folder.
func screenshot(name string) chromedp.Action[chromedp.Void] {
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if dir == "" {
			return nil
		}
		buf, err := chromedp.FullScreenshot(100)(ctx, t) // 100: PNG
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// logIn fills the login form shown with email and the tests' password,
// and sends it.
func logIn(email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.ID("login-email"), email),
		chromedp.SetValue(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
	)
}

// steps runs actions with a deadline of their own, so that when one
// fails the browser still lives to show the page as it was. The deadline
// only bounds a failure: a landing run with the race detector on a busy
// two-core machine took more than 10 s to log in and load a queue.
func steps(t *testing.T, ctx context.Context, check func(), what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		chromedp.Do(ctx, screenshot("failed"))
		check()
		t.Fatalf("%s: %v", what, err)
	}
}

// TestBrowser drives the console in Debian's chromium, one tab per case
// in one browser (starting it is the slow part).
func TestBrowser(t *testing.T) {
	browser := startBrowser(t, 270*time.Second) // eight cases; slow under -race on a busy machine
	t.Run("agent answers a customer", func(t *testing.T) { testAgentAnswersACustomer(t, browser) })
	t.Run("supervisor views", func(t *testing.T) { testSupervisorViews(t, browser) })
	t.Run("editor and reports", func(t *testing.T) { testEditorAndReports(t, browser) })
	t.Run("wording", func(t *testing.T) { testWording(t, browser) })
	t.Run("phone", func(t *testing.T) { testPhone(t, browser) })
	t.Run("search", func(t *testing.T) { testSearch(t, browser) })
	t.Run("media", func(t *testing.T) { testMedia(t, browser) })
	t.Run("lines", func(t *testing.T) { testLines(t, browser) })
	t.Run("lines live", func(t *testing.T) { testLinesLive(t, browser) })
}

func testAgentAnswersACustomer(t *testing.T, browser context.Context) {
	e := newEnv(t)
	e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	const chat = "5547999990001"
	id := e.customer(chat)
	e.say(chat, "Minha nota fiscal não está sendo emitida")
	e.clock.Advance(3*time.Minute + 12*time.Second)

	// From here the runtime runs on its own, as in the service.
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.rt.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })

	ctx, check := tab(t, browser)
	item := fmt.Sprintf(`.queue-item[data-ticket="%d"]`, id)
	reply := "Olá! Já vejo aqui."
	steps(t, ctx, check, "log in and see the queue",
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		screenshot("1-login"),
		logIn("ana@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(item)),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`)),
		screenshot("2-queue"),
	)
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	pos, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(item+` .item-pos`)))
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(item+` .wait`)))
	if err != nil {
		t.Fatal(err)
	}
	if title != "(1) Fila • Suporte" || pos != "1º" || !strings.HasPrefix(waiting, "3:1") {
		t.Errorf("queue: title %q, position %q, waiting %q; want (1) Fila • Suporte, 1º, 3:1x", title, pos, waiting)
	}

	// Claim it, read what the customer told the bot, answer with Enter.
	steps(t, ctx, check, "claim and reply",
		chromedp.Click(chromedp.CSS(item+` .claim`)),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-customer")]//div[contains(., "nota fiscal")]`)),
		chromedp.SendKeys(chromedp.ID("composer-text"), reply+kb.Enter),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-agent")]//div[contains(., "Já vejo aqui")]`)),
	)
	e.waitSent(ctx, chat, reply)
	capacity, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("capacity-text")))
	if err != nil {
		t.Fatal(err)
	}
	if capacity != "1 de 5 conversas" {
		t.Errorf("capacity: got %q; want 1 de 5 conversas", capacity)
	}

	// The customer answers: it shows up live.
	if _, err := e.rt.Receive(e.ctx, e.message(chat, "Obrigado, aguardo!")); err != nil {
		t.Fatal(err)
	}
	steps(t, ctx, check, "see the live message, resolve and undo",
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-customer")]//div[contains(., "aguardo")]`)),
		screenshot("3-conversation"),
		chromedp.Click(chromedp.ID("btn-resolve")),
		chromedp.WaitVisible(chromedp.ID("resolving")),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="resolving"]//span[contains(., "pesquisa de satisfação em")]`)),
		screenshot("3b-resolving"),
		chromedp.Click(chromedp.ID("undo-resolve")),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		chromedp.WaitNotVisible(chromedp.ID("resolving")),
	)
	var pending []store.Timer
	if err := e.db.View(e.ctx, func(tx *store.Tx) error {
		var err error
		pending, err = tx.Timers(e.ctx, "", chat)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !bot.ResolvingAt(pending, id).IsZero() {
		t.Fatalf("after Desfazer the ticket still resolves: %+v", pending)
	}
	// Resolved again, and left: when the window closes the customer is asked, once.
	steps(t, ctx, check, "resolve",
		chromedp.Click(chromedp.ID("btn-resolve")),
		chromedp.WaitVisible(chromedp.ID("resolving")),
	)
	e.clock.Advance(bot.ResolveUndo)
	e.rt.CheckTimers()
	steps(t, ctx, check, "the window closes",
		chromedp.WaitVisible(chromedp.ID("readonly")),
		chromedp.WaitVisible(chromedp.ID("mine-empty")),
	)
	e.waitSent(ctx, chat, "*1* (muito ruim) a *5*")
	n := 0
	for _, s := range e.tr.texts(chat) {
		if strings.Contains(s, "*1* (muito ruim) a *5*") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the customer was asked for a rating %d times; want once", n)
	}
	check()
}

func testSupervisorViews(t *testing.T, browser context.Context) {
	e := newEnv(t)
	e.agent("sara@contaazul.com", "Sara Nunes", store.RoleSupervisor, 5)
	ana := e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	e.agent("bruno@contaazul.com", "Bruno Dias", store.RoleAgent, 3)
	e.history(ana)

	// Now: Ana talks with one customer, two more wait in the queue.
	held := e.customer("5547988880001")
	e.say("5547988880001", "Não consigo emitir boleto, aparece *erro 500*")
	a := botAgent(ana)
	for _, err := range []error{
		e.rt.Claim(e.ctx, a, held),
		e.rt.Reply(e.ctx, a, held, "Oi! Vou olhar o boleto com você. Pode me mandar um print?"),
		e.rt.Note(e.ctx, a, held, "Cliente da filial de Joinville; já abriu chamado semana passada."),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	e.clock.Advance(2 * time.Minute)
	e.say("5547988880001", "Segue o print: https://exemplo.com/print.png")
	e.customer("5547977770002")
	e.clock.Advance(4 * time.Minute)
	e.customer("5547966660003")
	e.clock.Advance(90 * time.Second)

	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.rt.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })

	ctx, check := tab(t, browser)
	steps(t, ctx, check, "log in as a supervisor",
		chromedp.Navigate(e.srv.URL+"/"),
		logIn("sara@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(`.queue-item + .queue-item`)),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`)),
		chromedp.Navigate(fmt.Sprintf("%s/#/atendimento/%d", e.srv.URL, held)),
		chromedp.WaitVisible(chromedp.CSS(`.msg-note`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg-customer a[href="https://exemplo.com/print.png"]`)),
		screenshot("4-supervisor-chat"),
		chromedp.Click(chromedp.ID("quick-btn")),
		chromedp.WaitVisible(chromedp.CSS(`.quick-item`)),
		screenshot("5-quick-replies"),
		chromedp.SendKeys(chromedp.ID("composer-text"), kb.Escape),
		chromedp.Click(chromedp.ID("btn-transfer")),
		chromedp.WaitVisible(chromedp.CSS(`#transfer-list input[type=radio]`)),
		screenshot("6-transfer"),
		chromedp.Click(chromedp.CSS(`#transfer-dialog [data-close]`)),
		chromedp.Click(chromedp.ID("btn-escalate")),
		chromedp.WaitVisible(chromedp.ID("escalate-ask")),
		chromedp.Click(chromedp.ID("escalate-submit")),
		chromedp.WaitVisible(chromedp.ID("escalate-done")),
		screenshot("7-escalated"),
		chromedp.Click(chromedp.ID("escalate-submit")),
	)
	due, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("escalate-due")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(due, "/12/2026") {
		t.Errorf("escalation date shown: %q; want a date in December 2026", due)
	}
	steps(t, ctx, check, "all conversations and online agents",
		chromedp.Click(chromedp.CSS(`a[data-view="todas"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#all-body tr`)),
		chromedp.WaitVisible(chromedp.CSS(`#online-list .dot.on`)),
		screenshot("8-all"),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#all-body tr').length`))
	if err != nil {
		t.Fatal(err)
	}
	if rows != 3 {
		t.Errorf("open conversations listed: %d; want 3", rows)
	}
	steps(t, ctx, check, "dashboard",
		chromedp.Click(chromedp.CSS(`a[data-view="painel"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-volume svg rect`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-csat svg rect`)),
		screenshot("9-dashboard"),
	)
	queue, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("kpi-queue")))
	if err != nil {
		t.Fatal(err)
	}
	if queue != "2" {
		t.Errorf("dashboard queue: %q; want 2", queue)
	}
	// A small laptop screen: the conversation still has its composer.
	steps(t, ctx, check, "small screen",
		chromedp.EmulateViewport(1024, 640),
		chromedp.Click(chromedp.CSS(`a[data-view="atendimento"]`)),
		chromedp.Click(chromedp.CSS(`.queue-item`)),
		chromedp.WaitVisible(chromedp.ID("btn-claim")),
		chromedp.Click(chromedp.ID("btn-claim")),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		chromedp.WaitVisible(chromedp.ID("btn-resolve")),
		screenshot("10-laptop"),
	)
	layout(t, ctx, "small screen", "#me-btn", "#btn-resolve", "#btn-escalate", "#btn-details", "#send")
	check()
}

// history fills the last two weeks with finished conversations, so the
// dashboard has something to draw.
func (e *env) history(a store.Agent) {
	e.t.Helper()
	agent := fmt.Sprint(a.ID)
	now := e.clock.Now()
	err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		for d := 13; d >= 1; d-- {
			day := now.AddDate(0, 0, -d)
			n := 6 + (d*7)%9
			for i := range n {
				at := day.Add(time.Duration(i) * 23 * time.Minute)
				tk := store.Ticket{Chat: fmt.Sprintf("55479%08d", d*100+i), Requester: fmt.Sprintf("Cliente %d-%d", d, i),
					IDSuporte: fmt.Sprint(1000000 + d*100 + i), Status: store.StatusResolvido, CreatedAt: at, LastActivityAt: at.Add(30 * time.Minute)}
				handed := i%3 != 0
				if handed {
					tk.QueuedAt = at.Add(2 * time.Minute)
					tk.ClaimedAt = tk.QueuedAt.Add(time.Duration(1+(i*d)%11) * time.Minute)
					tk.Agent = agent
				}
				id, err := putTicket(e.ctx, tx, tk)
				if err != nil {
					return err
				}
				if i%2 == 0 {
					rating := 5 - (i*d)%4
					if i%7 == 6 {
						rating = 1
					}
					if err := tx.PutFeedback(e.ctx, store.Feedback{Ticket: id, Rating: rating, Agent: tk.Agent, At: at.Add(40 * time.Minute)}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}
