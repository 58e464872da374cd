package policy_test

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/policies"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// day is the fixed "now" of table-driven checks, so golden files are stable.
var day = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// overlay returns the shipped policies with some files replaced.
func overlay(t *testing.T, edits map[string]func(string) string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(policies.FS, p)
		s := string(b)
		if f, ok := edits[p]; ok {
			if s2 := f(s); s2 == s {
				t.Fatalf("edit of %s changed nothing", p)
			} else {
				s = s2
			}
		}
		out[p] = &fstest.MapFile{Data: []byte(s)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestLoad_TypeChecksInput(t *testing.T) {
	fsys := overlay(t, map[string]func(string) string{
		"gb-home-office/policy.rego": replace("not searchable[input.request.requester]\n", "not searchable[input.reqest.requester]\n"),
	})
	_, err := policy.Load(context.Background(), fsys, "gb-home-office", nil)
	if !fedmatch.IsCode(err, fedmatch.Invalid) || !strings.Contains(err.Error(), "input.reqest") || !strings.Contains(err.Error(), "gb-home-office/policy.rego:") {
		t.Fatalf("Load: %v; want a type error naming input.reqest and the file", err)
	}
}

func TestCheck(t *testing.T) {
	r := testfed.Roster()
	ctx := context.Background()
	for _, a := range []fedmatch.AgencyID{"gb-home-office", "us-dhs", "de-bka"} {
		n, err := policy.Check(ctx, policies.FS, a, &r, day)
		if err != nil || n < 1000 {
			t.Fatalf("Check(%s) = %d cells, %v", a, n, err)
		}
	}
	// A rule that yields a wrong shape for some inputs only.
	fsys := overlay(t, map[string]func(string) string{
		"de-bka/policy.rego": replace(`"max_hits": 1,`, `"max_hits": "one",`),
	})
	_, err := policy.Check(ctx, fsys, "de-bka", &r, day)
	if !fedmatch.IsCode(err, fedmatch.Invalid) || !strings.Contains(err.Error(), "de-bka/policy.rego:") || !strings.Contains(err.Error(), "max_hits") {
		t.Fatalf("Check: %v; want an error naming the rule's file:line and max_hits", err)
	}
}

func TestTest_ShippedPolicies(t *testing.T) {
	rep, err := policy.Test(context.Background(), policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 0 || rep.Passed < 30 {
		t.Fatalf("passed %d, failed %d: %v", rep.Passed, rep.Failed, rep.Failures)
	}
	if rep.Coverage.Coverage < 50 || len(rep.Coverage.Files) < 4 {
		t.Fatalf("coverage %.1f%% over %d files", rep.Coverage.Coverage, len(rep.Coverage.Files))
	}
	for f := range rep.Coverage.Files {
		if strings.HasSuffix(f, "_test.rego") {
			t.Fatalf("coverage counts test file %s", f)
		}
	}
	broken := overlay(t, map[string]func(string) string{
		"de-bka/policy.rego": replace(`"max_hits": 1,`, `"max_hits": 2,`),
	})
	rep, err = policy.Test(context.Background(), broken)
	if err != nil || rep.Failed != 1 || !strings.Contains(rep.Failures[0], "test_at_most_one_candidate") {
		t.Fatalf("a broken rule: %+v, %v", rep, err)
	}
}

func TestExplain(t *testing.T) {
	in := map[string]any{
		"request":   map[string]any{"id": "q", "requester": "us-dhs", "purpose": "counter-terrorism", "basis": "x", "probe_kinds": []string{"biographic"}, "time": "2026-11-23T10:00:00Z"},
		"requester": map[string]any{"id": "us-dhs"},
		"agreement": map[string]any{"id": "x", "parties": []string{}, "purposes": []string{"border-admission"}},
		"node":      "gb-home-office",
	}
	out, fired, err := policy.Explain(context.Background(), policies.FS, "gb-home-office", "decision", in)
	if err != nil {
		t.Fatal(err)
	}
	d := out.(map[string]any)
	if d["allow"] != false || d["reason"] != "not_in_agreement" {
		t.Fatalf("decision = %v", out)
	}
	joined := strings.Join(fired, "\n")
	if !strings.Contains(joined, "gb-home-office/policy.rego:") || !strings.Contains(joined, "decision") {
		t.Fatalf("fired rules do not name the decision rule:\n%s", joined)
	}
}

// TestDiff compares edited policies with the shipped ones against golden
// files: a widening change (the UK discloses identity at the border) and
// a narrowing one (DHS stops answering visa checks for Germany).
func TestDiff(t *testing.T) {
	r := testfed.Roster()
	tests := []struct {
		name   string
		edits  map[string]func(string) string
		widens bool
	}{
		{"widen", map[string]func(string) string{
			"gb-home-office/policy.rego": replace(`"border-admission": lib.fields_reference,`, `"border-admission": lib.fields_identity,`),
		}, true},
		{"drop-review", map[string]func(string) string{
			"gb-home-office/policy.rego": replace(`input.record.category in {"arrest-biometrics", "traveller-of-interest"}`, `input.record.category in {"arrest-biometrics"}`),
		}, true},
		{"narrow", map[string]func(string) string{
			"us-dhs/policy.rego": replace("\t\t\"visa-application\": {\"false-document\", \"traveller-of-interest\"},\n\t},\n}", "\t},\n}"),
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := policy.Diff(context.Background(), policies.FS, overlay(t, tc.edits), &r, day)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			widens := false
			for _, c := range changes {
				widens = widens || c.Widens
			}
			policy.WriteDiff(&b, changes)
			if len(changes) == 0 || widens != tc.widens {
				t.Fatalf("%d changes, widens %v; want some, widens %v", len(changes), widens, tc.widens)
			}
			golden := filepath.Join("testdata", "diff-"+tc.name+".golden")
			if *update {
				os.MkdirAll("testdata", 0o755)
				os.WriteFile(golden, []byte(b.String()), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if b.String() != string(want) {
				t.Fatalf("diff differs from %s (run with -update after checking):\n%s", golden, b.String())
			}
		})
	}
	same, err := policy.Diff(context.Background(), policies.FS, policies.FS, &r, day)
	if err != nil || len(same) != 0 {
		t.Fatalf("identical policies: %d changes, %v", len(same), err)
	}
}
