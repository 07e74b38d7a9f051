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
	lock, err := lockData(dir)
	if err != nil {
		t.Fatal(err)
	}
	release := lock.release
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
	again.release()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder: %v, %v; want mode 0700", fi.Mode().Perm(), err)
	}
}

// TestLockDataFolderRemoved: deleting the data folder under a running
// suporte deletes its lock file too. The holder sees it (readiness), and
// a second suporte still cannot start on that path while the first runs.
func TestLockDataFolderRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	lock, err := lockData(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.release()
	if err := lock.check(); err != nil {
		t.Fatalf("check of a held folder: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := lock.check(); err == nil || !strings.Contains(err.Error(), "removed or replaced") {
		t.Errorf("check after the folder was removed: %v; want it reported", err)
	}
	second, err := lockData(dir)
	if err == nil {
		second.release()
		t.Fatal("a second suporte locked the path of a removed folder while the first runs")
	}
	if !strings.Contains(err.Error(), "already running") {
		t.Errorf("second lock: %v; want \"already running\"", err)
	}
	lock.release()
	again, err := lockData(dir)
	if err != nil {
		t.Fatalf("lock once the first released: %v", err)
	}
	again.release()
}
