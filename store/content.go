package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"time"
)

// On PostgreSQL the media files live in the database (media_content and
// media_chunks), so every process sharing it serves and sends every file
// without a shared folder. A file is written in the order the folder
// uses: the content whole first (its chunks, then the mark that it is
// complete), and only then the media row that names it. Reads check each
// chunk against its own hash, and the whole file against its name when
// read from the start.

// chunkSize is how much of a file one media_chunks row holds.
const chunkSize = 1 << 20

// ErrCorrupt is a stored file whose bytes no longer match their hash.
var ErrCorrupt = errors.New("stored file does not match its checksum")

const (
	touchContentSQL = `UPDATE media_content SET created_at = ? WHERE sha256 = ? AND complete = 1`
	startContentSQL = `INSERT INTO media_content (sha256, bytes, chunks, complete, created_at) VALUES (?, ?, ?, 0, ?)
ON CONFLICT (sha256) DO UPDATE SET created_at = excluded.created_at`
	addChunkSQL        = `INSERT INTO media_chunks (sha256, seq, sum, data) VALUES (?, ?, ?, ?) ON CONFLICT (sha256, seq) DO NOTHING`
	completeContentSQL = `UPDATE media_content SET complete = 1
WHERE sha256 = ? AND chunks = (SELECT COUNT(*) FROM media_chunks c WHERE c.sha256 = ?)`
	contentSQL      = `SELECT bytes, chunks FROM media_content WHERE sha256 = ? AND complete = 1`
	chunkSQL        = `SELECT sum, data FROM media_chunks WHERE sha256 = ? AND seq = ?`
	sweepContentSQL = `DELETE FROM media_content WHERE created_at < ?
AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = media_content.sha256 AND m.sha256 <> '')`
)

// putContent copies t, whole and hashing to sum, into db: each chunk in
// an Update of its own, so a large file never holds the writer long (and
// one cut short resumes where it stopped), then the mark that it is
// complete. A file already complete there is only touched, which spares
// it from a sweep until the row naming it is committed.
func putContent(ctx context.Context, db *DB, t *os.File, sum string, size int64) error {
	now := millis(time.Now())
	chunks := (size + chunkSize - 1) / chunkSize
	there := false
	err := db.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, touchContentSQL, now, sum)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if there = n > 0; err != nil || there {
			return err
		}
		_, err = tx.exec(ctx, startContentSQL, sum, size, chunks, now)
		return err
	})
	if err != nil || there {
		return err
	}
	buf := make([]byte, chunkSize)
	for seq := range chunks {
		n, err := t.ReadAt(buf, seq*chunkSize)
		if err != nil && !(errors.Is(err, io.EOF) && int64(n) == size-seq*chunkSize) {
			return err
		}
		h := sha256.Sum256(buf[:n])
		err = db.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, addChunkSQL, sum, seq, hex.EncodeToString(h[:]), buf[:n])
			return err
		})
		if err != nil {
			return err
		}
	}
	return db.Update(ctx, func(tx *Tx) error {
		if err := mustAffect(tx.exec(ctx, completeContentSQL, sum, sum)); err != nil {
			return fmt.Errorf("mark complete: %w", err)
		}
		return nil
	})
}

// hasContent reports whether db holds the whole file sum.
func hasContent(ctx context.Context, db *DB, sum string) (bool, error) {
	_, err := openContent(ctx, db, sum)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// openContent opens the file sum stored in db.
func openContent(ctx context.Context, db *DB, sum string) (*contentReader, error) {
	r := &contentReader{db: db, sum: sum, seq: -1, h: sha256.New()}
	var chunks int64
	err := db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, contentSQL, sum).Scan(&r.size, &chunks)
	})
	if errors.Is(notFound(err), ErrNotFound) {
		return nil, fmt.Errorf("open media %s: %w", sum, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("open media %s: %w", sum, err)
	}
	if chunks != (r.size+chunkSize-1)/chunkSize {
		return nil, fmt.Errorf("open media %s: %d chunks for %d bytes: %w", sum, chunks, r.size, ErrCorrupt)
	}
	return r, nil
}

// contentReader reads a file stored in the database one chunk at a time.
// It may seek (http.ServeContent does); the bytes read in order from the
// start are hashed, and reaching the end that way checks the whole file.
type contentReader struct {
	db     *DB
	sum    string
	size   int64
	pos    int64
	seq    int64  // the chunk in buf; -1: none
	buf    []byte // a verified chunk
	h      hash.Hash
	hashed int64 // how many bytes from the start h has seen
}

func (r *contentReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if seq := r.pos / chunkSize; seq != r.seq {
		if err := r.load(seq); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.pos-r.seq*chunkSize:])
	if r.hashed == r.pos {
		r.h.Write(p[:n])
		r.hashed += int64(n)
		if r.hashed == r.size && hex.EncodeToString(r.h.Sum(nil)) != r.sum {
			return 0, fmt.Errorf("read media %s: %w", r.sum, ErrCorrupt)
		}
	}
	r.pos += int64(n)
	return n, nil
}

// load reads chunk seq and checks its length and hash.
func (r *contentReader) load(seq int64) error {
	ctx := context.Background() // a read is short; the caller stops reading when its own context ends
	var sum string
	var data []byte
	err := r.db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, chunkSQL, r.sum, seq).Scan(&sum, &data)
	})
	if err != nil {
		return fmt.Errorf("read media %s chunk %d: %w", r.sum, seq, notFound(err))
	}
	h := sha256.Sum256(data)
	if want := min(chunkSize, r.size-seq*chunkSize); int64(len(data)) != want || hex.EncodeToString(h[:]) != sum {
		return fmt.Errorf("read media %s chunk %d: %w", r.sum, seq, ErrCorrupt)
	}
	r.seq, r.buf = seq, data
	return nil
}

func (r *contentReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	r.pos = offset
	return offset, nil
}

func (r *contentReader) Close() error {
	r.buf = nil
	return nil
}

// sweepContent deletes the files no media row names, stored before
// before, and returns how many went.
func sweepContent(ctx context.Context, db *DB, before time.Time) (int, error) {
	var n int64
	err := db.Update(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, sweepContentSQL, millis(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
