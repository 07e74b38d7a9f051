package main

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
)

// TestRepeatLimiter: repeats of a warning or error (same message, same
// innermost cause) are written once a window, then counted in one line
// when the window ends; other kinds and levels are not held back.
func TestRepeatLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &logBuffer{}
		q := newRepeatLimiter(logs, time.Minute)
		log := zerolog.New(q)
		full := errors.New("database or disk is full")
		for i := range 500 {
			log.Error().Err(fmt.Errorf("receive m%d: accept inbox: %w", i, full)).Msg("receive failed")
			log.Warn().Err(errors.New("not connected")).Str("chat_ref", fmt.Sprint(i)).Msg("send failed; will retry")
			log.Info().Int("n", i).Msg("routine")
		}
		log.Error().Err(errors.New("readonly")).Msg("receive failed") // another cause
		if got := logs.lines(t, "receive failed"); len(got) != 2 {
			t.Fatalf("during the window: %d lines \"receive failed\"; want the first of each cause", len(got))
		}
		if got := logs.lines(t, "routine"); len(got) != 500 {
			t.Errorf("%d info lines; want all 500", len(got))
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		got := logs.lines(t, "receive failed")
		if len(got) != 3 || got[2]["suppressed"] != float64(499) || got[2]["error"] != "receive m499: accept inbox: database or disk is full" {
			t.Errorf("after the window: %v; want a third line, the last repeat with \"suppressed\": 499", got)
		}
		if got := logs.lines(t, "send failed; will retry"); len(got) != 2 || got[1]["suppressed"] != float64(499) {
			t.Errorf("send failures: %v; want the first and a count of 499", got)
		}
		// A new window starts with the next one; Flush reports it at once.
		log.Error().Err(full).Msg("receive failed")
		log.Error().Err(full).Msg("receive failed")
		q.Flush()
		if got := logs.lines(t, "receive failed"); len(got) != 5 || got[4]["suppressed"] != float64(1) {
			t.Errorf("after Flush: %v; want the new first line and a count of 1", got)
		}
	})
}
