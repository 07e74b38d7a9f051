package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // uploaded images must decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/flows"
	"suporte/store"
)

// Files in the console: each transcript line that carries a file lists
// it (mediaJSON); GET /api/media/{id} serves it to agents who may see a
// ticket showing it; POST /api/tickets/{id}/messages with a multipart
// body sends one.

// mediaJSON is a message's file, place or contact card.
type mediaJSON struct {
	ID       int64    `json:"id"`
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	MIME     string   `json:"mime"`  // what the bytes are (sniffed); what the sender declared until they land
	Bytes    int64    `json:"bytes"` // as declared until the file lands
	URL      string   `json:"url,omitempty"`
	State    string   `json:"state"`             // pending, stored, failed
	Problem  string   `json:"problem,omitempty"` // why it failed, or what is odd about it
	Inline   bool     `json:"inline"`            // the page may show it (image, player)
	Voice    bool     `json:"voice,omitempty"`
	Duration int64    `json:"duration_seconds,omitempty"`
	Lat      *float64 `json:"lat,omitempty"`
	Lng      *float64 `json:"lng,omitempty"`
}

func mediaOut(m store.Media) *mediaJSON {
	out := &mediaJSON{ID: m.ID, Kind: m.Kind, Name: m.Name, MIME: m.ContentType, Bytes: m.Bytes, State: m.State,
		Problem: m.Problem, Voice: m.Voice, Duration: int64(m.Duration.Seconds())}
	if out.MIME == "" {
		out.MIME = m.MIME
	}
	if m.State == store.MediaStored && m.SHA256 != "" {
		out.URL = "/api/media/" + strconv.FormatInt(m.ID, 10)
		out.Inline = flows.Inline(m.ContentType) && !strings.HasPrefix(m.Problem, "imagem corrompida")
	}
	if m.Kind == bot.KindLocation && (m.LatE6 != 0 || m.LngE6 != 0) {
		lat, lng := float64(m.LatE6)/1e6, float64(m.LngE6)/1e6
		out.Lat, out.Lng = &lat, &lng
	}
	return out
}

// handleMedia serves GET /api/media/{id}: the file, to an agent who may
// see a ticket it is shown on (the flows' attachments: to every agent).
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := web.ID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "Arquivo não encontrado.")
		return
	}
	sess := current(r)
	ctx := r.Context()
	var m store.Media
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if m, err = tx.Media(ctx, id); err != nil {
			return err
		}
		if m.Chat == "" {
			return nil
		}
		tickets, err := tx.MediaTickets(ctx, id)
		if err != nil {
			return err
		}
		mine, err := tx.TicketsByAgent(ctx, sess.bot().ID)
		if err != nil {
			return err
		}
		for _, tid := range tickets {
			t, err := tx.Ticket(ctx, tid)
			if err != nil {
				return err
			}
			if visible(sess, t, mine) {
				return nil
			}
		}
		return fail(http.StatusForbidden, "Este arquivo é de um chamado que está com outro Encantador.")
	})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "Arquivo não encontrado.")
		return
	}
	if err != nil {
		s.respond(w, r, err)
		return
	}
	switch {
	case m.State == store.MediaPending:
		writeError(w, http.StatusConflict, "O arquivo ainda está chegando. Tente de novo em instantes.")
		return
	case m.State == store.MediaFailed:
		writeError(w, http.StatusGone, "Não foi possível baixar este arquivo: "+m.Problem+".")
		return
	case m.SHA256 == "" || s.cfg.Files == nil:
		writeError(w, http.StatusNotFound, "Esta mensagem não tem arquivo.")
		return
	}
	f, err := s.cfg.Files.Open(r.Context(), m.SHA256)
	if err != nil {
		s.log.Error().Err(err).Int64("media", id).Msg("stored file missing")
		writeError(w, http.StatusNotFound, "Arquivo não encontrado no servidor.")
		return
	}
	defer f.Close()
	ct := m.ContentType
	if strings.HasPrefix(m.Problem, "imagem corrompida") {
		ct = flows.TypeUnknown // offered as a download, never decoded in the page
	}
	web.ServeMedia(w, r, f, m.Name, ct, r.URL.Query().Get("download") == "1")
}

// uploadSlack is what a multipart body may carry beyond its file: the
// caption and the parts' headers.
const uploadSlack = 64 << 10

// sendFile answers a multipart POST /api/tickets/{id}/messages: fields
// text (the caption) and file. The ticket is checked before the body is
// read; the file is streamed into the media folder, judged by its bytes
// (type, size for its kind, an image that decodes) and sent.
func (s *Server) sendFile(w http.ResponseWriter, r *http.Request) {
	id, err := ticketID(r)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	sess := current(r)
	ctx := r.Context()
	t, err := s.held(ctx, sess, id, false)
	if err == nil {
		err = s.receiveFile(ctx, w, r, sess, t)
	}
	if err != nil {
		s.log.Debug().Err(err).Str("action", "file").Int64("ticket", id).Int64("agent", sess.agent.ID).Msg("ticket action refused")
		s.respond(w, r, err)
		return
	}
	s.log.Info().Str("action", "file").Int64("ticket", id).Int64("agent", sess.agent.ID).Msg("ticket action")
	writeJSON(w, http.StatusOK, actionResult{OK: true, Ticket: id})
}

func (s *Server) receiveFile(ctx context.Context, w http.ResponseWriter, r *http.Request, sess session, t store.Ticket) error {
	if s.cfg.Files == nil {
		return fail(http.StatusServiceUnavailable, "Este servidor não guarda arquivos.")
	}
	fl := s.cfg.Flow()
	limit := max(fl.MaxFor(flows.FileDocument), fl.MaxFor(flows.FileImage))
	web.LimitBody(w, r, limit+uploadSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return fail(http.StatusBadRequest, "Envie o arquivo como multipart/form-data, no campo \"file\".")
	}
	var caption string
	var up *bot.Upload
	defer func() {
		if up == nil && r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return tooBigOr(err, fl, limit, "Formulário inválido.")
		}
		switch part.FormName() {
		case "text":
			b, err := io.ReadAll(io.LimitReader(part, maxText*4+1))
			if err != nil {
				return tooBigOr(err, fl, limit, "Formulário inválido.")
			}
			// Bytes that are no UTF-8 read as U+FFFD, as in a JSON body.
			caption = strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
			if utf8.RuneCountInString(caption) > maxText {
				return fail(http.StatusBadRequest, "Legenda longa demais: o máximo é "+strconv.Itoa(maxText)+" caracteres.")
			}
		case "file":
			if up != nil {
				return fail(http.StatusBadRequest, "Envie um arquivo por mensagem.")
			}
			if up, err = s.keepUpload(ctx, fl, part, limit); err != nil {
				return err
			}
		default:
			return fail(http.StatusBadRequest, fmt.Sprintf("Campo desconhecido %q: use text e file.", part.FormName()))
		}
	}
	if up == nil {
		return fail(http.StatusBadRequest, "Escolha um arquivo para enviar.")
	}
	return s.cfg.Runtime.SendFile(ctx, sess.bot(), t.ID, *up, caption)
}

// keepUpload streams an uploaded file into the media folder and checks it.
func (s *Server) keepUpload(ctx context.Context, fl *flows.Flow, part io.Reader, limit int64) (*bot.Upload, error) {
	files := s.cfg.Files
	tmp, err := files.Temp()
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(tmp, io.LimitReader(part, limit+1))
	if err != nil {
		files.Discard(tmp)
		return nil, tooBigOr(err, fl, limit, "O envio do arquivo foi interrompido. Tente de novo.")
	}
	head := make([]byte, markupHead)
	h, _ := tmp.ReadAt(head, 0)
	head = head[:h]
	ct := flows.Sniff(head)
	kind := flows.KindOf(ct)
	name := ""
	if p, ok := part.(interface{ FileName() string }); ok {
		name = p.FileName()
	}
	var problem error
	switch {
	case n == 0:
		problem = fail(http.StatusBadRequest, "O arquivo está vazio.")
	case markup(name, head):
		problem = fail(http.StatusUnsupportedMediaType, "Tipo de arquivo não suportado: páginas da web, SVG e scripts não vão para clientes. Envie imagem, áudio, vídeo, PDF, documento do Office ou texto.")
	case n > limit || n > fl.MaxFor(kind):
		problem = fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("Arquivo grande demais: para %s o máximo é %s.", kindPT[kind], flows.FormatSize(fl.MaxFor(kind))))
	case !flows.Sendable(ct):
		problem = fail(http.StatusUnsupportedMediaType, "Tipo de arquivo não suportado ("+flows.BaseType(ct)+"): envie imagem, áudio, vídeo, PDF, documento do Office ou texto.")
	case strings.HasPrefix(ct, "image/") && ct != "image/webp" && !decodes(tmp):
		problem = fail(http.StatusBadRequest, "A imagem está corrompida: não foi possível abri-la.")
	}
	if problem != nil {
		files.Discard(tmp)
		return nil, problem
	}
	sum, size, err := files.Commit(ctx, tmp)
	if err != nil {
		return nil, err
	}
	return &bot.Upload{Kind: kind, Name: flows.CleanName(name, "arquivo"+flows.Extension(ct)), Type: ct, Bytes: size,
		SHA256: sum, Voice: flows.BaseType(ct) == "audio/ogg"}, nil
}

// markupHead is how much of a file markup reads: its start, where a page
// or an SVG says what it is.
const markupHead = 4096

// markupExts are the names of files a browser or a phone opens as a page
// or runs: what a customer would get as one, whatever it holds.
var markupExts = []string{".htm", ".html", ".xhtml", ".xht", ".shtml", ".mht", ".mhtml", ".svg", ".svgz",
	".xml", ".xsl", ".xslt", ".js", ".mjs", ".hta"}

// markupTags mark the markup a browser would run, in a file it may sniff
// as text (http.DetectContentType calls an SVG text/plain).
var markupTags = []string{"<svg", "<html", "<!doctype", "<?xml", "<script", "<body", "<iframe", "<object", "<embed", "xmlns"}

// markup reports whether a file named name that starts with head is a web
// page, an SVG, XML or a script, by its name or by its bytes: the
// declared type is never believed, and a sniffed text/plain may be one.
func markup(name string, head []byte) bool {
	if slices.Contains(markupExts, strings.ToLower(path.Ext(strings.TrimSpace(name)))) {
		return true
	}
	switch flows.BaseType(flows.Sniff(head)) {
	case "text/html", "text/xml", "application/xml", "image/svg+xml":
		return true
	case "text/plain":
	default:
		return false
	}
	// Text that opens with a tag (after a byte-order mark and blanks) and
	// holds one a browser acts on.
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n\f")
	if len(t) == 0 || t[0] != '<' {
		return false
	}
	t = bytes.ToLower(t)
	return slices.ContainsFunc(markupTags, func(tag string) bool { return bytes.Contains(t, []byte(tag)) })
}

var kindPT = map[string]string{
	flows.FileImage: "imagens", flows.FileAudio: "áudios", flows.FileVideo: "vídeos", flows.FileDocument: "documentos", flows.FileSticker: "figurinhas",
}

// decodes reports whether an image's header decodes.
func decodes(f *os.File) bool {
	_, _, err := image.DecodeConfig(io.NewSectionReader(f, 0, 1<<20))
	return err == nil
}

// tooBigOr turns a body over its cap into a 413, anything else into msg.
func tooBigOr(err error, fl *flows.Flow, limit int64, msg string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return fail(http.StatusRequestEntityTooLarge, "Arquivo grande demais: o máximo é "+flows.FormatSize(limit)+".")
	}
	return fail(http.StatusBadRequest, msg)
}

// isMultipart reports a multipart body.
func isMultipart(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

// sendAttachment sends a quick reply's attachment with the text.
func (s *Server) sendAttachment(ctx context.Context, sess session, t store.Ticket, m *messageRequest) error {
	if m.Internal {
		return fail(http.StatusBadRequest, "Notas internas não levam arquivo.")
	}
	fl := s.cfg.Flow()
	listed := false
	for _, q := range fl.File.Quick {
		listed = listed || strings.TrimSpace(q.Attachment.Value) == strings.TrimSpace(m.Attachment)
	}
	a, ok := fl.Attachment(m.Attachment)
	if !listed || !ok {
		return fail(http.StatusBadRequest, "Este anexo não está nas respostas prontas do flows.yaml.")
	}
	text := strings.TrimSpace(m.Text)
	if utf8.RuneCountInString(text) > maxText {
		return fail(http.StatusBadRequest, "Mensagem longa demais: o máximo é "+strconv.Itoa(maxText)+" caracteres.")
	}
	return s.cfg.Runtime.SendFile(ctx, sess.bot(), t.ID, bot.Upload{Kind: a.Kind, Name: a.Name, Type: a.Type, Bytes: a.Bytes,
		SHA256: a.SHA256, Voice: flows.BaseType(a.Type) == "audio/ogg", Library: true}, text)
}
