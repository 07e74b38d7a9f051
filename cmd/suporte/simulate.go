package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"suporte/bot/sim"
	"suporte/flows"
	"suporte/store"
)

// runSimulate chats with the bot on stdin/stdout: the real engine and
// store, a still clock, no phone.
func runSimulate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", stderr)
	flowsPath := fs.String("flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file")
	dbPath := fs.String("db", "", "store to keep state between runs: a SQLite file or a postgres:// URL (default: a temporary file)")
	chat := fs.String("chat", "5547999990001", "customer chat id")
	line := fs.String("line", envOr("SUPORTE_PHONE", defaultPhone), "the support line's number the customer writes to, as run's --phone: its chats' line in the store (env SUPORTE_PHONE)")
	at := fs.String("at", "", "start the clock at this instant, RFC3339 (default: now)")
	jsonl := fs.Bool("jsonl", false, "print one JSON object per bot message")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if store.LineName(*line) == "" {
		fmt.Fprintf(stderr, "suporte simulate: --line %q: want the line's number, e.g. +55 47 3512-1777\n", *line)
		return errUsage
	}
	return simulate(ctx, simOptions{flows: *flowsPath, db: *dbPath, chat: *chat, line: *line, at: *at, jsonl: *jsonl}, stdin, stdout, stderr)
}

type simOptions struct {
	flows, db, chat, at string
	line                string // the line's number; empty means run's default
	jsonl               bool
}

func simulate(ctx context.Context, o simOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	start := time.Now()
	if o.at != "" {
		t, err := time.Parse(time.RFC3339, o.at)
		if err != nil {
			fmt.Fprintf(stderr, "suporte simulate: --at %q is not RFC3339 (e.g. 2026-11-24T10:00:00-03:00)\n", o.at)
			return errUsage
		}
		start = t
	}
	fl, err := flows.Load(o.flows)
	if err != nil {
		return err
	}
	// dir holds the media folder: beside a SQLite file, as data/media is
	// beside data/suporte.db; for a temporary store or PostgreSQL (whose
	// files live in the database, the folder only staging them), a
	// temporary folder.
	path, dir := o.db, filepath.Dir(o.db)
	if path == "" || store.IsPostgres(path) {
		tmp, err := os.MkdirTemp("", "suporte-sim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
		if path == "" {
			path = filepath.Join(dir, "suporte.db")
		}
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	// As run and demo do, the line starts first: on a store shared by
	// several lines, the simulation's rows are its line's.
	line := store.LineName(cmp.Or(o.line, defaultPhone))
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.StartLine(ctx, line, start)
		return err
	})
	if err != nil {
		return err
	}
	files, err := store.MediaFiles(db, filepath.Join(dir, "media"))
	if err != nil {
		return err
	}
	interactive := false
	if f, ok := stdin.(*os.File); ok && !o.jsonl {
		interactive = term.IsTerminal(int(f.Fd()))
	}
	s := &sim.Session{
		Flow: fl, Store: db, Files: files, Line: line, Chat: o.chat, At: start, JSONL: o.jsonl, Prompt: interactive,
		Log: zerolog.New(stderr).Level(zerolog.WarnLevel),
	}
	return s.Run(ctx, stdin, stdout, stderr)
}
