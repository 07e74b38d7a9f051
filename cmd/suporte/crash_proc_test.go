package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"suporte/store/pgtemp"
)

// The crash tests run the real binary, built once per test process into
// a folder TestMain removes.
var suporteBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtemp.StopShared()
	if suporteBin.dir != "" {
		os.RemoveAll(suporteBin.dir)
	}
	os.Exit(code)
}

// buildSuporte returns the path of bin/suporte built from this tree
// (without -race: only the harness needs it).
func buildSuporte(t *testing.T) string {
	t.Helper()
	b := &suporteBin
	b.once.Do(func() {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		if b.dir, b.err = os.MkdirTemp("", "suporte-crash-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "suporte")
		cmd := exec.Command(goCmd, "build", "-o", b.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// testFlows writes the shipped flows.yaml with two settings changed for
// tests that drive the binary at machine speed: a short typing pause (the
// paced send path stays the one under test) and no flood limit.
func testFlows(t *testing.T, pause time.Duration) string {
	t.Helper()
	b, err := os.ReadFile("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for _, r := range []struct {
		re  *regexp.Regexp
		new string
	}{
		{regexp.MustCompile(`(?m)^pacing:\n(?:[ \t]+.*\n)+`), fmt.Sprintf("pacing:\n  min: %v\n  max: %v\n  per_char: 0s\n", pause, pause)},
		{regexp.MustCompile(`(?m)^  flood_max: \d+$`), "  flood_max: 100000"},
	} {
		if !r.re.MatchString(src) {
			t.Fatalf("flows.yaml: %s not found; update testFlows", r.re)
		}
		src = r.re.ReplaceAllLiteralString(src, r.new)
	}
	path := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// demoProc is one `suporte demo` child process.
type demoProc struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	stderr *lockedBuffer
	exited chan struct{} // closed when Wait returned
	err    error         // Wait's result, once exited
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDemoProc starts `suporte demo` on dir with the clock at at, on a
// port the system picks (read from its welcome text), and waits until
// /healthz answers. extra flags go last.
func startDemoProc(t *testing.T, dir, flowsPath string, at time.Time, extra ...string) *demoProc {
	t.Helper()
	bin := buildSuporte(t)
	stdout := &lockedBuffer{}
	p := &demoProc{stderr: &lockedBuffer{}, exited: make(chan struct{})}
	args := []string{"demo", "--data", dir, "--listen", "127.0.0.1:0", "--flows", flowsPath,
		"--at", at.Format(time.RFC3339Nano), "--log-level", "info", "--send-rate", "1000", "--send-burst", "1000"}
	p.cmd = exec.Command(bin, append(args, extra...)...)
	p.cmd.Stdout = stdout
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	err := p.waitAddr(stdout, startTimeout)
	if err == nil {
		err = p.waitHealthy(startTimeout)
	}
	if err != nil {
		p.kill(syscall.SIGKILL)
		t.Fatalf("suporte demo did not start: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, p.stderr)
	}
	return p
}

// startTimeout bounds a start: on a loaded machine it takes seconds.
const startTimeout = 30 * time.Second

// welcomeAddr finds the listening address in the demo's welcome text.
var welcomeAddr = regexp.MustCompile(`(http://127\.0\.0\.1:[0-9]+)/sim/`)

// waitAddr polls the child's stdout for the address it listens on.
func (p *demoProc) waitAddr(stdout *lockedBuffer, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		if m := welcomeAddr.FindStringSubmatch(stdout.String()); m != nil {
			p.base = m[1]
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("exited: %v", p.err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no address in its welcome within %v", within)
		}
	}
}

// waitHealthy polls /healthz until it answers 200, the process exits, or
// the deadline passes.
func (p *demoProc) waitHealthy(within time.Duration) error {
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := client.Get(p.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("exited: %v", p.err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no healthy /healthz within %v (last error %v)", within, err)
		}
	}
}

// kill sends sig and waits for the process to end (SIGKILL: at once).
func (p *demoProc) kill(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-p.exited
	}
}

// waitExit waits for the process to end and returns its exit status.
func (p *demoProc) waitExit(within time.Duration) (int, error) {
	select {
	case <-p.exited:
	case <-time.After(within):
		return -1, fmt.Errorf("still running after %v", within)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0, nil
	case errors.As(p.err, &ee):
		return ee.ExitCode(), nil
	}
	return -1, p.err
}

// waitStderr polls the child's stderr for s.
func (p *demoProc) waitStderr(s string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for !strings.Contains(p.stderr.String(), s) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// errorLogs returns the child's log lines at error level or above.
func (p *demoProc) errorLogs() []string {
	var out []string
	for line := range strings.Lines(p.stderr.String()) {
		if strings.Contains(line, `"level":"error"`) || strings.Contains(line, `"level":"fatal"`) || strings.Contains(line, "panic:") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// delivery is one support message the simulated phone showed: one call of
// the transport's Send, as heard on /sim/api/events.
type delivery struct {
	Seq  int64  `json:"seq"`
	Chat string `json:"chat"`
	From string `json:"from"`
	Text string `json:"text"`
}

// eventLog records a process's deliveries, per chat in arrival order.
type eventLog struct {
	mu     sync.Mutex
	byChat map[string][]delivery
	ended  chan struct{} // the stream closed
	err    error
}

// subscribe opens /sim/api/events and returns once the stream said hello:
// from then on every Send of the process is recorded, until it dies.
func subscribe(ctx context.Context, base string) (*eventLog, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sim/api/events", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("events: status %d", res.StatusCode)
	}
	l := &eventLog{byChat: map[string][]delivery{}, ended: make(chan struct{})}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var event string
	hello := false
	for !hello && sc.Scan() {
		hello = sc.Text() == "event: hello"
	}
	if !hello {
		res.Body.Close()
		return nil, fmt.Errorf("events: no hello: %v", sc.Err())
	}
	go func() {
		defer close(l.ended)
		defer res.Body.Close()
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "message":
				var u struct {
					Message delivery `json:"message"`
				}
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &u); err != nil {
					l.err = fmt.Errorf("events: %v: %q", err, line)
					return
				}
				if m := u.Message; m.From == "support" {
					l.mu.Lock()
					l.byChat[m.Chat] = append(l.byChat[m.Chat], m)
					l.mu.Unlock()
				}
			case line == "":
				event = ""
			}
		}
		l.err = sc.Err()
	}()
	return l, nil
}

// deliveries returns chat's deliveries so far.
func (l *eventLog) deliveries(chat string) []delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]delivery(nil), l.byChat[chat]...)
}
