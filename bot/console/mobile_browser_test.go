package console

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"suporte/bot"
	"suporte/store"
)

// phone emulates a phone's screen: 390 by 844 CSS pixels, touch, twice
// the pixels.
func phone(w, h int64) chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(w, h, chromedp.EmulateScale(2), chromedp.EmulateMobile)
}

// layout checks the page as a phone shows it: nothing wider than the
// screen, and each selector's element visible, inside the screen and the
// one a tap at its middle reaches (not covered by something else).
func layout(t *testing.T, ctx context.Context, where string, selectors ...string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`((sels) => {
		const out = [];
		const W = window.innerWidth, H = window.innerHeight;
		const doc = document.documentElement;
		if (doc.scrollWidth > W) out.push('the page is ' + doc.scrollWidth + ' px wide on a ' + W + ' px screen');
		for (const el of document.querySelectorAll('body *')) {
			const r = el.getBoundingClientRect();
			if (r.width && r.right > W + 1 && getComputedStyle(el).position === 'fixed') out.push('fixed element past the edge: ' + el.outerHTML.slice(0, 80));
		}
		for (const sel of sels) {
			const el = document.querySelector(sel);
			if (!el) { out.push(sel + ': missing'); continue; }
			const r = el.getBoundingClientRect();
			if (!r.width || !r.height) { out.push(sel + ': not shown'); continue; }
			if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1) {
				out.push(sel + ': outside the screen at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(','));
				continue;
			}
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			if (!hit || !(hit === el || el.contains(hit))) out.push(sel + ': covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing'));
		}
		return out;
	})(`+jsonList(selectors)+`)`))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", where, p)
	}
}

func jsonList(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// testPhone: an agent works the queue from a phone (390 px), then a
// supervisor reads every view, and the narrowest phones (360 px) fit.
func testPhone(t *testing.T, browser context.Context) {
	e := newEditorEnv(t)
	e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	sara := e.agent("sara@contaazul.com", "Sara Nunes", store.RoleSupervisor, 5)
	e.history(sara)
	e.seedTrails("notas-nfe", 40, 31, 6, 5, 5, 4, 5, 3)
	e.seedTrails("boletos-emitir", 18, 14, 2, 5, 4)
	first := e.customer("5547999990001")
	e.say("5547999990001", "Minha nota fiscal não está sendo emitida, aparece a rejeição 539 e não sei o que fazer com ela")
	e.clock.Advance(2 * time.Minute)
	e.customer("5547988880002")
	e.clock.Advance(time.Minute)

	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.rt.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })

	ctx, check := tab(t, browser)
	steps(t, ctx, check, "log in on a phone",
		phone(390, 844),
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
	)
	layout(t, ctx, "login", "#login-email", "#login-password", "#login-submit")
	steps(t, ctx, check, "see the queue",
		logIn("ana@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(`.queue-item + .queue-item`)),
		screenshot("m1-queue"),
	)
	layout(t, ctx, "queue", "#claim-next", ".queue-item .claim", "#me-btn")
	steps(t, ctx, check, "open the menu",
		chromedp.Click(chromedp.ID("me-btn")),
		chromedp.WaitVisible(chromedp.ID("logout")),
		screenshot("m2-menu"),
	)
	layout(t, ctx, "menu", "#logout", "#sound-toggle", "#capacity")
	steps(t, ctx, check, "close the menu and open a waiting customer",
		chromedp.Click(chromedp.ID("me-btn")),
		chromedp.WaitNotVisible(chromedp.ID("logout")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.queue-item[data-ticket="%d"] .item-name`, first))),
		chromedp.WaitVisible(chromedp.ID("btn-claim")),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-customer")]//div[contains(., "rejeição 539")]`)),
		screenshot("m3-queued-chat"),
	)
	layout(t, ctx, "queued conversation", "#conv-back", "#btn-claim", "#conv-name")
	// A long message fills most of the screen's width, not a word per line.
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => {
		const b = [...document.querySelectorAll('.msg-customer .msg-body')].find((x) => x.textContent.includes('rejeição 539'));
		return b.getBoundingClientRect().width / window.innerWidth;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if width < 0.6 {
		t.Errorf("a long message bubble is %.0f%% of the screen's width; want at least 60%%", width*100)
	}

	reply := "Oi! Vou olhar a rejeição 539 com você."
	steps(t, ctx, check, "claim and reply",
		chromedp.Click(chromedp.ID("btn-claim")),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		chromedp.SetValue(chromedp.ID("composer-text"), reply),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-agent")]//div[contains(., "rejeição 539 com você")]`)),
		screenshot("m4-chat"),
	)
	e.waitSent(ctx, "5547999990001", reply)
	layout(t, ctx, "conversation", "#conv-back", "#btn-more", "#composer-text", "#send", "#quick-btn")
	steps(t, ctx, check, "open the actions",
		chromedp.Click(chromedp.ID("btn-more")),
		chromedp.WaitVisible(chromedp.ID("btn-resolve")),
		screenshot("m5-actions"),
	)
	layout(t, ctx, "actions", "#btn-details", "#btn-waiting", "#btn-resolve", "#btn-release", "#btn-transfer", "#btn-escalate")
	steps(t, ctx, check, "read the customer's details",
		chromedp.Click(chromedp.ID("btn-details")),
		chromedp.WaitVisible(chromedp.ID("details-list")),
		screenshot("m6-details"),
	)
	layout(t, ctx, "details", "#details-close", "#details-list")
	steps(t, ctx, check, "resolve from the menu",
		chromedp.Click(chromedp.ID("details-close")),
		chromedp.WaitNotVisible(chromedp.ID("details-list")),
		chromedp.Click(chromedp.ID("btn-more")),
		chromedp.WaitVisible(chromedp.ID("btn-resolve")),
		chromedp.Click(chromedp.ID("btn-resolve")),
		chromedp.WaitVisible(chromedp.ID("resolving")),
		screenshot("m6b-resolving"),
	)
	layout(t, ctx, "resolving", "#undo-resolve", "#conv-back")
	steps(t, ctx, check, "leave it resolving: the toast offers to undo",
		chromedp.Click(chromedp.ID("conv-back")),
		chromedp.WaitVisible(chromedp.CSS(`.toast-action`)),
		screenshot("m6c-undo-toast"),
	)
	layout(t, ctx, "undo toast", ".toast-action", "#claim-next")
	steps(t, ctx, check, "undo from the toast",
		chromedp.Click(chromedp.CSS(`.toast-action`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"toast")][contains(., "continua com você")]`)),
	)
	var timers []store.Timer
	if err := e.db.View(e.ctx, func(tx *store.Tx) error {
		var err error
		timers, err = tx.Timers(e.ctx, "", "5547999990001")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !bot.ResolvingAt(timers, first).IsZero() {
		t.Errorf("Desfazer on the toast left the ticket resolving: %+v", timers)
	}
	steps(t, ctx, check, "back at the queue",
		chromedp.WaitVisible(chromedp.ID("claim-next")),
		chromedp.WaitVisible(chromedp.CSS(`.mine-item`)),
	)
	layout(t, ctx, "back at the queue", "#claim-next", ".mine-item")
	check()

	// A supervisor's views, on a phone.
	ctx, check = tab(t, browser)
	steps(t, ctx, check, "log in as a supervisor",
		phone(390, 844),
		chromedp.Navigate(e.srv.URL+"/#/todas"),
		logIn("sara@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(`#all-body tr`)),
		screenshot("m7-all"),
	)
	layout(t, ctx, "all conversations", "#all-body tr", "#all-search", `a[data-view="todas"]`)
	steps(t, ctx, check, "dashboard",
		chromedp.Click(chromedp.CSS(`a[data-view="painel"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-volume svg rect`)),
		screenshot("m8-dashboard"),
	)
	layout(t, ctx, "dashboard", "#kpi-queue")
	// Chart labels stay readable: 10 px or more on the screen.
	small, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('#view-painel .chart svg text')]
		.filter((x) => x.getBoundingClientRect().height > 0 && x.getBoundingClientRect().height < 10).length`))
	if err != nil {
		t.Fatal(err)
	}
	if small > 0 {
		t.Errorf("dashboard: %d chart labels under 10 px tall", small)
	}
	steps(t, ctx, check, "report",
		chromedp.Navigate(e.srv.URL+"/#/relatorios"),
		chromedp.WaitVisible(chromedp.CSS(`.rep-table tbody tr`)),
		screenshot("m9-report"),
	)
	layout(t, ctx, "report", "#rep-from", "#rep-to")
	steps(t, ctx, check, "flows",
		chromedp.Navigate(e.srv.URL+"/#/fluxos"),
		chromedp.WaitVisible(chromedp.CSS(`#tree-canvas .tn-trail`)),
		screenshot("m10-flows"),
	)
	layout(t, ctx, "flows tree", `#view-fluxos [data-tab="testar"]`)
	steps(t, ctx, check, "flows test",
		chromedp.Click(chromedp.CSS(`#view-fluxos [data-tab="testar"]`)),
		chromedp.WaitVisible(chromedp.ID("flow-source")),
		screenshot("m11-flows-test"),
	)
	layout(t, ctx, "flows test", "#test-validate")

	// The narrowest phones in use.
	steps(t, ctx, check, "360 px: the queue",
		phone(360, 740),
		chromedp.Navigate(e.srv.URL+"/#/atendimento"),
		chromedp.WaitVisible(chromedp.CSS(`.queue-item`)),
	)
	layout(t, ctx, "queue at 360 px", "#claim-next", ".queue-item .claim", "#me-btn")
	steps(t, ctx, check, "360 px: a conversation",
		chromedp.Navigate(fmt.Sprintf("%s/#/atendimento/%d", e.srv.URL, first)),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		screenshot("m12-360"),
	)
	layout(t, ctx, "conversation at 360 px", "#conv-back", "#btn-more", "#composer-text", "#send")
	check()
}
