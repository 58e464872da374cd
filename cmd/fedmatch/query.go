package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/wire"
)

// docsFlag collects repeated --doc STATE:NUMBER values.
type docsFlag []fedmatch.Document

// String implements flag.Value; the default shown is empty.
func (d *docsFlag) String() string { return "" }

// Set parses one STATE:NUMBER value.
func (d *docsFlag) Set(s string) error {
	state, num, ok := strings.Cut(s, ":")
	if !ok || state == "" || num == "" {
		return fmt.Errorf("want STATE:NUMBER (e.g. GBR:123456789), got %q", s)
	}
	*d = append(*d, fedmatch.Document{IssuingState: strings.ToUpper(state), Number: num})
	return nil
}

func runQuery(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "query", "query --fed DIR --agency ID --targets ID,... --purpose P --basis AGREEMENT [probe flags]", `
Signs a match query with the agency's key, sends it to the broker and
prints each target's status. Every answer is verified here (signature,
issuer, audience, query id) before it is shown; one that does not verify
is reported as an error, never trusted.

The probe is given by flags (--surname, --given, --dob, --doc ...), as a
JSON file with --probe, or read from a document's MRZ with --mrz. Purposes: `+purposeList())
	url := fs.String("nats", "nats://127.0.0.1:4222", "NATS server URL")
	fed := fs.String("fed", "", "federation folder holding the agency's key")
	agency := fs.String("agency", "", "the requesting agency")
	targets := fs.String("targets", "", "comma-separated agencies to ask")
	purpose := fs.String("purpose", "", "purpose of the query")
	basis := fs.String("basis", "", "id of the agreement the query is made under")
	caseRef := fs.String("case", "", "the requester's case reference")
	surname := fs.String("surname", "", "probe: surname")
	givenNames := fs.String("given", "", "probe: given names")
	dob := fs.String("dob", "", "probe: date of birth, YYYY, YYYY-MM or YYYY-MM-DD")
	sex := fs.String("sex", "", "probe: sex (M, F, X)")
	nat := fs.String("nationality", "", "probe: nationality (ICAO code)")
	address := fs.String("address", "", "probe: home address, as written (\"12 High Street, Leeds\")")
	probeFile := fs.String("probe", "", "probe as a JSON file (instead of the probe flags)")
	mrzFile := fs.String("mrz", "", "probe from a document's machine-readable zone, as text in FILE (- for standard input)")
	lenient := fs.Bool("lenient", false, "with --mrz: correct OCR-confusable characters when that makes a check digit pass")
	var docs docsFlag
	fs.Var(&docs, "doc", "probe: a document STATE:NUMBER (repeatable)")
	asJSON := fs.Bool("json", false, "print the verified result as JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the broker")
	auditPath := fs.String("audit", "", "record the query in this requester audit log (one process at a time)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "fed", "agency", "targets", "purpose", "basis"); err != nil {
		return err
	}
	tids, err := agencyList(*targets)
	if err != nil {
		return err
	}
	probe := fedmatch.Probe{Surname: *surname, GivenNames: *givenNames, Sex: *sex, Nationality: *nat, Address: *address, Documents: docs}
	if probe.DateOfBirth, err = fedmatch.ParseDate(*dob); err != nil {
		return usageErr("--dob: %v", err)
	}
	if *mrzFile != "" {
		m, err := readMRZ(*mrzFile, *lenient)
		if err != nil {
			return err
		}
		probe = m.Probe(time.Now())
	}
	if *probeFile != "" {
		b, err := os.ReadFile(*probeFile)
		if err != nil {
			return fedmatch.E("query", fedmatch.NotFound, "%w", err)
		}
		probe = fedmatch.Probe{}
		if err := json.Unmarshal(b, &probe); err != nil {
			return fedmatch.E("query", fedmatch.Malformed, "%s: %w", *probeFile, err)
		}
	}
	q := &wire.QueryRequest{Purpose: fedmatch.Purpose(*purpose), Basis: *basis, Case: *caseRef, Targets: tids, Probe: probe}
	return ask(ctx, e, *url, *fed, fedmatch.AgencyID(*agency), *timeout, q, *asJSON, *auditPath)
}

// ask signs q as agency, sends it through the broker at url, and prints
// the verified result as a table or JSON.
func ask(ctx context.Context, e *env, url, fed string, agency fedmatch.AgencyID, timeout time.Duration, q *wire.QueryRequest, asJSON bool, auditPath string) error {
	nc, err := connectAgency(url, fed, agency, "fedmatch-requester-"+string(agency), e.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	req, closeLog, err := newRequester(fed, agency, nc, auditPath)
	if err != nil {
		return err
	}
	defer closeLog()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := req.Ask(ctx, q)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return printResult(e.stdout, res)
}

// printResult prints a verified result: a line per node, then each hit.
func printResult(w io.Writer, res *fedmatch.Result) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "query %s\n\nNODE\tSTATUS\tREASON\tHITS\n", res.QueryID)
	var hits []string
	for _, nr := range res.Nodes {
		n := 0
		if nr.Answer != nil {
			n = len(nr.Answer.Hits)
			for _, h := range nr.Answer.Hits {
				hits = append(hits, fmt.Sprintf("%s  ref %s  %s %.3f%s\n    %s", nr.Agency, h.Ref, h.Kind, h.Score, falseDocument(h), formatFields(h.Fields)))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", nr.Agency, nr.Status, nr.Reason, n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(hits) > 0 {
		fmt.Fprintf(w, "\nHITS (verified; only the fields each node's policy disclosed)\n%s\n", strings.Join(hits, "\n"))
	}
	return nil
}

// formatFields renders disclosed fields as key=value in the order of
// fedmatch.DisclosableFields; documents as STATE:NUMBER[/status].
func formatFields(f map[string]any) string {
	if len(f) == 0 {
		return "(hit/no-hit only)"
	}
	var parts []string
	for _, k := range fedmatch.DisclosableFields() {
		v, ok := f[k]
		if !ok {
			continue
		}
		b, _ := json.Marshal(v)
		s := strings.Trim(string(b), `"`)
		var ds []fedmatch.Document
		var list []string
		if json.Unmarshal(b, &list) == nil {
			s = strings.Join(list, ",")
		}
		if k == "documents" && json.Unmarshal(b, &ds) == nil {
			var out []string
			for _, d := range ds {
				out = append(out, strings.TrimSuffix(d.IssuingState+":"+d.Number+"/"+d.Status, "/"))
			}
			s = strings.Join(out, ",")
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, " ")
}

// falseDocument flags a hit on a document reported lost, stolen or
// fraudulent, for the officer's screen.
func falseDocument(h fedmatch.Hit) string {
	if h.DocumentStatus == "" {
		return ""
	}
	return "  FALSE DOCUMENT: reported " + strings.ToUpper(h.DocumentStatus)
}
