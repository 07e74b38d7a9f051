package bot

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"suporte/flows"
	"suporte/store"
)

// Files customers send: each is recorded with its message, in the
// transaction that makes the message durable (so WhatsApp may be acked),
// and fetched afterwards by the downloader (download.go), which links the
// file when it lands. A file over the caps of settings.media is recorded
// as failed at once, and the customer is told in the same turn.

// mediaBurst is how long after acknowledging a file the next ones go
// unacknowledged: a customer sending five screenshots hears it once.
const mediaBurst = 2 * time.Minute

// recordMedia stores what in.Media says about the file of customer
// message inbox: pending a download, stored already (a location: there is
// no file), or failed at once (over a cap).
func (r *Runtime) recordMedia(ctx context.Context, tx *store.Tx, fl *flows.Flow, now time.Time, inbox int64, in Inbound) error {
	md := in.Media
	m := store.Media{
		Chat: in.Chat, Line: r.cfg.Line, Inbox: inbox, Direction: "in", Kind: in.Kind,
		Name: flows.CleanName(md.Name, ""), MIME: cleanMIME(md.MIME), Bytes: max(md.Bytes, 0),
		Caption: in.Text, Duration: md.Duration, Voice: md.Voice,
		LatE6: e6(md.Lat), LngE6: e6(md.Lng), Ref: md.Ref,
		State: store.MediaPending, NextTry: now, CreatedAt: now,
	}
	if len(md.SHA256) == 32 {
		m.SHA256 = fmt.Sprintf("%x", md.SHA256) // declared; checked when the file lands
	}
	switch {
	case !FileKind(in.Kind) || md.Ref == nil:
		m.State, m.NextTry, m.StoredAt = store.MediaStored, time.Time{}, now // nothing to fetch
		m.SHA256 = ""
	case m.Bytes > fl.MaxFor(fileKind(in.Kind)):
		m.State, m.NextTry = store.MediaFailed, time.Time{}
		m.Problem = fmt.Sprintf("arquivo de %s, acima do limite de %s", flows.FormatSize(m.Bytes), flows.FormatSize(fl.MaxFor(fileKind(in.Kind))))
	default:
		used, err := tx.ChatMediaBytes(ctx, in.Chat)
		if err != nil {
			return err
		}
		if used+m.Bytes > fl.MaxCustomer() {
			m.State, m.NextTry = store.MediaFailed, time.Time{}
			m.Problem = fmt.Sprintf("o cliente já enviou %s em arquivos, o limite é %s", flows.FormatSize(used), flows.FormatSize(fl.MaxCustomer()))
		}
	}
	if _, err := tx.AddMedia(ctx, m); err != nil {
		return err
	}
	switch m.State {
	case store.MediaPending:
		tx.AfterCommit(r.wakeDownloads)
	case store.MediaFailed:
		tx.AfterCommit(func() { r.observeMedia(m, false) })
	}
	return nil
}

// fileKind is the cap a message kind falls under: stickers and contact
// cards are small media; documents have their own cap.
func fileKind(kind string) string {
	if kind == KindDocument {
		return flows.FileDocument
	}
	return flows.FileImage
}

// e6 turns degrees into microdegrees, rejecting what is not a coordinate.
func e6(deg float64) int64 {
	if math.IsNaN(deg) || math.IsInf(deg, 0) || deg < -180 || deg > 180 {
		return 0
	}
	return int64(math.Round(deg * 1e6))
}

// cleanMIME keeps a declared type short and printable.
func cleanMIME(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(strings.TrimSpace(s), ""))
	return Truncate(s, 100)
}

// ackMedia tells a customer who is queued or with an agent that their
// file is on the ticket, once per burst of files.
func (t *turn) ackMedia() error {
	text := t.render(t.flow.MediaText(flows.MediaReceived), flows.Vars{})
	told, err := t.lookup.saidSince(t.conv.Chat, text, t.now.Add(-mediaBurst))
	if err != nil || told {
		return err
	}
	t.say(text, nil)
	return nil
}

// refused reports whether the customer's file was turned away on arrival
// (over a cap): the customer hears why instead of the usual answer.
func (in input) refused() bool { return in.media != nil && in.media.State == store.MediaFailed }

// pendingFile is a file a turn sends or shows, recorded when the turn is
// written: a flows attachment (Chat "" in store.Media) or an agent's file.
type pendingFile struct {
	out   int // index in turn.out of the message that sends it; -1 if none
	event int // index in turn.events of the line that shows it; -1 if none
	media store.Media
}

// sayMessage queues one trail message: its text, and its attachment when
// the flows found the file (flows.Load checks them all).
func (t *turn) sayMessage(m flows.Message) {
	a, ok := t.flow.Attachment(m.Attachment.Value)
	if !ok {
		if strings.TrimSpace(m.Text.Value) != "" {
			t.say(m.Text.Value, nil)
		}
		return
	}
	t.sayAttachment(a, m.Text.Value)
}

// sayAttachment queues a flows attachment with caption (which may be empty).
func (t *turn) sayAttachment(a flows.Attachment, caption string) {
	t.say(caption, nil)
	t.files = append(t.files, pendingFile{out: len(t.out) - 1, event: -1, media: store.Media{
		Direction: "out", Kind: a.Kind, Name: a.Name, MIME: a.Type, ContentType: a.Type,
		Bytes: a.Bytes, SHA256: a.SHA256, Voice: flows.BaseType(a.Type) == "audio/ogg",
		State: store.MediaStored, CreatedAt: t.now, StoredAt: t.now,
	}})
}

// writeFiles records the files of a turn and links them to their
// messages and transcript lines; write calls it first.
func writeFiles(ctx context.Context, tx *store.Tx, t *turn) error {
	for _, f := range t.files {
		var id int64
		var err error
		if f.media.Chat == "" {
			id, err = tx.LibraryMedia(ctx, f.media)
		} else {
			id, err = tx.AddMedia(ctx, f.media)
		}
		if err != nil {
			return err
		}
		if f.out >= 0 {
			t.out[f.out].Media = id
		}
		if f.event >= 0 {
			t.events[f.event].Media = id
		}
	}
	return nil
}

// outFile describes the file outbox message m sends, for the transport.
// A file missing from the media folder is taken from the flows'
// attachments when it is one of theirs; a file that cannot be had is
// left out (logged) and the caption goes alone: a queued message must
// never block its chat.
func (r *Runtime) outFile(ctx context.Context, m store.OutMsg) *File {
	var md store.Media
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		md, err = tx.Media(ctx, m.Media)
		return err
	})
	log := r.cfg.Log.With().Int64("outbox", m.ID).Int64("media", m.Media).Logger()
	if err != nil {
		log.Error().Err(err).Msg("file to send not found; sending the text alone")
		return nil
	}
	files := r.cfg.Files
	if files == nil {
		log.Error().Msg("no media folder; sending the text alone")
		return nil
	}
	has, err := files.Has(ctx, md.SHA256)
	if err != nil {
		log.Error().Err(err).Msg("file to send unreadable; sending the text alone")
		return nil
	}
	if !has {
		if err := r.importAttachment(ctx, md); err != nil {
			log.Error().Err(err).Msg("file to send is missing; sending the text alone")
			return nil
		}
	}
	sum := md.SHA256
	return &File{
		Kind: md.Kind, Name: md.Name, Type: md.ContentType, Bytes: md.Bytes, Voice: md.Voice,
		Open: func() (io.ReadCloser, error) { return files.Open(ctx, sum) },
	}
}

// importAttachment copies one of the flows' attachments into the media
// folder, where sending reads it.
func (r *Runtime) importAttachment(ctx context.Context, md store.Media) error {
	fl := r.cfg.Flow()
	a, ok := fl.AttachmentBySHA(md.SHA256)
	if md.Chat != "" || !ok {
		return fmt.Errorf("file %s is not in the media folder", md.SHA256)
	}
	f, err := fl.OpenAttachment(a)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, _, err := r.cfg.Files.Put(ctx, f, fl.MaxFor(a.Kind))
	if err != nil {
		return err
	}
	if sum != md.SHA256 {
		return fmt.Errorf("attachment %s changed since flows.yaml was loaded", a.Path)
	}
	return nil
}
