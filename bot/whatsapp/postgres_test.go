package whatsapp

import (
	"context"
	"os"
	"testing"

	"github.com/rs/zerolog"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	waLog "go.mau.fi/whatsmeow/util/log"

	"suporte/internal/pgtemp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtemp.StopShared()
	os.Exit(code)
}

// TestDeviceStoreOnPostgres: the device store lives in the service's
// PostgreSQL database, where every process of a line finds the line's
// keys and two lines keep one device each.
func TestDeviceStoreOnPostgres(t *testing.T) {
	dsn := pgtemp.Database(t)
	ctx := context.Background()
	c, err := sqlstore.New(ctx, "pgx", dsn, waLog.Noop)
	if err != nil {
		t.Fatal(err)
	}
	for _, phone := range []string{"554735121777", "554733330000"} {
		dev := c.NewDevice()
		jid := types.NewJID(phone, types.DefaultUserServer)
		jid.Device = 7
		dev.ID = &jid
		dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
		if err := c.PutDevice(ctx, dev); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()

	for _, tt := range []struct {
		phone, want string // want "" : a new device, to pair
	}{
		{"+55 47 3512-1777", "554735121777"},
		{"+55 47 3333-0000", "554733330000"},
		{"+55 47 3999-0000", ""},
	} {
		cli, err := Open(ctx, Config{DB: dsn, Phone: tt.phone, Log: zerolog.Nop()})
		if err != nil {
			t.Fatalf("open %s: %v", tt.phone, err)
		}
		got := ""
		if id := cli.cli.Store.ID; id != nil {
			got = id.User
		}
		if got != tt.want {
			t.Errorf("line %s: device %q; want %q", tt.phone, got, tt.want)
		}
		if err := cli.Close(); err != nil {
			t.Error(err)
		}
	}
}
