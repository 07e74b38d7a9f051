package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"suporte/bot"
	"suporte/store"
)

// pngFile is a small real PNG.
var pngFile = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

// postFile sends a file as a simulated customer: fields, then the file
// part with name and declared type.
func (e *simEnv) postFile(t *testing.T, fields map[string]string, name, declared string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	h := textproto.MIMEHeader{}
	// RFC 2231 carries any character, control ones included, as a
	// hostile client may send them.
	h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''`+url.PathEscape(name))
	h.Set("Content-Type", declared)
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/sim/api/messages", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// mediaOf returns the media of chat's customer message id.
func (e *simEnv) mediaOf(t *testing.T, chat, id string) store.Media {
	t.Helper()
	var m store.Media
	err := e.db.View(context.Background(), func(tx *store.Tx) error {
		ins, err := tx.InboxByChat(context.Background(), "", chat, 0)
		if err != nil {
			return err
		}
		for _, in := range ins {
			if in.MsgID == id {
				m, err = tx.MediaByInbox(context.Background(), in.ID)
				return err
			}
		}
		return store.ErrNotFound
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSimCustomerSendsFiles(t *testing.T) {
	e := newSimEnv(t)
	e.say(t, chatA, "oi", 1)
	e.say(t, chatA, "12345678", 2)
	e.say(t, chatA, "atendente", 1)

	// An image: kept by the phone, acked, then fetched by the downloader.
	code, b := e.postFile(t, map[string]string{"chat": chatA, "text": "o erro", "id": "img1"}, "print.png", "image/png", pngFile)
	if code != http.StatusAccepted {
		t.Fatalf("post image: %d %s", code, b)
	}
	if m := e.mediaOf(t, chatA, "img1"); m.State != store.MediaPending || m.Kind != bot.KindImage || m.Name != "print.png" {
		t.Fatalf("image on arrival %+v; want pending", m)
	}
	e.wait(t, chatA, 1) // the acknowledgement; the drain fetched the file
	m := e.mediaOf(t, chatA, "img1")
	if m.State != store.MediaStored || m.ContentType != "image/png" || m.Problem != "" || !has(t, e.files, m.SHA256) {
		t.Fatalf("image after the drain %+v; want stored", m)
	}

	// Bad files: each a clear answer, nothing stored outside the folders.
	for _, c := range []struct {
		name     string
		fields   map[string]string
		file     string
		declared string
		data     []byte
		code     int
		want     string
	}{
		{"empty", map[string]string{"chat": chatA}, "vazio.pdf", "application/pdf", nil, 400, "O arquivo está vazio."},
		{"no chat", map[string]string{}, "a.png", "image/png", pngFile, 400, `Informe o campo \"chat\"`},
		{"text kind", map[string]string{"chat": chatA, "kind": "text"}, "a.png", "image/png", pngFile, 400, "não leva arquivo"},
		{"unknown field", map[string]string{"chat": chatA, "x": "1"}, "a.png", "image/png", pngFile, 400, "Campo desconhecido"},
	} {
		code, b := e.postFile(t, c.fields, c.file, c.declared, c.data)
		if code != c.code || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.name, code, b, c.code, c.want)
		}
	}

	// A hostile name and a lying type: kept, cleaned, served as a download.
	hostile := "../../" + strings.Repeat("x", 300) + "\x01\u202e.png"
	html := []byte("<!DOCTYPE html><html><script>document.title='pwned'</script></html>")
	code, b = e.postFile(t, map[string]string{"chat": chatA, "id": "evil", "kind": "image"}, hostile, "image/png", html)
	if code != http.StatusAccepted {
		t.Fatalf("post html as image: %d %s", code, b)
	}
	e.drain(t)
	m = e.mediaOf(t, chatA, "evil")
	if m.State != store.MediaStored || !strings.HasPrefix(m.ContentType, "text/html") || !strings.Contains(m.Problem, "não é uma imagem") ||
		strings.ContainsAny(m.Name, "/\x01\u202e") || len([]rune(m.Name)) > 120 {
		t.Fatalf("html sent as an image %+v; want stored as html, flagged, its name cleaned", m)
	}
	code, hd, body := e.do(t, "GET", fileURL(chatA, "id", "evil"), "")
	if code != 200 || hd.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(hd.Get("Content-Disposition"), "attachment") ||
		hd.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(hd.Get("Content-Security-Policy"), "sandbox") || !bytes.Equal(body, html) {
		t.Errorf("html file served %d %v; want an octet-stream download, nosniff, sandboxed", code, hd)
	}
	code, hd, body = e.do(t, "GET", fileURL(chatA, "id", "img1"), "")
	if code != 200 || hd.Get("Content-Type") != "image/png" || !strings.HasPrefix(hd.Get("Content-Disposition"), "inline") || !bytes.Equal(body, pngFile) {
		t.Errorf("image served %d %v; want an inline PNG", code, hd)
	}
	if code, _, _ := e.do(t, "GET", fileURL(chatA, "id", "nada"), ""); code != 404 {
		t.Errorf("unknown file: %d; want 404", code)
	}
	// Nothing was written outside the phone's and the service's folders.
	var stray []string
	filepath.WalkDir(e.dir, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(e.dir, p)
		if !d.IsDir() && !strings.HasPrefix(rel, "uploads/") && !strings.HasPrefix(rel, "media/") {
			stray = append(stray, rel)
		}
		return nil
	})
	if len(stray) > 0 {
		t.Errorf("files outside uploads/ and media/: %v", stray)
	}
	// The customer's page shows the files.
	hist := e.list(t, "/sim/api/history?chat="+chatA)
	var shown int
	for _, h := range hist {
		if h.File != nil && h.From == FromCustomer {
			shown++
		}
	}
	if shown != 2 {
		b, _ := json.Marshal(hist)
		t.Errorf("history shows %d customer files; want 2: %s", shown, b)
	}
}

// has reports whether files holds sum.
func has(tb testing.TB, files *store.Files, sum string) bool {
	tb.Helper()
	ok, err := files.Has(context.Background(), sum)
	if err != nil {
		tb.Fatal(err)
	}
	return ok
}
