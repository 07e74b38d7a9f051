package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Files is the folder of media files (data/media): each file is named by
// the SHA-256 of its content, under two levels of folders
// (ab/cd/abcd...), so the same file sent twice is kept once and a name
// can never point outside the folder. Files are written to tmp/ first,
// synced, and renamed into place: a file under its name is always whole.
// Files are 0600, folders 0700.
type Files struct {
	dir string
}

// ErrTooBig is returned when a file goes over the size it was allowed.
var ErrTooBig = errors.New("file too big")

// OpenFiles opens (creating) the media folder dir and empties its tmp/,
// where a crash may have left partial files.
func OpenFiles(dir string) (*Files, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("open media folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open media folder: %w", err)
	}
	tmp := filepath.Join(dir, "tmp")
	left, err := os.ReadDir(tmp)
	if err != nil {
		return nil, fmt.Errorf("open media folder: %w", err)
	}
	for _, e := range left {
		if err := os.Remove(filepath.Join(tmp, e.Name())); err != nil {
			return nil, fmt.Errorf("open media folder: clean tmp: %w", err)
		}
	}
	return &Files{dir: dir}, nil
}

// FilesAt is the media folder dir as it is, for tools that run beside
// the service (purge, backup, export): unlike OpenFiles it creates
// nothing and leaves tmp/ alone, where the service may be writing.
func FilesAt(dir string) *Files { return &Files{dir: dir} }

// Dir is the media folder.
func (f *Files) Dir() string { return f.dir }

// Temp creates an empty file in tmp/ for a file on its way in. Commit or
// Discard it.
func (f *Files) Temp() (*os.File, error) {
	t, err := os.CreateTemp(filepath.Join(f.dir, "tmp"), "in-*")
	if err != nil {
		return nil, fmt.Errorf("media temp file: %w", err)
	}
	return t, nil
}

// Discard closes and removes a temp file that will not be kept.
func (f *Files) Discard(t *os.File) {
	t.Close()
	os.Remove(t.Name())
}

// Commit hashes the temp file t, syncs it and moves it to its name; t is
// closed. It returns the hex SHA-256 and the size. A file already there
// (the same content) is kept and t removed.
func (f *Files) Commit(t *os.File) (sum string, size int64, err error) {
	defer func() {
		if err != nil {
			f.Discard(t)
		}
	}()
	if _, err := t.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	h := sha256.New()
	if size, err = io.Copy(h, t); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if err := t.Sync(); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	if err := t.Chmod(0o600); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	if err := t.Close(); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	final := f.path(sum)
	if _, err := os.Stat(final); err == nil {
		os.Remove(t.Name())
		return sum, size, nil
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	if err := os.Rename(t.Name(), final); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	if err := syncPath(dir); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	return sum, size, nil
}

// Put copies r (at most max bytes, else ErrTooBig) into the folder and
// returns its hash and size.
func (f *Files) Put(r io.Reader, max int64) (sum string, size int64, err error) {
	t, err := f.Temp()
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(t, io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = ErrTooBig
	}
	if err != nil {
		f.Discard(t)
		return "", 0, err
	}
	return f.Commit(t)
}

// Open opens the file with hex SHA-256 sum.
func (f *Files) Open(sum string) (*os.File, error) {
	if !validSum(sum) {
		return nil, fmt.Errorf("open media %q: %w", sum, fs.ErrNotExist)
	}
	return os.Open(f.path(sum))
}

// Has reports whether the file with hex SHA-256 sum is here.
func (f *Files) Has(sum string) bool {
	if !validSum(sum) {
		return false
	}
	_, err := os.Stat(f.path(sum))
	return err == nil
}

func (f *Files) path(sum string) string {
	return filepath.Join(f.dir, sum[:2], sum[2:4], sum)
}

func validSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Sweep removes the files no media row of db names, older than grace (a
// file just committed may be waiting for its row), and returns how many
// went. Purges and deletions call it after their rows are gone.
func (f *Files) Sweep(ctx context.Context, db *DB, grace time.Duration) (int, error) {
	var keep map[string]bool
	err := db.View(ctx, func(tx *Tx) error {
		var err error
		keep, err = tx.MediaHashes(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sweep media: %w", err)
	}
	n := 0
	limit := time.Now().Add(-grace)
	err = filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		if !validSum(d.Name()) || keep[d.Name()] {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(limit) {
			return err
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		n++
		return ctx.Err()
	})
	if err != nil {
		return n, fmt.Errorf("sweep media: %w", err)
	}
	return n, nil
}

// CopyTo copies the files named in sums into the folder dst, laid out
// like this one (so dst can serve as a media folder), skipping those
// already there: the media of daily backups share one folder and each
// file is copied once. Each copy is checked against its hash. It returns
// how many were copied, already there, and missing here.
func (f *Files) CopyTo(ctx context.Context, dst string, sums map[string]bool) (copied, had, missing int, err error) {
	to := &Files{dir: dst}
	if err := os.MkdirAll(filepath.Join(dst, "tmp"), 0o700); err != nil {
		return 0, 0, 0, fmt.Errorf("copy media: %w", err)
	}
	for sum := range sums {
		if err := ctx.Err(); err != nil {
			return copied, had, missing, err
		}
		if to.Has(sum) {
			had++
			continue
		}
		in, err := f.Open(sum)
		if errors.Is(err, fs.ErrNotExist) {
			missing++
			continue
		}
		if err != nil {
			return copied, had, missing, fmt.Errorf("copy media: %w", err)
		}
		got, _, err := to.Put(in, 1<<62)
		in.Close()
		if err != nil {
			return copied, had, missing, fmt.Errorf("copy media %s: %w", sum, err)
		}
		if got != sum {
			return copied, had, missing, fmt.Errorf("copy media %s: the file's content hashes to %s: it changed on disk", sum, got)
		}
		copied++
	}
	return copied, had, missing, nil
}
