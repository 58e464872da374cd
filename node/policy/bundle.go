package policy

import (
	"bytes"
	"compress/gzip"
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
// Errors: Invalid, TooLarge.
//
// Sizes are bounded before OPA sees the bundle: OPA's tar reader
// allocates whatever size a file's header claims (up to 1 GB each, found
// by fuzzing), and a gzip bomb would unpack without end. A bundle is read
// whole up to MaxBundleBytes, must unpack to at most MaxBundleUnpacked,
// and no file in it may exceed MaxBundleFileBytes.
func BundleFS(r io.Reader, certPEM []byte) (fs.FS, error) {
	const op = "policy.Bundle"
	raw, err := io.ReadAll(io.LimitReader(r, MaxBundleBytes+1))
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	if len(raw) > MaxBundleBytes {
		return nil, fedmatch.E(op, fedmatch.TooLarge, "bundle larger than %d bytes", MaxBundleBytes)
	}
	if err := checkUnpacked(raw); err != nil {
		return nil, fedmatch.Wrap(op, fedmatch.ErrorCode(err), err)
	}
	key := &bundle.KeyConfig{Key: string(certPEM), Algorithm: "EdDSA"}
	// The key id in the signature is only a label chosen at signing time;
	// the trust is the pinned certificate, whichever label it is under.
	keys := map[string]*bundle.KeyConfig{"default": key}
	b, err := bundle.NewCustomReader(bundle.NewTarballLoader(bytes.NewReader(raw)).WithSizeLimitBytes(MaxBundleFileBytes)).
		WithSizeLimitBytes(MaxBundleFileBytes).
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

// Bundle size limits: policies are kilobytes.
const (
	MaxBundleBytes     = 8 << 20  // the file as given
	MaxBundleUnpacked  = 32 << 20 // all its files, unpacked
	MaxBundleFileBytes = 4 << 20  // any one file
)

// checkUnpacked gunzips raw to count its size, refusing it past
// MaxBundleUnpacked. Errors: Invalid, TooLarge.
func checkUnpacked(raw []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return fedmatch.E("policy.Bundle", fedmatch.Invalid, "not a gzip bundle: %w", err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, MaxBundleUnpacked+1))
	switch {
	case err != nil:
		return fedmatch.E("policy.Bundle", fedmatch.Invalid, "%w", err)
	case n > MaxBundleUnpacked:
		return fedmatch.E("policy.Bundle", fedmatch.TooLarge, "bundle unpacks to more than %d bytes", MaxBundleUnpacked)
	}
	return nil
}

// Source gives the policy files to (re)load: a folder read afresh each
// time, or a bundle re-read and re-verified. It returns nil, nil when
// nothing changed since the last call.
type Source func() (fs.FS, error)
