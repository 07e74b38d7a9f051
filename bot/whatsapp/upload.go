package whatsapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"suporte/bot"
)

// Media, sent: a file goes up encrypted through whatsmeow's UploadReader
// (streamed through a temporary file, never whole in memory) and out as
// the message type its kind calls for: an image, a video, an audio (a
// voice note when it is Ogg/Opus) or a document with its file name. The
// text is the caption; audio has none on WhatsApp, so its text follows
// as a message of its own, with an id derived from the file's (a resend
// after a crash reuses both).

// sendFile uploads m's file and sends it to to with id.
func (c *Client) sendFile(ctx context.Context, to types.JID, id string, m bot.Outbound) (bot.Sent, error) {
	f := m.File
	msg, err := c.upload(ctx, f, m.Text)
	if err != nil {
		return bot.Sent{}, fmt.Errorf("upload %s: %w", id, err)
	}
	c.sentMedia.put(id, msg)
	if _, err := c.wa.SendMessage(ctx, to, msg, whatsmeow.SendRequestExtra{ID: id}); err != nil {
		return bot.Sent{}, fmt.Errorf("send %s: %w", id, sendError(err))
	}
	if msg.GetAudioMessage() != nil && strings.TrimSpace(m.Text) != "" {
		capID := captionIDFor(id)
		if _, err := c.wa.SendMessage(ctx, to, textMessage(m.Text), whatsmeow.SendRequestExtra{ID: capID}); err != nil {
			c.log.Warn().Err(sendError(err)).Str("msg_id", capID).Msg("send an audio's text; the audio went out")
		}
	}
	return bot.Sent{ID: id}, nil
}

// upload sends the file to WhatsApp's media servers and builds its message.
func (c *Client) upload(ctx context.Context, f *bot.File, caption string) (*waE2E.Message, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "suporte-upload-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	typ := whatsmeow.MediaDocument
	switch f.Kind {
	case bot.KindImage:
		typ = whatsmeow.MediaImage
	case bot.KindVideo:
		typ = whatsmeow.MediaVideo
	case bot.KindAudio:
		typ = whatsmeow.MediaAudio
	}
	up, err := c.wa.UploadReader(ctx, rc, tmp, typ)
	if err != nil {
		return nil, sendError(err)
	}
	mime := f.Type
	var text *string
	if caption = strings.TrimSpace(caption); caption != "" {
		text = proto.String(caption)
	}
	switch typ {
	case whatsmeow.MediaImage:
		return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			Caption: text, Mimetype: proto.String(mime), URL: &up.URL, DirectPath: &up.DirectPath, MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &up.FileLength,
		}}, nil
	case whatsmeow.MediaVideo:
		return &waE2E.Message{VideoMessage: &waE2E.VideoMessage{
			Caption: text, Mimetype: proto.String(mime), URL: &up.URL, DirectPath: &up.DirectPath, MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &up.FileLength,
		}}, nil
	case whatsmeow.MediaAudio:
		if f.Voice {
			mime = "audio/ogg; codecs=opus" // what WhatsApp's own voice notes say
		}
		return &waE2E.Message{AudioMessage: &waE2E.AudioMessage{
			PTT: proto.Bool(f.Voice), Mimetype: proto.String(mime), URL: &up.URL, DirectPath: &up.DirectPath, MediaKey: up.MediaKey,
			FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &up.FileLength,
		}}, nil
	}
	return &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{
		Caption: text, FileName: proto.String(f.Name), Title: proto.String(f.Name), Mimetype: proto.String(mime),
		URL: &up.URL, DirectPath: &up.DirectPath, MediaKey: up.MediaKey,
		FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &up.FileLength,
	}}, nil
}

// captionIDFor derives the id of an audio's text from the audio's.
func captionIDFor(fileID string) string {
	h := sha256.Sum256([]byte("suporte caption " + fileID))
	return whatsmeow.WebMessageIDPrefix + strings.ToUpper(hex.EncodeToString(h[:9]))
}

// sentFiles keeps the last file messages sent, by id, for resending one
// to a device that could not decrypt it (the upload is not redone).
type sentFiles struct {
	mu    sync.Mutex
	order []string
	byID  map[string]*waE2E.Message
}

const keptFiles = 64

func (s *sentFiles) put(id string, m *waE2E.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = map[string]*waE2E.Message{}
	}
	if _, ok := s.byID[id]; !ok {
		s.order = append(s.order, id)
	}
	s.byID[id] = m
	for len(s.order) > keptFiles {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *sentFiles) get(id string) *waE2E.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}
