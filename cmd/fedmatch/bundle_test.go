package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/policies"
	"github.com/fedmatch/fedmatch/wire"
)

// TestFederation_SignedBundle runs a node from a signed bundle: it serves
// the signed policy, refuses a replacement signed by another agency while
// the old one keeps serving, and takes a properly signed new version.
func TestFederation_SignedBundle(t *testing.T) {
	f := mustTestFed(t)
	ctx, root, fedDir := f.ctx, f.root, f.fedDir
	key := func(id fedmatch.AgencyID) string {
		return filepath.Join(fedDir, certs.AgenciesDir, string(id), certs.KeyFile)
	}
	bundleFile := filepath.Join(root, "bundle.tar.gz")
	write := func(b []byte) {
		t.Helper()
		tmp := bundleFile + ".tmp"
		require_True(t, os.WriteFile(tmp, b, 0o644) == nil && os.Rename(tmp, bundleFile) == nil, "write bundle")
	}
	write(testfed.MustBundle(t, policies.FS, key(us), nil))

	src, err := bundleSource(fedDir, us, bundleFile)
	require_True(t, err == nil, "bundleSource: %v", err)
	first, err := src()
	require_True(t, err == nil, "first read: %v", err)
	n := f.node(us, nil, func(o *nodeOptions) { o.Policies, o.Source, o.Watch = first, src, 10*time.Millisecond })
	defer n.Close()
	f.broker()
	rq := f.requester(gb)
	ask := func() fedmatch.NodeResult {
		t.Helper()
		res, err := rq.Ask(ctx, &wire.QueryRequest{Purpose: fedmatch.VisaApplication, Basis: "prum-border", Targets: []fedmatch.AgencyID{us},
			Probe: fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}})
		require_True(t, err == nil, "Ask: %v", err)
		return res.Nodes[0]
	}
	rev1 := n.Policy.Status().Revision
	nr := ask()
	require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer.Revision == rev1, "from the bundle: %s %+v", nr.Status, nr.Answer)

	// The UK signs a "policy" for the US node: refused, the old one serves on.
	write(testfed.MustBundle(t, policies.FS, key(gb), nil))
	deadline := time.Now().Add(10 * time.Second)
	for n.Policy.Status().LastError == "" {
		require_True(t, time.Now().Before(deadline), "foreign-signed bundle not reported")
		time.Sleep(5 * time.Millisecond)
	}
	require_True(t, strings.Contains(n.Policy.Status().LastError, "signature"), "error: %s", n.Policy.Status().LastError)
	nr = ask()
	require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer.Revision == rev1, "after a refused bundle: %s %+v", nr.Status, nr.Answer)

	// DHS signs a new version: it serves.
	edited := fstest.MapFS{}
	for p, f := range libFS(t) {
		edited[p] = f
	}
	b, _ := os.ReadFile("../../policies/us-dhs/policy.rego")
	p, _ := os.ReadFile("../../policies/us-dhs/partners.rego")
	edited["us-dhs/policy.rego"] = &fstest.MapFile{Data: []byte(strings.Replace(string(b), `"visa-application": lib.fields_identity,`, `"visa-application": lib.fields_reference,`, 1))}
	edited["us-dhs/partners.rego"] = &fstest.MapFile{Data: p}
	write(testfed.MustBundle(t, edited, key(us), nil))
	for n.Policy.Status().Revision == rev1 {
		require_True(t, time.Now().Before(deadline), "new signed bundle not loaded")
		time.Sleep(5 * time.Millisecond)
	}
	nr = ask()
	require_True(t, nr.Status == fedmatch.StatusHit && nr.Answer.Revision != rev1 && len(nr.Answer.Hits[0].Fields) == 1,
		"new version: %s %+v", nr.Status, nr.Answer)
}
