package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/store"
)

// DefaultBcryptCost is the password hashing cost in production.
const DefaultBcryptCost = 12

// MinPasswordLen is the shortest password accepted, in characters.
const MinPasswordLen = 10

// maxPasswordBytes is bcrypt's limit: longer passwords would be cut.
const maxPasswordBytes = 72

// CookieName is the session cookie.
const CookieName = "suporte_session"

// csrfHeader must accompany unsafe requests authenticated by the cookie: a
// page on another site cannot send it without a CORS preflight we refuse.
const csrfHeader, csrfValue = "X-Requested-With", "suporte"

// HashPassword checks a new password and returns its bcrypt hash. cost 0
// means DefaultBcryptCost.
func HashPassword(password string, cost int) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	if cost == 0 {
		cost = DefaultBcryptCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword tells why a new password is not acceptable.
func CheckPassword(password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return fmt.Errorf("password too short: use at least %d characters", MinPasswordLen)
	case len(password) > maxPasswordBytes:
		return fmt.Errorf("password too long: at most %d bytes", maxPasswordBytes)
	case strings.TrimSpace(password) != password:
		return errors.New("password starts or ends with a space")
	}
	return nil
}

func mustHash(password string, cost int) []byte {
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		panic(err) // only an invalid cost, a programming error
	}
	return h
}

// newToken returns a random session token and the hash the store keeps.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics if the OS cannot give randomness)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// agentKey is the request context key of the logged-in agent.
type agentKey struct{}

// session is who made a request and how.
type session struct {
	agent     store.Agent
	tokenHash string
}

func (s session) bot() bot.Agent { return botAgent(s.agent) }

func botAgent(a store.Agent) bot.Agent {
	return bot.Agent{ID: strconv.FormatInt(a.ID, 10), Name: a.Name, Role: a.Role, MaxChats: a.MaxChats}
}

func current(r *http.Request) session { return r.Context().Value(agentKey{}).(session) }

// authed lets a request through with a live session: the bearer token, or
// else the cookie. Unsafe methods with the cookie must also prove they
// come from the console's own page (CSRF).
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, bearer := bearerToken(r)
		if !bearer {
			if c, err := r.Cookie(CookieName); err == nil {
				token = c.Value
			}
		}
		if token == "" {
			writeError(w, http.StatusUnauthorized, "Faça login para continuar.")
			return
		}
		if !bearer && !safeMethod(r.Method) {
			if r.Header.Get(csrfHeader) != csrfValue || !web.SameOrigin(r) {
				s.log.Warn().Str("route", r.Pattern).Msg("cross-site request refused")
				writeError(w, http.StatusForbidden, "Requisição recusada: ela não veio do console.")
				return
			}
		}
		sess, err := s.lookup(r.Context(), hashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			if !bearer {
				s.clearCookie(w)
			}
			writeError(w, http.StatusUnauthorized, "Sua sessão terminou. Faça login de novo.")
			return
		}
		if err != nil {
			s.respond(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), agentKey{}, sess)))
	}
}

// lookup finds the session's agent, recording its use at most once a
// minute (a write only then).
func (s *Server) lookup(ctx context.Context, tokenHash string) (session, error) {
	now := s.cfg.Clock.Now()
	var a store.Agent
	var stale bool
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		a, stale, err = tx.SessionAgentView(ctx, tokenHash, now)
		return err
	})
	if err == nil && stale {
		err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
			a, err = tx.SessionAgent(ctx, tokenHash, now)
			return err
		})
	}
	if err != nil {
		return session{}, err
	}
	return session{agent: a, tokenHash: tokenHash}, nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// loginRequest is the body of POST /api/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token string    `json:"token"`
	Agent agentJSON `json:"agent"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	// A login from a page of another site would log the victim into the
	// attacker's account: refuse what the browser says is cross-site.
	if web.CrossSite(r) {
		writeError(w, http.StatusForbidden, "Requisição recusada: ela não veio do console.")
		return
	}
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		s.respond(w, r, err)
		return
	}
	email := store.NormalizeEmail(req.Email)
	if email == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, "Informe e-mail e senha.")
		return
	}
	ip := clientAddr(r, s.cfg.TrustedProxies)
	ctx := r.Context()
	wait, err := s.login.reserve(ctx, email, ip)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.log.Warn().Str("ip", ip).Msg("login rate limited")
		writeError(w, http.StatusTooManyRequests, "Muitas tentativas sem sucesso. Tente de novo em "+retryText(wait)+".")
		return
	}

	// Same work whether or not the e-mail exists: compare a dummy hash.
	// Every login asks for it, so the first one, which makes it, is as
	// slow for a known e-mail as for an unknown one.
	hash := s.dummy()
	var a store.Agent
	err = s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.AgentByEmail(ctx, email)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.respond(w, r, err)
		return
	}
	if err == nil {
		hash = []byte(a.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(req.Password)) == nil
	if err != nil || !match || a.Disabled {
		// The attempt was counted as a failure when reserved.
		s.log.Info().Str("ip", ip).Msg("login failed")
		writeError(w, http.StatusUnauthorized, "E-mail ou senha incorretos.")
		return
	}
	if err := s.login.succeeded(ctx, email, ip); err != nil {
		s.respond(w, r, err)
		return
	}

	token, tokenHash := newToken()
	now := s.cfg.Clock.Now()
	expires := now.Add(s.cfg.SessionTTL)
	err = s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.CreateSession(ctx, tokenHash, a.ID, now, expires)
	})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: token, Path: "/",
		Expires: expires, MaxAge: int(s.cfg.SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode,
	})
	s.log.Info().Int64("agent", a.ID).Msg("login")
	writeJSON(w, http.StatusOK, loginResponse{Token: token, Agent: agentOut(a)})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := drain(w, r); err != nil {
		s.respond(w, r, err)
		return
	}
	sess := current(r)
	ctx := r.Context()
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, sess.tokenHash) })
	if err != nil {
		s.respond(w, r, err)
		return
	}
	s.clearCookie(w)
	s.log.Info().Int64("agent", sess.agent.ID).Msg("logout")
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode})
}
