package sim

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/store"
)

// The simulated WhatsApp's HTTP side, under /sim/:
//
//	GET  /sim/                 the page (static/)
//	POST /sim/api/messages     a customer sends {"chat","text"} or {"chat","kind","text"?}, optional "id" and "name"
//	GET  /sim/api/messages     ?chat=ID[&after=SEQ]: the support messages shown in chat
//	GET  /sim/api/history      ?chat=ID: both sides of chat, oldest first
//	GET  /sim/api/chats        the chats, newest activity first
//	GET  /sim/api/events       server-sent events: message, typing, read
//	POST /sim/api/messages     multipart/form-data: a file (field "file") with chat, text (caption), kind, id, name
//	GET  /sim/api/file         ?chat=ID&seq=N or &id=MSGID: a message's file
//
// Errors are {"error": "..."} in Portuguese. Bad input is a 4xx, never a
// 500: 400 for malformed JSON, unknown fields, a bad chat, id, name or
// kind, and a text over MaxText characters (the body may be small; the
// text is what is wrong); 413 for a body over MaxBody bytes; 405 for a
// wrong method; 403 for a POST a browser says comes from a page of
// another site (scripts, which send no Origin, pass). A POST cut short by
// the demo stopping, or refused because the store cannot take writes
// (disk full, data folder deleted), is a 503: the message was not stored.

// Limits of a customer message. The text limit is WhatsApp's own: the
// runtime keeps the first bot.MaxText characters of a longer one and tells
// the customer, as it does for messages from a real phone. A body holds
// that text even with every character escaped in JSON.
const (
	MaxBody = 1 << 20 // bytes of a request body
	MaxText = 65536   // characters of a text or caption
	maxName = 64      // characters of a push name
)

// receiver takes customer messages: the runtime.
type receiver interface {
	Receive(ctx context.Context, in bot.Inbound) (dup bool, err error)
}

var (
	validChat = regexp.MustCompile(`^[0-9A-Za-z@._+-]{1,64}$`)
	validID   = regexp.MustCompile(`^[0-9A-Za-z@._:+-]{1,128}$`)
	digits    = regexp.MustCompile(`^[0-9]{8,15}$`)
)

// pingEvery keeps idle event streams open through proxies.
const pingEvery = 25 * time.Second

//go:embed static
var staticFiles embed.FS

// Handler serves the simulated WhatsApp at /sim/; customer messages go to
// rt. Mount it on "/sim/".
func (p *Phone) Handler(rt receiver) http.Handler {
	h := &handler{phone: p, rt: rt}
	mux := http.NewServeMux()
	route := func(path string, m map[string]http.HandlerFunc) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			f, ok := m[r.Method]
			if !ok && r.Method == http.MethodHead {
				f, ok = m[http.MethodGet]
			}
			if !ok {
				allow := make([]string, 0, len(m))
				for k := range m {
					allow = append(allow, k)
				}
				slices.Sort(allow)
				w.Header().Set("Allow", strings.Join(allow, ", "))
				writeError(w, http.StatusMethodNotAllowed, "Método não permitido.")
				return
			}
			f(w, r)
		})
	}
	route("/sim/api/messages", map[string]http.HandlerFunc{"GET": h.messages, "POST": h.post})
	route("/sim/api/history", map[string]http.HandlerFunc{"GET": h.history})
	route("/sim/api/chats", map[string]http.HandlerFunc{"GET": h.chats})
	route("/sim/api/events", map[string]http.HandlerFunc{"GET": h.events})
	route("/sim/api/file", map[string]http.HandlerFunc{"GET": h.file})
	mux.HandleFunc("/sim/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Endereço da API desconhecido.")
	})
	mux.Handle("/sim/", web.Files(staticFiles, "static", "/sim/"))
	return secure(mux, p.now)
}

type handler struct {
	phone *Phone
	rt    receiver
}

// secure adds the headers every response carries (the page runs only its
// own files) and the simulated clock to API answers: the demo may run at
// another instant than the browser's.
func secure(next http.Handler, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/sim/api/") {
			h.Set("Cache-Control", "no-store")
			h.Set("X-Suporte-Now", now().UTC().Format(time.RFC3339Nano))
		}
		next.ServeHTTP(w, r)
	})
}

// postBody is a customer message sent through the API.
type postBody struct {
	Chat string `json:"chat"`
	Text string `json:"text"`
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

type postAnswer struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
}

// post hands a customer message to the runtime and answers 202 once it is
// durable. A repeated id is a redelivery: accepted, ignored.
func (h *handler) post(w http.ResponseWriter, r *http.Request) {
	// The demo listens on this machine: a page of any other site open in
	// the same browser must not speak as its customers.
	if web.CrossSite(r) {
		writeError(w, http.StatusForbidden, "Requisição recusada: ela não veio do simulador.")
		return
	}
	var in bot.Inbound
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		var code int
		var msg string
		if in, code, msg = h.postFile(w, r); code != 0 {
			writeError(w, code, msg)
			return
		}
	} else {
		var b postBody
		if code, msg := decode(w, r, &b); code != 0 {
			writeError(w, code, msg)
			return
		}
		var msg string
		if in, msg = b.inbound(); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
	}
	in.At = h.phone.now()
	dup, err := h.phone.receive(r.Context(), h.rt, in)
	if err != nil {
		if r.Context().Err() != nil || errors.Is(err, bot.ErrStopping) {
			// The client left or the demo is stopping: not stored. Say so;
			// an empty answer would be a 200, which passes for an ack.
			writeError(w, http.StatusServiceUnavailable, "O simulador está parando: a mensagem não foi recebida. Envie de novo.")
			return
		}
		h.phone.cfg.Log.Error().Err(err).Msg("receive simulated message")
		if store.IsFault(err) {
			writeError(w, http.StatusServiceUnavailable, "O simulador não consegue guardar mensagens agora (problema no armazenamento): a mensagem não foi recebida.")
			return
		}
		writeError(w, http.StatusInternalServerError, "Erro interno ao receber a mensagem. Tente de novo.")
		return
	}
	writeJSON(w, http.StatusAccepted, postAnswer{ID: in.ID, Duplicate: dup})
}

// inbound checks b and turns it into a message, or says what is wrong.
func (b postBody) inbound() (bot.Inbound, string) {
	kind := b.Kind
	if kind == "" {
		kind = bot.KindText
	}
	// What a phone would let through, cleaned as the runtime cleans it,
	// so "blank" means blank to the bot too.
	text, name := bot.CleanText(b.Text), bot.CleanLine(b.Name)
	switch {
	case b.Chat == "":
		return bot.Inbound{}, `Informe o campo "chat" (o número ou identificador do cliente).`
	case !validChat.MatchString(b.Chat):
		return bot.Inbound{}, `Campo "chat" inválido: use de 1 a 64 caracteres entre letras, números e @ . _ + -.`
	case !bot.Written(kind):
		return bot.Inbound{}, fmt.Sprintf(`Tipo %q desconhecido: use text, %s.`, b.Kind, strings.Join(bot.MediaKinds, ", "))
	case kind == bot.KindText && strings.TrimSpace(text) == "":
		return bot.Inbound{}, `Escreva a mensagem no campo "text".`
	case utf8.RuneCountInString(text) > MaxText:
		return bot.Inbound{}, fmt.Sprintf("Texto longo demais: o máximo é %d caracteres.", MaxText)
	case b.ID != "" && !validID.MatchString(b.ID):
		return bot.Inbound{}, `Campo "id" inválido: use de 1 a 128 caracteres entre letras, números e @ . _ : + -.`
	case utf8.RuneCountInString(name) > maxName:
		return bot.Inbound{}, fmt.Sprintf(`Campo "name" inválido: até %d caracteres.`, maxName)
	}
	in := bot.Inbound{Chat: b.Chat, ID: b.ID, Kind: kind, Text: text, PushName: name}
	if in.ID == "" {
		in.ID = "sim-" + rand.Text()
	}
	if digits.MatchString(b.Chat) {
		in.Phone = "+" + b.Chat
	}
	return in, ""
}

// messages answers GET /sim/api/messages?chat=ID[&after=SEQ].
func (h *handler) messages(w http.ResponseWriter, r *http.Request) {
	chat, ok := chatParam(w, r)
	if !ok {
		return
	}
	var after int64
	if s := r.URL.Query().Get("after"); s != "" {
		n, ok := web.Digits(s)
		if !ok {
			writeError(w, http.StatusBadRequest, `Parâmetro "after" inválido: use o "seq" da última mensagem recebida.`)
			return
		}
		after = n
	}
	ms, err := h.phone.Sent(r.Context(), chat, after)
	answer(h, w, r, ms, err)
}

// history answers GET /sim/api/history?chat=ID.
func (h *handler) history(w http.ResponseWriter, r *http.Request) {
	chat, ok := chatParam(w, r)
	if !ok {
		return
	}
	ms, err := h.phone.History(r.Context(), chat)
	answer(h, w, r, ms, err)
}

func (h *handler) chats(w http.ResponseWriter, r *http.Request) {
	cs, err := h.phone.Chats(r.Context())
	answer(h, w, r, cs, err)
}

// answer writes a list, never null, or the error of reading it.
func answer[T any](h *handler, w http.ResponseWriter, r *http.Request, l []T, err error) {
	if err != nil {
		if r.Context().Err() != nil {
			return
		}
		h.phone.cfg.Log.Error().Err(err).Str("route", r.URL.Path).Msg("read simulated chats")
		writeError(w, http.StatusInternalServerError, "Erro interno ao ler as conversas. Tente de novo.")
		return
	}
	if l == nil {
		l = []T{}
	}
	writeJSON(w, http.StatusOK, l)
}

func chatParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	chat := r.URL.Query().Get("chat")
	switch {
	case chat == "":
		writeError(w, http.StatusBadRequest, `Informe a conversa: ?chat=NÚMERO.`)
		return "", false
	case !validChat.MatchString(chat):
		writeError(w, http.StatusBadRequest, `Parâmetro "chat" inválido: use de 1 a 64 caracteres entre letras, números e @ . _ + -.`)
		return "", false
	}
	return chat, true
}

// events streams the Phone's updates as server-sent events until the
// client leaves. Nothing is replayed: a page that reconnects reloads.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives a server's WriteTimeout; unsupported is fine
	updates, cancel := h.phone.Subscribe()
	defer cancel()
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, "retry: 2000\n\nevent: hello\ndata: {}\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case u, ok := <-updates:
			if !ok {
				return // fell behind: the page reconnects and reloads
			}
			var b []byte
			if b, err = json.Marshal(u); err == nil {
				_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", u.Type, b)
			}
		case <-ping.C:
			_, err = io.WriteString(w, ": ping\n\n")
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}

// decode reads a JSON body into v: at most MaxBody bytes, no unknown
// fields, nothing after the value. It returns the status and message of
// what is wrong, or 0.
func decode(w http.ResponseWriter, r *http.Request, v any) (int, string) {
	web.LimitBody(w, r, MaxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			err = errors.New("data after the value")
		}
	}
	var (
		tooBig  *http.MaxBytesError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("Conteúdo grande demais: o máximo é %d KiB.", MaxBody>>10)
	case web.TimedOut(err):
		return http.StatusRequestTimeout, "O conteúdo da requisição demorou demais para chegar."
	case errors.Is(err, io.EOF):
		return http.StatusBadRequest, `Envie um objeto JSON, por exemplo {"chat":"5547999990001","text":"oi"}.`
	case errors.As(err, &typeErr):
		return http.StatusBadRequest, fmt.Sprintf("JSON inválido: o campo %q tem o tipo errado.", typeErr.Field)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return http.StatusBadRequest, "JSON inválido: campo desconhecido " + f + "."
	}
	return http.StatusBadRequest, "JSON inválido."
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing left to tell
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}
