package flows

import (
	"bytes"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Media policy: which files the service takes and sends, how big, and
// what they are. It lives here, beside settings.media, so that the
// engine, the console and `flows lint` judge a file the same way.

// Message kinds that carry a file. (The engine's bot.Kind* constants use
// the same strings.)
const (
	FileImage    = "image"
	FileVideo    = "video"
	FileAudio    = "audio"
	FileSticker  = "sticker"
	FileDocument = "document"
)

// Size is a number of bytes written as "16MB", "2GB", "500KB" or a plain
// number; KB, MB and GB are powers of 1024.
type Size struct {
	Bytes int64
	Pos   Pos
}

// parseSize reads a Size's text.
func parseSize(s string) (int64, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size")
	}
	return n * mult, nil
}

// FormatSize writes n bytes for people, in Portuguese style: "16 MB", "1,5 GB".
func FormatSize(n int64) string {
	f := func(v float64, unit string) string {
		s := strconv.FormatFloat(v, 'f', 1, 64)
		s = strings.TrimSuffix(s, ".0")
		return strings.Replace(s, ".", ",", 1) + " " + unit
	}
	switch {
	case n >= 1<<30:
		return f(float64(n)/(1<<30), "GB")
	case n >= 1<<20:
		return f(float64(n)/(1<<20), "MB")
	case n >= 1<<10:
		return f(float64(n)/(1<<10), "KB")
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// MediaSettings caps the files customers send and the service keeps.
type MediaSettings struct {
	Meta
	MaxFile     Size `yaml:"max_file"`     // a document; default 2 GB, WhatsApp's own limit
	MaxMedia    Size `yaml:"max_media"`    // an image, audio, video or sticker; default 16 MB, WhatsApp's own limit
	MaxCustomer Size `yaml:"max_customer"` // everything kept of one customer; default 4 GB
}

// Default media caps: WhatsApp's limits for what its app sends.
const (
	DefaultMaxFile     = 2 << 30
	DefaultMaxMedia    = 16 << 20
	DefaultMaxCustomer = 4 << 30
)

// MaxFor is the largest file of kind the service takes.
func (fl *Flow) MaxFor(kind string) int64 {
	m := fl.File.Settings.Media
	if kind == FileDocument {
		return cmpSize(m.MaxFile.Bytes, DefaultMaxFile)
	}
	return cmpSize(m.MaxMedia.Bytes, DefaultMaxMedia)
}

// MaxCustomer is how many bytes of files one customer may have kept.
func (fl *Flow) MaxCustomer() int64 {
	return cmpSize(fl.File.Settings.Media.MaxCustomer.Bytes, DefaultMaxCustomer)
}

func cmpSize(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

func (fl *Flow) validateMedia(probs *Problems) {
	m := fl.File.Settings.Media
	for _, s := range []struct {
		key string
		v   Size
	}{{"max_file", m.MaxFile}, {"max_media", m.MaxMedia}, {"max_customer", m.MaxCustomer}} {
		if m.Has(s.key) && s.v.Bytes <= 0 {
			probs.add(m.At(s.key), "settings.media.%s must be a positive size like 16MB or 2GB", s.key)
		}
	}
	if m.MaxCustomer.Bytes > 0 && m.MaxCustomer.Bytes < max(fl.MaxFor(FileDocument), fl.MaxFor(FileImage)) {
		probs.add(m.At("max_customer"), "settings.media.max_customer must be at least max_file and max_media")
	}
}

// Content types the service recognizes beyond net/http's sniffer.
const (
	TypeOgg      = "audio/ogg"
	TypeOpus     = "audio/ogg; codecs=opus"
	TypeMP4Audio = "audio/mp4"
	TypeOLE      = "application/x-ole-storage" // .doc, .xls, .ppt
	TypeVCard    = "text/vcard"
	TypeUnknown  = "application/octet-stream"
)

// Sniff tells what a file is from its first bytes (up to 512), never
// from its name or what its sender declared: net/http's sniffer, told
// apart further for Ogg (Opus voice notes), MP4 audio and Office's
// binary formats.
func Sniff(head []byte) string {
	ct := http.DetectContentType(head)
	switch {
	case ct == "application/ogg":
		switch {
		case bytes.Contains(head, []byte("OpusHead")):
			return TypeOpus
		case bytes.Contains(head, []byte("\x01vorbis")):
			return TypeOgg
		}
	case len(head) >= 12 && string(head[4:8]) == "ftyp" && (string(head[8:12]) == "M4A " || string(head[8:12]) == "M4B "):
		return TypeMP4Audio
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return TypeOLE
	case bytes.HasPrefix(head, []byte("BEGIN:VCARD")):
		return TypeVCard
	}
	return ct
}

// BaseType is ct without its parameters: "text/plain; charset=utf-8" is "text/plain".
func BaseType(ct string) string {
	base, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(strings.ToLower(base))
}

// KindOf is the message kind a file of content type ct goes out as on
// WhatsApp: images, voice or audio, video, or else a document.
func KindOf(ct string) string {
	switch BaseType(ct) {
	case "image/jpeg", "image/png", "image/webp":
		return FileImage
	case "audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr":
		return FileAudio
	case "video/mp4", "video/3gpp":
		return FileVideo
	}
	return FileDocument
}

// Sendable reports whether the service sends a file of content type ct
// (sniffed): media WhatsApp plays, PDFs, office files, archives and plain
// text. Web pages, SVG and unknown binaries are refused: they are what a
// mistaken or malicious upload looks like, and no customer needs them.
func Sendable(ct string) bool {
	switch b := BaseType(ct); {
	case KindOf(b) != FileDocument:
		return true
	case b == "image/gif", b == "image/bmp", b == "audio/wave", b == "video/webm":
		return true
	case b == "application/pdf", b == "application/zip", b == TypeOLE, b == "text/plain", b == "text/rtf", b == TypeVCard:
		return true
	}
	return false
}

// Inline reports whether a file of content type ct (sniffed) may be shown
// in the console's page (an image, a player): types browsers render
// without running anything. Everything else, HTML and SVG above all, is
// only ever a download.
func Inline(ct string) bool {
	switch BaseType(ct) {
	case "image/jpeg", "image/png", "image/gif", "image/webp",
		"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/wave",
		"video/mp4", "video/webm":
		return true
	}
	return false
}

// maxName is the longest file name kept, in characters.
const maxName = 120

// CleanName makes a file name safe to keep, show and offer as a download:
// its last path element only (no "../"), no control or format characters,
// no leading dots, at most maxName characters with the extension kept.
// Nothing usable left gives fallback.
func CleanName(name, fallback string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == '"', r == '/':
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if utf8.RuneCountInString(name) > maxName {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 16 {
			ext = ""
		}
		r := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimSpace(string(r[:maxName-utf8.RuneCountInString(ext)])) + ext
	}
	if name == "" || name == "." {
		return fallback
	}
	return name
}

// Extension is the usual file extension of content type ct, for naming a
// file that came without a name.
func Extension(ct string) string {
	switch BaseType(ct) {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	case "image/gif":
		return ".gif"
	case "audio/ogg":
		return ".ogg"
	case "audio/mpeg":
		return ".mp3"
	case "audio/mp4":
		return ".m4a"
	case "video/mp4":
		return ".mp4"
	case "application/pdf":
		return ".pdf"
	case "text/plain":
		return ".txt"
	case TypeVCard:
		return ".vcf"
	case "application/zip":
		return ".zip"
	}
	return ""
}

// Texts about files, by what happened.
const (
	MediaReceived = iota // queued or with an agent: the file is on the ticket (once per burst)
	MediaTooBig          // over settings.media's caps
	MediaFailed          // could not be downloaded
)

// Built-in texts about files, for a flows.yaml that leaves them out.
var defaultMediaTexts = [...]string{
	MediaReceived: "Recebido! 📎 O arquivo fica no seu chamado para o Encantador ver.",
	MediaTooBig:   "Esse arquivo passa do limite que consigo receber por aqui 😕 Se puder, envie uma versão menor ou um print da tela.",
	MediaFailed:   "Não consegui receber o arquivo que você enviou 😕 Pode enviar de novo, por favor?",
}

// MediaText is the text for what happened to a customer's file: the one
// in flows.yaml's texts, or the built-in one.
func (fl *Flow) MediaText(which int) string {
	t := fl.File.Texts
	v := [...]Text{MediaReceived: t.MediaReceived, MediaTooBig: t.MediaTooBig, MediaFailed: t.MediaFailed}[which]
	if strings.TrimSpace(v.Value) != "" {
		return v.Value
	}
	return defaultMediaTexts[which]
}
