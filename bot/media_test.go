package bot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"suporte/flows"
	"suporte/store"
)

// sendFile has chat send a file message of kind and declared size, and
// returns what the customer got back.
func (d *desk) sendFile(chat, kind string, size int64, caption string) []string {
	d.t.Helper()
	before := len(d.tr.texts(chat))
	d.n++
	in := Inbound{Chat: chat, ID: fmt.Sprint("m", d.n), Kind: kind, Text: caption, At: d.clock.Now(),
		Media: &Media{Name: "print.png", MIME: "image/png", Bytes: size, Ref: []byte("ref-" + fmt.Sprint(d.n))}}
	if _, err := d.rt.Receive(d.ctx, in); err != nil {
		d.t.Fatal(err)
	}
	d.drain()
	return d.tr.texts(chat)[before:]
}

// chatMedia lists chat's media rows, oldest first.
func (d *desk) chatMedia(chat string) []store.Media {
	d.t.Helper()
	var out []store.Media
	err := d.db.View(d.ctx, func(tx *store.Tx) error {
		ins, err := tx.InboxByChat(d.ctx, "", chat, 0)
		if err != nil {
			return err
		}
		for _, in := range ins {
			m, err := tx.MediaByInbox(d.ctx, in.ID)
			if err == nil {
				out = append(out, m)
			}
		}
		return nil
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

func TestMediaMidTrailIsKeptAndAnswered(t *testing.T) {
	d := newDesk(t)
	d.say("c1", "oi", "12345678", "4") // a trail: the bot now asks whether it solved it
	got := d.sendFile("c1", KindImage, 2048, "olha o erro")
	fl := testFlow(t)
	if len(got) != 2 || got[0] != strings.TrimSpace(fl.File.Texts.Media.Value) || !strings.Contains(got[1], fl.File.Resolved.Question.Value[:10]) {
		t.Errorf("mid-trail image answered %q; want the media text and the question again", got)
	}
	ms := d.chatMedia("c1")
	if len(ms) != 1 || ms[0].State != store.MediaPending || ms[0].Kind != KindImage || ms[0].Caption != "olha o erro" || string(ms[0].Ref) == "" {
		t.Fatalf("media rows %+v; want one pending image with its caption and ref", ms)
	}
	// The transcript line shows the file.
	var evs []store.TicketEvent
	must(t, d.db.View(d.ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(d.ctx, "", "c1")
		if err != nil {
			return err
		}
		evs, err = tx.Transcript(d.ctx, c.Ticket)
		return err
	}))
	found := false
	for _, e := range evs {
		if e.Kind == "customer" && e.Media == ms[0].ID && e.Text == "[image] olha o erro" {
			found = true
		}
	}
	if !found {
		t.Errorf("no transcript line links media %d: %+v", ms[0].ID, evs)
	}
}

func TestMediaAcknowledgedOncePerBurst(t *testing.T) {
	d := newDesk(t)
	id := d.queue("c1")
	ack := testFlow(t).MediaText(flows.MediaReceived)
	var got []string
	for range 3 {
		d.clock.Advance(10 * time.Second)
		got = append(got, d.sendFile("c1", KindImage, 1000, "")...)
	}
	if len(got) != 1 || got[0] != ack {
		t.Errorf("three images in the queue answered %q; want one %q", got, ack)
	}
	d.clock.Advance(mediaBurst + time.Second)
	if got := d.sendFile("c1", KindAudio, 1000, ""); len(got) != 1 || got[0] != ack {
		t.Errorf("a file after the burst answered %q; want %q", got, ack)
	}
	// With an agent, the same.
	must(t, d.rt.Claim(d.ctx, ana, id))
	d.drain()
	d.clock.Advance(mediaBurst + time.Second)
	if got := d.sendFile("c1", KindDocument, 1000, "nota.pdf"); len(got) != 1 || got[0] != ack {
		t.Errorf("a file to an agent answered %q; want %q", got, ack)
	}
	if got := d.sendFile("c1", KindDocument, 1000, "nota2.pdf"); len(got) != 0 {
		t.Errorf("a second file in the burst answered %q; want nothing", got)
	}
	if n := len(d.chatMedia("c1")); n != 6 {
		t.Errorf("%d media rows; want all 6 files kept", n)
	}
}

func TestMediaOverCapIsRefused(t *testing.T) {
	d := newDesk(t)
	fl := testFlow(t)
	d.queue("c1")
	tooBig := fl.MediaText(flows.MediaTooBig)
	if got := d.sendFile("c1", KindImage, flows.DefaultMaxMedia+1, ""); len(got) != 1 || got[0] != tooBig {
		t.Errorf("an image over 16 MB answered %q; want %q", got, tooBig)
	}
	// A document may be bigger than an image.
	if got := d.sendFile("c1", KindDocument, 100<<20, ""); len(got) != 1 || got[0] != fl.MediaText(flows.MediaReceived) {
		t.Errorf("a 100 MB document answered %q; want it received", got)
	}
	ms := d.chatMedia("c1")
	if len(ms) != 2 || ms[0].State != store.MediaFailed || !strings.Contains(ms[0].Problem, "acima do limite de 16 MB") || ms[1].State != store.MediaPending {
		t.Errorf("media %+v; want the image failed over its cap, the document pending", ms)
	}
}

func TestMediaCustomerCap(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("sim", "testdata", "flows.yaml"))
	must(t, err)
	fl, err := flows.Parse(strings.NewReader(strings.Replace(string(src), "  flood_per: 1m\n",
		"  flood_per: 1m\n  media:\n    max_media: 1MB\n    max_file: 2MB\n    max_customer: 3MB\n", 1)), "flows.yaml")
	must(t, err)
	d := newDesk(t)
	d.rt = newRuntime(d.db, fl, d.tr, d.clock)
	d.queue("c1")
	for range 2 {
		d.clock.Advance(mediaBurst)
		d.sendFile("c1", KindDocument, 1<<20, "")
	}
	d.clock.Advance(mediaBurst)
	if got := d.sendFile("c1", KindDocument, 2<<20, ""); len(got) != 1 || got[0] != fl.MediaText(flows.MediaTooBig) {
		t.Errorf("a file past the customer's cap answered %q", got)
	}
	ms := d.chatMedia("c1")
	if len(ms) != 3 || ms[2].State != store.MediaFailed || !strings.Contains(ms[2].Problem, "o limite é 3 MB") {
		t.Errorf("media %+v; want the third refused by the customer cap", ms)
	}
	// Another customer is not affected.
	d.queue("c2")
	if got := d.sendFile("c2", KindDocument, 2<<20, ""); len(got) != 1 || got[0] != fl.MediaText(flows.MediaReceived) {
		t.Errorf("another customer's file answered %q", got)
	}
}

func TestLocationNeedsNoDownload(t *testing.T) {
	d := newDesk(t)
	d.queue("c1")
	d.n++
	in := Inbound{Chat: "c1", ID: "loc1", Kind: KindLocation, Text: "Escritório, Rua X", At: d.clock.Now(),
		Media: &Media{Lat: -26.3044, Lng: -48.8487}}
	if _, err := d.rt.Receive(d.ctx, in); err != nil {
		t.Fatal(err)
	}
	d.drain()
	ms := d.chatMedia("c1")
	if len(ms) != 1 || ms[0].State != store.MediaStored || ms[0].LatE6 != -26304400 || ms[0].LngE6 != -48848700 {
		t.Errorf("location media %+v; want stored with its coordinates", ms)
	}
}
