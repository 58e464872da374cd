package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/audit"
)

func runAudit(ctx context.Context, e *env, args []string) error {
	return dispatch(e, "audit", []subcommand{
		{"verify", "check the hash chain of an audit log, or of every log under a folder", runAuditVerify},
		{"show", "print a log's entries (filter with --requester, --purpose)", runAuditShow},
	}, args)
}

// auditLogs lists path itself, or every *.jsonl log under it whose name
// starts with "audit" or ends in "-audit.jsonl".
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
	return out, err
}

func runAuditVerify(e *env, args []string) error {
	fs := flags(e, "audit verify", "audit verify PATH", `
Checks the hash chain of an audit log, or of every audit log under a
folder (such as a 'fedmatch demo --dir' folder). An edited, dropped or
reordered entry is named by line; the exit status is then non-zero.`)
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
	if len(logs) == 0 {
		return fedmatch.E("audit.Verify", fedmatch.NotFound, "no audit logs under %s", fs.Arg(0))
	}
	bad := 0
	for _, p := range logs {
		n, err := audit.Verify(p)
		if err != nil {
			bad++
			fmt.Fprintf(e.stdout, "BROKEN  %s: %v\n", p, err)
			continue
		}
		fmt.Fprintf(e.stdout, "ok      %s: %d entries\n", p, n)
	}
	if bad > 0 {
		fmt.Fprintf(e.stderr, "fedmatch: %d of %d audit logs broken\n", bad, len(logs))
		return errReported
	}
	return nil
}

func runAuditShow(e *env, args []string) error {
	fs := flags(e, "audit show", "audit show [--requester ID] [--purpose P] PATH", "Prints the entries of a verified audit log.")
	requester := fs.String("requester", "", "only entries of this requester")
	purpose := fs.String("purpose", "", "only entries of this purpose")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("audit show: exactly one PATH is required")
	}
	entries, err := audit.Read(fs.Arg(0))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tQUERY\tREQUESTER\tPURPOSE\tOUTCOME\tREASON\tREFS\tFIELDS")
	for _, en := range entries {
		if *requester != "" && string(en.Requester) != *requester || *purpose != "" && string(en.Purpose) != *purpose {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", en.Time.Format(time.RFC3339), en.Event, short(en.QueryID),
			en.Requester, en.Purpose, en.Outcome, en.Reason, len(en.Refs), strings.Join(en.Fields, ","))
	}
	return tw.Flush()
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
