package whatsapp

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	waLog "go.mau.fi/whatsmeow/util/log"

	"suporte/store/pgtemp"
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

// TestCopyDevices moves a device store file's keys into PostgreSQL, where
// the line's process then finds its device.
func TestCopyDevices(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "whatsapp.db")
	c, err := sqlstore.New(ctx, "sqlite3", deviceDSN(file), waLog.Noop)
	if err != nil {
		t.Fatal(err)
	}
	dev := c.NewDevice()
	jid := types.NewJID("554735121777", types.DefaultUserServer)
	jid.Device = 7
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := c.PutDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	if err := dev.Identities.PutIdentity(ctx, "5547999990001.0:0", [32]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	c.Close()

	dsn := pgtemp.Database(t)
	counts, err := CopyDevices(ctx, file, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if counts["whatsmeow_device"] != 1 || counts["whatsmeow_identity_keys"] != 1 {
		t.Errorf("copied %v; want the device and its identity", counts)
	}
	cli, err := Open(ctx, Config{DB: dsn, Phone: "+55 47 3512-1777", Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if id := cli.cli.Store.ID; id == nil || id.User != "554735121777" {
		t.Errorf("device after the copy: %v; want the line's", id)
	}
	if _, err := CopyDevices(ctx, file, dsn); err == nil {
		t.Error("a second copy into a store with a device was not refused")
	}
}
