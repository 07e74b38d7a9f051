package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"suporte/bot"
	"suporte/bot/console"
	"suporte/flows"
	"suporte/store"
)

// defaultReportDays is the default range: the last 30 days, today included.
const defaultReportDays = 30

// runReport prints the figures managers read: conversations, how the
// trails did, the queue, the Encantadores, satisfaction and escalations.
// It only reads the store, so it runs beside the service.
func runReport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	set := newFlags("report", stderr)
	data := dataFlag(set)
	flowsPath := set.String("flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file: business hours and trail titles (env SUPORTE_FLOWS)")
	fromArg := set.String("from", "", "first day, YYYY-MM-DD in the calendar's time zone (default: 29 days before --to)")
	toArg := set.String("to", "", "last day, included, YYYY-MM-DD (default: today)")
	format := set.String("format", "table", "table, json or csv")
	atArg := set.String("at", "", "the report's instant, RFC3339 (default: now): today for the default range, and what open escalations are judged against")
	if err := set.Parse(args); err != nil {
		return errUsage
	}
	fail := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "suporte report: "+format+"\n", a...)
		return errUsage
	}
	if set.NArg() > 0 {
		return fail("unexpected argument %q", set.Arg(0))
	}
	write, ok := reportWriters[*format]
	if !ok {
		return fail("--format %q: want table, json or csv", *format)
	}
	now := time.Now()
	if *atArg != "" {
		t, err := time.Parse(time.RFC3339, *atArg)
		if err != nil {
			return fail("--at %q is not RFC3339 (e.g. 2026-12-28T09:00:00-03:00)", *atArg)
		}
		now = t
	}

	fl, err := flows.Load(*flowsPath)
	if err != nil {
		return err
	}
	cal := fl.Calendar
	loc := cmp.Or(cal.Location, time.UTC)
	from, to, err := reportRange(*fromArg, *toArg, now, loc)
	if err != nil {
		return fail("%v", err)
	}

	db, err := openData(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	r, holidays, err := bot.Report(ctx, db, fl, from, to, now)
	if err != nil {
		return err
	}
	return write(stdout, r, holidays)
}

// reportRange turns the --from and --to days (--to included) into the
// instants [from, to) in loc.
func reportRange(fromArg, toArg string, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	day := func(flag, s string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("--%s %q: want a day as YYYY-MM-DD", flag, s)
		}
		return t, nil
	}
	local := now.In(loc)
	last := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	if toArg != "" {
		if last, err = day("to", toArg); err != nil {
			return
		}
	}
	first := last.AddDate(0, 0, 1-defaultReportDays)
	if fromArg != "" {
		if first, err = day("from", fromArg); err != nil {
			return
		}
	}
	if first.After(last) {
		return from, to, fmt.Errorf("--from %s is after --to %s", first.Format(time.DateOnly), last.Format(time.DateOnly))
	}
	return first, last.AddDate(0, 0, 1), nil
}

// reportWriters render a report; holidays name closed days by date.
var reportWriters = map[string]func(w io.Writer, r store.Report, holidays map[string]string) error{
	"table": writeReportTable,
	"json":  writeReportJSON,
	"csv":   writeReportCSV,
}

func writeReportJSON(w io.Writer, r store.Report, _ map[string]string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// writeReportTable writes the report for a person at a terminal, in
// pt-BR like the rest of what the support team reads.
func writeReportTable(w io.Writer, r store.Report, holidays map[string]string) error {
	var b bytes.Buffer
	last := r.To.AddDate(0, 0, -1)
	b.WriteString("Relatório do atendimento pelo WhatsApp\n")
	fmt.Fprintf(&b, "Período: %s a %s (%s)\n", r.From.Format("02/01/2006"), last.Format("02/01/2006"), r.Location)
	fmt.Fprintf(&b, "Situação em %s\n", r.AsOf.Format("02/01/2006 15:04"))
	for _, s := range reportSections(r, holidays) {
		fmt.Fprintf(&b, "\n%s\n", s.title)
		if s.note != "" {
			fmt.Fprintf(&b, "%s\n", s.note)
		}
		if len(s.blocks) == 0 {
			fmt.Fprintf(&b, "%s\n", s.none)
		}
		for i, rows := range s.blocks {
			if i > 0 {
				b.WriteByte('\n')
			}
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			for _, row := range rows {
				fmt.Fprintln(tw, "  "+strings.TrimRight(strings.Join(row, "\t"), "\t"))
			}
			tw.Flush()
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// reportSection is one titled part of the table report: a note, if any,
// then its aligned blocks separated by blank lines, or none if it has no
// blocks.
type reportSection struct {
	title, note, none string
	blocks            [][][]string
}

// reportSections lays out the table report's figures, section by section.
func reportSections(r store.Report, holidays map[string]string) []reportSection {
	itoa := strconv.Itoa
	days := [][]string{{"Dia", "Conversas", "Fora do horário", ""}}
	for _, d := range r.Days {
		t, _ := time.Parse(time.DateOnly, d.Date)
		days = append(days, []string{reportWeekdays[t.Weekday()] + " " + t.Format("02/01"), itoa(d.Conversations), itoa(d.OutsideHours), holidays[d.Date]})
	}
	conversations := [][][]string{{
		{"Total", itoa(r.Conversations)},
		{"Dentro do horário de atendimento", itoa(r.InsideHours)},
		{"Fora do horário de atendimento", itoa(r.OutsideHours)},
	}, days}
	if len(r.Lines) > 1 { // one line: nothing to break down
		lines := [][]string{{"Linha", "Conversas", "Foram para um Encantador"}}
		for _, l := range r.Lines {
			lines = append(lines, []string{reportLineName(l.Line), itoa(l.Conversations), itoa(l.ToPerson)})
		}
		conversations = append(conversations, lines)
	}
	var trails [][]string
	for _, t := range r.Trails {
		trails = append(trails, []string{reportTrailName(t.Topic, t.Title), fmt.Sprintf("útil: %d de %d", t.Solved, t.Reached),
			reportPercent(t.DeflectionRate), itoa(t.ToPerson)})
	}
	var agents [][]string
	for _, a := range r.Agents {
		agents = append(agents, []string{reportAgentName(a.Agent, a.Name), itoa(a.Claimed), itoa(a.Resolved),
			reportDuration(a.FirstResponseBusiness.N, a.FirstResponseBusiness.Median),
			reportDuration(a.HandlingBusiness.N, a.HandlingBusiness.Median),
			reportAverage(a.Rated, a.CSAT)})
	}

	c := r.CSAT
	ratings := [][]string{{"Média", reportAverage(c.Count, c.Average)}}
	for i := len(c.Distribution) - 1; i >= 0; i-- {
		ratings = append(ratings, []string{fmt.Sprintf("Nota %d", i+1), itoa(c.Distribution[i])})
	}
	var byAgent, byTrail [][]string
	for _, g := range c.ByAgent {
		name := "Bot (trilhas)"
		if g.Agent != "" {
			name = reportAgentName(g.Agent, g.Name)
		}
		byAgent = append(byAgent, []string{name, reportAverage(g.Count, g.Average), reportDistribution(g.Distribution)})
	}
	for _, g := range c.ByTrail {
		name := "Sem trilha (direto para um Encantador)"
		if g.Topic != "" {
			name = reportTrailName(g.Topic, g.Title)
		}
		byTrail = append(byTrail, []string{name, reportAverage(g.Count, g.Average), reportDistribution(g.Distribution)})
	}

	var phrases [][]string
	for _, p := range r.Unmatched {
		phrases = append(phrases, []string{itoa(p.Count), p.Last.Format("02/01 15:04"), p.Text})
	}

	var asked [][]string
	for _, a := range r.Asked {
		chosen := a.Chosen
		switch chosen {
		case store.NoneChosen:
			chosen = "Outro assunto"
		case store.NoAnswer:
			chosen = "sem resposta"
		}
		asked = append(asked, []string{itoa(a.Count), a.Last.Format("02/01 15:04"), a.Text, strings.Join(a.Nodes, " ou "), chosen})
	}

	q, e := r.Queue, r.Escalations
	return []reportSection{{
		title:  "CONVERSAS",
		blocks: conversations,
	}, {
		title:  "TRILHAS",
		note:   `útil: X de Y = das Y vezes em que a trilha chegou ao fim (o bot perguntou "resolveu?"), X o cliente disse que sim e avaliou.`,
		none:   "Nenhuma trilha lida no período.",
		blocks: reportTable([]string{"Trilha", "Útil", "% útil", "Foram para um Encantador"}, trails),
	}, {
		title: "FILA DE ATENDIMENTO",
		blocks: [][][]string{{
			{"Entraram na fila", itoa(q.Queued)},
			{"Atendidos por um Encantador", itoa(q.Claimed)},
			{"Desistiram", itoa(q.Abandoned)},
			{"Ainda esperando", itoa(q.Waiting)},
		}, {
			{"Espera até ser atendido", "Mediana", "90% até"},
			{"Tempo corrido", reportDuration(q.WaitWall.N, q.WaitWall.Median), reportDuration(q.WaitWall.N, q.WaitWall.P90)},
			{"Em horário de atendimento", reportDuration(q.WaitBusiness.N, q.WaitBusiness.Median), reportDuration(q.WaitBusiness.N, q.WaitBusiness.P90)},
		}},
	}, {
		title:  "ENCANTADORES",
		note:   "Tempos em horário de atendimento, medianas. 1ª resposta: da aceitação à primeira mensagem; atendimento: da aceitação à resolução (sem os escalados).",
		none:   "Nenhum atendimento no período.",
		blocks: reportTable([]string{"Encantador", "Aceitos", "Resolvidos", "1ª resposta", "Atendimento", "CSAT"}, agents),
	}, {
		title: "SATISFAÇÃO (CSAT, notas de 1 a 5)",
		blocks: slices.Concat([][][]string{ratings},
			reportTable([]string{"Por quem atendeu", "Média", "Notas 1 2 3 4 5"}, byAgent),
			reportTable([]string{"Por trilha", "Média", "Notas 1 2 3 4 5"}, byTrail)),
	}, {
		title: "ESCALADOS PARA O TIME DE PRODUTO (prazo prometido ao cliente)",
		blocks: [][][]string{{
			{"Escalados", itoa(e.Escalated)},
			{"Resolvidos no prazo", itoa(e.Met)},
			{"Resolvidos com atraso", itoa(e.Late)},
			{"Abertos com prazo vencido", itoa(e.Overdue)},
			{"Abertos dentro do prazo", itoa(e.WithinDeadline)},
		}},
	}, {
		title:  "FRASES QUE O BOT NÃO ENTENDEU",
		note:   "O que os clientes escreveram e o bot respondeu com \"não entendi\" (sem acentos nem pontuação), das mais escritas. Boas candidatas a exemplos (examples) no flows.yaml.",
		none:   "Nenhuma no período.",
		blocks: reportTable([]string{"Vezes", "Última", "Frase"}, phrases),
	}, {
		title:  "FRASES EM QUE O BOT PERGUNTOU O ASSUNTO",
		note:   "O que os clientes escreveram e o bot respondeu com \"É sobre...?\", e o que escolheram. Uma frase que os clientes confirmam sempre é uma boa candidata a exemplo (examples) do nó escolhido.",
		none:   "Nenhuma no período.",
		blocks: reportTable([]string{"Vezes", "Última", "Frase", "Perguntou", "Escolheu"}, asked),
	}, {
		title:  "ARQUIVOS (fotos, áudios, documentos...)",
		note:   "Pelo dia em que chegaram ou foram enviados. Não recebidos: acima dos limites, ou o download não deu certo (o chamado diz o motivo).",
		blocks: [][][]string{mediaRows(r.Media)},
	}}
}

// reportLineName is a line's number as people write it; rows from before
// lines that no line has started to adopt yet have none.
func reportLineName(line string) string {
	return cmp.Or(console.LineLabel(line), "(sem linha)")
}

// mediaKinds names the kinds of files in pt-BR.
var mediaKinds = map[string]string{
	"image": "Fotos", "audio": "Áudios", "video": "Vídeos", "document": "Documentos",
	"sticker": "Figurinhas", "location": "Localizações", "contact": "Contatos",
}

// mediaRows is the files' table: by kind, received and sent.
func mediaRows(m store.MediaReport) [][]string {
	rows := [][]string{{"Tipo", "Recebidos", "Enviados"}}
	counts := map[string][2]int{}
	var kinds []string
	for i, list := range [][]store.KindCount{m.Received, m.Sent} {
		for _, k := range list {
			c, seen := counts[k.Kind]
			if !seen {
				kinds = append(kinds, k.Kind)
			}
			c[i] = k.Count
			counts[k.Kind] = c
		}
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		rows = append(rows, []string{cmp.Or(mediaKinds[k], k), strconv.Itoa(counts[k][0]), strconv.Itoa(counts[k][1])})
	}
	return append(rows, []string{"Não recebidos", strconv.Itoa(m.Failed), ""})
}

// reportTable is a block of rows under a header, or no block without rows.
func reportTable(header []string, rows [][]string) [][][]string {
	if len(rows) == 0 {
		return nil
	}
	return [][][]string{append([][]string{header}, rows...)}
}

// reportWeekdays abbreviates the days of the week in pt-BR.
var reportWeekdays = [...]string{"dom", "seg", "ter", "qua", "qui", "sex", "sáb"}

func reportTrailName(topic, title string) string {
	if title == "" {
		return topic + " (fora do flows.yaml)"
	}
	return title
}

func reportAgentName(id, name string) string {
	if name == "" {
		return "agente " + id
	}
	return name
}

// duration says d briefly (45s, 8min, 15h18min, 2d3h); "-" if there
// were no samples.
func reportDuration(n int, d time.Duration) string {
	if n == 0 {
		return "-"
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		if s := d % time.Minute / time.Second; s != 0 {
			return fmt.Sprintf("%dmin%02ds", d/time.Minute, s)
		}
		return fmt.Sprintf("%dmin", d/time.Minute)
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		if m := d % time.Hour / time.Minute; m != 0 {
			return fmt.Sprintf("%dh%02dmin", d/time.Hour, m)
		}
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	d = d.Round(time.Hour)
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// percent says a 0..1 rate as a whole percentage.
func reportPercent(rate float64) string {
	return fmt.Sprintf("%d%%", int(math.Round(rate*100)))
}

// average says "4,5 (2)": the average rating, pt-BR style, and how many.
func reportAverage(n int, avg float64) string {
	if n == 0 {
		return "-"
	}
	return strings.Replace(strconv.FormatFloat(avg, 'f', 1, 64), ".", ",", 1) + " (" + strconv.Itoa(n) + ")"
}

func reportDistribution(d [5]int) string {
	s := make([]string, len(d))
	for i, n := range d {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}

// writeReportCSV writes one section per table: a line naming it, the
// header, the rows and an empty line. Durations are in seconds, rates
// and averages decimal with a point, times RFC 3339. Every cell goes
// through spreadsheetSafe: names and titles are others' text.
func writeReportCSV(w io.Writer, r store.Report, _ map[string]string) error {
	cw := csv.NewWriter(w)
	itoa := strconv.Itoa
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) }
	dec := func(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }
	section := func(name string, header []string, rows ...[]string) {
		cw.Write([]string{name})
		cw.Write(header)
		for _, row := range rows {
			safe := make([]string, len(row))
			for i, cell := range row {
				safe[i] = spreadsheetSafe(cell)
			}
			cw.Write(safe)
		}
		cw.Write(nil)
	}
	metric := []string{"metric", "value"}

	section("summary", metric,
		[]string{"from", r.From.Format(time.RFC3339)},
		[]string{"to", r.To.Format(time.RFC3339)},
		[]string{"as_of", r.AsOf.Format(time.RFC3339)},
		[]string{"location", r.Location},
		[]string{"conversations", itoa(r.Conversations)},
		[]string{"inside_hours", itoa(r.InsideHours)},
		[]string{"outside_hours", itoa(r.OutsideHours)})

	var rows [][]string
	for _, d := range r.Days {
		rows = append(rows, []string{d.Date, itoa(d.Conversations), itoa(d.OutsideHours)})
	}
	section("days", []string{"date", "conversations", "outside_hours"}, rows...)
	if len(r.Lines) > 1 {
		rows = nil
		for _, l := range r.Lines {
			rows = append(rows, []string{l.Line, itoa(l.Conversations), itoa(l.ToPerson)})
		}
		section("lines", []string{"line", "conversations", "to_person"}, rows...)
	}

	rows = nil
	for _, t := range r.Trails {
		rows = append(rows, []string{t.Topic, t.Title, itoa(t.Reached), itoa(t.Solved), itoa(t.ToPerson), dec(t.DeflectionRate)})
	}
	section("trails", []string{"topic", "title", "reached", "solved", "to_person", "deflection_rate"}, rows...)

	q := r.Queue
	section("queue", metric,
		[]string{"queued", itoa(q.Queued)},
		[]string{"claimed", itoa(q.Claimed)},
		[]string{"abandoned", itoa(q.Abandoned)},
		[]string{"waiting", itoa(q.Waiting)},
		[]string{"waits_measured", itoa(q.WaitWall.N)},
		[]string{"wait_wall_median_seconds", secs(q.WaitWall.Median)},
		[]string{"wait_wall_p90_seconds", secs(q.WaitWall.P90)},
		[]string{"wait_business_median_seconds", secs(q.WaitBusiness.Median)},
		[]string{"wait_business_p90_seconds", secs(q.WaitBusiness.P90)})

	rows = nil
	for _, a := range r.Agents {
		rows = append(rows, []string{a.Agent, a.Name, itoa(a.Claimed), itoa(a.Resolved), itoa(a.Responded),
			secs(a.FirstResponseBusiness.Median), secs(a.FirstResponseBusiness.P90),
			itoa(a.HandlingBusiness.N), secs(a.HandlingBusiness.Median), secs(a.HandlingBusiness.P90),
			itoa(a.Rated), dec(a.CSAT)})
	}
	section("agents", []string{"agent", "name", "claimed", "resolved", "responded",
		"first_response_business_median_seconds", "first_response_business_p90_seconds",
		"handled", "handling_business_median_seconds", "handling_business_p90_seconds",
		"rated", "csat"}, rows...)

	ratings := func(g store.Ratings) []string {
		out := []string{itoa(g.Count), dec(g.Average)}
		for _, n := range g.Distribution {
			out = append(out, itoa(n))
		}
		return out
	}
	ratingCols := []string{"count", "average", "rating_1", "rating_2", "rating_3", "rating_4", "rating_5"}
	section("csat", ratingCols, ratings(r.CSAT.Ratings))
	rows = nil
	for _, g := range r.CSAT.ByAgent {
		rows = append(rows, append([]string{g.Agent, g.Name}, ratings(g.Ratings)...))
	}
	section("csat_by_agent", append([]string{"agent", "name"}, ratingCols...), rows...)
	rows = nil
	for _, g := range r.CSAT.ByTrail {
		rows = append(rows, append([]string{g.Topic, g.Title}, ratings(g.Ratings)...))
	}
	section("csat_by_trail", append([]string{"topic", "title"}, ratingCols...), rows...)

	e := r.Escalations
	section("escalations", metric,
		[]string{"escalated", itoa(e.Escalated)},
		[]string{"met", itoa(e.Met)},
		[]string{"late", itoa(e.Late)},
		[]string{"overdue", itoa(e.Overdue)},
		[]string{"within_deadline", itoa(e.WithinDeadline)})

	rows = nil
	for _, p := range r.Unmatched {
		rows = append(rows, []string{p.Text, itoa(p.Count), p.Last.Format(time.RFC3339)})
	}
	section("unmatched", []string{"text", "count", "last"}, rows...)
	rows = nil
	for _, a := range r.Asked {
		rows = append(rows, []string{a.Text, strings.Join(a.Nodes, "|"), a.Chosen, itoa(a.Count), a.Last.Format(time.RFC3339)})
	}
	section("asked", []string{"text", "nodes", "chosen", "count", "last"}, rows...)
	rows = nil
	for _, k := range r.Media.Received {
		rows = append(rows, []string{"received", k.Kind, itoa(k.Count)})
	}
	for _, k := range r.Media.Sent {
		rows = append(rows, []string{"sent", k.Kind, itoa(k.Count)})
	}
	rows = append(rows, []string{"failed", "", itoa(r.Media.Failed)})
	section("media", []string{"direction", "kind", "files"}, rows...)
	cw.Flush()
	return cw.Error()
}

// spreadsheetSafe neutralises a CSV cell a spreadsheet would run as a
// formula: text starting with =, +, -, @, a tab or a carriage return
// (an agent named =HYPERLINK(...), a trail's title) gets a leading
// single quote, which spreadsheets show as text. Numbers stay as they
// are, and so does a lone sign ("-", none chosen): no formula fits in it.
func spreadsheetSafe(cell string) string {
	if len(cell) < 2 || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return cell
	}
	if _, err := strconv.ParseFloat(cell, 64); err == nil {
		return cell
	}
	return "'" + cell
}
