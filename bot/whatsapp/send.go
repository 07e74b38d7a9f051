package whatsapp

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"suporte/bot"
)

// Errors Send, Typing and MarkRead wrap, for the runtime's logs and retries.
var (
	ErrNotConnected = errors.New("whatsapp is not connected")
	ErrNotPaired    = errors.New("whatsapp is not paired")
	ErrTimeout      = errors.New("whatsapp did not confirm the message in time")
	ErrBadChat      = errors.New("not a WhatsApp chat")
)

// WhatsApp's limits on polls.
const (
	maxPollOptions  = 12
	maxPollName     = 255 // runes
	maxPollOption   = 100 // runes
	onlineWaitLimit = 10 * time.Second
)

// Send delivers m's text, with the id the runtime chose for it, and then
// its options as a poll when asked. It tries once: the runtime retries.
// The poll only adds to a text that already lists the numbered options,
// so a poll that fails to go out is logged, not retried.
func (c *Client) Send(ctx context.Context, m bot.Outbound) (bot.Sent, error) {
	to, err := parseChat(m.Chat)
	if err != nil {
		return bot.Sent{}, err
	}
	id := m.ID
	if id == "" {
		id = c.wa.GenerateMessageID()
	}
	c.waitOnline()
	if m.File != nil {
		return c.sendFile(ctx, to, id, m)
	}
	resp, err := c.wa.SendMessage(ctx, to, textMessage(m.Text), whatsmeow.SendRequestExtra{ID: id})
	if err != nil {
		return bot.Sent{}, fmt.Errorf("send %s: %w", id, sendError(err))
	}
	sent := bot.Sent{ID: cmp.Or(resp.ID, id)}
	if !m.Poll {
		return sent, nil
	}
	poll := c.buildPoll(m)
	if poll == nil {
		return sent, nil
	}
	pollID := pollIDFor(sent.ID)
	if _, err := c.wa.SendMessage(ctx, to, poll, whatsmeow.SendRequestExtra{ID: pollID}); err != nil {
		c.log.Warn().Err(sendError(err)).Str("msg_id", sent.ID).Msg("send menu poll; the numbered text went out")
		return sent, nil
	}
	sent.PollID = pollID
	return sent, nil
}

// NewMessageID returns a fresh WhatsApp message id, which the runtime
// stores before the first attempt.
func (c *Client) NewMessageID() string { return c.wa.GenerateMessageID() }

// Typing shows "typing..." in chat until the next message arrives.
func (c *Client) Typing(ctx context.Context, chat string) error {
	to, err := parseChat(chat)
	if err != nil {
		return err
	}
	if err := c.wa.SendChatPresence(ctx, to, types.ChatPresenceComposing, types.ChatPresenceMediaText); err != nil {
		return fmt.Errorf("typing: %w", sendError(err))
	}
	return nil
}

// MarkRead gives the customer's messages ids the blue ticks.
func (c *Client) MarkRead(ctx context.Context, chat string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	to, err := parseChat(chat)
	if err != nil {
		return err
	}
	if err := c.wa.MarkRead(ctx, ids, at, to, to); err != nil {
		return fmt.Errorf("mark read: %w", sendError(err))
	}
	return nil
}

// waitOnline gives a short reconnection (a server restart, the login
// after pairing) the chance to finish before a send fails on it.
func (c *Client) waitOnline() {
	if c.cli != nil && !c.cli.IsLoggedIn() && c.cli.Store.ID != nil {
		c.cli.WaitForConnection(onlineWaitLimit)
	}
}

// parseChat turns a chat key back into the JID to send to.
func parseChat(chat string) (types.JID, error) {
	jid, err := types.ParseJID(chat)
	if err != nil || !personal(jid) || jid.Device != 0 {
		return types.JID{}, ErrBadChat // the chat is not in the error: it may be a phone number
	}
	return jid, nil
}

// sendError names whatsmeow's failures in the runtime's terms.
func sendError(err error) error {
	switch {
	case errors.Is(err, whatsmeow.ErrNotConnected):
		return ErrNotConnected
	case errors.Is(err, whatsmeow.ErrNotLoggedIn):
		return ErrNotPaired
	case errors.Is(err, whatsmeow.ErrMessageTimedOut):
		return ErrTimeout
	}
	return err
}

// textMessage is a plain text message: no link preview, no quote.
func textMessage(text string) *waE2E.Message {
	return &waE2E.Message{Conversation: proto.String(text)}
}

// buildPoll offers m's options as a single-choice poll named after the
// text's first line, or returns nil when they don't fit in one.
func (c *Client) buildPoll(m bot.Outbound) *waE2E.Message {
	if len(m.Options) < 2 || len(m.Options) > maxPollOptions {
		return nil
	}
	return c.wa.BuildPollCreation(pollName(m.Text), pollOptions(m.Options), 1)
}

// pollName is the first non-empty line of text, cut to WhatsApp's limit.
func pollName(text string) string {
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			return bot.Truncate(line, maxPollName)
		}
	}
	return "?"
}

// pollOptions names each option as the text shows it: "1. Label". A vote
// carries hashes of these names, so they must come out the same when the
// vote is read back.
func pollOptions(opts []bot.Option) []string {
	names := make([]string, len(opts))
	for i, o := range opts {
		names[i] = bot.Truncate(o.Key+". "+o.Label, maxPollOption)
	}
	return names
}

// pollIDFor derives the poll's id from its text's, so a resend after a
// crash reuses both. Same shape as whatsmeow's ids.
func pollIDFor(textID string) string {
	h := sha256.Sum256([]byte("suporte poll " + textID))
	return whatsmeow.WebMessageIDPrefix + strings.ToUpper(hex.EncodeToString(h[:9]))
}

// voteKey reads a poll vote: the key of the option chosen on one of our
// polls. ok is false for votes to read no further (someone else's poll, a
// withdrawn vote, a vote that cannot be decrypted); err means try again.
func (c *Client) voteKey(ctx context.Context, inbox Inbox, evt *events.Message) (key string, ok bool, err error) {
	pollID := evt.Message.GetPollUpdateMessage().GetPollCreationMessageKey().GetID()
	out, found, err := inbox.Sent(ctx, pollID)
	if err != nil {
		return "", false, err
	}
	if !found || !out.Poll || pollID == out.ID {
		return "", false, nil
	}
	vote, err := c.wa.DecryptPollVote(ctx, evt)
	if err != nil && !evt.Info.SenderAlt.IsEmpty() {
		// The secret's key may be derived from the other identity
		// (LID vs phone number) than the one the vote came from.
		alt := *evt
		alt.Info.Sender = evt.Info.SenderAlt
		vote, err = c.wa.DecryptPollVote(ctx, &alt)
	}
	if err != nil {
		c.log.Warn().Err(err).Str("msg_id", evt.Info.ID).Msg("decrypt poll vote; ignoring it")
		return "", false, nil
	}
	hashes := whatsmeow.HashPollOptions(pollOptions(out.Options))
	for _, sel := range vote.GetSelectedOptions() {
		for i, h := range hashes {
			if bytes.Equal(sel, h) {
				return out.Options[i].Key, true, nil
			}
		}
	}
	return "", false, nil // withdrawn, or not an option we sent
}

// messageForRetry rebuilds a message we sent when a recipient's device
// could not decrypt it and whatsmeow no longer has it in memory.
func (c *Client) messageForRetry(ctx context.Context, inbox Inbox, to types.JID, id types.MessageID) *waE2E.Message {
	out, ok, err := inbox.Sent(ctx, id)
	if err != nil {
		c.log.Warn().Err(err).Str("msg_id", id).Msg("find message to resend")
		return nil
	}
	if m := c.sentMedia.get(id); m != nil {
		return m
	}
	switch {
	case !ok:
		return nil
	case id == out.ID:
		return textMessage(out.Text)
	case out.Poll && id == pollIDFor(out.ID) && c.secrets != nil && c.cli != nil:
		// Votes are encrypted with the poll's secret: resend the same one.
		secret, _, err := c.secrets.GetMessageSecret(ctx, to, c.cli.Store.GetJID(), id)
		poll := c.buildPoll(out)
		if err != nil || secret == nil || poll == nil {
			return nil
		}
		poll.MessageContextInfo.MessageSecret = secret
		return poll
	}
	return nil
}
