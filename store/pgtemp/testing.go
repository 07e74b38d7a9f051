package pgtemp

import (
	"context"
	"testing"
)

// Database returns the URL of a new, empty database on the shared server,
// dropped when the test ends.
func Database(tb testing.TB) string {
	tb.Helper()
	srv, err := Shared(context.Background())
	if err != nil {
		tb.Fatalf("PostgreSQL for tests: %v", err)
	}
	dsn, drop, err := srv.NewDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	return dsn
}
