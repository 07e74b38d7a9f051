package console

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"suporte/bot"
	"suporte/store"
)

// testMedia: an agent listens to a voice note while the customer goes on
// writing. The transcript grows line by line: the player keeps its place,
// the image is not loaded again, and an agent reading further up is not
// moved but told of the new lines.
func testMedia(t *testing.T, browser context.Context) {
	e := newEnv(t)
	ana := e.agent("ana@contaazul.com", "Ana Lima", store.RoleAgent, 5)
	const chat = "5547999990001"
	id := e.customer(chat)
	if err := e.rt.Claim(e.ctx, botAgent(ana), id); err != nil {
		t.Fatal(err)
	}
	e.drain()
	for i := range 12 {
		e.say(chat, fmt.Sprintf("Linha %d do que aconteceu com a nota", i+1))
	}
	voice, err := os.ReadFile("../sim/testdata/voz.ogg")
	if err != nil {
		t.Fatal(err)
	}
	e.sendMedia(chat, bot.KindImage, "print", pngBytes)
	e.sendVoice(chat, "voz", voice)

	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.rt.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })
	say := func(text string) {
		t.Helper()
		e.clock.Advance(time.Minute)
		if _, err := e.rt.Receive(e.ctx, e.message(chat, text)); err != nil {
			t.Fatal(err)
		}
	}
	customerLine := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"msg-customer")]//div[contains(., "` + text + `")]`))
	}

	ctx, check := tab(t, browser)
	steps(t, ctx, check, "open the conversation and load the voice note",
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		logIn("ana@contaazul.com"),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`)),
		chromedp.Navigate(fmt.Sprintf("%s/#/atendimento/%d", e.srv.URL, id)),
		chromedp.WaitVisible(chromedp.CSS(`.msg-customer audio`)),
		chromedp.Poll[chromedp.Void](`(() => {
			const a = document.querySelector('.msg-customer audio');
			const img = document.querySelector('.msg-customer .msg-media img');
			return a.readyState >= 1 && img.complete && img.naturalWidth === 1;
		})()`),
	)
	// The agent is half-way through the note; the page marks what it has
	// now, to tell it apart from a copy drawn again.
	steps(t, ctx, check, "listen half-way",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const a = document.querySelector('.msg-customer audio');
			a.currentTime = 0.6;
			a.kept = true;
			document.querySelector('.msg-customer .msg-media img').kept = true;
			window.loads = 0;
			document.getElementById('transcript').addEventListener('load', () => window.loads++, true);
		})()`),
		chromedp.Poll[chromedp.Void](`Math.abs(document.querySelector('.msg-customer audio').currentTime - 0.6) < 0.01`),
	)

	say("Consegue ouvir o áudio?")
	steps(t, ctx, check, "a new message arrives live", customerLine("Consegue ouvir"))
	type player struct {
		Kept, ImageKept bool
		Time            float64
		Players, Loads  int
		AtLast          bool
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[player](`(() => {
		const a = document.querySelector('.msg-customer audio');
		const box = document.getElementById('transcript');
		return {kept: !!a.kept, imageKept: !!document.querySelector('.msg-customer .msg-media img').kept, time: a.currentTime,
			players: document.querySelectorAll('#transcript audio').length, loads: window.loads,
			atLast: box.scrollHeight - box.scrollTop - box.clientHeight < 2};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Kept || !p.ImageKept || p.Time < 0.59 || p.Time > 0.61 || p.Players != 1 || p.Loads != 0 || !p.AtLast {
		t.Errorf("after a new message: %+v; want the same player at 0.6 s, the same image not loaded again, the end in view", p)
	}

	// Playing (over and over), it goes on playing as lines come.
	steps(t, ctx, check, "play the voice note",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const a = document.querySelector('.msg-customer audio');
			a.loop = true;
			a.muted = true;
			a.play();
		})()`),
		chromedp.Poll[chromedp.Void](`(() => { const a = document.querySelector('.msg-customer audio'); return !a.paused && a.currentTime > 0.1; })()`),
	)
	say("Tá tocando?")
	steps(t, ctx, check, "another message arrives while it plays", customerLine("Tá tocando?"))
	playing, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const a = document.querySelector('.msg-customer audio'); return a.kept && !a.paused; })()`))
	if err != nil || !playing {
		t.Errorf("a new message stopped the voice note playing (%v)", err)
	}
	chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.msg-customer audio').pause()`))

	// Scrolled up to read, the agent stays where she is; the new lines are
	// announced, and the cue takes her down.
	steps(t, ctx, check, "scroll up",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const box = document.getElementById('transcript');
			window.scrolled = false;
			box.addEventListener('scroll', () => { window.scrolled = true; }, {once: true});
			box.scrollTop = 0;
		})()`),
		chromedp.Poll[chromedp.Void](`window.scrolled`),
	)
	say("Mandei o print também")
	steps(t, ctx, check, "one line below", customerLine("Mandei o print"),
		chromedp.WaitVisible(chromedp.Search(`//button[@id="new-below"][.="1 nova mensagem ↓"]`)))
	say("Fico no aguardo")
	steps(t, ctx, check, "two lines below", customerLine("Fico no aguardo"),
		chromedp.WaitVisible(chromedp.Search(`//button[@id="new-below"][.="2 novas mensagens ↓"]`)),
		screenshot("media-1-new-below"))
	top, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById('transcript').scrollTop`))
	if err != nil || top != 0 {
		t.Errorf("scrolled up, new lines moved the transcript to %v (%v); want it left at the top", top, err)
	}
	layout(t, ctx, "the new-lines cue", "#new-below", "#composer-text")
	steps(t, ctx, check, "the cue goes down",
		chromedp.Click(chromedp.ID("new-below")),
		chromedp.WaitNotVisible(chromedp.ID("new-below")),
		chromedp.Poll[chromedp.Void](`(() => { const b = document.getElementById('transcript'); return b.scrollHeight - b.scrollTop - b.clientHeight < 2; })()`),
	)
	say("Alô?")
	steps(t, ctx, check, "at the end, the transcript follows", customerLine("Alô?"),
		chromedp.Poll[chromedp.Void](`(() => { const b = document.getElementById('transcript'); return b.scrollHeight - b.scrollTop - b.clientHeight < 2; })()`))
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('new-below').hidden`)); err != nil || !hidden {
		t.Errorf("at the end, the new-lines cue shows (%v)", err)
	}

	// Updated line by line, the transcript reads as one drawn afresh.
	lines := `[...document.querySelectorAll('#transcript > *')].map((el) => el.className + ': ' + el.textContent)`
	live, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](lines))
	if err != nil {
		t.Fatal(err)
	}
	count, err := chromedp.Run(ctx, chromedp.Evaluate[[2]int](fmt.Sprintf(`fetch('/api/tickets/%d').then((r) => r.json())
		.then((t) => [t.messages.length, document.querySelectorAll('#transcript .msg').length])`, id), chromedp.EvalAwaitPromise))
	if err != nil || count[0] != count[1] || count[0] < 25 {
		t.Errorf("the ticket has %d lines, the page shows %d (%v)", count[0], count[1], err)
	}
	steps(t, ctx, check, "reload", chromedp.Reload(), customerLine("Alô?"))
	fresh, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](lines))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(live, "\n") != strings.Join(fresh, "\n") {
		t.Errorf("the transcript updated live:\n%s\nthe same drawn afresh:\n%s", strings.Join(live, "\n"), strings.Join(fresh, "\n"))
	}
	check()
}

// sendVoice has chat send a voice note whose bytes the transport holds.
func (e *env) sendVoice(chat, id string, data []byte) {
	e.t.Helper()
	e.tr.mu.Lock()
	e.tr.media[id] = data
	e.tr.mu.Unlock()
	in := bot.Inbound{Chat: chat, ID: id, Kind: bot.KindAudio, At: e.clock.Now(),
		Media: &bot.Media{MIME: "audio/ogg; codecs=opus", Bytes: int64(len(data)), Voice: true, Duration: time.Second, Ref: []byte(id)}}
	if _, err := e.rt.Receive(e.ctx, in); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
}
