package policies_test

import (
	"bytes"
	"context"
	"io/fs"
	"testing"

	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/fedmatch/fedmatch/policies"
)

// TestRego runs every _test.rego the way the stock `opa test policies/`
// does, and fails on any failing or erroring Rego test.
func TestRego(t *testing.T) {
	ctx := context.Background()
	modules, store, err := tester.Load([]string{"."}, nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Abort(ctx, txn)
	ch, err := tester.NewRunner().SetStore(store).SetModules(modules).RunTests(ctx, txn)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		if r.Fail || r.Error != nil {
			t.Errorf("%s.%s: fail=%v error=%v", r.Package, r.Name, r.Fail, r.Error)
		}
	}
	if n < 20 {
		t.Fatalf("ran %d Rego tests; expected the full suite", n)
	}
	t.Logf("%d Rego tests passed", n)
}

// TestFormatted keeps every file as `opa fmt` would write it.
func TestFormatted(t *testing.T) {
	err := fs.WalkDir(policies.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, _ := fs.ReadFile(policies.FS, path)
		out, err := format.Source(path, src)
		if err != nil {
			t.Errorf("%s: %v", path, err)
		} else if !bytes.Equal(out, src) {
			t.Errorf("%s is not formatted; run `opa fmt -w policies/`", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
