package whatsapp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/whatsmeow/types/events"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// openReal opens a real, never-connected whatsmeow client on a temporary
// device store.
func openReal(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "whatsapp.db")
	}
	if cfg.Phone == "" {
		cfg.Phone = "+55 47 3512-1777"
	}
	cfg.Log = zerolog.Nop()
	c, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDispatchThroughWhatsmeow drives whatsmeow's own dispatcher: a
// message reaches the runtime's store, and a failed store write is what
// whatsmeow sees as a failed handler (no ack, delivered again).
func TestDispatchThroughWhatsmeow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := openReal(t, Config{})
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := flows.Load(filepath.Join("..", "sim", "testdata", "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rt := bot.New(bot.Config{Store: db, Flow: func() *flows.Flow { return fl }, Transport: c, Log: zerolog.Nop()})
	c.register(ctx, rt)

	// whatsmeow's LID map, in the real device store, names the customer.
	if err := c.container.LIDMap.PutLIDMapping(ctx, custLID, custPN); err != nil {
		t.Fatal(err)
	}
	if failed := c.cli.DangerousInternals().DispatchEvent(incoming(custPN, "m1", text("oi"))); failed {
		t.Fatal("handler failed on a plain text message")
	}
	var got []store.Inbound
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		got, err = tx.InboxByChat(ctx, "", custLID.String(), 0)
		return err
	})
	if err != nil || len(got) != 1 || got[0].MsgID != "m1" || got[0].Phone != "+"+custPN.User {
		t.Fatalf("inbox under the LID: %+v, %v; want m1 from %s", got, err, custPN.User)
	}
	if failed := c.cli.DangerousInternals().DispatchEvent(&events.Receipt{}); failed {
		t.Error("a receipt failed the handler")
	}

	db.Close()
	if failed := c.cli.DangerousInternals().DispatchEvent(incoming(custLID, "m2", text("12345678"))); !failed {
		t.Error("a message the closed store could not keep was reported handled: it would be acked and lost")
	}
	for name, ok := range map[string]bool{
		"SynchronousAck":                     c.cli.SynchronousAck,
		"EnableDecryptedEventBuffer":         c.cli.EnableDecryptedEventBuffer,
		"AutomaticMessageRerequestFromPhone": c.cli.AutomaticMessageRerequestFromPhone,
		"InitialAutoReconnect":               c.cli.InitialAutoReconnect,
		"GetMessageForRetry":                 c.cli.GetMessageForRetry != nil,
		"PrePairCallback":                    c.cli.PrePairCallback != nil,
	} {
		if !ok {
			t.Errorf("%s is not set", name)
		}
	}

	// Sending on a client that never paired fails in words the runtime logs.
	if _, err := c.Send(ctx, bot.Outbound{Chat: custLID.String(), Text: "x", ID: "3EB0X"}); !errors.Is(err, ErrNotPaired) {
		t.Errorf("send unpaired: %v; want %v", err, ErrNotPaired)
	}
}

func TestDeviceStoreIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "whatsapp.db")
	openReal(t, Config{DB: path})
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) && p != path {
			continue
		}
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", p, fi.Mode().Perm(), err)
		}
	}
}

func TestOpenChecksNumbers(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad support number", Config{Phone: "0800 123"}, "--phone"},
		{"pairing another number", Config{PairPhone: "+55 11 98888-7777"}, "--accept-any-number"},
	} {
		tt.cfg.DB = filepath.Join(t.TempDir(), "whatsapp.db")
		if tt.cfg.Phone == "" {
			tt.cfg.Phone = "+55 47 3512-1777"
		}
		_, err := Open(context.Background(), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v; want an error naming %s", tt.name, err, tt.want)
		}
	}
	c := openReal(t, Config{PairPhone: "+55 11 98888-7777", AcceptAnyNumber: true})
	if c.cfg.PairPhone != "5511988887777" {
		t.Errorf("pair phone %q; want its digits", c.cfg.PairPhone)
	}
}

func TestAllowPairing(t *testing.T) {
	c := testClient(newFakeWA(), &fakeDir{})
	var out strings.Builder
	c.cfg.Out = &out
	if !c.allowPairing(supportPN, "android", "Conta Azul") {
		t.Error("refused the support number")
	}
	if c.allowPairing(otherPN, "android", "") {
		t.Error("paired with another number")
	}
	if !strings.Contains(out.String(), "--accept-any-number") {
		t.Errorf("refusal says %q; want how to allow it", out.String())
	}
	c.cfg.AcceptAnyNumber = true
	if !c.allowPairing(otherPN, "android", "") {
		t.Error("refused another number with --accept-any-number")
	}
}

func TestReconnectDelayIsCapped(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0s"}, {1, "2s"}, {10, "20s"}, {30, "1m0s"}, {500, "1m0s"}} {
		if got := reconnectDelay(tt.n).String(); got != tt.want {
			t.Errorf("after %d failures: %s; want %s", tt.n, got, tt.want)
		}
	}
}

func TestPhones(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"+55 47 3512-1777", "554735121777", true},
		{"+55 47 99999-0001", "+55 47 9999-0001", true},  // before the ninth digit
		{"+55 47 93512-1777", "+55 47 3512-1777", false}, // a mobile is not the landline
		{"+55 47 3512-1777", "+55 47 3512-1778", false},
	} {
		a, errA := digits(tt.a)
		b, errB := digits(tt.b)
		if errA != nil || errB != nil || samePhone(a, b) != tt.same {
			t.Errorf("samePhone(%s, %s) = %v (%v, %v); want %v", tt.a, tt.b, samePhone(a, b), errA, errB, tt.same)
		}
	}
	for _, bad := range []string{"", "3512-1777", "0047 3512 1777", "+55 47 3512-1777 ramal 2"} {
		if _, err := digits(bad); err == nil {
			t.Errorf("digits(%q) accepted", bad)
		}
	}
}

func TestAfterPermanent(t *testing.T) {
	c := testClient(newFakeWA(), &fakeDir{})
	var slept time.Duration
	c.cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		slept = d
		return context.Canceled // the service stops while waiting
	}
	ctx := context.Background()
	if err := c.afterPermanent(ctx, &events.TemporaryBan{Code: events.TempBanBlockedByUsers, Expire: time.Hour}); err != nil || slept != time.Hour+banMargin {
		t.Errorf("ban with an end: %v after waiting %v; want to wait it out", err, slept)
	}
	var disc *DisconnectError
	for _, e := range []events.PermanentDisconnect{
		&events.TemporaryBan{Code: events.TempBanBlockedByUsers},
		&events.LoggedOut{OnConnect: true, Reason: events.ConnectFailureMainDeviceGone},
		&events.StreamReplaced{},
		&events.ClientOutdated{},
	} {
		if err := c.afterPermanent(ctx, e); !errors.As(err, &disc) {
			t.Errorf("%T: %v; want a DisconnectError for the operator", e, err)
		}
	}
	err := c.afterPermanent(ctx, &events.ConnectFailure{Reason: 499})
	if err == nil || errors.As(err, &disc) {
		t.Errorf("unknown connect failure: %v; want a plain error (a restart may help)", err)
	}
}
