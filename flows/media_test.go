package flows

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func TestSniff(t *testing.T) {
	opus := append([]byte("OggS\x00\x02"), append(make([]byte, 22), []byte("OpusHead\x01\x01")...)...)
	for _, c := range []struct {
		name string
		head []byte
		want string
		kind string
		send bool
		show bool
	}{
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png", FileImage, true, true},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "image/jpeg", FileImage, true, true},
		{"opus voice note", opus, TypeOpus, FileAudio, true, true},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf", FileDocument, true, false},
		{"html lying as an image", []byte("<!DOCTYPE html><script>alert(1)</script>"), "text/html; charset=utf-8", FileDocument, false, false},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "text/xml; charset=utf-8", FileDocument, false, false},
		{"doc", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00"), TypeOLE, FileDocument, true, false},
		{"m4a", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"), TypeMP4Audio, FileAudio, true, true},
		{"unknown binary", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1}, TypeUnknown, FileDocument, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Sniff(c.head)
			if got != c.want || KindOf(got) != c.kind || Sendable(got) != c.send || Inline(got) != c.show {
				t.Errorf("Sniff = %q kind %s sendable %v inline %v; want %q %s %v %v", got, KindOf(got), Sendable(got), Inline(got), c.want, c.kind, c.send, c.show)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("a", 300) + ".pdf"
	for _, c := range []struct{ in, want string }{
		{"nota.pdf", "nota.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\x.dll`, "x.dll"},
		{"..", "arquivo"},
		{"", "arquivo"},
		{"a\x00b\r\nc\u202e.pdf", "abc.pdf"},
		{"relatório\tfinal.pdf", "relatório final.pdf"},
		{".bashrc", "bashrc"},
		{`rel"atorio.pdf`, "relatorio.pdf"},
		{"\xff\xfeok.txt", "ok.txt"},
	} {
		if got := CleanName(c.in, "arquivo"); got != c.want {
			t.Errorf("CleanName(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	got := CleanName(long, "arquivo")
	if utf8.RuneCountInString(got) != maxName || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("CleanName(300 characters) = %q (%d); want %d characters ending in .pdf", got, utf8.RuneCountInString(got), maxName)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"16MB": 16 << 20, "2 GB": 2 << 30, "500kb": 500 << 10, "1024": 1024, "10B": 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1MB", "1.5GB", "99999999999GB", "dez"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	if got := FormatSize(16 << 20); got != "16 MB" {
		t.Errorf("FormatSize(16 MB) = %q", got)
	}
	if got := FormatSize(3 << 29); got != "1,5 GB" {
		t.Errorf("FormatSize(1.5 GB) = %q", got)
	}
}

// withAttachments is the test flows with a trail message and a quick
// reply carrying files, and media caps.
func withAttachments(t *testing.T, media string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "lint", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	if !strings.Contains(s, "quick_replies:") {
		t.Fatal("valid.yaml has no quick_replies")
	}
	s = strings.Replace(s, "quick_replies:\n", "quick_replies:\n  - title: Guia\n    attachment: guias/guia.pdf\n", 1)
	s = strings.Replace(s, "  flood_per: 1m\n", "  flood_per: 1m\n"+media, 1)
	return s
}

func TestAttachments(t *testing.T) {
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 2000)...)
	good := fstest.MapFS{"guias/guia.pdf": {Data: pdf}}
	src := withAttachments(t, "")
	fl, err := Parse(strings.NewReader(src), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fl.Attachment("guias/guia.pdf"); ok {
		t.Error("an attachment is known before CheckAttachments read it")
	}
	if err := fl.CheckAttachments(good); err != nil {
		t.Fatal(err)
	}
	a, ok := fl.Attachment("guias/guia.pdf")
	if !ok || a.Name != "guia.pdf" || a.Type != "application/pdf" || a.Kind != FileDocument || a.Bytes != int64(len(pdf)) || len(a.SHA256) != 64 {
		t.Errorf("attachment %+v", a)
	}
	if b, ok := fl.AttachmentBySHA(a.SHA256); !ok || b != a {
		t.Errorf("by hash: %+v", b)
	}

	for name, c := range map[string]struct {
		fsys  fstest.MapFS
		media string
		want  string
	}{
		"missing":   {fstest.MapFS{}, "", "file not found beside flows.yaml"},
		"empty":     {fstest.MapFS{"guias/guia.pdf": {Data: nil}}, "", "the file is empty"},
		"html":      {fstest.MapFS{"guias/guia.pdf": {Data: []byte("<html><script>x</script></html>")}}, "", "text/html, which is not sent"},
		"too big":   {good, "  media:\n    max_file: 1KB\n    max_customer: 16MB\n", "over the 1 KB limit for a document"},
		"directory": {fstest.MapFS{"guias/guia.pdf/x": {Data: pdf}}, "", "not a regular file"},
	} {
		t.Run(name, func(t *testing.T) {
			fl, err := Parse(strings.NewReader(withAttachments(t, c.media)), "flows.yaml")
			if err != nil {
				t.Fatal(err)
			}
			err = fl.CheckAttachments(c.fsys)
			var probs *Problems
			if !errors.As(err, &probs) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "flows.yaml:") {
				t.Errorf("got %v; want a positioned problem with %q", err, c.want)
			}
		})
	}
	for _, bad := range []string{"../segredo.pdf", "/etc/passwd", `guias\guia.pdf`, `""`} {
		s := strings.Replace(src, "attachment: guias/guia.pdf", "attachment: "+bad, 1)
		if _, err := Parse(strings.NewReader(s), "flows.yaml"); err == nil || !strings.Contains(err.Error(), "attachment") {
			t.Errorf("attachment %s: %v; want refused", bad, err)
		}
	}
}

func TestTrailMessageForms(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "lint", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := Parse(bytes.NewReader(src), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range fl.Nodes() {
		for _, m := range n.Messages {
			if m.Text.Value == "" || m.Text.Pos.Line == 0 || m.Attachment.Value != "" {
				t.Fatalf("plain message of %s read as %+v", n.ID, m)
			}
		}
	}
}

// TestLoadChecksAttachments: Load (what `flows lint` and the service
// use) checks attachments beside the file, with positions.
func TestLoadChecksAttachments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.yaml")
	if err := os.WriteFile(path, []byte(withAttachments(t, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), `attachment "guias/guia.pdf": file not found beside flows.yaml`) {
		t.Fatalf("Load without the file: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "guias"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "guias", "guia.pdf"), []byte("%PDF-1.4\nguia"), 0o644); err != nil {
		t.Fatal(err)
	}
	fl, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := fl.Attachment("guias/guia.pdf"); !ok || a.Kind != FileDocument {
		t.Errorf("attachment after Load: %+v, %v", a, ok)
	}
}
