package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"suporte/store"
	"suporte/store/pgtemp"
)

// TestSimulateMedia: a file a simulated customer sends is kept where the
// store keeps its files, as run and demo keep them: beside a SQLite file
// in media/, in the database on PostgreSQL (nothing in a folder, so the
// service sharing that database serves it).
func TestSimulateMedia(t *testing.T) {
	flowsPath, err := filepath.Abs("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(t.TempDir(), "nota.txt")
	content := []byte("o recibo da compra\n")
	if err := os.WriteFile(doc, content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	for _, c := range []struct{ name, db string }{
		{"sqlite", filepath.Join(t.TempDir(), "suporte.db")},
		{"postgres", pgtemp.Database(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // a folder made from a URL would land here
			var out, errOut bytes.Buffer
			o := simOptions{flows: flowsPath, db: c.db, chat: "5547999990001", at: "2026-11-24T10:00:00-03:00", jsonl: true}
			in := "oi\n12345678\n::media document " + doc + " segue o recibo\n"
			if err := simulate(context.Background(), o, strings.NewReader(in), &out, &errOut); err != nil || errOut.Len() > 0 {
				t.Fatalf("simulate: %v %s", err, errOut.String())
			}
			ctx := context.Background()
			db, err := store.Open(ctx, c.db)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var m store.Media
			err = db.View(ctx, func(tx *store.Tx) error {
				ins, err := tx.InboxByChat(ctx, store.LineName(defaultPhone), o.chat, 0)
				if err != nil {
					return err
				}
				for _, in := range ins {
					if in.Kind == "document" {
						m, err = tx.MediaByInbox(ctx, in.ID)
						return err
					}
				}
				return store.ErrNotFound
			})
			if err != nil {
				t.Fatal(err)
			}
			if m.State != store.MediaStored || m.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("the document: %+v; want stored", m)
			}
			files := store.MediaFilesAt(db, filepath.Join(filepath.Dir(c.db), "media"))
			r, err := files.Open(ctx, m.SHA256)
			if err != nil {
				t.Fatalf("the document is not in %s: %v", files, err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, content) {
				t.Errorf("the document read back: %q, %v; want %q", got, err, content)
			}
			if left, _ := os.ReadDir("."); len(left) > 0 {
				t.Errorf("simulate left %v in the working folder", left[0].Name())
			}
		})
	}
}

// TestSimulateLine: simulate's rows name a line, as run's and demo's do,
// so simulations of two numbers on one shared database keep apart and
// none lands on the line of no number (”): --line, else run's default
// number. A --line without digits is refused before anything is written.
func TestSimulateLine(t *testing.T) {
	flowsPath, err := filepath.Abs("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUPORTE_PHONE", "")
	for _, c := range []struct{ name, db string }{
		{"sqlite", filepath.Join(t.TempDir(), "suporte.db")},
		{"postgres", pgtemp.Database(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			const chat = "5547999990001"
			runs := []struct {
				flag []string
				line string
			}{
				{[]string{"--line", "+55 11 4004-2000"}, "551140042000"},
				{nil, store.LineName(defaultPhone)},
			}
			for _, r := range runs {
				args := append([]string{"--flows", flowsPath, "--db", c.db, "--chat", chat, "--at", "2026-11-24T10:00:00-03:00", "--jsonl"}, r.flag...)
				var out, errOut bytes.Buffer
				if err := runSimulate(context.Background(), args, strings.NewReader("oi\n12345678\n"), &out, &errOut); err != nil || errOut.Len() > 0 {
					t.Fatalf("simulate %v: %v %s", r.flag, err, errOut.String())
				}
			}
			var errOut bytes.Buffer
			err := runSimulate(context.Background(), []string{"--flows", flowsPath, "--db", c.db, "--line", "suporte"}, strings.NewReader("oi\n"), io.Discard, &errOut)
			if err != errUsage || !strings.Contains(errOut.String(), `--line "suporte"`) {
				t.Errorf("--line without digits: %v %q; want a usage error naming it", err, errOut.String())
			}

			ctx := context.Background()
			db, err := store.Open(ctx, c.db)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.View(ctx, func(tx *store.Tx) error {
				lines, err := tx.Lines(ctx)
				if err != nil {
					return err
				}
				if want := []string{"551140042000", "554735121777"}; !slices.Equal(lines, want) {
					t.Errorf("lines started: %v; want %v", lines, want)
				}
				for _, line := range []string{runs[0].line, runs[1].line, ""} {
					ins, err := tx.InboxByChat(ctx, line, chat, 0)
					if err != nil {
						return err
					}
					tickets, err := tx.TicketsByChat(ctx, line, chat, 0)
					if err != nil {
						return err
					}
					wantIn, wantTickets := 2, 1
					if line == "" {
						wantIn, wantTickets = 0, 0
					}
					if len(ins) != wantIn || len(tickets) != wantTickets {
						t.Errorf("line %q: %d messages, %d tickets; want %d and %d", line, len(ins), len(tickets), wantIn, wantTickets)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
