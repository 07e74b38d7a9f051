package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrations are numbered files, migrations/NNNN_name.sql, that both
// engines run. Where the two must differ (identity keys, the first ticket
// number), migrations/postgres/NNNN_name.sql replaces the file of the same
// number on PostgreSQL; TestSchemasAgree checks the two schemas stay alike.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns d's migrations in order, checking that they are
// numbered 1..N without gaps and that every PostgreSQL replacement has a
// shared file of its number.
func migrations(d *dialect) ([]migration, error) {
	shared, err := readMigrations("migrations")
	if err != nil {
		return nil, err
	}
	for i, m := range shared {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	pg, err := readMigrations("migrations/postgres")
	if err != nil {
		return nil, err
	}
	for _, m := range pg {
		if m.version > len(shared) || shared[m.version-1].name != m.name {
			return nil, fmt.Errorf("migration postgres/%s: no migrations/%s to replace", m.name, m.name)
		}
		if d.postgres {
			shared[m.version-1] = m
		}
	}
	return shared, nil
}

func readMigrations(dir string) ([]migration, error) {
	names, err := fs.Glob(migrationFiles, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// Where the schema version lives: SQLite's user_version; on PostgreSQL a
// one-row table, with an advisory lock so that processes starting together
// migrate one after the other.
const (
	userVersionSQL    = `PRAGMA user_version`
	setUserVersionSQL = `PRAGMA user_version = %d` // PRAGMA takes no bound parameters

	pgVersionTableSQL = `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`
	pgVersionSQL      = `SELECT COALESCE(MAX(version), 0) FROM schema_version`
	pgSetVersionSQL   = `DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (%d)`
	// migrateLockSQL serializes migrations across processes: key 0x5e_0001
	// ("suporte", migrations) in the two-key advisory lock space.
	migrateLockSQL = `SELECT pg_advisory_xact_lock(1, 1)`
)

// migrate brings the schema of db up to the newest embedded migration. Each
// migration runs in its own transaction together with its version bump. A
// database newer than the newest migration is refused (ErrTooNew).
func migrate(ctx context.Context, d *dialect, db *sql.DB) error {
	ms, err := migrations(d)
	if err != nil {
		return err
	}
	if d.postgres {
		if _, err := db.ExecContext(ctx, pgVersionTableSQL); err != nil {
			return fmt.Errorf("schema version table: %w", err)
		}
	}
	have, err := schemaVersion(ctx, d, db)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(ms) {
		return fmt.Errorf("%w: schema version %d, newest known %d", ErrTooNew, have, len(ms))
	}
	for _, m := range ms[have:] {
		if err := applyMigration(ctx, d, db, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// querierRow is what schemaVersion reads from: *sql.DB, *sql.Tx.
type querierRow interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, d *dialect, q querierRow) (int, error) {
	query := userVersionSQL
	if d.postgres {
		query = pgVersionSQL
	}
	var v int
	err := q.QueryRowContext(ctx, query).Scan(&v)
	return v, err
}

func applyMigration(ctx context.Context, d *dialect, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	setVersion := setUserVersionSQL
	if d.postgres {
		if _, err := tx.ExecContext(ctx, migrateLockSQL); err != nil {
			return err
		}
		setVersion = pgSetVersionSQL
	}
	// Another process may have migrated between our read and the lock
	// (SQLite: BEGIN IMMEDIATE).
	have, err := schemaVersion(ctx, d, tx)
	if err != nil {
		return err
	}
	if have >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(setVersion, m.version)); err != nil {
		return err
	}
	return tx.Commit()
}

// identities are the tables whose id PostgreSQL generates, with the first
// id each hands out.
var identities = []struct {
	table string
	first int64
}{{"inbox", 1}, {"outbox", 1}, {"tickets", 100001}, {"ticket_events", 1}, {"agents", 1}, {"flow_versions", 1}, {"media", 1}, {"events", 1}}

// syncSequencesSQL moves a table's identity past the ids written into it
// explicitly (a copy, a fixture).
const syncSequencesSQL = `SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), GREATEST(COALESCE(MAX(id), 0) + 1, %[2]d), false) FROM %[1]s`

// syncSequences makes PostgreSQL's identities hand out ids after the
// largest stored; SQLite needs nothing.
func syncSequences(ctx context.Context, tx *Tx) error {
	if !tx.d.postgres {
		return nil
	}
	for _, t := range identities {
		if _, err := tx.exec(ctx, fmt.Sprintf(syncSequencesSQL, t.table, t.first)); err != nil {
			return fmt.Errorf("sync %s ids: %w", t.table, err)
		}
	}
	return nil
}
