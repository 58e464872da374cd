package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedmatch/fedmatch"
)

// runCmd runs fedmatch with args and returns its standard output.
func runCmd(f *testFed, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(f.ctx, args, f.e.getenv, &out, f.e.stderr)
	return out.String(), err
}

// TestAudit_VerifyShowReconcile runs every demo scenario through a real
// federation, stops it, and then audits what it left: requesters', the
// broker's and the nodes' logs verify with their signed checkpoints, hold
// no probe or disclosed value, reconcile by query id, and an edit or a
// dropped entry is caught.
func TestAudit_VerifyShowReconcile(t *testing.T) {
	f := mustTestFed(t)
	var closers []func()
	for _, a := range []fedmatch.AgencyID{gb, us, de} {
		closers = append(closers, f.node(a, nil, nil).Close)
	}
	closers = append(closers, f.broker())
	secrets := secretSet{}
	for _, sc := range scenarios() {
		secrets.addProbe(sc.q.Probe)
		res, err := askScenario(f.ctx, f.requester(sc.from), sc)
		if sc.wantErr != 0 {
			continue
		}
		require_True(t, err == nil, "%s: %v", sc.title, err)
		for _, nr := range res.Nodes {
			if nr.Answer == nil {
				continue
			}
			for _, h := range nr.Answer.Hits {
				secrets.addFields(h)
			}
		}
	}
	for _, c := range closers {
		c()
	}
	for _, c := range f.closeReqs {
		c()
	}
	require_True(t, secrets["Okafor"] && secrets["Petrenko"], "the scenarios disclosed too little to test: %v", secrets)

	out, err := runCmd(f, "audit", "verify", f.root)
	require_True(t, err == nil, "audit verify: %v\n%s", err, out)
	for _, want := range []string{"checkpoint signatures checked", "by us-dhs", "by broker",
		"by gb-home-office, 0 after the last", "requests"} {
		require_True(t, strings.Contains(out, want), "audit verify output lacks %q:\n%s", want, out)
	}

	// No log holds a probe or a disclosed value: digests and field names only.
	logs, err := auditLogs(f.root)
	require_True(t, err == nil && len(logs) >= 6, "logs: %v %v", logs, err)
	for _, p := range logs {
		b, _ := os.ReadFile(p)
		for s := range secrets {
			require_True(t, !bytes.Contains(b, []byte(s)), "%s holds %q", p, s)
		}
	}

	out, err = runCmd(f, "audit", "reconcile", f.root)
	require_True(t, err == nil && strings.Contains(out, ", 0 with mismatches"), "audit reconcile: %v\n%s", err, out)
	require_True(t, strings.Contains(out, "node us-dhs") && strings.Contains(out, "requester gb-home-office"), "parties: %s", out)

	out, err = runCmd(f, "audit", "show", "--requester", "gb-home-office", "--purpose", "visa-application", f.root)
	require_True(t, err == nil, "audit show: %v", err)
	rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
	require_True(t, len(rows) >= 8, "audit show found %d rows:\n%s", len(rows), out)
	for _, r := range rows {
		require_True(t, strings.Contains(r, "gb-home-office") && strings.Contains(r, "visa-application"), "unfiltered row: %s", r)
	}
	out, _ = runCmd(f, "audit", "show", "--since", "2999-01-01", f.root)
	require_True(t, len(strings.Split(strings.TrimSpace(out), "\n")) == 1, "--since in the future still shows:\n%s", out)

	// A node that drops its last entry and the checkpoint after it leaves a
	// chain that verifies on its own; reconciling with the broker's and
	// the requester's logs names the query it dropped.
	usLog := filepath.Join(f.dataDir(us), auditFile)
	b, _ := os.ReadFile(usLog)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var dropped struct {
		Entry fedmatch.AuditEntry `json:"entry"`
	}
	json.Unmarshal([]byte(lines[len(lines)-2]), &dropped)
	require_True(t, dropped.Entry.QueryID != "", "the last entry: %s", lines[len(lines)-2])
	os.WriteFile(usLog, []byte(strings.Join(lines[:len(lines)-2], "\n")+"\n"), 0o600)
	out, err = runCmd(f, "audit", "verify", usLog)
	require_True(t, err == nil, "a truncated log fails verify on its own: %v\n%s", err, out)
	out, err = runCmd(f, "audit", "reconcile", f.root)
	require_True(t, err != nil && strings.Contains(out, "MISMATCH  "+dropped.Entry.QueryID) && strings.Contains(out, "us-dhs's log has no entry"),
		"reconcile after a dropped entry: %v\n%s", err, out)
	// The requester's log alone convicts it, without the broker's.
	out, err = runCmd(f, "audit", "reconcile", f.dataDir(us), filepath.Join(f.root, "requests"))
	require_True(t, err != nil && strings.Contains(out, "the requester received us-dhs's signed") && strings.Contains(out, dropped.Entry.QueryID),
		"reconcile of requester and node alone: %v\n%s", err, out)

	// An edited entry is named by verify, which exits non-zero.
	lines[1] = strings.Replace(lines[1], `"outcome":"`, `"outcome":"x`, 1)
	os.WriteFile(usLog, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	out, err = runCmd(f, "audit", "verify", f.root)
	require_True(t, err != nil && strings.Contains(out, "BROKEN  "+usLog+": audit.Verify: malformed: line 2: hash mismatch"), "verify after an edit: %v\n%s", err, out)
}
