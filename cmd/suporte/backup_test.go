package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupCommand(t *testing.T) {
	dir := seedData(t)
	runService(t, dir)
	ctx := t.Context()
	file := filepath.Join(t.TempDir(), "copy.db")
	var out, stderr bytes.Buffer
	if err := runBackup(ctx, []string{file, "--data", dir}, nil, &out, &stderr); err != nil {
		t.Fatalf("backup: %v (%s)", err, stderr.String())
	}
	if got := out.String(); !strings.Contains(got, filepath.Join(dir, "suporte.db")+" -> "+file+": ") ||
		!strings.Contains(got, "integrity_check ok") || !strings.Contains(got, "not copied: "+filepath.Join(dir, "whatsapp.db")) {
		t.Errorf("backup output: %q", got)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v; want 0600", st.Mode().Perm())
	}
	// The media files (seedData's four documents) are beside it, once.
	if got := out.String(); !strings.Contains(got, "media files -> "+filepath.Join(filepath.Dir(file), "media")+": 4 copied, 0 already there") {
		t.Errorf("backup's media line: %q", got)
	}
	copies, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "media", "*", "*", "*"))
	if len(copies) != 4 {
		t.Errorf("media copied: %v; want 4 files", copies)
	}
	out.Reset()
	if err := runBackup(ctx, []string{file + ".2", "--data", dir}, nil, &out, &stderr); err != nil || !strings.Contains(out.String(), "0 copied, 4 already there") {
		t.Errorf("second backup: %v %q; want the files not copied again", err, out.String())
	}

	stderr.Reset()
	err = runBackup(ctx, []string{"--data", dir, file}, nil, &out, &stderr)
	if code := exitCode(err, &stderr); code != 1 || !strings.Contains(stderr.String(), "exists: choose another name, or --force") {
		t.Errorf("backup over a file: exit %d, %q", code, stderr.String())
	}
	if err := runBackup(ctx, []string{"--force", file, "--data", dir}, nil, &out, &stderr); err != nil {
		t.Errorf("backup --force: %v", err)
	}
	if err := runBackup(ctx, []string{file + "2", "--data", filepath.Join(dir, "typo")}, nil, &out, &stderr); err == nil ||
		!strings.Contains(err.Error(), "no database at") {
		t.Errorf("backup of a missing folder: got %v", err)
	}
	for _, args := range [][]string{{}, {"a", "b"}, {"--nope", "a"}} {
		if err := runBackup(ctx, args, nil, &out, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("backup %q: got %v; want a usage error", args, err)
		}
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{512: "512 bytes", 2048: "2.0 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.0 GiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q; want %q", n, got, want)
		}
	}
}
