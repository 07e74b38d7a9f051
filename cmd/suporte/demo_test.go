package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"suporte/bot/sim"
	"suporte/store"
)

// startDemo opens a demo on dir and serves it on a free local port until
// the test ends (or stop is called). It returns the base URL.
func startDemo(t *testing.T, dir string) (d *demo, base string, stop func()) {
	t.Helper()
	return startDemoLog(t, dir, zerolog.Nop())
}

// startDemoLog is startDemo logging to log.
func startDemoLog(t *testing.T, dir string, log zerolog.Logger) (d *demo, base string, stop func()) {
	t.Helper()
	o := demoOptions{data: dir, flows: "../../flows.yaml", bcryptCost: bcrypt.MinCost, noPacing: true, sendRate: 1e6, sendBurst: 1e6}
	d, err := openDemo(context.Background(), o, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.serve(ctx, ln, d.handler) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("demo did not stop within 10s")
		}
		d.Close()
	}
	t.Cleanup(stop)
	return d, "http://" + ln.Addr().String(), stop
}

func request(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	d, base, stop := startDemo(t, dir)

	t.Run("healthz", func(t *testing.T) {
		code, b := request(t, "GET", base+"/healthz", "")
		var h map[string]any
		if err := json.Unmarshal(b, &h); err != nil || code != 200 || h["status"] != "ok" || h["whatsapp"] != "simulated" || h["flows_version"] == "" {
			t.Errorf("got %d %s; want 200 with status ok, whatsapp simulated, the flows version", code, b)
		}
	})
	t.Run("sim page", func(t *testing.T) {
		for _, path := range []string{"/sim", "/sim/"} { // /sim redirects
			code, b := request(t, "GET", base+path, "")
			if code != 200 || !bytes.Contains(b, []byte("WhatsApp simulado")) {
				t.Errorf("GET %s: got %d %.80q; want the page", path, code, b)
			}
		}
	})
	t.Run("console page", func(t *testing.T) {
		if code, b := request(t, "GET", base+"/", ""); code != 200 || !bytes.Contains(b, []byte("<html")) {
			t.Errorf("GET /: got %d %.80q; want the console", code, b)
		}
	})
	for _, a := range demoAgents {
		t.Run("login "+a.Email, func(t *testing.T) {
			code, b := request(t, "POST", base+"/api/login", `{"email":"`+a.Email+`","password":"`+demoPassword+`"}`)
			var ans struct {
				Token string `json:"token"`
			}
			if err := json.Unmarshal(b, &ans); err != nil || code != 200 || ans.Token == "" {
				t.Errorf("got %d %s; want 200 with a token", code, b)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		if code, b := request(t, "POST", base+"/api/login", `{"email":"ana@demo.local","password":"not-the-demo-one"}`); code != 401 {
			t.Errorf("got %d %s; want 401", code, b)
		}
	})

	// A customer message goes through the running runtime to the page.
	updates, cancel := d.phone.Subscribe()
	defer cancel()
	code, b := request(t, "POST", base+"/sim/api/messages", `{"chat":"5547999990001","text":"oi","name":"Maria"}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST message: got %d %s; want 202", code, b)
	}
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case u := <-updates:
			got = u.Type == sim.UpdateMessage && u.Message.From == sim.FromSupport && strings.Contains(u.Message.Text, "ID Suporte")
		case <-deadline:
			t.Fatal("no greeting on the simulated phone within 10s")
		}
	}

	t.Run("second demo on the same data", func(t *testing.T) {
		_, err := openDemo(context.Background(), demoOptions{data: dir, flows: "../../flows.yaml"}, zerolog.Nop())
		if err == nil || !strings.Contains(err.Error(), "already running") {
			t.Errorf("got %v; want the data folder lock error", err)
		}
	})

	// A restart keeps the conversation and does not add agents. An open
	// event stream does not hold the stop up.
	res, err := http.Get(base + "/sim/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	stopping := time.Now()
	stop()
	if took := time.Since(stopping); took > 3*time.Second {
		t.Errorf("stop with an open event stream took %v", took)
	}
	d, base, _ = startDemo(t, dir)
	var agents []store.Agent
	err = d.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		agents, err = tx.Agents(context.Background())
		return err
	})
	if err != nil || len(agents) != len(demoAgents) {
		t.Errorf("after a restart: got %d agents (%v); want %d", len(agents), err, len(demoAgents))
	}
	code, b = request(t, "GET", base+"/sim/api/history?chat=5547999990001", "")
	if code != 200 || !bytes.Contains(b, []byte(`"oi"`)) || !bytes.Contains(b, []byte("ID Suporte")) {
		t.Errorf("history after a restart: got %d %s; want the customer's oi and the greeting", code, b)
	}
}

func TestDemoWelcome(t *testing.T) {
	d, _, _ := startDemo(t, t.TempDir())
	var out bytes.Buffer
	d.welcome(&out, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
	for _, want := range []string{"http://127.0.0.1:8080/sim/", "http://127.0.0.1:8080/\n", demoPassword, "ana@demo.local", "sara@demo.local"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("welcome lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Warning") {
		t.Errorf("loopback welcome warns:\n%s", out.String())
	}
	out.Reset()
	d.welcome(&out, &net.TCPAddr{IP: net.IPv4zero, Port: 8080})
	if !strings.Contains(out.String(), "http://localhost:8080/sim/") || !strings.Contains(out.String(), "Warning") {
		t.Errorf("0.0.0.0 welcome: want localhost URLs and a warning:\n%s", out.String())
	}
}

func TestDemoFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad at", []string{"--at", "amanhã"}, "not RFC3339"},
		{"bad log level", []string{"--log-level", "loud"}, "--log-level"},
		{"extra argument", []string{"now"}, "unexpected argument"},
		{"unknown flag", []string{"--pair-phone", "1"}, "flag provided but not defined"},
		{"phone without digits", []string{"--phone", "central"}, "--phone"},
		{"lease too short", []string{"--lease-ttl", "1ms"}, "--lease-ttl 1ms: want between 1s and 10m0s"},
		{"lease not positive", []string{"--lease-ttl", "0"}, "--lease-ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"--data", t.TempDir()}, tt.args...)
			err := runDemo(context.Background(), args, nil, io.Discard, &stderr)
			if err != errUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("got %v, %q; want usage error mentioning %q", err, stderr.String(), tt.want)
			}
		})
	}
}
