package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"suporte/bot"
	"suporte/bot/whatsapp"
	"suporte/flows"
	"suporte/store"
)

// runMigrate copies an installation's SQLite store (its media files and
// its WhatsApp device store too) into an empty PostgreSQL database, then
// checks the copy: every table's row count, the managers' report over the
// whole history, which must read the same on both, and every file's hash.
func runMigrate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	from := fs.String("from", filepath.Join("data", "suporte.db"), "the SQLite store to copy (stop the service using it first: its data folder is locked while copying)")
	to := fs.String("to", os.Getenv("SUPORTE_DB"), "the PostgreSQL database to copy into: a postgres:// URL, empty of suporte data (env SUPORTE_DB)")
	wa := fs.String("whatsapp", "", "the WhatsApp device store to copy too (default: whatsapp.db beside --from, if there is one; \"none\" to skip)")
	flowsPath := fs.String("flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file: the calendar of the report comparison (env SUPORTE_FLOWS)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || !store.IsPostgres(*to) {
		fmt.Fprintln(stderr, "usage: suporte migrate --from data/suporte.db --to postgres://user@host/db [--whatsapp data/whatsapp.db|none] [--flows FILE]")
		return errUsage
	}
	if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("no database at %s: %w", *from, err)
	}
	// The service using the source holds its data folder: copying under it
	// would leave behind what it goes on writing.
	lock, err := lockData(filepath.Dir(*from))
	if err != nil {
		return fmt.Errorf("%w: stop it before migrating its store", err)
	}
	defer lock.release()
	fl, err := flows.Load(*flowsPath)
	if err != nil {
		return err
	}
	src, err := store.OpenReadOnly(ctx, *from)
	switch {
	case errors.Is(err, store.ErrNotStore):
		return fmt.Errorf("--from %s is not a suporte store (it has no schema version): name the installation's suporte.db", *from)
	case errors.Is(err, store.ErrTooOld):
		return fmt.Errorf("--from %s: %w: upgrade it with this suporte first (\"suporte agents list --db %s\" opens and upgrades it), then migrate again", *from, err, *from)
	case errors.Is(err, store.ErrTooNew):
		return fmt.Errorf("--from %s: %w: migrate with the suporte that last ran on it", *from, err)
	case err != nil:
		return fmt.Errorf("--from %s: %w", *from, err)
	}
	defer src.Close()
	// What can be checked before writing is checked first: a wrong
	// WhatsApp device store or a damaged media file must not be found
	// only after every row is in.
	device := *wa
	if device == "" {
		device = filepath.Join(filepath.Dir(*from), "whatsapp.db")
		if _, err := os.Stat(device); errors.Is(err, os.ErrNotExist) {
			device = "none"
		}
	}
	if device != "none" {
		if _, err := whatsapp.CheckDevices(ctx, device); err != nil {
			return fmt.Errorf("--whatsapp: %w (nothing was written to the destination; name the installation's whatsapp.db, or \"none\" to pair again after migrating)", err)
		}
	}
	mediaDir := filepath.Join(filepath.Dir(*from), "media")
	sums, err := checkMedia(ctx, src, mediaDir)
	if err != nil {
		return err
	}

	dst, err := store.Open(ctx, *to)
	if err != nil {
		return err
	}
	defer dst.Close()
	marked, err := dst.CopyUnfinished(ctx)
	if err != nil {
		return err
	}
	if marked {
		fmt.Fprintf(stdout, "%s holds an unfinished copy (a migrate that failed or was stopped): emptying it to start over\n", store.Redact(*to))
		if err := dst.EmptyUnfinishedCopy(ctx); err != nil {
			return migrateFailed(ctx, dst, *to, err)
		}
	}
	if err := copyInstallation(ctx, src, dst, *from, *to, device, mediaDir, sums, fl, stdout); err != nil {
		return migrateFailed(ctx, dst, *to, err)
	}
	fmt.Fprintf(stdout, "done: start suporte with --db %s\n", store.Redact(*to))
	return nil
}

// copyInstallation copies the store src, the media files in mediaDir that
// sums names and the WhatsApp device store (unless "none") into dst, at
// the URL to, and checks the copy; dst stays marked unfinished until all
// of it is in.
func copyInstallation(ctx context.Context, src, dst *store.DB, from, to, device, mediaDir string, sums map[string]bool, fl *flows.Flow, stdout io.Writer) error {
	fmt.Fprintf(stdout, "copying %s to %s\n", from, store.Redact(to))
	counts, err := store.Copy(ctx, dst, src, nil)
	if err != nil {
		return err
	}
	bad := 0
	for _, c := range counts {
		mark := "ok"
		if c.From != c.To {
			mark, bad = "MISMATCH", bad+1
		}
		fmt.Fprintf(stdout, "  %-16s %8d -> %8d  %s\n", c.Table, c.From, c.To, mark)
	}
	if err := compareReports(ctx, src, dst, fl, stdout); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("migrate: %d tables differ", bad)
	}
	if err := migrateMedia(ctx, dst, mediaDir, sums, stdout); err != nil {
		return err
	}

	if device != "none" {
		dc, err := whatsapp.CopyDevices(ctx, device, to)
		if err != nil {
			return fmt.Errorf("WhatsApp device store: %w", err)
		}
		fmt.Fprintf(stdout, "WhatsApp device store %s: %d device(s), %d sessions, %d identities copied; never run %s again\n",
			device, dc["whatsmeow_device"], dc["whatsmeow_sessions"], dc["whatsmeow_identity_keys"], device)
	}
	return dst.FinishCopy(ctx)
}

// migrateFailed adds to err, a copy's failure, the state it left the
// destination (at the URL to) in and what to run next.
func migrateFailed(ctx context.Context, dst *store.DB, to string, err error) error {
	name := store.Redact(to)
	marked, merr := dst.CopyUnfinished(context.WithoutCancel(ctx))
	switch {
	case merr != nil:
		return fmt.Errorf("%w\nthe state of %s could not be read (%v): once it answers, run this same suporte migrate again (a destination holding an unfinished copy is emptied and the copy starts over)", err, name, merr)
	case marked:
		return fmt.Errorf("%w\n%s now holds an unfinished copy, marked as such: suporte will not serve it. Fix the cause above, then run this same suporte migrate again: it empties the destination and starts over", err, name)
	case errors.Is(err, store.ErrNotEmpty):
		return fmt.Errorf("%w\nnothing was copied: --to must name an empty database (create one with createdb), not one a suporte already uses", err)
	}
	return fmt.Errorf("%w\nnothing was copied to %s: run this suporte migrate again once the cause above is fixed", err, name)
}

// checkMedia returns the hashes of the files the rows of src name, after
// checking that each one in the folder dir (the SQLite installation's
// data/media) holds the content its name says.
func checkMedia(ctx context.Context, src *store.DB, dir string) (map[string]bool, error) {
	var sums map[string]bool
	err := src.View(ctx, func(tx *store.Tx) error {
		var err error
		sums, err = tx.MediaHashes(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := store.FilesAt(dir).Verify(ctx, sums); err != nil {
		return nil, fmt.Errorf("%w\nnothing was written to the destination: restore these files from a backup (or delete them: they are then reported missing) and migrate again", err)
	}
	return sums, nil
}

// migrateMedia copies the files named in sums from the folder dir into
// the PostgreSQL store, where every process sharing it finds them; each
// is read back and checked against its hash.
func migrateMedia(ctx context.Context, dst *store.DB, dir string, sums map[string]bool, stdout io.Writer) error {
	copied, had, missing, err := store.FilesAt(dir).CopyTo(ctx, store.MediaFilesAt(dst, ""), sums)
	if err != nil {
		return fmt.Errorf("media files: %w", err)
	}
	fmt.Fprintf(stdout, "media files %s -> the database: %d copied and checked, %d already there", dir, copied, had)
	if missing > 0 {
		fmt.Fprintf(stdout, ", %d not in the folder (downloads that never finished, or the flows' attachments, added again when first sent)", missing)
	}
	fmt.Fprintln(stdout)
	return nil
}

// compareReports computes the report over the whole history on both
// stores and fails unless they read the same.
func compareReports(ctx context.Context, src, dst *store.DB, fl *flows.Flow, stdout io.Writer) error {
	var first, last time.Time
	err := src.View(ctx, func(tx *store.Tx) error {
		var err error
		first, last, err = tx.TicketSpan(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if first.IsZero() {
		fmt.Fprintln(stdout, "report: no tickets to compare")
		return nil
	}
	now := time.Now()
	from, to := first, last.Add(time.Millisecond)
	if to.Sub(from) > 3650*24*time.Hour { // the longest range a report takes
		from = to.Add(-3650 * 24 * time.Hour)
	}
	want, _, err := bot.Report(ctx, src, fl, from, to, now)
	if err != nil {
		return fmt.Errorf("report on the SQLite store: %w", err)
	}
	got, _, err := bot.Report(ctx, dst, fl, from, to, now)
	if err != nil {
		return fmt.Errorf("report on the PostgreSQL store: %w", err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		return fmt.Errorf("migrate: the report differs between the stores:\n  SQLite     %s\n  PostgreSQL %s", a, b)
	}
	fmt.Fprintf(stdout, "report from %s to %s: the same on both (%d conversations, %d rated)\n",
		from.Format(time.DateOnly), to.Format(time.DateOnly), got.Conversations, got.CSAT.Count)
	return nil
}
