package policy

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/fedmatch/fedmatch"
)

// BundleFS reads an OPA bundle (`opa build` output), verifies its
// signature against certPEM — the agency's certificate from the federation
// — and returns its Rego files laid out like policies/, ready for Load.
// An unsigned bundle, one signed by another key, or one whose files do not
// match their signed hashes is refused, so a node run this way serves only
// policy its agency signed.
//
// Sign with the stock CLI:
//
//	opa build -b policies/ --signing-alg EdDSA --signing-key agencies/<id>/key.pem -o bundle.tar.gz
//
// Errors: Invalid.
func BundleFS(r io.Reader, certPEM []byte) (fs.FS, error) {
	const op = "policy.Bundle"
	key := &bundle.KeyConfig{Key: string(certPEM), Algorithm: "EdDSA"}
	// The key id in the signature is only a label chosen at signing time;
	// the trust is the pinned certificate, whichever label it is under.
	keys := map[string]*bundle.KeyConfig{"default": key}
	b, err := bundle.NewReader(r).
		WithBundleVerificationConfig(bundle.NewVerificationConfig(keys, "default", "", nil)).
		WithRegoVersion(ast.RegoV1).
		Read()
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	// `opa build -b DIR` keeps DIR's path in module names; cut everything
	// before the folder that holds lib/.
	prefix := ""
	for _, m := range b.Modules {
		p := strings.TrimPrefix(m.Path, "/")
		if i := strings.Index("/"+p, "/"+LibDir+"/"); i >= 0 {
			prefix = p[:i]
			break
		}
	}
	out := fstest.MapFS{}
	for _, m := range b.Modules {
		p := strings.TrimPrefix(strings.TrimPrefix(m.Path, "/"), prefix)
		if !fs.ValidPath(p) || path.Ext(p) != ".rego" {
			return nil, fedmatch.E(op, fedmatch.Invalid, "bundle file %q is outside the policy layout", m.Path)
		}
		out[p] = &fstest.MapFile{Data: bytes.Clone(m.Raw)}
	}
	if _, err := fs.Stat(out, LibDir); err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "bundle has no %s/ folder", LibDir)
	}
	return out, nil
}

// Source gives the policy files to (re)load: a folder read afresh each
// time, or a bundle re-read and re-verified. It returns nil, nil when
// nothing changed since the last call.
type Source func() (fs.FS, error)
