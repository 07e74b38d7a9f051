package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waMmsRetry"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"suporte/bot"
)

// Media, received: convert records a media message's part (the
// ImageMessage, DocumentMessage... protobuf, which holds the direct path,
// media key and hashes) as the message's bot.Media.Ref, and the runtime's
// downloader later calls Fetch with it. WhatsApp's media URLs expire: on
// 403, 404 or 410 Fetch asks the phone to upload the file again
// (SendMediaRetryReceipt), waits for its answer (events.MediaRetry,
// decrypted with the same media key) and downloads from the new path.

// mediaRef is a bot.Media.Ref: what Fetch needs to download a file, and
// to ask the phone for it again.
type mediaRef struct {
	ID   string `json:"id"`   // the message id
	Chat string `json:"chat"` // the chat as WhatsApp addressed the message
	Type string `json:"type"` // which part Msg is: image, video, ptv, audio, sticker, document, contact
	Msg  []byte `json:"msg"`  // the part's protobuf
}

// DefaultMediaRetryWait is how long Fetch waits for the phone to upload
// an expired file again before the downloader tries later.
const DefaultMediaRetryWait = 2 * time.Minute

// mediaOf returns what a message's media part says, with its ref, or nil
// for a message without media.
func mediaOf(info types.MessageInfo, m *waE2E.Message) *bot.Media {
	ref := func(typ string, part proto.Message) []byte {
		b, err := proto.Marshal(part)
		if err != nil {
			return nil
		}
		r, err := json.Marshal(mediaRef{ID: info.ID, Chat: info.Chat.String(), Type: typ, Msg: b})
		if err != nil {
			return nil
		}
		return r
	}
	switch {
	case m.GetImageMessage() != nil:
		p := m.GetImageMessage()
		return &bot.Media{MIME: p.GetMimetype(), Bytes: int64(p.GetFileLength()), SHA256: p.GetFileSHA256(), Ref: ref("image", p)}
	case m.GetVideoMessage() != nil:
		p := m.GetVideoMessage()
		return &bot.Media{MIME: p.GetMimetype(), Bytes: int64(p.GetFileLength()), SHA256: p.GetFileSHA256(),
			Duration: time.Duration(p.GetSeconds()) * time.Second, Ref: ref("video", p)}
	case m.GetPtvMessage() != nil:
		p := m.GetPtvMessage()
		return &bot.Media{MIME: p.GetMimetype(), Bytes: int64(p.GetFileLength()), SHA256: p.GetFileSHA256(),
			Duration: time.Duration(p.GetSeconds()) * time.Second, Ref: ref("ptv", p)}
	case m.GetAudioMessage() != nil:
		p := m.GetAudioMessage()
		return &bot.Media{MIME: p.GetMimetype(), Bytes: int64(p.GetFileLength()), SHA256: p.GetFileSHA256(),
			Duration: time.Duration(p.GetSeconds()) * time.Second, Voice: p.GetPTT(), Ref: ref("audio", p)}
	case m.GetStickerMessage() != nil:
		p := m.GetStickerMessage()
		return &bot.Media{MIME: p.GetMimetype(), Bytes: int64(p.GetFileLength()), SHA256: p.GetFileSHA256(), Ref: ref("sticker", p)}
	case m.GetDocumentMessage() != nil:
		p := m.GetDocumentMessage()
		return &bot.Media{Name: p.GetFileName(), MIME: p.GetMimetype(), Bytes: int64(p.GetFileLength()), SHA256: p.GetFileSHA256(), Ref: ref("document", p)}
	case m.GetLocationMessage() != nil:
		p := m.GetLocationMessage()
		return &bot.Media{Name: p.GetName(), Lat: p.GetDegreesLatitude(), Lng: p.GetDegreesLongitude()}
	case m.GetLiveLocationMessage() != nil:
		p := m.GetLiveLocationMessage()
		return &bot.Media{Lat: p.GetDegreesLatitude(), Lng: p.GetDegreesLongitude()}
	case m.GetContactMessage() != nil:
		p := m.GetContactMessage()
		if p.GetVcard() == "" {
			return &bot.Media{Name: p.GetDisplayName()}
		}
		return &bot.Media{Name: p.GetDisplayName(), MIME: "text/vcard", Bytes: int64(len(p.GetVcard())), Ref: ref("contact", p)}
	case m.GetContactsArrayMessage() != nil:
		p := m.GetContactsArrayMessage()
		var cards []string
		for _, c := range p.GetContacts() {
			cards = append(cards, strings.TrimSpace(c.GetVcard()))
		}
		one := &waE2E.ContactMessage{DisplayName: proto.String(p.GetDisplayName()), Vcard: proto.String(strings.Join(cards, "\r\n"))}
		return &bot.Media{Name: p.GetDisplayName(), MIME: "text/vcard", Bytes: int64(len(one.GetVcard())), Ref: ref("contact", one)}
	}
	return nil
}

// downloadable decodes a ref's part.
func (r mediaRef) downloadable() (whatsmeow.DownloadableMessage, error) {
	var part interface {
		proto.Message
		whatsmeow.DownloadableMessage
	}
	switch r.Type {
	case "image":
		part = &waE2E.ImageMessage{}
	case "video", "ptv":
		part = &waE2E.VideoMessage{}
	case "audio":
		part = &waE2E.AudioMessage{}
	case "sticker":
		part = &waE2E.StickerMessage{}
	case "document":
		part = &waE2E.DocumentMessage{}
	default:
		return nil, fmt.Errorf("media ref: unknown type %q", r.Type)
	}
	if err := proto.Unmarshal(r.Msg, part); err != nil {
		return nil, fmt.Errorf("media ref: %w", err)
	}
	return part, nil
}

// Fetch downloads the file of a customer's media message into dst,
// asking the phone to upload it again if WhatsApp's copy expired.
func (c *Client) Fetch(ctx context.Context, req bot.FetchRequest, dst bot.MediaFile) error {
	var ref mediaRef
	if err := json.Unmarshal(req.Ref, &ref); err != nil {
		return fmt.Errorf("%w: media ref: %v", bot.ErrMediaGone, err)
	}
	if ref.Type == "contact" {
		var card waE2E.ContactMessage
		if err := proto.Unmarshal(ref.Msg, &card); err != nil {
			return fmt.Errorf("%w: contact card: %v", bot.ErrMediaGone, err)
		}
		_, err := dst.Write([]byte(card.GetVcard()))
		return err
	}
	msg, err := ref.downloadable()
	if err != nil {
		return fmt.Errorf("%w: %v", bot.ErrMediaGone, err)
	}
	err = c.wa.DownloadToFile(ctx, msg, dst)
	if !mediaExpired(err) {
		return downloadError(err)
	}
	c.log.Info().Str("msg_id", ref.ID).Msg("media expired on WhatsApp's servers; asking the phone to upload it again")
	path, err := c.reupload(ctx, ref, msg.GetMediaKey())
	if err != nil {
		return err
	}
	renew(msg, path)
	if err := dst.Truncate(0); err != nil {
		return err
	}
	if _, err := dst.Seek(0, 0); err != nil {
		return err
	}
	return downloadError(c.wa.DownloadToFile(ctx, msg, dst))
}

// mediaExpired reports a download that failed because WhatsApp's copy of the
// file is gone (it keeps media for a limited time).
func mediaExpired(err error) bool {
	return errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith403) ||
		errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith404) ||
		errors.Is(err, whatsmeow.ErrMediaDownloadFailedWith410)
}

// downloadError maps whatsmeow's errors: a file that fails its checks
// will fail them again, and one without a path cannot be fetched.
func downloadError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, whatsmeow.ErrNoURLPresent), errors.Is(err, whatsmeow.ErrUnknownMediaType), mediaExpired(err):
		return fmt.Errorf("%w: %v", bot.ErrMediaGone, err)
	}
	return fmt.Errorf("download: %w", sendError(err))
}

// reupload asks the phone to upload an expired file again and returns its
// new direct path.
func (c *Client) reupload(ctx context.Context, ref mediaRef, key []byte) (string, error) {
	chat, err := types.ParseJID(ref.Chat)
	if err != nil {
		return "", fmt.Errorf("%w: media ref chat: %v", bot.ErrMediaGone, err)
	}
	answer, cancel := c.retries.await(ref.ID)
	defer cancel()
	info := &types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, Sender: chat}, ID: ref.ID}
	if err := c.wa.SendMediaRetryReceipt(ctx, info, key); err != nil {
		return "", fmt.Errorf("ask the phone for the file again: %w", sendError(err))
	}
	wait := c.cfg.MediaRetryWait
	if wait <= 0 {
		wait = DefaultMediaRetryWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	var evt *events.MediaRetry
	select {
	case evt = <-answer:
	case <-t.C:
		return "", fmt.Errorf("the phone did not upload the file again within %v", wait)
	case <-ctx.Done():
		return "", ctx.Err()
	}
	notif, err := whatsmeow.DecryptMediaRetryNotification(evt, key)
	switch {
	case errors.Is(err, whatsmeow.ErrMediaNotAvailableOnPhone):
		return "", fmt.Errorf("%w: %v", bot.ErrMediaGone, err)
	case err != nil:
		return "", fmt.Errorf("read the phone's answer: %w", err)
	case notif.GetResult() == waMmsRetry.MediaRetryNotification_NOT_FOUND:
		return "", fmt.Errorf("%w: the phone no longer has it", bot.ErrMediaGone)
	case notif.GetResult() != waMmsRetry.MediaRetryNotification_SUCCESS || notif.GetDirectPath() == "":
		return "", fmt.Errorf("the phone could not upload the file again (%s)", notif.GetResult())
	}
	return notif.GetDirectPath(), nil
}

// renew points msg at the new direct path. whatsmeow downloads from the
// part's URL when it has one: the URL is WhatsApp's media host plus the
// direct path, so the new one keeps the host.
func renew(msg whatsmeow.DownloadableMessage, path string) {
	set := func(dp, u **string) {
		*dp = proto.String(path)
		if *u == nil {
			return
		}
		old, err := url.Parse(**u)
		if err != nil || old.Host == "" {
			*u = nil
			return
		}
		*u = proto.String(old.Scheme + "://" + old.Host + path)
	}
	switch p := msg.(type) {
	case *waE2E.ImageMessage:
		set(&p.DirectPath, &p.URL)
	case *waE2E.VideoMessage:
		set(&p.DirectPath, &p.URL)
	case *waE2E.AudioMessage:
		set(&p.DirectPath, &p.URL)
	case *waE2E.StickerMessage:
		set(&p.DirectPath, &p.URL)
	case *waE2E.DocumentMessage:
		set(&p.DirectPath, &p.URL)
	}
}

// retries hands the phone's answers to media retry requests to the
// fetches waiting for them.
type retries struct {
	mu      sync.Mutex
	waiting map[string]chan *events.MediaRetry
}

// await registers a wait for message id's answer.
func (r *retries) await(id string) (<-chan *events.MediaRetry, func()) {
	ch := make(chan *events.MediaRetry, 1)
	r.mu.Lock()
	if r.waiting == nil {
		r.waiting = map[string]chan *events.MediaRetry{}
	}
	r.waiting[id] = ch
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		if r.waiting[id] == ch {
			delete(r.waiting, id)
		}
		r.mu.Unlock()
	}
}

// deliver passes an answer on; one nobody waits for is dropped (the next
// fetch asks again).
func (r *retries) deliver(evt *events.MediaRetry) {
	r.mu.Lock()
	ch := r.waiting[evt.MessageID]
	r.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- evt:
	default:
	}
}
