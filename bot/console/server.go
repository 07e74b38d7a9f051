package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/flows"
	"suporte/store"
)

// Config wires a Server.
type Config struct {
	Store   *store.DB
	Files   *store.Files // the media folder; nil: no files served or sent
	Runtime *bot.Runtime
	Flow    func() *flows.Flow // the current flows (quick replies, topic titles, time zone)
	Clock   bot.Clock
	Log     zerolog.Logger
	// Health adds fields to GET /healthz (e.g. the WhatsApp connection
	// state); nil adds none.
	Health func() map[string]any
	// Secure sets the Secure flag on the session cookie: the console is
	// served over TLS (directly or behind a proxy).
	Secure bool
	// TrustedProxies are the reverse proxies in front of the console: a
	// request from one is counted, for the login limits, as coming from
	// the address it puts in X-Forwarded-For. Empty: the peer is the
	// client.
	TrustedProxies []netip.Prefix

	// BcryptCost hashes passwords; 0 means DefaultBcryptCost. Tests use
	// bcrypt.MinCost.
	BcryptCost int
	// SessionTTL is how long a login lasts; 0 means 12 hours, a working day.
	SessionTTL time.Duration
	// PingEvery is the keep-alive comment period of event streams; 0
	// means 25 s, under the idle timeouts of common proxies.
	PingEvery time.Duration

	// Flows, if set, gives editors and supervisors the flows features
	// (status and reload, the trail tree, test conversations, the
	// "flows" live event); nil hides them.
	Flows *bot.FlowSource
	// SandboxDir holds the flows tests' throwaway stores; "" means the
	// system's temporary folder.
	SandboxDir string
}

// Server serves the console. Create it with New.
type Server struct {
	cfg   Config
	log   zerolog.Logger
	mux   *http.ServeMux
	login loginLimiter
	// dummy is the bcrypt hash compared when the e-mail is unknown. Making
	// it costs as much as hashing a password (about 0.7 s at cost 12), so
	// the first login makes it, not New, which every start and test calls.
	dummy func() []byte

	mu     sync.Mutex
	online map[string]int // agent id -> open event streams
	// subs are the event streams, told about presence changes.
	subs map[chan struct{}]bool

	flowTests *sandboxes // editors' test conversations (editor_sandbox.go)
}

// New returns a console server. It tells cfg.Runtime who is online.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = DefaultBcryptCost
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.PingEvery == 0 {
		cfg.PingEvery = 25 * time.Second
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Log.With().Str("component", "console").Logger(),
		mux:    http.NewServeMux(),
		login:  loginLimiter{db: cfg.Store, now: cfg.Clock.Now},
		online: map[string]int{},
		subs:   map[chan struct{}]bool{},
	}
	s.flowTests = newSandboxes(cfg.SandboxDir, s.log)
	if cfg.BcryptCost > bcrypt.MaxCost {
		// Fail at start, as hashing it here did, not at the first login.
		panic(fmt.Sprintf("console: bcrypt cost %d above %d", cfg.BcryptCost, bcrypt.MaxCost))
	}
	s.dummy = sync.OnceValue(func() []byte { return mustHash("suporte-dummy-password", cfg.BcryptCost) })
	if cfg.Runtime != nil {
		cfg.Runtime.SetOnline(s.onlineAgents)
	}
	s.routes()
	return s
}

// Handler serves the console at /, the API under /api/ and GET /healthz.
func (s *Server) Handler() http.Handler { return s.secure(s.mux) }

// Run does the console's background work until ctx ends: it purges expired
// sessions, forgets old failed logins and closes idle flows tests (all of
// them when it returns).
func (s *Server) Run(ctx context.Context) error {
	defer s.flowTests.closeAll()
	t := time.NewTicker(15 * time.Minute)
	defer t.Stop()
	for {
		s.sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Server) sweep(ctx context.Context) {
	now := s.cfg.Clock.Now()
	s.flowTests.expire(now)
	if _, err := s.login.purge(ctx); err != nil && ctx.Err() == nil {
		s.log.Error().Err(err).Msg("purge old failed logins")
	}
	var n int64
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.PurgeExpiredSessions(ctx, now)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error().Err(err).Msg("purge expired sessions")
		return
	}
	if n > 0 {
		s.log.Info().Int64("sessions", n).Msg("purged expired sessions")
	}
}

// methods maps HTTP methods to the handlers of one path.
type methods map[string]http.HandlerFunc

func (s *Server) routes() {
	api := func(path string, m methods) {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			h, ok := m[r.Method]
			if !ok && r.Method == http.MethodHead {
				h, ok = m[http.MethodGet]
			}
			if !ok {
				allow := make([]string, 0, len(m))
				for k := range m {
					allow = append(allow, k)
				}
				w.Header().Set("Allow", strings.Join(allow, ", "))
				writeError(w, http.StatusMethodNotAllowed, "Método não permitido.")
				return
			}
			h(w, r)
		})
	}
	auth := s.authed
	desk := func(h http.HandlerFunc) http.HandlerFunc { return auth(s.serving(h)) }

	api("/healthz", methods{"GET": s.healthz})
	api("/api/login", methods{"POST": s.handleLogin})
	api("/api/logout", methods{"POST": auth(s.handleLogout)})
	api("/api/me", methods{"GET": auth(s.handleMe)})
	api("/api/meta", methods{"GET": auth(s.handleMeta)})
	api("/api/queue", methods{"GET": desk(s.handleQueue)})
	api("/api/queue/claim-next", methods{"POST": desk(s.handleClaimNext)})
	api("/api/tickets", methods{"GET": desk(s.handleTickets)})
	api("/api/search", methods{"GET": desk(s.handleSearch)})
	api("/api/tickets/{id}", methods{"GET": desk(s.handleTicket)})
	api("/api/tickets/{id}/claim", methods{"POST": desk(s.handleClaim)})
	api("/api/tickets/{id}/messages", methods{"POST": desk(s.handleMessage)})
	api("/api/tickets/{id}/status", methods{"POST": desk(s.handleStatus)})
	api("/api/tickets/{id}/undo-resolve", methods{"POST": desk(s.handleUndoResolve)})
	api("/api/tickets/{id}/release", methods{"POST": desk(s.handleRelease)})
	api("/api/tickets/{id}/transfer", methods{"POST": desk(s.handleTransfer)})
	api("/api/tickets/{id}/escalate", methods{"POST": desk(s.handleEscalate)})
	api("/api/media/{id}", methods{"GET": desk(s.handleMedia)})
	api("/api/agents", methods{"GET": auth(s.handleAgents)})
	api("/api/agents/{id}/unlock", methods{"POST": auth(s.handleUnlock)})
	api("/api/quick-replies", methods{"GET": auth(s.handleQuickReplies)})
	api("/api/dashboard", methods{"GET": auth(s.handleDashboard)})
	api("/api/events", methods{"GET": auth(s.handleEventsAndFlows)})
	api("/api/report", methods{"GET": auth(s.handleReport)})
	ed := func(h http.HandlerFunc) http.HandlerFunc { return auth(s.editor(h)) }
	api("/api/flows", methods{"GET": ed(s.handleFlows)})
	api("/api/flows/reload", methods{"POST": ed(s.handleFlowsReload)})
	api("/api/flows/source", methods{"GET": ed(s.handleFlowsSource)})
	api("/api/flows/validate", methods{"POST": ed(s.handleFlowsValidate)})
	api("/api/flows/tree", methods{"GET": ed(s.handleFlowsTree)})
	api("/api/flows/test", methods{"POST": ed(s.handleFlowTestStart)})
	api("/api/flows/test/{session}", methods{"DELETE": ed(s.handleFlowTestEnd)})
	api("/api/flows/test/{session}/messages", methods{"POST": ed(s.handleFlowTestMessage)})
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Endereço da API desconhecido.")
	})
	s.mux.Handle("/", web.App(staticFiles, "static", "/"))
}

// serving lets through the people who serve customers: agents and
// supervisors. Content editors own the flows, not the tickets: the queue,
// the conversations, their search and files are refused to them.
func (s *Server) serving(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !servesCustomers(current(r).agent) {
			writeError(w, http.StatusForbidden, "Editores de conteúdo não atendem chamados: use a aba Fluxos.")
			return
		}
		next(w, r)
	}
}

// servesCustomers tells whether a takes part in the service: every role
// but the content editor's.
func servesCustomers(a store.Agent) bool { return a.Role != store.RoleEditor }

// secure adds the security headers every response carries and the
// server's clock to API answers (the demo's clock may not be the
// browser's).
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
			h.Set("X-Suporte-Now", s.cfg.Clock.Now().UTC().Format(time.RFC3339Nano))
		}
		next.ServeHTTP(w, r)
	})
}

// healthz answers {"status":"ok"} plus cfg.Health's fields, which may
// override the status: anything but "ok" answers 503, so a load balancer
// or monitor sees the service degraded (e.g. WhatsApp disconnected).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok"}
	if s.cfg.Health != nil {
		for k, v := range s.cfg.Health() {
			out[k] = v
		}
	}
	code := http.StatusOK
	if out["status"] != "ok" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, out)
}

// maxBody bounds every request body.
const maxBody = 64 << 10

// errorBody is every API error.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client went away: nothing left to tell
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

// httpError is an error with its HTTP answer.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func fail(code int, msg string) error { return &httpError{code, msg} }

// decode reads a JSON body into v: at most maxBody bytes, no unknown
// fields, nothing after the value. An empty body leaves v as it is.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	web.LimitBody(w, r, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			err = errors.New("dados depois do objeto JSON")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return fail(http.StatusRequestEntityTooLarge, "Conteúdo grande demais (máximo de 64 KiB).")
	case web.TimedOut(err):
		return fail(http.StatusRequestTimeout, "O conteúdo da requisição demorou demais para chegar.")
	}
	return badJSON(err)
}

// badJSON is the answer to a body that does not decode: which field has
// the wrong type or is unknown, if that is why.
func badJSON(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return fail(http.StatusBadRequest, "JSON inválido: envie um objeto, entre { e }.")
		}
		return fail(http.StatusBadRequest, fmt.Sprintf("JSON inválido: o campo %q tem o tipo errado.", typeErr.Field))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fail(http.StatusBadRequest, "JSON inválido: campo desconhecido "+f+".")
	}
	return fail(http.StatusBadRequest, "JSON inválido.")
}

// drain reads a body that must be empty or an empty object.
func drain(w http.ResponseWriter, r *http.Request) error {
	var v struct{}
	return decode(w, r, &v)
}

// respond turns err into its answer: an httpError as it says, a runtime
// or store error by its kind, anything else a 500 that is logged.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.code, he.msg)
		return
	}
	for _, m := range errorMap {
		if errors.Is(err, m.err) {
			writeError(w, m.code, m.msg)
			return
		}
	}
	if r.Context().Err() != nil {
		return // the client left
	}
	s.log.Error().Err(err).Str("method", r.Method).Str("route", r.Pattern).Msg("request failed")
	writeError(w, http.StatusInternalServerError, "Erro interno. Tente de novo em instantes.")
}

// errorMap gives each runtime error its status and a message for people.
var errorMap = []struct {
	err  error
	code int
	msg  string
}{
	{bot.ErrNoTicket, http.StatusNotFound, "Chamado não encontrado."},
	{store.ErrNotFound, http.StatusNotFound, "Não encontrado."},
	{bot.ErrNotAllowed, http.StatusForbidden, "Este chamado está com outro Encantador."},
	{bot.ErrResolved, http.StatusConflict, "Este chamado já foi resolvido."},
	{bot.ErrNotWaiting, http.StatusConflict, "Este cliente não está mais esperando na fila."},
	{bot.ErrChatBusy, http.StatusConflict, "O cliente está em outra conversa agora."},
	{bot.ErrAtCapacity, http.StatusConflict, "Você já está no seu limite de conversas ao mesmo tempo."},
	{bot.ErrQueueEmpty, http.StatusConflict, "Ninguém esperando na fila agora."},
	{bot.ErrBadStatus, http.StatusBadRequest, "Status inválido: use aguardando_resposta ou resolvido."},
	{bot.ErrEmptyText, http.StatusBadRequest, "Escreva a mensagem antes de enviar."},
	{bot.ErrResolving, http.StatusConflict, "Este chamado está sendo resolvido: desfaça antes de continuar."},
	{bot.ErrNotResolving, http.StatusConflict, "Este chamado não está sendo resolvido: não há o que desfazer."},
	{bot.ErrEscalated, http.StatusConflict, "Este chamado já foi encaminhado ao time de produto."},
}

// ticketID parses the {id} of the path; a malformed id is an unknown one.
func ticketID(r *http.Request) (int64, error) {
	id, ok := web.ID(r.PathValue("id"))
	if !ok {
		return 0, fail(http.StatusNotFound, "Chamado não encontrado.")
	}
	return id, nil
}
