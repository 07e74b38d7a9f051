package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"suporte/store"
)

// runBackup copies the data folder's database to FILE while the service
// runs (store.DB.Backup).
func runBackup(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	data := dataFlag(fs)
	force := fs.Bool("force", false, "replace FILE if it exists")
	// FILE may come before the flags, as in "suporte backup FILE --data DIR".
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: suporte backup FILE [--data DIR] [--force]")
		return errUsage
	}
	return backup(ctx, *data, files[0], *force, stdout, stderr)
}

func backup(ctx context.Context, data place, file string, force bool, stdout, stderr io.Writer) error {
	db, err := openData(ctx, data)
	if err != nil {
		return err
	}
	defer db.Close()
	if force {
		err = db.BackupReplace(ctx, file)
	} else {
		err = db.Backup(ctx, file)
	}
	if errors.Is(err, store.ErrExists) {
		fmt.Fprintf(stderr, "suporte backup: %s exists: choose another name, or --force to replace it\n", file)
		return exitError(1)
	}
	if err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s -> %s: %s, integrity_check ok\n", db.Path(), file, size(st.Size()))
	if err := backupMedia(ctx, db, data.data, file, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "not copied: %s (the WhatsApp session's keys; never restore an old copy over a live session)\n",
		filepath.Join(data.data, "whatsapp.db"))
	return db.Close()
}

// size writes n bytes for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// backupMedia copies the media files (data/media) the database names into
// the folder media/ beside the backup file. Files never change (they are
// named by their content), so the backups of several days share that
// folder and each file is copied once.
func backupMedia(ctx context.Context, db *store.DB, data, file string, stdout io.Writer) error {
	var sums map[string]bool
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		sums, err = tx.MediaHashes(ctx)
		return err
	})
	if err != nil {
		return err
	}
	dst := filepath.Join(filepath.Dir(file), "media")
	copied, had, missing, err := store.FilesAt(filepath.Join(data, "media")).CopyTo(ctx, store.FilesAt(dst), sums)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "media files -> %s: %d copied, %d already there", dst, copied, had)
	if missing > 0 {
		fmt.Fprintf(stdout, ", %d not on disk (still downloading, or lost)", missing)
	}
	fmt.Fprintln(stdout)
	return nil
}
