package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/audit"
	"github.com/fedmatch/fedmatch/wire"
)

// TestFederation_PolicyReloadUnderLoad edits a node's policy while queries
// stream in: every query is answered; each answer names the revision that
// decided it and discloses what that revision allows; a broken edit is
// reported while the previous revision keeps serving.
func TestFederation_PolicyReloadUnderLoad(t *testing.T) {
	f := mustTestFed(t)
	ctx := f.ctx
	polDir, watch := f.editablePolicies()
	polFile := filepath.Join(polDir, string(us), "policy.rego")
	original, _ := os.ReadFile(polFile)
	n := f.node(us, nil, watch)
	defer n.Close()
	f.broker()
	rq := f.requester(gb)
	rev1 := n.Policy.Status().Revision

	type outcome struct {
		status   fedmatch.Status
		revision string
		surname  bool
		err      error
	}
	var mu sync.Mutex
	var got []outcome
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := rq.Ask(ctx, &wire.QueryRequest{Purpose: fedmatch.VisaApplication, Basis: "prum-border",
					Targets: []fedmatch.AgencyID{us}, Probe: fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}})
				o := outcome{err: err}
				if err == nil {
					o.status = res.Nodes[0].Status
					if a := res.Nodes[0].Answer; a != nil {
						o.revision = a.Revision
						if len(a.Hits) > 0 {
							_, o.surname = a.Hits[0].Fields["surname"]
						}
					}
				}
				mu.Lock()
				got = append(got, o)
				mu.Unlock()
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			require_True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("queries under the first revision", func() bool { return count() >= 50 })

	// A valid edit: the UK's visa checks now get reference and category only.
	narrowed := strings.Replace(string(original), `"visa-application": lib.fields_identity,`, `"visa-application": lib.fields_reference,`, 1)
	require_True(t, narrowed != string(original), "edit did not apply")
	require_True(t, os.WriteFile(polFile, []byte(narrowed), 0o644) == nil, "write")
	waitFor("the edit to be loaded", func() bool { return n.Policy.Status().Revision != rev1 })
	rev2 := n.Policy.Status().Revision
	at := count()
	waitFor("queries under the second revision", func() bool { return count() >= at+50 })

	// A broken edit: rejected, reported, and the second revision serves on.
	require_True(t, os.WriteFile(polFile, []byte(narrowed+"\ndisclose := {\n"), 0o644) == nil, "write")
	waitFor("the broken edit to be reported", func() bool { return n.Policy.Status().LastError != "" })
	at = count()
	waitFor("queries after the broken edit", func() bool { return count() >= at+50 })
	close(done)
	wg.Wait()

	by := map[string]int{}
	for i, o := range got {
		require_True(t, o.err == nil && o.status == fedmatch.StatusHit, "query %d: %v %s", i, o.err, o.status)
		switch o.revision {
		case rev1:
			require_True(t, o.surname, "query %d decided by %s disclosed no surname", i, rev1)
		case rev2:
			require_True(t, !o.surname, "query %d decided by %s disclosed a surname", i, rev2)
		default:
			t.Fatalf("query %d names revision %q, neither %s nor %s", i, o.revision, rev1, rev2)
		}
		by[o.revision]++
	}
	require_True(t, n.Policy.Status().Revision == rev2, "serving %s after the broken edit, want %s", n.Policy.Status().Revision, rev2)
	require_True(t, by[rev1] >= 50 && by[rev2] >= 100, "answers per revision: %v", by)

	// The audit log names the same revisions, one entry per answer.
	n.Close()
	entries, err := audit.Read(filepath.Join(f.dataDir(us), auditFile))
	require_True(t, err == nil, "audit: %v", err)
	audited := map[string]int{}
	for _, en := range entries {
		audited[en.Revision]++
	}
	require_True(t, audited[rev1] == by[rev1] && audited[rev2] == by[rev2], "audited %v, answered %v", audited, by)
	t.Logf("%d queries: %v", len(got), by)
}
