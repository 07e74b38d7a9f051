package bot

import (
	"io"
	"slices"
	"time"
)

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

	// Events that are not customer answers but still go through the inbox,
	// so they are durable, deduplicated and ordered with the rest.
	KindEdit   = "edit"    // the customer edited an earlier message: recorded, never answered
	KindFromMe = "from_me" // someone answered from the support phone: the bot steps back
	KindCall   = "call"    // a voice or video call, already rejected by the transport
)

// FileKind reports whether messages of kind carry a file to fetch.
func FileKind(kind string) bool {
	switch kind {
	case KindImage, KindVideo, KindAudio, KindSticker, KindDocument, KindContact:
		return true
	}
	return false
}

// MediaKinds lists the non-text kinds a transport may report.
var MediaKinds = []string{KindImage, KindVideo, KindAudio, KindSticker, KindDocument, KindLocation, KindContact}

// Written reports whether kind is something the customer sent (text or
// media), as opposed to an edit, a call or a message from the support
// phone. Only those open a conversation, count towards a flood and show
// as the customer's lines.
func Written(kind string) bool {
	return kind == KindText || slices.Contains(MediaKinds, kind)
}

// Inbound is one customer message as a transport hands it over.
type Inbound struct {
	Chat     string    // stable customer key (the LID on WhatsApp when known)
	ID       string    // transport message id: a repeated id is a redelivery
	Kind     string    // KindText or one of MediaKinds
	Text     string    // the text, or a media caption
	At       time.Time // when the customer sent it
	PushName string    // the name the customer set in WhatsApp, if any
	Phone    string    // phone number in international form, if known
	Media    *Media    // the file, place or contact card a media message carries, if the transport says
}

// Media is what a customer's media message carries. A file is recorded
// with the message and fetched afterwards (Ref), so receiving never waits
// for a download.
type Media struct {
	Name     string        // file name as sent (documents), or a place's or contact's name
	MIME     string        // the type the sender declared; the bytes decide what it is
	Bytes    int64         // declared size, 0 if unknown
	SHA256   []byte        // declared hash of the content, if the transport gives one
	Duration time.Duration // audio and video
	Voice    bool          // a voice note (PTT)
	Lat, Lng float64       // a location
	Ref      []byte        // the transport's own reference to fetch the file (again); nil: nothing to fetch
}

// Outbound is one message for a chat, in the order it must be delivered.
type Outbound struct {
	Seq     int64    // outbox id: increasing per chat
	Chat    string   // destination
	Text    string   // exactly as the customer will see it
	Options []Option // the numbered answers shown in Text, if it asks a question
	ID      string   // transport message id chosen before the first attempt, if the transport assigns them
	Poll    bool     // also offer Options as a poll (flows settings.menu_style: poll)
	File    *File    // a file to send, with Text as its caption
}

// File is a file the support side sends.
type File struct {
	Kind  string // KindImage, KindAudio, KindVideo or KindDocument
	Name  string
	Type  string // content type, sniffed from its bytes
	Bytes int64
	Voice bool // an Ogg/Opus audio sent as a voice note
	// Open reads the file; each call starts from the beginning.
	Open func() (io.ReadCloser, error)
}

// Sent is what a transport reports after delivering an Outbound.
type Sent struct {
	ID     string // the transport's id of the text message
	PollID string // the id of the poll sent with it, if any
}

// Option is one numbered answer of a menu or question.
type Option struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}
