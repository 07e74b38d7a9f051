package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/looplab/fsm"

	"suporte/flows"
	"suporte/store"
)

// Close reasons recorded on tickets.
const (
	reasonSolved   = store.CloseSolvedByBot
	reasonQuit     = "encerrado_pelo_cliente"
	reasonInactive = "inatividade"
	reasonNoID     = "id_suporte_nao_informado"
)

// Timer kinds.
const (
	timerReminder = "reminder"
	timerClose    = "close"
)

// Intents remembered while the bot first asks for the ID Suporte.
const intentHandoff = "handoff"

// maxComment bounds what a feedback comment or a left message keeps; a
// customer pasting a whole log still gets a ticket, just a shorter one.
const maxComment = 4000

// Engine runs one conversation turn: given the stored conversation and one
// input, it decides the replies and the state, ticket and timer changes.
// It does no IO; the runtime loads the rows and writes the result.
type Engine struct {
	events    fsm.Events
	callbacks fsm.Callbacks
	// machines keeps state machines between turns: building one costs
	// more than the rest of a turn's Go work, and the callbacks take the
	// turn from the event's arguments, so any machine serves any turn.
	machines sync.Pool
}

// NewEngine builds the engine; it is safe for concurrent use.
func NewEngine() *Engine {
	e := &Engine{events: lifecycleEvents(), callbacks: lifecycleCallbacks()}
	e.machines.New = func() any { return fsm.NewFSM(stateClosed, e.events, e.callbacks) }
	return e
}

// input is what a turn reacts to: a customer message or a timer.
type input struct {
	kind  string // a message kind, or "timer"
	text  string
	timer string
	late  bool         // it waited too long to be handled (e.g. WhatsApp was offline)
	media *store.Media // the file a media message brought, as recorded on arrival
}

const kindTimer = "timer"

// turn is one input's worth of work: the rows it may change and what it
// decided. The runtime applies it in one transaction.
type turn struct {
	flow *flows.Flow
	now  time.Time

	conv     store.Conversation
	customer store.Customer
	ticket   store.Ticket

	customerChanged bool
	ticketChanged   bool
	out             []store.OutMsg
	files           []pendingFile // files sent or shown by out and events
	feedback        *store.Feedback
	events          []store.TicketEvent // transcript lines besides the bot's messages

	override string // a text to say instead of the next state's usual prompt
	quiet    bool   // enter the next state without its prompt

	text string // the customer's text this turn answers, if any

	keepTimers bool          // the input was no answer: leave the inactivity timers as they are
	skipTimers bool          // a person is handling the chat: no inactivity timers
	setTimers  []store.Timer // other timers to set (a resolve's undo window)
	dropTimers []string      // kinds of other timers to delete
	resolveDue time.Time     // when the ticket resolves, if an agent resolved it (resolve.go)
	announce   bool          // tell the console the ticket changed, though its row did not
	aside      bool          // the customer is in another conversation: write the ticket only (ticketTurn)

	engine *Engine
	ctx    context.Context

	lookup      lookup              // read access to the store, inside the turn's transaction
	other       *store.Ticket       // another ticket of the customer changed by this turn (a comment)
	otherEvents []store.TicketEvent // transcript lines for it
	err         error               // a lookup failure inside an FSM callback, returned by Step
}

// lookup is what a turn may read besides its own rows.
type lookup interface {
	tickets(chat string, limit int) ([]store.Ticket, error)
	ticket(id int64) (store.Ticket, error)
	events(ticket int64, limit int) ([]store.TicketEvent, error)
	queuePosition(t store.Ticket) (pos int, wait string, err error)
	agentTickets(agent string) ([]store.Ticket, error)
	inboxSince(chat string, since time.Time, limit int) (int, error)
	saidSince(chat, text string, since time.Time) (bool, error)
	inboxMedia(inbox int64) (*store.Media, error) // nil if the message brought none
}

// Step handles one input. conv.State must be a live state or closed with a
// fresh ticket already opened by the runtime (a new conversation).
func (e *Engine) Step(ctx context.Context, t *turn, in input) error {
	t.engine, t.ctx = e, ctx
	if err := t.dispatch(in); err != nil {
		return err
	}
	if t.err != nil {
		return t.err
	}
	t.syncStatus()
	return nil
}

// act fires a lifecycle event on the turn's state machine. A self
// transition (a menu leading to a sub-menu) repeats the state's prompt.
func (t *turn) act(event string) error {
	m := t.engine.machines.Get().(*fsm.FSM)
	m.SetState(t.conv.State)
	err := m.Event(t.ctx, event, t)
	var none fsm.NoTransitionError
	if errors.As(err, &none) {
		t.prompt(m.Current())
		err = nil
	}
	if err != nil {
		// A machine an event failed in may be left mid-transition.
		return fmt.Errorf("conversation: %s in %s: %w", event, m.Current(), err)
	}
	t.conv.State = m.Current()
	t.engine.machines.Put(m)
	return nil
}

// syncStatus derives the ticket status customers see from where the
// conversation waits: on them (Aguardando resposta) or on us (Aberto).
// Closing sets the final status itself.
func (t *turn) syncStatus() {
	if t.ticket.Status == store.StatusResolvido {
		return // resolved by an agent; the rating question does not reopen it
	}
	want := ""
	switch {
	case waiting[t.conv.State]:
		want = store.StatusAguardando
	case t.conv.State == stateQueued:
		want = store.StatusAberto
	}
	if want != "" && t.ticket.Status != want {
		t.ticket.Status = want
		t.ticketChanged = true
	}
}

func (t *turn) dispatch(in input) error {
	fl := t.flow

	if in.kind == kindTimer {
		return t.onTimer(in.timer)
	}
	if in.late {
		// Acting on a stale answer could send the customer somewhere they no
		// longer want to go: apologize and show where the conversation is.
		t.say(fl.File.Texts.Late.Value, nil)
		if t.conv.State != stateClosed {
			t.prompt(t.conv.State)
			t.keepTimers = true
			return nil
		}
	}
	if t.conv.State == stateClosed {
		return t.start(in)
	}
	if t.conv.State == stateWithAgent {
		t.onWithAgent()
		if in.kind != KindText {
			return t.onMedia(in)
		}
		return nil
	}
	if t.nodeGone() {
		// flows.yaml changed under this conversation: say so and restart
		// from the menu rather than act on an answer to a vanished question.
		t.say(fl.File.Texts.FlowChanged.Value, nil)
		return t.browse(fl.Root(), nil)
	}
	if in.kind != KindText {
		return t.onMedia(in)
	}
	t.text = in.text
	switch fl.Command(in.text) {
	case flows.CmdQuit:
		return t.quit()
	case flows.CmdMenu:
		return t.toMenu()
	case flows.CmdBack:
		return t.back()
	case flows.CmdAgent:
		return t.handOff()
	}

	switch t.conv.State {
	case stateAskingID:
		return t.onID(in.text)
	case stateConfirmingID:
		return t.onConfirmID(in.text)
	case stateBrowsing:
		return t.onMenu(in.text)
	case stateChoosing:
		return t.onChoose(in.text)
	case stateAskingResolved:
		return t.onResolved(in.text)
	case stateRating:
		return t.onRating(in.text)
	case stateCommenting:
		return t.onComment(in.text)
	case stateOffering:
		return t.onOffer(in.text)
	case stateLeaving:
		return t.onLeave(in.text)
	case stateQueued:
		t.onQueued()
		return nil
	case stateTickets:
		return t.onTicketChoice(in.text)
	case stateTicket:
		return t.onTicketAction(in.text)
	case stateTicketComment:
		return t.onTicketComment(in.text)
	}
	return fmt.Errorf("conversation: unknown state %q", t.conv.State)
}

// start opens a new conversation: greet a new customer, or welcome back
// one whose ID Suporte we know. A first message that already says what
// the customer wants (their ID, as the help center tells them to send, or
// "atendente") is taken at its word.
func (t *turn) start(in input) error {
	t.conv.Path = nil
	t.conv.Node = ""
	t.conv.Attempts = 0
	t.conv.Intent = ""
	wantsAgent := in.kind == KindText && t.flow.Command(in.text) == flows.CmdAgent
	if in.kind == KindText && !wantsAgent {
		t.remember(in.text, true) // "minha nota foi rejeitada": go there once the ID is known
	}
	if t.customer.IDSuporte != "" {
		t.ticket.IDSuporte = t.customer.IDSuporte
		t.ticketChanged = true
		if wantsAgent {
			return t.handOff()
		}
		return t.act(evWelcomeBack)
	}
	if in.kind == KindText {
		if id, ok := t.flow.FindID(in.text); ok {
			return t.acceptID(id)
		}
	}
	if wantsAgent {
		t.conv.Intent = intentHandoff
	}
	return t.act(evGreet)
}

func (t *turn) onID(text string) error {
	fl := t.flow
	id, ok := fl.FindID(text)
	if !ok {
		if t.conv.Intent == "" {
			t.remember(text, false) // a topic instead of the ID: keep it for after
		}
		t.conv.Attempts++
		if t.conv.Attempts >= fl.File.IDSuporte.Attempts {
			t.say(fl.File.IDSuporte.GiveUp.Value, nil)
			return t.close(reasonNoID, store.StatusResolvido)
		}
		t.sayWith(fl.File.IDSuporte.Invalid.Value, flows.Vars{IDSuporte: quoteID(strings.TrimSpace(text))}, nil)
		return nil
	}
	return t.acceptID(id)
}

func (t *turn) acceptID(id string) error {
	t.customer.IDSuporte = id
	t.customerChanged = true
	t.ticket.IDSuporte = id
	t.ticketChanged = true
	t.conv.Attempts = 0
	t.say(t.flow.File.IDSuporte.Accepted.Value, nil)
	return t.afterID()
}

// afterID continues where the customer wanted to go before we asked the ID.
func (t *turn) afterID() error {
	intent := t.conv.Intent
	nodes, _ := t.intentNodes() // what a reload removed is forgotten
	t.conv.Intent = ""
	switch {
	case intent == intentHandoff:
		return t.handOff()
	case len(nodes) == 1:
		return t.enter(nodes[0])
	case len(nodes) > 1:
		return t.clarify(nodes, t.flow.Root(), nil)
	}
	return t.browse(t.flow.Root(), nil)
}

func (t *turn) onConfirmID(text string) error {
	c := t.flow.File.IDSuporte
	switch i, ok := t.flow.KeepID().Match(text); {
	case ok && i == 0:
		t.conv.Attempts = 0
		return t.afterID()
	case ok && i == 1:
		t.conv.Attempts = 0
		t.customer.IDSuporte = ""
		return t.askID(c.AskNew.Value) // a topic they named stays for after
	}
	if id, ok := t.flow.FindID(text); ok {
		return t.acceptID(id)
	}
	// A topic instead of an answer keeps the ID and goes there.
	if r := t.flow.Route(text, ""); r.Decision == flows.RouteGo || r.Decision == flows.RouteAsk && !r.Weak {
		t.conv.Attempts = 0
		t.conv.Intent = routeIntent(r.Nodes)
		return t.afterID()
	}
	return t.notUnderstood()
}

// onMenu reads an answer at a menu: an option of it (number, label,
// keyword), or free text routed over the whole tree (see route.go).
func (t *turn) onMenu(text string) error {
	if ok, err := t.follow(t.flow.Understand(t.conv.Node, text), t.conv.Node, t.conv.Path); ok || err != nil {
		return err
	}
	return t.notUnderstood()
}

// choose takes option i of the menu the conversation is at.
func (t *turn) choose(i int) error {
	target := t.flow.Node(t.flow.Node(t.conv.Node).Options[i].Goto.Value)
	switch target.Type.Value {
	case flows.KindMenu:
		return t.browse(target.ID, append(t.conv.Path, t.conv.Node))
	case flows.KindTrail:
		t.conv.Path = append(t.conv.Path, t.conv.Node)
		return t.read(target)
	case flows.KindTickets:
		return t.listTickets()
	default:
		return t.handOff()
	}
}

// read sends a trail (and the trails it continues into), then asks.
func (t *turn) read(n *flows.Node) error {
	t.ticket.Topic = n.ID
	t.ticketChanged = true
	t.conv.Node = n.ID
	for n != nil {
		for _, m := range n.Messages {
			t.sayMessage(m)
		}
		n = t.flow.Node(n.Next.Value)
	}
	return t.act(evRead)
}

func (t *turn) onResolved(text string) error {
	i, ok := t.flow.ResolvedChoice().Match(text)
	if !ok {
		// A new question instead of an answer: take it there.
		menu, path := t.flow.Root(), []string(nil)
		if p := t.conv.Path; len(p) > 0 {
			menu, path = p[len(p)-1], p[:len(p)-1]
		}
		if ok, err := t.routeFrom(text, menu, path); ok || err != nil {
			return err
		}
		return t.notUnderstood()
	}
	switch i {
	case 0:
		return t.act(evSolve)
	case 1:
		return t.handOff()
	}
	return t.browse(t.flow.Root(), nil)
}

func (t *turn) onRating(text string) error {
	fb := t.flow.File.Feedback
	r, ok := flows.Rating(text)
	if !ok {
		t.say(fb.Invalid.Value, nil)
		return nil
	}
	t.feedback = &store.Feedback{Ticket: t.ticket.ID, Chat: t.conv.Chat, Rating: r, Topic: t.ticket.Topic, Agent: t.ticket.Agent, At: t.now}
	if r <= fb.CommentBelow {
		return t.act(evRateLow)
	}
	t.say(fb.Thanks.Value, nil)
	return t.close(reasonSolved, store.StatusResolvido)
}

func (t *turn) onComment(text string) error {
	fb := t.flow.File.Feedback
	if !t.flow.IsSkip(text) {
		t.feedback = &store.Feedback{Ticket: t.ticket.ID, Chat: t.conv.Chat, Topic: t.ticket.Topic, Agent: t.ticket.Agent, At: t.now,
			Comment: Truncate(strings.TrimSpace(text), maxComment)}
	}
	t.say(fb.Thanks.Value, nil)
	return t.close(reasonSolved, store.StatusResolvido)
}

func (t *turn) onOffer(text string) error {
	i, ok := t.flow.OfferChoice().Match(text)
	switch {
	case ok && i == 0:
		return t.act(evWrite)
	case ok && i == 1:
		return t.browse(t.flow.Root(), nil)
	case ok && i == 2:
		t.say(t.flow.File.Texts.Goodbye.Value, nil)
		return t.close(reasonQuit, store.StatusResolvido)
	}
	// Customers often just write their problem: take it as the message.
	if len(strings.Fields(text)) >= 3 {
		return t.onLeave(text)
	}
	return t.notUnderstood()
}

func (t *turn) onLeave(text string) error {
	h := t.flow.File.Handoff
	if strings.TrimSpace(text) == "" {
		t.say(h.EmptyMessage.Value, nil)
		return nil
	}
	t.say(h.MessageLeft.Value, nil)
	t.conv.Attempts = 1 // the queue's "message registered" note was just said
	if err := t.queue(false); err != nil {
		return err
	}
	// The message belongs to the talk with people: put it after the
	// queue mark in the transcript (the runtime noted it first).
	if len(t.events) > 1 && t.events[0].Kind == "customer" {
		t.events = append(t.events[1:], t.events[0])
	}
	return nil
}

// nodeGone reports whether the conversation waits on a menu or trail that
// the current flows no longer have (or that changed kind).
func (t *turn) nodeGone() bool {
	n := t.flow.Node(t.conv.Node)
	switch t.conv.State {
	case stateBrowsing:
		return n == nil || n.Type.Value != flows.KindMenu
	case stateAskingResolved:
		return n == nil || n.Type.Value != flows.KindTrail
	case stateChoosing:
		nodes, gone := t.intentNodes()
		return n == nil || n.Type.Value != flows.KindMenu || gone || len(nodes) == 0
	}
	return false
}

// onWithAgent handles a customer message while an Encantador holds the
// chat: it is on the ticket for them (the runtime noted it); an answer to
// an Aguardando resposta ticket puts it back to Aberto.
func (t *turn) onWithAgent() {
	if t.ticket.Status == store.StatusAguardando {
		t.ticket.Status = store.StatusAberto
		t.ticketChanged = true
		t.note("status", "bot", store.StatusAberto)
	}
}

func (t *turn) onQueued() {
	if t.conv.Attempts == 0 { // tell once; every message still lands on the ticket
		t.say(t.flow.File.Handoff.Waiting.Value, nil)
		t.conv.Attempts = 1
	}
}

// onMedia answers a media message, which is kept on the ticket whatever
// the state (the runtime noted it). While queued or with an agent, the
// customer hears once per burst that the Encantador will see it; in a
// trail, that text only moves the conversation on. A file turned away on
// arrival (over a cap) is answered with why, in every state.
func (t *turn) onMedia(in input) error {
	switch t.conv.State {
	case stateQueued, stateTicketComment, stateWithAgent:
		if in.refused() {
			t.say(t.flow.MediaText(flows.MediaTooBig), nil)
			return nil
		}
		return t.ackMedia()
	}
	if in.refused() {
		t.say(t.flow.MediaText(flows.MediaTooBig), nil)
	} else {
		t.say(t.flow.File.Texts.Media.Value, nil)
	}
	if t.conv.State != stateAskingID && t.conv.State != stateLeaving && t.conv.State != stateCommenting {
		t.prompt(t.conv.State) // show the options again; free-text states were just asked to write
	}
	return nil
}

func (t *turn) onTimer(kind string) error {
	if !waiting[t.conv.State] {
		return nil // stale: the conversation moved on or closed
	}
	txt := t.flow.File.Texts
	switch kind {
	case timerReminder:
		t.say(txt.Reminder.Value, nil)
		return nil
	case timerClose:
		t.say(txt.InactiveClosed.Value, nil)
		return t.close(reasonInactive, store.StatusResolvido)
	}
	return fmt.Errorf("unknown timer %q", kind)
}

// quit ends the conversation on the customer's word. In the queue the
// ticket stays open: leaving the line is not the problem being solved.
func (t *turn) quit() error {
	if t.conv.State == stateQueued {
		t.say(t.flow.File.Handoff.LeftQueue.Value, nil)
		return t.close("", store.StatusAberto)
	}
	t.say(t.flow.File.Texts.Goodbye.Value, nil)
	return t.close(reasonQuit, store.StatusResolvido)
}

func (t *turn) toMenu() error {
	if t.customer.IDSuporte == "" {
		return t.askID("")
	}
	if t.conv.State == stateQueued {
		t.say(t.flow.File.Handoff.LeftQueue.Value, nil)
	}
	return t.browse(t.flow.Root(), nil)
}

// back returns to the menu before the current one.
func (t *turn) back() error {
	if t.customer.IDSuporte == "" {
		return t.askID("")
	}
	path := t.conv.Path
	target := t.flow.Root()
	if t.conv.State == stateBrowsing && len(path) > 0 {
		target, path = path[len(path)-1], path[:len(path)-1]
	} else if t.conv.State == stateAskingResolved && len(path) > 0 {
		target, path = path[len(path)-1], path[:len(path)-1]
	} else if t.conv.State == stateChoosing {
		target = t.conv.Node // the menu the question was asked at
	}
	if t.flow.Menu(target) == nil {
		target, path = t.flow.Root(), nil
	}
	if t.conv.State == stateQueued {
		t.say(t.flow.File.Handoff.LeftQueue.Value, nil)
	}
	return t.browse(target, path)
}

func (t *turn) browse(node string, path []string) error {
	t.conv.Node = node
	t.conv.Path = path
	return t.act(evBrowse)
}

func (t *turn) askID(override string) error {
	t.conv.Attempts = 0
	t.conv.Node = ""
	t.override = override
	return t.act(evAskID)
}

// handOff is the handoff decision: the queue inside business hours,
// otherwise the hours, what is open, and the offer to leave a message.
func (t *turn) handOff() error {
	if t.customer.IDSuporte == "" {
		t.conv.Intent = intentHandoff
		return t.askID(t.flow.File.Handoff.NeedID.Value)
	}
	if t.conv.State == stateQueued {
		t.onQueued()
		return nil
	}
	if t.flow.Calendar.IsOpen(t.now) {
		t.conv.Attempts = 0
		return t.queue(true)
	}
	return t.act(evOffer)
}

func (t *turn) queue(announce bool) error {
	t.quiet = !announce // the message-left text already said everything
	return t.act(evQueue)
}

// enqueue puts the ticket in the human queue (an enter_queued callback).
func (t *turn) enqueue() {
	t.ticket.Status = store.StatusAberto
	if t.ticket.QueuedAt.IsZero() {
		t.ticket.QueuedAt = t.now
	}
	t.ticketChanged = true
	t.note("system", "bot", noteQueued)
}

// noteQueued marks, in a transcript, where the talk with people begins.
const noteQueued = store.NoteQueueEntered

// dequeue takes the ticket out of the queue (a leave_queued callback).
func (t *turn) dequeue() {
	t.ticket.QueuedAt = time.Time{}
	t.ticketChanged = true
	t.note("system", "bot", "cliente saiu da fila de atendimento")
}

// note adds a line to the ticket's transcript.
func (t *turn) note(kind, actor, text string) {
	t.events = append(t.events, store.TicketEvent{Kind: kind, Actor: actor, Text: text})
}

// close ends the conversation, leaving the ticket with status.
func (t *turn) close(reason, status string) error {
	if status == store.StatusResolvido && t.ticket.Status != store.StatusResolvido {
		t.ticket.ClosedAt = t.now
		t.ticket.CloseReason = reason
	}
	t.ticket.Status = status
	t.ticketChanged = true
	t.conv.Intent = ""
	return t.act(evClose)
}

func (t *turn) notUnderstood() error {
	if t.text != "" {
		t.unmatched(t.text)
	}
	t.say(t.flow.File.Texts.NotUnderstood.Value, nil)
	t.prompt(t.conv.State)
	return nil
}

// prompt says what a state asks; it is the enter_state callback and the
// repeat after "not understood".
func (t *turn) prompt(state string) {
	f := t.flow.File
	if t.quiet {
		t.quiet = false
		return
	}
	switch state {
	case stateAskingID:
		if t.override != "" {
			t.say(t.override, nil)
			t.override = ""
			return
		}
		t.say(f.IDSuporte.Ask.Value, nil)
	case stateConfirmingID:
		t.say(f.IDSuporte.WelcomeBack.Value, t.flow.KeepID())
	case stateBrowsing:
		n := t.flow.Node(t.conv.Node)
		t.say(n.Text.Value, t.flow.Menu(n.ID))
	case stateChoosing:
		t.promptChoose()
	case stateAskingResolved:
		t.say(f.Resolved.Question.Value, t.flow.ResolvedChoice())
	case stateRating:
		t.say(f.Feedback.Ask.Value, nil)
	case stateCommenting:
		t.say(f.Feedback.AskComment.Value, nil)
	case stateOffering:
		t.say(f.Handoff.Closed.Value, t.flow.OfferChoice())
	case stateLeaving:
		t.say(f.Handoff.WriteMessage.Value, nil)
	case stateQueued:
		t.say(f.Handoff.Queued.Value, nil)
		t.sayPosition(f.Queue.Position.Value)
	case stateTickets:
		t.promptTickets()
	case stateTicket:
		t.promptTicket()
	case stateTicketComment:
		t.sayWith(f.Tickets.AskComment.Value, flows.Vars{Protocolo: strconv.FormatInt(t.conv.Subject, 10)}, nil)
	}
}

// sayPosition tells a queued customer their place and the estimated wait.
func (t *turn) sayPosition(text string) {
	pos, wait, err := t.lookup.queuePosition(t.ticket)
	if err != nil {
		t.err = err
		return
	}
	if pos == 0 {
		return // not in the queue (anymore)
	}
	v := flows.Vars{Posicao: strconv.Itoa(pos), Espera: wait}
	if wait != "" {
		text = strings.TrimRight(text, "\n ") + "\n" + t.flow.File.Queue.Wait.Value
	}
	t.sayWith(text, v, nil)
	t.ticket.QueueNotifiedAt, t.ticket.QueueNotifiedPos = t.now, pos
	t.ticketChanged = true
}

// say queues one message, rendering placeholders and, for questions, the
// numbered options and the hint under them.
func (t *turn) say(text string, c *flows.Chooser) {
	t.sayWith(text, flows.Vars{}, c)
}

func (t *turn) sayWith(text string, v flows.Vars, c *flows.Chooser) {
	body := t.render(text, v)
	if c == nil {
		t.sayChoices(body, nil)
		return
	}
	labels := make([]string, c.Len())
	for i := range labels {
		labels[i] = c.Label(i)
	}
	t.sayChoices(body, labels)
}

// render fills text's placeholders: v's values first, then what the turn
// knows (protocol, ID Suporte, name, hours, next opening).
func (t *turn) render(text string, v flows.Vars) string {
	if v.Protocolo == "" {
		v.Protocolo = strconv.FormatInt(t.ticket.ID, 10)
	}
	if v.IDSuporte == "" {
		v.IDSuporte = t.customer.IDSuporte
	}
	v.Nome = cmp.Or(v.Nome, t.customer.Name)
	v.Horario = cmp.Or(v.Horario, t.flow.File.Calendar.Describe.Value)
	if v.ProximoAtendimento == "" && strings.Contains(text, "{proximo_atendimento}") {
		v.ProximoAtendimento = nextOpening(t.flow.Calendar, t.now)
	}
	return strings.TrimRight(flows.Render(text, v), "\n ")
}

// sayChoices queues body followed by numbered labels (if any) and the hint.
func (t *turn) sayChoices(body string, labels []string) {
	m := store.OutMsg{Chat: t.conv.Chat, Line: t.conv.Line, Ticket: t.ticket.ID, Author: "bot", CreatedAt: t.now}
	if len(labels) > 0 {
		var b strings.Builder
		b.WriteString(strings.TrimRight(body, "\n "))
		b.WriteString("\n")
		for i, l := range labels {
			key := strconv.Itoa(i + 1)
			fmt.Fprintf(&b, "\n%s. %s", key, l)
			m.Options = append(m.Options, store.Option{Key: key, Label: l})
		}
		if hint := strings.TrimSpace(t.flow.File.Texts.OptionsHint.Value); hint != "" {
			b.WriteString("\n\n")
			b.WriteString(hint)
		}
		body = b.String()
	}
	m.Text = body
	t.out = append(t.out, m)
}

// quoteID makes a rejected answer safe to echo: short and without
// WhatsApp formatting characters that would break the bold around it.
func quoteID(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune("*_~`\n\r", r) {
			return -1
		}
		return r
	}, s)
	return Truncate(s, 24)
}

// Truncate cuts s to at most n runes, marking the cut with "…" (agents'
// texts, comments, poll options: wherever a limit is not worth refusing).
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
