//go:build !linux

package main

import "runtime"

// resetPeakRSS does nothing: the peak is the process's.
func resetPeakRSS() {}

// peakRSS is the memory the Go runtime took from the system, in MiB:
// the peak resident memory is Linux's to tell.
func peakRSS() float64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.Sys) / (1 << 20)
}
