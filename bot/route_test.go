package bot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"suporte/flows"
	"suporte/store"
)

// chatDriver sends one customer's messages through the real runtime and
// store, and reads back where the conversation stands.
type chatDriver struct {
	t    *testing.T
	db   *store.DB
	rt   *Runtime
	tr   *fakeTransport
	chat string
	n    int
}

func newChatDriver(t *testing.T, fl *flows.Flow) *chatDriver {
	t.Helper()
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	t.Cleanup(func() { db.Close() })
	tr := newFakeTransport()
	// A Tuesday at 10:00 in São Paulo: the Encantadores are working.
	rt := newRuntime(db, fl, tr, NewManualClock(time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)))
	return &chatDriver{t: t, db: db, rt: rt, tr: tr, chat: "5547999990001@s.whatsapp.net"}
}

// say sends texts one by one and returns the replies to the last one.
func (d *chatDriver) say(texts ...string) []string {
	d.t.Helper()
	ctx := context.Background()
	var before int
	for _, s := range texts {
		before = len(d.tr.texts(d.chat))
		d.n++
		if _, err := d.rt.Receive(ctx, text(d.chat, fmt.Sprint(d.n), s)); err != nil {
			d.t.Fatal(err)
		}
		if err := d.rt.Drain(ctx); err != nil {
			d.t.Fatal(err)
		}
	}
	return d.tr.texts(d.chat)[before:]
}

func (d *chatDriver) conv() store.Conversation {
	d.t.Helper()
	var c store.Conversation
	err := d.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.Conversation(context.Background(), "", d.chat)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

func (d *chatDriver) events(kind string) []store.TicketEvent {
	d.t.Helper()
	var out []store.TicketEvent
	err := d.db.View(context.Background(), func(tx *store.Tx) error {
		es, err := tx.TicketEvents(context.Background(), d.conv().Ticket, 0)
		for _, e := range es {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

func (d *chatDriver) wantAt(state, node string, path ...string) {
	d.t.Helper()
	c := d.conv()
	if c.State != state || c.Node != node || !slices.Equal(c.Path, path) {
		d.t.Fatalf("conversation at %s %q path %q; want %s %q path %q", c.State, c.Node, c.Path, state, node, path)
	}
}

func joined(msgs []string) string { return strings.Join(msgs, "\n---\n") }

func TestFreeTextAtMenuGoesDeep(t *testing.T) {
	d := newChatDriver(t, testFlow(t))
	d.say("oi", "12345678")
	d.wantAt(stateBrowsing, "inicio")
	got := d.say("minha nota foi rejeitada pela sefaz")
	if len(got) == 0 || !strings.Contains(got[0], "Nota rejeitada") {
		t.Fatalf("replies = %s; want the rejected-invoice trail", joined(got))
	}
	d.wantAt(stateAskingResolved, "notas-rejeitada", "inicio", "notas")
	// "voltar" leads to the menu that offers the trail, as if walked to.
	d.say("voltar")
	d.wantAt(stateBrowsing, "notas", "inicio")
	// From a sub-menu, to another branch.
	d.say("esqueci minha snha")
	d.wantAt(stateAskingResolved, "acesso", "inicio")
	// Numbers keep their meaning in the menu shown.
	d.say("menu", "1", "3")
	d.wantAt(stateAskingResolved, "notas-rejeitada", "inicio", "notas")
}

// A text asking for the menu gets it, not "não entendi": the main menu
// when it names it, else the menu shown.
func TestFreeTextAsksForTheMenu(t *testing.T) {
	d := newChatDriver(t, testFlow(t))
	d.say("oi", "12345678", "1")
	d.wantAt(stateBrowsing, "notas", "inicio")
	got := d.say("quais as opções mesmo?")
	if len(got) == 0 || strings.Contains(joined(got), "não entendi") || !strings.Contains(joined(got), "Emitir NF-e") {
		t.Fatalf("replies = %s; want the notes menu again", joined(got))
	}
	d.wantAt(stateBrowsing, "notas", "inicio")
	got = d.say("quero voltar pro menu principal")
	if len(got) == 0 || strings.Contains(joined(got), "não entendi") || !strings.Contains(joined(got), "Notas fiscais") {
		t.Fatalf("replies = %s; want the main menu", joined(got))
	}
	d.wantAt(stateBrowsing, "inicio")
}

func TestFreeTextAsks(t *testing.T) {
	d := newChatDriver(t, testFlow(t))
	d.say("oi", "12345678")
	got := d.say("quero cancelar")
	if len(got) != 1 || !strings.Contains(got[0], "É sobre *Cancelar ou corrigir nota* ou *Plano e assinatura*?") ||
		!strings.Contains(got[0], "1. Cancelar ou corrigir nota\n2. Plano e assinatura\n3. Outro assunto") {
		t.Fatalf("replies = %s; want the question with both topics and Outro assunto", joined(got))
	}
	d.wantAt(stateChoosing, "inicio")
	if c := d.conv(); c.Intent != "route:notas-cancelar|plano" {
		t.Errorf("Intent = %q; want the asked nodes", c.Intent)
	}

	// A number outside the question is no menu option behind it.
	got = d.say("5")
	if len(got) != 2 || !strings.Contains(got[0], "não entendi") || !strings.Contains(got[1], "É sobre") {
		t.Fatalf("replies to 5 = %s; want not understood and the question again", joined(got))
	}
	d.wantAt(stateChoosing, "inicio")

	// "Outro assunto" shows the menu the question came from.
	d.say("3")
	d.wantAt(stateBrowsing, "inicio")
	if c := d.conv(); c.Intent != "" {
		t.Errorf("Intent = %q after leaving the question; want none", c.Intent)
	}

	// By title; and in other words, read as at the menu.
	d.say("quero cancelar", "plano e assinatura")
	d.wantAt(stateAskingResolved, "plano", "inicio")
	d.say("menu", "quero cancelar", "cancelar a nota emitida")
	d.wantAt(stateAskingResolved, "notas-cancelar", "inicio", "notas")
}

func TestFreeTextQuestionKeepsGlobalWords(t *testing.T) {
	for _, tt := range []struct {
		word  string
		state string
	}{{"menu", stateBrowsing}, {"voltar", stateBrowsing}, {"atendente", stateQueued}, {"sair", stateClosed}} {
		t.Run(tt.word, func(t *testing.T) {
			d := newChatDriver(t, testFlow(t))
			d.say("oi", "12345678", "quero cancelar")
			d.wantAt(stateChoosing, "inicio")
			d.say(tt.word)
			if c := d.conv(); c.State != tt.state || c.Intent != "" {
				t.Errorf("%q at the question: state %s, intent %q; want %s and no intent", tt.word, c.State, c.Intent, tt.state)
			}
		})
	}
}

// "voltar" at the question returns to the menu it was asked at.
func TestFreeTextQuestionBack(t *testing.T) {
	d := newChatDriver(t, testFlow(t))
	d.say("oi", "12345678", "1", "quero emitir")
	d.wantAt(stateChoosing, "notas", "inicio")
	d.say("voltar")
	d.wantAt(stateBrowsing, "notas", "inicio")
}

func TestFreeTextBeforeTheID(t *testing.T) {
	t.Run("new customer", func(t *testing.T) {
		d := newChatDriver(t, testFlow(t))
		d.say("bom dia, minha nota foi rejeitada")
		d.wantAt(stateAskingID, "")
		if c := d.conv(); c.Intent != "route:notas-rejeitada" {
			t.Fatalf("Intent = %q; want the trail remembered", c.Intent)
		}
		got := d.say("12345678")
		if len(got) < 2 || !strings.Contains(got[0], "confirmado") || !strings.Contains(got[1], "Nota rejeitada") {
			t.Fatalf("replies = %s; want the ID confirmed, then the trail", joined(got))
		}
		d.wantAt(stateAskingResolved, "notas-rejeitada", "inicio", "notas")
	})
	t.Run("the ID and the topic in one message", func(t *testing.T) {
		d := newChatDriver(t, testFlow(t))
		d.say("meu id é 12345678, esqueci a senha")
		d.wantAt(stateAskingResolved, "acesso", "inicio")
	})
	t.Run("a topic instead of the ID", func(t *testing.T) {
		d := newChatDriver(t, testFlow(t))
		d.say("oi", "esqueci minha senha")
		d.wantAt(stateAskingID, "")
		d.say("12345678")
		d.wantAt(stateAskingResolved, "acesso", "inicio")
	})
	t.Run("close topics are asked once the ID is known", func(t *testing.T) {
		d := newChatDriver(t, testFlow(t))
		d.say("quero cancelar", "12345678")
		d.wantAt(stateChoosing, "inicio")
	})
	t.Run("returning customer", func(t *testing.T) {
		d := newChatDriver(t, testFlow(t))
		d.say("oi", "12345678", "sair")
		d.say("minha nota foi rejeitada")
		d.wantAt(stateConfirmingID, "")
		d.say("1")
		d.wantAt(stateAskingResolved, "notas-rejeitada", "inicio", "notas")
	})
	t.Run("returning customer answering with a topic keeps the ID", func(t *testing.T) {
		d := newChatDriver(t, testFlow(t))
		d.say("oi", "12345678", "sair", "oi")
		d.wantAt(stateConfirmingID, "")
		d.say("como importar o extrato ofx")
		d.wantAt(stateAskingResolved, "financeiro-conciliacao", "inicio", "financeiro")
	})
	t.Run("a greeting is no topic", func(t *testing.T) {
		d := newChatDriver(t, testFlow(t))
		d.say("oi, bom dia", "12345678")
		d.wantAt(stateBrowsing, "inicio")
	})
}

func TestFreeTextAfterATrail(t *testing.T) {
	d := newChatDriver(t, testFlow(t))
	d.say("oi", "12345678", "4")
	d.wantAt(stateAskingResolved, "acesso", "inicio")
	d.say("e como faço a conciliação bancária?")
	d.wantAt(stateAskingResolved, "financeiro-conciliacao", "inicio", "financeiro")
	// The question's own answers still come first.
	d.say("sim")
	if c := d.conv(); c.State != stateRating {
		t.Errorf("state %s after sim; want %s", c.State, stateRating)
	}
}

func TestUnmatchedIsKept(t *testing.T) {
	d := newChatDriver(t, testFlow(t))
	d.say("oi", "12345678", "Kkkkk, que PORCARIA!!", "1", "quem ganhou o jogo ontem?", "👍")
	got := d.events(store.EventUnmatched)
	want := []store.TicketEvent{{Actor: "inicio", Text: "kkkkk que porcaria"}, {Actor: "notas", Text: "quem ganhou o jogo ontem"}}
	if len(got) != len(want) {
		t.Fatalf("unmatched events = %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i].Actor != want[i].Actor || got[i].Text != want[i].Text {
			t.Errorf("unmatched event %d = %q at %q; want %q at %q", i, got[i].Text, got[i].Actor, want[i].Text, want[i].Actor)
		}
	}
}

func TestQuestionOnReloadedFlows(t *testing.T) {
	d := newChatDriver(t, testFlow(t))
	d.say("oi", "12345678", "quero cancelar")
	d.wantAt(stateChoosing, "inicio")
	// A new flows file without one of the asked nodes: the question is gone.
	src := strings.Replace(string(testFlow(t).Source), "goto: plano\n", "goto: plano-novo\n", 1)
	src = strings.Replace(src, "\n  plano:\n", "\n  plano-novo:\n", 1)
	fl, err := flows.Parse(strings.NewReader(src), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d.rt.cfg.Flow = func() *flows.Flow { return fl }
	got := d.say("2")
	if len(got) < 1 || !strings.Contains(got[0], fl.File.Texts.FlowChanged.Value[:20]) {
		t.Fatalf("replies = %s; want the flow-changed note", joined(got))
	}
	d.wantAt(stateBrowsing, "inicio")
}

// learnedFlow is the test flows learning from the phrasebook, as the
// shipped file does (without six examples that what it learns makes
// ambiguous or reads as another node, which the check would refuse).
func learnedFlow(t *testing.T) *flows.Flow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("sim", "testdata", "flows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.NewReplacer("\n  menu_style: text\n", "\n  menu_style: text\n  phrasebook: builtin\n",
		"\n      - quero saber do meu protocolo\n", "\n",
		"\n      - adicionar um comentário no chamado\n", "\n",
		"\n      - problema com a nota\n      - nota fiscal eletrônica\n", "\n",
		"\n      - boleto bancário\n", "\n",
		"\n      - quero contratar o suporte telefônico\n", "\n").Replace(string(b))
	if src == string(b) {
		t.Fatal("the test flows changed: learnedFlow no longer turns the phrasebook on")
	}
	path := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	fl, err := flows.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// A person asked for of someone else (a public office's attendant) is
// confirmed first; yes queues the chat, and "chega de robô" still goes
// straight to the queue.
func TestFreeTextHandoffDoubtConfirms(t *testing.T) {
	d := newChatDriver(t, learnedFlow(t))
	d.say("oi", "12345678")
	got := d.say("tem como falar com atendente do inss?")
	if len(got) != 1 || !strings.Contains(got[0], "É sobre *Falar com um Encantador*?") {
		t.Fatalf("replies = %s; want the question about the handoff alone", joined(got))
	}
	d.wantAt(stateChoosing, "inicio")
	d.say("sim")
	if c := d.conv(); c.State != stateQueued {
		t.Fatalf("after yes, conversation at %s; want %s", c.State, stateQueued)
	}

	d2 := newChatDriver(t, learnedFlow(t))
	d2.say("oi", "12345678", "chega de robô")
	if c := d2.conv(); c.State != stateQueued {
		t.Fatalf("chega de robô: conversation at %s; want %s", c.State, stateQueued)
	}
}

// A trail likely but not certain ("no node" keeps a small chance) is
// confirmed before it is entered: yes enters it, no shows the menu.
func TestFreeTextDoubtConfirms(t *testing.T) {
	d := newChatDriver(t, learnedFlow(t))
	d.say("oi", "12345678")
	got := d.say("perdi minha senha")
	if len(got) != 1 || !strings.Contains(got[0], "É sobre *Acesso e senha*?") ||
		!strings.Contains(got[0], "1. Acesso e senha\n2. Outro assunto") {
		t.Fatalf("replies = %s; want the question about that trail alone", joined(got))
	}
	d.wantAt(stateChoosing, "inicio")
	d.say("sim")
	d.wantAt(stateAskingResolved, "acesso", "inicio")

	d.say("menu", "perdi minha senha")
	d.wantAt(stateChoosing, "inicio")
	d.say("não")
	d.wantAt(stateBrowsing, "inicio")

	// Each question and answer is noted for the editors' report.
	asked, chosen := d.events(store.EventAsked), d.events(store.EventChosen)
	if len(asked) != 2 || asked[0].Actor != "acesso" || asked[0].Text != "perdi minha senha" || asked[1].Actor != "acesso" || asked[1].Text != "perdi minha senha" {
		t.Errorf("asked events = %+v; want the text and the trail asked about, twice", asked)
	}
	if len(chosen) != 2 || chosen[0].Actor != "acesso" || chosen[1].Actor != store.NoneChosen {
		t.Errorf("chosen events = %+v; want the trail, then none of them", chosen)
	}
}
