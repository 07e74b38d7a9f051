package store

import (
	"context"
	"fmt"
	"time"
)

// Media states.
const (
	MediaPending = "pending" // recorded; the file is not here yet
	MediaStored  = "stored"  // the file is under data/media as SHA256
	MediaFailed  = "failed"  // given up: Problem says why
)

// Media is a file a message carries (or a location or contact card,
// which have no file to fetch).
type Media struct {
	ID          int64
	Chat        string // "" for the flows' attachments
	Line        string // the WhatsApp line it came or goes through; "" for the flows' attachments
	Inbox       int64  // the customer message that brought it; 0 if sent by us
	Direction   string // "in" or "out"
	Kind        string
	Name        string
	MIME        string // declared by its sender
	ContentType string // sniffed from the bytes
	Bytes       int64
	SHA256      string
	Caption     string
	Duration    time.Duration
	Voice       bool
	LatE6       int64
	LngE6       int64
	Ref         []byte // the transport's reference to download it
	State       string
	Problem     string
	Attempts    int
	NextTry     time.Time
	CreatedAt   time.Time
	StoredAt    time.Time
}

const mediaCols = `id, chat, line, inbox, direction, kind, name, mime, content_type, bytes, sha256, caption, duration_ms, voice,
lat_e6, lng_e6, ref, state, problem, attempts, next_try, created_at, stored_at`

func scanMedia(s rowScanner) (Media, error) {
	var m Media
	var dur, next, created, stored int64
	err := s.Scan(&m.ID, &m.Chat, &m.Line, &m.Inbox, &m.Direction, &m.Kind, &m.Name, &m.MIME, &m.ContentType, &m.Bytes,
		&m.SHA256, &m.Caption, &dur, &m.Voice, &m.LatE6, &m.LngE6, &m.Ref, &m.State, &m.Problem, &m.Attempts,
		&next, &created, &stored)
	if err != nil {
		return Media{}, err
	}
	m.Duration = time.Duration(dur) * time.Millisecond
	m.NextTry, m.CreatedAt, m.StoredAt = fromMillis(next), fromMillis(created), fromMillis(stored)
	return m, nil
}

const addMediaSQL = `INSERT INTO media (chat, line, inbox, direction, kind, name, mime, content_type, bytes, sha256, caption,
    duration_ms, voice, lat_e6, lng_e6, ref, state, problem, attempts, next_try, created_at, stored_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id`

// AddMedia stores m (its ID is ignored) and returns its id.
func (tx *Tx) AddMedia(ctx context.Context, m Media) (int64, error) {
	id, err := tx.insert(ctx, addMediaSQL, m.Chat, m.Line, m.Inbox, m.Direction, m.Kind, m.Name, m.MIME,
		m.ContentType, m.Bytes, m.SHA256, m.Caption, m.Duration.Milliseconds(), m.Voice, m.LatE6, m.LngE6, m.Ref,
		m.State, m.Problem, m.Attempts, millis(m.NextTry), millis(m.CreatedAt), millis(m.StoredAt))
	if err != nil {
		return 0, fmt.Errorf("add media: %w", err)
	}
	return id, nil
}

const mediaSQL = `SELECT ` + mediaCols + ` FROM media WHERE id = ?`

// Media returns media id, or ErrNotFound.
func (tx *Tx) Media(ctx context.Context, id int64) (Media, error) {
	m, err := scanMedia(tx.queryRow(ctx, mediaSQL, id))
	if err != nil {
		return Media{}, fmt.Errorf("media %d: %w", id, notFound(err))
	}
	return m, nil
}

const mediaByInboxSQL = `SELECT ` + mediaCols + ` FROM media WHERE inbox = ? ORDER BY id LIMIT 1`

// MediaByInbox returns the media of customer message inbox, or ErrNotFound.
func (tx *Tx) MediaByInbox(ctx context.Context, inbox int64) (Media, error) {
	m, err := scanMedia(tx.queryRow(ctx, mediaByInboxSQL, inbox))
	if err != nil {
		return Media{}, fmt.Errorf("media of inbox %d: %w", inbox, notFound(err))
	}
	return m, nil
}

const dueMediaSQL = `SELECT ` + mediaCols + ` FROM media
WHERE line = ? AND state = 'pending' AND next_try <= ?
ORDER BY next_try, id
LIMIT ?`

// DueMedia returns up to limit files of line waiting to be downloaded
// whose next try is due at now, the longest waiting first.
func (tx *Tx) DueMedia(ctx context.Context, line string, now time.Time, limit int) ([]Media, error) {
	ms, err := queryAll(ctx, tx, scanMedia, dueMediaSQL, line, millis(now), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("due media: %w", err)
	}
	return ms, nil
}

const nextMediaTrySQL = `SELECT next_try FROM media WHERE line = ? AND state = 'pending' ORDER BY next_try, id LIMIT 1`

// NextMediaTry returns when line's next pending download is due, or
// ErrNotFound when none waits.
func (tx *Tx) NextMediaTry(ctx context.Context, line string) (time.Time, error) {
	var ms int64
	if err := tx.queryRow(ctx, nextMediaTrySQL, line).Scan(&ms); err != nil {
		return time.Time{}, fmt.Errorf("next media try: %w", notFound(err))
	}
	return time.UnixMilli(ms).UTC(), nil
}

const storeMediaSQL = `UPDATE media SET state = 'stored', sha256 = ?, bytes = ?, content_type = ?, problem = ?,
    stored_at = ?, attempts = attempts + 1, next_try = 0
WHERE id = ?`

// StoreMedia records that media id's file landed as sum (hex SHA-256)
// with its size and sniffed type; problem notes anything odd about it
// (a corrupt image, a type other than declared). ErrNotFound if missing.
func (tx *Tx) StoreMedia(ctx context.Context, id int64, sum string, size int64, contentType, problem string, at time.Time) error {
	if err := mustAffect(tx.exec(ctx, storeMediaSQL, sum, size, contentType, problem, millis(at), id)); err != nil {
		return fmt.Errorf("store media %d: %w", id, err)
	}
	return nil
}

const failMediaSQL = `UPDATE media SET state = 'failed', problem = ?, attempts = attempts + 1, next_try = 0 WHERE id = ?`

// FailMedia gives up on media id's file for the reason problem.
func (tx *Tx) FailMedia(ctx context.Context, id int64, problem string) error {
	if err := mustAffect(tx.exec(ctx, failMediaSQL, problem, id)); err != nil {
		return fmt.Errorf("fail media %d: %w", id, err)
	}
	return nil
}

const retryMediaSQL = `UPDATE media SET problem = ?, attempts = attempts + 1, next_try = ? WHERE id = ? AND state = 'pending'`

// RetryMedia counts a failed download of media id and sets its next try.
func (tx *Tx) RetryMedia(ctx context.Context, id int64, problem string, next time.Time) error {
	if err := mustAffect(tx.exec(ctx, retryMediaSQL, problem, millis(next), id)); err != nil {
		return fmt.Errorf("retry media %d: %w", id, err)
	}
	return nil
}

const chatMediaBytesSQL = `SELECT COALESCE(SUM(bytes), 0) FROM media WHERE chat = ? AND direction = 'in' AND state <> 'failed'`

// ChatMediaBytes is the size of the files chat sent that are kept or
// still coming: what its cap (settings.media.max_customer) counts.
func (tx *Tx) ChatMediaBytes(ctx context.Context, chat string) (int64, error) {
	var n int64
	if err := tx.queryRow(ctx, chatMediaBytesSQL, chat).Scan(&n); err != nil {
		return 0, fmt.Errorf("chat media bytes: %w", err)
	}
	return n, nil
}

const ticketMediaSQL = `SELECT ` + mediaCols + ` FROM media WHERE id IN (
    SELECT media FROM ticket_events WHERE ticket = ? AND media <> 0
    UNION
    SELECT media FROM outbox WHERE ticket = ? AND media <> 0
) ORDER BY id`

// TicketMedia returns the media shown in ticket's transcript.
func (tx *Tx) TicketMedia(ctx context.Context, ticket int64) ([]Media, error) {
	ms, err := queryAll(ctx, tx, scanMedia, ticketMediaSQL, ticket, ticket)
	if err != nil {
		return nil, fmt.Errorf("ticket %d media: %w", ticket, err)
	}
	return ms, nil
}

const mediaTicketsSQL = `SELECT ticket FROM ticket_events WHERE media = ?
UNION
SELECT ticket FROM outbox WHERE media = ? AND ticket <> 0
ORDER BY 1`

// MediaTickets returns the tickets whose transcript shows media id: who
// may see a ticket may see its files.
func (tx *Tx) MediaTickets(ctx context.Context, id int64) ([]int64, error) {
	ts, err := queryAll(ctx, tx, scanInt64, mediaTicketsSQL, id, id)
	if err != nil {
		return nil, fmt.Errorf("media %d tickets: %w", id, err)
	}
	return ts, nil
}

const libraryMediaSQL = `SELECT id FROM media WHERE chat = '' AND direction = 'out' AND state = 'stored'
    AND sha256 = ? AND name = ? AND kind = ?
ORDER BY id LIMIT 1`

// LibraryMedia returns the id of the stored file m (one of the flows'
// attachments, Chat ""), adding its row the first time it is sent.
func (tx *Tx) LibraryMedia(ctx context.Context, m Media) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, libraryMediaSQL, m.SHA256, m.Name, m.Kind).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err := notFound(err); err != ErrNotFound {
		return 0, fmt.Errorf("library media: %w", err)
	}
	m.Chat, m.Line, m.Inbox, m.Direction, m.State = "", "", 0, "out", MediaStored
	return tx.AddMedia(ctx, m)
}

const storedHashesSQL = `SELECT DISTINCT sha256 FROM media WHERE sha256 <> ''`

// MediaHashes returns the hash of every file a media row names: the files
// data/media must keep.
func (tx *Tx) MediaHashes(ctx context.Context) (map[string]bool, error) {
	hs, err := queryAll(ctx, tx, scanString, storedHashesSQL)
	if err != nil {
		return nil, fmt.Errorf("media hashes: %w", err)
	}
	out := make(map[string]bool, len(hs))
	for _, h := range hs {
		out[h] = true
	}
	return out, nil
}
