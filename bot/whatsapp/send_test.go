package whatsapp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"suporte/bot"
)

var menu = []bot.Option{{Key: "1", Label: "Notas fiscais"}, {Key: "2", Label: "Financeiro"}, {Key: "3", Label: "Boletos"}}

const menuText = "Sobre qual assunto você quer ajuda?\n\n1. Notas fiscais\n2. Financeiro\n3. Boletos"

func TestSendUsesTheChosenID(t *testing.T) {
	wa := newFakeWA()
	c := testClient(wa, &fakeDir{})
	sent, err := c.Send(context.Background(), bot.Outbound{Chat: custLID.String(), Text: "Olá!", ID: "3EB0CHOSEN"})
	if err != nil {
		t.Fatal(err)
	}
	if sent != (bot.Sent{ID: "3EB0CHOSEN"}) {
		t.Errorf("got %+v; want the chosen id and no poll", sent)
	}
	got := wa.sends[0]
	if got.ID != "3EB0CHOSEN" || got.To != custLID || got.Msg.GetConversation() != "Olá!" {
		t.Errorf("sent %q to %v: %v; want 3EB0CHOSEN to %v: Olá!", got.ID, got.To, got.Msg, custLID)
	}
	// No id chosen (a transport used without the outbox): one is made up.
	sent, err = c.Send(context.Background(), bot.Outbound{Chat: custPN.String(), Text: "x"})
	if err != nil || sent.ID != "3EB0FAKE0001" || wa.sends[1].To != custPN {
		t.Errorf("got %+v, %v to %v; want a generated id to %v", sent, err, wa.sends[1].To, custPN)
	}
	if id := c.NewMessageID(); id != "3EB0FAKE0002" {
		t.Errorf("NewMessageID = %q; want the client's next id", id)
	}
}

func TestSendErrors(t *testing.T) {
	other := errors.New("server returned error 479")
	tests := []struct {
		name    string
		chat    string
		failErr error
		want    error
	}{
		{"not connected", custLID.String(), whatsmeow.ErrNotConnected, ErrNotConnected},
		{"not paired", custLID.String(), whatsmeow.ErrNotLoggedIn, ErrNotPaired},
		{"no ack", custLID.String(), whatsmeow.ErrMessageTimedOut, ErrTimeout},
		{"anything else", custLID.String(), other, other},
		{"group", "120363025246125888@g.us", nil, ErrBadChat},
		{"device JID", "5547999990001:3@s.whatsapp.net", nil, ErrBadChat},
		{"not a JID", "", nil, ErrBadChat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wa := newFakeWA()
			wa.fail, wa.failErr = 1, tt.failErr
			c := testClient(wa, &fakeDir{})
			_, err := c.Send(context.Background(), bot.Outbound{Chat: tt.chat, Text: "x", ID: "3EB0X"})
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v; want %v", err, tt.want)
			}
			if err := c.Typing(context.Background(), tt.chat); tt.failErr == nil && !errors.Is(err, ErrBadChat) {
				t.Errorf("typing: got %v; want %v", err, ErrBadChat)
			}
		})
	}
}

func TestSendPoll(t *testing.T) {
	wa := newFakeWA()
	c := testClient(wa, &fakeDir{})
	m := bot.Outbound{Chat: custLID.String(), Text: menuText, ID: "3EB0MENU", Options: menu, Poll: true}
	sent, err := c.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if sent.ID != "3EB0MENU" || sent.PollID != pollIDFor("3EB0MENU") || len(wa.sends) != 2 {
		t.Fatalf("got %+v after %d sends; want the text, then the poll with its derived id", sent, len(wa.sends))
	}
	if wa.sends[0].Msg.GetConversation() != menuText {
		t.Errorf("first send is not the numbered text: %v", wa.sends[0].Msg)
	}
	poll := wa.sends[1].Msg.GetPollCreationMessage()
	var names []string
	for _, o := range poll.GetOptions() {
		names = append(names, o.GetOptionName())
	}
	if wa.sends[1].ID != sent.PollID || poll.GetName() != "Sobre qual assunto você quer ajuda?" ||
		!slices.Equal(names, []string{"1. Notas fiscais", "2. Financeiro", "3. Boletos"}) || poll.GetSelectableOptionsCount() != 1 {
		t.Errorf("poll %q %q (choose %d) id %s; want the first line, numbered options, single choice, id %s",
			poll.GetName(), names, poll.GetSelectableOptionsCount(), wa.sends[1].ID, sent.PollID)
	}
	if len(wa.sends[1].Msg.GetMessageContextInfo().GetMessageSecret()) != 32 {
		t.Error("poll without a message secret: votes could not be decrypted")
	}

	// A resend after a crash reuses both ids.
	again, _ := c.Send(context.Background(), m)
	if again != sent {
		t.Errorf("resend got %+v; want %+v", again, sent)
	}

	// The poll is an extra: when it fails, the text went out and counts.
	wa.failPolls = true
	m.ID = "3EB0MENU2"
	if sent, err := c.Send(context.Background(), m); err != nil || sent.PollID != "" || sent.ID != "3EB0MENU2" {
		t.Errorf("poll failure: got %+v, %v; want the text's id, no poll, no error", sent, err)
	}

	// Too many options for a poll: the text alone.
	wa.failPolls = false
	m.ID = "3EB0MENU3"
	m.Options = nil
	for i := range maxPollOptions + 1 {
		m.Options = append(m.Options, bot.Option{Key: string(rune('a' + i)), Label: "x"})
	}
	n := len(wa.sends)
	if sent, _ := c.Send(context.Background(), m); sent.PollID != "" || len(wa.sends) != n+1 {
		t.Errorf("13 options: got %+v and %d sends; want the text only", sent, len(wa.sends)-n)
	}
}

// vote builds the event of a customer's vote on our poll pollID.
func vote(id, pollID string, alt types.JID) *events.Message {
	return incoming(custLID, id, &waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{
		PollCreationMessageKey: &waCommon.MessageKey{ID: proto.String(pollID), FromMe: proto.Bool(true), RemoteJID: proto.String(custLID.String())},
		Vote:                   &waE2E.PollEncValue{EncPayload: []byte{1}, EncIV: []byte{2}},
	}}, withAlt(alt))
}

func hashOf(name string) []byte {
	h := sha256.Sum256([]byte(name))
	return h[:]
}

func TestPollVoteBecomesTheOptionKey(t *testing.T) {
	ctx := context.Background()
	pollID := pollIDFor("3EB0MENU")
	inbox := &fakeInbox{sent: map[string]bot.Outbound{
		"3EB0MENU": {Chat: custLID.String(), Text: menuText, ID: "3EB0MENU", Options: menu, Poll: true},
		pollID:     {Chat: custLID.String(), Text: menuText, ID: "3EB0MENU", Options: menu, Poll: true},
	}}
	wa := newFakeWA()
	c := testClient(wa, &fakeDir{pnOf: map[string]string{custLID.User: custPN.User}})

	wa.setVote(&waE2E.PollVoteMessage{SelectedOptions: [][]byte{hashOf("2. Financeiro")}})
	if !c.handle(ctx, inbox, vote("V1", pollID, custPN)) {
		t.Fatal("handler failed on a vote")
	}
	got := inbox.received()
	want := bot.Inbound{Chat: custLID.String(), ID: "V1", Kind: bot.KindText, Text: "2", At: at, PushName: "Maria", Phone: "+" + custPN.User}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v; want %+v", got, want)
	}

	// Decrypting with the sender's LID fails: the phone-number identity works.
	wa.voteErrs = 1
	wa.setVote(&waE2E.PollVoteMessage{SelectedOptions: [][]byte{hashOf("3. Boletos")}})
	c.handle(ctx, inbox, vote("V2", pollID, custPN))
	if got := inbox.received(); len(got) != 2 || got[1].Text != "3" {
		t.Errorf("after retrying with SenderAlt got %+v; want key 3", got)
	}
	if n := len(wa.decrypts); n != 3 || wa.decrypts[2].User != custPN.User {
		t.Errorf("decrypt attempts with %v; want the LID, then the phone number", wa.decrypts[1:])
	}

	for _, tt := range []struct {
		name string
		evt  *events.Message
		vote [][]byte
	}{
		{"withdrawn vote", vote("V3", pollID, custPN), nil},
		{"unknown option", vote("V4", pollID, custPN), [][]byte{hashOf("9. ?")}},
		{"someone else's poll", vote("V5", "3EB0OTHER", custPN), [][]byte{hashOf("1. Notas fiscais")}},
		{"a vote naming the text's id", vote("V6", "3EB0MENU", custPN), [][]byte{hashOf("1. Notas fiscais")}},
	} {
		wa.setVote(&waE2E.PollVoteMessage{SelectedOptions: tt.vote})
		if !c.handle(ctx, inbox, tt.evt) || len(inbox.received()) != 2 {
			t.Errorf("%s: got %+v; want it acked and ignored", tt.name, inbox.received()[2:])
		}
	}
}

func TestTypingAndMarkRead(t *testing.T) {
	ctx := context.Background()
	wa := newFakeWA()
	c := testClient(wa, &fakeDir{})
	if err := c.Typing(ctx, custLID.String()); err != nil {
		t.Fatal(err)
	}
	if len(wa.presences) != 1 || wa.presences[0] != (presenceCall{custLID, types.ChatPresenceComposing}) {
		t.Errorf("presences %+v; want composing to %v", wa.presences, custLID)
	}
	if err := c.MarkRead(ctx, custPN.String(), []string{"A1", "A2"}, at); err != nil {
		t.Fatal(err)
	}
	r := wa.reads[0]
	if !slices.Equal(r.IDs, []string{"A1", "A2"}) || !r.At.Equal(at) || r.Chat != custPN || r.Sender != custPN {
		t.Errorf("read %+v; want A1, A2 at %v in %v from %v", r, at, custPN, custPN)
	}
	if err := c.MarkRead(ctx, custPN.String(), nil, at); err != nil || len(wa.reads) != 1 {
		t.Errorf("no ids: %v, %d receipts; want nothing sent", err, len(wa.reads))
	}
}

func TestMessageForRetry(t *testing.T) {
	ctx := context.Background()
	inbox := &fakeInbox{sent: map[string]bot.Outbound{"3EB0A": {ID: "3EB0A", Text: "Olá!"}}}
	c := testClient(newFakeWA(), &fakeDir{})
	if m := c.messageForRetry(ctx, inbox, custLID, "3EB0A"); m.GetConversation() != "Olá!" {
		t.Errorf("got %v; want the stored text", m)
	}
	if m := c.messageForRetry(ctx, inbox, custLID, "3EB0NONE"); m != nil {
		t.Errorf("got %v for an unknown id; want nil", m)
	}
}

func TestHandlerRejectsAndRecordsCalls(t *testing.T) {
	wa := newFakeWA()
	inbox := &fakeInbox{}
	c := testClient(wa, &fakeDir{pnOf: map[string]string{custLID.User: custPN.User}})
	if !c.handle(context.Background(), inbox, callOffer("CALL1")) {
		t.Fatal("handler failed on a call")
	}
	got := inbox.received()
	if len(got) != 1 || got[0].Kind != bot.KindCall || got[0].ID != "CALL1" || got[0].Chat != custLID.String() {
		t.Errorf("received %+v; want the call, keyed by the caller", got)
	}
	if id := <-wa.rejected; id != "CALL1" {
		t.Errorf("rejected %q; want CALL1", id)
	}
	c.calls.Wait()
}

func TestHandlerReportsFailures(t *testing.T) {
	ctx := context.Background()
	c := testClient(newFakeWA(), &fakeDir{})
	if c.handle(ctx, &fakeInbox{err: errors.New("disk full")}, incoming(custLID, "m1", text("oi"))) {
		t.Error("a message that was not stored was reported handled: it would be acked and lost")
	}
	if c.handle(ctx, &fakeInbox{err: fmt.Errorf("receive: %w", bot.ErrStopping)}, incoming(custLID, "m2", text("oi"))) {
		t.Error("a message refused while stopping was reported handled: it would be acked and lost")
	}
	c.dir = &fakeDir{err: errors.New("database is locked")}
	if c.handle(ctx, &fakeInbox{}, incoming(custPN, "m1", text("oi"))) {
		t.Error("a failed lookup was reported handled")
	}
	if c.handle(ctx, &panicInbox{}, incoming(custLID, "m1", text("oi"))) {
		t.Error("a handler panic was reported handled")
	}
	if !c.handle(ctx, &fakeInbox{err: errors.New("disk full")}, &events.Receipt{}) {
		t.Error("a receipt, which is never stored, failed")
	}
}

func TestHandlerConnectionStates(t *testing.T) {
	tests := []struct {
		evt    any
		state  State
		until  bool
		stopOn bool // Run hears of it
	}{
		{&events.Connected{}, StateConnected, false, false},
		{&events.Disconnected{}, StateDisconnected, false, false},
		{&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureLoggedOut}, StateLoggedOut, false, true},
		{&events.StreamReplaced{}, StateStreamReplaced, false, true},
		{&events.ClientOutdated{}, StateOutdated, false, true},
		{&events.TemporaryBan{Code: events.TempBanSentTooManySameMessage, Expire: 3600e9}, StateBanned, true, true},
		{&events.ConnectFailure{Reason: events.ConnectFailureReason(499)}, StateDisconnected, false, true},
	}
	for _, tt := range tests {
		c := testClient(newFakeWA(), &fakeDir{})
		c.handle(context.Background(), &fakeInbox{}, tt.evt)
		st := c.Status()
		if st.State != tt.state || st.Until.IsZero() == tt.until || st.OK() != (tt.state == StateConnected) {
			t.Errorf("%T: status %+v; want %s", tt.evt, st, tt.state)
		}
		if got := len(c.perm) == 1; got != tt.stopOn {
			t.Errorf("%T: Run notified %v; want %v", tt.evt, got, tt.stopOn)
		}
	}
}

type panicInbox struct{ fakeInbox }

func (*panicInbox) Receive(context.Context, bot.Inbound) (bool, error) { panic("bug") }

func TestReconnectRetriesSends(t *testing.T) {
	c := testClient(newFakeWA(), &fakeDir{})
	inbox := &fakeInbox{}
	for _, evt := range []any{&events.Connected{}, &events.KeepAliveRestored{}, &events.Disconnected{}} {
		if !c.handle(context.Background(), inbox, evt) {
			t.Errorf("%T was reported failed", evt)
		}
	}
	c.calls.Wait()
	if inbox.retries != 2 {
		t.Errorf("RetrySends called %d times; want once per reconnection (2), not on a disconnect", inbox.retries)
	}
}
