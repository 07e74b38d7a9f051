package console

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"suporte/store"
)

// testEditorAndReports: an editor reads the trail tree, tests a changed
// menu in the sandbox and sees a refused file at once; a supervisor reads
// the report.
func testEditorAndReports(t *testing.T, browser context.Context) {
	e := newEditorEnv(t)
	e.agent("edu@contaazul.com", "Edu Lima", store.RoleEditor, 1)
	sara := e.agent("sara@contaazul.com", "Sara Nunes", store.RoleSupervisor, 5)
	e.seedTrails("notas-nfe", 40, 31, 6, 5, 5, 4, 5, 3)
	e.seedTrails("notas-rejeitada", 25, 6, 15, 2, 3, 1)
	e.seedTrails("notas-nfse", 12, 6, 4)
	e.seedTrails("boletos-emitir", 18, 14, 2, 5, 4)
	e.seedTrails("financeiro-conciliacao", 30, 9, 17, 2, 3)
	e.seedTrails("acesso-senha", 22, 19, 1, 5)
	e.history(sara)
	e.seedEscalations()
	e.say("5547999990041", "oi", "12345678", "quem ganhou o jogo de ontem?")
	e.say("5547999990042", "oi", "12345678", "quero cancelar", "2")

	ctx, check := tab(t, browser)
	steps(t, ctx, check, "log in as an editor and read the tree",
		chromedp.Navigate(e.srv.URL+"/#/fluxos"),
		logIn("edu@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(`#tree-canvas .tn-trail`)),
		chromedp.Click(chromedp.CSS(`#tree-canvas .tn[data-node="notas-nfe"]`)),
		chromedp.WaitVisible(chromedp.Search(`//aside[@id="tree-details"]//dd[contains(., "31 de 40")]`)),
		screenshot("11-flows-tree"),
		chromedp.ScrollIntoView(chromedp.CSS(`#tree-canvas .tn[data-node="boletos-emitir"]`)),
		screenshot("11b-flows-tree-next"),
		chromedp.ScrollIntoView(chromedp.Search(`//section[contains(@class,"unmatched")]//td[contains(., "quem ganhou o jogo de ontem")]`)),
		screenshot("11c-flows-unmatched"),
		chromedp.ScrollIntoView(chromedp.Search(`//section[contains(@class,"asked")]//tr[contains(., "quero cancelar")][contains(., "Cancelar ou corrigir nota ou Plano e assinatura")][contains(., "Plano e assinatura")]`)),
		screenshot("11d-flows-asked"),
		chromedp.Click(chromedp.CSS(`#view-fluxos [data-tab="versoes"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#versions-body tr`)),
	)
	reports, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('a[data-view="relatorios"]').hidden`))
	if err != nil {
		t.Fatal(err)
	}
	if reports {
		t.Error("an editor sees the reports tab")
	}

	// The changed file also learns from the phrasebook, whose reading
	// Testar fluxo then shows (without six examples that what it learned
	// makes ambiguous or reads as another node, which the check would
	// refuse).
	changed := strings.NewReplacer(menuText, newMenuText,
		"\n  menu_style: text\n", "\n  menu_style: text\n  phrasebook: builtin\n",
		"\n      - quero saber do meu protocolo\n", "\n",
		"\n      - adicionar um comentário no chamado\n", "\n",
		"\n      - problema com a nota\n      - nota fiscal eletrônica\n", "\n",
		"\n      - boleto bancário\n", "\n",
		"\n      - quero contratar o suporte telefônico\n", "\n").Replace(fixture(t))
	steps(t, ctx, check, "test a changed menu",
		chromedp.Click(chromedp.CSS(`#view-fluxos [data-tab="testar"]`)),
		chromedp.WaitVisible(chromedp.ID("flow-source")),
		chromedp.SetValue(chromedp.ID("flow-source"), changed),
		chromedp.Click(chromedp.ID("test-validate")),
		chromedp.WaitVisible(chromedp.Search(`//ul[contains(@class,"changes")]//ins[contains(., "menu novo")]`)),
		chromedp.Click(chromedp.ID("test-start")),
		chromedp.Click(chromedp.CSS(`.phone-empty .chip`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@data-from="bot"]//div[contains(., "ID Suporte")]`)),
		chromedp.SendKeys(chromedp.ID("test-text"), "12345678"+kb.Enter),
		chromedp.WaitVisible(chromedp.Search(`//div[@data-from="bot"]//div[contains(., "menu novo")]`)),
		chromedp.Click(chromedp.Search(`//div[@id="test-chips"]/button[starts-with(., "1.")]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@data-from="bot"]//div[contains(., "dúvida sobre notas fiscais")]`)),
		screenshot("12-flows-test"),
		// Free text at a menu: the bot's reading of it is one click away.
		chromedp.SendKeys(chromedp.ID("test-text"), "nao consigo entrar, esqueci a snha"+kb.Enter),
		chromedp.WaitVisible(chromedp.Search(`//details[contains(@class,"route-why")]/summary[contains(., "foi direto para")]`)),
		chromedp.Click(chromedp.Search(`//details[contains(@class,"route-why")]/summary[contains(., "foi direto para")]`)),
		chromedp.WaitVisible(chromedp.Search(`//details[contains(@class,"route-why")]//li[contains(., "erro de digitação de “senha”")]`)),
		chromedp.WaitVisible(chromedp.Search(`//details[contains(@class,"route-why")]//p[contains(@class,"route-learned")][contains(., "Pelo que os clientes costumam escrever: Acesso e senha")][contains(., "Numa segunda leitura, chance de não ser de assunto nenhum:")]`)),
		screenshot("12b-flows-test-route"),
	)

	// A page reloaded ends its test (editor.js, on pagehide): left open,
	// tests would pile up against the editor's cap.
	var open []string
	e.s.flowTests.mu.Lock()
	for id := range e.s.flowTests.open {
		open = append(open, id)
	}
	e.s.flowTests.mu.Unlock()
	if len(open) != 1 {
		t.Fatalf("open tests before the reload: %d; want 1", len(open))
	}
	steps(t, ctx, check, "reload the page: its test ends",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("flow-source")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`fetch('/api/flows/test/%s/messages', {method: 'POST', headers: {'X-Requested-With': 'suporte', 'Content-Type': 'application/json'}, body: '{"wait": "1s"}'}).then((r) => r.status === 404)`, open[0])),
	)
	if n := e.s.flowTests.count(); n != 0 {
		t.Errorf("open tests after the reload: %d; want 0", n)
	}

	// Someone saves a broken file: the banner shows its problems at once.
	if err := os.WriteFile(e.path, []byte(strings.Replace(fixture(t), "goto: notas\n", "goto: notass\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.src.Reload(e.ctx, "file change"); err == nil {
		t.Fatal("the broken file was accepted")
	}
	steps(t, ctx, check, "see a refused file",
		chromedp.WaitVisible(chromedp.Search(`//div[@id="flows-banner"]//li[contains(., "notass")]`)),
		screenshot("13-flows-refused"),
		chromedp.Click(chromedp.Search(`//div[@id="flows-banner"]//button[contains(., "Ver no teste")]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="test-result"]//li[contains(., "notass")]`)),
		screenshot("13b-flows-problems"),
	)
	check()

	ctx, check = tab(t, browser)
	steps(t, ctx, check, "log in as a supervisor",
		chromedp.Navigate(e.srv.URL+"/#/relatorios"),
		logIn("sara@contaazul.com"),
		chromedp.WaitVisible(chromedp.ID("view-relatorios")),
	)
	steps(t, ctx, check, "read the report",
		chromedp.WaitVisible(chromedp.CSS(`.rep-table tbody tr`)),
		chromedp.WaitVisible(chromedp.CSS(`.chart svg rect`)),
		screenshot("14-report"),
		chromedp.EmulateViewport(1440, 2300), // the whole report, for the screenshot
		screenshot("15-report-full"),
	)
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.rep-table tbody tr td`)))
	if err != nil {
		t.Fatal(err)
	}
	if first != "Emitir NF-e" {
		t.Errorf("first trail in the report: %q; want Emitir NF-e (most reached)", first)
	}
	check()
}

// seedEscalations stores cases sent to the product team last week: met,
// late, overdue and still within the deadline.
func (e *env) seedEscalations() {
	e.t.Helper()
	now := e.clock.Now()
	err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		for i, c := range []struct{ due, closed time.Duration }{
			{48 * time.Hour, 24 * time.Hour}, {24 * time.Hour, 12 * time.Hour}, {24 * time.Hour, 72 * time.Hour},
			{48 * time.Hour, 0}, {240 * time.Hour, 0}, {200 * time.Hour, 0},
		} {
			at := now.Add(-6 * 24 * time.Hour)
			tk := store.Ticket{Chat: fmt.Sprint("esc-", i), Requester: "Cliente", Status: store.StatusAguardando,
				CreatedAt: at, LastActivityAt: at, EscalatedAt: at, EscalationDue: at.Add(c.due)}
			if c.closed > 0 {
				tk.Status, tk.ClosedAt, tk.CloseReason = store.StatusResolvido, at.Add(c.closed), store.CloseSolvedByAgent
			}
			if _, err := putTicket(e.ctx, tx, tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}
