package console

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"suporte/store"
)

// testSearch: an agent finds past cases by what was written in them and
// opens them; from a conversation she reads the customer's earlier
// tickets and comes back; a colleague's conversation going on stays out.
func testSearch(t *testing.T, browser context.Context) {
	e := newEnv(t)
	ana := botAgent(e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5))
	bia := botAgent(e.agent("bia@contaazul.com", "Bia Souza", store.RoleAgent, 5))

	// Last week Bia solved Maria's rejected invoice.
	const maria = "5547999990001"
	past := e.customer(maria)
	e.say(maria, "A nota fiscal voltou com Rejeição 539")
	for _, err := range []error{
		e.rt.Claim(e.ctx, bia, past),
		e.rt.Reply(e.ctx, bia, past, "Atualize o certificado digital e emita de novo."),
		e.rt.SetStatus(e.ctx, bia, past, store.StatusResolvido),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.drain()
	e.closeUndoWindows(t)
	e.say(maria, "5")
	// Bia is now talking with João about the same rejection.
	const joao = "5547988880002"
	going := e.customer(joao)
	e.say(joao, "Também deu rejeição 539 aqui")
	if err := e.rt.Claim(e.ctx, bia, going); err != nil {
		t.Fatal(err)
	}
	// Maria is back, and Ana takes her.
	now := e.customer(maria)
	e.say(maria, "Voltou a rejeitar a nota")
	if err := e.rt.Claim(e.ctx, ana, now); err != nil {
		t.Fatal(err)
	}
	e.drain()
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.rt.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })

	ctx, check := tab(t, browser)
	steps(t, ctx, check, "log in and open Maria's conversation",
		chromedp.Navigate(fmt.Sprintf("%s/#/atendimento/%d", e.srv.URL, now)),
		logIn("ana@contaazul.com"),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#history-list li[data-ticket="%d"]`, past))),
	)
	steps(t, ctx, check, "read her earlier ticket and come back",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#history-list li[data-ticket="%d"]`, past))),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-agent")]//div[contains(., "certificado digital")]`)),
		chromedp.WaitVisible(chromedp.ID("return-btn")),
		screenshot("s1-past-ticket"),
		chromedp.Click(chromedp.ID("return-btn")),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-customer")]//div[contains(., "Voltou a rejeitar")]`)),
	)
	steps(t, ctx, check, "search what was written",
		chromedp.Click(chromedp.CSS(`a[data-view="todas"]`)),
		chromedp.WaitVisible(chromedp.ID("all-search")),
		chromedp.SendKeys(chromedp.ID("all-search"), "rejeicao 539"),
		// The search runs as the words are typed: wait for the answer to
		// the whole of it, the only one that marks 539.
		chromedp.WaitVisible(chromedp.Search(`//tbody[@id="all-body"]//div[contains(@class,"snippet")]//mark[.="539"]`)),
		screenshot("s2-search"),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#all-body tr')].map((r) => r.innerText.replace(/\s+/g, ' '))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !strings.Contains(rows[0], fmt.Sprint(past)) || !strings.Contains(rows[0], "Cliente: A nota fiscal voltou com Rejeição 539") {
		t.Errorf("search results: %q; want only Maria's solved ticket, with the line that matched (not João's conversation with Bia)", rows)
	}
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#all-body mark')].map((m) => m.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(marks, ",") != "Rejeição,539" {
		t.Errorf("highlighted: %q; want Rejeição,539", marks)
	}
	scope, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("all-scope")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(scope, "chamados resolvidos") {
		t.Errorf("an agent is not told what she can find: %q", scope)
	}
	steps(t, ctx, check, "search a phone, open the result",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#all-search').select()`),
		chromedp.SendKeys(chromedp.ID("all-search"), "(47) 99999-0001"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#all-body tr + tr`)),
		chromedp.Click(chromedp.Search(fmt.Sprintf(`//tbody[@id="all-body"]/tr[td[1][.="%d"]]`, past))),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-agent")]//div[contains(., "certificado digital")]`)),
		chromedp.WaitVisible(chromedp.ID("readonly")),
	)
	check()
}
