package whatsapp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the device store's driver on PostgreSQL
	_ "github.com/mattn/go-sqlite3"    // the device store's driver
	"github.com/rs/zerolog"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waCompanionReg"
	"go.mau.fi/whatsmeow/proto/waE2E"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"

	"suporte/bot"
)

// Config configures a Client.
type Config struct {
	// DB is the device store: the file data/whatsapp.db, or a postgres://
	// URL (the service's PostgreSQL store), where several processes find
	// the same keys and several lines keep one device each. The
	// account's keys: a secret.
	DB string
	// Phone is the support number; pairing with any other is refused
	// unless AcceptAnyNumber.
	Phone           string
	AcceptAnyNumber bool
	// PairPhone, if set, pairs with a code typed on that phone instead of
	// a QR code.
	PairPhone string
	// Known reports whether the runtime already has a chat under this key
	// (see chatKey); nil means never.
	Known func(ctx context.Context, chat string) (bool, error)
	// Log receives our lines; whatsmeow's go to a "whatsmeow" child, at
	// info or above unless Log is at trace, with people's JIDs replaced by
	// chat refs keyed by LogKey (bot.ChatRef; nil: a random key).
	Log    zerolog.Logger
	LogKey []byte
	// Out is where people read the QR code and pairing instructions.
	Out io.Writer
	// Now and Sleep are the clock; time.Now and bot.Sleep in the service.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// MediaRetryWait bounds the wait for the phone to upload an expired
	// file again; 0 means DefaultMediaRetryWait.
	MediaRetryWait time.Duration
}

// Inbox is where the client delivers what customers send and looks up what
// it sent: the runtime (*bot.Runtime).
type Inbox interface {
	Receive(ctx context.Context, in bot.Inbound) (dup bool, err error)
	Sent(ctx context.Context, transportID string) (bot.Outbound, bool, error)
	// RetrySends is told the connection is back: replies waiting to be
	// retried should go now, not after their backoff.
	RetrySends(ctx context.Context) error
}

// waClient is the part of *whatsmeow.Client that messages go through.
type waClient interface {
	SendMessage(ctx context.Context, to types.JID, message *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error)
	SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error
	MarkRead(ctx context.Context, ids []types.MessageID, timestamp time.Time, chat, sender types.JID, receiptTypeExtra ...types.ReceiptType) error
	BuildPollCreation(name string, optionNames []string, selectableOptionCount int) *waE2E.Message
	DecryptPollVote(ctx context.Context, vote *events.Message) (*waE2E.PollVoteMessage, error)
	RejectCall(ctx context.Context, callFrom types.JID, callID string) error
	GenerateMessageID() types.MessageID
	// Media: download (and ask the phone to upload again), upload.
	DownloadToFile(ctx context.Context, msg whatsmeow.DownloadableMessage, file whatsmeow.File) error
	SendMediaRetryReceipt(ctx context.Context, message *types.MessageInfo, mediaKey []byte) error
	UploadReader(ctx context.Context, plaintext io.Reader, tempFile io.ReadWriteSeeker, appInfo whatsmeow.MediaType) (whatsmeow.UploadResponse, error)
}

var _ waClient = (*whatsmeow.Client)(nil)

// secrets finds the secret a sent poll was encrypted with, to resend it.
type secrets interface {
	GetMessageSecret(ctx context.Context, chat, sender types.JID, id types.MessageID) ([]byte, types.JID, error)
}

// Client is the WhatsApp transport: bot.Transport plus typing, read
// receipts and its own message ids.
type Client struct {
	cfg       Config
	log       zerolog.Logger
	phone     string // Config.Phone's digits
	wa        waClient
	dir       directory
	secrets   secrets
	status    status
	perm      chan events.PermanentDisconnect // filled by the event handler, drained by Run
	calls     sync.WaitGroup                  // call rejections and send retries in flight
	outMu     sync.Mutex                      // one writer on Out at a time
	retries   retries                         // fetches waiting for the phone to upload a file again
	sentMedia sentFiles                       // the latest files sent, for resends

	// The real connection; nil in unit tests that drive only the message paths.
	cli       *whatsmeow.Client
	container *sqlstore.Container
}

// Open opens (or creates, mode 0600) the device store and prepares a
// client. Nothing touches the network until Run.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	phone, err := digits(cfg.Phone)
	if err != nil {
		return nil, fmt.Errorf("--phone: %w", err)
	}
	if cfg.PairPhone != "" {
		pair, err := digits(cfg.PairPhone)
		if err != nil {
			return nil, fmt.Errorf("--pair-phone: %w", err)
		}
		if !cfg.AcceptAnyNumber && !samePhone(pair, phone) {
			return nil, fmt.Errorf("--pair-phone %s is not the support number %s: pass --accept-any-number to link another number",
				pretty(pair), pretty(phone))
		}
		cfg.PairPhone = pair
	}
	pg := isPostgres(cfg.DB)
	if !pg {
		if err := createPrivate(cfg.DB); err != nil {
			return nil, err
		}
	}
	waLogger := cfg.Log.With().Str("module", "whatsmeow").Logger()
	if cfg.Log.GetLevel() > zerolog.TraceLevel {
		// Its debug level dumps every stanza, with message metadata.
		waLogger = waLogger.Level(max(zerolog.InfoLevel, cfg.Log.GetLevel()))
	}
	if len(cfg.LogKey) == 0 {
		cfg.LogKey = make([]byte, 32)
		rand.Read(cfg.LogKey) // never fails (crypto/rand panics if the OS cannot give randomness)
	}
	waLogs := redactLog{next: waLog.Zerolog(waLogger), key: cfg.LogKey}
	dialect, dsn, name := "sqlite3", deviceDSN(cfg.DB), cfg.DB
	if pg {
		dialect, dsn, name = "pgx", cfg.DB, "the PostgreSQL store"
	}
	container, err := sqlstore.New(ctx, dialect, dsn, waLogs)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	if !pg {
		if err := checkPrivate(cfg.DB); err != nil {
			container.Close()
			return nil, err
		}
	}
	dev, err := lineDevice(ctx, container, phone, pg)
	if err != nil {
		container.Close()
		return nil, fmt.Errorf("load device from %s: %w", name, err)
	}
	// How the device shows under the phone's "Linked devices"; read when pairing.
	wastore.SetOSInfo("suporte", [3]uint32{1, 0, 0})
	wastore.DeviceProps.PlatformType = waCompanionReg.DeviceProps_DESKTOP.Enum()

	cli := whatsmeow.NewClient(dev, waLogs)
	// A device that is not paired yet has no stores of its own: they are
	// attached when pairing saves it. The LID map is the container's.
	c := newClient(cfg, phone, cli, directoryOf(container.LIDMap, cfg.Known), deviceSecrets{dev})
	c.cli, c.container = cli, container
	cli.SynchronousAck = true
	cli.EnableDecryptedEventBuffer = true
	cli.AutomaticMessageRerequestFromPhone = true
	cli.InitialAutoReconnect = true
	cli.PrePairCallback = c.allowPairing
	// Grey "delivered" ticks without marking the account online: online
	// companions silence the phone's notifications, and people answer there.
	cli.SetForceActiveDeliveryReceipts(true)
	return c, nil
}

// newClient builds the parts every path needs; Open adds the connection.
func newClient(cfg Config, phone string, wa waClient, dir directory, sec secrets) *Client {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = bot.Sleep
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	c := &Client{
		cfg: cfg, log: cfg.Log, phone: phone, wa: wa, dir: dir, secrets: sec,
		perm: make(chan events.PermanentDisconnect, 4),
	}
	c.status = status{log: cfg.Log, now: cfg.Now, st: Status{State: StateConnecting, Since: cfg.Now()}}
	return c
}

// Status reports the connection's state.
func (c *Client) Status() Status { return c.status.get() }

// Close closes the device store. Call it after Run has returned.
func (c *Client) Close() error {
	if c.container == nil {
		return nil
	}
	err := c.container.Close()
	c.container = nil
	return err
}

// isPostgres reports a postgres:// URL.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// lineDevice returns the device of line phone: in a file, its only device;
// in a shared PostgreSQL store, the device whose account is phone, or a
// new one to pair (other lines keep theirs).
func lineDevice(ctx context.Context, c *sqlstore.Container, phone string, shared bool) (*wastore.Device, error) {
	if !shared {
		return c.GetFirstDevice(ctx)
	}
	devs, err := c.GetAllDevices(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range devs {
		if d.ID != nil && samePhone(d.ID.User, phone) {
			return d, nil
		}
	}
	return c.NewDevice(), nil
}

// deviceDSN opens whatsmeow's store: foreign keys are required (logout
// deletes a device's keys by cascade); WAL and a busy timeout let its
// concurrent key writes wait instead of failing; BEGIN IMMEDIATE takes the
// write lock up front, since a deferred transaction that later writes
// fails at once with SQLITE_BUSY, whatever the timeout, and a failed
// decrypt loses the message.
func deviceDSN(path string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?_foreign_keys=on&_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate"
}

// createPrivate creates the device store file readable by its owner only,
// before SQLite creates it with the umask's permissions.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return f.Close()
}

// checkPrivate makes the store and its WAL files mode 0600 and checks they
// are: they hold the account's keys.
func checkPrivate(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); errors.Is(err, os.ErrNotExist) && p != path {
			continue
		} else if err != nil {
			return fmt.Errorf("protect %s: %w", p, err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("protect %s: %w", p, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("%s holds the WhatsApp account's keys but is mode %v; want 0600", p, fi.Mode().Perm())
		}
	}
	return nil
}

// say prints a line for the person at the terminal.
func (c *Client) say(format string, args ...any) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	fmt.Fprintf(c.cfg.Out, format+"\n", args...)
}

// deviceSecrets reads the device's message secrets once it has them.
type deviceSecrets struct{ dev *wastore.Device }

func (d deviceSecrets) GetMessageSecret(ctx context.Context, chat, sender types.JID, id types.MessageID) ([]byte, types.JID, error) {
	if d.dev.MsgSecrets == nil {
		return nil, types.EmptyJID, nil
	}
	return d.dev.MsgSecrets.GetMessageSecret(ctx, chat, sender, id)
}

// lids is whatsmeow's LID<->phone-number map plus the runtime's chats.
type lids struct {
	wastore.LIDStore
	known func(ctx context.Context, chat string) (bool, error)
}

func directoryOf(l wastore.LIDStore, known func(context.Context, string) (bool, error)) directory {
	return lids{LIDStore: l, known: known}
}

func (l lids) Known(ctx context.Context, chat string) (bool, error) {
	if l.known == nil {
		return false, nil
	}
	return l.known(ctx, chat)
}
