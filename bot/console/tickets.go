package console

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"suporte/bot"
	"suporte/bot/web"
	"suporte/store"
)

// maxText bounds an agent's message, in characters.
const maxText = 4096

// jsonTime is a time that is null when unset.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(time.Time(t).UTC().Format(time.RFC3339Nano))), nil
}

type queueJSON struct {
	Ticket         int64    `json:"ticket"`
	Chat           string   `json:"chat"`
	Requester      string   `json:"requester"`
	IDSuporte      string   `json:"id_suporte"`
	Topic          string   `json:"topic"`    // the flow node's title
	TopicID        string   `json:"topic_id"` // the flow node's id
	WaitingSince   jsonTime `json:"waiting_since"`
	WaitingSeconds int64    `json:"waiting_seconds"`
	Position       int      `json:"position"`
	Line           string   `json:"line,omitempty"` // the number the customer wrote to, when the store has several
}

type ticketJSON struct {
	ID             int64    `json:"id"`
	Status         string   `json:"status"`
	StatusLabel    string   `json:"status_label"` // the status as customers see it
	Queued         bool     `json:"queued"`       // waiting in the queue for an agent (status Aberto)
	Chat           string   `json:"chat"`
	Requester      string   `json:"requester"`
	IDSuporte      string   `json:"id_suporte"`
	Topic          string   `json:"topic"`    // the flow node's title
	TopicID        string   `json:"topic_id"` // the flow node's id
	CreatedAt      jsonTime `json:"created_at"`
	LastActivityAt jsonTime `json:"last_activity_at"`
	Agent          string   `json:"agent"`
	AgentName      string   `json:"agent_name"`
	QueuedAt       jsonTime `json:"queued_at"`
	ClaimedAt      jsonTime `json:"claimed_at"`
	ClosedAt       jsonTime `json:"closed_at"`
	CloseReason    string   `json:"close_reason"`
	EscalationDue  jsonTime `json:"escalation_due"`
	Line           string   `json:"line,omitempty"` // the number the customer wrote to, when the store has several
}

type ticketDetailJSON struct {
	ticketJSON
	QueuePosition int           `json:"queue_position,omitempty"` // 1 is next, when queued
	ResolvingAt   jsonTime      `json:"resolving_at"`             // when an agent's Resolver takes effect, null if none is pending
	Phone         string        `json:"phone"`
	Feedback      *feedbackJSON `json:"feedback"`
	Messages      []messageJSON `json:"messages"`
}

type feedbackJSON struct {
	Rating    int      `json:"rating"`
	Comment   string   `json:"comment"`
	Agent     string   `json:"agent"`
	AgentName string   `json:"agent_name"`
	At        jsonTime `json:"at"`
}

type messageJSON struct {
	ID        string     `json:"id"`   // the line's, unique in its ticket: the page updates it in place
	From      string     `json:"from"` // customer, bot, agent, note, system
	Text      string     `json:"text"`
	At        jsonTime   `json:"at"`
	Actor     string     `json:"actor"`
	ActorName string     `json:"actor_name,omitempty"`
	Media     *mediaJSON `json:"media,omitempty"` // the file, place or contact card it carries
}

// names maps agent ids (as tickets hold them) to names.
type names map[string]string

func (s *Server) agentNames(ctx context.Context, tx *store.Tx) (names, error) {
	as, err := tx.Agents(ctx)
	if err != nil {
		return nil, err
	}
	n := make(names, len(as))
	for _, a := range as {
		n[strconv.FormatInt(a.ID, 10)] = a.Name
	}
	return n, nil
}

func (s *Server) topicTitle(topic string) string {
	if topic == "" || s.cfg.Flow == nil {
		return ""
	}
	return s.cfg.Flow().Title(topic)
}

// lineLabels returns how tickets name their line: by its number when
// the store serves several lines, not at all when it serves one (most
// installations), so that nothing tells agents what they all know.
func lineLabels(ctx context.Context, tx *store.Tx) (func(line string) string, error) {
	lines, err := tx.Lines(ctx)
	if err != nil {
		return nil, err
	}
	return labelsOf(lines), nil
}

// labelsOf is lineLabels for a store of these lines.
func labelsOf(lines []string) func(line string) string {
	if len(lines) < 2 {
		return func(string) string { return "" }
	}
	return LineLabel
}

// LineLabel writes a line's digits as people read the number: a
// Brazilian one as "(47) 3512-1777", any other as "+" and its digits.
func LineLabel(line string) string {
	if n := len(line); strings.HasPrefix(line, "55") && (n == 12 || n == 13) {
		local := line[4:]
		return "(" + line[2:4] + ") " + local[:len(local)-4] + "-" + local[len(local)-4:]
	}
	if line == "" {
		return ""
	}
	return "+" + line
}

func (s *Server) ticketOut(t store.Ticket, n names, line func(string) string) ticketJSON {
	return ticketJSON{
		ID: t.ID, Status: t.Status, StatusLabel: bot.StatusLabel(t.Status), Queued: queued(t), Chat: t.Chat, Requester: t.Requester, IDSuporte: t.IDSuporte,
		Topic: s.topicTitle(t.Topic), TopicID: t.Topic,
		CreatedAt: jsonTime(t.CreatedAt), LastActivityAt: jsonTime(t.LastActivityAt),
		Agent: t.Agent, AgentName: n[t.Agent],
		QueuedAt: jsonTime(t.QueuedAt), ClaimedAt: jsonTime(t.ClaimedAt), ClosedAt: jsonTime(t.ClosedAt),
		CloseReason: t.CloseReason, EscalationDue: jsonTime(t.EscalationDue),
		Line: line(t.Line),
	}
}

func isSupervisor(a store.Agent) bool { return a.Role == store.RoleSupervisor }

func queued(t store.Ticket) bool {
	return !t.QueuedAt.IsZero() && t.Agent == "" && t.Status != store.StatusResolvido
}

// visible tells whether the agent of sess may read ticket t: supervisors
// all; agents the queue, the tickets they hold, every resolved
// ticket (past cases are how the team learns, and a customer's history
// is part of serving them) and the history of the customers they are
// serving (mine, the agent's unresolved tickets). Conversations going on
// with a colleague or the bot stay theirs: an agent has no need to read
// them, which is the least access the LGPD asks for; retention
// (suporte purge) bounds how far back anyone can read.
func visible(sess session, t store.Ticket, mine []store.Ticket) bool {
	if isSupervisor(sess.agent) || t.Agent == sess.bot().ID || queued(t) || t.Status == store.StatusResolvido {
		return true
	}
	return slices.ContainsFunc(mine, func(m store.Ticket) bool { return m.Chat == t.Chat })
}

// metaJSON is what the console's page loads once: the names it shows
// that the server owns.
type metaJSON struct {
	Statuses []statusJSON `json:"statuses"`
}

type statusJSON struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

func (s *Server) handleMeta(w http.ResponseWriter, r *http.Request) {
	var out metaJSON
	for _, st := range bot.Statuses() {
		out.Statuses = append(out.Statuses, statusJSON{ID: st, Label: bot.StatusLabel(st)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) {
	q, err := s.cfg.Runtime.Queue(r.Context())
	if err != nil {
		s.respond(w, r, err)
		return
	}
	var line func(string) string
	err = s.cfg.Store.View(r.Context(), func(tx *store.Tx) error {
		line, err = lineLabels(r.Context(), tx)
		return err
	})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	out := make([]queueJSON, 0, len(q))
	for _, e := range q {
		t := e.Ticket
		out = append(out, queueJSON{
			Ticket: t.ID, Chat: t.Chat, Requester: t.Requester, IDSuporte: t.IDSuporte,
			Topic: s.topicTitle(t.Topic), TopicID: t.Topic,
			WaitingSince: jsonTime(t.QueuedAt), WaitingSeconds: int64(e.Waiting.Seconds()), Position: e.Position,
			Line: line(t.Line),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	chat, status, mine := q.Get("chat"), q.Get("status"), q.Get("mine")
	if status != "" && !slices.Contains(bot.Statuses(), status) {
		writeError(w, http.StatusBadRequest, "Status desconhecido: use aberto, aguardando_resposta ou resolvido.")
		return
	}
	if mine != "" && mine != "0" && mine != "1" && mine != "true" && mine != "false" {
		writeError(w, http.StatusBadRequest, "Use mine=1 para ver só os seus chamados.")
		return
	}
	onlyMine := mine == "1" || mine == "true"
	limit := 200
	if l := q.Get("limit"); l != "" {
		n, ok := web.Digits(l)
		if !ok || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit deve ser um número de 1 a 1000.")
			return
		}
		limit = int(n)
	}
	sess := current(r)
	me := sess.bot().ID
	ctx := r.Context()
	var out []ticketJSON
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		n, err := s.agentNames(ctx, tx)
		if err != nil {
			return err
		}
		line, err := lineLabels(ctx, tx)
		if err != nil {
			return err
		}
		mine, err := tx.TicketsByAgent(ctx, me)
		if err != nil {
			return err
		}
		var ts []store.Ticket
		switch {
		case chat != "":
			ts, err = tx.TicketsByChat(ctx, store.AllLines, chat, limit)
		case onlyMine:
			ts = mine
		case status != "":
			ts, err = tx.TicketsByStatus(ctx, status, limit)
		case isSupervisor(sess.agent):
			ts, err = openAndRecent(ctx, tx, limit)
		default:
			ts, err = tx.QueuedTickets(ctx)
			ts = append(ts, mine...)
		}
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, t := range ts {
			if seen[t.ID] || (status != "" && t.Status != status) || (onlyMine && t.Agent != me) {
				continue
			}
			seen[t.ID] = true
			if visible(sess, t, mine) {
				out = append(out, s.ticketOut(t, n, line))
			}
		}
		return nil
	})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	slices.SortStableFunc(out, func(a, b ticketJSON) int {
		return time.Time(b.LastActivityAt).Compare(time.Time(a.LastActivityAt))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []ticketJSON{}
	}
	writeJSON(w, http.StatusOK, out)
}

// openAndRecent is every unresolved ticket plus the latest resolved ones.
func openAndRecent(ctx context.Context, tx *store.Tx, limit int) ([]store.Ticket, error) {
	var all []store.Ticket
	for _, st := range bot.Statuses() {
		ts, err := tx.TicketsByStatus(ctx, st, limit)
		if err != nil {
			return nil, err
		}
		all = append(all, ts...)
	}
	return all, nil
}

// searchHitJSON is a ticket found by a search and, when its lines hold
// the words searched, the newest such line.
type searchHitJSON struct {
	ticketJSON
	Match *messageJSON `json:"match"`
}

// maxSearch bounds a search's text, in characters.
const maxSearch = 200

// handleSearch finds the tickets the agent may read by words of the
// customer's name or of what customers and agents wrote, by protocol,
// ID Suporte or phone: GET /api/search?q=&status=&limit=. The log says
// who searched and how many tickets came back, never what was searched
// (it may be a name or a phone number).
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	text, status := strings.TrimSpace(q.Get("q")), q.Get("status")
	switch {
	case status != "" && !slices.Contains(bot.Statuses(), status):
		writeError(w, http.StatusBadRequest, "Status desconhecido: use aberto, aguardando_resposta ou resolvido.")
		return
	case utf8.RuneCountInString(text) > maxSearch:
		writeError(w, http.StatusBadRequest, "Busca longa demais: use até "+strconv.Itoa(maxSearch)+" caracteres.")
		return
	case !store.Searchable(text):
		writeError(w, http.StatusBadRequest, "Digite pelo menos 3 letras ou números para buscar.")
		return
	}
	limit := 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			writeError(w, http.StatusBadRequest, "limit deve ser um número de 1 a 200.")
			return
		}
		limit = n
	}
	sess := current(r)
	ctx := r.Context()
	out := []searchHitJSON{}
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		mine, err := tx.TicketsByAgent(ctx, sess.bot().ID)
		if err != nil {
			return err
		}
		// Agents may not read some matches: look further for them.
		want := limit
		if !isSupervisor(sess.agent) {
			want = 4 * limit
		}
		found, err := tx.SearchTickets(ctx, store.TicketSearch{Text: text, Status: status, Limit: want})
		if err != nil {
			return err
		}
		var ids []int64
		var shown []store.Ticket
		for _, t := range found {
			if len(shown) < limit && visible(sess, t, mine) {
				shown = append(shown, t)
				ids = append(ids, t.ID)
			}
		}
		lines, err := tx.SearchLines(ctx, ids, text)
		if err != nil {
			return err
		}
		n, err := s.agentNames(ctx, tx)
		if err != nil {
			return err
		}
		line, err := lineLabels(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range shown {
			hit := searchHitJSON{ticketJSON: s.ticketOut(t, n, line)}
			if e, ok := lines[t.ID]; ok {
				m := messageOut(e, n)
				hit.Match = &m
			}
			out = append(out, hit)
		}
		return nil
	})
	if err != nil {
		s.respond(w, r, err)
		return
	}
	s.log.Info().Str("action", "search").Int64("agent", sess.agent.ID).Int("results", len(out)).Msg("ticket search")
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleTicket(w http.ResponseWriter, r *http.Request) {
	id, err := ticketID(r)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	out, err := s.ticketDetail(r.Context(), current(r), id)
	if err != nil {
		s.respond(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ticketDetail(ctx context.Context, sess session, id int64) (ticketDetailJSON, error) {
	var out ticketDetailJSON
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		t, err := tx.Ticket(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fail(http.StatusNotFound, "Chamado não encontrado.")
		}
		if err != nil {
			return err
		}
		if !visible(sess, t, nil) {
			// Maybe the history of a customer the agent is serving.
			mine, err := tx.TicketsByAgent(ctx, sess.bot().ID)
			if err != nil {
				return err
			}
			if !visible(sess, t, mine) {
				if t.Agent == "" {
					return fail(http.StatusForbidden, "Este chamado não está na fila nem com um Encantador.")
				}
				return fail(http.StatusForbidden, "Este chamado está com outro Encantador.")
			}
		}
		n, err := s.agentNames(ctx, tx)
		if err != nil {
			return err
		}
		line, err := lineLabels(ctx, tx)
		if err != nil {
			return err
		}
		out.ticketJSON = s.ticketOut(t, n, line)
		timers, err := tx.Timers(ctx, t.Line, t.Chat)
		if err != nil {
			return err
		}
		out.ResolvingAt = jsonTime(bot.ResolvingAt(timers, t.ID))
		if out.Queued {
			ahead, err := tx.QueueAhead(ctx, t.ID, t.QueuedAt)
			if err != nil {
				return err
			}
			out.QueuePosition = ahead + 1
		}
		c, err := tx.Customer(ctx, t.Chat)
		switch {
		case err == nil:
			out.Phone = c.Phone
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		f, err := tx.Feedback(ctx, id)
		switch {
		case err == nil:
			out.Feedback = &feedbackJSON{Rating: f.Rating, Comment: f.Comment, Agent: f.Agent, AgentName: n[f.Agent], At: jsonTime(f.At)}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		es, err := tx.Transcript(ctx, id)
		if err != nil {
			return err
		}
		ms, err := tx.TicketMedia(ctx, id)
		if err != nil {
			return err
		}
		media := make(map[int64]*mediaJSON, len(ms))
		for _, m := range ms {
			media[m.ID] = mediaOut(m)
		}
		out.Messages = make([]messageJSON, 0, len(es))
		status := "" // the status the transcript last said
		for _, e := range es {
			if e.Kind == store.EventUnmatched || e.Kind == store.EventAsked || e.Kind == store.EventChosen {
				continue // the editors' notes of a text the bot did not understand or asked about, and the answer; the text itself is the line before
			}
			if e.Kind == "status" {
				if e.Text == status {
					continue // the bot closing the chat restates what the agent set: say it once
				}
				status = e.Text
			}
			m := messageOut(e, n)
			m.Media = media[e.Media]
			out.Messages = append(out.Messages, m)
		}
		return nil
	})
	return out, err
}

// lineID names a transcript line within its ticket. What the bot said is
// read from the outbox (store.Transcript), the rest from the ticket's
// events: each has ids of its own.
func lineID(e store.TicketEvent) string {
	if e.Kind == "bot" {
		return "o" + strconv.FormatInt(e.ID, 10)
	}
	return "e" + strconv.FormatInt(e.ID, 10)
}

func messageOut(e store.TicketEvent, n names) messageJSON {
	m := messageJSON{ID: lineID(e), From: e.Kind, Text: e.Text, At: jsonTime(e.At), Actor: e.Actor}
	switch e.Kind {
	case "customer", "bot":
	case "agent", "note":
	case "status":
		m.From = "system"
		m.Text = "Status: " + bot.StatusLabel(e.Text)
	default:
		m.From = "system"
	}
	if e.Actor == "celular" { // someone answered from the support phone
		m.ActorName = "Celular do suporte"
	}
	if m.ActorName == "" && e.Kind != "customer" && e.Actor != "bot" {
		// The runtime records agents by name; older lines may hold an id.
		m.ActorName = cmp.Or(n[e.Actor], e.Actor)
	}
	return m
}

// actionResult answers a ticket action.
type actionResult struct {
	OK         bool     `json:"ok"`
	Ticket     int64    `json:"ticket"`
	Due        jsonTime `json:"due,omitzero"`         // escalate: the return promised to the customer
	ResolvesAt jsonTime `json:"resolves_at,omitzero"` // status resolvido: when the undo window closes
}

// held loads ticket id for an action by the agent of sess: 404 if
// missing, 403 if another agent holds it and sess is no supervisor, 409 if
// resolved, held by nobody (unless claiming) or, when claiming, held by
// another agent or by nobody and not waiting in the queue. The runtime checks again, in order
// with the chat's other work.
func (s *Server) held(ctx context.Context, sess session, id int64, claim bool) (store.Ticket, error) {
	var t store.Ticket
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		t, err = tx.Ticket(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return t, fail(http.StatusNotFound, "Chamado não encontrado.")
	}
	if err != nil {
		return t, err
	}
	if t.Agent != "" && t.Agent != sess.bot().ID && !isSupervisor(sess.agent) {
		return t, fail(http.StatusForbidden, "Este chamado está com outro Encantador.")
	}
	if t.Status == store.StatusResolvido {
		return t, bot.ErrResolved
	}
	if claim && t.Agent != "" && t.Agent != sess.bot().ID {
		// A supervisor's claim: the customer is being served, not waiting.
		return t, fail(http.StatusConflict, "Este chamado já está com outro Encantador.")
	}
	if t.Agent == "" && !claim {
		return t, fail(http.StatusConflict, "Ninguém está atendendo este chamado: clique em Atender antes.")
	}
	if t.Agent == "" && t.QueuedAt.IsZero() {
		return t, bot.ErrNotWaiting // at the bot's menu, or gone: nobody's to take
	}
	return t, nil
}

// action runs one ticket action: parse the id and body, check the
// ticket, call the runtime, log and answer.
func (s *Server) action(name string, claim bool, body func() any, do func(ctx context.Context, sess session, t store.Ticket, req any) (actionResult, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := ticketID(r)
		if err != nil {
			s.respond(w, r, err)
			return
		}
		var req any
		if body != nil {
			req = body()
			err = decode(w, r, req)
		} else {
			err = drain(w, r)
		}
		if err != nil {
			s.respond(w, r, err)
			return
		}
		sess := current(r)
		ctx := r.Context()
		t, err := s.held(ctx, sess, id, claim)
		if err == nil {
			var res actionResult
			res, err = do(ctx, sess, t, req)
			if err == nil {
				res.OK, res.Ticket = true, id
				s.log.Info().Str("action", name).Int64("ticket", id).Int64("agent", sess.agent.ID).Msg("ticket action")
				writeJSON(w, http.StatusOK, res)
				return
			}
		}
		s.log.Debug().Err(err).Str("action", name).Int64("ticket", id).Int64("agent", sess.agent.ID).Msg("ticket action refused")
		s.respond(w, r, err)
	}
}

func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request) {
	s.action("claim", true, nil, func(ctx context.Context, sess session, t store.Ticket, _ any) (actionResult, error) {
		return actionResult{}, s.cfg.Runtime.Claim(ctx, sess.bot(), t.ID)
	})(w, r)
}

func (s *Server) handleClaimNext(w http.ResponseWriter, r *http.Request) {
	if err := drain(w, r); err != nil {
		s.respond(w, r, err)
		return
	}
	sess := current(r)
	id, err := s.cfg.Runtime.ClaimNext(r.Context(), sess.bot())
	if err != nil {
		s.respond(w, r, err)
		return
	}
	s.log.Info().Str("action", "claim_next").Int64("ticket", id).Int64("agent", sess.agent.ID).Msg("ticket action")
	writeJSON(w, http.StatusOK, actionResult{OK: true, Ticket: id})
}

type messageRequest struct {
	Text       string `json:"text"`
	Internal   bool   `json:"internal"`
	Attachment string `json:"attachment"` // a quick reply's attachment, as flows.yaml names it
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	if isMultipart(r) {
		s.sendFile(w, r)
		return
	}
	s.action("message", false, func() any { return &messageRequest{} }, func(ctx context.Context, sess session, t store.Ticket, req any) (actionResult, error) {
		m := req.(*messageRequest)
		text := strings.TrimSpace(m.Text)
		if m.Attachment != "" {
			return actionResult{}, s.sendAttachment(ctx, sess, t, m)
		}
		if text == "" {
			return actionResult{}, bot.ErrEmptyText
		}
		if utf8.RuneCountInString(text) > maxText {
			return actionResult{}, fail(http.StatusBadRequest, "Mensagem longa demais: o máximo é "+strconv.Itoa(maxText)+" caracteres.")
		}
		if m.Internal {
			return actionResult{}, s.cfg.Runtime.Note(ctx, sess.bot(), t.ID, text)
		}
		return actionResult{}, s.cfg.Runtime.Reply(ctx, sess.bot(), t.ID, text)
	})(w, r)
}

type statusRequest struct {
	Status string `json:"status"`
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	s.action("status", false, func() any { return &statusRequest{} }, func(ctx context.Context, sess session, t store.Ticket, req any) (actionResult, error) {
		st := req.(*statusRequest).Status
		switch st {
		case store.StatusResolvido: // the customer hears of it when the undo window closes
			at, err := s.cfg.Runtime.Resolve(ctx, sess.bot(), t.ID)
			return actionResult{ResolvesAt: jsonTime(at)}, err
		case store.StatusAguardando:
			return actionResult{}, s.cfg.Runtime.SetStatus(ctx, sess.bot(), t.ID, st)
		}
		return actionResult{}, bot.ErrBadStatus
	})(w, r)
}

// handleUndoResolve takes back a Resolver while its window is open.
func (s *Server) handleUndoResolve(w http.ResponseWriter, r *http.Request) {
	s.action("undo_resolve", false, nil, func(ctx context.Context, sess session, t store.Ticket, _ any) (actionResult, error) {
		return actionResult{}, s.cfg.Runtime.UndoResolve(ctx, sess.bot(), t.ID)
	})(w, r)
}

func (s *Server) handleRelease(w http.ResponseWriter, r *http.Request) {
	s.action("release", false, nil, func(ctx context.Context, sess session, t store.Ticket, _ any) (actionResult, error) {
		return actionResult{}, s.cfg.Runtime.Release(ctx, sess.bot(), t.ID)
	})(w, r)
}

type transferRequest struct {
	Agent string `json:"agent"` // id or e-mail
}

func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request) {
	s.action("transfer", false, func() any { return &transferRequest{} }, func(ctx context.Context, sess session, t store.Ticket, req any) (actionResult, error) {
		to, err := s.findAgent(ctx, req.(*transferRequest).Agent)
		if err != nil {
			return actionResult{}, err
		}
		if !servesCustomers(to) {
			return actionResult{}, fail(http.StatusConflict, to.Name+" é editor de conteúdo e não atende chamados: escolha um Encantador.")
		}
		if botAgent(to).ID == t.Agent {
			return actionResult{}, fail(http.StatusConflict, "O chamado já está com "+to.Name+".")
		}
		err = s.cfg.Runtime.Transfer(ctx, sess.bot(), t.ID, botAgent(to))
		if errors.Is(err, bot.ErrAtCapacity) {
			return actionResult{}, fail(http.StatusConflict, to.Name+" já está no limite de conversas ao mesmo tempo.")
		}
		return actionResult{}, err
	})(w, r)
}

// findAgent resolves an agent given by id or e-mail; disabled ones are
// not found.
func (s *Server) findAgent(ctx context.Context, ref string) (store.Agent, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return store.Agent{}, fail(http.StatusBadRequest, "Escolha o Encantador que vai receber o chamado.")
	}
	var a store.Agent
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if id, ok := web.Digits(ref); ok {
			a, err = tx.Agent(ctx, id)
		} else {
			a, err = tx.AgentByEmail(ctx, ref)
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Disabled) {
		return store.Agent{}, fail(http.StatusNotFound, "Encantador não encontrado.")
	}
	return a, err
}

func (s *Server) handleEscalate(w http.ResponseWriter, r *http.Request) {
	s.action("escalate", false, nil, func(ctx context.Context, sess session, t store.Ticket, _ any) (actionResult, error) {
		due, err := s.cfg.Runtime.Escalate(ctx, sess.bot(), t.ID)
		if errors.Is(err, bot.ErrEscalated) {
			return actionResult{}, s.escalatedAlready(ctx, t.ID)
		}
		return actionResult{Due: jsonTime(due)}, err
	})(w, r)
}

// escalatedAlready answers a second escalation of ticket id with the day
// of the first.
func (s *Server) escalatedAlready(ctx context.Context, id int64) error {
	var t store.Ticket
	err := s.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		t, err = tx.Ticket(ctx, id)
		return err
	})
	if err != nil {
		return err
	}
	at := t.EscalatedAt
	if s.cfg.Flow != nil && s.cfg.Flow().Calendar.Location != nil {
		at = at.In(s.cfg.Flow().Calendar.Location)
	}
	return fail(http.StatusConflict, "Este chamado já foi encaminhado ao time de produto em "+at.Format("02/01")+".")
}
