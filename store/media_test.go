package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
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

func TestFiles(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "media")
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp", "in-left"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("tmp after open: %v; want a crash's partial files removed", left)
	}
	data := []byte("um arquivo de teste")
	want := sha256.Sum256(data)
	sum, n, err := f.Put(bytes.NewReader(data), 100)
	if err != nil || sum != hex.EncodeToString(want[:]) || n != int64(len(data)) {
		t.Fatalf("put: %s %d %v", sum, n, err)
	}
	if again, _, err := f.Put(bytes.NewReader(data), 100); err != nil || again != sum {
		t.Errorf("put the same content again: %s, %v", again, err)
	}
	p := filepath.Join(dir, sum[:2], sum[2:4], sum)
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("stored file %v, %v; want mode 0600", st, err)
	}
	for _, d := range []string{dir, filepath.Dir(p)} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("folder %s: %v, %v; want 0700", d, st, err)
		}
	}
	r, err := f.Open(sum)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("read back %q", got)
	}
	if _, _, err := f.Put(strings.NewReader(strings.Repeat("x", 101)), 100); !errors.Is(err, ErrTooBig) {
		t.Errorf("put over the cap: %v; want ErrTooBig", err)
	}
	for _, bad := range []string{"../../etc/passwd", "", strings.Repeat("z", 64)} {
		if _, err := f.Open(bad); err == nil {
			t.Errorf("open %q worked", bad)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Errorf("tmp after puts: %v; want empty", left)
	}

	// Sweep keeps what a media row names and what is too new to judge.
	db := openTest(t)
	other, _, err := f.Put(strings.NewReader("órfão"), 100)
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
	if n, err := f.Sweep(ctx, db, 0); err != nil || n != 1 || !f.Has(sum) || f.Has(other) {
		t.Errorf("sweep: %d, %v; want the orphan removed and the named file kept", n, err)
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
