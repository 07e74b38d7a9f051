package flows

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const lintDir = "testdata/lint"

// lintCases are the broken files under testdata/lint. Each NAME.yaml is
// valid.yaml with the edits applied (old, new pairs, each old occurring
// once; no edits at all means an empty file); -update rewrites NAME.yaml
// from valid.yaml and NAME.golden from what Parse reports. at is a piece of
// NAME.yaml that occurs once: some problem must sit on its line and say msg.
var lintCases = []struct {
	name  string
	edits []string
	at    string
	msg   string
}{
	{"unknown-key-top", []string{"version: 1\n", "version: 1\ncolors: blue\n"},
		"colors:", `unknown key "colors"`},
	{"unknown-key-node", []string{"    title: Depois de emitir\n", "    titel: Depois de emitir\n"},
		"titel:", `unknown key "titel"`},
	{"unknown-key-option", []string{"        keywords: [boleto, cobrança]\n", "        keyword: [boleto, cobrança]\n"},
		"keyword:", `unknown key "keyword"`},
	{"list-for-text", []string{`  describe: "das 9h às 18h"` + "\n", "  describe: [das 9h, às 18h]\n"},
		"describe: [", "expected a text here"},
	{"text-for-number", []string{"  attempts: 3\n", "  attempts: three\n"},
		"attempts: three", `expected a whole number, got "three"`},
	{"dangling-goto", []string{"        goto: boletos\n", "        goto: boleto\n"},
		"goto: boleto\n", `goto "boleto": there is no node with that id`},
	{"dangling-next", []string{"    next: notas-fim\n", "    next: notas-final\n"},
		"next: notas-final", `next "notas-final": there is no node with that id`},
	{"next-to-menu", []string{"    next: notas-fim\n", "    next: notas\n"},
		"next: notas\n", `next must point to another trail, "notas" is a menu`},
	{"next-loop", []string{`      - "Envie o DANFE ao cliente."` + "\n", `      - "Envie o DANFE ao cliente."` + "\n    next: notas-nfe\n"},
		"next: notas-nfe", `trail "notas-fim" never reaches the resolved question`},
	{"unreachable", []string{"  atendente:\n", "  orfao:\n    type: trail\n    messages:\n      - \"Ninguém chega aqui.\"\n  atendente:\n"},
		"orfao:", `node "orfao" is unreachable`},
	{"duplicate-id", []string{"    title: Falar com um Encantador\n", "    title: Falar com um Encantador\n  boletos: # again\n    type: trail\n    messages:\n      - \"Outra trilha de boletos.\"\n"},
		"boletos: # again", `duplicate id "boletos" (first defined at line `},
	{"duplicate-key", []string{"    title: Emitir NF-e\n", "    title: Emitir NF-e\n    title: Emitir nota de produto\n"},
		"title: Emitir nota de produto", `key "title" is written twice`},
	{"empty-text", []string{`  not_understood: "Não entendi."`, `  not_understood: ""`},
		`not_understood: ""`, "not_understood must not be empty"},
	{"empty-message", []string{`      - "Segundo passo."`, `      - "  "`},
		`- "  "`, `empty message in trail "notas-nfe"`},
	// A missing key is reported where its block starts: the block's first key.
	{"missing-text", []string{`  goodbye: "Conversa encerrada."` + "\n", ""},
		"not_understood:", "missing goodbye"},
	{"bad-pattern", []string{"  pattern: '^[0-9]{5,12}$'", "  pattern: '^[0-9{5,12}$'"},
		"'^[0-9{5,12}$'", "bad pattern: missing closing ]"},
	{"bad-hours-range", []string{`    mon: "09:00-18:00"`, `    mon: "25:00-18:00"`},
		"25:00-18:00", `bad hours for mon: invalid time "25:00"`},
	{"bad-hours-reversed", []string{`    mon: "09:00-18:00"`, `    mon: "18:00-09:00"`},
		"18:00-09:00", `bad hours for mon: span "18:00-09:00" ends before it starts`},
	{"bad-date", []string{"    - date: 2026-06-24\n", "    - date: 24/06/2026\n"},
		"24/06/2026", `bad date "24/06/2026"`},
	{"unknown-holiday", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays: [carnaval, natal]\n"},
		"natal]", `unknown optional holiday "natal"`},
	{"optional-twice", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays: [carnaval, corpus_christi, carnaval]\n"},
		"carnaval]", `optional holiday "carnaval" is listed twice (first at line`},
	{"optional-no-day", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays:\n    - open_from: \"14:00\"\n"},
		"- open_from", "an optional holiday needs day: one of carnaval"},
	{"optional-unknown-day", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays:\n    - day: quarta_feira\n      open_from: \"14:00\"\n"},
		"quarta_feira", `unknown optional holiday "quarta_feira"`},
	{"optional-unknown-key", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays:\n    - day: quarta_de_cinzas\n      opens: \"14:00\"\n"},
		"opens:", `unknown key "opens" (expected one of: day, open_from, open_until)`},
	{"optional-bad-time", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays:\n    - day: quarta_de_cinzas\n      open_from: \"14h\"\n"},
		`"14h"`, `bad time for open_from: "14h"; write it like "14:00"`},
	{"optional-until-before-from", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays:\n    - day: vespera_de_natal\n      open_from: \"14:00\"\n      open_until: \"13:00\"\n"},
		`"13:00"`, "open_until 13:00 is not after open_from 14:00"},
	{"optional-no-hours-left", []string{"  optional_holidays: [carnaval]\n", "  optional_holidays:\n    - day: vespera_de_ano_novo\n      open_until: \"08:00\"\n"},
		`"08:00"`, "open_until 08:00 leaves none of the regular hours open: to close the whole day, write just the day"},
	{"unknown-timezone", []string{"  timezone: America/Sao_Paulo\n", "  timezone: America/Sao_Paolo\n"},
		"Sao_Paolo", `unknown timezone "America/Sao_Paolo"`},
	{"unknown-placeholder", []string{`  queued: "Seu protocolo é {protocolo}."`, `  queued: "Seu protocolo é {protocol}."`},
		"{protocol}", "unknown placeholder {protocol}"},
	{"keyword-twice", []string{"        keywords: [boleto, cobrança]\n", "        keywords: [boleto, cobrança, nota]\n"},
		"cobrança, nota]", `"nota" already selects option 1 (Notas fiscais)`},
	{"keyword-command", []string{"        keywords: [humano]\n", "        keywords: [humano, Atendente]\n"},
		"Atendente]", `"Atendente" is a global command word`},
	{"bad-node-id", []string{"        goto: boletos\n", "        goto: Notas Fiscais\n", "  boletos:\n", "  Notas Fiscais:\n"},
		"  Notas Fiscais:", `node id "Notas Fiscais": use only lowercase letters`},
	{"root-trail", []string{"menu: inicio\n", "menu: boletos\n"},
		"menu: boletos", `menu must point to a node of type menu, "boletos" is a trail`},
	{"tab-indent", []string{"  menu_style: text\n", "\tmenu_style: text\n"},
		"\tmenu_style", "syntax error: found character that cannot start any token"},
	{"empty", nil, "", "the file is empty"},
	{"version-2", []string{"version: 1\n", "version: 2\n"},
		"version: 2", "version must be 1"},
	{"attempts-0", []string{"  attempts: 3\n", "  attempts: 0\n"},
		"attempts: 0", "attempts must be between 1 and 10"},
	{"bad-duration", []string{"  reminder: 10m\n", "  reminder: 10 minutos\n"},
		"10 minutos", `invalid duration "10 minutos"`},
	{"negative-duration", []string{"  close: 20m\n", "  close: -20m\n"},
		"-20m", `invalid duration "-20m"`},
	{"ask-no-id", []string{`  ask: "Me envie seu ID Suporte."`, `  ask: "Me envie o número do seu cadastro."`},
		"número do seu cadastro", `ask must tell the customer to send their ID Suporte`},
	{"bad-phrasebook", []string{"  menu_style: text\n", "  menu_style: text\n  phrasebook: sim\n"},
		"phrasebook: sim", `phrasebook must be builtin or none, not "sim"`},
	{"bad-menu-style", []string{"  menu_style: text\n", "  menu_style: buttons\n"},
		"buttons", `menu_style must be text or poll, not "buttons"`},
	{"example-elsewhere", []string{"    title: Boletos\n", "    title: Boletos\n    examples:\n      - nota\n"},
		"      - nota", `example "nota" leads to "notas" (Notas fiscais), not to "boletos"`},
	{"example-ambiguous", []string{"    title: Boletos\n", "    title: Boletos\n    examples:\n      - minha nota foi rejeitada\n"},
		"minha nota foi rejeitada", `example "minha nota foi rejeitada" is ambiguous: customers writing it would be asked about`},
	{"example-main-menu", []string{"    title: Menu principal\n", "    title: Menu principal\n    examples: [boleto vencido]\n"},
		"[boleto vencido]", "examples of the main menu are never used"},
	{"example-common-words", []string{"    title: Boletos\n", "    title: Boletos\n    examples:\n      - como faço?\n"},
		"como faço?", `example "como faço?" has only common words`},
	{"glossary-empty-term", []string{"menu: inicio\n", "glossary:\n  - terms: [duplicata, \"\"]\n    means: boleto\n\nmenu: inicio\n"},
		`""]`, "empty glossary term"},
	{"glossary-term-twice", []string{"menu: inicio\n", "glossary:\n  - terms: [duplicata]\n    means: boleto\n  - terms: [Duplicatas, DUPLICATA]\n    means: cobrança\n\nmenu: inicio\n"},
		"DUPLICATA]", `glossary term "DUPLICATA" is already written at line`},
	{"glossary-common-word", []string{"menu: inicio\n", "glossary:\n  - terms: [o sistema]\n    means: nota\n\nmenu: inicio\n"},
		"[o sistema]", `glossary term "o sistema" has only common words`},
	{"glossary-command", []string{"menu: inicio\n", "glossary:\n  - terms: [Atendente]\n    means: humano\n\nmenu: inicio\n"},
		"[Atendente]", `glossary term "Atendente" is a command word`},
	{"glossary-no-means", []string{"menu: inicio\n", "glossary:\n  - terms: [duplicata]\n\nmenu: inicio\n"},
		"- terms: [duplicata]", "a glossary entry needs means"},
	{"glossary-unknown-meaning", []string{"menu: inicio\n", "glossary:\n  - terms: [duplicata]\n    means: título de crédito\n\nmenu: inicio\n"},
		"título de crédito", `glossary meaning "título de crédito": no node knows "titulo"`},
	{"glossary-loop", []string{"menu: inicio\n", "glossary:\n  - terms: [duplicata]\n    means: boleto duplicata\n\nmenu: inicio\n"},
		"boleto duplicata", `glossary meaning "boleto duplicata" uses its own term "duplicata": a loop`},
	{"glossary-chain", []string{"menu: inicio\n", "glossary:\n  - terms: [duplicata]\n    means: título\n  - terms: [título]\n    means: boleto\n\nmenu: inicio\n"},
		"means: título", `glossary meaning "título" uses the term "título" of line`},
	// Several things broken at once; see TestLintReportsEverything.
	{"several", []string{
		"version: 1\n", "version: 2\n",
		"  timezone: America/Sao_Paulo\n", "  timezone: Mars/Olympus\n",
		"  attempts: 3\n", "  attempts: 11\n",
		`  error: "Tive um problema."`, `  error: "Tive um problema, {nome_completo}."`,
		"        goto: boletos\n", "        goto: boleto\n",
		"    title: Depois de emitir\n", "    title: Depois de emitir\n    optons: []\n",
	}, "Mars/Olympus", `unknown timezone "Mars/Olympus"`},
}

// deriveLint builds a broken file from valid.yaml: its header comment is
// replaced by one naming the case, then each old, new pair is applied.
func deriveLint(tb testing.TB, valid []byte, name string, edits []string) []byte {
	tb.Helper()
	if len(edits) == 0 {
		return nil
	}
	if len(edits)%2 != 0 {
		tb.Fatalf("%s: odd number of edits", name)
	}
	_, body, ok := strings.Cut(string(valid), "\nversion:")
	if !ok {
		tb.Fatal("valid.yaml has no version line")
	}
	s := "# " + name + ": valid.yaml broken on purpose; see lintCases in lint_test.go.\nversion:" + body
	for i := 0; i < len(edits); i += 2 {
		if n := strings.Count(s, edits[i]); n != 1 {
			tb.Fatalf("%s: valid.yaml has %d copies of %q; want 1", name, n, edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

// readLint reads a file of testdata/lint.
func readLint(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(lintDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// parseProblems parses data and returns the problems it must have.
func parseProblems(tb testing.TB, data []byte, name string) *Problems {
	tb.Helper()
	fl, err := Parse(bytes.NewReader(data), name)
	if err == nil {
		tb.Fatalf("Parse(%s) = %v, nil; want problems", name, fl)
	}
	var ps *Problems
	if !errors.As(err, &ps) {
		tb.Fatalf("Parse(%s) error = %T %v; want *Problems", name, err, err)
	}
	if fl != nil {
		tb.Errorf("Parse(%s) flow = %v; want nil along with problems", name, fl)
	}
	return ps
}

// lineOf returns the 1-based line of the only occurrence of token in data.
func lineOf(tb testing.TB, data []byte, token string) int {
	tb.Helper()
	if n := bytes.Count(data, []byte(token)); n != 1 {
		tb.Fatalf("%q occurs %d times; want once", token, n)
	}
	return bytes.Count(data[:bytes.Index(data, []byte(token))], []byte("\n")) + 1
}

// problemLine matches one line of (*Problems).Error() for file name.
func problemLine(name string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:\d+:\d+: .+$`)
}

func TestLintValid(t *testing.T) {
	data := readLint(t, "valid.yaml")
	fl, err := Parse(bytes.NewReader(data), "valid.yaml")
	if err != nil {
		t.Fatalf("Parse(valid.yaml) = %v; want no problems", err)
	}
	if got := fl.Root(); got != "inicio" {
		t.Errorf("Root() = %q; want %q", got, "inicio")
	}
}

func TestLintGolden(t *testing.T) {
	valid := readLint(t, "valid.yaml")
	for _, tt := range lintCases {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.name + ".yaml"
			derived := deriveLint(t, valid, tt.name, tt.edits)
			if *update {
				if err := os.WriteFile(filepath.Join(lintDir, name), derived, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data := readLint(t, name)
			if !bytes.Equal(data, derived) {
				t.Errorf("%s differs from valid.yaml with its edits (run go test ./flows -run TestLintGolden -update)", name)
			}
			ps := parseProblems(t, data, name)
			got := ps.Error() + "\n"

			golden := filepath.Join(lintDir, tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./flows -run TestLintGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("Parse(%s) problems:\n%s\nwant (%s):\n%s", name, got, golden, want)
			}

			re := problemLine(name)
			for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if !re.MatchString(l) {
					t.Errorf("problem line %q; want %s", l, re)
				}
			}
			for _, p := range ps.Items {
				if p.Pos.Line < 1 || p.Pos.Col < 1 {
					t.Errorf("problem %q at %v; want a line and column from 1", p.Msg, p.Pos)
				}
			}

			line := 1
			if tt.at != "" {
				line = lineOf(t, data, tt.at)
			}
			found := false
			for _, p := range ps.Items {
				if p.Pos.Line == line && strings.Contains(p.Msg, tt.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem %q on line %d (%q); got:\n%s", tt.msg, line, tt.at, got)
			}
		})
	}
}

// TestLintColumns spot-checks that positions point at the exact key or
// value, not just its line.
func TestLintColumns(t *testing.T) {
	tests := []struct {
		name string
		at   string // the problem's position is the first byte of this
		msg  string
	}{
		{"unknown-key-top", "colors:", `unknown key "colors"`},
		{"unknown-key-node", "titel:", `unknown key "titel"`},
		{"unknown-key-option", "keyword:", `unknown key "keyword"`},
		{"dangling-goto", "boleto\n", `goto "boleto"`},
		{"dangling-next", "notas-final", `next "notas-final"`},
		{"duplicate-key", "title: Emitir nota", `key "title" is written twice`},
		{"text-for-number", "three", "expected a whole number"},
		{"unknown-holiday", "natal]", `unknown optional holiday "natal"`},
		{"bad-node-id", "Notas Fiscais:", `node id "Notas Fiscais"`},
		{"attempts-0", "0\n  invalid:", "attempts must be between 1 and 10"},
		{"list-for-text", "[das 9h", "expected a text here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.name + ".yaml"
			data := readLint(t, name)
			ps := parseProblems(t, data, name)
			i := bytes.Index(data, []byte(tt.at))
			if i < 0 || bytes.Count(data, []byte(tt.at)) != 1 {
				t.Fatalf("%q occurs %d times in %s; want once", tt.at, bytes.Count(data, []byte(tt.at)), name)
			}
			start := bytes.LastIndexByte(data[:i], '\n') + 1
			// The lines spot-checked here are ASCII up to the token, so
			// the byte offset is the column.
			want := Pos{Line: lineOf(t, data, tt.at), Col: i - start + 1}
			for _, p := range ps.Items {
				if strings.Contains(p.Msg, tt.msg) {
					if p.Pos != want {
						t.Errorf("problem %q at %v; want %v", p.Msg, p.Pos, want)
					}
					return
				}
			}
			t.Errorf("no problem %q; got:\n%v", tt.msg, ps)
		})
	}
}

// TestLintCasesComplete keeps the table and testdata/lint in step.
func TestLintCasesComplete(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(lintDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range lintCases {
		names = append(names, c.name)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if name != "valid" && !slices.Contains(names, name) {
			t.Errorf("%s has no entry in lintCases", f)
		}
	}
	goldens, err := filepath.Glob(filepath.Join(lintDir, "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".golden")
		if !slices.Contains(names, name) {
			t.Errorf("%s has no entry in lintCases", g)
		}
	}
}

// TestLintReportsEverything checks that a file with several problems gets
// all of them, in file order, not just the first.
func TestLintReportsEverything(t *testing.T) {
	const name = "several.yaml"
	data := readLint(t, name)
	ps := parseProblems(t, data, name)
	want := []struct {
		at  string
		msg string
	}{
		{"version: 2", "version must be 1"},
		{"Mars/Olympus", `unknown timezone "Mars/Olympus"`},
		{"attempts: 11", "attempts must be between 1 and 10"},
		{"nome_completo", "unknown placeholder {nome_completo}"},
		{"goto: boleto\n", `goto "boleto": there is no node with that id`},
		{"optons:", `unknown key "optons"`},
		{"  boletos:", `node "boletos" is unreachable`},
	}
	if len(ps.Items) != len(want) {
		t.Errorf("got %d problems; want %d:\n%v", len(ps.Items), len(want), ps)
	}
	for _, w := range want {
		line := lineOf(t, data, w.at)
		if !slices.ContainsFunc(ps.Items, func(p Problem) bool { return p.Pos.Line == line && strings.Contains(p.Msg, w.msg) }) {
			t.Errorf("no problem %q on line %d; got:\n%v", w.msg, line, ps)
		}
	}
	sorted := slices.IsSortedFunc(ps.Items, func(a, b Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	if !sorted {
		t.Errorf("problems are not sorted by position:\n%v", ps)
	}
}

// TestProblemsError checks the one-problem-per-line format and the sort.
func TestProblemsError(t *testing.T) {
	ps := &Problems{File: "f.yaml"}
	ps.add(Pos{3, 7}, "third %s", "x")
	ps.add(Pos{1, 9}, "second")
	ps.add(Pos{1, 2}, "first")
	ps.add(Pos{3, 7}, "same place, added later")
	ps.add(Pos{4, 1}, "two\nlines")
	err := ps.err()
	if err == nil {
		t.Fatal("err() = nil; want the problems")
	}
	want := "f.yaml:1:2: first\nf.yaml:1:9: second\nf.yaml:3:7: third x\nf.yaml:3:7: same place, added later\nf.yaml:4:1: two\\nlines"
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if err := (&Problems{File: "f.yaml"}).err(); err != nil {
		t.Errorf("empty Problems err() = %v; want nil", err)
	}
}

// TestLintMessagesStayOnOneLine feeds values holding a line break into
// messages that quote them: each problem must still print as one line.
func TestLintMessagesStayOnOneLine(t *testing.T) {
	valid := readLint(t, "valid.yaml")
	tests := []struct {
		name  string
		edits []string
		msg   string
	}{
		{"root type", []string{"    type: menu\n    title: Menu principal\n", "    type: \"menu\\nfoo\"\n    title: Menu principal\n"},
			`"inicio" is a menu\nfoo`},
		{"next type", []string{"  notas-fim:\n    type: trail\n", "  notas-fim:\n    type: \"trail\\nfoo\"\n"},
			`"notas-fim" is a trail\nfoo`},
		{"option label", []string{"      - label: Notas fiscais\n", "      - label: \"Notas\\nfiscais\"\n", "[boleto, cobrança]", "[boleto, cobrança, nota]"},
			`option 1 (Notas\nfiscais)`},
		{"pattern", []string{"  pattern: '^[0-9]{5,12}$'", "  pattern: \"^[0-9\\n\""},
			"bad pattern: missing closing ]: `[0-9\\n`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const name = "multiline.yaml"
			ps := parseProblems(t, deriveLint(t, valid, name, tt.edits), name)
			got := ps.Error()
			re := problemLine(name)
			for _, l := range strings.Split(got, "\n") {
				if !re.MatchString(l) {
					t.Errorf("problem line %q; want %s", l, re)
				}
			}
			if !strings.Contains(got, tt.msg) {
				t.Errorf("problems do not say %q:\n%s", tt.msg, got)
			}
		})
	}
}

// TestFileTooLarge: a file over MaxSize, even a valid one padded with
// comments, is one problem at 1:1, whether loaded or read from a stream,
// and is not read whole.
func TestFileTooLarge(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join(lintDir, "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	big := append(valid, "\n# "+strings.Repeat("x", MaxSize)+"\n"...)
	path := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if want := path + ":1:1: the file is too large (1.0 MiB): the limit is 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("Load: %v; want %q", err, want)
	}
	_, err = Parse(bytes.NewReader(big), "flows.yaml")
	if want := "flows.yaml:1:1: the file is too large (more than 1 MiB): the limit is 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("Parse: %v; want %q", err, want)
	}
	if _, err := Parse(bytes.NewReader(valid), "flows.yaml"); err != nil {
		t.Errorf("the file without the padding: %v", err)
	}
}

// TestOptionalHolidayEntries: optional_holidays takes keys alone (the
// whole day, as before) and blocks that keep part of the day's hours.
func TestOptionalHolidayEntries(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join(lintDir, "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(valid), "  optional_holidays: [carnaval]\n", `  optional_holidays:
    - carnaval
    - day: quarta_de_cinzas
      open_from: "14:00"
    - day: vespera_de_natal
      open_until: "13:00"
    - day: corpus_christi
      open_from: "10:00"
      open_until: "12:00"
    - day: vespera_de_ano_novo
`, 1)
	fl, err := Parse(strings.NewReader(src), "flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := fl.Calendar.Optional
	want := []OptionalDay{
		{Key: "carnaval"},
		{Key: "quarta_de_cinzas", Open: &Span{Start: 14 * 60, End: 24 * 60}},
		{Key: "vespera_de_natal", Open: &Span{Start: 0, End: 13 * 60}},
		{Key: "corpus_christi", Open: &Span{Start: 10 * 60, End: 12 * 60}},
		{Key: "vespera_de_ano_novo"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d optional days; want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key || (got[i].Open == nil) != (want[i].Open == nil) || got[i].Open != nil && *got[i].Open != *want[i].Open {
			t.Errorf("optional day %d: got %+v %v; want %+v %v", i, got[i], got[i].Open, want[i], want[i].Open)
		}
	}
}

// An example the editor wrote goes word for word to its node at run
// time; lint still reports one the rest of the tree reads as another
// node, as the phrasebook's model does with a password forgotten put
// under the rejected invoice.
func TestLintExampleWordForWord(t *testing.T) {
	data, err := os.ReadFile(shippedFlows)
	if err != nil {
		t.Fatal(err)
	}
	const after = "      - a nota travou e apareceu uma mensagem em vermelho\n"
	const example = "      - esqueci minha senha de acesso\n"
	if !bytes.Contains(data, []byte("  phrasebook: builtin\n")) {
		t.Fatal("the shipped flows no longer learn from the phrasebook: this test checks it")
	}
	if n := bytes.Count(data, []byte(after)); n != 1 {
		t.Fatalf("flows.yaml has %d copies of %q; want 1", n, after)
	}
	data = bytes.Replace(data, []byte(after), []byte(after+example), 1)
	ps := parseProblems(t, data, "copy.yaml")
	line := lineOf(t, data, example)
	want := `example "esqueci minha senha de acesso" leads to "notas-rejeitada" only word for word: the rest of the tree reads it as "acesso" (Acesso e senha)`
	for _, p := range ps.Items {
		if p.Pos.Line == line && p.Pos.Col == 9 && strings.Contains(p.Msg, want) {
			return
		}
	}
	t.Errorf("problems = %v; want one at %d:9 saying %s", ps, line, want)
}
