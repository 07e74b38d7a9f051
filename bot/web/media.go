package web

import (
	"io"
	"mime"
	"net/http"
	"time"

	"suporte/flows"
)

// ServeMedia writes a stored file, a customer's or one the support side
// sent, so that no browser ever runs anything in it: only media types
// (images, audio, video) are shown inline, anything else (HTML and SVG
// above all) is an application/octet-stream download; the content type
// is the sniffed ct, never what the sender declared; no sniffing by the
// browser; and a sandbox with no sources of its own, for a file opened
// in a tab. download forces a download. Ranges work (audio and video
// seek).
func ServeMedia(w http.ResponseWriter, r *http.Request, f io.ReadSeeker, name, ct string, download bool) {
	hd := w.Header()
	disposition := "attachment"
	if flows.Inline(ct) && !download {
		hd.Set("Content-Type", ct)
		disposition = "inline"
	} else {
		hd.Set("Content-Type", "application/octet-stream")
	}
	name = flows.CleanName(name, "arquivo"+flows.Extension(ct))
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", "private, max-age=86400, immutable")
	http.ServeContent(w, r, "", time.Time{}, f)
}
