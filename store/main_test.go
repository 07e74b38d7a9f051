package store

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"suporte/store/pgtemp"
)

// testPG is the PostgreSQL server of the second pass; nil during the
// first, on SQLite.
var testPG *pgtemp.Server

// TestMain runs every test twice: on SQLite, then on PostgreSQL (a
// throwaway cluster, or the server of SUPORTE_TEST_PG). Tests open their
// store with openTest or testDSN, which follow the pass.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	srv, err := pgtemp.Open(context.Background(), pgtemp.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "store tests on PostgreSQL:", err)
		os.Exit(1)
	}
	testPG = srv
	fmt.Println("# the same tests on PostgreSQL")
	if c := m.Run(); c != 0 {
		code = c
	}
	srv.Close()
	os.Exit(code)
}

// pgConn opens the pass's store and a connection of its own to it, for
// a test of a statement's plan or shape on PostgreSQL, and runs setup on
// it; in the SQLite pass it skips (the PostgreSQL pass runs it).
func pgConn(t *testing.T, what string, setup ...string) *sql.Conn {
	t.Helper()
	if testPG == nil {
		t.Skip(what)
	}
	conn, err := openTest(t).r.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, q := range setup {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return conn
}

// planOf runs an EXPLAIN on conn and returns the plan, a line each.
func planOf(t *testing.T, conn *sql.Conn, explain string) string {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), explain)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n") + "\n"
}

// testDSN returns where a test's store lives in this pass: a new SQLite
// file, or a new PostgreSQL database dropped when the test ends.
func testDSN(tb testing.TB) string {
	tb.Helper()
	if testPG == nil {
		return filepath.Join(tb.TempDir(), "data", "suporte.db")
	}
	dsn, drop, err := testPG.NewDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	tb.Logf("store on PostgreSQL: %s", redact(dsn))
	return dsn
}
