package sim

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testFlow loads the flows every sim test talks to.
func testFlow(tb testing.TB) *flows.Flow {
	tb.Helper()
	fl, err := flows.Load(filepath.Join("testdata", "flows.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	return fl
}

// testStore opens a fresh store in tb's temporary directory.
func testStore(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "suporte.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// session runs a transcript's input against a fresh store and returns
// what the customer would see, plus the store for further checks.
func session(t *testing.T, name string) (string, *store.DB) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "transcripts", name+".in"))
	if err != nil {
		t.Fatal(err)
	}
	header, input, _ := strings.Cut(string(raw), "\n")
	db := testStore(t)
	files, err := store.OpenFiles(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{Flow: testFlow(t), Store: db, Files: files, Chat: "5547999990001", Log: zerolog.New(os.Stderr).Level(zerolog.WarnLevel)}
	for _, opt := range strings.Fields(strings.TrimPrefix(header, "#!")) {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "at":
			if s.At, err = time.Parse(time.RFC3339, v); err != nil {
				t.Fatal(err)
			}
		case "jsonl":
			s.JSONL = true
		default:
			t.Fatalf("unknown option %q", k)
		}
	}
	var out, errOut bytes.Buffer
	if err := s.Run(context.Background(), strings.NewReader(input), &out, &errOut); err != nil {
		t.Fatalf("run: %v (stderr: %s)", err, errOut.String())
	}
	if errOut.Len() > 0 {
		t.Fatalf("unexpected stderr: %s", errOut.String())
	}
	return out.String(), db
}

func TestTranscripts(t *testing.T) {
	ins, err := filepath.Glob(filepath.Join("testdata", "transcripts", "*.in"))
	if err != nil || len(ins) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			got, _ := session(t, name)
			golden := strings.TrimSuffix(in, ".in") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("transcript differs from %s (run go test -update to accept):\n%s", golden, diff(string(want), got))
			}
		})
	}
}

// diff shows the first differing line with some context.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\nwant: " + wl + "\ngot:  " + gl
		}
	}
	return ""
}

// attachmentFlow is the test flows with the access trail sending a PDF
// guide after its first message, the file found beside it in testdata.
func attachmentFlow(t *testing.T) *flows.Flow {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), "    messages:\n      - |\n        *Esqueci minha senha*",
		"    messages:\n      - text: \"Guia completo em PDF 👇\"\n        attachment: guia.pdf\n      - |\n        *Esqueci minha senha*", 1)
	fl, err := flows.Parse(strings.NewReader(s), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.CheckAttachments(os.DirFS("testdata")); err != nil {
		t.Fatal(err)
	}
	return fl
}

// TestTrailAttachmentJSONL: a trail message with an attachment goes out
// as a file with its caption; JSONL shows it as "media".
func TestTrailAttachmentJSONL(t *testing.T) {
	db := testStore(t)
	files, err := store.OpenFiles(filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{Flow: attachmentFlow(t), Store: db, Files: files, Chat: "5547999990001", JSONL: true,
		At: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC), Log: zerolog.Nop()}
	var out, errOut bytes.Buffer
	if err := s.Run(context.Background(), strings.NewReader("oi\n12345678\n4\n"), &out, &errOut); err != nil || errOut.Len() > 0 {
		t.Fatalf("run: %v %s", err, errOut.String())
	}
	st, _ := os.Stat(filepath.Join("testdata", "guia.pdf"))
	want := fmt.Sprintf(`{"chat":"5547999990001","text":"Guia completo em PDF 👇","media":{"kind":"document","name":"guia.pdf","mime":"application/pdf","bytes":%d}}`, st.Size())
	if !strings.Contains(out.String(), want+"\n") {
		t.Errorf("JSONL output lacks\n%s\ngot:\n%s", want, out.String())
	}
}
