package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"suporte/store"
	"suporte/store/pgtemp"
)

// TestTwoLinesOneDatabase: two `suporte demo` processes, two numbers, one
// PostgreSQL database. The same customer writes to both numbers, with
// the same message ids (they are their phone's): each line keeps its own
// conversation and ticket, and every reply goes out through the process
// of the number it belongs to (each process's simulated WhatsApp reports
// what it sends). An agent on line A's console answers the customer's
// ticket of line B: line B's process sends it.
func TestTwoLinesOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two binaries on PostgreSQL; not in -short")
	}
	buildSuporte(t)
	dsn := pgtemp.Database(t)
	flowsPath := testFlows(t, crashPause)
	lines := [2]struct{ phone, name, label string }{
		{"+55 47 3512-1777", "554735121777", "(47) 3512-1777"},
		{"+55 11 4004-2000", "551140042000", "(11) 4004-2000"},
	}
	var procs [2]*demoProc
	var sent [2]*eventLog
	var custs [2]*crashCustomer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, l := range lines {
		procs[i] = startDemoProc(t, t.TempDir(), flowsPath, crashEpoch, "--db", dsn, "--phone", l.phone)
		var err error
		if sent[i], err = subscribe(ctx, procs[i].base); err != nil {
			t.Fatal(err)
		}
		srv := &crashServer{client: &http.Client{Timeout: 10 * time.Second}}
		srv.setURL(procs[i].base)
		custs[i] = newCrashCustomer(0, srv) // the same person on both: same chat, same message ids
	}
	// Each process owns its own line.
	for i, p := range procs {
		var r struct {
			Role  string `json:"role"`
			Lease struct {
				Line string `json:"line"`
			} `json:"lease"`
		}
		getJSON(t, p.base+"/readyz", "", &r)
		if r.Role != "owner" || r.Lease.Line != lines[i].name {
			t.Fatalf("process %d: role %q of line %q; want owner of %s", i, r.Role, r.Lease.Line, lines[i].name)
		}
	}
	chat := custs[0].chat

	// On A the customer is helped by a trail; on B they ask for a person.
	for _, text := range scriptFirst {
		if err := custs[0].step(text); err != nil {
			t.Fatalf("line A: %v", err)
		}
	}
	for _, text := range []string{"oi", "12345678", "atendente"} {
		if err := custs[1].step(text); err != nil {
			t.Fatalf("line B: %v", err)
		}
	}

	// Ana's supervisor, on A's console, sees both lines' tickets with
	// their numbers, and answers the one waiting on B.
	tok := login(t, procs[0].base)
	var q []struct {
		Ticket int64  `json:"ticket"`
		Line   string `json:"line"`
	}
	getJSON(t, procs[0].base+"/api/queue", tok, &q)
	if len(q) != 1 || q[0].Line != lines[1].label {
		t.Fatalf("A's console queue: %+v; want B's ticket, on %s", q, lines[1].label)
	}
	ticket := q[0].Ticket
	postJSON(t, procs[0].base, tok, fmt.Sprintf("/api/tickets/%d/claim", ticket), nil)
	const reply = "Oi! Aqui é a Sara, do console da outra linha."
	postJSON(t, procs[0].base, tok, fmt.Sprintf("/api/tickets/%d/messages", ticket), map[string]any{"text": reply, "internal": false})
	deadline := time.Now().Add(stepTimeout)
	for !delivered(sent[1], chat, reply) {
		if time.Now().After(deadline) {
			t.Fatalf("line B's process never sent the reply; stderr:\n%s", procs[1].stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	db := openPG(t, dsn)
	defer db.Close()
	waitQuietDB(t, db, 30*time.Second)
	for _, p := range procs {
		p.kill(syscall.SIGTERM)
		if code, err := p.waitExit(15 * time.Second); err != nil || code != 0 {
			t.Errorf("SIGTERM: exit %d, %v; want 0\nstderr:\n%s", code, err, p.stderr)
		}
		if logs := p.errorLogs(); len(logs) > 0 {
			t.Errorf("error logs:\n%v", logs)
		}
	}
	for i := range procs {
		<-sent[i].ended
	}

	// Every reply of each line went out through its own process, once.
	for i, l := range lines {
		rows, err := db.Query(`SELECT id, line, text FROM outbox WHERE chat = $1 ORDER BY id`, chat)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		var texts []string
		for rows.Next() {
			var id int64
			var line, text string
			if err := rows.Scan(&id, &line, &text); err != nil {
				t.Fatal(err)
			}
			if line == l.name {
				want = append(want, id)
				texts = append(texts, text)
			}
		}
		rows.Close()
		var got []int64
		for _, d := range sent[i].deliveries(chat) {
			got = append(got, d.Seq)
		}
		if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("line %s's process sent outbox rows %v; want its line's, %v", l.name, got, want)
		}
		if hasReply := strings.Contains(strings.Join(texts, "\n"), reply); hasReply != (i == 1) {
			t.Errorf("line %s's outbox has the agent's reply: %v; want %v", l.name, hasReply, i == 1)
		}
	}
	var convs, tickets int
	if err := db.QueryRow(`SELECT (SELECT count(DISTINCT line) FROM conversations WHERE chat = $1), (SELECT count(DISTINCT line) FROM tickets WHERE chat = $1)`, chat).Scan(&convs, &tickets); err != nil {
		t.Fatal(err)
	}
	if convs != 2 || tickets != 2 {
		t.Errorf("the customer's conversations on %d lines, tickets on %d; want 2 and 2", convs, tickets)
	}
	var inboxA, inboxB int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE line = $2), count(*) FILTER (WHERE line = $3) FROM inbox WHERE chat = $1`,
		chat, lines[0].name, lines[1].name).Scan(&inboxA, &inboxB); err != nil {
		t.Fatal(err)
	}
	if inboxA != len(scriptFirst) || inboxB != 3 {
		t.Errorf("inbox: %d messages on A, %d on B; want %d and 3 (the same ids on both)", inboxA, inboxB, len(scriptFirst))
	}
}

// delivered reports whether a process's simulated WhatsApp sent chat a
// message ending with text.
func delivered(l *eventLog, chat, text string) bool {
	for _, d := range l.deliveries(chat) {
		if strings.HasSuffix(d.Text, text) {
			return true
		}
	}
	return false
}

// getJSON GETs url with a bearer token (if any) and decodes its 200 answer.
func getJSON(t *testing.T, url, token string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// postJSON POSTs body to the console API at base and wants a 200.
func postJSON(t *testing.T, base, token, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d", path, res.StatusCode)
	}
}

// TestReportByLine: with several lines the report breaks the
// conversations down by number; with one it says nothing of lines.
func TestReportByLine(t *testing.T) {
	two := store.Report{Lines: []store.Line{{Line: "551140042000", Conversations: 3, ToPerson: 1}, {Line: "554735121777", Conversations: 5}}}
	one := store.Report{Lines: []store.Line{{Line: "554735121777", Conversations: 5}}}
	for _, c := range []struct {
		name  string
		r     store.Report
		write func(io.Writer, store.Report, map[string]string) error
		want  []string // in the output of two lines, absent from one's
	}{
		{"table", two, writeReportTable, []string{"(11) 4004-2000", "(47) 3512-1777", "Linha"}},
		{"csv", two, writeReportCSV, []string{"lines\nline,conversations,to_person\n551140042000,3,1\n554735121777,5,0\n"}},
	} {
		var got, gotOne bytes.Buffer
		if err := c.write(&got, c.r, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.write(&gotOne, one, nil); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(got.String(), w) {
				t.Errorf("%s of two lines lacks %q:\n%s", c.name, w, got.String())
			}
			if strings.Contains(gotOne.String(), w) {
				t.Errorf("%s of one line has %q:\n%s", c.name, w, gotOne.String())
			}
		}
	}
}
