package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMediaRows(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	var id, lib int64
	err := db.Update(ctx, func(tx *Tx) error {
		in, _, err := tx.InsertInbox(ctx, Inbound{Chat: "c1", MsgID: "m1", Kind: "image", ReceivedAt: now})
		if err != nil {
			return err
		}
		if id, err = tx.AddMedia(ctx, Media{Chat: "c1", Inbox: in, Direction: "in", Kind: "image", Bytes: 100,
			Ref: []byte{1, 2, 3}, State: MediaPending, NextTry: now, CreatedAt: now}); err != nil {
			return err
		}
		tk, err := tx.CreateTicket(ctx, Ticket{Chat: "c1", Status: StatusAberto, CreatedAt: now})
		if err != nil {
			return err
		}
		if _, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: tk, At: now, Kind: "customer", Text: "[image]", Media: id}); err != nil {
			return err
		}
		m := Media{Direction: "out", Kind: "document", Name: "guia.pdf", SHA256: strings.Repeat("ab", 32), State: MediaStored}
		if lib, err = tx.LibraryMedia(ctx, m); err != nil {
			return err
		}
		again, err := tx.LibraryMedia(ctx, m)
		if err != nil || again != lib {
			t.Errorf("library media twice: %d, %v; want %d", again, err, lib)
		}
		_, err = tx.AppendOutbox(ctx, OutMsg{Chat: "c1", Ticket: tk, Text: "o guia", Author: "bot", CreatedAt: now, Media: lib})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		due, err := tx.DueMedia(ctx, "", now, 10)
		if err != nil || len(due) != 1 || due[0].ID != id || !bytes.Equal(due[0].Ref, []byte{1, 2, 3}) {
			t.Errorf("due media %+v, %v; want media %d with its ref", due, err, id)
		}
		if due, _ := tx.DueMedia(ctx, "", now.Add(-time.Second), 10); len(due) != 0 {
			t.Errorf("media due before its next try: %+v", due)
		}
		ms, err := tx.TicketMedia(ctx, 100001)
		if err != nil || len(ms) != 2 {
			t.Errorf("ticket media %+v, %v; want the customer's and the bot's", ms, err)
		}
		tr, err := tx.Transcript(ctx, 100001)
		if err != nil || len(tr) != 2 || tr[0].Media != id || tr[1].Media != lib {
			t.Errorf("transcript %+v, %v; want both lines with their media", tr, err)
		}
		ts, err := tx.MediaTickets(ctx, lib)
		if err != nil || len(ts) != 1 || ts[0] != 100001 {
			t.Errorf("media tickets %v, %v", ts, err)
		}
		n, err := tx.ChatMediaBytes(ctx, "c1")
		if err != nil || n != 100 {
			t.Errorf("chat media bytes %d, %v; want 100", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Retry, then store.
	sum := strings.Repeat("cd", 32)
	err = db.Update(ctx, func(tx *Tx) error {
		if err := tx.RetryMedia(ctx, id, "rede", now.Add(time.Minute)); err != nil {
			return err
		}
		if next, err := tx.NextMediaTry(ctx, ""); err != nil || !next.Equal(now.Add(time.Minute)) {
			t.Errorf("next media try %v, %v", next, err)
		}
		return tx.StoreMedia(ctx, id, sum, 99, "image/png", "", now)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		m, err := tx.Media(ctx, id)
		if err != nil || m.State != MediaStored || m.SHA256 != sum || m.Bytes != 99 || m.Attempts != 2 || m.ContentType != "image/png" {
			t.Errorf("stored media %+v, %v", m, err)
		}
		if _, err := tx.NextMediaTry(ctx, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("next media try with none pending: %v", err)
		}
		hs, err := tx.MediaHashes(ctx)
		if err != nil || !hs[sum] || !hs[strings.Repeat("ab", 32)] {
			t.Errorf("media hashes %v, %v", hs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFiles: files are kept once by content, read back whole, refused
// over their cap or by a bad name, and swept when no row names them; on
// SQLite under the folder (0600 in 0700 folders), on PostgreSQL in the
// database, with nothing left in the folder.
func TestFiles(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	dir := filepath.Join(t.TempDir(), "media")
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp", "in-left"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := MediaFiles(db, dir)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("tmp after open: %v; want a crash's partial files removed", left)
	}
	data := []byte("um arquivo de teste")
	want := sha256.Sum256(data)
	sum, n, err := f.Put(ctx, bytes.NewReader(data), 100)
	if err != nil || sum != hex.EncodeToString(want[:]) || n != int64(len(data)) {
		t.Fatalf("put: %s %d %v", sum, n, err)
	}
	if again, _, err := f.Put(ctx, bytes.NewReader(data), 100); err != nil || again != sum {
		t.Errorf("put the same content again: %s, %v", again, err)
	}
	p := filepath.Join(dir, sum[:2], sum[2:4], sum)
	if db.Postgres() {
		if _, err := os.Stat(filepath.Dir(p)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("on PostgreSQL the folder holds %s (%v); want the file in the database only", filepath.Dir(p), err)
		}
	} else {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("stored file %v, %v; want mode 0600", st, err)
		}
		for _, d := range []string{dir, filepath.Dir(p)} {
			if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("folder %s: %v, %v; want 0700", d, st, err)
			}
		}
	}
	if got := readAll(t, f, sum); !bytes.Equal(got, data) {
		t.Errorf("read back %q", got)
	}
	if _, _, err := f.Put(ctx, strings.NewReader(strings.Repeat("x", 101)), 100); !errors.Is(err, ErrTooBig) {
		t.Errorf("put over the cap: %v; want ErrTooBig", err)
	}
	for _, bad := range []string{"../../etc/passwd", "", strings.Repeat("z", 64), strings.Repeat("a", 64)} {
		if _, err := f.Open(ctx, bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open %q: %v; want fs.ErrNotExist", bad, err)
		}
		if has, err := f.Has(ctx, bad); has || err != nil {
			t.Errorf("has %q: %v, %v; want false", bad, has, err)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("tmp after puts: %v; want empty", left)
	}

	// Sweep keeps what a media row names and what is too new to judge.
	other, _, err := f.Put(ctx, strings.NewReader("órfão"), 100)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.Sweep(ctx, db, time.Hour); err != nil || n != 0 {
		t.Errorf("sweep with a grace: %d, %v; want nothing removed", n, err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		_, err := tx.AddMedia(ctx, Media{Chat: "c1", Direction: "in", Kind: "image", SHA256: sum, State: MediaStored})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	n2, err := f.Sweep(ctx, db, 0)
	hasSum, _ := f.Has(ctx, sum)
	hasOther, _ := f.Has(ctx, other)
	if err != nil || n2 != 1 || !hasSum || hasOther {
		t.Errorf("sweep: %d, %v; want the orphan removed and the named file kept", n2, err)
	}
}

// readAll reads the file sum of f whole.
func readAll(tb testing.TB, f *Files, sum string) []byte {
	tb.Helper()
	r, err := f.Open(context.Background(), sum)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("read %s: %v", sum, err)
	}
	return got
}

// TestFilesInDatabase: on PostgreSQL a file stored by one process is read
// by another with a folder of its own; it spans chunks, reads from any
// offset, is refused when its bytes no longer match, and one cut short
// mid-copy is not there until a copy completes it.
func TestFilesInDatabase(t *testing.T) {
	if testPG == nil {
		t.Log("files live in the database on PostgreSQL only")
		return
	}
	ctx := context.Background()
	dsn := testDSN(t)
	var files []*Files
	var dbs []*DB
	for range 2 {
		db := openAt(t, dsn)
		f, err := MediaFiles(db, filepath.Join(t.TempDir(), "media"))
		if err != nil {
			t.Fatal(err)
		}
		dbs, files = append(dbs, db), append(files, f)
	}
	data := make([]byte, 2*chunkSize+12345)
	rand.NewChaCha8([32]byte{1}).Read(data) // a fixed seed: the same file each run
	sum, size, err := files[0].Put(ctx, bytes.NewReader(data), int64(len(data)))
	if err != nil || size != int64(len(data)) {
		t.Fatalf("put: %d, %v", size, err)
	}
	if got := readAll(t, files[1], sum); !bytes.Equal(got, data) {
		t.Fatalf("read by the other process: %d bytes, equal %v; want the %d bytes stored", len(got), bytes.Equal(got, data), len(data))
	}
	r, err := files[1].Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{chunkSize - 3, 0, int64(len(data)) - 10, 2 * chunkSize} {
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 7)
		if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, data[off:off+7]) {
			t.Errorf("read at %d: %x, %v; want %x", off, buf, err, data[off:off+7])
		}
	}
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Errorf("seek to the end: %d, %v", end, err)
	}
	r.Close()

	// A chunk whose bytes changed is refused, whatever reads it.
	err = dbs[0].Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE media_chunks SET data = ? WHERE sha256 = ? AND seq = 1`, bytes.Repeat([]byte{1}, chunkSize), sum)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err = files[1].Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, ErrCorrupt) {
		t.Errorf("read of a changed chunk: %v; want ErrCorrupt", err)
	}
	r.Close()

	// A copy cut short (its chunks in, the mark of complete not) is not
	// there; the next copy of the same bytes completes it.
	half := data[:chunkSize+5]
	h := sha256.Sum256(half)
	hs := hex.EncodeToString(h[:])
	err = dbs[0].Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, startContentSQL, hs, len(half), 2, millis(time.Now())); err != nil {
			return err
		}
		c := sha256.Sum256(half[:chunkSize])
		_, err := tx.exec(ctx, addChunkSQL, hs, 0, hex.EncodeToString(c[:]), half[:chunkSize])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if has, err := files[1].Has(ctx, hs); has || err != nil {
		t.Errorf("a file cut short: has %v, %v; want not there", has, err)
	}
	if got, _, err := files[1].Put(ctx, bytes.NewReader(half), int64(len(half))); err != nil || got != hs {
		t.Fatalf("put it again: %s, %v", got, err)
	}
	if got := readAll(t, files[0], hs); !bytes.Equal(got, half) {
		t.Errorf("completed file: %d bytes; want %d", len(got), len(half))
	}
}

// TestMediaPrivacy: retention and a person's deletion take their files'
// rows with their messages; the flows' attachments stay; the export lists
// a person's files.
func TestMediaPrivacy(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	old := time.Date(2026, 1, 5, 13, 0, 0, 0, time.UTC)
	var lib int64
	err := db.Update(ctx, func(tx *Tx) error {
		for _, chat := range []string{"c1", "c2"} {
			if err := tx.PutConversation(ctx, Conversation{Chat: chat, State: ConversationClosed, UpdatedAt: old}); err != nil {
				return err
			}
			tk, err := tx.CreateTicket(ctx, Ticket{Chat: chat, Status: StatusResolvido, CreatedAt: old, LastActivityAt: old, ClosedAt: old})
			if err != nil {
				return err
			}
			in, _, err := tx.InsertInbox(ctx, Inbound{Chat: chat, MsgID: "m-" + chat, Kind: "image", SentAt: old, ReceivedAt: old, Done: true})
			if err != nil {
				return err
			}
			if _, err := tx.AddMedia(ctx, Media{Chat: chat, Inbox: in, Direction: "in", Kind: "image", SHA256: strings.Repeat("a", 64), State: MediaStored, CreatedAt: old}); err != nil {
				return err
			}
			sent, err := tx.AddMedia(ctx, Media{Chat: chat, Direction: "out", Kind: "document", SHA256: strings.Repeat("b", 64), State: MediaStored, CreatedAt: old})
			if err != nil {
				return err
			}
			if _, err := tx.AppendOutbox(ctx, OutMsg{Chat: chat, Ticket: tk, Text: "*Ana*", Author: "1", CreatedAt: old, SentAt: old, Media: sent}); err != nil {
				return err
			}
		}
		var err error
		lib, err = tx.LibraryMedia(ctx, Media{Direction: "out", Kind: "document", Name: "guia.pdf", SHA256: strings.Repeat("c", 64)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var d PersonData
	var counts PersonCounts
	err = db.View(ctx, func(tx *Tx) error {
		var err error
		if d, err = tx.ExportPerson(ctx, Person{Chat: "c2"}); err != nil {
			return err
		}
		counts, err = tx.CountPerson(ctx, Person{Chat: "c2"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Chats) != 1 || len(d.Chats[0].Media) != 2 || d.Chats[0].Media[0]["sha256"] != strings.Repeat("a", 64) || d.Chats[0].Media[0]["ref"] != nil {
		t.Errorf("export media %+v; want both files, without the transport's ref", d.Chats[0].Media)
	}
	if counts.Media != 2 {
		t.Errorf("person counts media %d; want 2", counts.Media)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		c, err := tx.DeletePerson(ctx, Person{Chat: "c2"})
		if err == nil && c.Media != 2 {
			t.Errorf("deleted %d media rows of c2; want 2", c.Media)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dry, err := db.Purge(ctx, old.AddDate(0, 6, 0), true)
	if err != nil || dry.Media != 2 {
		t.Errorf("dry run: %+v, %v; want c1's 2 files counted", dry, err)
	}
	r, err := db.Purge(ctx, old.AddDate(0, 6, 0), false)
	if err != nil || r.Media != 2 {
		t.Errorf("purge: %+v, %v; want c1's 2 files' rows gone", r, err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		hs, err := tx.MediaHashes(ctx)
		if err != nil {
			return err
		}
		if len(hs) != 1 || !hs[strings.Repeat("c", 64)] {
			t.Errorf("files kept %v; want only the flows' attachment", hs)
		}
		_, err = tx.Media(ctx, lib)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
