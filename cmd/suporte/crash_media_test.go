package main

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// crashPNG is a small real PNG.
var crashPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

// TestCrashMediaDownload kills the demo with SIGKILL after a customer's
// image is committed (and acknowledged) and while its file is being
// fetched (the simulated media server is made slow), then restarts it:
// the file must land, whole and checked, and nothing partial be left.
func TestCrashMediaDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary; not in -short")
	}
	dir := t.TempDir()
	flowsPath := testFlows(t, crashPause)
	p := startDemoProc(t, dir, flowsPath, crashEpoch, "--media-delay", "1h")
	client := &http.Client{Timeout: 10 * time.Second}
	if code, err := postImage(client, p.base, "5547999990009", "img-crash", crashPNG); err != nil || code != http.StatusAccepted {
		t.Fatalf("post image: %d, %v", code, err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "suporte.db")+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	state := func() (st, sum string) {
		t.Helper()
		err := db.QueryRow(`SELECT m.state, m.sha256 FROM media m JOIN inbox i ON i.id = m.inbox WHERE i.msg_id = 'img-crash'`).Scan(&st, &sum)
		if err != nil {
			t.Fatalf("media row of the acknowledged image: %v", err)
		}
		return st, sum
	}
	if st, _ := state(); st != "pending" {
		t.Fatalf("media state %q right after the ack; want pending (the file is fetched after)", st)
	}
	// The fetch is under way: its temporary file exists.
	tmp := filepath.Join(dir, "media", "tmp")
	deadline := time.Now().Add(startTimeout)
	for {
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no download started within %v\nstderr:\n%s", startTimeout, p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.kill(syscall.SIGKILL)
	if st, _ := state(); st != "pending" {
		t.Fatalf("media state %q after the kill; want pending", st)
	}

	p = startDemoProc(t, dir, flowsPath, crashEpoch.Add(time.Minute))
	deadline = time.Now().Add(startTimeout)
	for {
		st, sum := state()
		if st == "stored" {
			want := sha256.Sum256(crashPNG)
			if sum != hex.EncodeToString(want[:]) {
				t.Errorf("stored hash %s; want the image's %x", sum, want)
			}
			f := filepath.Join(dir, "media", sum[:2], sum[2:4], sum)
			got, err := os.ReadFile(f)
			if err != nil || !bytes.Equal(got, crashPNG) {
				t.Errorf("stored file: %v; want the image's bytes", err)
			}
			if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("stored file mode: %v, %v; want 0600", fi, err)
			}
			break
		}
		if st != "pending" || time.Now().After(deadline) {
			t.Fatalf("media state %q after the restart; want stored within %v\nstderr:\n%s", st, startTimeout, p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("partial files left in media/tmp: %v", left)
	}
	checkIntegrity(t, db)
	p.kill(syscall.SIGTERM)
	if code, err := p.waitExit(10 * time.Second); err != nil || code != 0 {
		t.Errorf("SIGTERM: exit %d, %v", code, err)
	}
}

// postImage sends an image as a simulated customer.
func postImage(client *http.Client, base, chat, id string, data []byte) (int, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("chat", chat)
	mw.WriteField("id", id)
	w, err := mw.CreateFormFile("file", "print.png")
	if err != nil {
		return 0, err
	}
	w.Write(data)
	mw.Close()
	res, err := client.Post(base+"/sim/api/messages", mw.FormDataContentType(), &body)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}
