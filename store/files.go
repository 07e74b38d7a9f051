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

// Files keeps media files, each named by the SHA-256 of its content, so
// the same file sent twice is kept once and a name can never point
// outside it. Files come in through a temp file (Temp, then Commit or
// Discard; or Put), and a file under its name is always whole.
//
// Beside a SQLite store they live in a folder (data/media), under two
// levels of folders (ab/cd/abcd...): written to tmp/ first, synced, and
// renamed into place; files 0600, folders 0700. Beside a PostgreSQL store
// they live in the database (content.go), so every process sharing it
// sees every file; the folder then only holds files on their way in.
// There a Commit or Put writes through the store: never call them inside
// an Update.
type Files struct {
	dir string // the folder; with db, only its tmp/ is used
	db  *DB    // set when the files live in the database
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

// MediaFiles opens where db keeps its media files: db itself on
// PostgreSQL (dir/tmp then stages files on their way in), else the
// folder dir.
func MediaFiles(db *DB, dir string) (*Files, error) {
	f, err := OpenFiles(dir)
	if err != nil {
		return nil, err
	}
	if db.Postgres() {
		f.db = db
	}
	return f, nil
}

// MediaFilesAt is MediaFiles for tools that run beside the service, as
// FilesAt. On PostgreSQL a file a tool adds is staged in the system's
// temp folder.
func MediaFilesAt(db *DB, dir string) *Files {
	if db.Postgres() {
		return &Files{db: db}
	}
	return FilesAt(dir)
}

// Dir is the media folder ("" for a tool's files in the database).
func (f *Files) Dir() string { return f.dir }

// String says where the files are, for people.
func (f *Files) String() string {
	if f.db != nil {
		return "the database"
	}
	return f.dir
}

// Temp creates an empty file in tmp/ for a file on its way in. Commit or
// Discard it.
func (f *Files) Temp() (*os.File, error) {
	tmp := os.TempDir()
	if f.dir != "" {
		tmp = filepath.Join(f.dir, "tmp")
	}
	t, err := os.CreateTemp(tmp, "in-*")
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

// Commit hashes the temp file t and keeps it under its name: synced and
// moved there in the folder, copied into the database and removed on
// PostgreSQL; t is closed either way. It returns the hex SHA-256 and the
// size. A file already there (the same content) is kept and t removed.
func (f *Files) Commit(ctx context.Context, t *os.File) (sum string, size int64, err error) {
	defer func() {
		if err != nil {
			f.Discard(t)
		}
	}()
	if _, err := t.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	if sum, size, err = hashOf(t); err != nil {
		return "", 0, fmt.Errorf("commit media: %w", err)
	}
	if f.db != nil {
		if err := putContent(ctx, f.db, t, sum, size); err != nil {
			return "", 0, fmt.Errorf("commit media: %w", err)
		}
		f.Discard(t)
		return sum, size, nil
	}
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
func (f *Files) Put(ctx context.Context, r io.Reader, max int64) (sum string, size int64, err error) {
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
	return f.Commit(ctx, t)
}

// Open opens the file with hex SHA-256 sum; a missing one is
// fs.ErrNotExist.
func (f *Files) Open(ctx context.Context, sum string) (io.ReadSeekCloser, error) {
	if !validSum(sum) {
		return nil, fmt.Errorf("open media %q: %w", sum, fs.ErrNotExist)
	}
	if f.db != nil {
		return openContent(ctx, f.db, sum)
	}
	return os.Open(f.path(sum))
}

// Has reports whether the whole file with hex SHA-256 sum is here.
func (f *Files) Has(ctx context.Context, sum string) (bool, error) {
	if !validSum(sum) {
		return false, nil
	}
	if f.db != nil {
		return hasContent(ctx, f.db, sum)
	}
	_, err := os.Stat(f.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
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
	if f.db != nil {
		n, err := sweepContent(ctx, f.db, time.Now().Add(-grace))
		if err != nil {
			return n, fmt.Errorf("sweep media: %w", err)
		}
		return n, nil
	}
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

// CopyTo copies the files named in sums into to, skipping those already
// there: the media of daily backups share one folder and each file is
// copied once; a migration copies the folder's files into PostgreSQL.
// Each copy is checked against its hash, in the database by reading it
// back. It returns how many were copied, already there, and missing here.
func (f *Files) CopyTo(ctx context.Context, to *Files, sums map[string]bool) (copied, had, missing int, err error) {
	if to.db == nil {
		if err := os.MkdirAll(filepath.Join(to.dir, "tmp"), 0o700); err != nil {
			return 0, 0, 0, fmt.Errorf("copy media: %w", err)
		}
	}
	for sum := range sums {
		if err := ctx.Err(); err != nil {
			return copied, had, missing, err
		}
		there, err := to.Has(ctx, sum)
		if err != nil {
			return copied, had, missing, fmt.Errorf("copy media: %w", err)
		}
		if there {
			had++
			continue
		}
		in, err := f.Open(ctx, sum)
		if errors.Is(err, fs.ErrNotExist) {
			missing++
			continue
		}
		if err != nil {
			return copied, had, missing, fmt.Errorf("copy media: %w", err)
		}
		got, _, err := to.Put(ctx, in, 1<<62)
		in.Close()
		if err != nil {
			return copied, had, missing, fmt.Errorf("copy media %s: %w", sum, err)
		}
		if got != sum {
			return copied, had, missing, fmt.Errorf("copy media %s: the file's content hashes to %s: it changed on disk", sum, got)
		}
		if to.db != nil {
			if err := to.check(ctx, sum); err != nil {
				return copied, had, missing, fmt.Errorf("copy media %s: read back: %w", sum, err)
			}
		}
		copied++
	}
	return copied, had, missing, nil
}

// Verify reads the files named in sums and checks each against its name,
// before a copy writes anything. It returns how many are missing here and
// an error naming every file whose content hashes to another name.
func (f *Files) Verify(ctx context.Context, sums map[string]bool) (missing int, err error) {
	var bad []error
	for sum := range sums {
		if err := ctx.Err(); err != nil {
			return missing, err
		}
		in, err := f.Open(ctx, sum)
		if errors.Is(err, fs.ErrNotExist) {
			missing++
			continue
		}
		if err != nil {
			return missing, fmt.Errorf("check media: %w", err)
		}
		got, _, err := hashOf(in)
		in.Close()
		if err != nil {
			return missing, fmt.Errorf("check media %s: %w", sum, err)
		}
		if got != sum {
			bad = append(bad, fmt.Errorf("media file %s: its content hashes to %s", f.path(sum), got))
		}
	}
	return missing, errors.Join(bad...)
}

// hashOf reads r to its end and returns the hex SHA-256 of what it read,
// a media file's name, and its size.
func hashOf(r io.Reader) (sum string, size int64, err error) {
	h := sha256.New()
	if size, err = io.Copy(h, r); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// check reads the file sum whole, which checks it against its hash.
func (f *Files) check(ctx context.Context, sum string) error {
	r, err := f.Open(ctx, sum)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}
