package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"suporte/bot"
)

// fakeWA stands in for *whatsmeow.Client: it records what goes out and
// fails on demand.
type fakeWA struct {
	mu        sync.Mutex
	sends     []sendCall
	attempts  []string // the id of every text send, failed or not
	presences []presenceCall
	reads     []readCall
	rejects   []string
	decrypts  []types.JID // the sender each DecryptPollVote saw
	ids       int
	fail      int   // SendMessage calls still to fail
	failErr   error // their error (whatsmeow.ErrNotConnected by default)
	failPolls bool  // fail poll sends
	vote      *waE2E.PollVoteMessage
	voteErrs  int // DecryptPollVote calls still to fail
	sent      chan sendCall
	rejected  chan string
}

type sendCall struct {
	To  types.JID
	ID  string
	Msg *waE2E.Message
}

type presenceCall struct {
	To    types.JID
	State types.ChatPresence
}

type readCall struct {
	IDs          []string
	At           time.Time
	Chat, Sender types.JID
}

func newFakeWA() *fakeWA {
	return &fakeWA{sent: make(chan sendCall, 100), rejected: make(chan string, 10)}
}

func (f *fakeWA) SendMessage(_ context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(extra) != 1 || extra[0].ID == "" {
		return whatsmeow.SendResponse{}, errors.New("fake: send without a chosen id")
	}
	if to.Device != 0 {
		return whatsmeow.SendResponse{}, whatsmeow.ErrRecipientADJID
	}
	if msg.GetPollCreationMessage() == nil {
		f.attempts = append(f.attempts, extra[0].ID)
	}
	if (msg.GetPollCreationMessage() != nil && f.failPolls) || (msg.GetPollCreationMessage() == nil && f.fail > 0) {
		if msg.GetPollCreationMessage() == nil {
			f.fail--
		}
		if f.failErr != nil {
			return whatsmeow.SendResponse{}, f.failErr
		}
		return whatsmeow.SendResponse{}, fmt.Errorf("failed to send: %w", whatsmeow.ErrNotConnected)
	}
	c := sendCall{To: to, ID: extra[0].ID, Msg: msg}
	f.sends = append(f.sends, c)
	f.sent <- c
	return whatsmeow.SendResponse{ID: extra[0].ID, Timestamp: time.Now()}, nil
}

func (f *fakeWA) SendChatPresence(_ context.Context, jid types.JID, state types.ChatPresence, _ types.ChatPresenceMedia) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.presences = append(f.presences, presenceCall{jid, state})
	return nil
}

func (f *fakeWA) MarkRead(_ context.Context, ids []types.MessageID, at time.Time, chat, sender types.JID, _ ...types.ReceiptType) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, readCall{ids, at, chat, sender})
	return nil
}

func (f *fakeWA) BuildPollCreation(name string, options []string, selectable int) *waE2E.Message {
	return (*whatsmeow.Client)(nil).BuildPollCreation(name, options, selectable) // pure: builds the proto
}

func (f *fakeWA) DecryptPollVote(_ context.Context, vote *events.Message) (*waE2E.PollVoteMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decrypts = append(f.decrypts, vote.Info.Sender)
	if f.voteErrs > 0 {
		f.voteErrs--
		return nil, errors.New("failed to decrypt secret message: cipher: message authentication failed")
	}
	if f.vote == nil {
		return nil, whatsmeow.ErrOriginalMessageSecretNotFound
	}
	return f.vote, nil
}

func (f *fakeWA) RejectCall(_ context.Context, from types.JID, callID string) error {
	f.mu.Lock()
	f.rejects = append(f.rejects, callID)
	f.mu.Unlock()
	f.rejected <- callID
	return nil
}

func (f *fakeWA) GenerateMessageID() types.MessageID {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids++
	return fmt.Sprintf("3EB0FAKE%04d", f.ids)
}

func (f *fakeWA) DownloadToFile(context.Context, whatsmeow.DownloadableMessage, whatsmeow.File) error {
	return errors.New("fake: no media server")
}

func (f *fakeWA) SendMediaRetryReceipt(context.Context, *types.MessageInfo, []byte) error {
	return whatsmeow.ErrNotLoggedIn
}

func (f *fakeWA) UploadReader(context.Context, io.Reader, io.ReadWriteSeeker, whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	return whatsmeow.UploadResponse{}, errors.New("fake: no media server")
}

func (f *fakeWA) failNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = n
}

// snapshot returns what was sent, read and attempted so far.
func (f *fakeWA) snapshot() ([]sendCall, []readCall, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sends), slices.Clone(f.reads), slices.Clone(f.attempts)
}

func callOffer(id string) *events.CallOffer {
	return &events.CallOffer{BasicCallMeta: types.BasicCallMeta{From: custLID, CallCreator: custLID, CallID: id, Timestamp: time.Now()}}
}

func (f *fakeWA) setVote(v *waE2E.PollVoteMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vote = v
}

// next waits for the next message sent, failing rather than hanging.
func (f *fakeWA) next(t *testing.T) sendCall {
	t.Helper()
	select {
	case c := <-f.sent:
		return c
	case <-time.After(time.Minute): // fake time in synctest bubbles
		t.Fatal("no message sent")
		return sendCall{}
	}
}

// fakeInbox records what reaches the runtime and knows what was sent.
type fakeInbox struct {
	mu      sync.Mutex
	got     []bot.Inbound
	sent    map[string]bot.Outbound // by text id and poll id
	err     error
	retries int // RetrySends calls
}

func (b *fakeInbox) RetrySends(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.retries++
	return nil
}

func (b *fakeInbox) Receive(_ context.Context, in bot.Inbound) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return false, b.err
	}
	for _, g := range b.got {
		if g.Chat == in.Chat && g.ID == in.ID {
			return true, nil
		}
	}
	b.got = append(b.got, in)
	return false, nil
}

func (b *fakeInbox) Sent(_ context.Context, id string) (bot.Outbound, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out, ok := b.sent[id]
	return out, ok, nil
}

func (b *fakeInbox) received() []bot.Inbound {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bot.Inbound(nil), b.got...)
}

// testClient is a Client over fakes, without a connection.
func testClient(wa waClient, dir directory) *Client {
	return newClient(Config{Log: zerolog.Nop(), Now: func() time.Time { return at }}, "554735121777", wa, dir, nil)
}
