package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTerms(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       []string
	}{
		{"accents and case", "Rejeição NA Emissão", []string{"rejeicao", "emissao"}},
		{"letters and digits apart", "NF-e539 erro 500", []string{"539", "erro", "500"}},
		{"phone as written", "+55 (47) 99999-0001", []string{"99999", "0001"}},
		{"short words and stop words out", "Oi, não consigo ver a nota que emiti", []string{"consigo", "ver", "nota", "emiti"}},
		{"each once", "boleto Boleto BOLETO boletos", []string{"boleto", "boletos"}},
		{"cut long words", strings.Repeat("a", 40), []string{strings.Repeat("a", maxTerm)}},
		{"other scripts end a word", "café☕conta Ωmega", []string{"cafe", "conta", "mega"}},
		{"broken UTF-8", "nota\xff\xfefiscal", []string{"notafiscal"}},
		{"nothing", " -- ?? ", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := terms(tt.text, maxLineTerms); !slices.Equal(got, tt.want) {
				t.Errorf("terms(%q) = %q; want %q", tt.text, got, tt.want)
			}
		})
	}
	if got := len(terms(wordsN(300), maxLineTerms)); got != maxLineTerms {
		t.Errorf("a long line gave %d terms; want at most %d", got, maxLineTerms)
	}
}

// wordsN is n (up to 676) distinct words.
func wordsN(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "w%c%c ", 'a'+i%26, 'a'+i/26%26)
	}
	return b.String()
}

func TestPrefixEnd(t *testing.T) {
	for p, want := range map[string]string{"bolet": "boleu", "abz": "ac", "zzz": "", "539": "54", "599": "6", "999": "a", "": ""} {
		if got := prefixEnd(p); got != want {
			t.Errorf("prefixEnd(%q) = %q; want %q", p, got, want)
		}
	}
}

// searchFixture stores three customers' tickets: lines by the customer,
// an agent, a note and the bot.
func searchFixture(t *testing.T, db *DB) (maria, joao, old int64) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	update(t, db, func(tx *Tx) error {
		for _, c := range []Customer{
			{Chat: "5547999990001@s.whatsapp.net", Phone: "+5547999990001", Name: "Maria Silva", IDSuporte: "12345678", CreatedAt: at},
			{Chat: "123456789@lid", Phone: "+5548988880002", Name: "João Pereira", IDSuporte: "87654321", CreatedAt: at},
		} {
			if err := tx.PutCustomer(ctx, c); err != nil {
				return err
			}
		}
		var err error
		add := func(tk Ticket, lines ...TicketEvent) int64 {
			if err != nil {
				return 0
			}
			var id int64
			if id, err = tx.CreateTicket(ctx, tk); err != nil {
				return 0
			}
			for _, l := range lines {
				l.Ticket, l.At = id, at
				if _, err = tx.AddTicketEvent(ctx, l); err != nil {
					return 0
				}
			}
			return id
		}
		old = add(Ticket{Chat: "5547999990001@s.whatsapp.net", Requester: "Maria Silva", Status: StatusResolvido, CreatedAt: at},
			TicketEvent{Kind: "customer", Text: "O boleto venceu ontem"})
		maria = add(Ticket{Chat: "5547999990001@s.whatsapp.net", Requester: "Maria Silva", IDSuporte: "12345678", Status: StatusAberto, CreatedAt: at},
			TicketEvent{Kind: "customer", Text: "A nota fiscal não sai: Rejeição 539"},
			TicketEvent{Kind: "agent", Actor: "Ana", Text: "Vou verificar o certificado digital"},
			TicketEvent{Kind: "status", Actor: "bot", Text: "aguardando_resposta"})
		joao = add(Ticket{Chat: "123456789@lid", Requester: "João Pereira", IDSuporte: "87654321", Status: StatusAguardando, CreatedAt: at},
			TicketEvent{Kind: "customer", Text: "Não consigo conciliar o extrato"},
			TicketEvent{Kind: "note", Actor: "Bia", Text: "Cliente da filial de Joinville"})
		if err != nil {
			return err
		}
		// What the bot says lives in the outbox: not searched.
		_, err = tx.AppendOutbox(ctx, OutMsg{Chat: "123456789@lid", Ticket: joao, Text: "Sobre qual assunto você quer ajuda? Boletos", Author: "bot", CreatedAt: at})
		return err
	})
	return maria, joao, old
}

func search(t *testing.T, db *DB, s TicketSearch) []int64 {
	t.Helper()
	var ids []int64
	view(t, db, func(tx *Tx) error {
		ts, err := tx.SearchTickets(context.Background(), s)
		for _, tk := range ts {
			ids = append(ids, tk.ID)
		}
		return err
	})
	return ids
}

func TestSearchTickets(t *testing.T) {
	db := openTest(t)
	maria, joao, old := searchFixture(t, db)
	for _, tt := range []struct {
		name   string
		search TicketSearch
		want   []int64
	}{
		{"customer's words, any accents and case", TicketSearch{Text: "REJEICAO 539"}, []int64{maria}},
		{"the start of a word", TicketSearch{Text: "certif"}, []int64{maria}},
		{"every word must match", TicketSearch{Text: "nota extrato"}, nil},
		{"an agent's line", TicketSearch{Text: "certificado digital"}, []int64{maria}},
		{"a note", TicketSearch{Text: "joinville"}, []int64{joao}},
		{"the bot's lines are not searched", TicketSearch{Text: "assunto"}, nil},
		{"a name, newest first", TicketSearch{Text: "maria sil"}, []int64{maria, old}},
		{"a name with an accent", TicketSearch{Text: "joão"}, []int64{joao}},
		{"a protocol", TicketSearch{Text: fmt.Sprint(joao)}, []int64{joao}},
		{"an ID Suporte", TicketSearch{Text: "87654321"}, []int64{joao}},
		{"a phone as people write it", TicketSearch{Text: "+55 (47) 99999-0001"}, []int64{maria, old}},
		{"a phone without the country code", TicketSearch{Text: "48 98888-0002"}, []int64{joao}},
		{"a status", TicketSearch{Text: "maria", Status: StatusResolvido}, []int64{old}},
		{"a limit", TicketSearch{Text: "maria", Limit: 1}, []int64{maria}},
		{"nothing to look for", TicketSearch{Text: "a e o"}, nil},
		{"no such word", TicketSearch{Text: "xyzzy"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := search(t, db, tt.search); !slices.Equal(got, tt.want) {
				t.Errorf("SearchTickets(%+v) = %v; want %v", tt.search, got, tt.want)
			}
		})
	}

	var lines map[int64]TicketEvent
	view(t, db, func(tx *Tx) error {
		var err error
		lines, err = tx.SearchLines(context.Background(), []int64{maria, joao, old}, "verif")
		return err
	})
	if len(lines) != 1 || lines[maria].Kind != "agent" || !strings.Contains(lines[maria].Text, "certificado") {
		t.Errorf("SearchLines: %+v; want Ana's line on %d", lines, maria)
	}
	if Searchable("a é") || !Searchable("539") || !Searchable("boleto") {
		t.Error("Searchable: want false for short words only, true for a number or a word")
	}
	view(t, db, func(tx *Tx) error {
		_, err := tx.SearchTickets(context.Background(), TicketSearch{Text: "maria", Status: "fechado"})
		if err == nil {
			t.Error("a search with an unknown status: no error")
		}
		return nil
	})
}

// TestSearchCommonWords: when every word is on more than sparseWord
// tickets, the search walks the tickets newest first; it finds the same
// as when a word is rare.
func TestSearchCommonWords(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var both []int64 // newest first
	update(t, db, func(tx *Tx) error {
		for i := range sparseWord + 200 {
			st := StatusResolvido
			if i%100 == 7 {
				st = StatusAberto
			}
			id, err := tx.CreateTicket(ctx, Ticket{Chat: fmt.Sprint("c", i), Status: st})
			if err != nil {
				return err
			}
			text := "O boleto venceu"
			if i%3 == 0 {
				text = "Meu boleto não chegou, preciso da segunda via"
				both = append([]int64{id}, both...)
			}
			if _, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: id, Kind: "customer", Text: text}); err != nil {
				return err
			}
		}
		return nil
	})
	if got := search(t, db, TicketSearch{Text: "boleto chegou", Limit: 5}); !slices.Equal(got, both[:5]) {
		t.Errorf("two common words: %v; want the newest five with both, %v", got, both[:5])
	}
	if got := search(t, db, TicketSearch{Text: "bol", Limit: 3}); len(got) != 3 || got[0] <= got[1] {
		t.Errorf("a common start of a word: %v; want three, newest first", got)
	}
	got := search(t, db, TicketSearch{Text: "boleto", Status: StatusAberto, Limit: 3})
	if len(got) != 3 {
		t.Errorf("a common word with a status: %v; want 3 open tickets", got)
	}
}

// TestSearchForgets: purging a ticket (its texts) and deleting a person
// take their words out of the search.
func TestSearchForgets(t *testing.T) {
	db := openTest(t)
	maria, joao, old := searchFixture(t, db)
	ctx := context.Background()
	// Only the resolved ticket is past retention.
	if _, err := db.Purge(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false); err != nil {
		t.Fatal(err)
	}
	if got := search(t, db, TicketSearch{Text: "boleto venceu"}); len(got) != 0 {
		t.Errorf("a purged ticket is still found by its words: %v", got)
	}
	if got := search(t, db, TicketSearch{Text: "maria"}); !slices.Equal(got, []int64{maria}) {
		t.Errorf("after purging %d: maria finds %v; want %d", old, got, maria)
	}
	update(t, db, func(tx *Tx) error {
		_, err := tx.DeletePerson(ctx, Person{Chat: "123456789@lid"})
		return err
	})
	var n int
	view(t, db, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM search_terms WHERE ticket IN (?, ?)`, joao, old).Scan(&n)
	})
	if n != 0 {
		t.Errorf("%d search terms left of a purged and a deleted ticket", n)
	}
}

// TestSearchBackfill: tickets stored before the search existed are
// indexed when the store opens, and a backfill cut short resumes.
func TestSearchBackfill(t *testing.T) {
	path := testDSN(t)
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	maria, joao, _ := searchFixture(t, db)
	// As before migration 0009: no terms, and the mark the migration leaves.
	update(t, db, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM search_terms`)
		if err == nil {
			_, err = tx.exec(ctx, `INSERT INTO settings (name, value) VALUES ('search_backfill_to', ?), ('search_backfill_from', ?)`,
				fmt.Sprint(joao), fmt.Sprint(maria-1))
		}
		return err
	})
	db.Close()
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := search(t, db, TicketSearch{Text: "conciliar"}); !slices.Equal(got, []int64{joao}) {
		t.Errorf("after the backfill: %v; want %d", got, joao)
	}
	if got := search(t, db, TicketSearch{Text: "venceu"}); len(got) != 0 {
		t.Errorf("the backfill redid tickets before its mark: %v", got)
	}
	var left int
	view(t, db, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM settings WHERE name LIKE 'search_backfill%'`).Scan(&left)
	})
	if left != 0 {
		t.Errorf("%d backfill marks left after it finished", left)
	}
}

// BenchmarkSearch searches 100,000 tickets (2,000 with -short) of 20,000
// customers, six lines each over a vocabulary of 5,000 words whose use
// follows Zipf's law, as the console does: the tickets, then the line
// that matched on each.
func BenchmarkSearch(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 2_000
	}
	db := openTest(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := pseudoWords(rng, 5000)
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	first := []string{"Maria", "João", "Ana", "Carlos", "Fernanda", "Pedro", "Juliana", "Rafael", "Beatriz", "Lucas"}
	const rare = "xilofone" // on 20 tickets
	last := []string{"Silva", "Souza", "Oliveira", "Pereira", "Lima", "Costa", "Rodrigues", "Almeida", "Nascimento", "Gomes"}
	customers := n / 5
	start := time.Now()
	for done := 0; done < n; {
		batch := min(5000, n-done)
		update(b, db, func(tx *Tx) error {
			for i := done; i < done+batch; i++ {
				c := i % customers
				chat := fmt.Sprintf("55479%08d@s.whatsapp.net", c)
				if i < customers {
					err := tx.PutCustomer(ctx, Customer{Chat: chat, Phone: fmt.Sprintf("+55479%08d", c), IDSuporte: fmt.Sprint(10_000_000 + c)})
					if err != nil {
						return err
					}
				}
				id, err := tx.CreateTicket(ctx, Ticket{Chat: chat, Requester: first[c%10] + " " + last[c/10%10], Status: StatusResolvido})
				if err != nil {
					return err
				}
				for j := range 6 {
					words := make([]string, 4+rng.IntN(12))
					for k := range words {
						words[k] = vocab[zipf.Uint64()]
					}
					if j == 0 && i%(n/20) == 0 {
						words = append(words, rare)
					}
					kind := []string{"customer", "agent"}[j%2]
					if _, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: id, Kind: kind, Text: strings.Join(words, " ")}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		done += batch
	}
	var nTerms int
	view(b, db, func(tx *Tx) error { return tx.queryRow(ctx, `SELECT COUNT(*) FROM search_terms`).Scan(&nTerms) })
	b.Logf("%d tickets, %d lines, %d search terms stored in %v", n, 6*n, nTerms, time.Since(start).Round(time.Millisecond))

	for _, q := range []struct{ name, text string }{
		{"common word", vocab[2]},
		{"rare word", rare},
		{"rare and common words", rare + " " + vocab[2]},
		{"two common words", vocab[5] + " " + vocab[40]},
		{"uncommon word", vocab[3000]},
		{"start of a word", vocab[700][:4]},
		{"name", "fernanda gom"},
		{"protocol", fmt.Sprint(100_001 + n/2)},
		{"id suporte", fmt.Sprint(10_000_000 + customers/3)},
		{"phone", fmt.Sprintf("+55 (47) 9%04d-%04d", customers/3/10000, customers/3%10000)},
	} {
		b.Run(q.name, func(b *testing.B) {
			found := 0
			for b.Loop() {
				view(b, db, func(tx *Tx) error {
					ts, err := tx.SearchTickets(ctx, TicketSearch{Text: q.text, Limit: 50})
					if err != nil {
						return err
					}
					ids := make([]int64, len(ts))
					for i, tk := range ts {
						ids[i] = tk.ID
					}
					found = len(ts)
					_, err = tx.SearchLines(ctx, ids, q.text)
					return err
				})
			}
			if found == 0 {
				b.Fatalf("%q found nothing", q.text)
			}
			b.ReportMetric(float64(found), "results")
		})
	}
}

// pseudoWords makes n distinct lowercase words of 4 to 9 letters.
func pseudoWords(rng *rand.Rand, n int) []string {
	const cons, vows = "bcdfglmnprstv", "aeiou"
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteByte(cons[rng.IntN(len(cons))])
			b.WriteByte(vows[rng.IntN(len(vows))])
		}
		if w := b.String(); !seen[w] && !stopWords[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// BenchmarkAddLine is the cost of the search on the write path: a
// twelve-word customer line (indexed) against the same line as a system
// note (not indexed), 200 lines per transaction as group commit does.
func BenchmarkAddLine(b *testing.B) {
	db := openTest(b)
	ctx := context.Background()
	var ticket int64
	update(b, db, func(tx *Tx) error {
		var err error
		ticket, err = tx.CreateTicket(ctx, Ticket{Chat: "c", Status: StatusAberto})
		return err
	})
	rng := rand.New(rand.NewPCG(3, 4))
	vocab := pseudoWords(rng, 5000)
	line := func() string {
		w := make([]string, 12)
		for i := range w {
			w[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	for _, kind := range []string{"system", "customer"} {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				update(b, db, func(tx *Tx) error {
					for range 200 {
						if _, err := tx.AddTicketEvent(ctx, TicketEvent{Ticket: ticket, Kind: kind, Text: line()}); err != nil {
							return err
						}
					}
					return nil
				})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*200), "ns/line")
		})
	}
}
