package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/audit"
	"github.com/fedmatch/fedmatch/certs"
)

func runAudit(ctx context.Context, e *env, args []string) error {
	return dispatch(e, "audit", []subcommand{
		{"verify", "check the hash chain and signed checkpoints of an audit log, or of every log under a folder", runAuditVerify},
		{"show", "print a log's entries (filter with --requester, --purpose, --since, --until, --query)", runAuditShow},
		{"reconcile", "match each query's entries at requester, broker and nodes by query id", runAuditReconcile},
	}, args)
}

// auditLogs lists path itself, or every *.jsonl log under it whose name
// holds "audit".
func auditLogs(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fedmatch.E("audit", fedmatch.NotFound, "%w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".jsonl") && strings.Contains(d.Name(), "audit") {
			out = append(out, p)
		}
		return err
	})
	if err == nil && len(out) == 0 {
		err = fedmatch.E("audit", fedmatch.NotFound, "no audit logs under %s", path)
	}
	return out, err
}

// auditKeys loads the federation whose keys checkpoints must verify with:
// fed if given, else a federation/ folder (as 'fedmatch demo --dir'
// leaves) or a roster beside path. It returns nil keys when there is none.
func auditKeys(fed, path string) (audit.Keys, string, error) {
	if fed == "" {
		for _, d := range []string{filepath.Join(path, "federation"), path, filepath.Dir(path)} {
			if _, err := os.Stat(filepath.Join(d, certs.RosterFile)); err == nil {
				fed = d
				break
			}
		}
	}
	if fed == "" {
		return nil, "", nil
	}
	t, err := certs.Load(fed, time.Now())
	if err != nil {
		return nil, "", err
	}
	return t.AuditKey, fed, nil
}

func runAuditVerify(e *env, args []string) error {
	fs := flags(e, "audit verify", "audit verify [--fed DIR] PATH", `
Checks the hash chain of an audit log, or of every audit log under a
folder (such as a 'fedmatch demo --dir' folder), and the signature of
every checkpoint against the federation's keys: an edited, dropped or
reordered line is named, as is a chain rewritten whole (its checkpoints'
signatures fail). The exit status is then non-zero. The federation is
--fed, or found at PATH/federation; without one, only the chains are
checked, and the output says so.

Entries after a log's last checkpoint are protected by the chain alone:
one who can write the file could drop them unnoticed here. 'fedmatch
audit reconcile' catches that against the other parties' logs.`)
	fed := fs.String("fed", "", "federation folder whose certificates checkpoints must verify with")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("audit verify: exactly one PATH is required")
	}
	logs, err := auditLogs(fs.Arg(0))
	if err != nil {
		return err
	}
	keys, from, err := auditKeys(*fed, fs.Arg(0))
	if err != nil {
		return err
	}
	if keys == nil {
		fmt.Fprintln(e.stdout, "no federation given or found: checking hash chains only, not checkpoint signatures (give --fed DIR)")
	} else {
		fmt.Fprintf(e.stdout, "checkpoint signatures checked against the federation in %s\n", from)
	}
	bad := 0
	for _, p := range logs {
		r, err := audit.Verify(p, keys)
		if err != nil {
			bad++
			fmt.Fprintf(e.stdout, "BROKEN  %s: %v\n", p, err)
			continue
		}
		signed := "no checkpoints"
		switch {
		case r.Checkpoints == 1:
			signed = "1 checkpoint by " + r.Signer
		case r.Checkpoints > 1:
			signed = fmt.Sprintf("%d checkpoints by %s", r.Checkpoints, r.Signer)
		}
		fmt.Fprintf(e.stdout, "ok      %s: %d entries, %s, %d after the last\n", p, r.Entries, signed, r.Unsigned)
	}
	if bad > 0 {
		fmt.Fprintf(e.stderr, "fedmatch: %d of %d audit logs broken\n", bad, len(logs))
		return errReported
	}
	return nil
}

// timeFlag parses a date or an RFC 3339 time.
func timeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErr("--%s %q: want a date (2026-12-01) or an RFC 3339 time", name, v)
}

func runAuditShow(e *env, args []string) error {
	fs := flags(e, "audit show", "audit show [--requester ID] [--purpose P] [--since T] [--until T] [--query JTI] PATH",
		"Prints the entries of audit logs (a file, or every log under a folder), chains verified, oldest first.")
	requester := fs.String("requester", "", "only entries of this requester")
	purpose := fs.String("purpose", "", "only entries of this purpose")
	sinceFlag := fs.String("since", "", "only entries at or after this date or time")
	untilFlag := fs.String("until", "", "only entries before this date or time")
	query := fs.String("query", "", "only entries of this query id (jti)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("audit show: exactly one PATH is required")
	}
	since, err := timeFlag("since", *sinceFlag)
	if err != nil {
		return err
	}
	until, err := timeFlag("until", *untilFlag)
	if err != nil {
		return err
	}
	entries, err := readLogs(fs.Arg(0))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tBY\tEVENT\tQUERY\tREQUESTER\tPURPOSE\tOUTCOME\tREASON\tTARGETS\tREFS\tFIELDS")
	for _, en := range entries {
		switch {
		case *requester != "" && string(en.Requester) != *requester, *purpose != "" && string(en.Purpose) != *purpose,
			!since.IsZero() && en.Time.Before(since), !until.IsZero() && !en.Time.Before(until),
			*query != "" && en.QueryID != *query:
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", en.Time.Format(time.RFC3339), en.By, en.Event, short(en.QueryID),
			en.Requester, en.Purpose, en.Outcome, en.Reason, strings.Join(en.Targets, ","), len(en.Refs), strings.Join(en.Fields, ","))
	}
	return tw.Flush()
}

// readLogs reads every entry of the logs at path, oldest first.
func readLogs(path string) ([]*fedmatch.AuditEntry, error) {
	logs, err := auditLogs(path)
	if err != nil {
		return nil, err
	}
	var all []*fedmatch.AuditEntry
	for _, p := range logs {
		entries, err := audit.Read(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, entries...)
	}
	slices.SortStableFunc(all, func(a, b *fedmatch.AuditEntry) int { return a.Time.Compare(b.Time) })
	return all, nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func runAuditReconcile(e *env, args []string) error {
	fs := flags(e, "audit reconcile", "audit reconcile [--query JTI] PATH...", `
Reads every audit log under the PATHs (requesters', the brokers', nodes';
a 'fedmatch demo --dir' folder holds them all) and matches each query's
entries by its id (jti): what the requester recorded sending and
receiving, what the broker recorded routing to each target, and what each
target's node recorded answering. It reports, and exits non-zero on, any
query where they disagree: a status one party saw and another did not, a
node that has no record of a query the broker says it answered, a query a
node answered that the broker never routed, a requester's query the
broker has no record of. Parties whose logs are not given are not
expected to agree. With --query, every entry of that query is printed.`)
	query := fs.String("query", "", "print every entry of this query id (jti)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErr("audit reconcile: at least one PATH is required")
	}
	var all []*fedmatch.AuditEntry
	for _, p := range fs.Args() {
		entries, err := readLogs(p)
		if err != nil {
			return err
		}
		all = append(all, entries...)
	}
	rep := reconcile(all)
	if *query != "" {
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tBY\tEVENT\tOUTCOME\tTARGETS\tREFS\tFIELDS")
		for _, en := range all {
			if en.QueryID == *query {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", en.Time.Format(time.RFC3339Nano), en.By, en.Event, en.Outcome,
					strings.Join(en.Targets, ","), len(en.Refs), strings.Join(en.Fields, ","))
			}
		}
		tw.Flush()
		fmt.Fprintln(e.stdout)
	}
	for _, d := range rep.Problems {
		fmt.Fprintf(e.stdout, "MISMATCH  %s  %s\n", d.QueryID, d.What)
	}
	fmt.Fprintf(e.stdout, "%d queries across %d parties (%s): %d consistent, %d with mismatches\n",
		rep.Queries, len(rep.Parties), strings.Join(rep.Parties, ", "), rep.Queries-rep.Bad, rep.Bad)
	if rep.Bad > 0 {
		return errReported
	}
	return nil
}

// reconciliation is what reconcile found.
type reconciliation struct {
	Queries, Bad int
	Parties      []string
	Problems     []mismatch
}

type mismatch struct{ QueryID, What string }

// role is the part an entry's writer played: "requester", "broker" or
// "node".
func role(e *fedmatch.AuditEntry) string {
	switch {
	case strings.HasPrefix(e.Event, "request."):
		return "requester"
	case strings.HasPrefix(e.Event, "broker."):
		return "broker"
	}
	return "node"
}

// reconcile matches entries by query id across the parties that wrote
// them: each writer (AuditEntry.By) in each role.
func reconcile(all []*fedmatch.AuditEntry) reconciliation {
	parties := map[string]bool{} // role + " " + writer
	byQuery := map[string][]*fedmatch.AuditEntry{}
	var order []string
	for _, e := range all {
		if e.By != "" {
			parties[role(e)+" "+e.By] = true
		}
		if e.QueryID == "" {
			continue // a token too broken to name its query
		}
		if byQuery[e.QueryID] == nil {
			order = append(order, e.QueryID)
		}
		byQuery[e.QueryID] = append(byQuery[e.QueryID], e)
	}
	var rep reconciliation
	for p := range parties {
		rep.Parties = append(rep.Parties, p)
	}
	slices.Sort(rep.Parties)
	for _, id := range order {
		rep.Queries++
		problems := reconcileQuery(byQuery[id], parties)
		for _, p := range problems {
			rep.Problems = append(rep.Problems, mismatch{id, p})
		}
		if len(problems) > 0 {
			rep.Bad++
		}
	}
	return rep
}

// reconcileQuery checks one query's entries.
func reconcileQuery(entries []*fedmatch.AuditEntry, parties map[string]bool) []string {
	var req, brk *fedmatch.AuditEntry
	nodes := map[string]*fedmatch.AuditEntry{} // by node: its entry
	for _, e := range entries {
		switch role(e) {
		case "requester": // a token sent twice is recorded twice: keep the answered one
			if req == nil || req.Outcome != "answered" {
				req = e
			}
		case "broker":
			brk = e
		default:
			nodes[e.By] = e
		}
	}
	var out []string
	if brk != nil {
		for _, t := range brk.Targets {
			a, status, signed := fedmatch.ParseAuditOutcome(t)
			n := nodes[a]
			switch {
			case !signed || !parties["node "+a]:
			case n == nil:
				out = append(out, fmt.Sprintf("the broker reports %s=%s, but %s's log has no entry of this query", a, status, a))
			case n.Outcome != status:
				out = append(out, fmt.Sprintf("the broker reports %s=%s, %s's log says %s", a, status, a, n.Outcome))
			}
		}
	} else if parties["broker "+certs.Broker] {
		for a := range nodes {
			out = append(out, fmt.Sprintf("%s answered a query the broker has no record of routing", a))
		}
		if req != nil && req.Outcome == "answered" {
			out = append(out, "the requester received answers to a query the broker has no record of")
		}
	}
	seen := map[string]string{} // what the requester received, by node
	if req != nil && req.Outcome == "answered" {
		for _, t := range req.Targets {
			a, status, signed := fedmatch.ParseAuditOutcome(t)
			seen[a] = status
			if signed && parties["node "+a] && nodes[a] == nil {
				out = append(out, fmt.Sprintf("the requester received %s's signed %s, but %s's log has no entry of this query", a, status, a))
			}
		}
		// Requester and node, whatever the broker says: a node's signed
		// answer either reached the requester as it was or it did not.
		for a, n := range nodes {
			if got, ok := seen[a]; ok && !strings.Contains(n.Event, ".") && got != n.Outcome {
				out = append(out, fmt.Sprintf("%s's log says %s, the requester received %s", a, n.Outcome, got))
			}
		}
	}
	if req != nil && brk != nil && req.Outcome == "answered" {
		for _, t := range brk.Targets {
			a, status, _ := fedmatch.ParseAuditOutcome(t)
			if got, ok := seen[a]; ok && got != status && got != string(fedmatch.StatusError) {
				out = append(out, fmt.Sprintf("the broker reports %s=%s, the requester received %s", a, status, got))
			}
		}
	}
	if req == nil && brk != nil && parties["requester "+string(brk.Requester)] {
		out = append(out, fmt.Sprintf("the broker routed it, but %s's requester log has no entry", brk.Requester))
	}
	slices.Sort(out)
	return out
}
