package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
)

// runRun runs the service. Until the WhatsApp connection lands it runs the
// simulator on the terminal against the service's database, so state
// persists between runs like the real service's.
func runRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	data := fs.String("data", envOr("SUPORTE_DATA", "data"), "data folder")
	flowsPath := fs.String("flows", envOr("SUPORTE_FLOWS", "flows.yaml"), "flows file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	fmt.Fprintln(stderr, "suporte: WhatsApp is not connected yet in this version; chatting on the terminal instead (Ctrl-D to quit).")
	return simulate(ctx, simOptions{flows: *flowsPath, db: filepath.Join(*data, "suporte.db"), chat: "5547999990001"}, stdin, stdout, stderr)
}
