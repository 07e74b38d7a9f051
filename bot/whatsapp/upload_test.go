package whatsapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/util/cbcutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"

	"suporte/bot"
)

// uploadingWA is the fake client whose uploads go to the local media
// server encrypted as whatsmeow's UploadReader does it (cbcutil's
// stream), so what is sent can be downloaded back by the real client.
type uploadingWA struct {
	*fakeWA
	srv *mediaServer
	n   int
}

func (u *uploadingWA) UploadReader(_ context.Context, plain io.Reader, tmp io.ReadWriteSeeker, typ whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	var resp whatsmeow.UploadResponse
	resp.MediaKey = make([]byte, 32)
	rand.Read(resp.MediaKey)
	keys := hkdfutil.SHA256(resp.MediaKey, nil, []byte(typ), 112)
	var err error
	var size uint64
	resp.FileSHA256, resp.FileEncSHA256, resp.FileLength, size, err = cbcutil.EncryptStream(keys[16:48], keys[:16], keys[48:80], plain, tmp)
	if err != nil {
		return resp, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return resp, err
	}
	blob, err := io.ReadAll(tmp)
	if err != nil || uint64(len(blob)) != size {
		return resp, err
	}
	u.n++
	resp.DirectPath = "/v/t62.7118-24/up" + hex.EncodeToString(resp.FileSHA256[:4]) + ".enc"
	resp.URL = u.srv.URL + resp.DirectPath
	u.srv.put(resp.DirectPath, blob)
	return resp, nil
}

func fileOut(kind, name, typ string, data []byte, voice bool) *bot.File {
	return &bot.File{Kind: kind, Name: name, Type: typ, Bytes: int64(len(data)), Voice: voice,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// TestSendFiles: an agent's image, PDF and voice note go up encrypted and
// out as the right message types; each downloads back, through the real
// whatsmeow client, to the same bytes.
func TestSendFiles(t *testing.T) {
	c := openReal(t, Config{})
	srv := newMediaServer(t)
	c.cli.SetMediaHTTPClient(srv.Client())
	up := &uploadingWA{fakeWA: newFakeWA(), srv: srv}
	c.wa = up
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("guia "), 500)...)
	opus := append([]byte("OggS\x00\x02"), append(make([]byte, 22), []byte("OpusHead\x01\x01 audio")...)...)
	ctx := context.Background()
	chat := custLID.String()

	sent, err := c.Send(ctx, bot.Outbound{Seq: 1, Chat: chat, ID: "3EB0IMG", Text: "*Ana*\nveja a tela", File: fileOut(bot.KindImage, "tela.png", "image/png", png, false)})
	if err != nil || sent.ID != "3EB0IMG" {
		t.Fatalf("send image: %+v, %v", sent, err)
	}
	img := up.next(t).Msg.GetImageMessage()
	if img == nil || img.GetCaption() != "*Ana*\nveja a tela" || img.GetMimetype() != "image/png" {
		t.Fatalf("image message %+v", img)
	}
	got, err := c.cli.Download(ctx, img)
	if err != nil || !bytes.Equal(got, png) {
		t.Fatalf("the sent image downloads back as %d bytes, %v", len(got), err)
	}

	if _, err := c.Send(ctx, bot.Outbound{Seq: 2, Chat: chat, ID: "3EB0PDF", Text: "o guia", File: fileOut(bot.KindDocument, "guia.pdf", "application/pdf", pdf, false)}); err != nil {
		t.Fatal(err)
	}
	doc := up.next(t).Msg.GetDocumentMessage()
	if doc == nil || doc.GetFileName() != "guia.pdf" || doc.GetCaption() != "o guia" {
		t.Fatalf("document message %+v", doc)
	}
	if got, err := c.cli.Download(ctx, doc); err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("the sent PDF downloads back as %d bytes, %v", len(got), err)
	}

	if _, err := c.Send(ctx, bot.Outbound{Seq: 3, Chat: chat, ID: "3EB0PTT", Text: "*Ana*", File: fileOut(bot.KindAudio, "nota.ogg", "audio/ogg; codecs=opus", opus, true)}); err != nil {
		t.Fatal(err)
	}
	first := up.next(t)
	audio := first.Msg.GetAudioMessage()
	if audio == nil || !audio.GetPTT() || !strings.HasPrefix(audio.GetMimetype(), "audio/ogg") {
		t.Fatalf("voice note message %+v", audio)
	}
	if caption := up.next(t); caption.Msg.GetConversation() != "*Ana*" || caption.ID != captionIDFor("3EB0PTT") {
		t.Errorf("an audio's text %+v; want it after the audio, with its derived id", caption)
	}
	if got, err := c.cli.Download(ctx, audio); err != nil || !bytes.Equal(got, opus) {
		t.Fatalf("the sent voice note downloads back as %d bytes, %v", len(got), err)
	}
	// A device that could not decrypt the image gets the same message again.
	if again := c.messageForRetry(ctx, &fakeInbox{}, custLID, "3EB0IMG"); again.GetImageMessage().GetDirectPath() != img.GetDirectPath() {
		t.Errorf("resend of a file: %v", again)
	}
	// A file that cannot be read fails the send, to be retried.
	bad := &bot.File{Kind: bot.KindImage, Name: "x.png", Type: "image/png", Open: func() (io.ReadCloser, error) { return nil, os.ErrNotExist }}
	if _, err := c.Send(ctx, bot.Outbound{Seq: 4, Chat: chat, ID: "3EB0BAD", File: bad}); err == nil {
		t.Error("a send whose file cannot be read succeeded")
	}
}

// next is the next message the fake sent.
func (u *uploadingWA) next(t *testing.T) sendCall { return u.fakeWA.next(t) }
