package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"suporte/flows"
	"suporte/store"
)

// flowsFile copies the test flows into dir and returns its path and text.
func flowsFile(t *testing.T, dir string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("sim", "testdata", "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "flows.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, string(b)
}

// replaceFile writes text the way editors and deploy tools do: a new file
// renamed over the old one.
func replaceFile(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// waitChange waits for the next reload attempt, failing instead of hanging.
func waitChange(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload within 10s")
	}
}

func TestFlowSourceReloads(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	path, text := flowsFile(t, dir)
	db := openStore(t, filepath.Join(dir, "s.db"))
	defer db.Close()
	src, err := NewFlowSource(ctx, path, db, zerolog.Nop(), SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	first := src.Current().Version
	hup := make(chan os.Signal, 1)
	done, err := src.Watch(ctx, hup)
	if err != nil {
		t.Fatal(err)
	}

	// A valid change is picked up from the folder watch.
	changed := src.Changed()
	replaceFile(t, path, strings.Replace(text, "Sobre qual assunto você quer ajuda?", "Em que posso ajudar?", 1))
	waitChange(t, changed)
	if v := src.Current().Version; v == first {
		t.Fatal("version did not change after a valid edit")
	}
	if got := src.Current().Node("inicio").Text.Value; got != "Em que posso ajudar?" {
		t.Errorf("menu text %q after reload", got)
	}
	second := src.Current().Version

	// An invalid change is refused with its position; the running version stays.
	changed = src.Changed()
	replaceFile(t, path, strings.Replace(text, "goto: notas\n", "goto: notass\n", 1))
	waitChange(t, changed)
	st := src.Status()
	if src.Current().Version != second || st.Refused == nil || len(st.Refused.Problems) == 0 ||
		!strings.Contains(st.Refused.Problems[0], `flows.yaml:`) || !strings.Contains(st.Refused.Problems[0], `goto "notass"`) {
		t.Fatalf("after an invalid edit: version %s (want %s), status %+v", src.Current().Version, second, st)
	}

	// SIGHUP reloads too; fixing the file clears the refusal.
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// The write itself may trigger the watcher: wait until the fix is in.
	for src.Current().Version != first {
		changed = src.Changed()
		hup <- os.Interrupt
		waitChange(t, changed)
	}
	if st := src.Status(); st.Refused != nil || st.Version != first {
		t.Errorf("after the fix: %+v", st)
	}
	var versions []store.FlowVersion
	err = db.View(ctx, func(tx *store.Tx) error {
		versions, err = tx.FlowVersions(ctx, 0)
		return err
	})
	if err != nil || len(versions) != 3 || versions[2].LoadedBy != "startup" || versions[1].LoadedBy != "file change" || versions[0].Content != text {
		t.Errorf("recorded versions %d (%v); want startup, file change, and the fix with its content", len(versions), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConversationOnVanishedNode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, text := flowsFile(t, dir)
	db := openStore(t, filepath.Join(dir, "s.db"))
	defer db.Close()
	src, err := NewFlowSource(ctx, path, db, zerolog.Nop(), SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	tr := newFakeTransport()
	clock := NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC))
	rt := New(Config{Store: db, Flow: src.Current, Transport: tr, Clock: clock, Log: zerolog.Nop()})
	say := func(id, s, chat string) []string {
		before := len(tr.texts(chat))
		if _, err := rt.Receive(ctx, text3(chat, id, s)); err != nil {
			t.Fatal(err)
		}
		if err := rt.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		return tr.texts(chat)[before:]
	}
	say("1", "12345678", "c1")
	say("2", "1", "c1") // c1 is in the "notas" sub-menu
	say("3", "12345678", "c2")
	// The editor removes the "notas" sub-menu (and its trails).
	fl := removeNotas(t, text)
	if err := os.WriteFile(path, []byte(fl), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.Reload(ctx, "test"); err != nil {
		t.Fatalf("the edited file is invalid: %v", err)
	}
	got := say("4", "2", "c1")
	if len(got) != 2 || !strings.Contains(got[0], "Atualizamos nosso menu") || !strings.Contains(got[1], "Sobre qual assunto") {
		t.Errorf("c1 on a vanished node got %q; want the apology and the main menu", got)
	}
	if got := say("5", "2", "c2"); len(got) == 0 || strings.Contains(got[0], "Atualizamos") {
		t.Errorf("c2, on the main menu, got %q; want its answer handled as usual", got)
	}
}

func text3(chat, id, s string) Inbound { return Inbound{Chat: chat, ID: id, Kind: KindText, Text: s} }

// removeNotas drops the notas sub-menu from the flows text: its option in
// the main menu and its nodes.
func removeNotas(t *testing.T, text string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	var out []string
	skip := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "      - label: Notas fiscais") {
			i += 2 // keywords and goto
			continue
		}
		if strings.HasPrefix(l, "  notas") && strings.HasSuffix(l, ":") {
			skip = true
			continue
		}
		if skip && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") && strings.HasSuffix(l, ":") {
			skip = false
		}
		if skip && (strings.HasPrefix(l, "   ") || l == "") {
			continue
		}
		skip = false
		out = append(out, l)
	}
	res := strings.Join(out, "\n")
	if _, err := flows.Parse(strings.NewReader(res), "edited.yaml"); err != nil {
		var p *flows.Problems
		if errors.As(err, &p) {
			t.Fatalf("edited flows invalid:\n%v", p)
		}
		t.Fatal(err)
	}
	return res
}

// TestFlowSourceBounds: a flows file over flows.MaxSize is refused at
// reload, as lint says, at 1:1; the stored versions stay bounded, keeping
// the ones conversations still going on run on.
func TestFlowSourceBounds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, text := flowsFile(t, dir)
	db := openStore(t, filepath.Join(dir, "s.db"))
	defer db.Close()
	src, err := NewFlowSource(ctx, path, db, zerolog.Nop(), SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	first := src.Current().Version
	must(t, db.Update(ctx, func(tx *store.Tx) error { // a customer mid-trail on the first version
		return tx.PutConversation(ctx, store.Conversation{Chat: "c1", State: "trail", FlowVersion: first})
	}))

	padded := text + "\n#" + strings.Repeat(" comentário", flows.MaxSize/10) + "\n"
	replaceFile(t, path, padded)
	var probs *flows.Problems
	if err := src.Reload(ctx, "SIGHUP"); !errors.As(err, &probs) {
		t.Fatalf("reload of a %d-byte file: %v; want it refused", len(padded), err)
	}
	st := src.Status()
	if src.Current().Version != first || st.Refused == nil || len(st.Refused.Problems) != 1 ||
		!strings.HasPrefix(st.Refused.Problems[0], path+":1:1: the file is too large") {
		t.Fatalf("after the big file: %+v; want it refused at 1:1 and the first version running", st)
	}

	for i := range keptFlowVersions + 10 {
		replaceFile(t, path, strings.Replace(text, "Sobre qual assunto você quer ajuda?", fmt.Sprintf("Versão %d: em que posso ajudar?", i), 1))
		must(t, src.Reload(ctx, "SIGHUP"))
	}
	var versions []store.FlowVersion
	must(t, db.View(ctx, func(tx *store.Tx) error {
		versions, err = tx.FlowVersions(ctx, 0)
		return err
	}))
	if len(versions) != keptFlowVersions+1 || versions[len(versions)-1].Version != first || versions[0].Version != src.Current().Version {
		t.Errorf("%d versions stored, oldest %s; want the latest %d and the first, which c1 runs on", len(versions), versions[len(versions)-1].Version, keptFlowVersions)
	}
}
