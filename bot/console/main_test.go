package console

import (
	"os"
	"testing"

	"suporte/store/pgtemp"
)

// TestMain stops the PostgreSQL cluster the tests that need one started.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtemp.StopShared()
	os.Exit(code)
}
