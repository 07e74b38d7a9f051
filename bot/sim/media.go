package sim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/flows"
	"suporte/store"
)

// Files on the simulated phone. A customer's file is kept in the
// Phone's uploads folder (its "WhatsApp servers") before the message is
// handed to the runtime, which records it pending and has the downloader
// fetch it back from there (Fetch), as it does from WhatsApp. Files the
// support side sends are read from the service's media folder.

// MaxFile is the largest file a simulated customer may send.
const MaxFile = 100 << 20

// File is a file shown in a bubble.
type File struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Type  string `json:"type"` // sniffed content type
	Bytes int64  `json:"bytes"`
	URL   string `json:"url"`
	Voice bool   `json:"voice,omitempty"`
}

var validToken = regexp.MustCompile(`^[A-Z2-7]{26}$`)

// keep stores an uploaded file in the uploads folder and says what it is:
// the token that names it, its size, hash and sniffed type.
func (p *Phone) keep(r io.Reader) (token string, size int64, sum []byte, ct string, err error) {
	if p.cfg.Uploads == "" {
		return "", 0, nil, "", errors.New("the simulated phone keeps no files (no uploads folder)")
	}
	if err := os.MkdirAll(p.cfg.Uploads, 0o700); err != nil {
		return "", 0, nil, "", err
	}
	token = rand.Text()
	f, err := os.OpenFile(filepath.Join(p.cfg.Uploads, token), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, nil, "", err
	}
	h := sha256.New()
	head := &headWriter{}
	size, err = io.Copy(io.MultiWriter(f, h, head), io.LimitReader(r, MaxFile+1))
	if err == nil && size > MaxFile {
		err = store.ErrTooBig
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, nil, "", err
	}
	return token, size, h.Sum(nil), flows.Sniff(head.b), nil
}

// headWriter keeps the first 512 bytes written, for sniffing.
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if n := 512 - len(h.b); n > 0 {
		h.b = append(h.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// Fetch copies a customer's file from the uploads folder: the runtime's
// downloader, fetching what the simulated customer sent. FetchDelay, if
// set, plays a slow media server.
func (p *Phone) Fetch(ctx context.Context, req bot.FetchRequest, dst bot.MediaFile) error {
	token := string(req.Ref)
	if !validToken.MatchString(token) {
		return fmt.Errorf("%w: bad reference", bot.ErrMediaGone)
	}
	if d := p.cfg.FetchDelay; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	f, err := os.Open(filepath.Join(p.cfg.Uploads, token))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %v", bot.ErrMediaGone, err)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}

// postFile reads a multipart message: fields chat, text (the caption),
// kind, id and name, and the file. The file is kept before the message
// goes to the runtime, so an acknowledged message's file is never lost.
func (h *handler) postFile(w http.ResponseWriter, r *http.Request) (bot.Inbound, int, string) {
	web.LimitBody(w, r, MaxFile+MaxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return bot.Inbound{}, http.StatusBadRequest, "Envie o arquivo como multipart/form-data, no campo \"file\"."
	}
	var b postBody
	var in bot.Inbound
	var got bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return bot.Inbound{}, http.StatusRequestEntityTooLarge, fmt.Sprintf("Arquivo grande demais: o máximo é %s.", flows.FormatSize(MaxFile))
		}
		if err != nil {
			return bot.Inbound{}, http.StatusBadRequest, "Formulário inválido."
		}
		name := part.FormName()
		if name != "file" {
			v, err := io.ReadAll(io.LimitReader(part, MaxBody+1))
			if err != nil || len(v) > MaxBody {
				return bot.Inbound{}, http.StatusRequestEntityTooLarge, fmt.Sprintf("Campo %q grande demais.", name)
			}
			switch name {
			case "chat":
				b.Chat = string(v)
			case "text":
				b.Text = string(v)
			case "kind":
				b.Kind = string(v)
			case "id":
				b.ID = string(v)
			case "name":
				b.Name = string(v)
			default:
				return bot.Inbound{}, http.StatusBadRequest, fmt.Sprintf("Campo desconhecido %q.", name)
			}
			continue
		}
		if got {
			return bot.Inbound{}, http.StatusBadRequest, "Envie um arquivo por mensagem."
		}
		got = true
		token, size, sum, ct, err := h.phone.keep(part)
		switch {
		case errors.Is(err, store.ErrTooBig), errors.As(err, &tooBig):
			return bot.Inbound{}, http.StatusRequestEntityTooLarge, fmt.Sprintf("Arquivo grande demais: o máximo é %s.", flows.FormatSize(MaxFile))
		case err != nil:
			h.phone.cfg.Log.Error().Err(err).Msg("keep simulated upload")
			return bot.Inbound{}, http.StatusInternalServerError, "Erro interno ao guardar o arquivo. Tente de novo."
		case size == 0:
			os.Remove(filepath.Join(h.phone.cfg.Uploads, token))
			return bot.Inbound{}, http.StatusBadRequest, "O arquivo está vazio."
		}
		declared, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		in.Media = &bot.Media{Name: part.FileName(), MIME: declared, Bytes: size, SHA256: sum, Ref: []byte(token),
			Voice: flows.BaseType(ct) == "audio/ogg"}
		if b.Kind == "" {
			b.Kind = kindOf(ct)
		}
	}
	if !got {
		return bot.Inbound{}, http.StatusBadRequest, "Falta o arquivo (campo \"file\")."
	}
	if b.Kind == bot.KindText || !bot.FileKind(b.Kind) {
		return bot.Inbound{}, http.StatusBadRequest, fmt.Sprintf("Tipo %q não leva arquivo: use image, video, audio, sticker ou document.", b.Kind)
	}
	media := in.Media
	in, msg := b.inbound()
	if msg != "" {
		return bot.Inbound{}, http.StatusBadRequest, msg
	}
	in.Media = media
	return in, 0, ""
}

// kindOf is the message kind a customer's phone sends a file as.
func kindOf(ct string) string {
	switch flows.KindOf(ct) {
	case flows.FileImage:
		return bot.KindImage
	case flows.FileAudio:
		return bot.KindAudio
	case flows.FileVideo:
		return bot.KindVideo
	}
	return bot.KindDocument
}

// file answers GET /sim/api/file?chat=ID&seq=N (a support message's file)
// or &id=MSGID (a customer's): the bytes, as a download unless the type
// is one a browser shows without running anything.
func (h *handler) file(w http.ResponseWriter, r *http.Request) {
	chat, ok := chatParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var m store.Media
	var open func() (io.ReadSeekCloser, error)
	err := h.phone.cfg.Store.View(r.Context(), func(tx *store.Tx) error {
		if seq, err := strconv.ParseInt(q.Get("seq"), 10, 64); err == nil {
			outs, err := tx.OutboxAfter(r.Context(), h.phone.cfg.Line, chat, seq-1, 1)
			if err != nil || len(outs) == 0 || outs[0].ID != seq || outs[0].Media == 0 {
				return store.ErrNotFound
			}
			if m, err = tx.Media(r.Context(), outs[0].Media); err != nil {
				return err
			}
			open = func() (io.ReadSeekCloser, error) {
				if h.phone.cfg.Files == nil {
					return nil, os.ErrNotExist
				}
				return h.phone.cfg.Files.Open(r.Context(), m.SHA256)
			}
			return nil
		}
		id := q.Get("id")
		ins, err := tx.InboxByChat(r.Context(), h.phone.cfg.Line, chat, 0)
		if err != nil {
			return err
		}
		for _, in := range ins {
			if in.MsgID == id && id != "" {
				if m, err = tx.MediaByInbox(r.Context(), in.ID); err != nil {
					return err
				}
				token := string(m.Ref)
				if !validToken.MatchString(token) {
					return store.ErrNotFound
				}
				open = func() (io.ReadSeekCloser, error) { return os.Open(filepath.Join(h.phone.cfg.Uploads, token)) }
				return nil
			}
		}
		return store.ErrNotFound
	})
	var f io.ReadSeekCloser
	if err == nil {
		f, err = open()
	}
	if err != nil {
		writeError(w, http.StatusNotFound, "Arquivo não encontrado.")
		return
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		writeError(w, http.StatusInternalServerError, "Não foi possível ler o arquivo.")
		return
	}
	ct := flows.Sniff(head[:n])
	web.ServeMedia(w, r, f, m.Name, ct, r.URL.Query().Get("download") == "1")
}

// fileOf describes a message's file for the page.
func fileOf(m store.Media, url string) *File {
	ct := m.ContentType
	if ct == "" {
		ct = m.MIME
	}
	return &File{Kind: m.Kind, Name: m.Name, Type: ct, Bytes: m.Bytes, URL: url, Voice: m.Voice}
}

func fileURL(chat, key, val string) string {
	return "/sim/api/file?" + url.Values{"chat": {chat}, key: {val}}.Encode()
}
