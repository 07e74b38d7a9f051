package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// backupPages is how many pages one backup step copies (4 MiB of 4 KiB
// pages): the context is checked between steps.
const backupPages = 1024

// Backup writes a consistent copy of the database, as it was when the
// backup began, to path, while the service keeps running. It uses
// SQLite's online backup API on a dedicated read-only connection that
// holds one read transaction for the whole copy: in WAL mode a reader
// never blocks the writer, and holding the snapshot keeps the copy from
// restarting each time the service commits (which, stepping page by page
// under steady writes, might never finish). The WAL cannot be
// checkpointed past that snapshot meanwhile, so it grows during the copy.
//
// The copy goes to path+".tmp" (mode 0600), is switched to the rollback
// journal so it is one self-contained file, must pass PRAGMA
// integrity_check, and is synced, and only then takes the name path.
// Backup never replaces an existing path: it returns ErrExists.
func (db *DB) Backup(ctx context.Context, path string) error {
	_, err := db.backup(ctx, path, false, backupPages)
	return err
}

// BackupReplace is Backup that atomically replaces path if it exists; the
// old file stays untouched if the backup fails.
func (db *DB) BackupReplace(ctx context.Context, path string) error {
	_, err := db.backup(ctx, path, true, backupPages)
	return err
}

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose own tools
// (pg_dump, base backups, replicas) do the job.
var ErrBackupPostgres = errors.New("backup copies SQLite stores; back PostgreSQL up with pg_dump or its replication")

// backup does Backup, pages per step, and returns the number of steps.
func (db *DB) backup(ctx context.Context, path string, replace bool, pages int) (steps int, err error) {
	if db.d.postgres {
		return 0, ErrBackupPostgres
	}
	if !replace {
		if _, err := os.Lstat(path); err == nil {
			return 0, fmt.Errorf("backup %s: %w", path, ErrExists)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("backup: %w", err)
		}
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("backup: %s exists (another backup running, or one interrupted: remove it)", tmp)
	}
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	published := false
	defer func() {
		if !published {
			os.Remove(tmp)
			os.Remove(tmp + "-journal")
		}
	}()

	if steps, err = db.copyTo(ctx, tmp, pages); err != nil {
		return steps, fmt.Errorf("backup: %w", err)
	}
	if err := integrityCheck(ctx, tmp); err != nil {
		return steps, fmt.Errorf("backup: copy: %w", err)
	}
	if err := syncPath(tmp); err != nil {
		return steps, fmt.Errorf("backup: %w", err)
	}
	if err := publish(tmp, path, replace); err != nil {
		return steps, fmt.Errorf("backup %s: %w", path, err)
	}
	published = true
	if err := syncPath(filepath.Dir(path)); err != nil {
		return steps, fmt.Errorf("backup: %w", err)
	}
	return steps, nil
}

// copyTo copies the database into the empty file dst with the backup API.
func (db *DB) copyTo(ctx context.Context, dst string, pages int) (steps int, err error) {
	src, err := sql.Open("sqlite3", readerDSN(db.path))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	sc, err := src.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("source: %w", err)
	}
	defer sc.Close()
	// BEGIN is deferred: the first read takes the snapshot the copy is of.
	if _, err := sc.ExecContext(ctx, `BEGIN`); err != nil {
		return 0, fmt.Errorf("source: %w", err)
	}
	defer sc.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	var n int
	if err := sc.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return 0, fmt.Errorf("source: %w", err)
	}

	out, err := sql.Open("sqlite3", "file:"+escapePath(dst)+"?_busy_timeout=10000")
	if err != nil {
		return 0, err
	}
	defer out.Close()
	dc, err := out.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("destination: %w", err)
	}
	defer dc.Close()
	err = dc.Raw(func(d any) error {
		return sc.Raw(func(s any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			steps, err = stepAll(ctx, b, pages)
			if ferr := b.Finish(); err == nil {
				err = ferr
			}
			return err
		})
	})
	if err != nil {
		return steps, fmt.Errorf("copy: %w", err)
	}
	// The copy carries the source's WAL flag: make it one file again.
	if _, err := dc.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return steps, fmt.Errorf("copy journal mode: %w", err)
	}
	return steps, nil
}

// stepAll steps b to the end, pages at a time. The source is held by a
// read transaction and the destination is private, so busy steps are rare.
func stepAll(ctx context.Context, b *sqlite3.SQLiteBackup, pages int) (steps int, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return steps, err
		}
		left := b.Remaining()
		done, err := b.Step(pages)
		steps++
		if err != nil || done {
			return steps, err
		}
		if b.Remaining() == left && steps > 1 { // busy or locked: wait a little
			t := time.NewTimer(10 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return steps, ctx.Err()
			case <-t.C:
			}
		}
	}
}

// integrityCheck runs PRAGMA integrity_check on the database file at path,
// read-only, and returns its problems as an error.
func integrityCheck(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+escapePath(path)+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}

// publish gives tmp the name path. Without replace it never overwrites:
// a hard link fails if path exists (ErrExists); where links are not
// supported it falls back to a checked rename.
func publish(tmp, path string, replace bool) error {
	if replace {
		return os.Rename(tmp, path)
	}
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, fs.ErrExist):
		return ErrExists
	}
	if _, serr := os.Lstat(path); serr == nil {
		return ErrExists
	}
	return os.Rename(tmp, path)
}

// syncPath flushes a file or a folder (a rename) to disk.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
