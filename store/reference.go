package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
)

// Reference commits one-row transactions one after another, with the
// writer's settings (SQLite: the same pragmas; PostgreSQL: the same
// server and durability): the rate a design with one transaction per
// message could reach at best, which group commit must beat.
type Reference struct {
	db   *sql.DB
	stmt *sql.Stmt
}

const (
	referenceTableSQL  = `CREATE TABLE IF NOT EXISTS reference_commits (id BIGINT NOT NULL, v TEXT NOT NULL)`
	referenceInsertSQL = `INSERT INTO reference_commits (id, v) VALUES (?, ?)`
)

// OpenReference opens dsn (a SQLite file or a postgres:// URL) on one
// connection and creates the table it writes to.
func OpenReference(ctx context.Context, dsn string) (*Reference, error) {
	d, conn := sqliteDialect, ReferenceDSN(dsn)
	if IsPostgres(dsn) {
		d, conn = postgresDialect, dsn
	} else if err := os.MkdirAll(filepath.Dir(dsn), 0o700); err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	db, err := sql.Open(d.driver, conn)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, referenceTableSQL); err != nil {
		db.Close()
		return nil, fmt.Errorf("reference: %w", err)
	}
	stmt, err := db.PrepareContext(ctx, d.sql(referenceInsertSQL))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("reference: %w", err)
	}
	return &Reference{db: db, stmt: stmt}, nil
}

// Commit inserts one row in its own transaction.
func (r *Reference) Commit(ctx context.Context, i int) error {
	_, err := r.stmt.ExecContext(ctx, i, "oi")
	return err
}

// Close closes the connection.
func (r *Reference) Close() error {
	r.stmt.Close()
	return r.db.Close()
}
