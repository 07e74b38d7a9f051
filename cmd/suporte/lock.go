package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
)

// lockName is the file in the data folder that one process holds.
const lockName = "suporte.lock"

// dataLock is a data folder held by this process (see lockData).
type dataLock struct {
	dir     string
	dirInfo os.FileInfo // the folder and the lock file as locked, for check
	file    *os.File
	name    net.Listener // the folder's abstract socket name; nil off Linux
	release func()
}

// lockData makes sure only one suporte uses the data folder dir: two
// processes on one WhatsApp session kick each other out (stream replaced),
// and the stores expect a single writer. It creates dir if missing and
// holds an exclusive flock on dir/suporte.lock, with this process's id in
// it, until release. The kernel drops the lock when the process dies, so a
// crash leaves nothing to clean up.
//
// A flock lives on the file: deleting the folder deletes it, and a second
// process could then lock a new folder at the same path while the first
// still runs. On Linux the process also holds an abstract socket named
// after the folder's absolute path, which no file operation can remove and
// the kernel frees when the process ends.
func lockData(dir string) (_ *dataLock, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	l := &dataLock{dir: dir}
	defer func() {
		if err != nil {
			l.close()
		}
	}()
	if runtime.GOOS == "linux" {
		sum := sha256.Sum256([]byte(abs))
		l.name, err = net.Listen("unix", "@suporte-data-"+hex.EncodeToString(sum[:16]))
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("another suporte is already running with data folder %s (pid %s)", abs, lockPID(dir))
		}
		if err != nil {
			return nil, fmt.Errorf("lock data folder: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	path := filepath.Join(dir, lockName)
	if l.file, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("lock data folder: %w", err)
	}
	if err := syscall.Flock(int(l.file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another suporte is already running with data folder %s (pid %s)", abs, readPID(l.file))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := l.file.Truncate(0); err == nil {
		_, err = l.file.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if l.dirInfo, err = os.Stat(dir); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	l.release = sync.OnceFunc(l.close)
	return l, nil
}

// close releases what lockData took: closing the file drops the flock.
func (l *dataLock) close() {
	if l.file != nil {
		l.file.Close()
	}
	if l.name != nil {
		l.name.Close()
	}
}

// check reports whether the data folder and its lock file are still the
// ones lockData locked (same device and inode): a folder deleted or
// replaced while the service runs is not where its data lives anymore.
func (l *dataLock) check() error {
	fi, err := os.Stat(l.dir)
	if err != nil || !os.SameFile(fi, l.dirInfo) {
		return fmt.Errorf("data folder %s was removed or replaced while running", l.dir)
	}
	locked, err := l.file.Stat()
	if err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	fi, err = os.Stat(filepath.Join(l.dir, lockName))
	if err != nil || !os.SameFile(fi, locked) {
		return fmt.Errorf("lock file %s was removed or replaced while running", filepath.Join(l.dir, lockName))
	}
	return nil
}

// lockPID returns the process id in dir's lock file, or "unknown".
func lockPID(dir string) string {
	f, err := os.Open(filepath.Join(dir, lockName))
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	return readPID(f)
}

// readPID returns the process id the lock's holder wrote, or "unknown".
func readPID(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid := string(bytes.TrimSpace(buf[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return "unknown"
	}
	return pid
}
