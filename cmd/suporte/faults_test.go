package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"suporte/store"
)

// logBuffer collects log lines from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log lines whose message is msg, decoded.
func (b *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var m map[string]any
		if l == "" {
			continue
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func simSay(t *testing.T, base string, i int) (int, string) {
	t.Helper()
	code, b := request(t, "POST", base+"/sim/api/messages", fmt.Sprintf(`{"chat":"55479999%05d","text":"oi"}`, i))
	return code, string(b)
}

// TestDataFolderRemovedWhileRunning: the data folder is deleted under a
// running service. Messages are refused (503: not acknowledged, not lost
// to an unlinked file), readiness fails with both reasons, the log says
// so once, and a second service cannot start on the same path.
func TestDataFolderRemovedWhileRunning(t *testing.T) {
	dir := t.TempDir() + "/data"
	logs := &logBuffer{}
	log, flush := newLogger(logs, zerolog.InfoLevel)
	_, base, stop := startDemoLog(t, dir, log)
	if code, b := simSay(t, base, 0); code != 202 {
		t.Fatalf("before: got %d %s; want 202", code, b)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		if code, b := simSay(t, base, i); code != 503 || !strings.Contains(b, "armazenamento") {
			t.Fatalf("message %d after the folder was removed: got %d %s; want 503 about the storage", i, code, b)
		}
	}
	code, b := request(t, "GET", base+"/readyz", "")
	if code != 503 || !strings.Contains(string(b), "store: probe write: "+store.ErrGone.Error()) || !strings.Contains(string(b), "data: data folder") {
		t.Errorf("/readyz: got %d %s; want 503 with the store and the data folder", code, b)
	}
	if l, err := lockData(dir); err == nil {
		l.release()
		t.Error("a second service locked the path while the first runs")
	}
	stop()
	flush()
	if got := logs.lines(t, "the database file is gone (data folder deleted or replaced?): no message is accepted; stop suporte, restore the data folder and start it again"); len(got) != 1 {
		t.Errorf("%d lines saying the database file is gone; want 1", len(got))
	}
	checkQuiet(t, logs, "receive simulated message", 50)
}

// TestWriteOutageLogsQuietly: a disk that takes no writes fails every
// customer message; the log says so once, then how many times it repeated.
func TestWriteOutageLogsQuietly(t *testing.T) {
	logs := &logBuffer{}
	log, flush := newLogger(logs, zerolog.InfoLevel)
	d, base, stop := startDemoLog(t, t.TempDir(), log)
	if err := d.db.Drill(t.Context(), store.ReadOnly); err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if code, b := simSay(t, base, i); code != 503 {
			t.Fatalf("message %d on a read-only store: got %d %s; want 503", i, code, b)
		}
	}
	stop()
	flush()
	checkQuiet(t, logs, "receive simulated message", n)
}

// checkQuiet checks that n log lines msg came out as two: the first, and
// one with the count of the others.
func checkQuiet(t *testing.T, logs *logBuffer, msg string, n int) {
	t.Helper()
	got := logs.lines(t, msg)
	if len(got) != 2 || got[0]["suppressed"] != nil || got[1]["suppressed"] != float64(n-1) {
		t.Errorf("%d lines %q (%v); want 2: the first, then one with \"suppressed\": %d", len(got), msg, got, n-1)
	}
}
