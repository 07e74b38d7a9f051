package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSlowBodies runs a real server as NewServer builds it (with a short
// body time) against real slow clients: a body that stops after a byte,
// or never starts, is cut with 408 once its time is up, while an event
// stream opened before them goes on, and a body sent at once is served.
func TestSlowBodies(t *testing.T) {
	tick := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		switch {
		case TimedOut(err):
			http.Error(w, "too slow", http.StatusRequestTimeout)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			w.Write(b)
		}
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		io.WriteString(w, "hello\n")
		rc.Flush()
		select {
		case <-tick:
			io.WriteString(w, "tick\n")
		case <-r.Context().Done():
		}
	})
	srv := NewServer(mux)
	srv.Handler = BodyTime{Base: 300 * time.Millisecond, MinRate: 1 << 20, Max: time.Second}.Handler(mux)
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = srv
	ts.Start()
	defer ts.Close()

	res, err := http.Get(ts.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := bufio.NewReader(res.Body)
	if l, err := events.ReadString('\n'); l != "hello\n" {
		t.Fatalf("event stream: %q, %v", l, err)
	}

	slow := func(name, request string) {
		t.Helper()
		c, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second)) // the test's own bound, far past the server's
		if _, err := io.WriteString(c, request); err != nil {
			t.Fatal(err)
		}
		status, err := bufio.NewReader(c).ReadString('\n')
		if !strings.HasPrefix(status, "HTTP/1.1 408") {
			t.Errorf("%s: got %q, %v; want 408 once its time is up", name, status, err)
		}
	}
	slow("one byte of 100", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nA")
	slow("chunked, nothing sent", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")

	body := strings.Repeat("x", 100)
	r2, err := http.Post(ts.URL+"/echo", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 200 || string(got) != body {
		t.Errorf("a body sent at once: got %d %q", r2.StatusCode, got)
	}

	close(tick) // the stream outlived every body time above
	if l, err := events.ReadString('\n'); l != "tick\n" {
		t.Errorf("event stream after the slow bodies: %q, %v; want it still open", l, err)
	}
}
