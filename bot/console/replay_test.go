package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"suporte/store/pgtemp"
)

// sse is one server-sent event as a client reads it.
type sse struct {
	id         int64
	kind, data string
}

// stream opens tok's event stream, sending Last-Event-ID last when not 0,
// and returns its events as they come.
func (e *env) stream(ctx context.Context, tok string, last int64) <-chan sse {
	e.t.Helper()
	r, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/events", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	if last > 0 {
		r.Header.Set("Last-Event-ID", fmt.Sprint(last))
	}
	res, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { res.Body.Close() })
	out := make(chan sse, 256)
	go func() {
		defer close(out)
		var ev sse
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(line[len("id: "):], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.kind = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			case line == "" && ev.kind != "":
				out <- ev
				ev = sse{}
			}
		}
	}()
	return out
}

// TestEventsReplayed: on a shared store a console that reconnects with
// Last-Event-ID is sent what it missed, with the ids the first stream
// saw, then the live events; nothing from before its id, nothing twice.
func TestEventsReplayed(t *testing.T) {
	b := newBackendAt(t, pgtemp.Database(t))
	e := &env{backend: b, t: t}
	e.serve(e.console(Config{}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.rt.RunEvents(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	e.agent("ana@x.com", "Ana", "agent", 5)
	tok := e.login("ana@x.com")
	first := e.stream(ctx, tok, 0)

	// queued waits on s for the queue event of ticket, and returns
	// every event s gave until then.
	queued := func(s <-chan sse, ticket int64, within time.Duration) ([]sse, bool) {
		t.Helper()
		var got []sse
		deadline := time.After(within)
		for {
			select {
			case ev, ok := <-s:
				if !ok {
					t.Fatal("the stream ended")
				}
				got = append(got, ev)
				var d struct{ Ticket int64 }
				if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
					t.Fatalf("event %+v: %v", ev, err)
				}
				if ev.kind == "queue" && d.Ticket == ticket {
					return got, true
				}
			case <-deadline:
				return got, false
			}
		}
	}
	// The listener connects in the background: customers come until the
	// stream hears one's handoff.
	var mark int64
	for i := 0; mark == 0; i++ {
		tk := e.customer(fmt.Sprint("55479999900", 10+i))
		got, ok := queued(first, tk, time.Second)
		if ok {
			mark = got[len(got)-1].id
		}
		if i == 10 {
			t.Fatal("the stream never heard a handoff")
		}
	}
	if mark == 0 {
		t.Fatal("a queue event without an id")
	}
	tk := e.customer("5547999990001")
	missed, ok := queued(first, tk, 10*time.Second)
	if !ok {
		t.Fatal("the first stream did not hear the second handoff")
	}

	// A console away since mark reconnects.
	again := e.stream(ctx, tok, mark)
	tk = e.customer("5547999990002")
	got, ok := queued(again, tk, 10*time.Second)
	if !ok {
		t.Fatalf("the reconnected stream did not hear the third handoff; heard %+v", got)
	}
	seen := map[int64]int{}
	for _, ev := range got {
		if ev.kind == "hello" || ev.kind == "presence" {
			continue
		}
		if ev.id <= mark {
			t.Errorf("event %+v sent again after Last-Event-ID %d", ev, mark)
		}
		seen[ev.id]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("event %d sent %d times", id, n)
		}
	}
	for _, ev := range missed {
		if seen[ev.id] != 1 {
			t.Errorf("missed event %+v not replayed once (%d)", ev, seen[ev.id])
		}
	}
}
