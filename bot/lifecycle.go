package bot

import (
	"context"

	"github.com/looplab/fsm"

	"suporte/store"
)

// The conversation lifecycle around the trails. States are where the
// conversation waits; events are what moves it. The trail position (which
// menu, which trail) lives beside the state in Conversation.Node.
const (
	stateClosed         = store.ConversationClosed // no conversation: the next message starts one (retention relies on it)
	stateAskingID       = "asking_id"              // waiting for the ID Suporte
	stateConfirmingID   = "confirming_id"          // returning customer: keep or change the ID
	stateBrowsing       = "browsing"               // at a menu
	stateChoosing       = "choosing_topic"         // free text fit a few nodes: "É sobre X ou Y?"
	stateAskingResolved = "asking_resolved"        // trail sent: "did this solve it?"
	stateRating         = "rating"                 // waiting for the 1 to 5 rating
	stateCommenting     = "commenting"             // waiting for the optional comment
	stateOffering       = "offering_message"       // out of hours: leave a message, menu or finish
	stateLeaving        = "leaving_message"        // writing the message for the next business day
	stateQueued         = "queued"                 // waiting for an Encantador
	stateWithAgent      = "with_agent"             // an Encantador holds the chat: the bot keeps quiet
	stateTickets        = "tickets"                // choosing one of their tickets ("Meus chamados")
	stateTicket         = "ticket"                 // looking at one ticket: comment, back to the list
	stateTicketComment  = "ticket_comment"         // writing a comment for that ticket
)

const (
	evGreet       = "greet"        // new conversation, ID unknown
	evWelcomeBack = "welcome_back" // new conversation, ID known
	evAskID       = "ask_id"       // (re)ask the ID Suporte
	evBrowse      = "browse"       // show a menu
	evRead        = "read"         // send a trail and ask if it solved it
	evClarify     = "clarify"      // ask which of a few nodes the customer's words mean
	evSolve       = "solve"        // it did: ask the rating
	evRateLow     = "rate_low"     // a low rating: ask what to improve
	evQueue       = "queue"        // hand off to the human queue
	evOffer       = "offer"        // out of hours: offer to leave a message
	evWrite       = "write"        // the customer will write the message
	evClose       = "close"        // the conversation ends
	evAssign      = "assign"       // an Encantador takes the chat
	evRelease     = "release"      // the Encantador gives it back to the queue
	evList        = "list"         // show the customer's tickets
	evOpen        = "open"         // show one ticket
	evAnnotate    = "annotate"     // the customer will write a comment on it
)

// waiting are the states in which the bot waits for the customer and the
// inactivity timers run. In the queue it is the Encantadores who owe an
// answer, so no reminder goes out.
var waiting = map[string]bool{
	stateAskingID: true, stateConfirmingID: true, stateBrowsing: true, stateChoosing: true, stateAskingResolved: true,
	stateRating: true, stateCommenting: true, stateOffering: true, stateLeaving: true,
	stateTickets: true, stateTicket: true, stateTicketComment: true,
}

func lifecycleEvents() fsm.Events {
	open := []string{stateAskingID, stateConfirmingID, stateBrowsing, stateChoosing, stateAskingResolved,
		stateRating, stateCommenting, stateOffering, stateLeaving, stateQueued, stateWithAgent,
		stateTickets, stateTicket, stateTicketComment}
	return fsm.Events{
		{Name: evGreet, Src: []string{stateClosed}, Dst: stateAskingID},
		{Name: evWelcomeBack, Src: []string{stateClosed}, Dst: stateConfirmingID},
		{Name: evAskID, Src: open, Dst: stateAskingID},
		{Name: evBrowse, Src: append(open, stateClosed), Dst: stateBrowsing},
		// Free text enters a trail from wherever it is understood (route.go).
		// The first message may carry the ID Suporte and the topic at once.
		{Name: evRead, Src: []string{stateBrowsing, stateChoosing, stateAskingResolved, stateAskingID, stateConfirmingID, stateClosed}, Dst: stateAskingResolved},
		{Name: evClarify, Src: []string{stateBrowsing, stateChoosing, stateAskingResolved, stateAskingID, stateConfirmingID, stateClosed}, Dst: stateChoosing},
		{Name: evSolve, Src: []string{stateAskingResolved, stateWithAgent}, Dst: stateRating},
		{Name: evRateLow, Src: []string{stateRating}, Dst: stateCommenting},
		{Name: evQueue, Src: append(open, stateClosed), Dst: stateQueued},
		{Name: evOffer, Src: append(open, stateClosed), Dst: stateOffering},
		{Name: evWrite, Src: []string{stateOffering}, Dst: stateLeaving},
		{Name: evClose, Src: open, Dst: stateClosed},
		{Name: evAssign, Src: []string{stateQueued, stateWithAgent, stateClosed}, Dst: stateWithAgent},
		{Name: evRelease, Src: []string{stateWithAgent}, Dst: stateQueued},
		{Name: evList, Src: append(open, stateClosed), Dst: stateTickets},
		{Name: evOpen, Src: []string{stateTickets, stateTicket, stateTicketComment}, Dst: stateTicket},
		{Name: evAnnotate, Src: []string{stateTicket}, Dst: stateTicketComment},
	}
}

// lifecycleCallbacks render each state's prompt on entry and record the
// side effects of entering the queue or closing. They only change the
// turn in memory; the runtime writes it after the event returns.
func lifecycleCallbacks() fsm.Callbacks {
	return fsm.Callbacks{
		"enter_state": func(_ context.Context, e *fsm.Event) {
			e.Args[0].(*turn).prompt(e.Dst)
		},
		"enter_" + stateQueued: func(_ context.Context, e *fsm.Event) {
			e.Args[0].(*turn).enqueue()
		},
		"leave_" + stateChoosing: func(_ context.Context, e *fsm.Event) {
			// The topics asked about go with the question, unless it is
			// asked again about new ones (clarify set them already).
			if e.Event != evClarify {
				e.Args[0].(*turn).conv.Intent = ""
			}
		},
		"leave_" + stateQueued: func(_ context.Context, e *fsm.Event) {
			// An agent taking the chat keeps queued_at: waiting times are
			// measured from it, and a release returns the customer to
			// their place in line.
			if e.Event != evAssign {
				e.Args[0].(*turn).dequeue()
			}
		},
	}
}
