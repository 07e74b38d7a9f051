package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"suporte/flows"
)

// runHours prints "open" or "closed" first, then why and until when.
func runHours(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("hours", stderr)
	path := fs.String("flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file")
	at := fs.String("at", "", "instant to check, RFC3339 (default: now)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "suporte hours: --at %q is not RFC3339 (e.g. 2026-11-24T10:00:00-03:00)\n", *at)
			return errUsage
		}
		now = t
	}
	fl, err := flows.Load(*path)
	if err != nil {
		return err
	}
	cal := fl.Calendar
	st := cal.Status(now)
	word := "closed"
	if st.Open {
		word = "open"
	}
	local := now.In(cal.Location)
	fmt.Fprintf(stdout, "%s at %s: %s", word, local.Format("Mon 2006-01-02 15:04 MST"), st.Reason)
	if !st.Until.IsZero() {
		change := "opens"
		if st.Open {
			change = "closes"
		}
		fmt.Fprintf(stdout, "; %s %s", change, st.Until.In(cal.Location).Format("Mon 2006-01-02 15:04"))
	}
	fmt.Fprintln(stdout)
	return nil
}
