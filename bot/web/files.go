package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Files serves the files under dir in fsys at mount followed by their
// name, and index.html at mount itself; any other path is a 404. Mount it
// on mount, which ends in a slash.
func Files(fsys fs.FS, dir, mount string) http.Handler {
	return serve(fsys, dir, mount, false)
}

// App is Files for a page that routes itself: a path with no file
// extension that names no file (/atendimento/100001) gets index.html too.
func App(fsys fs.FS, dir, mount string) http.Handler {
	return serve(fsys, dir, mount, true)
}

func serve(fsys fs.FS, dir, mount string, app bool) http.Handler {
	assets := load(fsys, dir, mount)
	index, hasIndex := assets[mount+"index.html"]
	if hasIndex {
		assets[mount] = index
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Método não permitido.", http.StatusMethodNotAllowed)
			return
		}
		a, ok := assets[r.URL.Path]
		if !ok && app && hasIndex && path.Ext(r.URL.Path) == "" {
			a, ok = index, true
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "no-cache") // revalidate: a new binary brings new files
		h.Set("ETag", a.etag)
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Method != http.MethodHead {
			_, _ = w.Write(a.body) // the client went away: nothing left to tell
		}
	})
}

// load reads every file under dir, keyed by the path it is served at.
func load(fsys fs.FS, dir, mount string) map[string]asset {
	assets := map[string]asset{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		assets[mount+strings.TrimPrefix(p, dir+"/")] = asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return assets
}
