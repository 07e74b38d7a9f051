package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
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
				ins, err := tx.InboxByChat(ctx, "", o.chat, 0)
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
