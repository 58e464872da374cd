package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/policies"
)

func runPolicy(ctx context.Context, e *env, args []string) error {
	return dispatch(e, "policy", []subcommand{
		{"test", "run the Rego tests and print coverage", func(e *env, a []string) error { return runPolicyTest(ctx, e, a) }},
		{"check", "compile with the input schema and check every output over the full table", func(e *env, a []string) error { return runPolicyCheck(ctx, e, a) }},
		{"eval", "evaluate an agency's decision or disclosure on an input; --explain names the rules", func(e *env, a []string) error { return runPolicyEval(ctx, e, a) }},
		{"diff", "show every decision two policy versions make differently; exit 1 if disclosure widens", func(e *env, a []string) error { return runPolicyDiff(ctx, e, a) }},
		{"verify-bundle", "check a signed OPA bundle as a node would before running it", func(e *env, a []string) error { return runPolicyVerifyBundle(ctx, e, a) }},
	}, args)
}

// policyDir is the folder named by args, or the built-in policies.
func policyDir(args []string) (fs.FS, string, error) {
	switch len(args) {
	case 0:
		return policies.FS, "(built-in policies)", nil
	case 1:
		if fi, err := os.Stat(args[0]); err != nil || !fi.IsDir() {
			return nil, "", fedmatch.E("policy", fedmatch.NotFound, "%s is not a policy folder", args[0])
		}
		return os.DirFS(args[0]), args[0], nil
	}
	return nil, "", usageErr("at most one policy folder")
}

// rosterFor is the roster of the federation in dir, or the demo's.
func rosterFor(dir string) (*fedmatch.Roster, error) {
	if dir == "" {
		r := demoRoster()
		return &r, nil
	}
	t, err := certs.Load(dir, time.Now())
	if err != nil {
		return nil, err
	}
	return t.Roster(), nil
}

func runPolicyTest(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policy test", "policy test [DIR]", `
Runs every *_test.rego in DIR (a folder laid out like policies/; default the
policies built into this binary) as the stock 'opa test' does, then prints
the line coverage of each policy file. Exits non-zero if any test fails.`)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	fsys, name, err := policyDir(fs.Args())
	if err != nil {
		return err
	}
	rep, err := policy.Test(ctx, fsys)
	if err != nil {
		return err
	}
	for _, f := range rep.Failures {
		fmt.Fprintf(e.stdout, "FAIL %s\n", f)
	}
	fmt.Fprintf(e.stdout, "%s: %d passed, %d failed\n\ncoverage\n", name, rep.Passed, rep.Failed)
	files := make([]string, 0, len(rep.Coverage.Files))
	for f := range rep.Coverage.Files {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		fr := rep.Coverage.Files[f]
		fmt.Fprintf(e.stdout, "  %6.1f%%  %s (%d of %d lines)\n", fr.Coverage, f, fr.CoveredLines, fr.CoveredLines+fr.NotCoveredLines)
	}
	fmt.Fprintf(e.stdout, "  %6.1f%%  total\n", rep.Coverage.Coverage)
	if rep.Failed > 0 {
		return errReported
	}
	return nil
}

func runPolicyCheck(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policy check", "policy check [--fed DIR] [--agency ID] [POLICY_DIR]", `
Compiles each agency's policy as a node would, type-checked against
schemas/input.json (so input.reqest is an error, with file and line), then
evaluates its decision and disclose rules over the full table of inputs
drawn from the roster and the vocabularies, checking every output's shape.`)
	fed := fs.String("fed", "", "federation folder whose roster gives the requesters (default: the demo roster)")
	agency := fs.String("agency", "", "check only this agency (default: every agency folder)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	fsys, name, err := policyDir(fs.Args())
	if err != nil {
		return err
	}
	roster, err := rosterFor(*fed)
	if err != nil {
		return err
	}
	agencies := []fedmatch.AgencyID{fedmatch.AgencyID(*agency)}
	if *agency == "" {
		if agencies, err = policy.Agencies(fsys); err != nil {
			return err
		}
	}
	now := time.Now()
	for _, a := range agencies {
		if roster.Member(a) == nil {
			fmt.Fprintf(e.stdout, "skip  %s: not a member of federation %q\n", a, roster.Federation)
			continue
		}
		n, err := policy.Check(ctx, fsys, a, roster, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "ok    %s: compiles against the input schema; %d inputs, every output well formed\n", a, n)
	}
	fmt.Fprintf(e.stdout, "%s: checked\n", name)
	return nil
}

func runPolicyEval(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policy eval", "policy eval --agency ID --input FILE [--rule decision|disclose] [--explain] [POLICY_DIR]", `
Evaluates an agency's query-level decision (or, for an input that has a
"record", its disclosure) on the JSON input in FILE and prints the output.
With --explain it also lists the rules that produced it, with file and line.
The input is described in policies/schemas/input.json.`)
	agency := fs.String("agency", "", "the agency whose policy to evaluate")
	input := fs.String("input", "", "JSON input file (- for standard input)")
	rule := fs.String("rule", "", "decision or disclose (default: disclose if the input has a record)")
	explain := fs.Bool("explain", false, "list the rules that produced the output")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "agency", "input"); err != nil {
		return err
	}
	fsys, _, err := policyDir(fs.Args())
	if err != nil {
		return err
	}
	var b []byte
	if *input == "-" {
		b, err = readAll(os.Stdin)
	} else {
		b, err = os.ReadFile(*input)
	}
	if err != nil {
		return fedmatch.E("policy.Eval", fedmatch.NotFound, "%w", err)
	}
	var in map[string]any
	if err := json.Unmarshal(b, &in); err != nil {
		return fedmatch.E("policy.Eval", fedmatch.Malformed, "%s: %w", *input, err)
	}
	r := *rule
	if r == "" {
		r = "decision"
		if _, ok := in["record"]; ok {
			r = "disclose"
		}
	}
	if r != "decision" && r != "disclose" {
		return usageErr("--rule is decision or disclose")
	}
	out, fired, err := policy.Explain(ctx, fsys, fedmatch.AgencyID(*agency), r, in)
	if err != nil {
		return err
	}
	ob, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintf(e.stdout, "%s:\n%s\n", r, ob)
	if *explain {
		fmt.Fprintln(e.stdout, "\nrules that produced it (innermost first):")
		for _, f := range fired {
			fmt.Fprintf(e.stdout, "  %s\n", f)
		}
	}
	return nil
}

func runPolicyDiff(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policy diff", "policy diff [--fed DIR] OLD_DIR NEW_DIR", `
Evaluates two versions of the policies over the full table of requester x
purpose x category x match kind x record flags x record age x score, drawn
from the roster and the vocabularies, and prints only what changes, grouped.
Exits 1 when any change widens what is searched or disclosed (allowed where
it was refused, a category or field added, a lower score bar), so it can
gate a review; 0 when nothing changes or everything narrows.`)
	fed := fs.String("fed", "", "federation folder whose roster gives the requesters (default: the demo roster)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErr("policy diff: OLD_DIR and NEW_DIR are required")
	}
	oldFS, _, err := policyDir(fs.Args()[:1])
	if err != nil {
		return err
	}
	newFS, _, err := policyDir(fs.Args()[1:])
	if err != nil {
		return err
	}
	roster, err := rosterFor(*fed)
	if err != nil {
		return err
	}
	changes, err := policy.Diff(ctx, oldFS, newFS, roster, time.Now())
	if err != nil {
		return err
	}
	policy.WriteDiff(e.stdout, changes)
	widens := 0
	for _, c := range changes {
		if c.Widens {
			widens++
		}
	}
	fmt.Fprintf(e.stdout, "%d cells change, %d of them widen\n", len(changes), widens)
	if widens > 0 {
		fmt.Fprintln(e.stderr, "fedmatch: policy diff: the new version widens disclosure")
		return errReported
	}
	return nil
}

func runPolicyVerifyBundle(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "policy verify-bundle", "policy verify-bundle --fed DIR --agency ID FILE", `
Checks a signed OPA bundle as 'fedmatch node --bundle' does before running
it: the signature against the agency's certificate in the federation, every
file against its signed hash, and that the agency's policy in it compiles
against the input schema. Prints the policy revision it would serve.

Build and sign one with the stock CLI:
  opa build -b policies/ --signing-alg EdDSA --signing-key DIR/agencies/ID/key.pem -o bundle.tar.gz`)
	fed := fs.String("fed", "", "federation folder")
	agency := fs.String("agency", "", "the agency whose key signed the bundle and whose policy it carries")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "fed", "agency"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("policy verify-bundle: exactly one FILE is required")
	}
	src, err := bundleSource(*fed, fedmatch.AgencyID(*agency), fs.Arg(0))
	if err != nil {
		return err
	}
	fsys, err := src()
	if err != nil {
		return err
	}
	eng, err := policy.Load(ctx, fsys, fedmatch.AgencyID(*agency), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ok  %s: signed by %s, policy revision %s\n", fs.Arg(0), *agency, eng.Revision())
	return nil
}
