// Command fedmatch is the one binary of the federation: a node, a broker,
// a requester's query tool, the federation's certificate tooling, and a
// self-contained demo. It is the only place that reads flags, environment
// and files and wires adapters (NATS, OPA, go-memdb) into the cores.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/fedmatch/fedmatch"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "fedmatch:", err)
		}
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks a command-line mistake (exit 2); errReported an error
// already printed.
var (
	errUsage    = errors.New("usage")
	errReported = errors.New("reported")
)

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// env is what a command may touch of the outside world.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "run a throwaway federation on an embedded NATS server and a scripted set of queries", runDemo},
		{"certs", "create and inspect the federation's CA, agency keys and roster", runCerts},
		{"node", "run an agency's node, or import records into its data directory", runNode},
		{"broker", "run a broker that routes signed queries between nodes", runBroker},
		{"query", "send a signed query from an agency and print the verified answers", runQuery},
		{"disclose", "step two: ask the node that returned a hit for more, by its reference", runDisclose},
		{"policy", "test, check, evaluate and compare Rego policies", runPolicy},
		{"eval", "measure the matcher on benchmark data (FEBRL, cross-script names)", runEval},
		{"model", "estimate and show the matcher's Fellegi–Sunter model", runModel},
		{"mrz", "parse and check ICAO 9303 machine-readable zones", runMRZ},
		{"review", "confirm or refuse step-two disclosures a node's policy held for review", runReview},
		{"audit", "verify and show audit logs", runAudit},
		{"bench", "measure each step and a federation end to end against the same match in-process", runBench},
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr, log: newLogger(stderr, getenv("FEDMATCH_LOG"))}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return usageErr("a command is required")
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	printUsage(stderr)
	return usageErr("unknown command %q", args[0])
}

// readAll reads r to the end.
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

// newLogger logs text to w at level ("debug", "info", "warn", "error";
// anything else means info).
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if l.UnmarshalText([]byte(strings.ToUpper(level))) != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// jsonMarshal renders v as indented JSON with a final newline.
func jsonMarshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `fedmatch: a federated match broker between agencies.

Usage: fedmatch <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'fedmatch <command> --help' for a command's flags.
Environment: FEDMATCH_LOG=debug|info|warn|error sets the log level (logs go to stderr).
`)
}

// subcommand is one verb of a command with several (certs init, audit verify).
type subcommand struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

// dispatch runs the subcommand args[0] of parent, or prints the list.
func dispatch(e *env, parent string, subs []subcommand, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: fedmatch %s <subcommand> [flags]\n\n", parent)
		for _, s := range subs {
			fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun 'fedmatch %s <subcommand> --help' for its flags.\n", parent)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return usageErr("%s: a subcommand is required", parent)
		}
		return nil
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(e, args[1:])
		}
	}
	usage(e.stderr)
	return usageErr("%s: unknown subcommand %q", parent, args[0])
}

// flags makes a flag set whose --help prints usage to stdout and succeeds.
func flags(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: fedmatch %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; help is true when --help was asked for (and printed).
func parse(e *env, fs *flag.FlagSet, args []string) (help bool, err error) {
	fs.SetOutput(io.Discard)
	err = fs.Parse(args)
	fs.SetOutput(e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		return true, nil
	}
	if err != nil {
		fs.Usage()
		return false, usageErr("%v", err)
	}
	return false, nil
}

// required checks that flags were given a value.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f == nil || f.Value.String() == "" {
			return usageErr("fedmatch %s: --%s is required", fs.Name(), n)
		}
	}
	return nil
}

func agencyList(s string) ([]fedmatch.AgencyID, error) {
	var out []fedmatch.AgencyID
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		id := fedmatch.AgencyID(p)
		if err := id.Validate(); err != nil {
			return nil, usageErr("%v", err)
		}
		out = append(out, id)
	}
	return out, nil
}
