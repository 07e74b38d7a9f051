package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// NewServer returns the HTTP server every suporte listener uses, serving
// h: headers must arrive within 10 s, bodies within BodyTime's bounds
// (DefaultBodyTime), and an idle kept-alive connection closes after two
// minutes. Responses have no time limit: the event streams last for hours.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           DefaultBodyTime.Handler(h),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// BodyTime bounds how long a request may take to send its body, so that
// a client sending a byte now and then cannot hold a connection, and its
// goroutine, open for ever. A body gets Base plus the time its length
// takes at MinRate, up to Max; a body of unknown length (chunked) earns
// its time as it arrives. Requests without a body, the event streams
// among them, are not touched, and neither is the time to answer.
type BodyTime struct {
	Base    time.Duration
	MinRate int64 // bytes a second
	Max     time.Duration
}

// DefaultBodyTime fits the JSON bodies of the console and the simulated
// phone (a few KiB: 30 s) and leaves uploads of files room (32 KiB/s,
// a slow mobile link, up to 15 minutes: 16 MiB takes about 9).
var DefaultBodyTime = BodyTime{Base: 30 * time.Second, MinRate: 32 << 10, Max: 15 * time.Minute}

// Handler sets the read deadline of each request with a body before next
// reads it. Reading past it fails with an error for which
// TimedOut is true; the server starts each request with the deadline
// cleared again.
func (b BodyTime) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			body := &timedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), b: b, start: time.Now(), length: r.ContentLength}
			if body.extend() == nil { // a writer that cannot set deadlines (a test recorder) reads as it is
				r.Body = body
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TimedOut reports whether err is a body that did not arrive in time.
func TimedOut(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// timedBody moves the read deadline as a body of unknown length arrives.
type timedBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	b        BodyTime
	start    time.Time
	length   int64 // Content-Length, -1 if unknown
	read     int64
	deadline time.Time
}

func (t *timedBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.read += int64(n)
	if n > 0 && t.read > t.length {
		_ = t.extend() // it worked the first time
	}
	return n, err
}

// extend sets the deadline the bytes known so far earn, if later than the
// one set.
func (t *timedBody) extend() error {
	earned := t.b.Base + time.Duration(max(t.length, t.read)/t.b.MinRate)*time.Second
	d := t.start.Add(min(earned, t.b.Max))
	if d.Sub(t.deadline) < time.Second {
		return nil
	}
	t.deadline = d
	return t.rc.SetReadDeadline(d)
}

// LimitBody caps r's body at limit bytes, as http.MaxBytesReader does.
// A body whose Content-Length is over the limit fails with
// *http.MaxBytesError on its first read: one at most DrainMax over it is
// read and discarded first, so that a client still sending it gets the
// answer rather than a reset connection; a longer one is refused before a
// byte is read and its connection closes after the answer. Without that,
// a client could declare a huge length and send a byte now and then:
// BodyTime grants time by the declared length (up to Max), not by what
// the handler takes.
func LimitBody(w http.ResponseWriter, r *http.Request, limit int64) {
	if r.ContentLength > limit {
		if r.ContentLength-limit > DrainMax {
			w.Header().Set("Connection", "close") // the rest of the body is never read
			r.Body = tooLong{limit: limit}
			return
		}
		r.Body = tooLong{limit: limit, drain: r.Body}
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
}

// DrainMax is how far over its limit a declared body may be and still be
// read to its end before it is refused.
const DrainMax = 1 << 20

// tooLong is a body declared longer than its limit; drain, if set, is
// the body to read to its end before saying so.
type tooLong struct {
	limit int64
	drain io.ReadCloser
}

func (b tooLong) Read([]byte) (int, error) {
	if b.drain != nil {
		if _, err := io.Copy(io.Discard, b.drain); err != nil {
			return 0, err // it timed out or the client went away: the handler says so
		}
	}
	return 0, &http.MaxBytesError{Limit: b.limit}
}

func (b tooLong) Close() error {
	if b.drain != nil {
		return b.drain.Close()
	}
	return nil
}
