package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// newLogger writes JSON lines, or readable ones on a terminal, through a
// repeatLimiter. flush writes what the limiter still holds: call it last.
func newLogger(w io.Writer, level zerolog.Level) (log zerolog.Logger, flush func()) {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.DateTime}
	}
	q := newRepeatLimiter(w, repeatWindow)
	return zerolog.New(q).Level(level).With().Timestamp().Logger(), q.Flush
}

// repeatWindow is how long a repeated warning or error stays quiet.
const repeatWindow = time.Minute

// maxRepeatKeys bounds the warnings and errors tracked at once; past it,
// new ones are written as they come.
const maxRepeatKeys = 1000

// repeatLimiter is the one place that keeps a failure from flooding the
// log: every warning and error passes through it, whatever part of the
// service logged it (a worker retrying, the sender, the receive path, the
// timers). The first of a kind (same level, message and error class) is
// written; the same again within the window is only counted, and when the
// window ends the last one is written with "suppressed": how many were
// left out. Other levels pass untouched.
type repeatLimiter struct {
	out    io.Writer
	window time.Duration

	mu      sync.Mutex
	repeats map[string]*repeat
}

// repeat is a kind of line within its window.
type repeat struct {
	n     int    // lines left out
	last  []byte // the last one left out
	timer *time.Timer
}

func newRepeatLimiter(out io.Writer, window time.Duration) *repeatLimiter {
	return &repeatLimiter{out: out, window: window, repeats: map[string]*repeat{}}
}

func (q *repeatLimiter) Write(p []byte) (int, error) {
	return q.WriteLevel(zerolog.NoLevel, p)
}

// WriteLevel writes p, a JSON line of level, unless it repeats one written
// within the window.
func (q *repeatLimiter) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if level < zerolog.WarnLevel || level == zerolog.NoLevel {
		return q.out.Write(p)
	}
	var line struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(p, &line) != nil {
		return q.out.Write(p)
	}
	key := level.String() + "\x00" + line.Message + "\x00" + errorClass(line.Error)
	if r, ok := q.repeats[key]; ok {
		r.n++
		r.last = append(r.last[:0], p...)
		return len(p), nil
	}
	if len(q.repeats) < maxRepeatKeys {
		r := &repeat{}
		r.timer = time.AfterFunc(q.window, func() { q.end(key, r) })
		q.repeats[key] = r
	}
	return q.out.Write(p)
}

// end closes key's window: the lines it left out are reported by the last
// of them, with their count.
func (q *repeatLimiter) end(key string, r *repeat) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.repeats[key] != r {
		return // flushed already
	}
	delete(q.repeats, key)
	q.report(r)
}

// report writes r's last line with its count; q.mu is held.
func (q *repeatLimiter) report(r *repeat) {
	if r.n == 0 {
		return
	}
	line := bytes.TrimRight(r.last, "\n")
	if len(line) < 2 || line[len(line)-1] != '}' {
		return
	}
	out := append(line[:len(line)-1:len(line)-1], `,"suppressed":`+strconv.Itoa(r.n)+"}\n"...)
	_, _ = q.out.Write(out) // nowhere left to report a failing log
}

// Flush reports every open window's left-out lines now, e.g. before exit.
func (q *repeatLimiter) Flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for key, r := range q.repeats {
		r.timer.Stop()
		delete(q.repeats, key)
		q.report(r)
	}
}

// errorClass is what stays the same across repeats of an error: its
// innermost cause, after the last ": " of the wrapping contexts (which
// carry message ids and other details that differ every time).
func errorClass(err string) string {
	if i := strings.LastIndex(err, ": "); i >= 0 {
		return err[i+2:]
	}
	return err
}
