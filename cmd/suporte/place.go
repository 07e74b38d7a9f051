package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"suporte/store"
)

// place says where a command finds the store: --db, a PostgreSQL URL or a
// SQLite file, or else suporte.db in the --data folder.
type place struct {
	data string // the data folder
	db   string // the store, if not the data folder's suporte.db
}

// dbUsage is --db's help, the same for every command.
const dbUsage = "the store: a postgres:// URL (PostgreSQL, which several suporte processes may share) or a SQLite file; default: suporte.db in the data folder (env SUPORTE_DB)"

// dataFlag adds --data and --db to fs.
func dataFlag(fs *flag.FlagSet) *place {
	p := &place{}
	fs.StringVar(&p.data, "data", envOr("SUPORTE_DATA", "data"), "data folder (env SUPORTE_DATA)")
	fs.StringVar(&p.db, "db", os.Getenv("SUPORTE_DB"), dbUsage)
	return p
}

// dsn is what store.Open takes.
func (p place) dsn() string {
	if p.db != "" {
		return p.db
	}
	return filepath.Join(p.data, "suporte.db")
}

// String names the store for messages, without a password.
func (p place) String() string {
	if store.IsPostgres(p.dsn()) {
		return store.Redact(p.dsn())
	}
	return p.dsn()
}

// openData opens the store, which must exist: a mistyped --data must not
// create an empty one. (A PostgreSQL database is created by its admin;
// opening it migrates it.)
func openData(ctx context.Context, p place) (*store.DB, error) {
	if !store.IsPostgres(p.dsn()) {
		if _, err := os.Stat(p.dsn()); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no database at %s (check --data or SUPORTE_DATA, --db or SUPORTE_DB)", p.dsn())
			}
			return nil, err
		}
	}
	return store.Open(ctx, p.dsn())
}
