package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// FuzzSimAPI posts any body to POST /sim/api/messages and sends any query
// to GET /sim/api/messages and /sim/api/history. Never a 5xx; every error
// is a JSON {"error"}; a 202 means the message is in the store (the same
// text and kind unless it was a redelivery), and a list answer is a JSON
// array of the chat's messages.
//
// Each request is sent twice: the second gets the same answer, a
// redelivery when the body names its id. One store, phone and runtime
// serve a fuzz worker; the chat an input names is deleted after it, so
// inputs do not see each other. With /tmp on disk every commit is an
// fsync: run with TMPDIR=/dev/shm.
func FuzzSimAPI(f *testing.F) {
	bodies := []string{
		`{"chat":"5547999990001","text":"oi"}`,
		`{"chat":"5547999990001","text":"12345678","id":"m-1","name":"Ana"}`,
		`{"chat":"5547999990001","text":"12345678","id":"m-1","name":"Ana"}`,
		`{"chat":"c1","kind":"image","text":"legenda"}`,
		`{"chat":"c1","kind":"audio"}`,
		`{"chat":"c1","kind":"edit","text":"x"}`,
		`{"chat":"c1","kind":"from_me","text":"x"}`,
		`{"chat":"lid@lid","text":"\u0000\u202e1\ud800"}`,
		`{"chat":"c1","text":"   "}`,
		`{"chat":"","text":"oi"}`,
		`{"chat":"../../etc","text":"oi"}`,
		`{"chat":"c1","text":"oi","extra":1}`,
		`{"chat":1,"text":"oi"}`,
		`{"chat":"c1","text":"oi"} {"chat":"c1","text":"oi"}`,
		`{"chat":"c1","text":"oi"}garbage`,
		`{"chat":"c1","text":"oi","name":"a\nb"}`,
		`{"chat":"c1","text":"oi","id":"` + strings.Repeat("a", 129) + `"}`,
		`{"CHAT":"c2","Text":"case"}`,
		`{"chat":"c3","chat":"c4","text":"dup key"}`,
		`{"chat":"c1","text":"` + strings.Repeat("á", MaxText) + `"}`,
		`{"chat":"c1","text":"` + strings.Repeat("á", MaxText+1) + `"}`,
		`{"chat":"c1","text":"` + strings.Repeat("x", MaxBody) + `"}`,
		`{"chat":"c1","text":"\xff\xfe"}`,
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000),
		`null`, `[]`, `""`, `1e999`, ``, "\x00", "\xef\xbb\xbf{}",
	}
	queries := []string{
		"chat=5547999990001", "chat=5547999990001&after=0", "chat=c1&after=3", "chat=c1&after=-1",
		"chat=c1&after=99999999999999999999", "chat=", "", "chat=%00", "chat=a%20b", "chat=c1&chat=c2",
		"chat=%zz", ";;;&&&==", "chat=" + strings.Repeat("a", 65), "after=1",
	}
	for i, b := range bodies {
		f.Add([]byte(b), queries[i%len(queries)])
	}

	fl, db := testFlow(f), testStore(f)
	ctx := context.Background()
	clock := bot.NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))
	phone := NewPhone(PhoneConfig{Store: db, Clock: clock, Location: fl.Calendar.Location, Log: zerolog.Nop()})
	rt := bot.New(bot.Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: phone, Clock: clock, Log: zerolog.Nop()})
	h := phone.Handler(rt)

	f.Fuzz(func(t *testing.T, body []byte, query string) {
		var chat string
		if b, ok := decodePost(body); ok {
			chat = b.Chat
			defer forget(t, db, chat) // the next input starts afresh
		}
		code, res := fuzzServe(h, http.MethodPost, "/sim/api/messages", "", body)
		if code == http.StatusAccepted {
			checkAccepted(t, db, body, res)
		} else {
			checkSimError(t, "POST", code, res)
		}
		if err := rt.Drain(ctx); err != nil {
			t.Fatalf("Drain: %v", err)
		}

		// The same request again: the same refusal, or accepted again,
		// as a redelivery when it named its id.
		code2, res2 := fuzzServe(h, http.MethodPost, "/sim/api/messages", "", body)
		if code2 != code {
			t.Fatalf("POST %.300q = %d then %d %.300s; want the same answer", body, code, code2, res2)
		}
		if code2 == http.StatusAccepted {
			ans := checkAccepted(t, db, body, res2)
			if b, _ := decodePost(body); b.ID != "" && (!ans.Duplicate || ans.ID != b.ID) {
				t.Errorf("POST %.300q twice = %s; want a duplicate of id %s", body, res2, b.ID)
			}
		}
		if err := rt.Drain(ctx); err != nil {
			t.Fatalf("Drain: %v", err)
		}

		for _, path := range []string{"/sim/api/messages", "/sim/api/history"} {
			code, res := fuzzServe(h, http.MethodGet, path, query, nil)
			if code != http.StatusOK {
				checkSimError(t, "GET "+path+"?"+query, code, res)
				continue
			}
			var ms []Message
			if err := json.Unmarshal(res, &ms); err != nil || ms == nil {
				t.Fatalf("GET %s?%s = 200 %s; want a JSON array (%v)", path, query, res, err)
			}
			chat := fuzzQuery(query).Get("chat")
			for _, m := range ms {
				if m.Chat != chat {
					t.Errorf("GET %s?%s listed a message of chat %q", path, query, m.Chat)
				}
			}
		}
	})
}

// fuzzServe runs one request through h; query is set raw, as a client
// may send anything.
func fuzzServe(h http.Handler, method, path, query string, body []byte) (int, []byte) {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	r.URL.RawQuery = query
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

// fuzzQuery parses a query as the handlers do (URL.Query), keeping what
// parses.
func fuzzQuery(q string) url.Values {
	v, _ := url.ParseQuery(q)
	return v
}

// checkSimError checks a non-2xx answer: 4xx, JSON {"error": "..."}.
func checkSimError(t *testing.T, what string, code int, res []byte) {
	t.Helper()
	if code < 400 || code >= 500 {
		t.Fatalf("%s = %d %.300s; want 202/200 or a 4xx", what, code, res)
	}
	var e map[string]any
	if err := json.Unmarshal(res, &e); err != nil {
		t.Fatalf("%s = %d %.300q; want a JSON error (%v)", what, code, res, err)
	}
	if msg, ok := e["error"].(string); !ok || msg == "" || len(e) != 1 {
		t.Fatalf("%s = %d %.300s; want exactly {\"error\": \"...\"}", what, code, res)
	}
}

// checkAccepted checks that a 202's message is in the store.
func checkAccepted(t *testing.T, db *store.DB, body, res []byte) postAnswer {
	t.Helper()
	var ans postAnswer
	if err := json.Unmarshal(res, &ans); err != nil || ans.ID == "" {
		t.Fatalf("POST %q = 202 %s; want {\"id\", \"duplicate\"} (%v)", body, res, err)
	}
	b, ok := decodePost(body)
	if !ok {
		t.Fatalf("POST %q = 202 but the body does not decode", body)
	}
	ctx := context.Background()
	var ins []store.Inbound
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		ins, err = tx.InboxByChat(ctx, "", b.Chat, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		if in.MsgID != ans.ID {
			continue
		}
		if ans.Duplicate {
			return ans
		}
		kind := b.Kind
		if kind == "" {
			kind = bot.KindText
		}
		// Stored as the runtime keeps it: cleaned, and cut past bot.MaxText.
		want, cut := bot.CleanText(b.Text), false
		if utf8.RuneCountInString(want) > bot.MaxText {
			want, cut = string([]rune(want)[:bot.MaxText]), true
		}
		if in.Kind != kind || (!cut && in.Text != want) || (cut && !strings.HasPrefix(in.Text, want)) {
			t.Fatalf("POST %.300q = 202; stored %s %.300q; want %s %.300q (cut: %v)", body, in.Kind, in.Text, kind, want, cut)
		}
		return ans
	}
	t.Fatalf("POST %q = 202 id %s; not in the inbox of chat %q (%d rows)", body, ans.ID, b.Chat, len(ins))
	return ans
}

// decodePost reads body as the handler does, less strictly: what a 202
// accepted decodes the same way.
func decodePost(body []byte) (postBody, bool) {
	var b postBody
	err := json.Unmarshal(body, &b)
	return b, err == nil && b.Chat != ""
}

// forget deletes everything the store holds about chat.
func forget(t *testing.T, db *store.DB, chat string) {
	t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.DeletePerson(ctx, store.Person{Chat: chat})
		return err
	})
	if err != nil {
		t.Fatalf("forget chat %q: %v", chat, err)
	}
}
