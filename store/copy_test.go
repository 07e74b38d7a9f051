package store

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCopy copies a SQLite store with a week of report data, messages,
// media and agents into an empty store of this pass (PostgreSQL, or
// another SQLite file): every table's rows arrive, the report reads the
// same on both, and new ids (protocol numbers) continue after the copied.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	src := fixtureSource(t)
	at := time.Date(2026, 12, 21, 12, 0, 0, 0, time.UTC)
	var mid int64 // the fixture has media rows of its own
	update(t, src, func(tx *Tx) error {
		if _, _, err := tx.InsertInbox(ctx, Inbound{Chat: "c01", MsgID: "m1", Kind: "text", Text: "olá, ação", ReceivedAt: at, Done: true}); err != nil {
			return err
		}
		if _, err := tx.AppendOutbox(ctx, OutMsg{Chat: "c01", Ticket: 100001, Text: "Oi!", Options: []Option{{Key: "1", Label: "Sim"}}, Author: "bot", CreatedAt: at}); err != nil {
			return err
		}
		var err error
		if mid, err = tx.AddMedia(ctx, Media{Chat: "c01", Direction: "in", Kind: "image", State: MediaPending, Ref: []byte{0, 1, 2, 255}, Voice: true}); err != nil {
			return err
		}
		if err := tx.PutConversation(ctx, Conversation{Chat: "c01", State: "menu", Path: []string{"root", "notas"}}); err != nil {
			return err
		}
		return tx.SetTimer(ctx, Timer{Chat: "c01", Kind: "reminder", Due: at})
	})
	dst := openTest(t)
	counts, err := Copy(ctx, dst, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range counts {
		seen[c.Table] = true
		if c.From != c.To {
			t.Errorf("%s: %d rows copied to %d", c.Table, c.From, c.To)
		}
	}
	for _, table := range []string{"tickets", "ticket_events", "feedback", "agents", "inbox", "outbox", "media", "conversations", "timers"} {
		if !seen[table] {
			t.Errorf("table %s not copied", table)
		}
	}
	in := fixtureInput(t)
	if got, want := report(t, dst, in), report(t, src, in); !reflect.DeepEqual(got, want) {
		t.Errorf("report on the copy differs:\n got %+v\nwant %+v", got, want)
	}
	view(t, dst, func(tx *Tx) error {
		m, err := tx.Media(ctx, mid)
		if err == nil && (!reflect.DeepEqual(m.Ref, []byte{0, 1, 2, 255}) || !m.Voice) {
			t.Errorf("media copied as %+v", m)
		}
		c, err2 := tx.Conversation(ctx, "", "c01")
		if err2 == nil && !reflect.DeepEqual(c.Path, []string{"root", "notas"}) {
			t.Errorf("conversation copied as %+v", c)
		}
		return errors.Join(err, err2)
	})
	var id int64
	update(t, dst, func(tx *Tx) error {
		var err error
		id, err = tx.CreateTicket(ctx, Ticket{Chat: "new", Status: StatusAberto})
		return err
	})
	if id <= 100016 {
		t.Errorf("a ticket after the copy got protocol %d; want one after the copied", id)
	}
	if err := dst.FinishCopy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Copy(ctx, dst, src, nil); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("copy into a store with data: got %v; want ErrNotEmpty", err)
	}
}

// TestCopySnapshot: a row written to the source while the copy runs (a
// ticket, after the tickets were copied) is neither copied nor counted:
// the copy reads one snapshot, and both sides' counts agree.
func TestCopySnapshot(t *testing.T) {
	ctx := context.Background()
	src := fixtureSource(t)
	before, err := src.count(ctx, "tickets")
	if err != nil {
		t.Fatal(err)
	}
	wrote := false
	counts, err := Copy(ctx, openTest(t), src, func(table string, rows int64) {
		if table != "ticket_events" || wrote {
			return
		}
		wrote = true
		update(t, src, func(tx *Tx) error {
			_, err := tx.CreateTicket(ctx, Ticket{Chat: "late", Status: StatusAberto})
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !wrote {
		t.Fatal("the copy never reported ticket_events")
	}
	for _, c := range counts {
		if c.From != c.To {
			t.Errorf("%s: %d rows in the source, %d copied", c.Table, c.From, c.To)
		}
		if c.Table == "tickets" && c.From != before {
			t.Errorf("tickets: got %d in the source's snapshot; want the %d before the copy", c.From, before)
		}
	}
}

// TestCopyUnfinished: a copy stays marked until FinishCopy; another Copy
// into it is refused as unfinished, EmptyUnfinishedCopy empties it (and
// refuses a store without the mark) and the copy starts over.
func TestCopyUnfinished(t *testing.T) {
	ctx := context.Background()
	src := fixtureSource(t)
	if _, err := src.Secret(ctx, "log"); err != nil { // a settings row to copy
		t.Fatal(err)
	}
	dst := openTest(t)
	marked := func(want bool) {
		t.Helper()
		if got, err := dst.CopyUnfinished(ctx); err != nil || got != want {
			t.Fatalf("CopyUnfinished: %v, %v; want %v", got, err, want)
		}
	}
	marked(false)
	if _, err := Copy(ctx, dst, src, nil); err != nil {
		t.Fatal(err)
	}
	marked(true)
	if _, err := Copy(ctx, dst, src, nil); !errors.Is(err, ErrCopyUnfinished) {
		t.Fatalf("copy into an unfinished copy: got %v; want ErrCopyUnfinished", err)
	}
	if err := dst.EmptyUnfinishedCopy(ctx); err != nil {
		t.Fatal(err)
	}
	marked(true)
	counts, err := Copy(ctx, dst, src, nil)
	if err != nil {
		t.Fatalf("copy after emptying: %v", err)
	}
	for _, c := range counts {
		if c.From != c.To || (c.Table == "tickets" && c.To == 0) {
			t.Errorf("%s: %d rows copied to %d", c.Table, c.From, c.To)
		}
	}
	if err := dst.FinishCopy(ctx); err != nil {
		t.Fatal(err)
	}
	marked(false)
	if err := dst.EmptyUnfinishedCopy(ctx); err == nil {
		t.Error("EmptyUnfinishedCopy emptied a finished store")
	}
	if n, err := dst.count(ctx, "tickets"); err != nil || n == 0 {
		t.Errorf("tickets after the refused emptying: %d, %v", n, err)
	}
}

// fixtureSource is a SQLite store, to copy from, holding the report
// fixture; closed when the test ends.
func fixtureSource(t *testing.T) *DB {
	t.Helper()
	src, err := Open(t.Context(), filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	loadFixture(t, src)
	return src
}

// TestCopyBatchesByBytes: large rows are written as they are read, a batch
// ending once its values reach copyBytes, so a copy holds one batch in
// memory, never a whole table of large texts.
func TestCopyBatchesByBytes(t *testing.T) {
	ctx := t.Context()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	big := strings.Repeat("x", copyBytes*5/8) // two of them pass copyBytes
	update(t, src, func(tx *Tx) error {
		for range 3 {
			if _, err := tx.AddFlowVersion(ctx, FlowVersion{Version: "v", Content: big}); err != nil {
				return err
			}
		}
		return nil
	})
	var written []int64
	counts, err := Copy(ctx, openTest(t), src, func(table string, rows int64) {
		if table == "flow_versions" {
			written = append(written, rows)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(written, []int64{2, 3}) {
		t.Errorf("flow_versions written in steps %v; want [2 3]: a batch ends past %d bytes", written, copyBytes)
	}
	for _, c := range counts {
		if c.Table == "flow_versions" && (c.From != 3 || c.To != 3) {
			t.Errorf("flow_versions: %+v; want 3 copied of 3", c)
		}
	}
}
