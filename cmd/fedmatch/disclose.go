package main

import (
	"context"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/wire"
)

func runDisclose(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "disclose", "disclose --fed DIR --agency ID --target ID --ref REF --purpose P --basis AGREEMENT --case CASE", `
Step two: asks the node that returned a hit for more about it, naming the
hit by the reference it gave. A case reference is required. The node checks
the request as it checks a query (signature, agreement, policy), opens the
reference (it only opens for the agency it was issued to) and discloses what
its policy allows at step two; the answer is verified here before it is shown.`)
	url := fs.String("nats", "nats://127.0.0.1:4222", "NATS server URL")
	fed := fs.String("fed", "", "federation folder holding the agency's key")
	agency := fs.String("agency", "", "the requesting agency")
	target := fs.String("target", "", "the node that returned the hit")
	ref := fs.String("ref", "", "the hit's reference")
	purpose := fs.String("purpose", "", "purpose of the request")
	basis := fs.String("basis", "", "id of the agreement the request is made under")
	caseRef := fs.String("case", "", "the requester's case reference (required)")
	asJSON := fs.Bool("json", false, "print the verified result as JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the broker")
	auditPath := fs.String("audit", "", "record the request in this requester audit log (one process at a time)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if err := required(fs, "fed", "agency", "target", "ref", "purpose", "basis", "case"); err != nil {
		return err
	}
	q := &wire.QueryRequest{Purpose: fedmatch.Purpose(*purpose), Basis: *basis, Case: *caseRef,
		Targets: []fedmatch.AgencyID{fedmatch.AgencyID(*target)}, Ref: *ref}
	return ask(ctx, e, *url, *fed, fedmatch.AgencyID(*agency), *timeout, q, *asJSON, *auditPath)
}
