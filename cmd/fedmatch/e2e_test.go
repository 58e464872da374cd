package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/policies"
	"github.com/fedmatch/fedmatch/wire"
)

func testEnv(t *testing.T) (*env, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &out, stderr: &testWriter{t}}
	e.log = newLogger(e.stderr, "warn")
	return e, &out
}

// testWriter sends stderr to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// require_True fails the test now if ok is false.
func require_True(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}

// TestFederation_EndToEnd runs an embedded NATS server, a broker and
// three nodes in this process, with real signatures, real OPA and real
// stores, and asserts every status a requester can see: hit, no_hit,
// refused (by the broker and by a node's policy), unavailable and error,
// and that a tampered or replayed query is refused.
func TestFederation_EndToEnd(t *testing.T) {
	f := mustTestFed(t)
	ctx, e, root, fedDir := f.ctx, f.e, f.root, f.fedDir
	recs, _ := synth.Federation(7, []fedmatch.AgencyID{gb, us, de}, 300, time.Now().Year())
	for a, rs := range scripted(time.Now()) {
		recs[a] = append(recs[a], rs...)
	}
	for _, a := range []fedmatch.AgencyID{gb, us, de} {
		defer f.node(a, recs[a], nil).Close()
	}
	f.broker()

	for _, sc := range scenarios() {
		t.Run(sc.title, func(t *testing.T) {
			res, err := askScenario(ctx, f.requester(sc.from), sc)
			if sc.wantErr != 0 {
				require_True(t, fedmatch.IsCode(err, sc.wantErr), "got %v, want %v", err, sc.wantErr)
				return
			}
			require_True(t, err == nil, "Ask: %v", err)
			require_True(t, len(res.Nodes) == len(sc.want), "%d node results, want %d", len(res.Nodes), len(sc.want))
			for _, nr := range res.Nodes {
				require_True(t, nr.Status == sc.want[nr.Agency], "%s: %s (%s), want %s", nr.Agency, nr.Status, nr.Reason, sc.want[nr.Agency])
				if nr.Status == fedmatch.StatusHit {
					require_True(t, nr.Answer != nil && len(nr.Answer.Hits) > 0 && nr.Answer.Revision != "", "%s: hit without a verified answer", nr.Agency)
				}
			}
		})
	}

	// A fourth node whose roster has revoked the UK answers UK queries
	// with an error, though the broker's roster still lets them through:
	// each node verifies for itself.
	t.Run("node refuses a requester it has revoked", func(t *testing.T) {
		caFed := filepath.Join(root, "ca-federation")
		require_True(t, os.CopyFS(caFed, os.DirFS(fedDir)) == nil, "copy federation")
		for _, k := range []string{certs.KeyFile, certs.SealKeyFile} {
			os.Chmod(filepath.Join(caFed, certs.AgenciesDir, string(ca), k), 0o600) // CopyFS drops modes
		}
		r := readRoster(t, caFed)
		r.Revoked = []fedmatch.AgencyID{gb}
		writeRoster(t, caFed, r)
		pol := fstest.MapFS{"ca-cbsa/policy.rego": {Data: []byte("package fedmatch.agencies.ca_cbsa\n\ndefault decision := {\"allow\": false}\n\ndefault disclose := {\"allow\": false}\n")}}
		maps.Copy(pol, libFS(t))
		defer f.start(ca, func(o *nodeOptions) { o.FedDir, o.Policies = caFed, pol }).Close()
		rq := f.requester(gb)
		res, err := rq.Ask(ctx, &wire.QueryRequest{Purpose: fedmatch.BorderAdmission, Basis: "five-eyes-border",
			Targets: []fedmatch.AgencyID{ca}, Probe: fedmatch.Probe{Surname: "Okafor"}})
		require_True(t, err == nil, "Ask: %v", err)
		nr := res.Nodes[0]
		require_True(t, nr.Status == fedmatch.StatusError && nr.Reason == "unknown_agency", "ca: %s %s, want error unknown_agency", nr.Status, nr.Reason)
	})

	// Every log written above verifies.
	var out bytes.Buffer
	e.stdout = &out
	require_True(t, run(ctx, []string{"audit", "verify", root}, e.getenv, &out, e.stderr) == nil, "audit verify: %s", out.String())
	require_True(t, strings.Count(out.String(), "ok ") >= 5, "audit verify checked too few logs:\n%s", out.String())
}

// readRoster reads the roster of the federation in dir.
func readRoster(t *testing.T, dir string) fedmatch.Roster {
	t.Helper()
	var r fedmatch.Roster
	b, err := os.ReadFile(filepath.Join(dir, certs.RosterFile))
	require_True(t, err == nil && json.Unmarshal(b, &r) == nil, "read roster: %v", err)
	return r
}

func writeRoster(t *testing.T, dir string, r fedmatch.Roster) {
	t.Helper()
	b, err := jsonMarshal(r)
	require_True(t, err == nil, "marshal: %v", err)
	require_True(t, os.WriteFile(filepath.Join(dir, certs.RosterFile), b, 0o644) == nil, "write roster")
}

func libFS(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(policies.FS, "lib", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(policies.FS, p)
			out[p] = &fstest.MapFile{Data: b}
		}
		return err
	})
	require_True(t, err == nil, "lib: %v", err)
	return out
}

// TestRun_Demo runs the demo command as a user would and relies on its
// own check of every scenario's outcome.
func TestRun_Demo(t *testing.T) {
	e, out := testEnv(t)
	dir := filepath.Join(t.TempDir(), "state")
	err := run(context.Background(), []string{"demo", "--records", "200", "--dir", dir}, e.getenv, out, e.stderr)
	require_True(t, err == nil, "demo: %v\n%s", err, out)
	require_True(t, strings.Contains(out.String(), "15 scenarios, 15 as expected, 0 not"), "demo output:\n%s", out)
	for _, p := range []string{"federation/roster.json", "nodes/us-dhs/audit.jsonl", "broker-audit.jsonl"} {
		_, err := os.Stat(filepath.Join(dir, p))
		require_True(t, err == nil, "demo --dir kept no %s", p)
	}
	err = run(context.Background(), []string{"demo", "--dir", dir}, e.getenv, out, e.stderr)
	require_True(t, err != nil && strings.Contains(err.Error(), "not empty"), "demo into a used folder: %v", err)
}

// TestRun_Help checks that every command and subcommand answers --help
// with its usage and success, and that a bad flag is a usage error.
func TestRun_Help(t *testing.T) {
	cmds := [][]string{{"--help"}, {"demo"}, {"certs"}, {"certs", "init"}, {"certs", "show"}, {"node"}, {"node", "import"},
		{"node", "status"}, {"certs", "nats-config"}, {"policy"}, {"policy", "test"}, {"policy", "check"}, {"policy", "eval"}, {"policy", "diff"}, {"policy", "verify-bundle"}, {"eval"}, {"eval", "febrl"}, {"eval", "names"}, {"eval", "fingerprints"}, {"eval", "biometrics"}, {"model"}, {"model", "estimate"}, {"model", "show"}, {"model", "translit"}, {"model", "fingerprints"}, {"mrz"}, {"mrz", "parse"}, {"review"}, {"review", "list"}, {"review", "approve"}, {"review", "deny"}, {"broker"}, {"query"}, {"disclose"}, {"audit"}, {"audit", "verify"}, {"audit", "show"}}
	for _, c := range cmds {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append(append([]string{}, c...), "--help")
			if c[0] == "--help" {
				args = c
			}
			err := run(context.Background(), args, func(string) string { return "" }, &out, &errb)
			require_True(t, err == nil, "%v: %v", args, err)
			require_True(t, strings.Contains(out.String(), "Usage"), "%v printed no usage:\n%s", args, out.String())
		})
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"node", "--no-such-flag"}, func(string) string { return "" }, &out, &out)
	require_True(t, err != nil && strings.Contains(err.Error(), "usage"), "bad flag: %v", err)
	err = run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &out)
	require_True(t, err != nil && strings.Contains(err.Error(), "unknown command"), "unknown command: %v", err)
}
