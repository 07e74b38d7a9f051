package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var tree = fstest.MapFS{
	"static/index.html": {Data: []byte("<p>página</p>")},
	"static/app.css":    {Data: []byte("p{}")},
	"static/dados.bin":  {Data: []byte{0, 1}},
}

func TestFilesAndApp(t *testing.T) {
	files, app := Files(tree, "static", "/sim/"), App(tree, "static", "/")
	tests := []struct {
		name   string
		h      http.Handler
		method string
		path   string
		code   int
		ctype  string
		body   string
	}{
		{"files: mount is the index", files, "GET", "/sim/", 200, "text/html", "<p>página</p>"},
		{"files: by name", files, "GET", "/sim/app.css", 200, "text/css", "p{}"},
		{"files: unknown type", files, "GET", "/sim/dados.bin", 200, "application/octet-stream", "\x00\x01"},
		{"files: head", files, "HEAD", "/sim/index.html", 200, "text/html", ""},
		{"files: no such file", files, "GET", "/sim/nada.js", 404, "", ""},
		{"files: no page paths", files, "GET", "/sim/outra/pagina", 404, "", ""},
		{"files: post", files, "POST", "/sim/", 405, "", ""},
		{"app: root is the index", app, "GET", "/", 200, "text/html", "<p>página</p>"},
		{"app: page path gets the index", app, "GET", "/atendimento/100001", 200, "text/html", "<p>página</p>"},
		{"app: by name", app, "GET", "/app.css", 200, "text/css", "p{}"},
		{"app: no such file", app, "GET", "/nada.png", 404, "", ""},
		{"app: delete", app, "DELETE", "/app.css", 405, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.code {
				t.Fatalf("got %d; want %d", w.Code, tt.code)
			}
			switch tt.code {
			case 405:
				if got := w.Header().Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow: got %q; want GET, HEAD", got)
				}
				return
			case 404:
				return
			}
			if got := w.Header().Get("Content-Type"); !strings.HasPrefix(got, tt.ctype) {
				t.Errorf("Content-Type: got %q; want %s", got, tt.ctype)
			}
			if got := w.Body.String(); got != tt.body {
				t.Errorf("body: got %q; want %q", got, tt.body)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control: got %q; want no-cache", got)
			}
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Header.Set("If-None-Match", w.Header().Get("ETag"))
			w = httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
				t.Errorf("with its ETag: got %d %q; want 304 and no body", w.Code, w.Body)
			}
		})
	}
}
