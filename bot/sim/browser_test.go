package sim

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"suporte/bot"
)

// TestPageInChromium drives the /sim page in Debian's headless chromium,
// as a person would: start a chat, type, tap an answer chip, send a
// sticker, reload. It talks to chromium over the DevTools protocol
// directly (a few calls; no extra module). SIM_SCREENSHOT=FILE saves what
// the page looks like at the end (SIM_PHONE_SCREENSHOT, on a phone).
func TestPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin := chromium(t)
	e := &simEnv{db: testStore(t)}
	e.start(t, testFlow(t), bot.SystemClock{}, true)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := launch(ctx, t, bin)
	b.call(t, "Page.enable", nil, nil)
	b.call(t, "Runtime.enable", nil, nil)
	b.call(t, "Log.enable", nil, nil)

	b.navigate(t, e.srv.URL+"/sim/")
	b.waitText(t, ".welcome h1", "WhatsApp simulado")
	b.eval(t, `document.querySelector('#new-chat').click()`)
	b.eval(t, `(() => {
		document.querySelector('#new-phone').value = '55 47 99999-0001';
		document.querySelector('#new-name').value = 'Maria Silva';
		document.querySelector('#new-form').requestSubmit();
	})()`)
	b.waitText(t, "#as-name", "Maria Silva")
	b.waitText(t, ".chat-item .chat-name", "Maria Silva")

	b.typeLine(t, "oi")
	b.waitText(t, ".row.out .bubble", "oi")
	b.waitText(t, ".row.in .bubble", "ID Suporte")
	if got := b.evalString(t, `document.querySelector('.row.in .bubble strong').textContent`); got != "Conta Azul" {
		t.Errorf("*Conta Azul* rendered bold as %q; want Conta Azul", got)
	}

	b.typeLine(t, "12345678")
	b.waitText(t, ".chips .chip", "Acesso e senha")
	b.eval(t, `[...document.querySelectorAll('.chips .chip')].find(c => c.textContent.includes('Acesso e senha')).click()`)
	b.waitText(t, ".row.out .bubble", "4")
	b.waitText(t, ".row.in .bubble", "Esqueci minha senha")

	// Each answer waits for the whole burst before it, as people do.
	b.waitText(t, ".row.in .bubble", "resolveram sua dúvida")
	b.eval(t, `document.querySelector('#attach').click()`)
	b.eval(t, `document.querySelector('#attach-menu [data-kind="location"]').click()`)
	b.waitCount(t, ".row.in .bubble", "resolveram sua dúvida", 2)
	if n := b.evalString(t, `String(document.querySelectorAll('.row.out .media-box.location').length)`); n != "1" {
		t.Errorf("got %s location bubbles; want 1", n)
	}
	// A real voice note, as the phone's file picker hands it over.
	b.eval(t, `document.querySelector('#file').dataset.kind = 'audio'`)
	b.setFiles(t, "#file", filepath.Join("testdata", "voz.ogg"))
	b.waitCount(t, ".row.in .bubble", "resolveram sua dúvida", 3)
	if n := b.evalString(t, `String(document.querySelectorAll('.row.out audio[src*="/sim/api/file"]').length)`); n != "1" {
		t.Errorf("got %s audio players for the voice note sent; want 1", n)
	}
	if text := b.evalString(t, `document.querySelector('#messages').innerText`); strings.Contains(text, "null") || strings.Contains(text, "undefined") {
		t.Errorf("the conversation shows a missing value:\n%s", text)
	}

	// A reload shows the same conversation, from the store.
	before := b.evalString(t, `document.querySelector('#messages').innerText`)
	b.reload(t)
	b.waitCount(t, ".row.in .bubble", "resolveram sua dúvida", 3)
	after := b.evalString(t, `document.querySelector('#messages').innerText`)
	if clean(after) != clean(before) {
		t.Errorf("after a reload the conversation reads\n%s\nwant\n%s", after, before)
	}

	b.screenshot(t, "SIM_SCREENSHOT")
	for _, msg := range b.problems() {
		t.Errorf("page error: %s", msg)
	}
}

// clean drops what differs between a live page and a reloaded one: the
// answer chips are the same, but the "typing" row and read ticks may not be.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found (apt-get install -y chromium)")
	return ""
}

// browser is one page of a headless chromium, driven over DevTools.
type browser struct {
	ctx    context.Context
	conn   *websocket.Conn
	id     int
	events []cdpMessage
}

type cdpMessage struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

var devtoolsURL = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

func launch(ctx context.Context, t *testing.T, bin string) *browser {
	t.Helper()
	profile, err := os.MkdirTemp("", "sim-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--no-first-run", "--no-default-browser-check",
		"--window-size=1280,800", "--remote-debugging-port=0", "--user-data-dir="+profile, "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers too end with it
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = os.RemoveAll(profile) // best effort: a helper may still be exiting
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsURL.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var ws string
	select {
	case ws = <-found:
	case <-ctx.Done():
		t.Fatal("chromium did not start its DevTools server")
	}
	// The browser endpoint lists the pages; drive the first one.
	host := strings.TrimPrefix(strings.SplitN(ws, "/devtools/", 2)[0], "ws://")
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+host+"/json/list", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var targets []struct{ Type, WebSocketDebuggerURL string }
	if err := json.NewDecoder(res.Body).Decode(&targets); err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			conn, _, err := websocket.Dial(ctx, tg.WebSocketDebuggerURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			conn.SetReadLimit(64 << 20) // screenshots
			t.Cleanup(func() { conn.CloseNow() })
			return &browser{ctx: ctx, conn: conn}
		}
	}
	t.Fatal("chromium has no page")
	return nil
}

// read returns the next message from the page; events are kept for
// waitEvent and problems.
func (b *browser) read(t *testing.T) cdpMessage {
	t.Helper()
	_, data, err := b.conn.Read(b.ctx)
	if err != nil {
		t.Fatalf("devtools: %v", err)
	}
	var m cdpMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("devtools: %v", err)
	}
	if m.Method != "" {
		b.events = append(b.events, m)
	}
	return m
}

func (b *browser) call(t *testing.T, method string, params, result any) {
	t.Helper()
	b.id++
	msg, err := json.Marshal(map[string]any{"id": b.id, "method": method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.conn.Write(b.ctx, websocket.MessageText, msg); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	for {
		m := b.read(t)
		if m.ID != b.id {
			continue
		}
		if m.Error != nil {
			t.Fatalf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				t.Fatalf("%s: %v", method, err)
			}
		}
		return
	}
}

func (b *browser) waitEvent(t *testing.T, method string) {
	t.Helper()
	for {
		for i, ev := range b.events {
			if ev.Method == method {
				b.events = append(b.events[:i], b.events[i+1:]...)
				return
			}
		}
		b.read(t)
	}
}

func (b *browser) navigate(t *testing.T, url string) {
	t.Helper()
	b.load(t, "Page.navigate", map[string]any{"url": url})
}

func (b *browser) reload(t *testing.T) {
	t.Helper()
	b.load(t, "Page.reload", map[string]any{"ignoreCache": true})
}

// load calls method and waits for the page it loads, not an earlier one.
func (b *browser) load(t *testing.T, method string, params map[string]any) {
	t.Helper()
	b.events = slices.DeleteFunc(b.events, func(e cdpMessage) bool { return e.Method == "Page.loadEventFired" })
	b.call(t, method, params, nil)
	b.waitEvent(t, "Page.loadEventFired")
}

type evalResult struct {
	Result struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"result"`
	ExceptionDetails *struct {
		Text      string `json:"text"`
		Exception struct {
			Description string `json:"description"`
		} `json:"exception"`
	} `json:"exceptionDetails"`
}

// setFiles gives the file input at sel the files at paths, as its picker
// would (the page hears "change").
func (b *browser) setFiles(t *testing.T, sel string, paths ...string) {
	t.Helper()
	var doc struct {
		Root struct {
			NodeID int `json:"nodeId"`
		} `json:"root"`
	}
	b.call(t, "DOM.getDocument", map[string]any{}, &doc)
	var node struct {
		NodeID int `json:"nodeId"`
	}
	b.call(t, "DOM.querySelector", map[string]any{"nodeId": doc.Root.NodeID, "selector": sel}, &node)
	abs := make([]string, len(paths))
	for i, p := range paths {
		var err error
		if abs[i], err = filepath.Abs(p); err != nil {
			t.Fatal(err)
		}
	}
	b.call(t, "DOM.setFileInputFiles", map[string]any{"nodeId": node.NodeID, "files": abs}, nil)
}

func (b *browser) eval(t *testing.T, expr string) json.RawMessage {
	t.Helper()
	var r evalResult
	b.call(t, "Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}, &r)
	if r.ExceptionDetails != nil {
		t.Fatalf("%s: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	return r.Result.Value
}

func (b *browser) evalString(t *testing.T, expr string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(b.eval(t, expr), &s); err != nil {
		t.Fatalf("%s: not a string: %v", expr, err)
	}
	return s
}

// waitText waits, in the page, until an element matching sel contains
// text; the page gives up after 10 s.
func (b *browser) waitText(t *testing.T, sel, text string) {
	t.Helper()
	b.waitCount(t, sel, text, 1)
}

// waitCount waits until n elements matching sel contain text.
func (b *browser) waitCount(t *testing.T, sel, text string, n int) {
	t.Helper()
	sj, _ := json.Marshal(sel)
	tj, _ := json.Marshal(text)
	b.eval(t, fmt.Sprintf(`new Promise((resolve, reject) => {
		const find = () => [...document.querySelectorAll(%[1]s)].filter(e => e.textContent.includes(%[2]s)).length >= %[3]d;
		if (find()) return resolve(true);
		const obs = new MutationObserver(() => { if (find()) { obs.disconnect(); clearTimeout(timer); resolve(true); } });
		obs.observe(document.documentElement, {subtree: true, childList: true, characterData: true, attributes: true});
		const timer = setTimeout(() => { obs.disconnect(); reject(new Error('no ' + %[1]s + ' with ' + %[2]s + ' within 10s')); }, 10000);
	})`, sj, tj, n))
}

// typeLine types text in the composer and presses Enter.
func (b *browser) typeLine(t *testing.T, text string) {
	t.Helper()
	b.eval(t, `document.querySelector('#text').focus()`)
	b.call(t, "Input.insertText", map[string]any{"text": text}, nil)
	key := map[string]any{"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
	key["type"] = "rawKeyDown"
	b.call(t, "Input.dispatchKeyEvent", key, nil)
	key["type"] = "keyUp"
	b.call(t, "Input.dispatchKeyEvent", key, nil)
}

// problems lists the page's uncaught exceptions and console errors (a
// Content-Security-Policy violation is one).
func (b *browser) problems() []string {
	var out []string
	for _, ev := range b.events {
		switch ev.Method {
		case "Runtime.exceptionThrown":
			out = append(out, string(ev.Params))
		case "Log.entryAdded":
			var p struct {
				Entry struct{ Level, Text, URL string }
			}
			if json.Unmarshal(ev.Params, &p) == nil && p.Entry.Level == "error" {
				out = append(out, p.Entry.Text+" "+p.Entry.URL)
			}
		case "Runtime.consoleAPICalled":
			var p struct{ Type string }
			if json.Unmarshal(ev.Params, &p) == nil && p.Type == "error" {
				out = append(out, string(ev.Params))
			}
		}
	}
	return out
}

// TestPageOnAPhone: the /sim page on a phone's screen (390 by 844, touch)
// is WhatsApp's app: the chats, then one chat on the whole screen with a
// back arrow; nothing wider than the screen, every control in reach.
func TestPageOnAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin := chromium(t)
	e := &simEnv{db: testStore(t)}
	e.start(t, testFlow(t), bot.SystemClock{}, true)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := launch(ctx, t, bin)
	b.call(t, "Page.enable", nil, nil)
	b.call(t, "Runtime.enable", nil, nil)
	b.call(t, "Log.enable", nil, nil)
	b.call(t, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil)
	b.call(t, "Emulation.setTouchEmulationEnabled", map[string]any{"enabled": true, "maxTouchPoints": 5}, nil)

	b.navigate(t, e.srv.URL+"/sim/")
	b.waitText(t, ".chat-list-empty", "Nenhuma conversa ainda")
	b.layout(t, "no chats yet", "#new-chat", ".chat-list-empty .btn")
	b.eval(t, `document.querySelector('#new-chat').click()`)
	b.eval(t, `(() => {
		document.querySelector('#new-phone').value = '55 47 99999-0001';
		document.querySelector('#new-name').value = 'Maria Silva';
		document.querySelector('#new-form').requestSubmit();
	})()`)
	b.waitText(t, "#as-name", "Maria Silva")
	b.layout(t, "a new chat", "#back", "#text", "#send", "#attach")

	b.eval(t, `(() => { const ta = document.querySelector('#text'); ta.value = 'oi'; ta.dispatchEvent(new Event('input')); document.querySelector('#send').click(); })()`)
	b.waitText(t, ".row.in .bubble", "ID Suporte")
	b.eval(t, `(() => { const ta = document.querySelector('#text'); ta.value = '12345678'; document.querySelector('#send').click(); })()`)
	b.waitText(t, ".chips .chip", "Acesso e senha")
	b.layout(t, "the menu", "#back", "#text", "#send", ".chips .chip")
	// The menu's bubble uses most of the screen, not a word per line.
	var share float64
	if err := json.Unmarshal(b.eval(t, `Math.max(...[...document.querySelectorAll('.row.in .bubble')].map((x) => x.getBoundingClientRect().width)) / innerWidth`), &share); err != nil {
		t.Fatal(err)
	}
	if share < 0.6 {
		t.Errorf("the widest bot bubble is %.0f%% of the screen; want at least 60%%", share*100)
	}
	b.screenshot(t, "SIM_PHONE_SCREENSHOT")

	b.eval(t, `document.querySelector('#back').click()`)
	b.waitText(t, ".chat-item .chat-name", "Maria Silva")
	b.layout(t, "back to the chats", "#new-chat", ".chat-item")
	for _, msg := range b.problems() {
		t.Errorf("page error: %s", msg)
	}
}

// layout checks the page as a phone shows it: nothing wider than the
// screen, and each selector's element visible, inside the screen and
// the one a tap at its middle reaches.
func (b *browser) layout(t *testing.T, where string, selectors ...string) {
	t.Helper()
	sels, _ := json.Marshal(selectors)
	var problems []string
	raw := b.eval(t, `((sels) => {
		const out = [];
		const W = window.innerWidth, H = window.innerHeight;
		if (document.documentElement.scrollWidth > W) out.push('the page is ' + document.documentElement.scrollWidth + ' px wide on a ' + W + ' px screen');
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
	})(`+string(sels)+`)`)
	if err := json.Unmarshal(raw, &problems); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", where, p)
	}
}

// screenshot saves the page to the file the environment variable names,
// if it is set.
func (b *browser) screenshot(t *testing.T, env string) {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		return
	}
	var shot struct{ Data string }
	b.call(t, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		t.Error(err)
	}
}
