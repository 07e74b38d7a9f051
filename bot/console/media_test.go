package console

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
	"suporte/store/pgtemp"
)

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

// sendMedia has chat send a file message whose bytes the transport holds.
func (e *env) sendMedia(chat, kind, id string, data []byte) {
	e.t.Helper()
	e.tr.mu.Lock()
	e.tr.media[id] = data
	e.tr.mu.Unlock()
	in := bot.Inbound{Chat: chat, ID: id, Kind: kind, At: e.clock.Now(), Media: &bot.Media{Name: id, Bytes: int64(len(data)), Ref: []byte(id)}}
	if _, err := e.rt.Receive(e.ctx, in); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
}

type mediaDetail struct {
	Messages []struct {
		From  string     `json:"from"`
		Text  string     `json:"text"`
		Media *mediaJSON `json:"media"`
	} `json:"messages"`
}

// files lists the media of ticket id's transcript, as the API shows them.
func (e *env) ticketFiles(token string, id int64) []*mediaJSON {
	e.t.Helper()
	var d mediaDetail
	e.must(200, req{method: "GET", path: fmt.Sprint("/api/tickets/", id), token: token}).json(e.t, &d)
	var out []*mediaJSON
	for _, m := range d.Messages {
		if m.Media != nil {
			out = append(out, m.Media)
		}
	}
	return out
}

// upload posts a multipart file to ticket id.
func (e *env) upload(token string, id int64, caption, name string, data []byte) resp {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("text", caption)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''`+url.PathEscape(name))
	h.Set("Content-Type", "application/octet-stream")
	w, _ := mw.CreatePart(h)
	w.Write(data)
	mw.Close()
	return e.call(req{method: "POST", path: fmt.Sprint("/api/tickets/", id, "/messages"), token: token, body: body.Bytes(),
		header: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

func TestConsoleMedia(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@x.com", "Ana", "agent", 5)
	e.agent("bruno@x.com", "Bruno", "agent", 5)
	ana, bruno := e.login("ana@x.com"), e.login("bruno@x.com")
	tk := e.queue(t, "5547999990001")
	e.must(200, req{method: "POST", path: fmt.Sprint("/api/tickets/", tk.ID, "/claim"), token: ana})

	html := []byte("<!DOCTYPE html><script>fetch('/api/me')</script>")
	e.sendMedia("5547999990001", bot.KindImage, "print", pngBytes)
	e.sendMedia("5547999990001", bot.KindImage, "evil", html)
	fs := e.ticketFiles(ana, tk.ID)
	if len(fs) != 2 || fs[0].State != store.MediaStored || !fs[0].Inline || fs[0].MIME != "image/png" || fs[0].URL == "" ||
		fs[1].Inline || !strings.Contains(fs[1].Problem, "não é uma imagem") {
		t.Fatalf("transcript media %+v %+v; want the PNG inline and the HTML flagged, not inline", fs[0], fs[1])
	}

	r := e.must(200, req{method: "GET", path: fs[0].URL, token: ana})
	if r.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "inline") ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") || !bytes.Equal(r.body, pngBytes) {
		t.Errorf("image served with %v", r.header)
	}
	r = e.must(200, req{method: "GET", path: fs[1].URL, token: ana})
	if r.header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("HTML sent as an image served with %v; want an octet-stream download", r.header)
	}
	// Only agents who may see the ticket.
	if r := e.get(bruno, fs[0].URL); r.code != http.StatusForbidden {
		t.Errorf("another agent's file: %d; want 403", r.code)
	}
	if r := e.get("", fs[0].URL); r.code != http.StatusUnauthorized {
		t.Errorf("no login: %d; want 401", r.code)
	}
	if r := e.get(ana, "/api/media/999"); r.code != http.StatusNotFound {
		t.Errorf("unknown file: %d; want 404", r.code)
	}

	// Ana sends a PDF with a caption; the customer's phone gets it.
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 3000)...)
	r = e.upload(ana, tk.ID, "o guia da nota", "../../"+strings.Repeat("g", 300)+"\x01.pdf", pdf)
	if r.code != 200 {
		t.Fatalf("upload: %d %s", r.code, r.body)
	}
	e.drain()
	e.tr.mu.Lock()
	sent := e.tr.files["5547999990001"]
	texts := e.tr.sent["5547999990001"]
	e.tr.mu.Unlock()
	if len(sent) != 1 || sent[0].Kind != bot.KindDocument || sent[0].Type != "application/pdf" || strings.ContainsAny(sent[0].Name, "/\x01") ||
		len([]rune(sent[0].Name)) > 120 || !strings.HasSuffix(sent[0].Name, ".pdf") || texts[len(texts)-1] != "*Ana*\no guia da nota" {
		t.Fatalf("sent %+v with %q; want the PDF, its name cleaned, the caption signed", sent, texts[len(texts)-1])
	}
	fs = e.ticketFiles(ana, tk.ID)
	if last := fs[len(fs)-1]; last.Kind != bot.KindDocument || last.Bytes != int64(len(pdf)) {
		t.Errorf("the agent's file in the transcript: %+v", last)
	}

	// A caption with bytes that are no UTF-8 goes, those bytes read as
	// U+FFFD, as in a JSON body (it was refused as "too long").
	r = e.upload(ana, tk.ID, "legenda \xff\xfe ok", "b.pdf", pdf)
	if r.code != 200 {
		t.Fatalf("upload with a caption not UTF-8: %d %s", r.code, r.body)
	}
	e.drain()
	e.tr.mu.Lock()
	texts = e.tr.sent["5547999990001"]
	e.tr.mu.Unlock()
	if got := texts[len(texts)-1]; got != "*Ana*\nlegenda \uFFFD ok" {
		t.Errorf("caption not UTF-8 sent as %q", got)
	}

	// Bad uploads: each a clear answer, nothing kept.
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	corrupt := append(append([]byte{}, pngBytes[:20]...), bytes.Repeat([]byte{0}, 40)...)
	for _, c := range []struct {
		name  string
		token string
		file  string
		data  []byte
		code  int
		want  string
	}{
		{"empty", ana, "vazio.pdf", nil, 400, "vazio"},
		{"svg", ana, "logo.svg", svg, 415, "não suportado"},
		{"html", ana, "pagina.html", html, 415, "não suportado"},
		{"corrupt image", ana, "quebrada.png", corrupt, 400, "corrompida"},
		{"another agent's ticket", bruno, "a.pdf", pdf, 403, "outro Encantador"},
	} {
		r := e.upload(c.token, tk.ID, "", c.file, c.data)
		if r.code != c.code || !strings.Contains(r.errMsg(t), c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.name, r.code, r.body, c.code, c.want)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(e.backend.files.Dir(), "tmp")); len(left) != 0 {
		t.Errorf("refused uploads left %v in tmp", left)
	}
}

func TestConsoleUploadCaps(t *testing.T) {
	e := newEnv(t)
	src, err := os.ReadFile(flowsFixture)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := flows.Parse(strings.NewReader(strings.Replace(string(src), "  flood_per: 1m\n",
		"  flood_per: 1m\n  media:\n    max_media: 1KB\n    max_file: 4KB\n    max_customer: 1MB\n", 1)), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.flow = fl
	e.agent("ana@x.com", "Ana", "agent", 5)
	ana := e.login("ana@x.com")
	tk := e.queue(t, "5547999990001")
	e.must(200, req{method: "POST", path: fmt.Sprint("/api/tickets/", tk.ID, "/claim"), token: ana})
	big := append(append([]byte{}, pngBytes...), bytes.Repeat([]byte{0}, 2000)...)
	if r := e.upload(ana, tk.ID, "", "grande.png", big); r.code != 413 || !strings.Contains(r.errMsg(t), "para imagens o máximo é 1 KB") {
		t.Errorf("image over its cap: %d %s", r.code, r.body)
	}
	if r := e.upload(ana, tk.ID, "", "enorme.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 8000)...)); r.code != 413 {
		t.Errorf("file over the body cap: %d %s", r.code, r.body)
	}
	if r := e.upload(ana, tk.ID, "", "ok.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 2000)...)); r.code != 200 {
		t.Errorf("a document within its cap: %d %s", r.code, r.body)
	}
}

func TestQuickReplyAttachment(t *testing.T) {
	e := newEnv(t)
	src, err := os.ReadFile(flowsFixture)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), "quick_replies:\n", "quick_replies:\n  - title: Guia em PDF\n    text: \"Segue o guia 👇\"\n    attachment: guia.pdf\n", 1)
	fl, err := flows.Parse(strings.NewReader(s), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.CheckAttachments(os.DirFS(filepath.Dir(flowsFixture))); err != nil {
		t.Fatal(err)
	}
	e.flow = fl
	e.agent("ana@x.com", "Ana", "agent", 5)
	ana := e.login("ana@x.com")
	var qs []quickReplyJSON
	e.must(200, req{method: "GET", path: "/api/quick-replies", token: ana}).json(t, &qs)
	if len(qs) == 0 || qs[0].Attachment == nil || qs[0].Attachment.Name != "guia.pdf" || qs[0].Attachment.Kind != "document" {
		t.Fatalf("quick replies %+v; want the first with its PDF", qs)
	}
	tk := e.queue(t, "5547999990001")
	e.must(200, req{method: "POST", path: fmt.Sprint("/api/tickets/", tk.ID, "/claim"), token: ana})
	path := fmt.Sprint("/api/tickets/", tk.ID, "/messages")
	e.must(200, req{method: "POST", path: path, token: ana, body: map[string]any{"text": qs[0].Text, "attachment": qs[0].Attachment.Path}})
	e.drain()
	e.tr.mu.Lock()
	sent := e.tr.files["5547999990001"]
	e.tr.mu.Unlock()
	if len(sent) != 1 || sent[0].Name != "guia.pdf" || sent[0].Type != "application/pdf" {
		t.Fatalf("sent files %+v; want the guide", sent)
	}
	for _, bad := range []string{"../flows.yaml", "print.png"} {
		r := e.post(ana, path, map[string]any{"text": "x", "attachment": bad})
		if r.code != 400 || !strings.Contains(r.errMsg(t), "respostas prontas") {
			t.Errorf("attachment %q not in the quick replies: %d %s", bad, r.code, r.body)
		}
	}
}

// TestTranscriptLineIDs: every line of a transcript has an id of its own
// (the bot's lines and the ticket's events are numbered apart), the same
// in every read, so the page can update the transcript in place.
func TestTranscriptLineIDs(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@x.com", "Ana", "agent", 5)
	ana := e.login("ana@x.com")
	tk := e.queue(t, "5547999990001")
	e.must(200, req{method: "POST", path: fmt.Sprint("/api/tickets/", tk.ID, "/claim"), token: ana})
	e.sendMedia("5547999990001", bot.KindImage, "print", pngBytes)
	read := func() []string {
		var d struct{ Messages []struct{ ID, From string } }
		e.must(200, req{method: "GET", path: fmt.Sprint("/api/tickets/", tk.ID), token: ana}).json(t, &d)
		var ids []string
		seen := map[string]bool{}
		froms := map[string]bool{}
		for _, m := range d.Messages {
			if m.ID == "" || seen[m.ID] {
				t.Errorf("line %+v: id empty or seen before in %+v", m, d.Messages)
			}
			seen[m.ID] = true
			froms[m.From] = true
			ids = append(ids, m.ID)
		}
		if !froms["bot"] || !froms["customer"] || !froms["system"] {
			t.Errorf("transcript %+v; want lines of the bot, the customer and the system", d.Messages)
		}
		return ids
	}
	before := read()
	e.say("5547999990001", "Mandei o print")
	after := read()
	if len(after) != len(before)+1 {
		t.Fatalf("after one more message: %v; before %v", after, before)
	}
	for _, id := range before {
		if !slices.Contains(after, id) {
			t.Errorf("line %s is gone after one more message: %v", id, after)
		}
	}
}

// TestMediaAcrossProcesses: two processes on one PostgreSQL database,
// sharing no folder. The image the owner of the line downloaded is served
// by the other's console; the PDF an agent uploads there is sent by the
// owner, as after a failover.
func TestMediaAcrossProcesses(t *testing.T) {
	dsn := pgtemp.Database(t)
	owner := &env{backend: newBackendAt(t, dsn), t: t}
	owner.serve(owner.console(Config{}))
	replica := &env{backend: newBackendAt(t, dsn), t: t}
	replica.serve(replica.console(Config{}))
	replica.rt.Standby() // its agents' work is the owner's to send

	owner.agent("ana@x.com", "Ana", "agent", 5)
	ana := replica.login("ana@x.com")
	tk := owner.queue(t, "5547999990001")
	replica.must(200, req{method: "POST", path: fmt.Sprint("/api/tickets/", tk.ID, "/claim"), token: ana})
	owner.sendMedia("5547999990001", bot.KindImage, "print", pngBytes)
	fs := replica.ticketFiles(ana, tk.ID)
	if len(fs) != 1 || fs[0].State != store.MediaStored {
		t.Fatalf("the replica's transcript media %+v; want the image, stored", fs)
	}
	if r := replica.must(200, req{method: "GET", path: fs[0].URL, token: ana}); !bytes.Equal(r.body, pngBytes) || r.header.Get("Content-Type") != "image/png" {
		t.Errorf("the image from the replica: %d bytes, %s; want the PNG the owner downloaded", len(r.body), r.header.Get("Content-Type"))
	}
	for _, b := range []*backend{owner.backend, replica.backend} {
		if left, _ := filepath.Glob(filepath.Join(b.files.Dir(), "*", "*", "*")); len(left) != 0 {
			t.Errorf("files in a data folder: %v; want them in the database only", left)
		}
	}

	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("y"), 5000)...)
	if r := replica.upload(ana, tk.ID, "o guia", "guia.pdf", pdf); r.code != 200 {
		t.Fatalf("upload on the replica: %d %s", r.code, r.body)
	}
	owner.receive(t, "5547999990001", "obrigado") // the owner serves the chat, whose outbox holds the PDF
	owner.tr.mu.Lock()
	sent := owner.tr.files["5547999990001"]
	owner.tr.mu.Unlock()
	if len(sent) != 1 {
		t.Fatalf("the owner sent %d files; want the PDF uploaded on the replica", len(sent))
	}
	r, err := sent[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, pdf) {
		t.Errorf("the file the owner sent: %d bytes, %v; want the %d uploaded", len(got), err, len(pdf))
	}
}

// TestUploadRefusesMarkup: a web page, an SVG, XML or a script never
// reaches a customer, whatever type the upload declares: not by its name
// (x.svg holding text) nor by its bytes (an SVG named .txt, which
// http.DetectContentType calls text/plain). Plain text that happens to
// open with a "<" still goes.
func TestUploadRefusesMarkup(t *testing.T) {
	e := newEnv(t)
	e.agent("ana@x.com", "Ana", "agent", 5)
	ana := e.login("ana@x.com")
	tk := e.queue(t, "5547999990001")
	e.must(200, req{method: "POST", path: fmt.Sprint("/api/tickets/", tk.ID, "/claim"), token: ana})
	sentFiles := func() int {
		e.tr.mu.Lock()
		defer e.tr.mu.Unlock()
		return len(e.tr.files["5547999990001"])
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	for _, tc := range []struct {
		name, declared string
		data           []byte
		code           int
	}{
		{"x.svg", "image/png", svg, 415},
		{"page.html", "text/html", []byte("<p>oi</p><script>alert(1)</script>"), 415},
		{"PAGE.HTM", "text/plain", []byte("apenas texto"), 415},
		{"arquivo.mht", "application/octet-stream", []byte("MIME-Version: 1.0\r\n"), 415},
		{"app.js", "text/plain", []byte("alert(1)"), 415},
		{"desenho.txt", "text/plain", append([]byte("\xef\xbb\xbf\n  <!-- a drawing -->\n"), svg...), 415},
		{"dados.txt", "text/plain", []byte(`<?xml version="1.0"?><x/>`), 415},
		{"nota.txt", "text/plain", []byte("<HTML><BODY onload=alert(1)>"), 415},
		{"lembrete.txt", "text/plain", []byte("<protocolo 100001> cliente pediu segunda via do boleto"), 200},
		{"notas.txt", "text/plain", []byte("segunda via enviada"), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := sentFiles()
			r := e.uploadAs(ana, tk.ID, tc.name, tc.declared, tc.data)
			if r.code != tc.code {
				t.Fatalf("got %d %s; want %d", r.code, r.body, tc.code)
			}
			e.drain()
			want := 0
			if tc.code == 200 {
				want = 1
			}
			if sent := sentFiles() - before; sent != want {
				t.Errorf("%d files reached the customer; want %d", sent, want)
			}
			if tc.code == 415 && !strings.Contains(r.errMsg(t), "SVG") {
				t.Errorf("error %q; want one naming what is refused", r.errMsg(t))
			}
		})
	}
}

// uploadAs posts a multipart file to ticket id, declared as ctype.
func (e *env) uploadAs(token string, id int64, name, ctype string, data []byte) resp {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''`+url.PathEscape(name))
	h.Set("Content-Type", ctype)
	w, _ := mw.CreatePart(h)
	w.Write(data)
	mw.Close()
	return e.call(req{method: "POST", path: fmt.Sprint("/api/tickets/", id, "/messages"), token: token, body: body.Bytes(),
		header: map[string]string{"Content-Type": mw.FormDataContentType()}})
}
