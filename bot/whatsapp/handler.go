package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"suporte/bot"
)

// rejectTimeout bounds the network call that rejects a call.
const rejectTimeout = 15 * time.Second

// register wires the client to inbox for as long as ctx lives: the event
// handler, resends, and whatsmeow's background context.
func (c *Client) register(ctx context.Context, inbox Inbox) {
	c.cli.BackgroundEventCtx = c.log.WithContext(ctx)
	c.cli.GetMessageForRetry = func(requester, to types.JID, id types.MessageID) *waE2E.Message {
		return c.messageForRetry(ctx, inbox, to, id)
	}
	c.cli.AddEventHandlerWithSuccessStatus(func(evt any) bool { return c.handle(ctx, inbox, evt) })
}

// handle is whatsmeow's event handler. It runs on whatsmeow's event
// goroutine and returns false only when a message could not be made
// durable: WhatsApp then gets no ack and delivers it again.
func (c *Client) handle(ctx context.Context, inbox Inbox, evt any) (ok bool) {
	defer func() {
		// whatsmeow recovers a panicking handler but then acks the event
		// as handled: say it failed, so the message is not lost.
		if p := recover(); p != nil {
			c.log.Error().Interface("panic", p).Str("event", fmt.Sprintf("%T", evt)).Bytes("stack", debug.Stack()).Msg("event handler panicked")
			ok = false
		}
	}()
	switch e := evt.(type) {
	case *events.Message:
		return c.onMessage(ctx, inbox, e)
	case *events.CallOffer:
		return c.onCall(ctx, inbox, e)
	case *events.Connected:
		c.status.set(StateConnected, "", time.Time{})
		c.retrySends(ctx, inbox)
	case *events.Disconnected:
		c.status.set(StateDisconnected, "connection lost; reconnecting", time.Time{})
	case *events.PairSuccess:
		c.log.Info().Str("platform", e.Platform).Bool("business_app", e.BusinessName != "").Msg("paired with the phone")
		c.status.set(StateConnecting, "paired; logging in", time.Time{})
	case *events.KeepAliveTimeout:
		// whatsmeow reconnects once pings have failed for a few minutes.
		c.log.Debug().Int("errors", e.ErrorCount).Time("last_success", e.LastSuccess).Msg("whatsapp keepalive failed")
		c.status.set(StateDisconnected, "not answering pings", time.Time{})
	case *events.KeepAliveRestored:
		c.status.set(StateConnected, "", time.Time{})
		c.retrySends(ctx, inbox)
	case *events.OfflineSyncPreview:
		c.log.Info().Int("messages", e.Messages).Int("receipts", e.Receipts).Int("total", e.Total).Msg("receiving what arrived while offline")
	case *events.OfflineSyncCompleted:
		c.log.Info().Int("count", e.Count).Msg("caught up with what arrived while offline")
	case *events.UndecryptableMessage:
		// whatsmeow already asked the sender to retry; the message comes
		// back as an events.Message if that works.
		c.log.Warn().Str("msg_id", e.Info.ID).Bool("unavailable", e.IsUnavailable).Msg("could not decrypt a message; asked for it again")
	case *events.MediaRetry:
		c.retries.deliver(e)
	case *events.StreamError:
		c.log.Warn().Str("code", e.Code).Msg("whatsapp stream error")
	case events.PermanentDisconnect:
		c.permanent(e)
	}
	return true
}

// onMessage converts and persists one message.
func (c *Client) onMessage(ctx context.Context, inbox Inbox, evt *events.Message) bool {
	if c.isSelf(evt.Info.Chat) {
		return true // notes to self, keys shared with our own devices
	}
	in, v, err := convert(ctx, evt, c.dir)
	if err != nil {
		c.log.Error().Err(err).Str("msg_id", evt.Info.ID).Msg("convert message; WhatsApp will deliver it again")
		return false
	}
	switch v {
	case ignore:
		c.log.Trace().Str("msg_id", evt.Info.ID).Str("type", evt.Info.Type).Msg("ignored message")
		return true
	case pollVote:
		key, ok, err := c.voteKey(ctx, inbox, evt)
		if err != nil {
			c.log.Error().Err(err).Str("msg_id", evt.Info.ID).Msg("read poll vote; WhatsApp will deliver it again")
			return false
		}
		if !ok {
			return true
		}
		in.Text = key
	}
	return c.receive(ctx, inbox, in)
}

// onCall rejects a one-to-one call and records it, so the runtime answers
// with the flows' call text.
//
// The record is made here, before returning: whatsmeow acks a call offer
// whatever the handler says, so a record left to later could be lost for
// good. Rejecting is network IO, so it runs beside, on its own goroutine.
// Rejecting is one frame; the runtime's answer queues behind typing pacing
// and the rate limit, so the caller sees the call end before the text.
func (c *Client) onCall(ctx context.Context, inbox Inbox, evt *events.CallOffer) bool {
	in, v, err := convertCall(ctx, evt, c.dir)
	if err != nil {
		c.log.Error().Err(err).Str("call_id", evt.CallID).Msg("convert call")
		return false
	}
	if v == ignore {
		return true
	}
	from, id := evt.From, evt.CallID
	c.calls.Go(func() {
		rctx, cancel := context.WithTimeout(ctx, rejectTimeout)
		defer cancel()
		if err := c.wa.RejectCall(rctx, from, id); err != nil {
			c.log.Warn().Err(err).Str("call_id", id).Msg("reject call")
			return
		}
		c.log.Info().Str("call_id", id).Msg("rejected a call")
	})
	return c.receive(ctx, inbox, in)
}

// retrySends has the replies that failed while the connection was down
// sent now. It writes to the store, so it runs beside the event goroutine.
func (c *Client) retrySends(ctx context.Context, inbox Inbox) {
	c.calls.Go(func() {
		if err := inbox.RetrySends(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn().Err(err).Msg("retry sends after reconnecting; they go at their backoff")
		}
	})
}

// receive hands in to the runtime and reports whether it is durable.
func (c *Client) receive(ctx context.Context, inbox Inbox, in bot.Inbound) bool {
	dup, err := inbox.Receive(ctx, in)
	if errors.Is(err, bot.ErrStopping) {
		c.log.Info().Str("msg_id", in.ID).Msg("stopping: message left to WhatsApp, which delivers it again")
		return false
	}
	if err != nil {
		c.log.Error().Err(err).Str("msg_id", in.ID).Msg("store message; WhatsApp will deliver it again")
		return false
	}
	c.log.Debug().Str("msg_id", in.ID).Str("kind", in.Kind).Str("chat", in.Chat).Bool("dup", dup).Msg("received")
	return true
}

// isSelf reports whether jid is the support account itself.
func (c *Client) isSelf(jid types.JID) bool {
	if c.cli == nil || c.cli.Store == nil {
		return false
	}
	own, lid := c.cli.Store.GetJID(), c.cli.Store.GetLID()
	return (!own.IsEmpty() && jid.User == own.User && jid.Server == own.Server) ||
		(!lid.IsEmpty() && jid.User == lid.User && jid.Server == lid.Server)
}

// permanent reports a disconnect whatsmeow will not recover from to Run.
func (c *Client) permanent(e events.PermanentDisconnect) {
	state, reason := permanentState(e)
	var until time.Time
	if b, ok := e.(*events.TemporaryBan); ok && b.Expire > 0 {
		until = c.cfg.Now().Add(b.Expire)
	}
	c.status.set(state, reason, until)
	select {
	case c.perm <- e:
	default: // Run has enough to stop on
	}
}

// permanentState maps a permanent disconnect to a state and its reason.
func permanentState(e events.PermanentDisconnect) (State, string) {
	switch e := e.(type) {
	case *events.LoggedOut:
		if !e.OnConnect {
			return StateLoggedOut, "the device was removed on the phone"
		}
		return StateLoggedOut, e.Reason.String()
	case *events.StreamReplaced:
		return StateStreamReplaced, "another client connected with this session"
	case *events.ClientOutdated:
		return StateOutdated, "client outdated (405)"
	case *events.TemporaryBan:
		return StateBanned, e.Code.String()
	}
	return StateDisconnected, e.PermanentDisconnectDescription()
}
