package main

import (
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/wire"
)

// TestFederation_Revocation revokes the UK by the federation's CRL while
// the federation runs, and shows its queries refused within one reload:
// by every node even when the broker has not caught up, and by the broker.
func TestFederation_Revocation(t *testing.T) {
	const reload = 50 * time.Millisecond
	ask := func(f *testFed) (*fedmatch.Result, error) {
		return f.requester(gb).Ask(f.ctx, &wire.QueryRequest{Purpose: fedmatch.VisaApplication, Basis: "prum-border",
			Targets: []fedmatch.AgencyID{us, de}, Probe: fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}})
	}
	waitFor := func(t *testing.T, what string, ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !ok() {
			require_True(t, time.Since(start) < 10*time.Second, "timed out waiting for %s", what)
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(start)
	}

	t.Run("every node refuses, whatever the broker lets through", func(t *testing.T) {
		f := mustTestFed(t)
		for _, a := range []fedmatch.AgencyID{us, de} {
			defer f.node(a, nil, func(o *nodeOptions) { o.TrustInterval = reload }).Close()
		}
		f.brokerWith(func(o *brokerOptions) { o.TrustInterval = time.Hour }) // a broker that has not caught up
		res, err := ask(f)
		require_True(t, err == nil && res.Nodes[0].Status == fedmatch.StatusHit, "before: %v %+v", err, res)
		require_True(t, certs.Revoke(f.fedDir, gb, time.Now()) == nil, "revoke")
		took := waitFor(t, "both nodes to refuse the UK", func() bool {
			res, err := ask(f)
			require_True(t, err == nil, "the stale broker refused: %v", err)
			for _, nr := range res.Nodes {
				if nr.Status != fedmatch.StatusError || nr.Reason != fedmatch.UnknownAgency.String() {
					return false
				}
			}
			return true
		})
		t.Logf("nodes refused the revoked agency %s after the CRL was written (reload every %s)", took, reload)
	})

	t.Run("the broker refuses", func(t *testing.T) {
		f := mustTestFed(t)
		for _, a := range []fedmatch.AgencyID{us, de} {
			defer f.node(a, nil, nil).Close()
		}
		f.brokerWith(func(o *brokerOptions) { o.TrustInterval = reload })
		_, err := ask(f)
		require_True(t, err == nil, "before: %v", err)
		out, err := runCmd(f, "certs", "revoke", "--dir", f.fedDir, "--agency", string(gb))
		require_True(t, err == nil, "certs revoke: %v %s", err, out)
		took := waitFor(t, "the broker to refuse the UK", func() bool {
			_, err := ask(f)
			return fedmatch.IsCode(err, fedmatch.UnknownAgency)
		})
		t.Logf("the broker refused the revoked agency %s after the CRL was written (reload every %s)", took, reload)
	})
}
