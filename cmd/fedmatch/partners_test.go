package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/wire"
)

// TestFederation_QuotaAndPartnerSwitch: a daily quota counted by the node
// holds across a node restart, and a partner switch in partners.rego takes
// effect on the next reload.
func TestFederation_QuotaAndPartnerSwitch(t *testing.T) {
	f := mustTestFed(t)
	ctx := f.ctx
	polDir, watch := f.editablePolicies()
	partners := filepath.Join(polDir, string(gb), "partners.rego")
	orig, _ := os.ReadFile(partners)
	edit := func(old, new string) {
		t.Helper()
		b, _ := os.ReadFile(partners)
		s := strings.Replace(string(b), old, new, 1)
		require_True(t, s != string(b), "edit %q changed nothing", old)
		require_True(t, os.WriteFile(partners, []byte(s), 0o644) == nil, "write")
	}
	// The UK allows the US two border checks a day.
	edit("quota := {\n", "quota := {\n\t\"us-dhs\": {\"border-admission\": 2},\n")

	n := f.node(gb, nil, watch)
	f.broker()
	rq := f.requester(us)
	ask := func() fedmatch.NodeResult {
		t.Helper()
		res, err := rq.Ask(ctx, &wire.QueryRequest{Purpose: fedmatch.BorderAdmission, Basis: "gb-us-2026", Targets: []fedmatch.AgencyID{gb},
			Probe: fedmatch.Probe{Documents: []fedmatch.Document{{Number: "FK1234567", IssuingState: "UKR"}}}})
		require_True(t, err == nil, "Ask: %v", err)
		return res.Nodes[0]
	}
	for i := range 2 {
		nr := ask()
		require_True(t, nr.Status == fedmatch.StatusHit, "query %d: %s %s", i+1, nr.Status, nr.Reason)
	}
	nr := ask()
	require_True(t, nr.Status == fedmatch.StatusRefused && nr.Reason == "quota_exceeded", "third query: %s %s", nr.Status, nr.Reason)

	// A restart does not reset the count: the node re-reads its audit log.
	n.Close()
	n = f.start(gb, watch)
	defer func() { n.Close() }()
	nr = ask()
	require_True(t, nr.Status == fedmatch.StatusRefused && nr.Reason == "quota_exceeded", "after restart: %s %s", nr.Status, nr.Reason)

	// Lift the quota and switch the US to hit-only: effective on the next reload.
	require_True(t, os.WriteFile(partners, orig, 0o644) == nil, "restore")
	edit(`"us-dhs": "active",`, `"us-dhs": "hit-only",`)
	rev := n.Policy.Status().Revision
	deadline := time.Now().Add(10 * time.Second)
	for n.Policy.Status().Revision == rev {
		require_True(t, time.Now().Before(deadline), "edit not reloaded")
		time.Sleep(5 * time.Millisecond)
	}
	nr = ask()
	require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer != nil && len(nr.Answer.Hits[0].Fields) == 0,
		"hit-only: %s %+v", nr.Status, nr.Answer)

	edit(`"us-dhs": "hit-only",`, `"us-dhs": "suspended",`)
	rev = n.Policy.Status().Revision
	for n.Policy.Status().Revision == rev {
		require_True(t, time.Now().Before(deadline), "edit not reloaded")
		time.Sleep(5 * time.Millisecond)
	}
	nr = ask()
	require_True(t, nr.Status == fedmatch.StatusRefused && nr.Reason == "partner_suspended", "suspended: %s %s", nr.Status, nr.Reason)
}
