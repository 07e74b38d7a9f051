package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"suporte/bot/web"
	"suporte/store"
)

// agentJSON is an agent as the console shows it.
type agentJSON struct {
	ID         string `json:"id"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	MaxChats   int    `json:"max_chats"`
	Supervisor bool   `json:"supervisor"`
}

func agentOut(a store.Agent) agentJSON {
	return agentJSON{ID: strconv.FormatInt(a.ID, 10), Email: a.Email, Name: a.Name, Role: a.Role,
		MaxChats: a.MaxChats, Supervisor: isSupervisor(a)}
}

type meJSON struct {
	Agent       agentJSON `json:"agent"`
	ActiveChats int       `json:"active_chats"`
	Now         jsonTime  `json:"now"`
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	sess := current(r)
	ctx := r.Context()
	var n int
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		ts, err := tx.TicketsByAgent(ctx, sess.bot().ID)
		n = len(ts)
		return err
	})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, meJSON{Agent: agentOut(sess.agent), ActiveChats: n, Now: jsonTime(s.cfg.Clock.Now())})
}

// agentListJSON is one line of GET /api/agents.
type agentListJSON struct {
	agentJSON
	Online      bool `json:"online"`
	ActiveChats int  `json:"active_chats"`
	Disabled    bool `json:"disabled,omitempty"`
	Self        bool `json:"self,omitempty"`
}

// handleAgents lists agents: for supervisors every account with presence
// and load; for agents the enabled ones who serve customers, to pick whom
// to transfer to (content editors take no tickets).
func (s *Server) handleAgents(w http.ResponseWriter, r *http.Request) {
	sess := current(r)
	sup := isSupervisor(sess.agent)
	ctx := r.Context()
	var as []store.Agent
	var active map[string]int
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if as, err = tx.Agents(ctx); err != nil {
			return err
		}
		active, err = tx.ActiveChats(ctx)
		return err
	})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	online := s.onlineSet()
	out := make([]agentListJSON, 0, len(as))
	for _, a := range as {
		if !sup && (a.Disabled || !servesCustomers(a)) {
			continue
		}
		j := agentListJSON{agentJSON: agentOut(a), Disabled: a.Disabled, Self: a.ID == sess.agent.ID}
		j.Online = online[j.ID]
		j.ActiveChats = active[j.ID]
		if !sup {
			j.Email = ""
		}
		out = append(out, j)
	}
	// Online first, then by name (the store's order).
	slices.SortStableFunc(out, func(a, b agentListJSON) int {
		switch {
		case a.Online == b.Online:
			return 0
		case a.Online:
			return -1
		}
		return 1
	})
	writeJSON(w, http.StatusOK, out)
}

// handleUnlock lets a supervisor clear an agent's failed logins, from
// every address, so they may try again at once.
func (s *Server) handleUnlock(w http.ResponseWriter, r *http.Request) {
	sess := current(r)
	if !isSupervisor(sess.agent) {
		writeError(w, http.StatusForbidden, "Só supervisores podem liberar o login de alguém.")
		return
	}
	if err := drain(w, r); err != nil {
		s.respond(w, r, err)
		return
	}
	id, ok := web.ID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "Encantador não encontrado.")
		return
	}
	ctx := r.Context()
	var cleared int64
	err := s.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		a, err := tx.Agent(ctx, id)
		if err != nil {
			return err
		}
		cleared, err = tx.ClearLoginLimits(ctx, a.Email, "")
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "Encantador não encontrado.")
		return
	}
	if err != nil {
		s.respond(w, r, err)
		return
	}
	s.log.Info().Int64("agent", id).Int64("by", sess.agent.ID).Int64("cleared", cleared).Msg("login unlocked")
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// Presence: an agent is online while it has an event stream open.

func (s *Server) join(agent string) (changed chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.online[agent]++
	changed = make(chan struct{}, 1)
	s.subs[changed] = true
	if s.online[agent] == 1 {
		s.notifyLocked(changed)
	}
	return changed
}

func (s *Server) leave(agent string, changed chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, changed)
	s.online[agent]--
	if s.online[agent] <= 0 {
		delete(s.online, agent)
		s.notifyLocked(nil)
	}
}

// notifyLocked tells every stream but skip that presence changed.
func (s *Server) notifyLocked(skip chan struct{}) {
	for c := range s.subs {
		if c == skip {
			continue
		}
		select {
		case c <- struct{}{}:
		default: // already told
		}
	}
}

// onlineAgents lists the agents online, for the runtime's wait estimates.
func (s *Server) onlineAgents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.online))
	for a := range s.online {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

func (s *Server) onlineSet() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]bool, len(s.online))
	for a := range s.online {
		out[a] = true
	}
	return out
}
