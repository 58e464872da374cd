package testfed

import (
	"bytes"
	"io/fs"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
)

// MustBundle builds an OPA bundle of the policy folder fsys, naming files
// as `opa build -b /src/policies` does, signed with keyFile (EdDSA) unless
// it is empty; tamper, if set, edits the bundle after signing.
func MustBundle(tb testing.TB, fsys fs.FS, keyFile string, tamper func(*bundle.Bundle)) []byte {
	tb.Helper()
	b := bundle.Bundle{Data: map[string]any{}, Manifest: bundle.Manifest{Revision: "test"}}
	b.Manifest.Init()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, _ := fs.ReadFile(fsys, p)
		name := "/src/policies/" + p
		m, err := ast.ParseModuleWithOpts(name, string(raw), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: name, Path: name, Raw: raw, Parsed: m})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if keyFile != "" {
		key, err := os.ReadFile(keyFile)
		if err != nil {
			tb.Fatal(err)
		}
		if err := b.GenerateSignature(bundle.NewSigningConfig(string(key), "EdDSA", ""), "default", false); err != nil {
			tb.Fatalf("sign: %v", err)
		}
	}
	if tamper != nil {
		tamper(&b)
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).Write(b); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
