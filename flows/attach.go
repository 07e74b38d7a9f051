package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Attachment is a file a trail message or quick reply sends, as found
// beside flows.yaml by CheckAttachments.
type Attachment struct {
	Path   string // as written in flows.yaml, relative to it
	Name   string // the name customers see
	Type   string // sniffed content type
	Kind   string // FileImage, FileDocument...
	Bytes  int64
	SHA256 string // hex
}

// validateAttachment checks how an attachment is written; whether the
// file is there is CheckAttachments' business (Parse reads no files).
func (fl *Flow) validateAttachment(probs *Problems, t Text) {
	if t.Pos.Line == 0 && t.Value == "" {
		return
	}
	p := strings.TrimSpace(t.Value)
	switch {
	case p == "":
		probs.add(t.Pos, "attachment must name a file beside flows.yaml, e.g. guias/boleto.pdf")
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || !fs.ValidPath(p):
		probs.add(t.Pos, "attachment %q: write a path relative to flows.yaml, with / and without .. (e.g. guias/boleto.pdf)", p)
	default:
		if fl.attachments == nil {
			fl.attachments = map[string]*Attachment{}
		}
		fl.attachments[p] = nil // found, not checked yet
		fl.attachmentPos = append(fl.attachmentPos, Text{Value: p, Pos: t.Pos})
	}
}

// CheckAttachments finds every attachment of the flows in fsys (the
// folder of flows.yaml) and checks it: a regular file, not empty, within
// settings.media's caps, of a type the service sends (judged by its
// bytes). Load calls it; a Flow parsed from memory sends no attachment
// until it is called. Problems come as from Parse, with positions.
func (fl *Flow) CheckAttachments(fsys fs.FS) error {
	probs := &Problems{File: fl.Name}
	for _, t := range fl.attachmentPos {
		if fl.attachments[t.Value] != nil {
			continue
		}
		a, err := checkAttachment(fsys, t.Value, fl)
		if err != nil {
			probs.add(t.Pos, "attachment %q: %v", t.Value, err)
			continue
		}
		fl.attachments[t.Value] = a
	}
	fl.fsys = fsys
	return probs.err()
}

func checkAttachment(fsys fs.FS, p string, fl *Flow) (*Attachment, error) {
	f, err := fsys.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("file not found beside flows.yaml")
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() == 0 {
		return nil, errors.New("the file is empty")
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	ct := Sniff(head[:n])
	if !Sendable(ct) {
		return nil, fmt.Errorf("its content is %s, which is not sent to customers (use an image, PDF, audio, video or office file)", BaseType(ct))
	}
	kind := KindOf(ct)
	if limit := fl.MaxFor(kind); st.Size() > limit {
		return nil, fmt.Errorf("%s is over the %s limit for a %s (settings.media)", FormatSize(st.Size()), FormatSize(limit), kind)
	}
	h := sha256.New()
	h.Write(head[:n])
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return &Attachment{
		Path: p, Name: CleanName(path.Base(p), "arquivo"+Extension(ct)), Type: ct, Kind: kind,
		Bytes: st.Size(), SHA256: hex.EncodeToString(h.Sum(nil)),
	}, nil
}

// Attachment returns the checked attachment written as p, if any.
func (fl *Flow) Attachment(p string) (Attachment, bool) {
	a := fl.attachments[strings.TrimSpace(p)]
	if a == nil {
		return Attachment{}, false
	}
	return *a, true
}

// AttachmentBySHA returns a checked attachment with that content hash.
func (fl *Flow) AttachmentBySHA(sum string) (Attachment, bool) {
	for _, a := range fl.attachments {
		if a != nil && a.SHA256 == sum {
			return *a, true
		}
	}
	return Attachment{}, false
}

// OpenAttachment opens a checked attachment's file.
func (fl *Flow) OpenAttachment(a Attachment) (fs.File, error) {
	if fl.fsys == nil {
		return nil, errors.New("attachments not checked")
	}
	return fl.fsys.Open(a.Path)
}
