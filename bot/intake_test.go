package bot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"suporte/store"
)

// TestLongTextEdges: MaxText characters are kept whole and answered as
// usual; one more and the message is kept cut, with a note.
func TestLongTextEdges(t *testing.T) {
	d := newDesk(t)
	tooLong := strings.TrimRight(testFlow(t).File.Texts.TooLong.Value, "\n ")
	for _, tc := range []struct {
		chat string
		n    int
		cut  bool
	}{
		{"c1", MaxText, false},
		{"c2", MaxText + 1, true},
	} {
		got := d.say(tc.chat, strings.Repeat("é", tc.n))
		noted := len(got) > 0 && strings.HasPrefix(got[0], tooLong[:20])
		if noted != tc.cut {
			t.Errorf("%d characters: got %q; want the too-long note: %v", tc.n, got, tc.cut)
		}
		var ins []store.Inbound
		must(t, d.db.View(d.ctx, func(tx *store.Tx) error {
			var err error
			ins, err = tx.InboxByChat(d.ctx, "", tc.chat, 1)
			return err
		}))
		want := strings.Repeat("é", min(tc.n, MaxText))
		if tc.cut {
			want += cutMark
		}
		if len(ins) != 1 || ins[0].Text != want {
			t.Errorf("%d characters: stored %d; want %d", tc.n, utf8.RuneCountInString(ins[0].Text), utf8.RuneCountInString(want))
		}
	}
}

// TestHiddenCharactersStripped: NUL, other controls and bidi overrides
// never reach the store or the bot's echo, whether they come in a
// customer's text, their name or an agent's message; the rest is kept.
func TestHiddenCharactersStripped(t *testing.T) {
	d := newDesk(t)
	d.n++
	in := Inbound{Chat: "c1", ID: fmt.Sprint("m", d.n), Kind: KindText, Text: "oi", PushName: "Ma\u202eria\x00 \u2066Silva\u2069", At: d.clock.Now()}
	if _, err := d.rt.Receive(d.ctx, in); err != nil {
		t.Fatal(err)
	}
	d.drain()
	got := d.say("c1", "abc\x00def\u202e")
	if len(got) == 0 || !strings.Contains(got[0], "*abcdef*") {
		t.Errorf("the bot echoed %q; want the text without NUL and bidi characters", got)
	}
	id := d.queue("c1")
	d.since("c1", func() { must(t, d.rt.Claim(d.ctx, ana, id)) })
	got = d.since("c1", func() { must(t, d.rt.Reply(d.ctx, ana, id, "Olá\x07, \u202eMaria\u202c!\nTudo bem?")) })
	if len(got) != 1 || got[0] != "*Ana*\nOlá, Maria!\nTudo bem?" {
		t.Errorf("the agent's reply went out as %q; want it cleaned", got)
	}
	must(t, d.rt.Note(d.ctx, ana, id, "nota\x1b[31m"))

	if tk := d.ticket(id); tk.Requester != "Maria Silva" {
		t.Errorf("requester %q; want the push name cleaned", tk.Requester)
	}
	var evs []store.TicketEvent
	var ins []store.Inbound
	must(t, d.db.View(d.ctx, func(tx *store.Tx) error {
		var err error
		if evs, err = tx.TicketEvents(d.ctx, id, 0); err != nil {
			return err
		}
		ins, err = tx.InboxByChat(d.ctx, "", "c1", 0)
		return err
	}))
	for _, e := range evs {
		if strings.ContainsFunc(e.Text, hidden) || strings.ContainsFunc(e.Actor, hidden) {
			t.Errorf("ticket line %s %q %q keeps a hidden character", e.Kind, e.Actor, e.Text)
		}
	}
	for _, m := range ins {
		if strings.ContainsFunc(m.Text, hidden) || strings.ContainsFunc(m.PushName, hidden) {
			t.Errorf("inbox row %q %q keeps a hidden character", m.PushName, m.Text)
		}
	}
}
