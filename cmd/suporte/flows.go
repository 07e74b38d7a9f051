package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"suporte/flows"
)

// runFlows serves content editors: lint checks a file, graph draws it.
func runFlows(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: suporte flows lint [FILE] | graph [--format mermaid|dot] [FILE] | diff OLD NEW | route [--flows FILE] [--menu ID] TEXT")
		return errUsage
	}
	switch args[0] {
	case "lint":
		return runFlowsLint(args[1:], stdout, stderr)
	case "graph":
		return runFlowsGraph(args[1:], stdout, stderr)
	case "diff":
		return runFlowsDiff(args[1:], stdout, stderr)
	case "route":
		return runFlowsRoute(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "suporte flows: unknown subcommand %q (lint, graph, diff or route)\n", args[0])
	return errUsage
}

func runFlowsLint(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("flows lint", stderr)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	path := fileArg(fs.Args())
	fl, err := flows.Load(path)
	if err != nil {
		var probs *flows.Problems
		if errors.As(err, &probs) {
			fmt.Fprintln(stdout, probs.Error())
			fmt.Fprintf(stderr, "%d problem(s) in %s\n", len(probs.Items), path)
			return exitError(1)
		}
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (version %s, %d nodes)\n", path, fl.Version, len(fl.Nodes()))
	return nil
}

func runFlowsGraph(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("flows graph", stderr)
	format := fs.String("format", "mermaid", "diagram format: mermaid or dot")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	fl, err := flows.Load(fileArg(fs.Args()))
	if err != nil {
		return err
	}
	switch *format {
	case "mermaid":
		_, err = io.WriteString(stdout, fl.Mermaid())
	case "dot":
		_, err = io.WriteString(stdout, fl.Dot())
	default:
		fmt.Fprintf(stderr, "suporte flows graph: unknown format %q (mermaid or dot)\n", *format)
		return errUsage
	}
	return err
}

// fileArg is the optional FILE argument, flows.yaml by default.
func fileArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return envOr("SUPORTE_FLOWS", "flows.yaml")
}

// runFlowsDiff tells an editor what a new flows file changes before it goes live.
func runFlowsDiff(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("flows diff", stderr)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "usage: suporte flows diff OLD NEW")
		return errUsage
	}
	old, err := flows.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	cur, err := flows.Load(fs.Arg(1))
	if err != nil {
		return err
	}
	changes := flows.Diff(old, cur)
	if len(changes) == 0 {
		fmt.Fprintln(stdout, "no changes")
		return nil
	}
	for _, c := range changes {
		fmt.Fprintln(stdout, c)
	}
	fmt.Fprintf(stdout, "%d change(s): %s -> %s\n", len(changes), old.Version, cur.Version)
	return nil
}
