package bot

import "time"

// Kinds of inbound messages. Only text (and choices, which arrive as text)
// drive the trails; the others get a polite "text only" answer.
const (
	KindText     = "text"
	KindImage    = "image"
	KindVideo    = "video"
	KindAudio    = "audio"
	KindSticker  = "sticker"
	KindDocument = "document"
	KindLocation = "location"
	KindContact  = "contact"
)

// MediaKinds lists the non-text kinds a transport may report.
var MediaKinds = []string{KindImage, KindVideo, KindAudio, KindSticker, KindDocument, KindLocation, KindContact}

// Inbound is one customer message as a transport hands it over.
type Inbound struct {
	Chat     string    // stable customer key (the LID on WhatsApp when known)
	ID       string    // transport message id: a repeated id is a redelivery
	Kind     string    // KindText or one of MediaKinds
	Text     string    // the text, or a media caption
	At       time.Time // when the customer sent it
	PushName string    // the name the customer set in WhatsApp, if any
	Phone    string    // phone number in international form, if known
}

// Outbound is one message for a chat, in the order it must be delivered.
type Outbound struct {
	Seq     int64    // outbox id: increasing per chat
	Chat    string   // destination
	Text    string   // exactly as the customer will see it
	Options []Option // the numbered answers shown in Text, if it asks a question
}

// Option is one numbered answer of a menu or question.
type Option struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}
