package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"suporte/flows"
	"suporte/store"
)

// fetchingTransport is a transport whose customers' files come from a
// map, failing the first fails[ref] fetches of each.
type fetchingTransport struct {
	*fakeTransport
	mu      sync.Mutex
	files   map[string]string
	fails   map[string]int
	fetches map[string]int
	gone    bool
}

func (f *fetchingTransport) Fetch(ctx context.Context, req FetchRequest, dst MediaFile) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := string(req.Ref)
	f.fetches[ref]++
	if f.gone {
		return fmt.Errorf("%w: test", ErrMediaGone)
	}
	if f.fails[ref] > 0 {
		f.fails[ref]--
		return errors.New("connection reset")
	}
	_, err := io.Copy(dst, strings.NewReader(f.files[ref]))
	return err
}

// TestDownloaderRetries runs the downloader as the service does (Run, in
// a synctest bubble: its waits are fake time): a file that fails twice is
// fetched on the third try, after waits of 1 and 2 minutes; a file bigger
// than it said is cut off at the cap and given up at once.
func TestDownloaderRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		dir := t.TempDir()
		db := openStore(t, filepath.Join(dir, "s.db"))
		files, err := store.OpenFiles(filepath.Join(dir, "media"))
		must(t, err)
		tr := &fetchingTransport{fakeTransport: newFakeTransport(),
			files: map[string]string{"a": "%PDF-1.4 um pdf", "big": strings.Repeat("x", flows.DefaultMaxMedia+1)},
			fails: map[string]int{"a": 2}, fetches: map[string]int{}}
		fl := testFlow(t)
		rt := New(Config{Store: db, Files: files, Flow: func() *flows.Flow { return fl }, Transport: tr, Clock: SystemClock{}})
		done := make(chan error)
		go func() { done <- rt.Run(ctx) }()
		for i, ref := range []string{"a", "big"} {
			in := Inbound{Chat: "c1", ID: fmt.Sprint("m", i), Kind: KindDocument, Text: "doc",
				Media: &Media{Name: ref + ".pdf", Bytes: 10, Ref: []byte(ref)}}
			if ref == "big" {
				in.Kind = KindImage // images are capped at 16 MB
			}
			if _, err := rt.Receive(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		attempts := func() int {
			var m store.Media
			must(t, db.View(ctx, func(tx *store.Tx) error {
				var err error
				m, err = tx.Media(ctx, 1)
				return err
			}))
			return m.Attempts
		}
		synctest.Wait()
		if n := attempts(); n != 1 {
			t.Errorf("%d fetches at once; want 1", n)
		}
		time.Sleep(90 * time.Second) // fake time: the first wait (1m) passes, not the second (2m)
		synctest.Wait()
		if n := attempts(); n != 2 {
			t.Errorf("%d fetches after 90s; want 2", n)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		var ms []store.Media
		must(t, db.View(ctx, func(tx *store.Tx) error {
			for _, id := range []int64{1, 2} {
				m, err := tx.Media(ctx, id)
				if err != nil {
					return err
				}
				ms = append(ms, m)
			}
			return nil
		}))
		if m := ms[0]; m.State != store.MediaStored || m.Attempts != 3 || m.ContentType != "application/pdf" || !has(t, files, m.SHA256) {
			t.Errorf("retried file %+v; want stored on the third try", m)
		}
		if m := ms[1]; m.State != store.MediaFailed || !strings.Contains(m.Problem, "acima do limite de 16 MB") {
			t.Errorf("oversized file %+v; want failed at the cap", m)
		}
		tr.mu.Lock()
		if tr.fetches["a"] != 3 || tr.fetches["big"] != 1 {
			t.Errorf("fetches %v; want a 3 times, big once", tr.fetches)
		}
		tr.mu.Unlock()
		cancel()
		must(t, <-done)
		db.Close()
	})
}

// has reports whether files holds sum.
func has(tb testing.TB, files *store.Files, sum string) bool {
	tb.Helper()
	ok, err := files.Has(context.Background(), sum)
	if err != nil {
		tb.Fatal(err)
	}
	return ok
}
