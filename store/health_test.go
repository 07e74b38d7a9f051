package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// fill adds 2 MiB of flow versions, 64 KiB a write, and returns the
// first write's error.
func fill(t *testing.T, db *DB) error {
	t.Helper()
	ctx := context.Background()
	for range 32 {
		err := db.Update(ctx, func(tx *Tx) error {
			for range 32 {
				if _, err := tx.AddFlowVersion(ctx, FlowVersion{Version: "v", Content: strings.Repeat("x", 2048)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func sqliteCode(err error) sqlite3.ErrNo {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// TestDrillDiskFull: a store capped at its size fails writes with SQLite's
// own SQLITE_FULL, counts the fault for readiness, and takes writes again
// once the cap is lifted.
func TestDrillDiskFull(t *testing.T) {
	db := openFile(t) // SQLite's own fault; PostgreSQL's disk is the server's
	ctx := context.Background()
	if err := db.Drill(ctx, DiskFull); err != nil {
		t.Fatal(err)
	}
	err := fill(t, db)
	if sqliteCode(err) != sqlite3.ErrFull || !IsFault(err) {
		t.Fatalf("write on a full store: got %v; want SQLITE_FULL, a storage fault", err)
	}
	if n, last := db.WriteFaults(); n != 1 || last == nil || last.Error() != err.Error() {
		t.Errorf("WriteFaults: got %d, %v; want the full disk counted", n, last)
	}
	if err := db.Drill(ctx, NoFault); err != nil {
		t.Fatal(err)
	}
	if err := fill(t, db); err != nil {
		t.Errorf("after lifting the cap: %v", err)
	}
}

// TestDrillReadOnly: every write fails with SQLITE_READONLY, so does the
// readiness probe; reads go on.
func TestDrillReadOnly(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.Probe(ctx); err != nil {
		t.Fatalf("probe of a healthy store: %v", err)
	}
	if err := db.Drill(ctx, ReadOnly); err != nil {
		t.Fatal(err)
	}
	err := db.Probe(ctx)
	if (!db.Postgres() && sqliteCode(err) != sqlite3.ErrReadonly) || !IsFault(err) {
		t.Fatalf("probe of a read-only store: got %v; want a read-only fault", err)
	}
	if n, _ := db.WriteFaults(); n != 1 {
		t.Errorf("WriteFaults: got %d; want 1", n)
	}
	view(t, db, func(tx *Tx) error { _, err := tx.FlowVersions(ctx, 1); return err })
	if err := db.Drill(ctx, NoFault); err != nil {
		t.Fatal(err)
	}
	if err := db.Probe(ctx); err != nil {
		t.Errorf("probe after lifting: %v", err)
	}
}

// TestWritesStopWhenFileGone: once the data folder is deleted (or the file
// replaced), writes would land in an unlinked file and vanish at the next
// start: every write fails with ErrGone instead.
func TestWritesStopWhenFileGone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, path string)
	}{
		{"folder removed", func(t *testing.T, path string) {
			if err := os.RemoveAll(filepath.Dir(path)); err != nil {
				t.Fatal(err)
			}
		}},
		{"file replaced", func(t *testing.T, path string) {
			other := path + ".new"
			if err := os.WriteFile(other, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openFile(t) // a SQLite file's fault
			ctx := context.Background()
			tc.breakIt(t, db.Path())
			err := db.Update(ctx, func(tx *Tx) error {
				_, err := tx.AddFlowVersion(ctx, FlowVersion{Version: "v"})
				return err
			})
			if !errors.Is(err, ErrGone) || !IsFault(err) {
				t.Fatalf("write after %s: got %v; want ErrGone", tc.name, err)
			}
			if err := db.Probe(ctx); !errors.Is(err, ErrGone) {
				t.Errorf("probe: got %v; want ErrGone", err)
			}
			if n, _ := db.WriteFaults(); n != 2 {
				t.Errorf("WriteFaults: got %d; want 2", n)
			}
		})
	}
}

// TestProbeImmutableFile: a database file made immutable still takes WAL
// writes; the probe's checkpoint, which writes the file itself, fails.
// It needs chattr and the right to use it (root on ext4, say).
func TestProbeImmutableFile(t *testing.T) {
	db := openFile(t) // a SQLite file's fault
	ctx := context.Background()
	if err := db.Probe(ctx); err != nil {
		t.Fatalf("probe of a healthy store: %v", err)
	}
	if out, err := exec.Command("chattr", "+i", db.Path()).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", db.Path()).Run() })
	err := db.Probe(ctx)
	if err == nil || !IsFault(err) {
		t.Fatalf("probe of an immutable database file: got %v; want a storage fault", err)
	}
	if err := exec.Command("chattr", "-i", db.Path()).Run(); err != nil {
		t.Fatal(err)
	}
	if err := db.Probe(ctx); err != nil {
		t.Errorf("probe once writable again: %v", err)
	}
}

// TestSecret: a secret is made once and then read back, across reopens.
func TestSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suporte.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.Secret(ctx, "log")
	if err != nil || len(a) != secretBytes {
		t.Fatalf("Secret: %x, %v; want %d bytes", a, err, secretBytes)
	}
	other, err := db.Secret(ctx, "other")
	if err != nil || string(other) == string(a) {
		t.Errorf("another secret: %x, %v; want a different one", other, err)
	}
	db.Close()
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if b, err := db.Secret(ctx, "log"); err != nil || string(b) != string(a) {
		t.Errorf("after reopening: %x, %v; want %x", b, err, a)
	}
}

// TestWritersReconnectAfterCut: on PostgreSQL, once the server ends the
// writers' sessions (a restart, pg_terminate_backend, an idle timeout),
// the batch that meets the cut fails as a storage fault, and the next
// batch of each writer runs on a new connection.
func TestWritersReconnectAfterCut(t *testing.T) {
	if testPG == nil {
		t.Skip("PostgreSQL's sessions (the PostgreSQL pass runs it)")
	}
	db := openTest(t)
	ctx := t.Context()
	chats := make([]string, 0, 4*len(db.writers))
	seen := map[*writer]int{}
	for i := 0; len(chats) < cap(chats); i++ {
		c := fmt.Sprint("c", i)
		if wr := db.writerOf(c); seen[wr] < 4 {
			seen[wr]++
			chats = append(chats, c)
		}
	}
	put := func(chat string) error {
		return db.UpdateChat(ctx, chat, func(tx *Tx) error { return tx.PutCustomer(ctx, Customer{Chat: chat}) })
	}
	for _, c := range chats {
		if err := put(c); err != nil {
			t.Fatal(err)
		}
	}
	var cut int
	err := db.r.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&cut)
	if err != nil {
		t.Fatal(err)
	}
	if cut < len(db.writers) {
		t.Fatalf("terminated %d sessions; want at least the %d writers'", cut, len(db.writers))
	}
	failed := 0
	for _, c := range chats {
		// A writer's first batch after the cut may fail; never a second.
		if err := put(c); err != nil {
			if !IsFault(err) {
				t.Errorf("update of %s after the cut: %v; want a storage fault", c, err)
			}
			failed++
			if err := put(c); err != nil {
				t.Errorf("update of %s once more: %v; want the writer reconnected", c, err)
			}
		}
	}
	if failed > len(db.writers) {
		t.Errorf("%d updates failed after the cut; want at most one per writer (%d)", failed, len(db.writers))
	}
	if n, _ := db.WriteFaults(); n != int64(failed) {
		t.Errorf("WriteFaults: %d; want the %d failed batches", n, failed)
	}
}
