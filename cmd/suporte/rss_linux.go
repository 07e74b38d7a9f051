package main

// #include <stddef.h>
// // A weak reference: glibc has malloc_trim, other C libraries may not.
// extern int malloc_trim(size_t) __attribute__((weak));
// static void trim(void) { if (malloc_trim) malloc_trim(0); }
import "C"

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// resetPeakRSS starts peakRSS again from what the process holds once the
// memory it freed is returned to the system (the Go heap's, and the C
// allocator's that SQLite used): the PostgreSQL run's peak, apart from
// the SQLite run's.
func resetPeakRSS() {
	debug.FreeOSMemory()
	C.trim()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS reads the process's peak resident memory in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
