package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"suporte/bot"
	"suporte/store"
)

// testWording: what the console says reads right: a queued ticket is
// Aberto and in the queue (header and transcript agree), counts agree
// with their nouns (1 avaliação), a rating without a comment shows no
// stray value, Brazilian numbers read +55 47 99999-0001 on one line, and
// the report counts files received and sent by kind, and those that
// could not be received.
func testWording(t *testing.T, browser context.Context) {
	e := newEnv(t)
	e.agent("sara@contaazul.com", "Sara Nunes", store.RoleSupervisor, 5)
	ana := e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)

	// This morning Ana solved a case, rated 5 without a comment.
	now := e.clock.Now()
	var rated int64
	err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		at := now.Add(-40 * time.Minute)
		tk := store.Ticket{Chat: "5547988880002", Requester: "Bruna Alves", IDSuporte: "87654321", Status: store.StatusResolvido,
			CreatedAt: at, LastActivityAt: at.Add(20 * time.Minute), QueuedAt: at.Add(time.Minute), ClaimedAt: at.Add(3 * time.Minute),
			ClosedAt: at.Add(20 * time.Minute), Agent: fmt.Sprint(ana.ID)}
		var err error
		if rated, err = putTicket(e.ctx, tx, tk); err != nil {
			return err
		}
		if _, err := tx.AddTicketEvent(e.ctx, store.TicketEvent{Ticket: rated, At: tk.QueuedAt, Kind: "system", Actor: "bot", Text: store.NoteQueueEntered}); err != nil {
			return err
		}
		// She got two screenshots (one never arrived) and a voice note,
		// and sent a PDF.
		for _, m := range []store.Media{
			{Kind: "image", State: store.MediaStored}, {Kind: "image", State: store.MediaFailed, Problem: "arquivo acima do limite de 16 MB"},
			{Kind: "audio", State: store.MediaStored},
		} {
			m.Chat, m.Direction, m.CreatedAt = tk.Chat, "in", at.Add(5*time.Minute)
			if _, err := tx.AddMedia(e.ctx, m); err != nil {
				return err
			}
		}
		pdf, err := tx.AddMedia(e.ctx, store.Media{Chat: tk.Chat, Direction: "out", Kind: "document", State: store.MediaStored, CreatedAt: at.Add(6 * time.Minute)})
		if err != nil {
			return err
		}
		sent := at.Add(6 * time.Minute)
		if _, err := tx.AppendOutbox(e.ctx, store.OutMsg{Chat: tk.Chat, Ticket: rated, Text: "*Ana Lima*", Author: tk.Agent, CreatedAt: sent, SentAt: sent, Media: pdf}); err != nil {
			return err
		}
		return tx.PutFeedback(e.ctx, store.Feedback{Ticket: rated, Rating: 5, Agent: tk.Agent, At: tk.ClosedAt})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A customer without a WhatsApp name waits in the queue.
	const chat = "5547999990001"
	for i, text := range []string{"oi", "12345678", "atendente"} {
		in := bot.Inbound{Chat: chat, ID: fmt.Sprint("w", i), Kind: bot.KindText, Text: text, At: e.clock.Now(), Phone: "+5547999990001"}
		if _, err := e.rt.Receive(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		e.drain()
	}
	queued := e.lastTicket(chat)
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.rt.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })

	ctx, check := tab(t, browser)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).innerText`, sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	steps(t, ctx, check, "log in and open the queued ticket",
		chromedp.Navigate(fmt.Sprintf("%s/#/atendimento/%d", e.srv.URL, queued)),
		logIn("sara@contaazul.com"),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-system")][contains(., "Status: Aberto")]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conv-status .pill-queued`)),
		screenshot("w1-queued"),
	)
	if got := text("#conv-status"); got != "Aberto Na fila · 1º" {
		t.Errorf("header status: %q; want the status as the transcript has it (Aberto) and the queue (Na fila · 1º)", got)
	}
	if got := text("#conv-name"); got != "+55 47 99999-0001" {
		t.Errorf("customer without a name: %q; want +55 47 99999-0001", got)
	}
	if got := text("#details-list"); !strings.Contains(got, "Telefone +55 47 99999-0001") {
		t.Errorf("details: %q; want Telefone +55 47 99999-0001", got)
	}
	// Squeezed, the number moves to the next line whole.
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
		const dd = [...document.querySelectorAll('#details-list dd')].find((d) => d.textContent.includes('99999'));
		dd.style.width = '60px';
		const n = dd.querySelector('.phone').getClientRects().length;
		dd.style.width = '';
		return n;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if lines != 1 {
		t.Errorf("a phone number in a narrow column breaks over %d lines; want 1", lines)
	}

	steps(t, ctx, check, "open the rated ticket",
		chromedp.Navigate(fmt.Sprintf("%s/#/atendimento/%d", e.srv.URL, rated)),
		chromedp.WaitVisible(chromedp.ID("details-feedback")),
	)
	if got := text("#feedback-text"); got != "★★★★★ 5/5" {
		t.Errorf("rating without a comment: %q; want ★★★★★ 5/5", got)
	}

	steps(t, ctx, check, "all conversations",
		chromedp.Click(chromedp.CSS(`a[data-view="todas"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#all-filters .chip[data-filter="aguardando_resposta"]`))),
		chromedp.WaitVisible(chromedp.CSS(`#all-body tr`)),
	)
	if got := text("#all-body"); !strings.Contains(got, "+55 47 99999-0001 12345678 — Aberto Na fila") {
		t.Errorf("all conversations: %q; want the queued customer's number, Aberto and Na fila", got)
	}
	if got := text("#all-filters"); got != "Em andamento Aberto Aguardando resposta Resolvido Todas" {
		t.Errorf("filters: %q; want the server's status names", got)
	}

	steps(t, ctx, check, "dashboard and report",
		chromedp.Click(chromedp.CSS(`a[data-view="painel"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-csat svg rect`)),
		chromedp.Click(chromedp.CSS(`a[data-view="relatorios"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rep-body .rep-cards`)),
		screenshot("w2-report"),
	)
	if got := text("#kpi-csat-n"); got != "1 avaliação no período" {
		t.Errorf("dashboard: %q; want 1 avaliação no período", got)
	}
	rep := text("#rep-body")
	for _, want := range []string{"1 atendido · 0 desistiram", "5,0 1 avaliação", "1 cliente atendido a partir da fila."} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
	if got, want := text("#rep-media"), "TIPO RECEBIDOS ENVIADOS Áudios 1 0 Documentos 0 1 Fotos 2 0 Total 3 1"; got != want {
		t.Errorf("report's files: %q; want %q", got, want)
	}
	if got, want := text("#rep-media-failed"), "1 arquivo dos clientes não pôde ser recebido: acima dos limites, ou o download não deu certo (o chamado diz o motivo)."; got != want {
		t.Errorf("report's files not received: %q; want %q", got, want)
	}
	for _, wrong := range []string{"null", "undefined", "1 avaliações", "1 atendidos", "1 clientes", "1 arquivos"} {
		if strings.Contains(rep, wrong) {
			t.Errorf("report says %q", wrong)
		}
	}
	check()
}
