package flows

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// shippedFlows is the flows file the service runs with.
const shippedFlows = "../flows.yaml"

// shipped is the shipped flows file, loaded once for every test: a load
// trains the model, the slow part of most tests under the race
// detector, and routing only reads a flow (the service shares one
// between every chat).
var shipped struct {
	once sync.Once
	fl   *Flow
	err  error
}

// loadShipped returns the shipped flows, failing the test on any
// problem. Callers must not change it: loadRanking copies it.
func loadShipped(tb testing.TB) *Flow {
	tb.Helper()
	shipped.once.Do(func() { shipped.fl, shipped.err = Load(shippedFlows) })
	if shipped.err != nil {
		tb.Fatalf("Load(%q) = %v; want no problems", shippedFlows, shipped.err)
	}
	return shipped.fl
}

// loadRanking is the shipped flows routed by the ranking and its rules
// alone, without the learned model: what the ranking tests pin down.
func loadRanking(tb testing.TB) *Flow {
	tb.Helper()
	return withoutModel(loadShipped(tb))
}

// withoutModel is a copy of fl whose router has no learned model.
func withoutModel(fl *Flow) *Flow {
	cp := *fl
	r := *fl.router
	r.learned = nil
	cp.router = &r
	return &cp
}

// parseValid parses testdata/lint/valid.yaml with old replaced by new
// (nothing replaced when old is empty), failing the test on any problem.
func parseValid(tb testing.TB, old, new string) *Flow {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "lint", "valid.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(data)
	if old != "" {
		if n := strings.Count(s, old); n != 1 {
			tb.Fatalf("valid.yaml has %d copies of %q; want 1", n, old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	fl, err := Parse(strings.NewReader(s), "valid.yaml")
	if err != nil {
		tb.Fatalf("Parse(valid.yaml with %q -> %q) = %v; want no problems", old, new, err)
	}
	return fl
}

func TestShippedFlow(t *testing.T) {
	fl := loadShipped(t)
	if got := fl.Name; got != shippedFlows {
		t.Errorf("Name = %q; want %q", got, shippedFlows)
	}
	if len(fl.Version) != 12 {
		t.Errorf("Version = %q; want 12 hex digits", fl.Version)
	}
	if fl.Calendar == nil || fl.Calendar.Location == nil || fl.Calendar.Location.String() != "America/Sao_Paulo" {
		t.Errorf("Calendar = %+v; want one in America/Sao_Paulo", fl.Calendar)
	}
	root := fl.Node(fl.Root())
	if root == nil {
		t.Fatalf("Node(Root() = %q) = nil; want the main menu", fl.Root())
	}
	if got := root.Type.Value; got != KindMenu {
		t.Errorf("root %q has type %q; want %q", root.ID, got, KindMenu)
	}
	if got := fl.MenuStyle(); got != "text" {
		t.Errorf("MenuStyle() = %q; want %q", got, "text")
	}
	if got := len(fl.Nodes()); got < 10 {
		t.Errorf("len(Nodes()) = %d; want the full tree (at least 10)", got)
	}
}

func TestShippedMenusHaveChoosers(t *testing.T) {
	fl := loadShipped(t)
	menus := 0
	for _, n := range fl.Nodes() {
		if n.Type.Value != KindMenu {
			if c := fl.Menu(n.ID); c != nil {
				t.Errorf("Menu(%q) of a %s = %v; want nil", n.ID, n.Type.Value, c)
			}
			continue
		}
		menus++
		t.Run(n.ID, func(t *testing.T) {
			c := fl.Menu(n.ID)
			if c == nil {
				t.Fatalf("Menu(%q) = nil; want a chooser", n.ID)
			}
			if got, want := c.Len(), len(n.Options); got != want {
				t.Fatalf("Menu(%q).Len() = %d; want %d", n.ID, got, want)
			}
			for i, o := range n.Options {
				if got := c.Label(i); got != o.Label.Value {
					t.Errorf("Label(%d) = %q; want %q", i, got, o.Label.Value)
				}
				// Each option answers to its number and to its own label.
				for _, in := range []string{strings.Repeat(" ", i%2) + string(rune('1'+i)), o.Label.Value, strings.ToUpper(o.Label.Value)} {
					if got, ok := c.Match(in); !ok || got != i {
						t.Errorf("Match(%q) = %d, %t; want %d, true", in, got, ok, i)
					}
				}
				if fl.Node(o.Goto.Value) == nil {
					t.Errorf("option %q: goto %q is not a node", o.Label.Value, o.Goto.Value)
				}
			}
		})
	}
	if menus < 2 {
		t.Errorf("shipped file has %d menus; want the main menu and its submenus", menus)
	}
}

func TestShippedTrailsReachResolved(t *testing.T) {
	fl := loadShipped(t)
	for _, n := range fl.Nodes() {
		if n.Type.Value != KindTrail {
			continue
		}
		t.Run(n.ID, func(t *testing.T) {
			if len(n.Messages) == 0 {
				t.Errorf("trail %q has no messages", n.ID)
			}
			cur := n
			for steps := 0; cur.Next.Value != ""; steps++ {
				if steps > len(fl.Nodes()) {
					t.Fatalf("trail %q: next chain never ends", n.ID)
				}
				next := fl.Node(cur.Next.Value)
				if next == nil || next.Type.Value != KindTrail {
					t.Fatalf("trail %q: next %q is not a trail", cur.ID, cur.Next.Value)
				}
				cur = next
			}
		})
	}
}

func TestShippedMatches(t *testing.T) {
	fl := loadShipped(t)
	tests := []struct {
		menu string
		in   string
		want string // goto of the chosen option; "" for no match
	}{
		{"inicio", "1", "notas"},
		{"inicio", "8️⃣", "atendente"},
		{"inicio", "9", ""},
		{"inicio", "quero emitir nota fiscal", "notas"},
		{"inicio", "NF-e", "notas"},
		{"inicio", "esqueci a senha", "acesso"},
		{"inicio", "segunda via do boleto", "boletos"},
		{"inicio", "Conciliação bancária", "financeiro"},
		{"inicio", "quero a nota da assinatura", "plano"}, // "nota da assinatura" is more specific than "nota"
		{"notas", "nfs-e", "notas-nfse"},
		{"notas", "carta de correção", "notas-cancelar"},
		{"notas", "a nota foi rejeitada", "notas-rejeitada"},
		{"financeiro", "importar extrato OFX", "financeiro-conciliacao"},
		{"boletos", "meu boleto não registrado", "boletos-registro"},
		{"boletos", "o boleto não foi registrado", ""},
	}
	for _, tt := range tests {
		t.Run(tt.menu+"/"+tt.in, func(t *testing.T) {
			c := fl.Menu(tt.menu)
			if c == nil {
				t.Fatalf("Menu(%q) = nil", tt.menu)
			}
			got := ""
			if i, ok := c.Match(tt.in); ok {
				got = fl.Node(tt.menu).Options[i].Goto.Value
			}
			if got != tt.want {
				t.Errorf("Menu(%q).Match(%q) leads to %q; want %q", tt.menu, tt.in, got, tt.want)
			}
		})
	}
}

func TestTitle(t *testing.T) {
	shipped := loadShipped(t)
	valid := parseValid(t, "", "")
	untitledRoot := parseValid(t, "    title: Menu principal\n", "")
	tests := []struct {
		name string
		fl   *Flow
		id   string
		want string
	}{
		{"shipped root", shipped, "inicio", "Menu principal"},
		{"shipped submenu", shipped, "notas", "Notas fiscais"},
		{"shipped trail", shipped, "notas-nfe", "Emitir NF-e"},
		{"shipped handoff", shipped, "atendente", "Falar com um Encantador"},
		{"shipped unknown id", shipped, "nao-existe", "nao-existe"},
		{"titled", valid, "notas-fim", "Depois de emitir"},
		{"menu without title uses its option label", valid, "notas", "Notas fiscais"},
		{"trail without title uses its option label", valid, "notas-rejeitada", "Nota rejeitada"},
		{"root without title uses its id", untitledRoot, "inicio", "inicio"},
		{"empty id", valid, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fl.Title(tt.id); got != tt.want {
				t.Errorf("Title(%q) = %q; want %q", tt.id, got, tt.want)
			}
		})
	}
}

func TestPacing(t *testing.T) {
	fl := loadShipped(t)
	p := fl.File.Pacing
	if p.Min.Duration != time.Second || p.Max.Duration != 4*time.Second || p.PerChar.Duration != 15*time.Millisecond {
		t.Fatalf("shipped pacing = %v..%v + %v/char; want 1s..4s + 15ms/char", p.Min.Duration, p.Max.Duration, p.PerChar.Duration)
	}
	tests := []struct {
		n    int
		want time.Duration
	}{
		{-100, time.Second},
		{0, time.Second},
		{1, time.Second + 15*time.Millisecond},
		{100, 2500 * time.Millisecond},
		{200, 4 * time.Second},
		{201, 4 * time.Second},
		{100000, 4 * time.Second},
	}
	for _, tt := range tests {
		if got := fl.Pacing(tt.n); got != tt.want {
			t.Errorf("Pacing(%d) = %v; want %v", tt.n, got, tt.want)
		}
	}
	prev := fl.Pacing(0)
	for n := 0; n <= 1000; n++ {
		got := fl.Pacing(n)
		if got < p.Min.Duration || got > p.Max.Duration {
			t.Fatalf("Pacing(%d) = %v; want within [%v, %v]", n, got, p.Min.Duration, p.Max.Duration)
		}
		if got < prev {
			t.Fatalf("Pacing(%d) = %v < Pacing(%d) = %v; want it to grow with n", n, got, n-1, prev)
		}
		prev = got
	}
	if fl.Pacing(50) <= fl.Pacing(10) {
		t.Errorf("Pacing(50) = %v; want more than Pacing(10) = %v", fl.Pacing(50), fl.Pacing(10))
	}
}

func TestMenuStyle(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"as written", "", "", "text"},
		{"key absent", "  menu_style: text\n", "", "text"},
		{"empty value", "  menu_style: text\n", "  menu_style:\n", "text"},
		{"poll", "  menu_style: text\n", "  menu_style: poll\n", "poll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseValid(t, tt.old, tt.new).MenuStyle(); got != tt.want {
				t.Errorf("MenuStyle() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestCleanID(t *testing.T) {
	fl := loadShipped(t)
	if got, want := fl.File.IDSuporte.Pattern, `^[0-9]{5,12}$`; got != want {
		t.Fatalf("shipped pattern = %q; want %q (the cases below assume it)", got, want)
	}
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{"five digits", "12345", "12345", true},
		{"twelve digits", "123456789012", "123456789012", true},
		{"dots and dash", "123.456.789-0", "1234567890", true},
		{"spaces around and inside", " 1234 5678 ", "12345678", true},
		{"tabs and newline trimmed", "\t12345\n", "12345", true},
		{"four digits", "1234", "1234", false},
		{"thirteen digits", "1234567890123", "1234567890123", false},
		{"letters", "abc12345", "abc12345", false},
		{"slash is not removed", "1234/5678", "1234/5678", false},
		{"empty", "", "", false},
		{"only separators", " .-. ", "", false},
		{"arabic-indic digits", "١٢٣٤٥", "١٢٣٤٥", false},
		{"fullwidth digits", "１２３４５", "１２３４５", false},
		{"keycap digits", "1️⃣2️⃣3️⃣4️⃣5️⃣", "1️⃣2️⃣3️⃣4️⃣5️⃣", false},
		{"inner newline", "12345\n67890", "12345\n67890", false},
		// Byte 64 falls inside a rune: the cut keeps the rune out whole.
		{"cut inside a two-byte rune", strings.Repeat("1", 63) + "ção", strings.Repeat("1", 63), false},
		{"cut inside an emoji", "a" + strings.Repeat("😀", 20), "a" + strings.Repeat("😀", 15), false},
		{"cut after a whole rune", strings.Repeat("1", 62) + "ção", strings.Repeat("1", 62) + "ç", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fl.CleanID(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("CleanID(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	long := []struct {
		name string
		in   string
	}{
		{"ten kilobytes of digits", strings.Repeat("1", 10<<10)},
		{"ten kilobytes of separated digits", strings.Repeat("1.2-3 ", 10<<10/6)},
		{"ten kilobytes of emoji", strings.Repeat("😀", 10<<10/4)},
		{"ten kilobytes of accents after a digit", "1" + strings.Repeat("é", 10<<10/2)},
		{"ten kilobytes of invalid bytes", strings.Repeat("\x80", 10<<10)},
	}
	for _, tt := range long {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := fl.CleanID(tt.in)
			if ok {
				t.Errorf("CleanID(%d bytes) = _, true; want false", len(tt.in))
			}
			if len(got) > 64 {
				t.Errorf("len(CleanID(%d bytes)) = %d; want at most 64", len(tt.in), len(got))
			}
			if !utf8.ValidString(got) {
				t.Errorf("CleanID(%d bytes) = %q; want valid UTF-8", len(tt.in), got)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	fl := loadShipped(t)
	tests := []struct {
		in   string
		norm string // what Normalize makes of it
		want Command
	}{
		{"MENU", "menu", CmdMenu},
		{"Início", "inicio", CmdMenu},
		{"menu principal", "menu principal", CmdMenu},
		{"Voltar", "voltar", CmdBack},
		{"voltar!", "voltar", CmdBack},
		{"atendente", "atendente", CmdAgent},
		{"Falar com atendente", "falar com atendente", CmdAgent},
		{"SAIR", "sair", CmdQuit},
		{"sair.", "sair", CmdQuit},
		{"  Tchau!! ", "tchau", CmdQuit},
		{"quero sair", "quero sair", CmdNone},
		{"sair agora", "sair agora", CmdNone},
		{"menus", "menus", CmdNone},
		{"", "", CmdNone},
		{"👋", "", CmdNone},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.norm {
				t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.norm)
			}
			if got := fl.Command(tt.in); got != tt.want {
				t.Errorf("Command(%q) = %d; want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsSkip(t *testing.T) {
	fl := loadShipped(t)
	tests := []struct {
		in   string
		want bool
	}{
		{"pular", true},
		{"PULAR!", true},
		{"não", true},
		{"nao", true},
		{"Nada.", true},
		{"quero pular", false},
		{"o atendimento foi lento", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := fl.IsSkip(tt.in); got != tt.want {
				t.Errorf("IsSkip(%q) = %t; want %t", tt.in, got, tt.want)
			}
		})
	}
}

func TestFixedChoosers(t *testing.T) {
	fl := loadShipped(t)
	const none = -1
	tests := []struct {
		chooser string
		c       *Chooser
		in      string
		want    int
	}{
		{"resolved", fl.ResolvedChoice(), "sim", 0},
		{"resolved", fl.ResolvedChoice(), "Sim, resolveu", 0},
		{"resolved", fl.ResolvedChoice(), "ok", 0},
		{"resolved", fl.ResolvedChoice(), "1", 0},
		{"resolved", fl.ResolvedChoice(), "não", 1},
		{"resolved", fl.ResolvedChoice(), "NÃO", 1},
		{"resolved", fl.ResolvedChoice(), "não resolveu", 1},
		{"resolved", fl.ResolvedChoice(), "Não, quero falar com um Encantador", 1},
		{"resolved", fl.ResolvedChoice(), "2", 1},
		{"resolved", fl.ResolvedChoice(), "3", 2},
		{"resolved", fl.ResolvedChoice(), "Voltar ao menu", 2},
		{"resolved", fl.ResolvedChoice(), "4", none},
		{"resolved", fl.ResolvedChoice(), "talvez", none},
		{"keep id", fl.KeepID(), "sim", 0},
		{"keep id", fl.KeepID(), "1", 0},
		{"keep id", fl.KeepID(), "continuar com esse id", 0},
		{"keep id", fl.KeepID(), "pode manter", 0},
		{"keep id", fl.KeepID(), "2", 1},
		{"keep id", fl.KeepID(), "quero informar outro", 1},
		{"keep id", fl.KeepID(), "trocar", 1},
		{"keep id", fl.KeepID(), "3", none},
		{"offer", fl.OfferChoice(), "1", 0},
		{"offer", fl.OfferChoice(), "Deixar uma mensagem", 0},
		{"offer", fl.OfferChoice(), "quero deixar um recado", 0},
		{"offer", fl.OfferChoice(), "2", 1},
		{"offer", fl.OfferChoice(), "voltar ao menu", 1},
		{"offer", fl.OfferChoice(), "3", 2},
		{"offer", fl.OfferChoice(), "finalizar", 2},
		{"offer", fl.OfferChoice(), "0", none},
	}
	for _, tt := range tests {
		t.Run(tt.chooser+"/"+tt.in, func(t *testing.T) {
			i, ok := tt.c.Match(tt.in)
			got := none
			if ok {
				got = i
			}
			if got != tt.want {
				t.Errorf("%s.Match(%q) = %d, %t; want %d (-1 means no match)", tt.chooser, tt.in, i, ok, tt.want)
			}
		})
	}
	labels := []struct {
		chooser string
		c       *Chooser
		want    []string
	}{
		{"resolved", fl.ResolvedChoice(), []string{"Sim, resolveu", "Não, quero falar com um Encantador", "Voltar ao menu"}},
		{"keep id", fl.KeepID(), []string{"Continuar com esse ID", "Informar outro ID"}},
		{"offer", fl.OfferChoice(), []string{"Deixar uma mensagem", "Voltar ao menu", "Encerrar"}},
	}
	for _, tt := range labels {
		if got := tt.c.Len(); got != len(tt.want) {
			t.Errorf("%s.Len() = %d; want %d", tt.chooser, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if got := tt.c.Label(i); got != w {
				t.Errorf("%s.Label(%d) = %q; want %q", tt.chooser, i, got, w)
			}
		}
	}
}

func TestRender(t *testing.T) {
	v := Vars{
		Protocolo:          "2026-000123",
		IDSuporte:          "1234567",
		Nome:               "Maria",
		Horario:            "das 9h às 18h",
		ProximoAtendimento: "segunda-feira (30/11) às 9h",
	}
	tests := []struct {
		name string
		in   string
		vars Vars
		want string
	}{
		{"protocolo", "Chamado *{protocolo}*", v, "Chamado *2026-000123*"},
		{"id_suporte", "ID {id_suporte}.", v, "ID 1234567."},
		{"nome", "Oi, {nome}!", v, "Oi, Maria!"},
		{"horario", "Atendemos {horario}.", v, "Atendemos das 9h às 18h."},
		{"proximo_atendimento", "Voltamos {proximo_atendimento}.", v, "Voltamos segunda-feira (30/11) às 9h."},
		{"queue", "{posicao}º, {espera}", Vars{Posicao: "3", Espera: "cerca de 10 minutos"}, "3º, cerca de 10 minutos"},
		{"all at once", "{nome}|{protocolo}|{id_suporte}|{horario}|{proximo_atendimento}", v,
			"Maria|2026-000123|1234567|das 9h às 18h|segunda-feira (30/11) às 9h"},
		{"repeated", "{nome} {nome}", v, "Maria Maria"},
		{"empty value", "Oi{nome}!", Vars{}, "Oi!"},
		{"unknown placeholder verbatim", "Chamado {protocol}", v, "Chamado {protocol}"},
		{"unknown next to known", "{protocol} {protocolo}", v, "{protocol} 2026-000123"},
		{"case matters", "{Protocolo}", v, "{Protocolo}"},
		{"empty braces", "{}", v, "{}"},
		{"space inside braces", "{ nome }", v, "{ nome }"},
		{"double braces", "{{nome}}", v, "{Maria}"},
		{"unclosed", "{nome", v, "{nome"},
		{"value is not expanded again", "{nome}", Vars{Nome: "{protocolo}", Protocolo: "X"}, "{protocolo}"},
		{"no braces", "Olá! Tudo bem? *negrito* _itálico_", v, "Olá! Tudo bem? *negrito* _itálico_"},
		{"closing brace only", "a } b", v, "a } b"},
		{"empty", "", v, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.in, tt.vars); got != tt.want {
				t.Errorf("Render(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRenderEveryPlaceholder checks that each name the validator accepts
// has its own field in Vars.
func TestRenderEveryPlaceholder(t *testing.T) {
	var v Vars
	rv := reflect.ValueOf(&v).Elem()
	for i := range rv.NumField() {
		if rv.Field(i).Kind() == reflect.String {
			rv.Field(i).SetString("<" + rv.Type().Field(i).Name + ">")
		}
	}
	seen := map[string]string{}
	for _, p := range Placeholders {
		in := "{" + p + "}"
		got := Render(in, v)
		if got == in || !strings.HasPrefix(got, "<") {
			t.Errorf("Render(%q) = %q; want the value of a Vars field", in, got)
			continue
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("Render(%q) = Render(%q) = %q; want distinct fields", in, prev, got)
		}
		seen[got] = in
	}
}

func TestFixedQuestionAnswers(t *testing.T) {
	fl := loadShipped(t)
	for _, c := range []struct {
		name string
		c    *Chooser
		text string
		want int
	}{
		{"thumbs up is yes", fl.ResolvedChoice(), "👍", 0},
		{"thumbs up with skin tone", fl.ResolvedChoice(), "👍🏽", 0},
		{"thumbs down is no", fl.ResolvedChoice(), " 👎 ", 1},
		{"ainda não resolveu", fl.ResolvedChoice(), "ainda não resolveu", 1},
		{"não, não resolveu", fl.ResolvedChoice(), "não, não resolveu", 1},
		{"sim, resolveu", fl.ResolvedChoice(), "sim, resolveu!", 0},
		{"não keeps nothing", fl.KeepID(), "não", 1},
		{"unknown emoji", fl.ResolvedChoice(), "🎉", -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			i, ok := c.c.Match(c.text)
			if !ok {
				i = -1
			}
			if i != c.want {
				t.Errorf("Match(%q) = %d; want %d", c.text, i, c.want)
			}
		})
	}
	if got := Normalize("opção 🔟"); got != "opcao 10" {
		t.Errorf("Normalize(opção 🔟) = %q; want %q", got, "opcao 10")
	}
}

func TestAliasesAndMissingSections(t *testing.T) {
	src := "version: 1\nmenu: &m inicio\ncommands:\n  menu: [*m]\n"
	_, err := Parse(strings.NewReader(src), "f.yaml")
	if err == nil || !strings.Contains(err.Error(), "f.yaml:4:10: aliases (*m) are not supported") {
		t.Errorf("alias not refused with its position: %v", err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.HasPrefix(line, "f.yaml:0:") {
			t.Errorf("problem without a position: %s", line)
		}
	}
}
