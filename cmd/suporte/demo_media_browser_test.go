package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"
)

// TestDemoMediaInChromium runs the demo and two Chromium tabs: on the
// simulated phone a customer goes to the queue and sends a screenshot and
// a voice note (real files, through the page's file input); in the
// console Ana takes the chat, sees the image, gets an audio player that
// loads the voice note, and sends a PDF from the composer, which reaches
// the customer's phone as a document to download.
func TestDemoMediaInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the demo's browser test needs Debian's chromium at %s (make deps installs it): %v", chromium, err)
	}
	fixture := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "..", "bot", "sim", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// The demo, its clock on a Tuesday morning: the Encantadores work.
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	o := demoOptions{data: t.TempDir(), flows: "../../flows.yaml", bcryptCost: bcrypt.MinCost, noPacing: true,
		sendRate: 1e6, sendBurst: 1e6, at: time.Date(2026, 11, 24, 10, 0, 0, 0, sp)}
	d, err := openDemo(context.Background(), o, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.serve(sctx, ln, d.handler) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		d.Close()
	})
	base := "http://" + ln.Addr().String()

	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("mute-audio", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("lang", "pt-BR"), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	t.Cleanup(acancel)
	browser, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	bctx, cancel := context.WithTimeout(browser, 120*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	phone, pcancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(pcancel)
	desk, dcancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(dcancel)
	// A tab lives as long as the context of its first action: open both
	// on theirs, so each step may run with a deadline of its own.
	for _, tab := range []context.Context{phone, desk} {
		if err := chromedp.Do(tab); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
	}

	step := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	const chat = "5547999990001"
	// The talk with the bot, through the phone's API; the files, through its page.
	for i, text := range []string{"oi", "12345678", "atendente"} {
		if code, _, err := postMessage(&http.Client{Timeout: 10 * time.Second}, base, chat, fmt.Sprint("txt", i), text); err != nil || code != http.StatusAccepted {
			t.Fatalf("say %q: %d %v", text, code, err)
		}
	}
	step(phone, "the customer opens the chat",
		chromedp.Navigate(base+"/sim/"),
		chromedp.WaitVisible(chromedp.CSS(`.chat-item[data-chat="`+chat+`"]`)),
		// By script: the list is redrawn as messages come, under a click's feet.
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.chat-item[data-chat="`+chat+`"]').click()`),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"bubble")][contains(., "da fila")]`)),
	)
	step(phone, "the customer sends a screenshot and a voice note",
		chromedp.SetAttributeValue(chromedp.ID("file"), "data-kind", "image", chromedp.NodeReady),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{fixture("print.png")}, chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.CSS(`.row.out .file-img img[src*="/sim/api/file"]`)),
		chromedp.SetAttributeValue(chromedp.ID("file"), "data-kind", "audio", chromedp.NodeReady),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{fixture("voz.ogg")}, chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.CSS(`.row.out audio[src*="/sim/api/file"]`)),
	)

	step(desk, "Ana logs in and takes the chat",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), "ana@demo.local"),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`.queue-item .claim`)),
		chromedp.Click(chromedp.CSS(`.queue-item .claim`)),
		chromedp.WaitVisible(chromedp.ID("composer-text")),
		chromedp.WaitVisible(chromedp.CSS(`.msg-customer .msg-media img[src^="/api/media/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg-customer .msg-media audio[src^="/api/media/"]`)),
	)
	// The image decoded, and the player read the voice note's length
	// (Chromium plays Ogg/Opus): polled, as the transcript is redrawn live.
	pctx, pcancel := context.WithTimeout(desk, 20*time.Second)
	defer pcancel()
	width, err := chromedp.Run(pctx, chromedp.Poll[int](`(() => {
		const img = document.querySelector('.msg-customer .msg-media img');
		return img && img.complete && img.naturalWidth;
	})()`))
	if err != nil || width != 1 {
		t.Errorf("the customer's image in the console: width %v, %v; want the 1-pixel PNG shown", width, err)
	}
	duration, err := chromedp.Run(pctx, chromedp.Poll[float64](`(() => {
		const a = document.querySelector('.msg-customer .msg-media audio');
		return a && a.readyState >= 1 && !a.error && a.duration;
	})()`))
	if err != nil || duration < 0.5 || duration > 2 {
		t.Errorf("the voice note's player: duration %v, %v; want the one-second note loaded", duration, err)
	}

	step(desk, "Ana sends a PDF with a caption",
		chromedp.SetUploadFiles(chromedp.ID("attach-input"), []string{fixture("guia.pdf")}, chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.ID("attachment")),
		chromedp.SetValue(chromedp.ID("composer-text"), "Segue o guia"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-agent")]//div[contains(@class,"file-name")][contains(., "guia.pdf")]`)),
	)
	step(phone, "the PDF reaches the customer's phone",
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"row") and contains(@class,"in")]//div[contains(@class,"doc-name")][contains(., "guia.pdf")]`)),
	)
	href, err := chromedp.Run(phone, chromedp.AttributeValue(chromedp.CSS(`.row.in a.doc-link`), "href"))
	if err != nil || !strings.Contains(href.Value, "/sim/api/file") || !strings.Contains(href.Value, "seq=") {
		t.Errorf("the PDF on the phone links to %+v, %v; want the demo's file", href, err)
	}
}
