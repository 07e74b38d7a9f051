package whatsapp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// storeDir answers Known from the real store, as the service does.
type storeDir struct {
	*fakeDir
	db *store.DB
}

func (d storeDir) Known(ctx context.Context, chat string) (bool, error) {
	known := false
	err := d.db.View(ctx, func(tx *store.Tx) error {
		ins, err := tx.InboxByChat(ctx, "", chat, 1)
		known = len(ins) > 0
		return err
	})
	return known, err
}

// loadFlow reads the simulator's test flows with menus in menuStyle.
func loadFlow(t *testing.T, menuStyle string) *flows.Flow {
	t.Helper()
	path := filepath.Join("..", "sim", "testdata", "flows.yaml")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := flows.Parse(strings.NewReader(strings.Replace(string(src), "menu_style: text", "menu_style: "+menuStyle, 1)), path)
	if err != nil {
		t.Fatal(err)
	}
	if fl.MenuStyle() != menuStyle {
		t.Fatalf("menu style %q; want %q", fl.MenuStyle(), menuStyle)
	}
	return fl
}

// service is the runtime and the store, with this package's client over a
// fake whatsmeow, running as `suporte run` runs them (pacing off).
type service struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	wa     *fakeWA
	client *Client
	rt     *bot.Runtime
	stop   func()
}

func startService(t *testing.T, fl *flows.Flow, dir *fakeDir) *service {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := &service{t: t, ctx: ctx, db: db, wa: newFakeWA()}
	s.client = testClient(s.wa, storeDir{dir, db})
	s.rt = bot.New(bot.Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: s.client, Clock: bot.SystemClock{}, Log: zerolog.Nop()})
	done := make(chan error)
	go func() { done <- s.rt.Run(ctx) }()
	s.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		db.Close()
	}
	return s
}

// deliver passes a customer's message through whatsmeow's handler path.
func (s *service) deliver(from types.JID, id string, m *waE2E.Message, alt types.JID) {
	s.t.Helper()
	evt := incoming(from, id, m, withAlt(alt))
	evt.Info.Timestamp = time.Now()
	if !s.client.handle(s.ctx, s.rt, evt) {
		s.t.Fatalf("handler failed on %s", id)
	}
}

// expect waits for the next message sent and checks its text.
func (s *service) expect(to types.JID, contains string) sendCall {
	s.t.Helper()
	c := s.wa.next(s.t)
	if c.To != to || !strings.Contains(c.Msg.GetConversation(), contains) {
		s.t.Fatalf("sent %q to %v; want %q to %v", c.Msg.GetConversation(), c.To, contains, to)
	}
	return c
}

// settle lets a minute of fake time pass, long enough for send retries
// and short of the inactivity timers, and returns what was sent meanwhile.
func (s *service) settle() []sendCall {
	time.Sleep(time.Minute)
	synctest.Wait()
	var got []sendCall
	for {
		select {
		case c := <-s.wa.sent:
			got = append(got, c)
		default:
			return got
		}
	}
}

// quiet checks nothing more goes out once every worker is idle.
func (s *service) quiet() {
	s.t.Helper()
	for _, c := range s.settle() {
		s.t.Errorf("unexpected message %q", c.Msg.GetConversation())
	}
}

func TestEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startService(t, loadFlow(t, "text"), &fakeDir{pnOf: map[string]string{custLID.User: custPN.User}})
		defer s.stop()

		s.deliver(custLID, "m1", text("oi"), custPN)
		greeting := s.expect(custLID, "ID Suporte")
		if greeting.ID != "3EB0FAKE0001" {
			t.Errorf("greeting sent as %s; want the id the runtime stored first", greeting.ID)
		}
		s.deliver(custLID, "m1", text("oi"), custPN) // redelivered after a lost ack
		s.deliver(custLID, "m2", text("12345678"), custPN)
		s.expect(custLID, "confirmado")
		s.expect(custLID, "1. Notas fiscais")

		// The next reply fails twice: it is retried with the same id and
		// nothing overtakes it.
		s.wa.failNext(2)
		s.deliver(custLID, "m3", text("1"), custPN)
		s.deliver(custLID, "m4", text("2"), custPN)
		s.expect(custLID, "Qual é a sua dúvida sobre notas fiscais?")
		s.expect(custLID, "NFS-e")
		s.settle() // the rest of the trail
		sends, reads, attempts := s.wa.snapshot()
		tries := map[string]int{}
		for _, id := range attempts {
			tries[id]++
		}
		if tries[attempts[3]] != 3 || len(tries) != len(attempts)-2 {
			t.Errorf("attempts %q; want the 4th message tried 3 times with one id, the rest once", attempts)
		}

		var outbox []store.OutMsg
		err := s.db.View(s.ctx, func(tx *store.Tx) error {
			var err error
			outbox, err = tx.OutboxAfter(s.ctx, "", custLID.String(), 0, 0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, m := range outbox {
			ids[m.WAID] = true
		}
		if len(sends) != len(outbox) || len(ids) != len(outbox) {
			t.Errorf("%d sends for %d outbox rows with %d distinct ids; want one send per row, each its own id",
				len(sends), len(outbox), len(ids))
		}
		for i, m := range outbox { // delivered in the outbox's order, each with the id stored before sending
			if i < len(sends) && sends[i].ID != m.WAID {
				t.Errorf("send %d went as %s; the outbox recorded %s", i, sends[i].ID, m.WAID)
			}
		}
		if len(reads) == 0 || reads[0].IDs[0] != "m1" || reads[0].Chat != custLID {
			t.Errorf("read receipts %+v; want m1 first, in the customer's chat", reads)
		}
	})
}

// TestEndToEndPollVote answers a menu by voting on its poll.
func TestEndToEndPollVote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startService(t, loadFlow(t, "poll"), &fakeDir{pnOf: map[string]string{}})
		defer s.stop()

		s.deliver(custLID, "m1", text("oi"), types.EmptyJID)
		s.expect(custLID, "ID Suporte")
		s.deliver(custLID, "m2", text("12345678"), types.EmptyJID)
		s.expect(custLID, "confirmado")
		menu := s.expect(custLID, "1. Notas fiscais")
		poll := s.wa.next(t)
		if poll.ID != pollIDFor(menu.ID) || len(poll.Msg.GetPollCreationMessage().GetOptions()) != 8 {
			t.Fatalf("after the menu sent %v as %s; want its 8 options as poll %s", poll.Msg, poll.ID, pollIDFor(menu.ID))
		}
		s.quiet() // the runtime has recorded the poll's id

		s.wa.setVote(&waE2E.PollVoteMessage{SelectedOptions: [][]byte{hashOf(poll.Msg.GetPollCreationMessage().GetOptions()[0].GetOptionName())}})
		s.deliver(custLID, "v1", &waE2E.Message{PollUpdateMessage: vote("", poll.ID, types.EmptyJID).Message.GetPollUpdateMessage()}, types.EmptyJID)
		s.expect(custLID, "Qual é a sua dúvida sobre notas fiscais?")
		s.wa.next(t) // the submenu's poll
		s.quiet()
	})
}

// TestOnePersonOneConversation: a customer first known by phone number
// only, then by LID once WhatsApp tells the pair, stays one conversation.
func TestOnePersonOneConversation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := &fakeDir{pnOf: map[string]string{}}
		s := startService(t, loadFlow(t, "text"), dir)
		defer s.stop()

		s.deliver(custPN, "m1", text("oi"), types.EmptyJID)
		s.expect(custPN, "ID Suporte")
		dir.pnOf[custLID.User] = custPN.User // whatsmeow learns the pair (lid_map)
		s.deliver(custLID, "m2", text("12345678"), custPN)
		s.expect(custPN, "confirmado")
		s.expect(custPN, "1. Notas fiscais")
		s.quiet()

		err := s.db.View(s.ctx, func(tx *store.Tx) error {
			byPN, err := tx.InboxByChat(s.ctx, "", custPN.String(), 0)
			if err != nil {
				return err
			}
			byLID, err := tx.InboxByChat(s.ctx, "", custLID.String(), 0)
			if len(byPN) != 2 || len(byLID) != 0 {
				t.Errorf("%d messages under the phone number, %d under the LID; want 2 and 0", len(byPN), len(byLID))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestCallThroughRuntime: a call is rejected and answered with the text.
func TestCallThroughRuntime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fl := loadFlow(t, "text")
		s := startService(t, fl, &fakeDir{pnOf: map[string]string{}})
		defer s.stop()
		s.deliver(custLID, "m1", text("oi"), types.EmptyJID)
		s.expect(custLID, "ID Suporte")
		offer := callOffer("CALL1")
		if !s.client.handle(s.ctx, s.rt, offer) {
			t.Fatal("handler failed on a call")
		}
		first := strings.SplitN(strings.TrimSpace(fl.File.Texts.Call.Value), "\n", 2)[0]
		s.expect(custLID, first)
		if id := <-s.wa.rejected; id != "CALL1" {
			t.Errorf("rejected %q; want CALL1", id)
		}
		s.quiet()
	})
}
