package store

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
