package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedmatch/fedmatch/policies"
)

// copyPolicies writes the built-in policies to a folder, editing one file.
func copyPolicies(t *testing.T, file, old, new string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "policies")
	require_True(t, os.CopyFS(dir, policies.FS) == nil, "copy")
	if file != "" {
		p := filepath.Join(dir, file)
		b, _ := os.ReadFile(p)
		edited := strings.Replace(string(b), old, new, 1)
		require_True(t, edited != string(b), "edit of %s changed nothing", file)
		require_True(t, os.WriteFile(p, []byte(edited), 0o644) == nil, "write")
	}
	return dir
}

func runOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &out)
	return out.String(), err
}

func TestRun_PolicyDiff(t *testing.T) {
	base := copyPolicies(t, "", "", "")
	wider := copyPolicies(t, "de-bka/policy.rego", `disclose := {"allow": true, "fields": lib.fields_hit_only} if {`,
		`disclose := {"allow": true, "fields": lib.fields_identity} if {`)
	out, err := runOut(t, "policy", "diff", base, wider)
	require_True(t, errors.Is(err, errReported), "widening diff: %v\n%s", err, out)
	require_True(t, strings.Contains(out, "WIDENS") && strings.Contains(out, "de-bka <- gb-home-office"), "diff output:\n%s", out)

	out, err = runOut(t, "policy", "diff", wider, base)
	require_True(t, err == nil && strings.Contains(out, "narrows") && !strings.Contains(out, "WIDENS"), "narrowing diff: %v\n%s", err, out)

	out, err = runOut(t, "policy", "diff", base, base)
	require_True(t, err == nil && strings.Contains(out, "0 cells change"), "no change: %v\n%s", err, out)
}

func TestRun_PolicyCheckAndTest(t *testing.T) {
	typo := copyPolicies(t, "us-dhs/policy.rego", "input.match.score >= 0.88", "input.mach.score >= 0.88")
	out, err := runOut(t, "policy", "check", typo)
	require_True(t, err != nil && strings.Contains(err.Error(), "us-dhs/policy.rego:") && strings.Contains(err.Error(), "input.mach"),
		"check of a typo: %v\n%s", err, out)

	out, err = runOut(t, "policy", "test")
	require_True(t, err == nil && strings.Contains(out, "0 failed") && strings.Contains(out, "total"), "policy test: %v\n%s", err, out)

	failing := copyPolicies(t, "de-bka/policy.rego", `"max_hits": 1,`, `"max_hits": 3,`)
	out, err = runOut(t, "policy", "test", failing)
	require_True(t, errors.Is(err, errReported) && strings.Contains(out, "FAIL") && strings.Contains(out, "1 failed"), "failing test: %v\n%s", err, out)
}
