package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/review"
)

func runReview(ctx context.Context, e *env, args []string) error {
	return dispatch(e, "review", []subcommand{
		{"list", "list step-two disclosures awaiting confirmation (--all: every decision too)", runReviewList},
		{"approve", "confirm a pending step-two disclosure", func(e *env, a []string) error { return runReviewDecide(e, a, fedmatch.ReviewApproved) }},
		{"deny", "refuse a pending step-two disclosure", func(e *env, a []string) error { return runReviewDecide(e, a, fedmatch.ReviewDenied) }},
	}, args)
}

func runReviewList(e *env, args []string) error {
	fs := flags(e, "review list", "review list --data DIR [--all]", `
Lists the step-two disclosures a node's policy held for a person to confirm:
who asked, for what purpose and case, which record and which fields. The
requester sees pending_review until one is approved or denied here.`)
	data := fs.String("data", "", "the node's data directory")
	all := fs.Bool("all", false, "include decided reviews")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "data"); err != nil {
		return err
	}
	items, err := review.Open(filepath.Join(*data, review.File)).Items()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REVIEW\tSTATE\tASKED\tREQUESTER\tPURPOSE\tCASE\tRECORD\tCATEGORY\tFIELDS")
	shown := 0
	for _, it := range items {
		if !*all && it.State != fedmatch.ReviewPending {
			continue
		}
		shown++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.State, it.Time.Format(time.RFC3339), it.Requester,
			it.Purpose, it.Case, it.RecordID, it.Category, strings.Join(it.Fields, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if shown == 0 {
		fmt.Fprintln(e.stdout, "(nothing awaits review)")
	}
	return nil
}

func runReviewDecide(e *env, args []string, state string) error {
	verb := map[string]string{fedmatch.ReviewApproved: "approve", fedmatch.ReviewDenied: "deny"}[state]
	fs := flags(e, "review "+verb, "review "+verb+" --data DIR --by NAME [--reason TEXT] REVIEW", `
Records a decision on a pending step-two disclosure, with who made it. The
node applies it when the requester asks again; nothing is sent by itself.`)
	data := fs.String("data", "", "the node's data directory")
	by := fs.String("by", "", "who decides (recorded with the decision)")
	reason := fs.String("reason", "", "why (recorded with the decision)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "data", "by"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("review %s: exactly one REVIEW id is required", verb)
	}
	if err := review.Open(filepath.Join(*data, review.File)).Decide(fs.Arg(0), state, *by, *reason, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "review %s %s by %s\n", fs.Arg(0), state, *by)
	return nil
}
