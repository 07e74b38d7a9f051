package bot

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"suporte/flows"
	"suporte/store"
)

// "Meus chamados": customers list their tickets, read the latest messages
// of one and comment on it while it is Aberto or Aguardando resposta.

// maxListed is how many tickets the list shows: numbered answers beyond
// nine stop being one keystroke.
const maxListed = 9

// Statuses returns the ticket statuses in the order a ticket lives them.
func Statuses() []string {
	return []string{store.StatusAberto, store.StatusAguardando, store.StatusResolvido}
}

// statusLabels are the statuses as the help center names them: the one
// place they are spelled, for customers on WhatsApp and agents in the
// console alike.
var statusLabels = map[string]string{
	store.StatusAberto:     "Aberto",
	store.StatusAguardando: "Aguardando resposta",
	store.StatusResolvido:  "Resolvido",
}

// StatusLabel names a ticket status as the help center does; an unknown
// status is returned as it is.
func StatusLabel(status string) string { return cmp.Or(statusLabels[status], status) }

// otherTickets lists the customer's tickets except the one of this conversation.
func (t *turn) otherTickets() ([]store.Ticket, error) {
	all, err := t.lookup.tickets(t.conv.Chat, maxListed+1)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, tk := range all {
		if tk.ID != t.ticket.ID && len(out) < maxListed {
			out = append(out, tk)
		}
	}
	return out, nil
}

func (t *turn) listTickets() error {
	list, err := t.otherTickets()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		t.say(t.flow.File.Tickets.Empty.Value, nil)
		return t.browse(t.flow.Root(), nil)
	}
	t.conv.Subject = 0
	return t.act(evList)
}

// promptTickets renders the numbered list of tickets.
func (t *turn) promptTickets() {
	f := t.flow.File.Tickets
	list, err := t.otherTickets()
	if err != nil {
		t.err = err
		return
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(t.render(f.List.Value, flows.Vars{})))
	b.WriteString("\n")
	labels := make([]string, len(list))
	for i, tk := range list {
		labels[i] = strings.TrimSpace(t.render(f.Item.Value, t.ticketVars(tk)))
	}
	t.sayChoices(b.String(), labels)
}

func (t *turn) onTicketChoice(text string) error {
	list, err := t.otherTickets()
	if err != nil {
		return err
	}
	n := flows.Normalize(text)
	for i, tk := range list {
		if n == strconv.Itoa(i+1) || n == strconv.FormatInt(tk.ID, 10) {
			t.conv.Subject = tk.ID
			return t.act(evOpen)
		}
	}
	return t.notUnderstood()
}

// promptTicket shows one ticket: its header, its latest messages, and what
// the customer can do with it.
func (t *turn) promptTicket() {
	f := t.flow.File.Tickets
	tk, err := t.lookup.ticket(t.conv.Subject)
	if err != nil {
		t.err = err
		return
	}
	evs, err := t.lookup.events(tk.ID, 0)
	if err != nil {
		t.err = err
		return
	}
	// What the customer said to the bot (menu numbers...) is noise here:
	// show the talk with people, which starts when the ticket was queued.
	from := len(evs)
	for i, e := range evs {
		if e.Kind == "system" && e.Text == noteQueued {
			from = i
			break
		}
	}
	var lines []string
	for _, e := range evs[from:] {
		who := map[string]string{"customer": "Você", "agent": "Encantador"}[e.Kind]
		if e.Kind == "customer" && t.flow.Command(e.Text) != flows.CmdNone {
			continue // "sair", "menu": steering, not content
		}
		if who != "" {
			lines = append(lines, fmt.Sprintf("_%s, %s:_ %s", who, shortTime(e.At, t.flow.Calendar.Location), Truncate(oneLine(e.Text), 200)))
		}
	}
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	if len(lines) == 0 {
		lines = []string{strings.TrimSpace(f.NoMessages.Value)}
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(t.render(f.View.Value, t.ticketVars(tk))))
	b.WriteString("\n\n" + strings.Join(lines, "\n"))
	if tk.Status == store.StatusResolvido {
		b.WriteString("\n\n" + strings.TrimSpace(t.render(f.ResolvedNote.Value, flows.Vars{})))
		t.sayChoices(b.String(), []string{f.NewChat.Value, f.BackToList.Value})
		return
	}
	t.sayChoices(b.String(), []string{f.Comment.Value, f.BackToList.Value})
}

func (t *turn) onTicketAction(text string) error {
	tk, err := t.lookup.ticket(t.conv.Subject)
	if err != nil {
		return err
	}
	f := t.flow.File.Tickets
	first := f.Comment.Value
	if tk.Status == store.StatusResolvido {
		first = f.NewChat.Value
	}
	i, ok := flows.NewChooser([]string{first, f.BackToList.Value}, nil).Match(text)
	switch {
	case !ok:
		return t.notUnderstood()
	case i == 1:
		return t.listTickets()
	case tk.Status == store.StatusResolvido:
		return t.browse(t.flow.Root(), nil)
	}
	return t.act(evAnnotate)
}

// onTicketComment adds the customer's comment to the ticket they chose. A
// comment on an Aguardando resposta ticket reopens it for its agent.
func (t *turn) onTicketComment(text string) error {
	f := t.flow.File.Tickets
	tk, err := t.lookup.ticket(t.conv.Subject)
	if err != nil {
		return err
	}
	v := t.ticketVars(tk)
	if tk.Status == store.StatusResolvido {
		t.say(f.CommentClosed.Value, nil)
		return t.listTickets()
	}
	if strings.TrimSpace(text) == "" {
		return t.notUnderstood()
	}
	tk.LastActivityAt = t.now
	if tk.Status == store.StatusAguardando {
		tk.Status = store.StatusAberto
	}
	t.other = &tk
	t.otherEvents = append(t.otherEvents, store.TicketEvent{Ticket: tk.ID, Kind: "customer", Actor: t.conv.Chat, Text: Truncate(strings.TrimSpace(text), maxComment)})
	t.sayWith(f.CommentAdded.Value, v, nil)
	return t.listTickets()
}

// ticketVars fills the placeholders that describe a ticket.
func (t *turn) ticketVars(tk store.Ticket) flows.Vars {
	loc := t.flow.Calendar.Location
	return flows.Vars{
		Protocolo:       strconv.FormatInt(tk.ID, 10),
		Status:          StatusLabel(tk.Status),
		Solicitante:     tk.Requester,
		Criado:          shortDate(tk.CreatedAt, loc),
		UltimaAtividade: shortTime(tk.LastActivityAt, loc),
		Assunto:         cmp.Or(t.flow.Title(tk.Topic), "Falar com um Encantador"),
	}
}

func shortDate(ts time.Time, loc *time.Location) string { return ts.In(loc).Format("02/01/2006") }

func shortTime(ts time.Time, loc *time.Location) string { return ts.In(loc).Format("02/01 15:04") }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
