package whatsapp

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"suporte/bot"
)

var (
	at        = time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	custPN    = types.NewJID("5547999990001", types.DefaultUserServer)
	custLID   = types.NewJID("187763245289510", types.HiddenUserServer)
	otherPN   = types.NewJID("5511988887777", types.DefaultUserServer)
	supportPN = types.NewJID("554735121777", types.DefaultUserServer)
)

// fakeDir is a LID map and a set of chat keys the runtime knows.
type fakeDir struct {
	pnOf  map[string]string // LID user -> phone-number user
	known map[string]bool
	err   error
}

func (d *fakeDir) GetLIDForPN(_ context.Context, pn types.JID) (types.JID, error) {
	if pn.Server != types.DefaultUserServer || pn.Device != 0 {
		return types.EmptyJID, errors.New("wrong server") // as whatsmeow's store does
	}
	for lid, p := range d.pnOf {
		if p == pn.User {
			return types.NewJID(lid, types.HiddenUserServer), d.err
		}
	}
	return types.EmptyJID, d.err
}

func (d *fakeDir) GetPNForLID(_ context.Context, lid types.JID) (types.JID, error) {
	if lid.Server != types.HiddenUserServer || lid.Device != 0 {
		return types.EmptyJID, errors.New("wrong server")
	}
	if p, ok := d.pnOf[lid.User]; ok {
		return types.NewJID(p, types.DefaultUserServer), d.err
	}
	return types.EmptyJID, d.err
}

func (d *fakeDir) Known(_ context.Context, chat string) (bool, error) { return d.known[chat], nil }

// incoming builds the event whatsmeow dispatches for raw arriving in a DM
// from sender: RawMessage unwrapped by UnwrapRaw, as message.go does.
func incoming(sender types.JID, id string, raw *waE2E.Message, edit ...func(*events.Message)) *events.Message {
	dev := sender
	dev.Device = 3 // Sender is a device JID; Chat never is
	evt := &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: sender.ToNonAD(), Sender: dev},
			ID:            id, PushName: "Maria", Timestamp: at, Type: "text",
		},
		RawMessage: raw,
	}
	for _, f := range edit {
		f(evt)
	}
	return evt.UnwrapRaw()
}

func withAlt(alt types.JID) func(*events.Message) {
	return func(e *events.Message) { e.Info.SenderAlt = alt }
}

func text(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }

func TestConvert(t *testing.T) {
	lidKey, phone := custLID.String(), "+"+custPN.User
	type want struct {
		v     verdict
		chat  string
		kind  string
		text  string
		phone string
	}
	tests := []struct {
		name string
		evt  *events.Message
		want want
	}{
		{"conversation from a LID chat with the phone number beside",
			incoming(custLID, "m1", text("oi"), withAlt(custPN)),
			want{deliver, lidKey, bot.KindText, "oi", phone}},
		{"phone-number chat with the LID beside",
			incoming(custPN, "m1", text("oi"), withAlt(custLID)),
			want{deliver, lidKey, bot.KindText, "oi", phone}},
		{"phone-number chat, LID unknown",
			incoming(otherPN, "m1", text("oi")),
			want{deliver, otherPN.String(), bot.KindText, "oi", "+" + otherPN.User}},
		{"phone-number chat, LID known from the map",
			incoming(custPN, "m1", text("oi")),
			want{deliver, lidKey, bot.KindText, "oi", phone}},
		{"LID chat, phone number known from the map",
			incoming(custLID, "m1", text("oi")),
			want{deliver, lidKey, bot.KindText, "oi", phone}},
		{"LID chat, phone number unknown",
			incoming(types.NewJID("999", types.HiddenUserServer), "m1", text("oi")),
			want{deliver, "999@lid", bot.KindText, "oi", ""}},
		{"extended text quoting a message",
			incoming(custLID, "m1", &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
				Text:        proto.String("2"),
				ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("3EB0AA"), QuotedMessage: text("menu")},
			}}),
			want{deliver, lidKey, bot.KindText, "2", phone}},
		{"disappearing-messages text",
			incoming(custLID, "m1", &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: text("oi")}}),
			want{deliver, lidKey, bot.KindText, "oi", phone}},
		{"image with caption",
			incoming(custLID, "m1", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("erro na nota"), Mimetype: proto.String("image/jpeg")}}),
			want{deliver, lidKey, bot.KindImage, "erro na nota", phone}},
		{"view-once image",
			incoming(custLID, "m1", &waE2E.Message{ViewOnceMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{}}}}),
			want{deliver, lidKey, bot.KindImage, "", phone}},
		{"video",
			incoming(custLID, "m1", &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Seconds: proto.Uint32(12)}}),
			want{deliver, lidKey, bot.KindVideo, "", phone}},
		{"voice note",
			incoming(custLID, "m1", &waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true), Seconds: proto.Uint32(7)}}),
			want{deliver, lidKey, bot.KindAudio, "", phone}},
		{"sticker",
			incoming(custLID, "m1", &waE2E.Message{StickerMessage: &waE2E.StickerMessage{}}),
			want{deliver, lidKey, bot.KindSticker, "", phone}},
		{"document with caption",
			incoming(custLID, "m1", &waE2E.Message{DocumentWithCaptionMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
				DocumentMessage: &waE2E.DocumentMessage{FileName: proto.String("nota.pdf"), Caption: proto.String("segue a nota")},
			}}}),
			want{deliver, lidKey, bot.KindDocument, "segue a nota", phone}},
		{"location",
			incoming(custLID, "m1", &waE2E.Message{LocationMessage: &waE2E.LocationMessage{
				DegreesLatitude: proto.Float64(-26.3), DegreesLongitude: proto.Float64(-48.8), Name: proto.String("Escritório"), Address: proto.String("Joinville"),
			}}),
			want{deliver, lidKey, bot.KindLocation, "Escritório, Joinville", phone}},
		{"live location",
			incoming(custLID, "m1", &waE2E.Message{LiveLocationMessage: &waE2E.LiveLocationMessage{DegreesLatitude: proto.Float64(-26.3)}}),
			want{deliver, lidKey, bot.KindLocation, "", phone}},
		{"contact",
			incoming(custLID, "m1", &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Contador"), Vcard: proto.String("BEGIN:VCARD...")}}),
			want{deliver, lidKey, bot.KindContact, "Contador", phone}},
		{"contact with numbers",
			incoming(custLID, "m1", &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Contador"),
				Vcard: proto.String("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Contador\r\nitem1.TEL;waid=554799990000:+55 47 9999-0000\r\nTEL;TYPE=work:+55 47 3333-0000\r\nEND:VCARD")}}),
			want{deliver, lidKey, bot.KindContact, "Contador, +55 47 9999-0000, +55 47 3333-0000", phone}},
		{"contacts",
			incoming(custLID, "m1", &waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{Contacts: []*waE2E.ContactMessage{
				{DisplayName: proto.String("Ana")}, {DisplayName: proto.String("Rui")},
			}}}),
			want{deliver, lidKey, bot.KindContact, "Ana, Rui", phone}},
		{"edit",
			incoming(custLID, "m2", &waE2E.Message{EditedMessage: &waE2E.FutureProofMessage{Message: &waE2E.Message{
				ProtocolMessage: &waE2E.ProtocolMessage{
					Type:          waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(),
					Key:           &waCommon.MessageKey{ID: proto.String("m1"), RemoteJID: proto.String(custLID.String())},
					EditedMessage: text("87654321"),
				},
			}}}, func(e *events.Message) { e.Info.Edit = types.EditAttributeMessageEdit }),
			want{deliver, lidKey, bot.KindEdit, "87654321", phone}},
		{"edit of a caption",
			incoming(custLID, "m2", &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
				Type:          waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(),
				EditedMessage: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("nova legenda")}},
			}}),
			want{deliver, lidKey, bot.KindEdit, "nova legenda", phone}},
		{"revoke",
			incoming(custLID, "m2", &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
				Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: &waCommon.MessageKey{ID: proto.String("m1")},
			}}, func(e *events.Message) { e.Info.Edit = types.EditAttributeSenderRevoke }),
			want{v: ignore}},
		{"reaction",
			incoming(custLID, "m2", &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍"), Key: &waCommon.MessageKey{ID: proto.String("3EB0AA")}}}),
			want{v: ignore}},
		{"protocol only (history sync notice)",
			incoming(custLID, "m2", &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_HISTORY_SYNC_NOTIFICATION.Enum()}}),
			want{v: ignore}},
		{"empty message",
			incoming(custLID, "m2", &waE2E.Message{}),
			want{v: ignore}},
		{"poll vote",
			incoming(custLID, "m2", &waE2E.Message{PollUpdateMessage: &waE2E.PollUpdateMessage{
				PollCreationMessageKey: &waCommon.MessageKey{ID: proto.String("3EB0POLL"), FromMe: proto.Bool(true)},
				Vote:                   &waE2E.PollEncValue{EncPayload: []byte{1}, EncIV: []byte{2}},
			}}),
			want{pollVote, lidKey, bot.KindText, "", phone}},
		{"group",
			incoming(types.NewJID("120363025246125888", types.GroupServer), "m1", text("oi"), func(e *events.Message) {
				e.Info.IsGroup, e.Info.Sender = true, custPN
			}),
			want{v: ignore}},
		{"status broadcast",
			incoming(types.StatusBroadcastJID, "m1", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{}}, func(e *events.Message) {
				e.Info.IsGroup, e.Info.Sender = true, custPN
			}),
			want{v: ignore}},
		{"broadcast list",
			incoming(types.NewJID("1700000000", types.BroadcastServer), "m1", text("promo"), func(e *events.Message) {
				e.Info.IsGroup, e.Info.Sender = true, custPN
			}),
			want{v: ignore}},
		{"newsletter",
			incoming(types.NewJID("120363144038483540", types.NewsletterServer), "m1", text("news")),
			want{v: ignore}},
		{"peer message to our own devices",
			incoming(custLID, "m1", text("x"), func(e *events.Message) { e.Info.Category = "peer" }),
			want{v: ignore}},
		{"from the support phone, in a phone-number chat",
			incoming(supportPN, "m3", &waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{
				DestinationJID: proto.String(custPN.String()), Message: text("Oi Maria, aqui é a Ana"),
			}}, func(e *events.Message) {
				e.Info.IsFromMe, e.Info.Chat, e.Info.RecipientAlt = true, custPN, custLID
			}),
			want{deliver, lidKey, bot.KindFromMe, "Oi Maria, aqui é a Ana", phone}},
		{"from the support phone, in a LID chat, a photo",
			incoming(supportPN, "m3", &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("veja")}}, func(e *events.Message) {
				e.Info.IsFromMe, e.Info.Chat = true, custLID
			}),
			want{deliver, lidKey, bot.KindFromMe, "veja", phone}},
		{"edit from the support phone",
			incoming(supportPN, "m3", &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
				Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), EditedMessage: text("corrigido"),
			}}, func(e *events.Message) { e.Info.IsFromMe, e.Info.Chat = true, custLID }),
			want{v: ignore}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := &fakeDir{pnOf: map[string]string{custLID.User: custPN.User}}
			in, v, err := convert(context.Background(), tt.evt, dir)
			if err != nil {
				t.Fatalf("convert: %v", err)
			}
			if v != tt.want.v {
				t.Fatalf("got verdict %d; want %d", v, tt.want.v)
			}
			if v == ignore {
				return
			}
			got := want{v, in.Chat, in.Kind, in.Text, in.Phone}
			if got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
			if in.ID != tt.evt.Info.ID || !in.At.Equal(at) {
				t.Errorf("got id %q at %v; want %q at %v", in.ID, in.At, tt.evt.Info.ID, at)
			}
			wantName := "Maria"
			if tt.evt.Info.IsFromMe {
				wantName = "" // that is our own name
			}
			if in.PushName != wantName {
				t.Errorf("got push name %q; want %q", in.PushName, wantName)
			}
		})
	}
}

// TestChatKeyOnePersonOneConversation follows a customer WhatsApp first
// shows by phone number only, then by LID once the mapping is known: they
// keep the key their conversation has.
func TestChatKeyOnePersonOneConversation(t *testing.T) {
	ctx := context.Background()
	dir := &fakeDir{pnOf: map[string]string{}, known: map[string]bool{}}

	first, _, err := convert(ctx, incoming(custPN, "m1", text("oi")), dir)
	if err != nil || first.Chat != custPN.String() {
		t.Fatalf("first message: chat %q, %v; want %q", first.Chat, err, custPN)
	}
	dir.known[first.Chat] = true // the runtime stored it

	dir.pnOf[custLID.User] = custPN.User // whatsmeow learns the pair
	for _, evt := range []*events.Message{
		incoming(custLID, "m2", text("12345678"), withAlt(custPN)),
		incoming(custLID, "m3", text("1")), // the map gives the phone number
		incoming(custPN, "m4", text("2")),  // the map gives the LID
	} {
		in, _, err := convert(ctx, evt, dir)
		if err != nil || in.Chat != first.Chat {
			t.Errorf("%s: chat %q, %v; want %q, the conversation's key", evt.Info.ID, in.Chat, err, first.Chat)
		}
	}

	// A new customer seen by both identities at once is keyed by the LID,
	// and stays there even when a later message names the phone number.
	newLID, newPN := types.NewJID("55500011", types.HiddenUserServer), types.NewJID("5547988880000", types.DefaultUserServer)
	in, _, _ := convert(ctx, incoming(newLID, "n1", text("oi"), withAlt(newPN)), dir)
	if in.Chat != newLID.String() {
		t.Fatalf("new customer keyed %q; want the LID", in.Chat)
	}
	dir.known[in.Chat] = true
	dir.pnOf[newLID.User] = newPN.User
	dir.known[newPN.String()] = true // even if the phone-number key has history too
	if in, _, _ := convert(ctx, incoming(newPN, "n2", text("1")), dir); in.Chat != newLID.String() {
		t.Errorf("later message keyed %q; want the LID", in.Chat)
	}
}

func TestConvertLookupFailure(t *testing.T) {
	dir := &fakeDir{err: errors.New("database is locked")}
	if _, _, err := convert(context.Background(), incoming(custPN, "m1", text("oi")), dir); err == nil {
		t.Error("a failed LID lookup was not reported: the message would be acked with a guessed key")
	}
}

func TestConvertCall(t *testing.T) {
	dir := &fakeDir{pnOf: map[string]string{custLID.User: custPN.User}}
	dev := custLID
	dev.Device = 7
	offer := &events.CallOffer{BasicCallMeta: types.BasicCallMeta{
		From: dev, Timestamp: at, CallCreator: dev, CallCreatorAlt: custPN, CallID: "CALL1",
	}}
	in, v, err := convertCall(context.Background(), offer, dir)
	want := bot.Inbound{Chat: custLID.String(), ID: "CALL1", Kind: bot.KindCall, At: at, Phone: "+" + custPN.User}
	if err != nil || v != deliver || in != want {
		t.Errorf("got %+v, %d, %v; want %+v", in, v, err, want)
	}
	offer.GroupJID = types.NewJID("120363025246125888", types.GroupServer)
	if _, v, _ := convertCall(context.Background(), offer, dir); v != ignore {
		t.Error("a group call was not ignored")
	}
}
