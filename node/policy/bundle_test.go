package policy_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/node/policy"
	"github.com/fedmatch/fedmatch/policies"
)

func TestBundleFS(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	key := func(id fedmatch.AgencyID) string {
		return filepath.Join(f.Dir, certs.AgenciesDir, string(id), certs.KeyFile)
	}
	gbCert, err := f.Trust.CertPEM(testfed.GB)
	if err != nil {
		t.Fatal(err)
	}
	if blk, _ := pem.Decode(gbCert); blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatal("CertPEM is not a PEM certificate")
	}

	fsys, err := policy.BundleFS(bytes.NewReader(testfed.MustBundle(t, policies.FS, key(testfed.GB), nil)), gbCert)
	if err != nil {
		t.Fatalf("signed bundle: %v", err)
	}
	fromBundle := MustLoad(t, fsys, testfed.GB)
	shipped := MustLoad(t, policies.FS, testfed.GB)
	if fromBundle.Revision() != shipped.Revision() {
		t.Fatalf("bundle revision %s, shipped %s: the same sources must give the same revision", fromBundle.Revision(), shipped.Revision())
	}
	d, err := fromBundle.Decide(context.Background(), query(testfed.US, fedmatch.VisaApplication))
	if err != nil || !d.Allow {
		t.Fatalf("Decide from bundle = %+v, %v", d, err)
	}

	for name, raw := range map[string][]byte{
		"unsigned":           testfed.MustBundle(t, policies.FS, "", nil),
		"signed by US":       testfed.MustBundle(t, policies.FS, key(testfed.US), nil),
		"tampered after sig": testfed.MustBundle(t, policies.FS, key(testfed.GB), func(b *bundle.Bundle) { b.Modules[0].Raw = append(b.Modules[0].Raw, '\n', '#') }),
		"not a bundle":       []byte("hello"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := policy.BundleFS(bytes.NewReader(raw), gbCert); !fedmatch.IsCode(err, fedmatch.Invalid) {
				t.Fatalf("BundleFS: %v, want invalid", err)
			}
		})
	}
}

// FuzzBundleFS feeds arbitrary bytes to the bundle reader a node runs on
// a file it is handed: it must never panic, and must refuse with a typed
// error anything not signed by the agency.
func FuzzBundleFS(f *testing.F) {
	fed := testfed.MustFed(f, testfed.Roster())
	gbCert, err := fed.Trust.CertPEM(testfed.GB)
	if err != nil {
		f.Fatal(err)
	}
	signed := testfed.MustBundle(f, policies.FS, filepath.Join(fed.Dir, certs.AgenciesDir, string(testfed.GB), certs.KeyFile), nil)
	f.Add(signed)
	f.Add(testfed.MustBundle(f, policies.FS, "", nil))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := policy.BundleFS(bytes.NewReader(b), gbCert)
		if err != nil && !fedmatch.IsCode(err, fedmatch.Invalid) && !fedmatch.IsCode(err, fedmatch.TooLarge) {
			t.Fatalf("untyped error: %v", err)
		}
		if err == nil && !bytes.Equal(b, signed) {
			// Another encoding of the same signed files would pass too; a
			// change to a file would not.
			t.Logf("accepted %d bytes other than the seed", len(b))
		}
	})
}
