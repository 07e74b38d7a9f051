package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"suporte/store"
	"suporte/store/pgtemp"
)

// TestMigrate copies the report fixture's installation into PostgreSQL:
// every table's count matches, the report reads the same, the media
// files move into the database (one a row names but the folder lacks is
// reported), and a second run refuses the store that now holds data.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	data := reportData(t)
	dsn := pgtemp.Database(t)
	file := bytes.Repeat([]byte("print da nota rejeitada "), 100000) // 2.4 MB: three chunks
	sum := addMediaFile(t, data, file)
	args := []string{"--from", filepath.Join(data, "suporte.db"), "--to", dsn, "--flows", "../../flows.yaml", "--whatsapp", "none"}
	var out, errOut bytes.Buffer
	if err := runMigrate(context.Background(), args, nil, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"tickets", ": the same on both (17 conversations, 8 rated)", "done: start suporte with --db"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`tickets +17 -> +17  ok`).MatchString(out.String()) {
		t.Errorf("want 17 tickets on both sides:\n%s", out.String())
	}
	if strings.Contains(out.String(), "MISMATCH") {
		t.Errorf("a table differs:\n%s", out.String())
	}
	if want := "-> the database: 1 copied and checked, 0 already there, 1 not in the folder"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, err := store.MediaFiles(db, filepath.Join(t.TempDir(), "media")) // another machine: no shared folder
	if err != nil {
		t.Fatal(err)
	}
	r, err := files.Open(ctx, sum)
	if err != nil {
		t.Fatalf("the migrated file: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, file) {
		t.Errorf("the migrated file read from PostgreSQL: %d bytes, %v; want the %d bytes of the folder", len(got), err, len(file))
	}
	out.Reset()
	if err := runMigrate(context.Background(), args, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "nothing was copied: --to must name an empty database") {
		t.Errorf("second migrate into the same store: got %v; want it refused as not empty", err)
	}
	if err := runMigrate(context.Background(), []string{"--from", "x.db", "--to", "data/other.db"}, nil, &out, &errOut); err != errUsage {
		t.Errorf("migrate to a file: got %v; want a usage error", err)
	}
}

// TestMigrateSourceInUse: while a suporte holds the source's data folder,
// migrate refuses to start and writes nothing to the destination.
func TestMigrateSourceInUse(t *testing.T) {
	ctx := context.Background()
	data := reportData(t)
	dsn := pgtemp.Database(t)
	lock, err := lockData(data)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	var out, errOut bytes.Buffer
	err = runMigrate(ctx, []string{"--from", filepath.Join(data, "suporte.db"), "--to", dsn, "--flows", "../../flows.yaml", "--whatsapp", "none"}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "another suporte is already running") || !strings.Contains(err.Error(), "stop it") {
		t.Fatalf("migrate from a folder in use: %v\n%s; want it refused", err, out.String())
	}
	wantNoTickets(t, dsn)
}

// wantNoTickets fails t unless the store at dsn holds no ticket.
func wantNoTickets(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first time.Time
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		first, _, err = tx.TicketSpan(ctx)
		return err
	})
	if err != nil || !first.IsZero() {
		t.Errorf("the destination: a ticket of %v, %v; want none", first, err)
	}
}

// TestMigrateSourceNotStore: migrate opens --from read-only. A file that
// is no suporte store is refused with a word on --from, and one from an
// older suporte with how to upgrade it; none of them is changed.
func TestMigrateSourceNotStore(t *testing.T) {
	dsn := pgtemp.Database(t)
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a suporte store"},
		{"another program's database", func(t *testing.T, path string) {
			execSQLite(t, path, `CREATE TABLE foo (x)`)
		}, "is not a suporte store"},
		{"an older suporte's store", func(t *testing.T, path string) {
			data := reportData(t)
			b, err := os.ReadFile(filepath.Join(data, "suporte.db"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			execSQLite(t, path, `PRAGMA user_version = 20`)
		}, "suporte agents list --db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "suporte.db")
			tc.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			err = runMigrate(context.Background(), []string{"--from", path, "--to", dsn, "--flows", "../../flows.yaml", "--whatsapp", "none"}, nil, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), "--from "+path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want it refused with --from and %q", err, tc.want)
			}
			if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
				t.Errorf("the source changed: %d bytes before, %d after (%v)", len(before), len(after), err)
			}
		})
	}
}

// execSQLite runs script on the SQLite file at path, creating it.
func execSQLite(t *testing.T, path, script string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(script); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateCheckedFirst: a wrong --whatsapp file and a media file that
// does not hold what its name says are found before any row is copied.
func TestMigrateCheckedFirst(t *testing.T) {
	dsn := pgtemp.Database(t)
	for _, tc := range []struct {
		name string
		prep func(t *testing.T, data string) (whatsapp string)
		want string
	}{
		{"missing device store", func(t *testing.T, data string) string {
			return filepath.Join(data, "whatsap.db")
		}, "--whatsapp: stat"},
		{"not a device store", func(t *testing.T, data string) string {
			path := filepath.Join(data, "other.db")
			execSQLite(t, path, `CREATE TABLE foo (x)`)
			return path
		}, "is not a WhatsApp device store"},
		{"damaged media file", func(t *testing.T, data string) string {
			sum := addMediaFile(t, data, []byte("the receipt"))
			path := filepath.Join(data, "media", sum[:2], sum[2:4], sum)
			if err := os.WriteFile(path, []byte("the receipt, cut"), 0o600); err != nil {
				t.Fatal(err)
			}
			return "none"
		}, "its content hashes to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := reportData(t)
			wa := tc.prep(t, data)
			var out, errOut bytes.Buffer
			err := runMigrate(context.Background(), []string{"--from", filepath.Join(data, "suporte.db"), "--to", dsn, "--flows", "../../flows.yaml", "--whatsapp", wa}, nil, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was written to the destination") {
				t.Fatalf("got %v\n%s; want %q before copying", err, out.String(), tc.want)
			}
			wantNoTickets(t, dsn)
		})
	}
}

// TestMigrateUnfinished: a migrate that fails after rows are in (here a
// device store whose rows PostgreSQL's whatsmeow tables refuse) leaves
// the destination marked and says so; run refuses to serve it; the same
// migrate again, once the cause is fixed, empties it and starts over.
func TestMigrateUnfinished(t *testing.T) {
	ctx := context.Background()
	data := reportData(t)
	dsn := pgtemp.Database(t)
	device := filepath.Join(data, "whatsapp.db")
	execSQLite(t, device, `CREATE TABLE whatsmeow_device (jid TEXT PRIMARY KEY, not_whatsmeows TEXT); INSERT INTO whatsmeow_device VALUES ('1@s.whatsapp.net', 'x')`)
	args := []string{"--from", filepath.Join(data, "suporte.db"), "--to", dsn, "--flows", "../../flows.yaml"}
	var out, errOut bytes.Buffer
	err := runMigrate(ctx, args, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "WhatsApp device store") || !strings.Contains(err.Error(), "holds an unfinished copy") || !strings.Contains(err.Error(), "run this same suporte migrate again") {
		t.Fatalf("migrate with a bad device store: %v\n%s; want the unfinished copy explained", err, out.String())
	}
	err = runRun(ctx, []string{"--data", t.TempDir(), "--db", dsn, "--flows", "../../flows.yaml"}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "unfinished copy by suporte migrate") {
		t.Errorf("run on the unfinished copy: %v; want it refused", err)
	}
	if err := os.Remove(device); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runMigrate(ctx, args, nil, &out, &errOut); err != nil {
		t.Fatalf("migrate again: %v\n%s", err, out.String())
	}
	for _, want := range []string{"holds an unfinished copy (a migrate that failed or was stopped): emptying it to start over", "done: start suporte"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`tickets +17 -> +17  ok`).MatchString(out.String()) || strings.Contains(out.String(), "MISMATCH") {
		t.Errorf("want every table copied once:\n%s", out.String())
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if unfinished, err := db.CopyUnfinished(ctx); err != nil || unfinished {
		t.Errorf("after the migrate that finished: unfinished %v, %v; want the mark gone", unfinished, err)
	}
}

// addMediaFile stores content in the installation at data (its media
// folder, and a customer's message that carries it), with a second
// message whose file never arrived in the folder, and returns the
// content's hash.
func addMediaFile(t *testing.T, data string, content []byte) string {
	t.Helper()
	ctx := context.Background()
	files, err := store.OpenFiles(filepath.Join(data, "media"))
	if err != nil {
		t.Fatal(err)
	}
	sum, size, err := files.Put(ctx, bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(data, "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx *store.Tx) error {
		for _, m := range []store.Media{
			{Chat: "5547999990001", Direction: "in", Kind: "image", SHA256: sum, Bytes: size, State: store.MediaStored},
			{Chat: "5547999990001", Direction: "in", Kind: "image", SHA256: strings.Repeat("ab", 32), Bytes: 10, State: store.MediaStored},
		} {
			if _, err := tx.AddMedia(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}
