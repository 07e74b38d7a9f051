package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// countRows counts table's rows in the database file at path.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+escapePath(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("count %s in %s: %v", table, path, err)
	}
	return n
}

// openFile opens a SQLite store whatever the pass: backups are SQLite's
// (on PostgreSQL, pg_dump's job; see TestBackupPostgres).
func openFile(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestBackupPostgres(t *testing.T) {
	db := openTest(t)
	err := db.Backup(t.Context(), filepath.Join(t.TempDir(), "backup.db"))
	if db.Postgres() != errors.Is(err, ErrBackupPostgres) {
		t.Errorf("Backup on %s: got %v", db.d.name, err)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	db := openFile(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	// Enough rows for many steps of 16 pages.
	filler := strings.Repeat("x", 2000)
	update(t, db, func(tx *Tx) error {
		for i := range 2000 {
			in := Inbound{Chat: fmt.Sprint("c", i%50), MsgID: fmt.Sprint("seed-", i), Kind: "text", Text: filler, ReceivedAt: at}
			if _, _, err := tx.InsertInbox(ctx, in); err != nil {
				return err
			}
		}
		return nil
	})

	// A writer commits all along, as the service would.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var committed sync.Map // the counts known committed, by when
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(ctx, func(tx *Tx) error {
				_, _, err := tx.InsertInbox(ctx, Inbound{Chat: "w", MsgID: fmt.Sprint("w-", i), Text: filler, ReceivedAt: at})
				return err
			})
			if err != nil {
				t.Errorf("writer: %v", err)
				return
			}
			committed.Store("n", i+1)
		}
	})
	// Let some writes land, then back up.
	for {
		if v, ok := committed.Load("n"); ok && v.(int) >= 20 {
			break
		}
		time.Sleep(time.Millisecond) // waiting for another goroutine's commits, not for time
	}
	var startRows int
	view(t, db, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM inbox`).Scan(&startRows)
	})

	path := filepath.Join(t.TempDir(), "backup.db")
	steps, err := db.backup(ctx, path, false, 16)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if err := integrityCheck(ctx, path); err != nil {
		t.Errorf("copy: %v", err)
	}
	if got := countRows(t, path, "inbox"); got < startRows {
		t.Errorf("copy has %d inbox rows; want at least the %d committed before the backup", got, startRows)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Errorf("copy mode %v; want 0600", mode)
	}
	// Held snapshot: the copy never restarted, whatever the writer did.
	if pages := int(st.Size() / 4096); steps > pages/16+2 {
		t.Errorf("%d steps for %d pages of 16: the copy restarted", steps, pages)
	}
	for _, leftover := range []string{path + ".tmp", path + "-wal", path + "-journal"} {
		if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", leftover, err)
		}
	}

	// The copy opens as a store.
	cp, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open copy: %v", err)
	}
	defer cp.Close()
	view(t, cp, func(tx *Tx) error {
		ins, err := tx.InboxByChat(ctx, "", "c7", 0)
		if err == nil && len(ins) != 40 {
			t.Errorf("copy: chat c7 has %d messages; want 40", len(ins))
		}
		return err
	})
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	db := openFile(t)
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, path); !errors.Is(err, ErrExists) {
		t.Errorf("backup over a file: got %v; want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Errorf("existing file changed: %q", b)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left: %v", err)
	}

	update(t, db, func(tx *Tx) error {
		return tx.PutCustomer(ctx, Customer{Chat: "x"})
	})
	if err := db.BackupReplace(ctx, path); err != nil {
		t.Fatalf("backup replace: %v", err)
	}
	if got := countRows(t, path, "customers"); got != 1 {
		t.Errorf("replaced copy: %d customers; want 1", got)
	}

	// A leftover temporary file stops the backup without touching it.
	other := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(other+".tmp", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, other); err == nil || !strings.Contains(err.Error(), ".tmp exists") {
		t.Errorf("backup with a leftover .tmp: got %v", err)
	}
}

func TestBackupCancelled(t *testing.T) {
	db := openFile(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, path); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled backup: got %v; want context.Canceled", err)
	}
	for _, p := range []string{path, path + ".tmp"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a cancelled backup", p)
		}
	}
}
