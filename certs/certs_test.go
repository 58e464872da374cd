package certs_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/testfed"
)

func TestInit_KeysArePrivate(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	for _, p := range []string{certs.CAKeyFile, filepath.Join(certs.AgenciesDir, string(testfed.GB), certs.KeyFile)} {
		fi, err := os.Stat(filepath.Join(f.Dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if err := certs.Init(f.Dir, certs.InitOptions{Roster: testfed.Roster()}); !fedmatch.IsCode(err, fedmatch.Exists) {
		t.Errorf("second Init: %v, want exists", err)
	}
}

func TestInit_RejectsBadRoster(t *testing.T) {
	r := testfed.Roster()
	r.Agreements[0].Purposes = append(r.Agreements[0].Purposes, "tax-evasion")
	err := certs.Init(t.TempDir(), certs.InitOptions{Roster: r})
	if !fedmatch.IsCode(err, fedmatch.Invalid) {
		t.Fatalf("Init: %v, want invalid", err)
	}
}

func TestTrust_PublicKey(t *testing.T) {
	r := testfed.Roster()
	r.Revoked = []fedmatch.AgencyID{testfed.XX}
	f := testfed.MustFed(t, r)
	tests := []struct {
		name string
		id   fedmatch.AgencyID
		code fedmatch.Code
		ok   bool
	}{
		{"member", testfed.GB, 0, true},
		{"revoked", testfed.XX, fedmatch.UnknownAgency, false},
		{"stranger", "fr-dgsi", fedmatch.UnknownAgency, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := f.Trust.PublicKey(tc.id)
			if tc.ok {
				if err != nil || len(k) != ed25519.PublicKeySize {
					t.Fatalf("PublicKey: %v", err)
				}
				if !f.MustKey(t, tc.id).Public().(ed25519.PublicKey).Equal(k) {
					t.Fatal("public key does not match private key")
				}
				return
			}
			if !fedmatch.IsCode(err, tc.code) {
				t.Fatalf("PublicKey: %v, want %v", err, tc.code)
			}
		})
	}
}

// mutate rewrites one file of a fresh federation and expects Load to refuse it.
func TestLoad_Refuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		at     time.Time
	}{
		{"expired", func(*testing.T, string) {}, time.Now().Add(3 * certs.DefaultValidity)},
		{"not yet valid", func(*testing.T, string) {}, time.Now().Add(-time.Hour)},
		{"cert from another CA", func(t *testing.T, dir string) {
			other := testfed.MustFed(t, testfed.Roster())
			copyFile(t, filepath.Join(other.Dir, certs.AgenciesDir, "us-dhs", certs.CertFile),
				filepath.Join(dir, certs.AgenciesDir, "us-dhs", certs.CertFile))
		}, time.Now()},
		{"cert of another agency", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, certs.AgenciesDir, "gb-home-office", certs.CertFile),
				filepath.Join(dir, certs.AgenciesDir, "us-dhs", certs.CertFile))
		}, time.Now()},
		{"self-signed cert", func(t *testing.T, dir string) {
			pub, key, _ := ed25519.GenerateKey(rand.Reader)
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "us-dhs"},
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
			der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
			os.WriteFile(filepath.Join(dir, certs.AgenciesDir, "us-dhs", certs.CertFile),
				pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
		}, time.Now()},
		{"roster names unknown party", func(t *testing.T, dir string) {
			r := testfed.Roster()
			r.Agreements[0].Parties = append(r.Agreements[0].Parties, "fr-dgsi")
			b, _ := json.Marshal(r)
			os.WriteFile(filepath.Join(dir, certs.RosterFile), b, 0o644)
		}, time.Now()},
		{"roster not json", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, certs.RosterFile), []byte("{"), 0o644)
		}, time.Now()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := certs.Init(dir, certs.InitOptions{Roster: testfed.Roster()}); err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, dir)
			_, err := certs.Load(dir, tc.at)
			if !fedmatch.IsCode(err, fedmatch.Invalid) {
				t.Fatalf("Load: %v, want invalid", err)
			}
		})
	}
}

func TestLoadKey_Refuses(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	keyPath := filepath.Join(f.Dir, certs.AgenciesDir, string(testfed.US), certs.KeyFile)
	t.Run("wrong key for certificate", func(t *testing.T) {
		copyFile(t, filepath.Join(f.Dir, certs.AgenciesDir, string(testfed.GB), certs.KeyFile), keyPath)
		if _, err := certs.LoadKey(f.Dir, testfed.US, f.Trust); !fedmatch.IsCode(err, fedmatch.Invalid) {
			t.Fatalf("LoadKey: %v, want invalid", err)
		}
	})
	t.Run("world readable", func(t *testing.T) {
		os.Chmod(keyPath, 0o644)
		if _, err := certs.LoadKey(f.Dir, testfed.US, f.Trust); !fedmatch.IsCode(err, fedmatch.Invalid) {
			t.Fatalf("LoadKey: %v, want invalid", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := certs.LoadKey(f.Dir, "zz-none", f.Trust); !fedmatch.IsCode(err, fedmatch.NotFound) {
			t.Fatalf("LoadKey: %v, want not_found", err)
		}
	})
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
