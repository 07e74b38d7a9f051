package web

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
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

// TestLimitBody: a body declared longer than the handler's limit is
// refused before it arrives, so a client cannot declare a huge length
// and trickle bytes for the time that length would earn; a body within
// the limit is read, and one longer than declared is cut.
func TestLimitBody(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /small", func(w http.ResponseWriter, r *http.Request) {
		LimitBody(w, r, 10)
		b, err := io.ReadAll(r.Body)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, "too big", http.StatusRequestEntityTooLarge)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			w.Write(b)
		}
	})
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = NewServer(mux)
	ts.Start()
	defer ts.Close()

	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) // far less than the 15 minutes the declared length earns
	if _, err := io.WriteString(c, "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nA"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("declared 100 MB, sent a byte: %v; want 413 at once", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !res.Close {
		t.Errorf("declared 100 MB: got %d, close %v; want 413 and the connection closed", res.StatusCode, res.Close)
	}

	// Declared a little over the limit and sent in full before reading
	// the answer, as browsers and Go's client do: the body is read to its
	// end, so the answer arrives instead of a reset connection.
	c2, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(10 * time.Second))
	over := 10 + DrainMax
	if _, err := io.WriteString(c2, fmt.Sprintf("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", over)); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Write(bytes.Repeat([]byte("A"), over)); err != nil {
		t.Fatalf("sending a body %d bytes over the limit: %v; want it read to its end", DrainMax, err)
	}
	br := bufio.NewReader(c2)
	res, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("body %d bytes over the limit: %v; want 413", DrainMax, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("body %d bytes over the limit: got %d; want 413", DrainMax, res.StatusCode)
	}
	// The connection stays usable: the body was read.
	if _, err := io.WriteString(c2, "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"); err != nil {
		t.Fatal(err)
	}
	if res, err = http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("next request on the same connection: %v, %v; want 200", res, err)
	}
	res.Body.Close()

	for body, want := range map[string]int{"0123456789": 200, "0123456789A": 413} {
		res, err := http.Post(ts.URL+"/small", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("body %q: got %d; want %d", body, res.StatusCode, want)
		}
	}
	// Chunked: no declared length, cut by what arrives.
	req, _ := http.NewRequest("POST", ts.URL+"/small", io.MultiReader(strings.NewReader("0123456789"), strings.NewReader("AB")))
	req.ContentLength = -1
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("chunked body over the limit: got %d; want 413", res.StatusCode)
	}
}
