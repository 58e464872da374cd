package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/policies"
	"github.com/fedmatch/fedmatch/wire"
)

// TestFederation_QuotaAndPartnerSwitch: a daily quota counted by the node
// holds across a node restart, and a partner switch in partners.rego takes
// effect on the next reload.
func TestFederation_QuotaAndPartnerSwitch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, _ := testEnv(t)
	root := t.TempDir()
	fedDir := filepath.Join(root, "federation")
	require_True(t, certs.Init(fedDir, certs.InitOptions{Roster: demoRoster()}) == nil, "certs.Init")
	polDir := filepath.Join(root, "policies")
	require_True(t, os.CopyFS(polDir, policies.FS) == nil, "copy policies")
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

	srv, err := bus.RunEmbedded(bus.EmbeddedOptions{})
	require_True(t, err == nil, "RunEmbedded: %v", err)
	defer srv.Shutdown()
	nc, err := bus.Connect(srv.ClientURL(), "test", e.log)
	require_True(t, err == nil, "Connect: %v", err)
	defer nc.Close()
	gbDir := filepath.Join(root, "gb")
	require_True(t, importRecords(gbDir, scripted(time.Now())[gb]) == nil, "import")
	start := func() *runningNode {
		n, err := startNode(ctx, nodeOptions{FedDir: fedDir, DataDir: gbDir, Agency: gb, Policies: os.DirFS(polDir), Source: policy.DirSource(os.DirFS(polDir)),
			Watch: 10 * time.Millisecond, NC: nc, Log: e.log})
		require_True(t, err == nil, "startNode: %v", err)
		return n
	}
	n := start()
	stop, err := startBroker(ctx, brokerOptions{FedDir: fedDir, Timeout: 5 * time.Second, NC: nc, Log: e.log})
	require_True(t, err == nil, "startBroker: %v", err)
	defer stop()
	rq, err := newRequester(fedDir, us, nc)
	require_True(t, err == nil, "requester: %v", err)
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
	n = start()
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
