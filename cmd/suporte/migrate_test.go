package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"suporte/store/pgtemp"
)

// TestMigrate copies the report fixture's installation into PostgreSQL:
// every table's count matches, the report reads the same, and a second
// run refuses the store that now holds data.
func TestMigrate(t *testing.T) {
	data := reportData(t)
	dsn := pgtemp.Database(t)
	args := []string{"--from", filepath.Join(data, "suporte.db"), "--to", dsn, "--flows", "../../flows.yaml", "--whatsapp", "none"}
	var out, errOut bytes.Buffer
	if err := runMigrate(context.Background(), args, nil, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{"tickets", ": the same on both (17 conversations, 8 rated)", "done: start suporte with --db"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`tickets +17 -> +17  ok`).MatchString(out.String()) {
		t.Errorf("want 17 tickets on both sides:\n%s", out.String())
	}
	if strings.Contains(out.String(), "MISMATCH") {
		t.Errorf("a table differs:\n%s", out.String())
	}
	out.Reset()
	if err := runMigrate(context.Background(), args, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second migrate into the same store: got %v; want it refused as not empty", err)
	}
	if err := runMigrate(context.Background(), []string{"--from", "x.db", "--to", "data/other.db"}, nil, &out, &errOut); err != errUsage {
		t.Errorf("migrate to a file: got %v; want a usage error", err)
	}
}
