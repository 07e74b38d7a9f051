package store

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// column is one column as both engines describe it.
type column struct {
	Name, Type string // Type: integer, text
	NotNull    bool
}

// TestSchemasAgree migrates a SQLite file and a PostgreSQL database and
// compares them: the same tables with the same columns in the same order
// (SELECT * exports and copies depend on it), integers that hold unix
// milliseconds (BIGINT on PostgreSQL, where INTEGER is 32-bit), and the
// same indexes. A shared migration that says INTEGER, or a PostgreSQL
// replacement that drifts, fails here.
func TestSchemasAgree(t *testing.T) {
	if testPG == nil {
		t.Log("compared in the PostgreSQL pass")
		return
	}
	lite, err := Open(t.Context(), filepath.Join(t.TempDir(), "suporte.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg := openTest(t)

	liteTables, liteIndexes := map[string][]column{}, []string{}
	view(t, lite, func(tx *Tx) error {
		tables, err := queryAll(t.Context(), tx, scanString, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		if err != nil {
			return err
		}
		for _, table := range tables {
			cols, err := queryAll(t.Context(), tx, func(s rowScanner) (column, error) {
				var c column
				var cid int
				var dflt any
				var pk int
				err := s.Scan(&cid, &c.Name, &c.Type, &c.NotNull, &dflt, &pk)
				c.Type = strings.ToLower(c.Type)
				c.NotNull = c.NotNull || pk > 0 // SQLite lets a non-INTEGER key hold NULL; never used
				return c, err
			}, `SELECT * FROM pragma_table_info(?)`, table)
			if err != nil {
				return err
			}
			liteTables[table] = cols
		}
		liteIndexes, err = queryAll(t.Context(), tx, scanString, `SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		return err
	})

	pgTables, pgIndexes := map[string][]column{}, []string{}
	view(t, pg, func(tx *Tx) error {
		tables, err := queryAll(t.Context(), tx, scanString, `SELECT table_name FROM information_schema.tables
WHERE table_schema = current_schema() AND table_name <> 'schema_version' ORDER BY table_name`)
		if err != nil {
			return err
		}
		for _, table := range tables {
			cols, err := queryAll(t.Context(), tx, func(s rowScanner) (column, error) {
				var c column
				var nullable string
				err := s.Scan(&c.Name, &c.Type, &nullable)
				c.NotNull = nullable == "NO"
				switch c.Type {
				case "bigint":
					c.Type = "integer" // as SQLite calls its 64-bit integers
				case "integer":
					c.Type = "int4 (32-bit)"
				case "bytea":
					c.Type = "blob"
				}
				return c, err
			}, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table)
			if err != nil {
				return err
			}
			pgTables[table] = cols
		}
		pgIndexes, err = queryAll(t.Context(), tx, scanString, `SELECT indexname FROM pg_indexes
WHERE schemaname = current_schema() AND indexname NOT LIKE '%\_pkey' AND indexname NOT LIKE '%\_key' ORDER BY indexname`)
		return err
	})

	t.Logf("%d tables, %d indexes on SQLite; %d tables, %d indexes on PostgreSQL", len(liteTables), len(liteIndexes), len(pgTables), len(pgIndexes))
	for table, want := range liteTables {
		got, ok := pgTables[table]
		if !ok {
			t.Errorf("table %s: missing on PostgreSQL", table)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("table %s:\n  PostgreSQL %v\n  SQLite     %v\n(integers must be BIGINT on PostgreSQL: write migrations/postgres/NNNN_name.sql)", table, got, want)
		}
	}
	for table := range pgTables {
		if _, ok := liteTables[table]; !ok {
			t.Errorf("table %s: only on PostgreSQL", table)
		}
	}
	if !slices.Equal(pgIndexes, liteIndexes) {
		t.Errorf("indexes:\n  PostgreSQL %v\n  SQLite     %v", pgIndexes, liteIndexes)
	}
}
