package sim

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"suporte/bot"
	"suporte/flows"
	"suporte/store"
)

// Session is a terminal conversation with the real engine: customer lines
// come from In, the bot's messages go to Out, time stands still unless a
// ::wait directive moves it.
type Session struct {
	Flow   *flows.Flow
	Store  *store.DB
	Files  *store.Files // the media folder: files sent with ::media land there
	Line   string       // the support line the customers write to (store.LineName)
	Chat   string       // starting customer
	At     time.Time    // starting instant
	JSONL  bool         // one JSON object per bot message instead of text
	Prompt bool         // print a "você>" prompt (interactive terminal)
	Log    zerolog.Logger
}

// typingTime is how much the simulated clock moves per customer message.
const typingTime = 5 * time.Second

// Directives a line may start with.
const directivePrefix = "::"

// Run reads customer messages until EOF or ctx ends.
func (s *Session) Run(ctx context.Context, in io.Reader, out, errOut io.Writer) error {
	clock := bot.NewManualClock(s.At)
	term := &terminal{out: out, jsonl: s.JSONL, multi: false}
	rt := bot.New(bot.Config{
		Store:     s.Store,
		Line:      s.Line,
		Flow:      func() *flows.Flow { return s.Flow },
		Transport: term,
		Files:     s.Files,
		Clock:     clock,
		Log:       s.Log,
	})
	chat := s.Chat
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	prompt := func() {
		if s.Prompt {
			fmt.Fprintf(out, "você (%s)> ", chat)
		}
	}
	// A previous run with --db may have left work (e.g. timers): finish it.
	if err := rt.Drain(ctx); err != nil {
		return err
	}
	prompt()
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		n++
		// Random ids: a second run on the same --db must not look like a redelivery.
		msg := bot.Inbound{Chat: chat, ID: "sim-" + rand.Text(), Kind: bot.KindText, Text: line, At: clock.Now()}
		if rest, ok := strings.CutPrefix(line, directivePrefix); ok {
			var err error
			msg, err = s.directive(ctx, rt, clock, &chat, term, rest, msg)
			if err != nil {
				fmt.Fprintf(errOut, "line %d: %v\n", n, err)
			}
			if err != nil || msg.Chat == "" {
				prompt()
				continue
			}
		}
		// A person needs a few seconds per message: a still clock would make
		// every conversation look like a flood.
		clock.Advance(typingTime)
		msg.At = clock.Now()
		if _, err := rt.Receive(ctx, msg); err != nil {
			return err
		}
		if err := rt.Drain(ctx); err != nil {
			return err
		}
		prompt()
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	if s.Prompt {
		fmt.Fprintln(out)
	}
	return nil
}

// directive runs a ::line. It returns a message to send (media) or a zero
// Inbound when the directive sent nothing.
func (s *Session) directive(ctx context.Context, rt *bot.Runtime, clock *bot.ManualClock, chat *string, term *terminal, rest string, msg bot.Inbound) (bot.Inbound, error) {
	name, arg, _ := strings.Cut(strings.TrimSpace(rest), " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "wait":
		d, err := time.ParseDuration(arg)
		if err != nil || d < 0 {
			return bot.Inbound{}, fmt.Errorf("::wait needs a duration like 30s, 10m or 2h, got %q", arg)
		}
		return bot.Inbound{}, rt.AdvanceTo(ctx, clock, clock.Now().Add(d))
	case "chat":
		if arg == "" {
			return bot.Inbound{}, fmt.Errorf("::chat needs an id, e.g. ::chat 5547999990001")
		}
		*chat = arg
		term.multi = true
		return bot.Inbound{}, nil
	case "media":
		kind, rest, _ := strings.Cut(arg, " ")
		if !slices.Contains(bot.MediaKinds, kind) {
			return bot.Inbound{}, fmt.Errorf("::media needs one of %s, got %q", strings.Join(bot.MediaKinds, ", "), kind)
		}
		msg.Kind, msg.Text, msg.Chat = kind, strings.TrimSpace(rest), *chat
		// ::media KIND FILE [caption] sends FILE when there is one; else
		// the rest is a caption alone (a message whose file never came).
		file, caption, _ := strings.Cut(msg.Text, " ")
		if !bot.FileKind(kind) || file == "" {
			return msg, nil
		}
		st, err := os.Stat(file)
		if err != nil {
			return msg, nil
		}
		if !st.Mode().IsRegular() {
			return bot.Inbound{}, fmt.Errorf("::media %s: %s is not a file", kind, file)
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			return bot.Inbound{}, err
		}
		msg.Text = strings.TrimSpace(caption)
		msg.Media = &bot.Media{Name: filepath.Base(file), Bytes: st.Size(), Ref: []byte(abs)}
		return msg, nil
	}
	return bot.Inbound{}, fmt.Errorf("unknown directive ::%s (use ::wait, ::chat or ::media)", name)
}

// Fetch reads a file the terminal's customer sent with ::media: the
// downloader fetches it as it would from WhatsApp.
func (t *terminal) Fetch(ctx context.Context, req bot.FetchRequest, dst bot.MediaFile) error {
	f, err := os.Open(string(req.Ref))
	if err != nil {
		return fmt.Errorf("%w: %v", bot.ErrMediaGone, err)
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}

// terminal is the simulator's transport: it prints what WhatsApp would show.
type terminal struct {
	out   io.Writer
	jsonl bool
	multi bool // several chats: say whose message it is
	seq   int
}

type jsonMessage struct {
	Chat    string       `json:"chat"`
	Text    string       `json:"text"`
	Options []bot.Option `json:"options,omitempty"`
	Media   *jsonMedia   `json:"media,omitempty"`
}

// jsonMedia is the file a bot message sends.
type jsonMedia struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	MIME  string `json:"mime"`
	Bytes int64  `json:"bytes"`
}

func (t *terminal) Send(_ context.Context, m bot.Outbound) (bot.Sent, error) {
	t.seq++
	id := bot.Sent{ID: "out-" + strconv.Itoa(t.seq)}
	if t.jsonl {
		jm := jsonMessage{Chat: m.Chat, Text: m.Text, Options: m.Options}
		if f := m.File; f != nil {
			jm.Media = &jsonMedia{Kind: f.Kind, Name: f.Name, MIME: f.Type, Bytes: f.Bytes}
		}
		b, err := json.Marshal(jm)
		if err != nil {
			return bot.Sent{}, err
		}
		_, err = fmt.Fprintf(t.out, "%s\n", b)
		return id, err
	}
	head := "bot> "
	if t.multi {
		head = "bot (" + m.Chat + ")> "
	}
	pad := strings.Repeat(" ", len([]rune(head)))
	text := m.Text
	if f := m.File; f != nil {
		text = strings.TrimSpace(fmt.Sprintf("[%s: %s, %s]\n%s", f.Kind, f.Name, flows.FormatSize(f.Bytes), text))
	}
	lines := strings.Split(text, "\n")
	var b strings.Builder
	for i, l := range lines {
		if i == 0 {
			b.WriteString(head)
		} else if l != "" {
			b.WriteString(pad)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := io.WriteString(t.out, b.String())
	return id, err
}
