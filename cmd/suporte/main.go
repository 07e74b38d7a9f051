// Command suporte is the WhatsApp support bot service and its tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// errUsage marks a command-line mistake: the message was already printed.
var errUsage = errors.New("usage")

type command struct {
	name, args, help string
	run              func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "[--data DIR] [--db URL|FILE] [--listen ADDR] [--flows FILE] [--phone N] [--pair-phone N] [--send-rate N]", "run the service: WhatsApp, the bot, the console", runRun},
		{"demo", "[--data DIR] [--db URL|FILE] [--listen ADDR] [--flows FILE] [--at RFC3339]", "try everything on this machine: a simulated WhatsApp at /sim/ and the console at /", runDemo},
		{"simulate", "[--flows FILE] [--db FILE] [--chat ID] [--at RFC3339] [--jsonl]", "chat with the bot on stdin/stdout, no phone needed", runSimulate},
		{"flows", "lint|graph [FILE] | diff OLD NEW | route [--flows FILE] [--menu ID] TEXT", "check flows.yaml, draw its trail tree, compare two versions, or see where a customer's text leads", runFlows},
		{"hours", "[--flows FILE] [--at RFC3339]", "tell whether the Encantadores are working now", runHours},
		{"agents", "add|list|disable|enable|passwd [--data DIR | --db URL] [--email E] ...", "manage the Encantadores' console accounts", runAgents},
		{"report", "[--data DIR | --db URL] [--flows FILE] [--from DATE] [--to DATE] [--format table|json|csv] [--at RFC3339]", "the managers' figures: conversations, trails (útil: X de Y), queue, Encantadores, CSAT, escalations", runReport},
		{"purge", "[--data DIR | --db URL] [--older-than 180d] [--dry-run]", "LGPD retention: anonymize closed conversations older than the limit, delete their messages", runPurge},
		{"customer", "export|delete (--chat ID | --id-suporte N) [--data DIR | --db URL] [--yes]", "LGPD: everything stored about a person as JSON, or delete it", runCustomer},
		{"backup", "FILE [--data DIR] [--force]", "online consistent copy of suporte.db (never whatsapp.db)", runBackup},
		{"migrate", "--from data/suporte.db --to postgres://... [--whatsapp FILE|none]", "copy an installation's SQLite store (and WhatsApp keys) into PostgreSQL, checked by counts and the report", runMigrate},
		{"bench", "[--customers N] [--rate MSGS/S] [--dir DIR]", "measure the engine against SQLite's own commit rate", runBench},
	}
}

func main() {
	ctx, stop := stopOnSignal(context.Background(), os.Stderr, os.Exit)
	err := dispatch(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (unless it was already reported) and maps it to the
// process status: 0 ok, 1 failure, 2 usage.
func exitCode(err error, stderr io.Writer) int {
	var ex exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	case errors.As(err, &ex):
		return int(ex)
	}
	fmt.Fprintln(stderr, "suporte:", err)
	return 1
}

// exitError ends the program with that status, its message already printed.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "suporte: unknown command %q\n\n", args[0])
	usage(stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: suporte COMMAND [options]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n  %-9s   %s\n", c.name, c.args, "", c.help)
	}
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("suporte "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envOr returns the environment variable's value, or def when unset.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
