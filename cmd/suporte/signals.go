package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// exitInterrupted is the status of an exit forced by a second signal:
// 128+SIGINT, what shells report for an interrupted command.
const exitInterrupted = 130

// stopOnSignal returns a context that the first SIGINT or SIGTERM cancels:
// the commands stop taking input, let what is in flight finish and close
// their stores. A second signal does not wait for that: it prints a line
// on stderr and calls exit(exitInterrupted). Nothing is lost either way:
// customer messages are stored before they are acknowledged, and unsent
// replies go out on the next start. stop undoes the signal handling.
func stopOnSignal(parent context.Context, stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stopWatch := watchSignals(parent, sigs, stderr, exit)
	return ctx, func() {
		signal.Stop(sigs)
		stopWatch()
	}
}

// watchSignals is stopOnSignal's logic, on a channel tests can feed.
func watchSignals(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "suporte: %v: stopping; a second signal exits at once\n", s)
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "suporte: %v: second signal, exiting without waiting; unsent replies go out on the next start\n", s)
			exit(exitInterrupted)
		case <-done:
		}
	})
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			cancel()
		})
	}
}
