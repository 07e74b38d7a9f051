package whatsapp

import (
	"context"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"suporte/bot"
)

// directory answers who a WhatsApp user is: the LID and phone-number
// identities whatsmeow has seen paired (its lid_map), and whether the
// runtime already knows a chat key. Lookups are local database reads.
type directory interface {
	GetLIDForPN(ctx context.Context, pn types.JID) (types.JID, error)
	GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error)
	Known(ctx context.Context, chat string) (bool, error)
}

// verdict says what the handler does with a converted message.
type verdict int

const (
	ignore   verdict = iota // not for the runtime: ack it and move on
	deliver                 // hand the Inbound to the runtime
	pollVote                // a vote on a poll: its key must be looked up first
)

// convert turns a WhatsApp message into what the runtime receives. It only
// reads: the event and dir. Groups, broadcasts, status updates,
// newsletters, reactions, revokes and protocol-only messages are ignored.
func convert(ctx context.Context, evt *events.Message, dir directory) (bot.Inbound, verdict, error) {
	info := evt.Info
	m := evt.Message
	if m == nil || info.IsGroup || !personal(info.Chat) || info.Category == "peer" {
		return bot.Inbound{}, ignore, nil
	}
	in := bot.Inbound{ID: info.ID, At: info.Timestamp}
	v := deliver
	switch {
	case isEdit(evt):
		edited := m.GetProtocolMessage().GetEditedMessage()
		if edited == nil {
			edited = m // an EditedMessage wrapper around plain content
		}
		_, text := content(edited)
		if info.IsFromMe || text == "" {
			return bot.Inbound{}, ignore, nil
		}
		in.Kind, in.Text = bot.KindEdit, text
	case m.GetPollUpdateMessage() != nil:
		if info.IsFromMe {
			return bot.Inbound{}, ignore, nil
		}
		in.Kind, v = bot.KindText, pollVote
	default:
		kind, text := content(m)
		if kind == "" {
			return bot.Inbound{}, ignore, nil // revoke, reaction, keys, pins, anything without content
		}
		in.Kind, in.Text = kind, text
		if info.IsFromMe {
			in.Kind = bot.KindFromMe
		} else if kind != bot.KindText {
			in.Media = mediaOf(info, m)
		}
	}
	alt := info.SenderAlt
	if info.IsFromMe {
		alt = info.RecipientAlt // Chat is the customer; the sender is us
	} else if p := strings.TrimSpace(info.PushName); p != "-" {
		in.PushName = p
	}
	var err error
	in.Chat, in.Phone, err = chatKey(ctx, info.Chat, alt, dir)
	if err != nil {
		return bot.Inbound{}, ignore, fmt.Errorf("message %s: %w", info.ID, err)
	}
	return in, v, nil
}

// convertCall turns a 1:1 call offer into the Inbound the runtime answers
// with the flows' call text. Group calls are ignored.
func convertCall(ctx context.Context, evt *events.CallOffer, dir directory) (bot.Inbound, verdict, error) {
	caller := evt.CallCreator
	if caller.IsEmpty() {
		caller = evt.From
	}
	caller = caller.ToNonAD()
	if !evt.GroupJID.IsEmpty() || !personal(caller) || evt.CallID == "" {
		return bot.Inbound{}, ignore, nil
	}
	chat, phone, err := chatKey(ctx, caller, evt.CallCreatorAlt, dir)
	if err != nil {
		return bot.Inbound{}, ignore, fmt.Errorf("call %s: %w", evt.CallID, err)
	}
	return bot.Inbound{Chat: chat, ID: evt.CallID, Kind: bot.KindCall, At: evt.Timestamp, Phone: phone}, deliver, nil
}

// personal reports whether jid is one person's chat (by phone number or
// LID), not a group, broadcast, status, newsletter or bot.
func personal(jid types.JID) bool {
	return jid.User != "" && (jid.Server == types.DefaultUserServer || jid.Server == types.HiddenUserServer)
}

// isEdit reports whether evt edits an earlier message. whatsmeow unwraps
// the EditedMessage envelope and sets IsEdit; the content is then a
// ProtocolMessage of type MESSAGE_EDIT.
func isEdit(evt *events.Message) bool {
	pm := evt.Message.GetProtocolMessage()
	if pm != nil {
		return pm.GetType() == waE2E.ProtocolMessage_MESSAGE_EDIT
	}
	return evt.IsEdit
}

// content returns the kind and text (or caption) of a message, or an empty
// kind when it carries nothing a customer wrote.
func content(m *waE2E.Message) (kind, text string) {
	switch {
	case m.GetConversation() != "":
		return bot.KindText, m.GetConversation()
	case m.GetExtendedTextMessage() != nil:
		return nonEmpty(bot.KindText, m.GetExtendedTextMessage().GetText())
	case m.GetImageMessage() != nil:
		return bot.KindImage, m.GetImageMessage().GetCaption()
	case m.GetVideoMessage() != nil:
		return bot.KindVideo, m.GetVideoMessage().GetCaption()
	case m.GetPtvMessage() != nil: // round video note
		return bot.KindVideo, m.GetPtvMessage().GetCaption()
	case m.GetAudioMessage() != nil: // voice notes (PTT) too
		return bot.KindAudio, ""
	case m.GetStickerMessage() != nil:
		return bot.KindSticker, ""
	case m.GetDocumentMessage() != nil:
		return bot.KindDocument, m.GetDocumentMessage().GetCaption()
	case m.GetLocationMessage() != nil:
		l := m.GetLocationMessage()
		return bot.KindLocation, joinNonEmpty(l.GetName(), l.GetAddress())
	case m.GetLiveLocationMessage() != nil:
		return bot.KindLocation, m.GetLiveLocationMessage().GetCaption()
	case m.GetContactMessage() != nil:
		return bot.KindContact, contactText(m.GetContactMessage())
	case m.GetContactsArrayMessage() != nil:
		c := m.GetContactsArrayMessage()
		name := c.GetDisplayName()
		if name == "" {
			var names []string
			for _, one := range c.GetContacts() {
				names = append(names, contactText(one))
			}
			name = joinNonEmpty(names...)
		}
		return bot.KindContact, name
	// Replies to interactive messages, should a customer's client send one.
	case m.GetButtonsResponseMessage() != nil:
		return nonEmpty(bot.KindText, m.GetButtonsResponseMessage().GetSelectedDisplayText())
	case m.GetListResponseMessage() != nil:
		return nonEmpty(bot.KindText, m.GetListResponseMessage().GetTitle())
	case m.GetTemplateButtonReplyMessage() != nil:
		return nonEmpty(bot.KindText, m.GetTemplateButtonReplyMessage().GetSelectedDisplayText())
	}
	return "", ""
}

func nonEmpty(kind, text string) (string, string) {
	if strings.TrimSpace(text) == "" {
		return "", ""
	}
	return kind, text
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// chatKey returns the customer's key and phone number for a one-to-one
// chat, given the chat's JID and the other identity WhatsApp sent with it.
//
// The key is the LID ("123@lid") when it is known, so a customer stays one
// conversation when WhatsApp moves them from phone-number to LID
// addressing; else the phone-number JID ("5547...@s.whatsapp.net"). Both
// parse back with types.ParseJID for sending. A customer the runtime
// already knows by phone number, from before their LID was known, keeps
// that key: one person, one conversation.
func chatKey(ctx context.Context, chat, alt types.JID, dir directory) (key, phone string, err error) {
	var lid, pn types.JID
	switch chat.Server {
	case types.HiddenUserServer:
		lid = chat.ToNonAD()
		if alt.Server == types.DefaultUserServer {
			pn = alt.ToNonAD()
		}
	case types.DefaultUserServer:
		pn = chat.ToNonAD()
		if alt.Server == types.HiddenUserServer {
			lid = alt.ToNonAD()
		}
	default:
		return "", "", fmt.Errorf("chat %s is not a person", chat.Server)
	}
	if lid.IsEmpty() {
		if lid, err = dir.GetLIDForPN(ctx, pn); err != nil {
			return "", "", fmt.Errorf("look up LID: %w", err)
		}
	}
	if pn.IsEmpty() {
		if pn, err = dir.GetPNForLID(ctx, lid); err != nil {
			return "", "", fmt.Errorf("look up phone number: %w", err)
		}
	}
	if !pn.IsEmpty() {
		phone = "+" + pn.User
	}
	if lid.IsEmpty() {
		return pn.String(), phone, nil
	}
	if !pn.IsEmpty() {
		byLID, err := dir.Known(ctx, lid.String())
		if err != nil {
			return "", "", fmt.Errorf("look up chat: %w", err)
		}
		if !byLID {
			byPN, err := dir.Known(ctx, pn.String())
			if err != nil {
				return "", "", fmt.Errorf("look up chat: %w", err)
			}
			if byPN {
				return pn.String(), phone, nil
			}
		}
	}
	return lid.String(), phone, nil
}

// contactText is a contact card as the transcript shows it: the name and
// its phone numbers.
func contactText(c *waE2E.ContactMessage) string {
	return joinNonEmpty(append([]string{c.GetDisplayName()}, vcardPhones(c.GetVcard())...)...)
}

// vcardPhones returns the numbers of a vCard's TEL lines (WhatsApp writes
// them as item1.TEL;waid=...:+55 ...), at most five.
func vcardPhones(card string) []string {
	var out []string
	for line := range strings.Lines(card) {
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		k := strings.ToUpper(key)
		if !ok || !(k == "TEL" || strings.HasPrefix(k, "TEL;") || strings.Contains(k, ".TEL")) {
			continue
		}
		if v := strings.TrimSpace(val); v != "" && len(out) < 5 {
			out = append(out, v)
		}
	}
	return out
}
