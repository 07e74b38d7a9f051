package bot

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the image checks of stored files
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"strings"
	"time"

	"suporte/flows"
	"suporte/store"
)

// The downloader fetches the files customers sent: recorded with their
// message (media.go), they are fetched here, off the path that makes
// messages durable, by a few goroutines that Run owns. A file is fetched
// into data/media/tmp, checked (size, declared hash, what its bytes are),
// moved to its content-addressed name and only then linked to its row, so
// a crash at any point leaves the row pending and the next start fetches
// it again. Failures are retried with a growing wait; one that cannot
// succeed, or maxFetches failures, leaves the row failed, a line on the
// ticket and a word to the customer: a file is never lost in silence.

// fetcher is a transport that fetches a customer's file again from the
// reference it gave with the message.
type fetcher interface {
	Fetch(ctx context.Context, req FetchRequest, dst MediaFile) error
}

// FetchRequest says which file to fetch.
type FetchRequest struct {
	Chat  string
	Kind  string
	Ref   []byte // the transport's reference (Media.Ref)
	Bytes int64  // the declared size, 0 if unknown
}

// MediaFile is where a fetched file is written (whatsmeow's File).
type MediaFile interface {
	io.Reader
	io.Writer
	io.Seeker
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
}

// ErrMediaGone is what a fetcher returns when the file cannot be had any
// more (the phone no longer has it): no retry helps.
var ErrMediaGone = errors.New("the file is no longer available")

// Downloads fetch at most this many files at once by default, and give up
// after maxFetches tries (about 4 hours of waits).
const (
	DefaultDownloads = 2
	maxFetches       = 8
)

// fetchBackoff is the wait after the n-th failed fetch: 1, 2, 4... minutes.
func fetchBackoff(n int) time.Duration {
	return min(time.Minute<<min(n-1, 10), 2*time.Hour)
}

// wakeDownloads tells the downloader a file waits.
func (r *Runtime) wakeDownloads() {
	select {
	case r.dlWake <- struct{}{}:
	default:
	}
}

// downloads runs the downloader until ctx ends; files being fetched then
// are abandoned (their rows stay pending for the next start).
func (r *Runtime) downloads(ctx context.Context, f fetcher) {
	n := r.cfg.Downloads
	if n <= 0 {
		n = DefaultDownloads
	}
	busy := map[int64]bool{}
	done := make(chan int64)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var due []store.Media
		var next time.Time
		err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			if due, err = tx.DueMedia(ctx, r.cfg.Line, r.cfg.Clock.Now(), n+len(busy)); err != nil {
				return err
			}
			next, err = tx.NextMediaTry(ctx, r.cfg.Line)
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		})
		wait := time.Hour
		if err != nil {
			if ctx.Err() == nil {
				r.cfg.Log.Error().Err(err).Msg("read pending downloads; trying again in a minute")
			}
			wait = time.Minute
		}
		for _, m := range due {
			if busy[m.ID] || len(busy) >= n {
				continue
			}
			busy[m.ID] = true
			go func() {
				r.download(ctx, f, m)
				done <- m.ID
			}()
		}
		if !next.IsZero() && len(busy) < n {
			wait = max(min(wait, next.Sub(r.cfg.Clock.Now())), time.Second)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			for range busy {
				<-done
			}
			return
		case id := <-done:
			delete(busy, id)
		case <-r.dlWake:
		case <-timer.C:
		}
	}
}

// downloadDue fetches every due file in the caller's goroutine: the
// runtime driven step by step (Drain).
func (r *Runtime) downloadDue(ctx context.Context) error {
	f, ok := r.cfg.Transport.(fetcher)
	if !ok || r.cfg.Files == nil {
		return nil
	}
	for {
		var due []store.Media
		err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			due, err = tx.DueMedia(ctx, r.cfg.Line, r.cfg.Clock.Now(), 16)
			return err
		})
		if err != nil || len(due) == 0 {
			return err
		}
		for _, m := range due {
			r.download(ctx, f, m)
		}
	}
}

// download fetches one file and records what came of it.
func (r *Runtime) download(ctx context.Context, f fetcher, m store.Media) {
	fl := r.cfg.Flow()
	log := r.cfg.Log.With().Int64("media", m.ID).Str("kind", m.Kind).Logger()
	sum, size, ct, note, err := r.fetch(ctx, f, fl, m)
	if ctx.Err() != nil {
		return // stopping: the row stays pending
	}
	now := r.cfg.Clock.Now()
	var gone *fetchError
	switch {
	case err == nil:
		err = r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
			return tx.StoreMedia(ctx, m.ID, sum, size, ct, note, now)
		})
		if err == nil {
			log.Debug().Int64("bytes", size).Str("content_type", ct).Msg("file stored")
			r.mediaDone(ctx, m, true)
			return
		}
		log.Error().Err(err).Msg("link stored file; fetching it again later")
	case errors.As(err, &gone), m.Attempts+1 >= maxFetches:
		problem := "não foi possível baixar o arquivo"
		if gone != nil {
			problem = gone.problem
		}
		log.Warn().Err(err).Int("attempts", m.Attempts+1).Msg("file given up")
		if err := r.failMedia(ctx, fl, m, problem, now); err != nil {
			log.Error().Err(err).Msg("record a failed file; trying again later")
		}
		return
	}
	log.Info().Err(err).Int("attempt", m.Attempts+1).Msg("fetch file failed; will retry")
	err = r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		return tx.RetryMedia(ctx, m.ID, "tentando baixar de novo", now.Add(fetchBackoff(m.Attempts+1)))
	})
	if err != nil && ctx.Err() == nil {
		log.Error().Err(err).Msg("record a failed fetch")
	}
}

// fetchError is a fetch that no retry can fix, with what to tell people.
type fetchError struct {
	problem string // for the ticket, in Portuguese
	err     error
}

func (e *fetchError) Error() string { return e.problem + ": " + e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

func permanent(problem string, err error) error { return &fetchError{problem, err} }

// fetch gets m's file into the media folder and says what it is: its
// hash, size, sniffed type, and a note when something is odd about it.
func (r *Runtime) fetch(ctx context.Context, f fetcher, fl *flows.Flow, m store.Media) (sum string, size int64, ct, note string, err error) {
	files := r.cfg.Files
	tmp, err := files.Temp()
	if err != nil {
		return "", 0, "", "", err
	}
	limit := fl.MaxFor(fileKind(m.Kind))
	err = f.Fetch(ctx, FetchRequest{Chat: m.Chat, Kind: m.Kind, Ref: m.Ref, Bytes: m.Bytes}, &cappedFile{f: tmp, max: limit})
	if err == nil {
		var st os.FileInfo
		if st, err = tmp.Stat(); err == nil {
			size = st.Size()
		}
	}
	switch {
	case errors.Is(err, store.ErrTooBig) || (err == nil && size > limit):
		err = permanent(fmt.Sprintf("arquivo acima do limite de %s", flows.FormatSize(limit)), store.ErrTooBig)
	case errors.Is(err, ErrMediaGone):
		err = permanent("o arquivo não está mais disponível no WhatsApp", err)
	case err == nil && size == 0:
		err = permanent("o arquivo chegou vazio", errors.New("empty file"))
	}
	if err != nil {
		files.Discard(tmp)
		return "", 0, "", "", err
	}
	head := make([]byte, 512)
	n, _ := tmp.ReadAt(head, 0)
	ct = flows.Sniff(head[:n])
	note = oddity(m, ct, tmp)
	sum, size, err = files.Commit(ctx, tmp)
	if err != nil {
		return "", 0, "", "", err
	}
	if m.SHA256 != "" && m.SHA256 != sum {
		return "", 0, "", "", fmt.Errorf("checksum: got %s, the message declared %s", sum, m.SHA256)
	}
	return sum, size, ct, note, nil
}

// oddity says what is wrong with a file that arrived whole: an image that
// does not decode, or bytes of another kind than the message said.
func oddity(m store.Media, ct string, f *os.File) string {
	base := flows.BaseType(ct)
	switch {
	case m.Kind == KindImage && strings.HasPrefix(base, "image/") && base != "image/webp":
		if _, _, err := image.DecodeConfig(io.NewSectionReader(f, 0, 1<<20)); err != nil {
			return "imagem corrompida: não abre"
		}
	case m.Kind == KindImage || m.Kind == KindSticker:
		if !strings.HasPrefix(base, "image/") {
			return "não é uma imagem: o conteúdo é " + base
		}
	case m.Kind == KindAudio && !strings.HasPrefix(base, "audio/") && base != "video/mp4" && base != "video/webm":
		return "não é um áudio: o conteúdo é " + base
	case m.Kind == KindVideo && !strings.HasPrefix(base, "video/"):
		return "não é um vídeo: o conteúdo é " + base
	}
	if m.MIME != "" && !flows.Inline(ct) && flows.BaseType(m.MIME) != base && m.Kind != KindDocument {
		return "tipo declarado " + flows.BaseType(m.MIME) + ", conteúdo " + base
	}
	return ""
}

// failMedia gives up on m's file: the row says why, the ticket gets a
// line, and a customer still in a conversation is asked to send it again.
// It is a turn of m's chat, so it holds the chat's lock first, as every
// write of its conversation and ticket events does (store.Tx.LockChat).
func (r *Runtime) failMedia(ctx context.Context, fl *flows.Flow, m store.Media, problem string, now time.Time) error {
	var evs []Event
	err := r.cfg.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockChat(ctx, r.cfg.Line, m.Chat); err != nil {
			return err
		}
		if err := tx.FailMedia(ctx, m.ID, problem); err != nil {
			return err
		}
		tickets, err := tx.MediaTickets(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, id := range tickets {
			e := store.TicketEvent{Ticket: id, At: now, Kind: "system", Actor: "bot", Media: m.ID,
				Text: "não foi possível baixar o arquivo do cliente: " + problem}
			if _, err := tx.AddTicketEvent(ctx, e); err != nil {
				return err
			}
			evs = append(evs, Event{Kind: EventMessage, Ticket: id, Chat: m.Chat, Line: m.Line, At: now})
		}
		more, _, err := r.turn(ctx, tx, fl, now, m.Chat, func(t *turn) error {
			t.keepTimers = true
			t.say(fl.MediaText(flows.MediaFailed), nil)
			return nil
		}, nil)
		evs = append(evs, more...)
		return err
	})
	if err != nil {
		return err
	}
	r.observeMedia(m, false)
	r.publish(evs...)
	r.wake(m.Chat)
	return nil
}

// mediaDone tells the console a file landed (its transcript line changes)
// and the metrics.
func (r *Runtime) mediaDone(ctx context.Context, m store.Media, ok bool) {
	r.observeMedia(m, ok)
	var tickets []int64
	err := r.cfg.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		tickets, err = tx.MediaTickets(ctx, m.ID)
		return err
	})
	if err != nil {
		return
	}
	now := r.cfg.Clock.Now()
	for _, id := range tickets {
		r.publish(Event{Kind: EventMessage, Ticket: id, Chat: m.Chat, Line: m.Line, At: now})
	}
}

// cappedFile fails writes past max bytes: a file bigger than it said is
// cut off at the cap, not stored. (It wraps *os.File without embedding
// it: io.Copy would take the file's ReadFrom and write past the cap.)
type cappedFile struct {
	f   *os.File
	max int64
}

func (c *cappedFile) Write(p []byte) (int, error) {
	off, err := c.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if off+int64(len(p)) > c.max {
		return 0, store.ErrTooBig
	}
	return c.f.Write(p)
}

func (c *cappedFile) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > c.max {
		return 0, store.ErrTooBig
	}
	return c.f.WriteAt(p, off)
}

func (c *cappedFile) Read(p []byte) (int, error)              { return c.f.Read(p) }
func (c *cappedFile) ReadAt(p []byte, off int64) (int, error) { return c.f.ReadAt(p, off) }
func (c *cappedFile) Seek(off int64, whence int) (int64, error) {
	return c.f.Seek(off, whence)
}
func (c *cappedFile) Truncate(size int64) error  { return c.f.Truncate(size) }
func (c *cappedFile) Stat() (os.FileInfo, error) { return c.f.Stat() }
