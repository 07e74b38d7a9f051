package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"suporte/store"
	"suporte/store/pgtemp"
)

var cmdNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestParseRetention(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"180d", 180 * 24 * time.Hour, false},
		{"1d", 24 * time.Hour, false},
		{"4320h", 4320 * time.Hour, false},
		{"6m", 0, true}, // six minutes, not months
		{"26w", 0, true},
		{"180", 0, true},
		{"0d", 0, true},
		{"-5d", 0, true},
		{"1.5d", 0, true},
		{"d", 0, true},
		{"99999999d", 0, true},
		{"", 0, true},
		{"3650d", 3650 * 24 * time.Hour, false},
		{"3651d", 0, true},
		{"87601h", 0, true},
		{"9223372036854775807ns", 0, true},
		{"99999999999999999999d", 0, true},
		{"+180d", 0, true},
		{"+4320h", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRetention(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseRetention(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
	// A large count of days is told the limit, not that it is no number.
	if _, err := parseRetention("36601d"); err == nil || !strings.Contains(err.Error(), "at most 3650d (ten years)") {
		t.Errorf("36601d: %v; want the limit named", err)
	}
}

// seedData creates a data folder with two people sharing ID Suporte 999
// (chats P1 and P2), one with 555 (Q), and an old closed conversation (O).
func seedData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(t.Context(), filepath.Join(dir, "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	day := 24 * time.Hour
	files, err := store.OpenFiles(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		add := func(chat, id string, at time.Time, status, state string) error {
			if err := tx.PutCustomer(ctx, store.Customer{Chat: chat, Name: "name-" + chat, IDSuporte: id, CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
			tk, err := tx.CreateTicket(ctx, store.Ticket{Chat: chat, Requester: "name-" + chat, IDSuporte: id, Status: status, CreatedAt: at, LastActivityAt: at})
			if err != nil {
				return err
			}
			if err := tx.PutConversation(ctx, store.Conversation{Chat: chat, State: state, Ticket: tk, UpdatedAt: at}); err != nil {
				return err
			}
			if _, err := tx.AddTicketEvent(ctx, store.TicketEvent{Ticket: tk, At: at, Kind: "customer", Actor: chat, Text: "event-" + chat}); err != nil {
				return err
			}
			if _, _, err := tx.InsertInbox(ctx, store.Inbound{Chat: chat, MsgID: "m-" + chat, Kind: "text", Text: "in-" + chat, ReceivedAt: at, Done: true}); err != nil {
				return err
			}
			// A document the customer sent, its file as old as it.
			in, _, err := tx.InsertInbox(ctx, store.Inbound{Chat: chat, MsgID: "f-" + chat, Kind: "document", ReceivedAt: at, Done: true})
			if err != nil {
				return err
			}
			sum, size, err := files.Put(ctx, strings.NewReader("file-"+chat), 100)
			if err != nil {
				return err
			}
			if err := os.Chtimes(filepath.Join(dir, "media", sum[:2], sum[2:4], sum), at, at); err != nil {
				return err
			}
			if _, err := tx.AddMedia(ctx, store.Media{Chat: chat, Inbox: in, Direction: "in", Kind: "document", Name: "nota-" + chat + ".pdf",
				SHA256: sum, Bytes: size, State: store.MediaStored, CreatedAt: at}); err != nil {
				return err
			}
			_, err = tx.AppendOutbox(ctx, store.OutMsg{Chat: chat, Ticket: tk, Text: "out-" + chat, CreatedAt: at, SentAt: at})
			return err
		}
		recent := cmdNow.Add(-10 * day)
		for _, p := range []struct{ chat, id string }{{"P1", "999"}, {"P2", "999"}, {"Q", "555"}} {
			if err := add(p.chat, p.id, recent, store.StatusAberto, "queued"); err != nil {
				return err
			}
		}
		return add("O", "777", cmdNow.Add(-300*day), store.StatusResolvido, store.ConversationClosed)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPurgeCommand(t *testing.T) {
	dir := seedData(t)
	ctx := t.Context()
	o := purgeOptions{data: place{data: dir}, keep: 180 * 24 * time.Hour, dryRun: true}
	var out bytes.Buffer
	if err := purge(ctx, o, cmdNow, &out); err != nil {
		t.Fatal(err)
	}
	want := `dry run, nothing changed: closed conversations quiet since before 2026-05-28 12:00:00 UTC (180d)
  tickets              1  would be anonymized (kept for the reports)
  ticket_events        1  would be blanked
  feedback             0  would be anonymized (ratings kept)
  inbox                2  would be deleted
  outbox               1  would be deleted
  customers            1  would be deleted
  conversations        1  would be deleted
  timers               0  would be deleted
  media                1  would be deleted (files' rows)
`
	if out.String() != want {
		t.Errorf("dry run output:\n%s\nwant:\n%s", out.String(), want)
	}

	o.dryRun = false
	out.Reset()
	if err := purge(ctx, o, cmdNow, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "purged closed conversations quiet since before 2026-05-28 12:00:00 UTC (180d)\n") ||
		!strings.Contains(got, "  customers            1  deleted\n") || !strings.Contains(got, "  media files          1  deleted") {
		t.Errorf("purge output:\n%s", got)
	}
	out.Reset()
	if err := purge(ctx, o, cmdNow, &out); err != nil || !strings.Contains(out.String(), "  tickets              0  anonymized") {
		t.Errorf("second purge: %v\n%s", err, out.String())
	}

	var stderr bytes.Buffer
	for _, args := range [][]string{{"--older-than", "6m"}, {"--older-than", "26w"}, {"extra"}} {
		if err := runPurge(ctx, append([]string{"--data", dir}, args...), nil, &out, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("purge %q: got %v; want a usage error", args, err)
		}
	}
	if err := runPurge(ctx, []string{"--data", filepath.Join(dir, "typo"), "--dry-run"}, nil, &out, &stderr); err == nil ||
		!strings.Contains(err.Error(), "no database at") {
		t.Errorf("purge of a missing folder: got %v", err)
	}
}

func TestCustomerExport(t *testing.T) {
	dir := seedData(t)
	ctx := t.Context()
	tests := []struct {
		name   string
		p      store.Person
		chats  []string
		has    []string
		hasnot []string
	}{
		{"by chat", store.Person{Chat: "Q"}, []string{"Q"}, []string{"in-Q", "out-Q", "event-Q", "name-Q"}, []string{"P1", "P2", "O"}},
		{"by ID Suporte", store.Person{IDSuporte: "999"}, []string{"P1", "P2"},
			[]string{"in-P1", "out-P1", "event-P1", "in-P2", "out-P2", "event-P2"}, []string{"Q", "O"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, stderr bytes.Buffer
			if err := customerExport(ctx, place{data: dir}, tt.p, "", cmdNow, &out, &stderr); err != nil {
				t.Fatalf("export: %v (%s)", err, stderr.String())
			}
			var got struct {
				Person     store.Person `json:"person"`
				ExportedAt time.Time    `json:"exported_at"`
				Chats      []struct {
					Chat string `json:"chat"`
				} `json:"chats"`
			}
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.String())
			}
			var chats []string
			for _, c := range got.Chats {
				chats = append(chats, c.Chat)
			}
			if fmt.Sprint(chats) != fmt.Sprint(tt.chats) || got.Person != tt.p || !got.ExportedAt.Equal(cmdNow) {
				t.Errorf("got person %+v at %v, chats %q; want %+v, %q", got.Person, got.ExportedAt, chats, tt.p, tt.chats)
			}
			for _, s := range tt.has {
				if !strings.Contains(out.String(), `"`+s+`"`) {
					t.Errorf("export lacks %q", s)
				}
			}
			for _, s := range tt.hasnot {
				if strings.Contains(out.String(), `"`+s+`"`) || strings.Contains(out.String(), `-`+s+`"`) {
					t.Errorf("export holds %s's data", s)
				}
			}
			if !strings.Contains(out.String(), "\n  \"chats\": [\n") {
				t.Errorf("export not indented:\n%s", out.String())
			}
		})
	}

	var out, stderr bytes.Buffer
	err := runCustomer(ctx, []string{"export", "--data", dir, "--chat", "nobody"}, nil, &out, &stderr)
	if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "no data for chat nobody") {
		t.Errorf("export of nobody: exit %d, %q", code, stderr.String())
	}
	for _, args := range [][]string{{"export"}, {"export", "--chat", "Q", "--id-suporte", "1"}, {"export", "--chat", "Q", "extra"}, {"nope"}, {}} {
		if err := runCustomer(ctx, args, nil, &out, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("customer %q: got %v; want a usage error", args, err)
		}
	}
}

func TestCustomerDelete(t *testing.T) {
	ctx := t.Context()
	exported := func(t *testing.T, dir string, p store.Person) bool {
		t.Helper()
		var out, stderr bytes.Buffer
		err := customerExport(ctx, place{data: dir}, p, "", cmdNow, &out, &stderr)
		if err != nil && exitCode(err, &stderr) != 1 {
			t.Fatal(err)
		}
		return err == nil
	}

	t.Run("no aborts", func(t *testing.T) {
		dir := seedData(t)
		var out, stderr bytes.Buffer
		o := deleteOptions{data: place{data: dir}, person: store.Person{IDSuporte: "999"}, interactive: true}
		err := customerDelete(ctx, o, strings.NewReader("no\n"), &out, &stderr)
		if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "aborted: nothing deleted") {
			t.Errorf("answer no: exit %d, %q", code, stderr.String())
		}
		for _, s := range []string{"in 2 chat(s): P1, P2", "  tickets              2\n", "  inbox                4\n", "  media                2\n", "warning: 2 open ticket(s)", `type "yes"`} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("preview lacks %q:\n%s", s, out.String())
			}
		}
		if !exported(t, dir, store.Person{Chat: "P1"}) {
			t.Error("P1 deleted after answering no")
		}
	})

	t.Run("not a terminal", func(t *testing.T) {
		dir := seedData(t)
		var out, stderr bytes.Buffer
		// A strings.Reader is no terminal, whatever it says.
		err := runCustomer(ctx, []string{"delete", "--data", dir, "--chat", "P1"}, strings.NewReader("yes\n"), &out, &stderr)
		if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "add --yes") {
			t.Errorf("without a terminal: exit %d, %q", code, stderr.String())
		}
		if !exported(t, dir, store.Person{Chat: "P1"}) {
			t.Error("P1 deleted without confirmation")
		}
	})

	tests := []struct {
		name  string
		run   func(dir string, out, stderr *bytes.Buffer) error
		gone  []store.Person
		kept  []store.Person
		count string
	}{
		{"yes on the terminal, by ID Suporte", func(dir string, out, stderr *bytes.Buffer) error {
			o := deleteOptions{data: place{data: dir}, person: store.Person{IDSuporte: "999"}, interactive: true}
			return customerDelete(ctx, o, strings.NewReader("YES\n"), out, stderr)
		}, []store.Person{{IDSuporte: "999"}, {Chat: "P1"}, {Chat: "P2"}}, []store.Person{{Chat: "Q"}, {Chat: "O"}}, "  customers            2\n"},
		{"--yes, by chat", func(dir string, out, stderr *bytes.Buffer) error {
			return runCustomer(ctx, []string{"delete", "--data", dir, "--chat", "Q", "--yes"}, strings.NewReader(""), out, stderr)
		}, []store.Person{{Chat: "Q"}, {IDSuporte: "555"}}, []store.Person{{Chat: "P1"}, {Chat: "P2"}, {Chat: "O"}}, "  customers            1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := seedData(t)
			var out, stderr bytes.Buffer
			if err := tt.run(dir, &out, &stderr); err != nil {
				t.Fatalf("delete: %v (%s)", err, stderr.String())
			}
			if _, after, ok := strings.Cut(out.String(), "deleted:\n"); !ok || !strings.Contains(after, tt.count) {
				t.Errorf("report:\n%s\nwant %q after \"deleted:\"", out.String(), tt.count)
			}
			for _, p := range tt.gone {
				if exported(t, dir, p) {
					t.Errorf("%s still exported after delete", p)
				}
			}
			for _, p := range tt.kept {
				if !exported(t, dir, p) {
					t.Errorf("%s deleted too", p)
				}
			}
		})
	}
}

// runService opens dir's database as the service would and keeps writing
// to it until the test ends.
func runService(t *testing.T, dir string) {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	svc, err := store.Open(ctx, filepath.Join(dir, "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	first := make(chan struct{})
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			err := svc.Update(ctx, func(tx *store.Tx) error {
				_, _, err := tx.InsertInbox(ctx, store.Inbound{Chat: "live", MsgID: fmt.Sprint(i), Text: "hi", ReceivedAt: cmdNow})
				return err
			})
			if err != nil && ctx.Err() == nil {
				t.Errorf("service write: %v", err)
				return
			}
			if i == 0 {
				close(first) // the commands below look for what it wrote
			}
		}
	})
	select {
	case <-first:
	case <-time.After(10 * time.Second):
		t.Fatal("the service wrote nothing in 10s")
	}
	t.Cleanup(func() {
		stop()
		wg.Wait()
		if err := svc.Close(); err != nil {
			t.Errorf("service close: %v", err)
		}
	})
}

func TestPrivacyCommandsWhileServiceRuns(t *testing.T) {
	dir := seedData(t)
	runService(t, dir)
	ctx := t.Context()
	var out, stderr bytes.Buffer
	if err := purge(ctx, purgeOptions{data: place{data: dir}, keep: 180 * 24 * time.Hour}, cmdNow, &out); err != nil {
		t.Errorf("purge: %v", err)
	}
	if err := customerExport(ctx, place{data: dir}, store.Person{Chat: "live"}, "", cmdNow, &out, &stderr); err != nil {
		t.Errorf("export: %v", err)
	}
	if err := runCustomer(ctx, []string{"delete", "--data", dir, "--chat", "Q", "--yes"}, nil, &out, &stderr); err != nil {
		t.Errorf("delete: %v", err)
	}
}

// TestCustomerExportMedia: --media writes the person's files, named by
// their row and cleaned name, readable by the owner only.
func TestCustomerExportMedia(t *testing.T) {
	file, stderr := exportP1Media(t, place{data: seedData(t)})
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("exported file mode %v; want 0600", st.Mode().Perm())
	}
	if !strings.Contains(stderr, "1 file(s) written") {
		t.Errorf("stderr %q", stderr)
	}
}

// exportP1Media runs customer export --media for seedData's person P1 on
// p, checks it lists and writes P1's one document, and returns the file
// written and what the command said on stderr.
func exportP1Media(t *testing.T, p place) (file, stderr string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "arquivos")
	var stdout, errs bytes.Buffer
	if err := customerExport(t.Context(), p, store.Person{Chat: "P1"}, out, cmdNow, &stdout, &errs); err != nil {
		t.Fatal(err)
	}
	var d personExport
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Chats) != 1 || len(d.Chats[0].Media) != 1 {
		t.Fatalf("export lists media %+v; want P1's document", d.Chats)
	}
	file = filepath.Join(out, fmt.Sprintf("%v-nota-P1.pdf", d.Chats[0].Media[0]["id"]))
	if got, err := os.ReadFile(file); err != nil || string(got) != "file-P1" {
		t.Fatalf("exported file %s: %q, %v (%s)", file, got, err, errs.String())
	}
	return file, errs.String()
}

// TestCustomerMediaPostgres: on a PostgreSQL store (migrated from the
// seeded folder), export --media writes a person's files from the
// database, from a data folder that never held them, and delete takes
// the person's rows.
func TestCustomerMediaPostgres(t *testing.T) {
	ctx := t.Context()
	dir := seedData(t)
	dsn := pgtemp.Database(t)
	var stdout, stderr bytes.Buffer
	args := []string{"--from", filepath.Join(dir, "suporte.db"), "--to", dsn, "--flows", "../../flows.yaml", "--whatsapp", "none"}
	if err := runMigrate(ctx, args, nil, &stdout, &stderr); err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "4 copied and checked") {
		t.Fatalf("migrate's media files:\n%s", stdout.String())
	}
	elsewhere := place{data: t.TempDir(), db: dsn} // another machine's data folder
	exportP1Media(t, elsewhere)
	stdout.Reset()
	if err := runCustomer(ctx, []string{"delete", "--data", elsewhere.data, "--db", dsn, "--chat", "P1", "--yes"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("delete: %v (%s)", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "media files") {
		t.Errorf("delete says nothing of the files:\n%s", stdout.String())
	}
}
