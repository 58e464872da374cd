package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/wire"
)

// TestFederation_StepTwoReview: a step-two disclosure the UK's policy holds
// for review is pending until an officer approves it with `fedmatch review`;
// a denial is refused; a new case needs a new review.
func TestFederation_StepTwoReview(t *testing.T) {
	f := mustTestFed(t)
	ctx, gbDir := f.ctx, f.dataDir(gb)
	defer f.node(gb, nil, nil).Close()
	f.broker()
	rq := f.requester(us)

	res, err := rq.Ask(ctx, &wire.QueryRequest{Purpose: fedmatch.BorderAdmission, Basis: "gb-us-2026", Targets: []fedmatch.AgencyID{gb},
		Probe: fedmatch.Probe{Surname: "Mansour", GivenNames: "Karim", DateOfBirth: "1988-01-09"}})
	require_True(t, err == nil && res.Nodes[0].Status == fedmatch.StatusHit, "step one: %v %+v", err, res)
	ref := res.Nodes[0].Answer.Hits[0].Ref
	stepTwo := func(caseRef string) fedmatch.NodeResult {
		t.Helper()
		res, err := rq.Ask(ctx, &wire.QueryRequest{Purpose: fedmatch.BorderAdmission, Basis: "gb-us-2026", Case: caseRef,
			Targets: []fedmatch.AgencyID{gb}, Ref: ref})
		require_True(t, err == nil, "step two: %v", err)
		return res.Nodes[0]
	}
	nr := stepTwo("CASE-1")
	require_True(t, nr.Status == fedmatch.StatusPendingReview && len(nr.Answer.Hits[0].Fields) == 0, "first step two: %s %+v", nr.Status, nr.Answer)
	nr = stepTwo("CASE-1")
	require_True(t, nr.Status == fedmatch.StatusPendingReview, "asking again before review: %s", nr.Status)

	out, err := runOut(t, "review", "list", "--data", gbDir)
	require_True(t, err == nil && strings.Contains(out, "CASE-1") && strings.Contains(out, "GB-DEMO-3"), "review list: %v\n%s", err, out)
	id := regexp.MustCompile(`(?m)^(\S+)\s+pending`).FindStringSubmatch(out)
	require_True(t, id != nil, "no pending review in:\n%s", out)
	// Operators pass ids as arguments: one starting with "-" would be taken for a flag.
	require_True(t, regexp.MustCompile(`^[0-9a-f]+$`).MatchString(id[1]), "review id %q is not hex", id[1])
	_, err = runOut(t, "review", "approve", "--data", gbDir, id[1])
	require_True(t, err != nil && strings.Contains(err.Error(), "--by"), "approve without --by: %v", err)
	out, err = runOut(t, "review", "approve", "--data", gbDir, "--by", "HEO J. Smith", id[1])
	require_True(t, err == nil, "approve: %v\n%s", err, out)
	_, err = runOut(t, "review", "deny", "--data", gbDir, "--by", "x", id[1])
	require_True(t, fedmatch.IsCode(err, fedmatch.Exists), "second decision: %v", err)

	nr = stepTwo("CASE-1")
	require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer.Hits[0].Fields["surname"] == "Mansour", "after approval: %s %+v", nr.Status, nr.Answer)

	// A new case is a new review; denied, it is refused.
	nr = stepTwo("CASE-2")
	require_True(t, nr.Status == fedmatch.StatusPendingReview, "new case: %s", nr.Status)
	out, _ = runOut(t, "review", "list", "--data", gbDir)
	id = regexp.MustCompile(`(?m)^(\S+)\s+pending`).FindStringSubmatch(out)
	require_True(t, id != nil, "no pending review for CASE-2:\n%s", out)
	_, err = runOut(t, "review", "deny", "--data", gbDir, "--by", "HEO J. Smith", "--reason", "no basis", id[1])
	require_True(t, err == nil, "deny: %v", err)
	nr = stepTwo("CASE-2")
	require_True(t, nr.Status == fedmatch.StatusRefused && nr.Reason == "review_denied", "after denial: %s %s", nr.Status, nr.Reason)
}
