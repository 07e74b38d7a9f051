package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	release, err := lockData(dir)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	want := fmt.Sprintf("another suporte is already running with data folder %s (pid %d)", abs, os.Getpid())
	if _, err := lockData(dir); err == nil || err.Error() != want {
		t.Fatalf("second lock: %v; want %q", err, want)
	}
	// `suporte run` on a held folder stops before touching anything else.
	err = runRun(context.Background(), []string{"--data", dir, "--flows", filepath.Join(dir, "missing.yaml")}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already running") || exitCode(err, io.Discard) == 0 {
		t.Errorf("run on a locked folder: %v; want the lock error and a failing status", err)
	}
	release()
	release() // twice is harmless
	again, err := lockData(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder: %v, %v; want mode 0700", fi.Mode().Perm(), err)
	}
}
