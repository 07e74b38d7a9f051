package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // America/Sao_Paulo must load on minimal machines.
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Flow is a validated flows.yaml, ready for the engine. It is immutable:
// a reload builds a new Flow and swaps the pointer.
type Flow struct {
	File     *File
	Name     string // file name, for messages
	Version  string // content hash: which text a conversation ran on
	Source   []byte // the file as read
	Calendar *Calendar

	nodes    map[string]*Node
	menus    map[string]*Chooser
	idRE     *regexp.Regexp
	commands map[string]Command
	skip     map[string]bool
	router   *router
	parent   map[string]string // node -> the menu it is first offered from

	keepID, resolved, offer *Chooser

	attachments   map[string]*Attachment // by path; nil values until CheckAttachments
	attachmentPos []Text                 // each path where it is written
	fsys          fs.FS                  // where CheckAttachments found them
}

// Command is a global word that works in every state.
type Command int

// The global commands.
const (
	CmdNone Command = iota
	CmdMenu
	CmdBack
	CmdAgent
	CmdQuit
)

// MaxSize is the largest flows file accepted, in bytes. The shipped one is
// about 40 KiB: a megabyte is room for years of trails, while a file far
// larger (padded with comments, say) would be held in memory and stored
// with every version.
const MaxSize = 1 << 20

// Load reads, parses and validates a flows file.
func Load(path string) (*Flow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read flows: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxSize {
		return nil, tooBig(path, fi.Size())
	}
	fl, err := Parse(f, path)
	if err != nil {
		return nil, err
	}
	if err := fl.CheckAttachments(os.DirFS(filepath.Dir(path))); err != nil {
		return nil, err
	}
	return fl, nil
}

// Parse decodes and validates a flows file read from r; name is used in
// problem positions. The error is a *Problems listing everything wrong.
func Parse(r io.Reader, name string) (*Flow, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, tooBig(name, int64(len(data)))
	}
	probs := &Problems{File: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		probs.Items = append(probs.Items, syntaxProblem(err))
		return nil, probs
	}
	if len(doc.Content) == 0 {
		probs.add(Pos{1, 1}, "the file is empty")
		return nil, probs
	}
	f := &File{}
	(&decoder{probs: probs}).decode(doc.Content[0], reflectValue(f))
	sum := sha256.Sum256(data)
	fl := &Flow{File: f, Name: name, Version: hex.EncodeToString(sum[:6]), Source: data}
	fl.validate(probs)
	fl.buildChoosers()
	if len(probs.Items) == 0 {
		fl.parent = fl.parents()
		fl.router = buildRouter(fl, tuned)
		fl.checkGlossary(probs)
		fl.checkExamples(probs)
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return fl, nil
}

// tooBig is the problem of a file over MaxSize (size is what was seen of
// it: the whole file, or MaxSize+1 bytes of a stream).
func tooBig(name string, size int64) *Problems {
	probs := &Problems{File: name}
	what := fmt.Sprintf("%.1f MiB", float64(size)/(1<<20))
	if size == MaxSize+1 {
		what = "more than 1 MiB"
	}
	probs.add(Pos{1, 1}, "the file is too large (%s): the limit is 1 MiB", what)
	return probs
}

// Node returns the node with that id, or nil.
func (fl *Flow) Node(id string) *Node { return fl.nodes[id] }

// Root is the main menu's id.
func (fl *Flow) Root() string { return fl.File.Menu.Value }

// Nodes lists the nodes in file order.
func (fl *Flow) Nodes() []*Node { return fl.File.Nodes }

// Menu returns the chooser of a menu node.
func (fl *Flow) Menu(id string) *Chooser { return fl.menus[id] }

// Command tells which global word text is, if any.
func (fl *Flow) Command(text string) Command { return fl.commands[Normalize(text)] }

// IsSkip reports whether text declines the optional feedback comment.
func (fl *Flow) IsSkip(text string) bool { return fl.skip[Normalize(text)] }

// CleanID applies the ID Suporte rules: remove the ignored characters, then
// check the pattern. It returns the cleaned ID and whether it is valid.
func (fl *Flow) CleanID(text string) (string, bool) {
	id := strings.Map(func(r rune) rune {
		if strings.ContainsRune(fl.File.IDSuporte.Remove, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(text))
	if len(id) > maxIDLen {
		// Back up to a rune start so the cut stays valid UTF-8; strings.Map
		// turned any invalid byte into U+FFFD, so one is at most 3 bytes back.
		cut := maxIDLen
		for !utf8.RuneStart(id[cut]) {
			cut--
		}
		return id[:cut], false
	}
	return id, fl.idRE.MatchString(id)
}

// maxIDLen bounds the cleaned text CleanID returns, far above any ID.
const maxIDLen = 64

var idCandidateRE = regexp.MustCompile(`[0-9][0-9 .\-]*[0-9]`)

// FindID looks for a valid ID Suporte in a customer's message: the whole
// text ("123.456-78"), or a number inside a sentence ("meu ID é 12345678").
func (fl *Flow) FindID(text string) (string, bool) {
	if id, ok := fl.CleanID(text); ok {
		return id, true
	}
	if len(text) > MaxInput {
		text = text[:MaxInput]
	}
	for _, c := range idCandidateRE.FindAllString(text, 4) {
		if id, ok := fl.CleanID(c); ok {
			return id, true
		}
	}
	return "", false
}

// MenuStyle is "text" or "poll".
func (fl *Flow) MenuStyle() string {
	if fl.File.Settings.MenuStyle == "" {
		return "text"
	}
	return fl.File.Settings.MenuStyle
}

// MarkRead tells whether handled messages get read receipts (default yes).
func (fl *Flow) MarkRead() bool {
	return fl.File.Settings.MarkRead == nil || *fl.File.Settings.MarkRead
}

// Title is a node's short name: its title, or for menus/handoffs the label
// of the first option pointing at it, or its id.
func (fl *Flow) Title(id string) string {
	n := fl.nodes[id]
	if n == nil {
		return id
	}
	if n.Title.Value != "" {
		return n.Title.Value
	}
	for _, m := range fl.File.Nodes {
		for _, o := range m.Options {
			if o.Goto.Value == id {
				return o.Label.Value
			}
		}
	}
	return id
}

// Pacing returns the typing pause before a message of n characters.
func (fl *Flow) Pacing(n int) time.Duration {
	p := fl.File.Pacing
	d := p.Min.Duration + time.Duration(n)*p.PerChar.Duration
	return min(max(d, p.Min.Duration), p.Max.Duration)
}

// Built-in answers to the bot's fixed questions, beside the labels editors write.
var (
	yesWords = []string{"sim", "s", "resolveu", "resolvido", "yes", "ok", "claro", "isso", "👍"}
	noWords  = []string{"nao", "n", "no", "nao resolveu", "ainda nao", "👎"}
)

// KeepID is the returning customer's question: keep the ID Suporte or change it.
func (fl *Flow) KeepID() *Chooser { return fl.keepID }

// ResolvedChoice is "did this solve it?": yes, no, back to the menu.
func (fl *Flow) ResolvedChoice() *Chooser { return fl.resolved }

// OfferChoice is the out-of-hours offer: leave a message, menu, finish.
func (fl *Flow) OfferChoice() *Chooser { return fl.offer }

func (fl *Flow) buildChoosers() {
	f := fl.File
	fl.keepID = NewChooser([]string{f.IDSuporte.Keep.Value, f.IDSuporte.Change.Value},
		[][]string{{"continuar", "manter", "sim", "s", "mesmo", "👍"}, {"outro", "mudar", "trocar", "alterar", "novo", "nao", "n"}})
	fl.resolved = NewChooser([]string{f.Resolved.Yes.Value, f.Resolved.No.Value, f.Resolved.Menu.Value},
		[][]string{yesWords, noWords, nil})
	fl.offer = NewChooser([]string{f.Handoff.LeaveMessage.Value, f.Handoff.BackToMenu.Value, f.Handoff.Finish.Value},
		[][]string{{"deixar", "mensagem", "recado"}, nil, {"encerrar", "finalizar"}})
}
