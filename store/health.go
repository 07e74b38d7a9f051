package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// ErrGone is the error of every write once the database file is no longer
// the one Open opened: deleted (with its folder, say) or replaced. Writes
// to an unlinked file would "succeed" and vanish at the next start, so the
// store refuses them instead.
var ErrGone = errors.New("the database file was removed or replaced while open")

// IsFault reports whether err is the storage failing, not the request: the
// disk is full, the file cannot be written or read, or it is gone. Callers
// answer such errors with "try again later" and readiness fails.
func IsFault(err error) bool {
	if errors.Is(err, ErrGone) || errors.Is(err, ErrUnavailable) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Connection exceptions, insufficient resources (disk full), the
		// server shutting down, system errors, and a server or session
		// that refuses writes (a standby, or read only).
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			strings.HasPrefix(pe.Code, "57P") || strings.HasPrefix(pe.Code, "58") || pe.Code == "25006"
	}
	if pgconn.Timeout(err) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrReadonly, sqlite3.ErrCantOpen,
		sqlite3.ErrCorrupt, sqlite3.ErrNotADB, sqlite3.ErrPerm:
		return true
	}
	return false
}

// faults counts the write batches that met a storage fault, and keeps the
// last one, for readiness: a probe may pass (it needs no new page) while
// customers' messages fail for lack of space.
type faults struct {
	n    atomic.Int64
	last atomic.Pointer[error]
}

func (f *faults) note(err error) {
	f.last.Store(&err)
	f.n.Add(1)
}

// WriteFaults returns how many write batches met a storage fault (see
// IsFault) since Open, and the last such error.
func (db *DB) WriteFaults() (n int64, last error) {
	n = db.faults.n.Load()
	if p := db.faults.last.Load(); p != nil {
		last = *p
	}
	return n, last
}

// same checks, before each write batch, that the path still names the
// SQLite file Open opened.
func (db *DB) same() error {
	if db.d.postgres {
		return nil
	}
	fi, err := os.Stat(db.path)
	if err != nil || !os.SameFile(fi, db.file) {
		return fmt.Errorf("%w: %s", ErrGone, db.path)
	}
	return nil
}

const probeSQL = `INSERT INTO settings (name, value, updated_at) VALUES ('ready_probe', '', ?)
ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at`

// Probe proves the store takes writes: it updates one row through the
// writer and waits for the commit (a WAL write and its fsync), then
// checkpoints, which writes the database file itself (a file made
// immutable still takes WAL writes). It fails on a read-only or vanished
// file, a disk that cannot take the write, or a writer that does not
// answer before ctx ends.
func (db *DB) Probe(ctx context.Context) error {
	done := make(chan error, 1)
	// A queued Update waits for the writer whatever its context says: the
	// wait for the answer is cut here, so a stuck writer fails the probe.
	go func() {
		err := db.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, probeSQL, time.Now().UnixMilli())
			return err
		})
		if err == nil && !db.d.postgres {
			err = db.checkpoint(ctx)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("probe write: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("probe write: no answer: %w", ctx.Err())
	}
}

// checkpoint copies what it can of the WAL into the database file without
// waiting for anyone (PASSIVE: the writer and readers go on). A checkpoint
// already running elsewhere is no failure.
func (db *DB) checkpoint(ctx context.Context) error {
	var busy, log, done int
	err := db.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrBusy {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Fault is a storage failure the store can be put in on purpose, with
// SQLite's own errors on the write connection, to drill how the service
// behaves when the disk fails (tests, fault drills).
type Fault int

const (
	// NoFault lifts a drilled fault.
	NoFault Fault = iota
	// DiskFull caps the database at its current pages: a write that needs
	// a new one fails with SQLITE_FULL, as on a full disk.
	DiskFull
	// ReadOnly fails every write with SQLITE_READONLY, as a file reopened
	// read-only (or made immutable) would.
	ReadOnly
)

// Drill puts the write connection in fault f, or lifts it (NoFault). It
// works beside the writer, not through it: a read-only connection cannot
// even begin the writer's transaction. On PostgreSQL only ReadOnly can be
// drilled (the session's transactions become read only).
func (db *DB) Drill(ctx context.Context, f Fault) error {
	if db.d.postgres {
		if f == DiskFull {
			return errors.New("drill: a full disk cannot be drilled on PostgreSQL")
		}
		mode := "READ WRITE"
		if f == ReadOnly {
			mode = "READ ONLY"
		}
		// Each writer sets it between its statements (it talks to its
		// connection directly): a job of its own, for the batches after.
		for _, wr := range db.writers {
			err := db.update(ctx, wr, &job{fn: func(tx *Tx) error {
				_, err := tx.exec(ctx, `SET SESSION CHARACTERISTICS AS TRANSACTION `+mode)
				return err
			}})
			if err != nil {
				return fmt.Errorf("drill: %w", err)
			}
		}
		return nil
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return ErrClosed
	}
	conn := db.writers[0].conn
	var pages int64 = 1<<32 - 2 // SQLite's largest
	if f == DiskFull {
		if err := conn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
			return fmt.Errorf("drill: %w", err)
		}
	}
	var got int64 // the pragma answers with the cap in force
	if err := conn.QueryRowContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)).Scan(&got); err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA query_only = %t`, f == ReadOnly)); err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	return nil
}
