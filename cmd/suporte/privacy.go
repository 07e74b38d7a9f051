package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"suporte/bot/web"
	"suporte/flows"
	"suporte/store"
)

// The LGPD commands: purge applies the retention limit; customer export
// and customer delete answer a person's requests. They open the data
// folder's database next to the running service (SQLite's busy timeout
// shares the file) and take no lock on the folder.

// defaultRetention is how long a closed conversation is kept.
const defaultRetention = "180d"

// minRetention guards against a unit slip: "6m" is six minutes in Go.
const minRetention = 24 * time.Hour

// maxRetention guards against the other slip, a digit too many: no
// retention rule keeps support chats for decades.
const maxRetention = 3650 * 24 * time.Hour

// parseRetention reads a retention limit: whole days ("180d") or a Go
// duration ("4320h"), from a day to ten years.
func parseRetention(s string) (time.Duration, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("%q: want days (180d) or hours (4320h)", s)
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, ok := web.Digits(n)
		if !ok {
			return 0, fmt.Errorf("%q: want a whole number of days, like 180d", s)
		}
		if days > int64(maxRetention/(24*time.Hour)) {
			return 0, fmt.Errorf("%q: at most %dd (ten years)", s, maxRetention/(24*time.Hour))
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q: want days (180d) or hours (4320h)", s)
		}
	}
	switch {
	case d < minRetention:
		return 0, fmt.Errorf("%q is %v: want at least a day (for months, write days: 180d)", s, d)
	case d > maxRetention:
		return 0, fmt.Errorf("%q: at most %dd (ten years)", s, maxRetention/(24*time.Hour))
	}
	return d, nil
}

// runPurge applies the retention limit to the data folder.
func runPurge(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("purge", stderr)
	data := dataFlag(fs)
	olderThan := fs.String("older-than", defaultRetention, "purge closed conversations quiet for longer: days (180d) or hours (4320h)")
	dryRun := fs.Bool("dry-run", false, "count what would be purged, change nothing")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: suporte purge [--data DIR] [--older-than 180d] [--dry-run]")
		return errUsage
	}
	keep, err := parseRetention(*olderThan)
	if err != nil {
		fmt.Fprintln(stderr, "suporte purge: --older-than", err)
		return errUsage
	}
	return purge(ctx, purgeOptions{data: *data, keep: keep, dryRun: *dryRun}, time.Now(), stdout)
}

type purgeOptions struct {
	data   place
	keep   time.Duration
	dryRun bool
}

func purge(ctx context.Context, o purgeOptions, now time.Time, stdout io.Writer) error {
	db, err := openData(ctx, o.data)
	if err != nil {
		return err
	}
	defer db.Close()
	before := now.Add(-o.keep)
	r, err := db.Purge(ctx, before, o.dryRun)
	printPurge(stdout, r, before, o)
	if err != nil {
		return fmt.Errorf("purge stopped (counts above are what was done): %w", err)
	}
	if !o.dryRun {
		if err := sweepMedia(ctx, o.data.data, db, stdout); err != nil {
			return err
		}
	}
	return db.Close()
}

// mediaGrace spares files younger than this from a sweep: the service may
// have just written one whose row it is about to commit.
const mediaGrace = time.Hour

// sweepMedia deletes the media files (under data/media, or in a
// PostgreSQL store) no row names any more and says how many went.
func sweepMedia(ctx context.Context, data string, db *store.DB, w io.Writer) error {
	n, err := store.MediaFilesAt(db, filepath.Join(data, "media")).Sweep(ctx, db, mediaGrace)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no media folder: no files ever came
	}
	fmt.Fprintf(w, "  %-14s %7d  deleted (files no message names any more)\n", "media files", n)
	return err
}

func printPurge(w io.Writer, r store.PurgeResult, before time.Time, o purgeOptions) {
	since := before.UTC().Format(time.DateTime + " UTC")
	would := ""
	if o.dryRun {
		fmt.Fprintf(w, "dry run, nothing changed: closed conversations quiet since before %s (%s)\n", since, days(o.keep))
		would = "would be "
	} else {
		fmt.Fprintf(w, "purged closed conversations quiet since before %s (%s)\n", since, days(o.keep))
	}
	for _, l := range []struct {
		table string
		n     int
		what  string
	}{
		{"tickets", r.Tickets, "anonymized (kept for the reports)"},
		{"ticket_events", r.Events, "blanked"},
		{"feedback", r.Feedback, "anonymized (ratings kept)"},
		{"inbox", r.Inbox, "deleted"},
		{"outbox", r.Outbox, "deleted"},
		{"customers", r.Customers, "deleted"},
		{"conversations", r.Conversations, "deleted"},
		{"timers", r.Timers, "deleted"},
		{"media", r.Media, "deleted (files' rows)"},
	} {
		fmt.Fprintf(w, "  %-14s %7d  %s%s\n", l.table, l.n, would, l.what)
	}
}

// days writes d in days when it is whole days.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// runCustomer answers a person's LGPD requests: a copy of their data, or
// its erasure.
func runCustomer(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: suporte customer export|delete (--chat ID | --id-suporte N) [--data DIR] [--yes]")
		return errUsage
	}
	switch args[0] {
	case "export":
		return runCustomerExport(ctx, args[1:], stdout, stderr)
	case "delete":
		return runCustomerDelete(ctx, args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "suporte customer: unknown subcommand %q (export or delete)\n", args[0])
	return errUsage
}

// personFlags adds --chat and --id-suporte to fs; the returned function
// reads the person after Parse, or reports a usage error.
func personFlags(fs *flag.FlagSet, name string, stderr io.Writer) func() (store.Person, error) {
	chat := fs.String("chat", "", "the chat id, as stored (e.g. 5547999990001@s.whatsapp.net)")
	id := fs.String("id-suporte", "", "the ID Suporte: every chat that gave it")
	return func() (store.Person, error) {
		p := store.Person{Chat: strings.TrimSpace(*chat), IDSuporte: strings.TrimSpace(*id)}
		if (p.Chat == "") == (p.IDSuporte == "") || fs.NArg() > 0 {
			fmt.Fprintf(stderr, "usage: suporte customer %s (--chat ID | --id-suporte N) [--data DIR]\n", name)
			return store.Person{}, errUsage
		}
		return p, nil
	}
}

func runCustomerExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("customer export", stderr)
	data := dataFlag(fs)
	person := personFlags(fs, "export", stderr)
	mediaDir := fs.String("media", "", "also write the person's files (images, voice notes, documents) into this folder")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	p, err := person()
	if err != nil {
		return err
	}
	return customerExport(ctx, *data, p, *mediaDir, time.Now(), stdout, stderr)
}

// personExport is what customer export prints.
type personExport struct {
	Person     store.Person `json:"person"`
	ExportedAt time.Time    `json:"exported_at"`
	store.PersonData
}

func customerExport(ctx context.Context, data place, p store.Person, mediaDir string, now time.Time, stdout, stderr io.Writer) error {
	db, err := openData(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	var d store.PersonData
	err = db.View(ctx, func(tx *store.Tx) error {
		d, err = tx.ExportPerson(ctx, p)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "suporte customer export: no data for %s\n", p)
		return exitError(1)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(personExport{Person: p, ExportedAt: now.UTC(), PersonData: d}); err != nil {
		return err
	}
	if mediaDir != "" {
		if err := exportMedia(ctx, db, data.data, d, mediaDir, stderr); err != nil {
			return err
		}
	}
	return db.Close()
}

func runCustomerDelete(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("customer delete", stderr)
	data := dataFlag(fs)
	person := personFlags(fs, "delete", stderr)
	yes := fs.Bool("yes", false, "delete without asking")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	p, err := person()
	if err != nil {
		return err
	}
	o := deleteOptions{data: *data, person: p, yes: *yes, interactive: isTerminal(stdin)}
	return customerDelete(ctx, o, stdin, stdout, stderr)
}

type deleteOptions struct {
	data        place
	person      store.Person
	yes         bool // no question asked
	interactive bool // stdin is a terminal: the question can be asked
}

func customerDelete(ctx context.Context, o deleteOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	if !o.yes && !o.interactive {
		fmt.Fprintln(stderr, "suporte customer delete: stdin is not a terminal, so there is no one to confirm: add --yes to delete without asking")
		return exitError(1)
	}
	db, err := openData(ctx, o.data)
	if err != nil {
		return err
	}
	defer db.Close()
	var chats []string
	var n store.PersonCounts
	err = db.View(ctx, func(tx *store.Tx) error {
		if chats, err = tx.PersonChats(ctx, o.person); err != nil {
			return err
		}
		n, err = tx.CountPerson(ctx, o.person)
		return err
	})
	if err != nil {
		return err
	}
	if n.Chats == 0 {
		fmt.Fprintf(stderr, "suporte customer delete: no data for %s\n", o.person)
		return exitError(1)
	}
	fmt.Fprintf(stdout, "everything stored about %s, in %d chat(s): %s\n", o.person, len(chats), strings.Join(chats, ", "))
	printCounts(stdout, n)
	if n.OpenTickets > 0 || n.ActiveChats > 0 {
		fmt.Fprintf(stdout, "warning: %d open ticket(s) and %d conversation(s) going on will be deleted too\n", n.OpenTickets, n.ActiveChats)
	}
	if !o.yes {
		fmt.Fprint(stdout, `type "yes" to delete all of it for good: `)
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a != "yes" && a != "sim" {
			fmt.Fprintln(stderr, "aborted: nothing deleted")
			return exitError(1)
		}
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		n, err = tx.DeletePerson(ctx, o.person)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "deleted:")
	printCounts(stdout, n)
	if err := sweepMedia(ctx, o.data.data, db, stdout); err != nil {
		return err
	}
	return db.Close()
}

func printCounts(w io.Writer, n store.PersonCounts) {
	for _, l := range []struct {
		table string
		n     int
	}{
		{"customers", n.Customers}, {"conversations", n.Conversations}, {"tickets", n.Tickets},
		{"ticket_events", n.Events}, {"feedback", n.Feedback}, {"inbox", n.Inbox},
		{"outbox", n.Outbox}, {"timers", n.Timers}, {"media", n.Media},
	} {
		fmt.Fprintf(w, "  %-14s %7d\n", l.table, l.n)
	}
}

// isTerminal reports whether r is a terminal a person can answer on.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runRetention purges, once at start and then daily, what the retention
// limit allows, logging each run. It returns when ctx ends.
func runRetention(ctx context.Context, db *store.DB, files *store.Files, keep time.Duration, log zerolog.Logger) error {
	rlog := log.With().Str("component", "retention").Logger()
	return store.RunRetention(ctx, db, 24*time.Hour, keep, time.Now, func(r store.PurgeResult, err error) {
		if err != nil {
			rlog.Error().Err(err).Msg("retention purge")
			return
		}
		swept, err := files.Sweep(ctx, db, mediaGrace)
		if err != nil && ctx.Err() == nil {
			rlog.Error().Err(err).Msg("retention: delete files no message names")
		}
		rlog.Info().Int("tickets", r.Tickets).Int("events", r.Events).Int("inbox", r.Inbox).Int("outbox", r.Outbox).
			Int("customers", r.Customers).Int("conversations", r.Conversations).Int("timers", r.Timers).
			Int("media", r.Media).Int("media_files", swept).Msg("retention purge")
	})
}

// exportMedia writes the stored files of d into dir (0700), each as
// ID-NAME (0600), and says how many.
func exportMedia(ctx context.Context, db *store.DB, data string, d store.PersonData, dir string, stderr io.Writer) error {
	files := store.MediaFilesAt(db, filepath.Join(data, "media"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	n, missing := 0, 0
	for _, c := range d.Chats {
		for _, m := range c.Media {
			sum, _ := m["sha256"].(string)
			if m["state"] != store.MediaStored || sum == "" {
				continue
			}
			name, _ := m["name"].(string)
			out := filepath.Join(dir, fmt.Sprintf("%v-%s", m["id"], flows.CleanName(name, "arquivo")))
			if err := copyMedia(ctx, files, sum, out); errors.Is(err, fs.ErrNotExist) {
				missing++
				continue
			} else if err != nil {
				return err
			}
			n++
		}
	}
	fmt.Fprintf(stderr, "suporte customer export: %d file(s) written to %s", n, dir)
	if missing > 0 {
		fmt.Fprintf(stderr, "; %d missing from %s", missing, files)
	}
	fmt.Fprintln(stderr)
	return nil
}

func copyMedia(ctx context.Context, files *store.Files, sum, to string) error {
	in, err := files.Open(ctx, sum)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
