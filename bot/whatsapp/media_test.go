package whatsapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waMmsRetry"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"go.mau.fi/whatsmeow/util/cbcutil"
	"go.mau.fi/whatsmeow/util/gcmutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"google.golang.org/protobuf/proto"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// encrypted is a file as WhatsApp's media servers keep it: AES-CBC with
// keys expanded from the media key, an HMAC's first 10 bytes after it,
// and the hashes a message carries. Built with whatsmeow's own helpers.
type encrypted struct {
	plain, blob      []byte
	key, sha, encSHA []byte
	mediaType        whatsmeow.MediaType
}

func encryptMedia(t *testing.T, plain []byte, typ whatsmeow.MediaType) encrypted {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	keys := hkdfutil.SHA256(key, nil, []byte(typ), 112)
	iv, cipherKey, macKey := keys[:16], keys[16:48], keys[48:80]
	ct, err := cbcutil.Encrypt(cipherKey, iv, plain)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, macKey)
	mac.Write(iv)
	mac.Write(ct)
	blob := append(ct, mac.Sum(nil)[:10]...)
	sha, encSHA := sha256.Sum256(plain), sha256.Sum256(blob)
	return encrypted{plain: plain, blob: blob, key: key, sha: sha[:], encSHA: encSHA[:], mediaType: typ}
}

// mediaServer is WhatsApp's media CDN: it serves encrypted files by path
// and answers 410 Gone for the expired ones.
type mediaServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  []string
}

func newMediaServer(t *testing.T) *mediaServer {
	s := &mediaServer{files: map[string][]byte{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, r.URL.Path)
		b, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *mediaServer) put(path string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = b
}

func (s *mediaServer) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hits...)
}

// phone is whatsmeow's real client, never connected, downloading from the
// local media server, whose media retry receipts are answered the way the
// support phone does: it uploads the file again under a new path and
// sends an encrypted events.MediaRetry, dispatched by whatsmeow.
type phone struct {
	waClient
	real    *whatsmeow.Client
	srv     *mediaServer
	file    encrypted
	result  waMmsRetry.MediaRetryNotification_ResultType
	mu      sync.Mutex
	asked   []types.MessageInfo
	newPath string
}

func (p *phone) DownloadToFile(ctx context.Context, msg whatsmeow.DownloadableMessage, f whatsmeow.File) error {
	return p.real.DownloadToFile(ctx, msg, f)
}

func (p *phone) SendMediaRetryReceipt(ctx context.Context, info *types.MessageInfo, key []byte) error {
	p.mu.Lock()
	p.asked = append(p.asked, *info)
	p.mu.Unlock()
	notif := &waMmsRetry.MediaRetryNotification{StanzaID: proto.String(info.ID), Result: p.result.Enum()}
	if p.result == waMmsRetry.MediaRetryNotification_SUCCESS {
		notif.DirectPath = proto.String(p.newPath + "?ccb=11-4&oh=new")
		p.srv.put(p.newPath, p.file.blob)
	}
	plain, err := proto.Marshal(notif)
	if err != nil {
		return err
	}
	iv := make([]byte, 12)
	rand.Read(iv)
	ct, err := gcmutil.Encrypt(hkdfutil.SHA256(key, nil, []byte("WhatsApp Media Retry Notification"), 32), iv, plain, []byte(info.ID))
	if err != nil {
		return err
	}
	evt := &events.MediaRetry{Ciphertext: ct, IV: iv, MessageID: info.ID, ChatID: info.Chat, Timestamp: time.Now()}
	go p.real.DangerousInternals().DispatchEvent(evt) // the phone answers over the connection, later
	return nil
}

// mediaDesk is the runtime and store with a real whatsmeow client whose
// media come from a local server, driven step by step.
type mediaDesk struct {
	ctx    context.Context
	db     *store.DB
	files  *store.Files
	rt     *bot.Runtime
	client *Client
	phone  *phone
	srv    *mediaServer
}

func newMediaDesk(t *testing.T) *mediaDesk {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := openReal(t, Config{MediaRetryWait: 30 * time.Second})
	srv := newMediaServer(t)
	c.cli.SetMediaHTTPClient(srv.Client())
	p := &phone{waClient: newFakeWA(), real: c.cli, srv: srv, result: waMmsRetry.MediaRetryNotification_SUCCESS, newPath: "/v/t62.7118-24/new.enc"}
	c.wa = p
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	files, err := store.OpenFiles(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	fl := loadFlow(t, "text")
	rt := bot.New(bot.Config{Store: db, Files: files, Flow: func() *flows.Flow { return fl }, Transport: c,
		Clock: bot.NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)), Log: zerolog.Nop()})
	c.register(ctx, rt)
	if err := c.container.LIDMap.PutLIDMapping(ctx, custLID, custPN); err != nil {
		t.Fatal(err)
	}
	return &mediaDesk{ctx: ctx, db: db, files: files, rt: rt, client: c, phone: p, srv: srv}
}

// imageEvent is the customer sending file as an image whose URL points
// at path on the media server.
func (d *mediaDesk) imageEvent(id, path string, file encrypted) *events.Message {
	u := d.srv.URL + path + "?ccb=11-4&oh=old"
	return &events.Message{
		Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: custLID, Sender: custLID, SenderAlt: custPN},
			ID: id, Timestamp: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC), Type: "media", PushName: "Maria"},
		Message: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
			URL: proto.String(u), DirectPath: proto.String(path + "?ccb=11-4&oh=old"), Mimetype: proto.String("image/png"),
			Caption: proto.String("a nota rejeitada"), MediaKey: file.key, FileSHA256: file.sha, FileEncSHA256: file.encSHA,
			FileLength: proto.Uint64(uint64(len(file.plain))),
		}},
	}
}

func (d *mediaDesk) media(t *testing.T) store.Media {
	t.Helper()
	var m store.Media
	err := d.db.View(d.ctx, func(tx *store.Tx) error {
		ins, err := tx.InboxByChat(d.ctx, "", custLID.String(), 0)
		if err != nil || len(ins) == 0 {
			t.Fatalf("inbox %v, %v", ins, err)
		}
		m, err = tx.MediaByInbox(d.ctx, ins[len(ins)-1].ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// png is a small real PNG.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

// TestDownloadExpiredMediaThroughRetry: a customer's image arrives; it
// is durable (and WhatsApp acked) before any download; WhatsApp's copy
// has expired (410), so the phone is asked to upload it again, answers
// with an encrypted media retry notification, and the file is fetched
// from the new path, decrypted and checked by whatsmeow, and stored.
func TestDownloadExpiredMediaThroughRetry(t *testing.T) {
	d := newMediaDesk(t)
	file := encryptMedia(t, png, whatsmeow.MediaImage)
	d.phone.file = file
	// The old path is not on the server: expired.
	if failed := d.client.cli.DangerousInternals().DispatchEvent(d.imageEvent("IMG1", "/v/t62.7118-24/old.enc", file)); failed {
		t.Fatal("the handler failed the message")
	}
	m := d.media(t)
	if m.State != store.MediaPending || m.Kind != bot.KindImage || m.MIME != "image/png" || m.Bytes != int64(len(png)) || m.SHA256 != hex.EncodeToString(file.sha) {
		t.Fatalf("media on arrival %+v; want pending with what the message declared", m)
	}
	if hits := d.srv.paths(); len(hits) != 0 {
		t.Fatalf("downloads before the message was durable: %v", hits)
	}
	if err := d.rt.Drain(d.ctx); err != nil {
		t.Fatal(err)
	}
	m = d.media(t)
	if m.State != store.MediaStored || m.SHA256 != hex.EncodeToString(file.sha) || m.ContentType != "image/png" || m.Problem != "" {
		t.Fatalf("media after the download %+v; want stored, checked, a PNG", m)
	}
	r, err := d.files.Open(context.Background(), m.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, png) {
		t.Errorf("stored file differs from what the customer sent")
	}
	d.phone.mu.Lock()
	asked := d.phone.asked
	d.phone.mu.Unlock()
	if len(asked) != 1 || asked[0].ID != "IMG1" || asked[0].Chat != custLID || asked[0].IsFromMe {
		t.Errorf("media retry receipts %+v; want one for IMG1 in the customer's chat", asked)
	}
	if hits := d.srv.paths(); len(hits) != 2 || hits[0] != "/v/t62.7118-24/old.enc" || hits[1] != d.phone.newPath {
		t.Errorf("downloads %v; want the expired path, then the new one", hits)
	}
}

// TestDownloadGoneForGood: the phone no longer has the file: the row
// fails with the reason, the ticket gets a line and the customer is
// asked to send it again.
func TestDownloadGoneForGood(t *testing.T) {
	d := newMediaDesk(t)
	d.phone.result = waMmsRetry.MediaRetryNotification_NOT_FOUND
	file := encryptMedia(t, png, whatsmeow.MediaImage)
	d.client.cli.DangerousInternals().DispatchEvent(d.imageEvent("IMG2", "/v/t62.7118-24/old.enc", file))
	if err := d.rt.Drain(d.ctx); err != nil {
		t.Fatal(err)
	}
	m := d.media(t)
	if m.State != store.MediaFailed || !strings.Contains(m.Problem, "não está mais disponível") {
		t.Fatalf("media %+v; want failed, no longer available", m)
	}
	var evs []store.TicketEvent
	var outs []store.OutMsg
	err := d.db.View(d.ctx, func(tx *store.Tx) error {
		var err error
		if outs, err = tx.OutboxAfter(d.ctx, "", custLID.String(), 0, 0); err != nil {
			return err
		}
		evs, err = tx.TicketEvents(d.ctx, outs[0].Ticket, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	noted := false
	for _, e := range evs {
		if e.Kind == "system" && e.Media == m.ID && strings.Contains(e.Text, "não foi possível baixar") {
			noted = true
		}
	}
	if !noted {
		t.Errorf("no line on the ticket about the lost file: %+v", evs)
	}
	if last := outs[len(outs)-1].Text; last != loadFlow(t, "text").MediaText(flows.MediaFailed) {
		t.Errorf("last message to the customer %q; want to be asked to send it again", last)
	}
}

// TestDownloadTamperedIsRetried: a file that fails whatsmeow's checks
// (the server's bytes are not what the message hashed) is not stored,
// and is tried again later.
func TestDownloadTamperedIsRetried(t *testing.T) {
	d := newMediaDesk(t)
	file := encryptMedia(t, png, whatsmeow.MediaImage)
	other := encryptMedia(t, []byte("outro conteúdo qualquer"), whatsmeow.MediaImage)
	d.srv.put("/v/t62.7118-24/a.enc", other.blob)
	d.client.cli.DangerousInternals().DispatchEvent(d.imageEvent("IMG3", "/v/t62.7118-24/a.enc", file))
	if err := d.rt.Drain(d.ctx); err != nil {
		t.Fatal(err)
	}
	m := d.media(t)
	if m.State != store.MediaPending || m.Attempts != 1 || m.NextTry.IsZero() {
		t.Fatalf("media %+v; want pending, one failed attempt, a next try", m)
	}
	if left, _ := filepath.Glob(filepath.Join(d.files.Dir(), "tmp", "*")); len(left) != 0 {
		t.Errorf("partial files left: %v", left)
	}
}
