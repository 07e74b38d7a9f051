package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// Who wrote a message shown by the Phone.
const (
	FromCustomer = "customer" // typed on the simulated phone
	FromSupport  = "support"  // the bot or an agent: on WhatsApp both are the support number
)

// Message is one bubble of a simulated chat.
type Message struct {
	Seq     int64        `json:"seq,omitempty"` // outbox id of a support message: increasing per chat
	ID      string       `json:"id,omitempty"`  // message id of a customer message
	Chat    string       `json:"chat"`
	From    string       `json:"from"`           // FromCustomer or FromSupport
	Kind    string       `json:"kind,omitempty"` // a customer message's kind: text or a media kind
	Text    string       `json:"text"`
	Options []bot.Option `json:"options,omitempty"`
	At      time.Time    `json:"at"`
	Read    bool         `json:"read,omitempty"` // a customer message the bot has read
	File    *File        `json:"file,omitempty"` // the file it carries
}

// Update is what the page hears live: a message, "digitando..." or read
// receipts.
type Update struct {
	Type    string   `json:"type"` // UpdateMessage, UpdateTyping or UpdateRead
	Chat    string   `json:"chat"`
	Message *Message `json:"message,omitempty"`
	IDs     []string `json:"ids,omitempty"` // UpdateRead: the customer messages read
}

// Update types.
const (
	UpdateMessage = "message"
	UpdateTyping  = "typing"
	UpdateRead    = "read"
)

// PhoneConfig wires a Phone.
type PhoneConfig struct {
	Store *store.DB
	// Line is the support line these customers write to (store.LineName):
	// the runtime's, whose chats the phone shows.
	Line     string
	Clock    bot.Clock
	Location *time.Location // wall clock of the timestamps shown; nil means UTC
	Log      zerolog.Logger
	// Uploads keeps the files simulated customers send (the phone's
	// "WhatsApp servers"); "" refuses files.
	Uploads string
	// Files is the service's media folder, where the files the support
	// side sends are read from.
	Files *store.Files
	// FetchDelay plays a slow media server: each Fetch waits this long.
	FetchDelay time.Duration
}

// Phone is the demo's simulated WhatsApp: the runtime's transport, whose
// "customers' phones" are web pages (see Handler).
//
// It keeps no history of its own: the store's inbox and outbox already
// are the record, and they survive a restart. The one thing the store may
// not know yet is the last message handed to Send in each chat, whose
// delivery the runtime records only after Send returns. The runtime sends
// a chat's messages one at a time and records each before the next, so
// that one message per chat is all the Phone remembers.
type Phone struct {
	cfg PhoneConfig

	mu        sync.Mutex
	last      map[string]Message // chat -> the last message sent to it
	known     map[string]bool    // chats that wrote in this process
	receiving map[string]bool    // chat+"\x00"+id being handed to the runtime -> read already
	subs      map[chan Update]struct{}
}

// subBuffer is how many updates a page may fall behind before its stream
// is closed; the page then reconnects and reloads.
const subBuffer = 256

// NewPhone returns a simulated WhatsApp.
func NewPhone(cfg PhoneConfig) *Phone {
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Phone{
		cfg:       cfg,
		last:      map[string]Message{},
		known:     map[string]bool{},
		receiving: map[string]bool{},
		subs:      map[chan Update]struct{}{},
	}
}

func (p *Phone) now() time.Time { return p.cfg.Clock.Now().In(p.cfg.Location) }

// Send shows m on the customer's page. It never fails: the page catches
// up from the store when it (re)connects.
func (p *Phone) Send(_ context.Context, m bot.Outbound) (bot.Sent, error) {
	msg := Message{Seq: m.Seq, Chat: m.Chat, From: FromSupport, Text: m.Text, Options: m.Options, At: p.now()}
	if f := m.File; f != nil {
		msg.File = &File{Kind: f.Kind, Name: f.Name, Type: f.Type, Bytes: f.Bytes, Voice: f.Voice,
			URL: fileURL(m.Chat, "seq", strconv.FormatInt(m.Seq, 10))}
	}
	p.mu.Lock()
	p.last[m.Chat] = msg
	p.mu.Unlock()
	p.publish(Update{Type: UpdateMessage, Chat: m.Chat, Message: &msg})
	return bot.Sent{ID: fmt.Sprintf("sim-out-%d", m.Seq)}, nil
}

// Typing shows "digitando..." on the customer's page.
func (p *Phone) Typing(_ context.Context, chat string) error {
	p.publish(Update{Type: UpdateTyping, Chat: chat})
	return nil
}

// MarkRead turns the customer's ticks blue. A message still being handed
// to the runtime (it may answer at once, inside Receive) is not on the
// pages yet: it will be shown read.
func (p *Phone) MarkRead(_ context.Context, chat string, ids []string, _ time.Time) error {
	var shown []string
	p.mu.Lock()
	for _, id := range ids {
		if _, ok := p.receiving[chat+"\x00"+id]; ok {
			p.receiving[chat+"\x00"+id] = true
			continue
		}
		shown = append(shown, id)
	}
	p.mu.Unlock()
	if len(shown) > 0 {
		p.publish(Update{Type: UpdateRead, Chat: chat, IDs: shown})
	}
	return nil
}

// receive hands a customer message to rt and, unless it is a redelivery,
// shows it on every open page.
func (p *Phone) receive(ctx context.Context, rt receiver, in bot.Inbound) (dup bool, err error) {
	k := in.Chat + "\x00" + in.ID
	p.mu.Lock()
	p.receiving[k] = false
	p.mu.Unlock()
	dup, err = rt.Receive(ctx, in)
	p.mu.Lock()
	read := p.receiving[k]
	delete(p.receiving, k)
	if err == nil {
		p.known[in.Chat] = true
	}
	p.mu.Unlock()
	if err != nil || dup {
		return dup, err
	}
	msg := Message{ID: in.ID, Chat: in.Chat, From: FromCustomer, Kind: in.Kind, Text: in.Text, At: in.At, Read: read}
	if md := in.Media; md != nil && md.Ref != nil {
		msg.File = &File{Kind: in.Kind, Name: flows.CleanName(md.Name, ""), Type: md.MIME, Bytes: md.Bytes, Voice: md.Voice,
			URL: fileURL(in.Chat, "id", in.ID)}
	}
	p.publish(Update{Type: UpdateMessage, Chat: in.Chat, Message: &msg})
	return false, nil
}

// Subscribe returns the live updates of every chat and a cancel function.
// A subscriber that falls subBuffer updates behind is dropped: its channel
// closes, and it should reload what it shows.
func (p *Phone) Subscribe() (<-chan Update, func()) {
	ch := make(chan Update, subBuffer)
	p.mu.Lock()
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	return ch, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if _, ok := p.subs[ch]; ok {
			delete(p.subs, ch)
			close(ch)
		}
	}
}

func (p *Phone) publish(u Update) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ch := range p.subs {
		select {
		case ch <- u:
		default:
			delete(p.subs, ch)
			close(ch)
		}
	}
}

// Sent returns the support messages of chat with seq > after, in order:
// those the store records as sent, and the one Send may have shown before
// the store knew. It stops before the first message not shown yet, so
// that polling with after = the last seq returned never skips one.
func (p *Phone) Sent(ctx context.Context, chat string, after int64) ([]Message, error) {
	ms, _, err := p.read(ctx, chat, after, false)
	return ms, err
}

// History returns everything shown in chat, both ways, oldest first.
func (p *Phone) History(ctx context.Context, chat string) ([]Message, error) {
	out, in, err := p.read(ctx, chat, 0, true)
	if err != nil {
		return nil, err
	}
	return merge(in, out), nil
}

// read loads chat's support messages after seq and, if asked, its
// customer messages.
func (p *Phone) read(ctx context.Context, chat string, after int64, customer bool) (out, in []Message, err error) {
	// Read the remembered message before the store: every message sent
	// before it is recorded by then, and one sent after it reaches the
	// page live.
	p.mu.Lock()
	last, hasLast := p.last[chat]
	p.mu.Unlock()
	var rows []store.OutMsg
	var ins []store.Inbound
	files := map[string]*File{} // "seq:N" or "id:ID" -> the message's file
	err = p.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if rows, err = tx.OutboxAfter(ctx, p.cfg.Line, chat, after, 0); err != nil {
			return err
		}
		for _, r := range rows {
			if r.Media != 0 {
				m, err := tx.Media(ctx, r.Media)
				if err != nil {
					return err
				}
				files["seq:"+strconv.FormatInt(r.ID, 10)] = fileOf(m, fileURL(chat, "seq", strconv.FormatInt(r.ID, 10)))
			}
		}
		if !customer {
			return nil
		}
		if ins, err = tx.InboxByChat(ctx, p.cfg.Line, chat, 0); err != nil {
			return err
		}
		for _, in := range ins {
			if !bot.FileKind(in.Kind) {
				continue
			}
			m, err := tx.MediaByInbox(ctx, in.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if m.Ref != nil {
				files["id:"+in.MsgID] = fileOf(m, fileURL(chat, "id", in.MsgID))
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read chat history: %w", err)
	}
	// Stop at the first message neither recorded nor remembered: it is
	// still queued, or sent but not recorded yet. A page polling with
	// after = the last seq it got would otherwise move past it for good.
scan:
	for _, r := range rows {
		switch {
		case !r.SentAt.IsZero():
			m := p.support(r)
			m.File = files["seq:"+strconv.FormatInt(r.ID, 10)]
			out = append(out, m)
		case hasLast && r.ID == last.Seq:
			out = append(out, last)
		default:
			break scan
		}
	}
	for _, r := range ins {
		if bot.Written(r.Kind) {
			in = append(in, Message{ID: r.MsgID, Chat: r.Chat, From: FromCustomer, Kind: r.Kind, Text: r.Text,
				At: r.ReceivedAt.In(p.cfg.Location), Read: r.Done, File: files["id:"+r.MsgID]})
		}
	}
	return out, in, nil
}

func (p *Phone) support(r store.OutMsg) Message {
	m := Message{Seq: r.ID, Chat: r.Chat, From: FromSupport, Text: r.Text, At: r.SentAt.In(p.cfg.Location)}
	for _, o := range r.Options {
		m.Options = append(m.Options, bot.Option{Key: o.Key, Label: o.Label})
	}
	return m
}

// merge interleaves customer and support messages by the time each
// appeared on the phone. On a tie the customer's comes first: a reply
// never reaches the phone before the message it answers.
func merge(in, out []Message) []Message {
	all := make([]Message, 0, len(in)+len(out))
	for len(in) > 0 || len(out) > 0 {
		if len(out) == 0 || (len(in) > 0 && !in[0].At.After(out[0].At)) {
			all, in = append(all, in[0]), in[1:]
			continue
		}
		all, out = append(all, out[0]), out[1:]
	}
	return all
}

// Chat is one line of the page's chat list.
type Chat struct {
	Chat string   `json:"chat"`
	Name string   `json:"name,omitempty"` // the push name the customer last gave
	Last *Message `json:"last,omitempty"` // the newest message, either way
}

// Chats lists the chats the store knows (every conversation opens a
// ticket) and those that wrote in this process, newest activity first.
// It reads each chat's history: fine for a demo's few chats.
func (p *Phone) Chats(ctx context.Context) ([]Chat, error) {
	seen := map[string]bool{}
	p.mu.Lock()
	for c := range p.known {
		seen[c] = true
	}
	for c := range p.last {
		seen[c] = true
	}
	p.mu.Unlock()
	err := p.cfg.Store.View(ctx, func(tx *store.Tx) error {
		for _, st := range []string{store.StatusAberto, store.StatusAguardando, store.StatusResolvido} {
			ts, err := tx.TicketsByStatus(ctx, st, 0)
			if err != nil {
				return err
			}
			for _, t := range ts {
				if t.Line == p.cfg.Line {
					seen[t.Chat] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	chats := make([]Chat, 0, len(seen))
	for c := range seen {
		ch := Chat{Chat: c}
		err := p.cfg.Store.View(ctx, func(tx *store.Tx) error {
			cu, err := tx.Customer(ctx, c)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			ch.Name = cu.Name
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list chats: %w", err)
		}
		h, err := p.History(ctx, c)
		if err != nil {
			return nil, err
		}
		if len(h) > 0 {
			ch.Last = &h[len(h)-1]
			if ch.Name == "" {
				ch.Name = p.pushName(ctx, c)
			}
		}
		chats = append(chats, ch)
	}
	slices.SortFunc(chats, func(a, b Chat) int {
		var ta, tb time.Time
		if a.Last != nil {
			ta = a.Last.At
		}
		if b.Last != nil {
			tb = b.Last.At
		}
		return cmp.Or(tb.Compare(ta), strings.Compare(a.Chat, b.Chat))
	})
	return chats, nil
}

// pushName is the newest push name chat sent, for a chat whose customer
// row is not written yet (its first message is still being handled).
func (p *Phone) pushName(ctx context.Context, chat string) string {
	var name string
	_ = p.cfg.Store.View(ctx, func(tx *store.Tx) error { // best effort: a name is a nicety
		ins, err := tx.InboxByChat(ctx, p.cfg.Line, chat, 1)
		if err == nil && len(ins) > 0 {
			name = ins[0].PushName
		}
		return err
	})
	return name
}
