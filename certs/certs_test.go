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
	for _, p := range []string{certs.CAKeyFile, filepath.Join(certs.AgenciesDir, string(testfed.GB), certs.KeyFile),
		filepath.Join(certs.AgenciesDir, string(testfed.GB), certs.SealKeyFile)} {
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
		{"roster swaps a sealing key", func(t *testing.T, dir string) {
			editRoster(t, dir, func(r *fedmatch.Roster) { r.Members[1].SealKey = r.Members[0].SealKey })
		}, time.Now()},
		{"roster without sealing keys", func(t *testing.T, dir string) {
			editRoster(t, dir, func(r *fedmatch.Roster) { r.Members[1].SealKey = nil })
		}, time.Now()},
		{"roster sealing key of an unknown KEM", func(t *testing.T, dir string) {
			editRoster(t, dir, func(r *fedmatch.Roster) { r.Members[1].SealKey.KEM = 0x7777 })
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

// editRoster rewrites the roster of the federation in dir.
func editRoster(t *testing.T, dir string, edit func(*fedmatch.Roster)) {
	t.Helper()
	var r fedmatch.Roster
	b, err := os.ReadFile(filepath.Join(dir, certs.RosterFile))
	if err != nil || json.Unmarshal(b, &r) != nil {
		t.Fatalf("read roster: %v", err)
	}
	edit(&r)
	b, _ = json.Marshal(r)
	if err := os.WriteFile(filepath.Join(dir, certs.RosterFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTrust_SealKey(t *testing.T) {
	r := testfed.Roster()
	r.Revoked = []fedmatch.AgencyID{testfed.XX}
	f := testfed.MustFed(t, r)
	pub, err := f.Trust.SealKey(testfed.US)
	if err != nil || string(pub.Bytes()) != string(f.MustSealKey(t, testfed.US).PublicKey().Bytes()) || pub.KEM().ID() != certs.DefaultKEM().ID() {
		t.Fatalf("SealKey: %v; does not match the private key, or not the default KEM", err)
	}
	if _, err := f.Trust.SealKey(testfed.XX); !fedmatch.IsCode(err, fedmatch.UnknownAgency) {
		t.Fatalf("SealKey of a revoked member: %v, want unknown_agency", err)
	}
}

// Both private keys, signing and sealing, are refused alike.
func TestLoadKey_Refuses(t *testing.T) {
	for file, load := range map[string]func(dir string, id fedmatch.AgencyID, t *certs.Trust) error{
		certs.KeyFile: func(dir string, id fedmatch.AgencyID, t *certs.Trust) error {
			_, err := certs.LoadKey(dir, id, t)
			return err
		},
		certs.SealKeyFile: func(dir string, id fedmatch.AgencyID, t *certs.Trust) error {
			_, err := certs.LoadSealKey(dir, id, t)
			return err
		},
	} {
		f := testfed.MustFed(t, testfed.Roster())
		keyPath := filepath.Join(f.Dir, certs.AgenciesDir, string(testfed.US), file)
		t.Run(file+"/wrong key for certificate", func(t *testing.T) {
			copyFile(t, filepath.Join(f.Dir, certs.AgenciesDir, string(testfed.GB), file), keyPath)
			if err := load(f.Dir, testfed.US, f.Trust); !fedmatch.IsCode(err, fedmatch.Invalid) {
				t.Fatalf("load: %v, want invalid", err)
			}
		})
		t.Run(file+"/world readable", func(t *testing.T) {
			os.Chmod(keyPath, 0o644)
			if err := load(f.Dir, testfed.US, f.Trust); !fedmatch.IsCode(err, fedmatch.Invalid) {
				t.Fatalf("load: %v, want invalid", err)
			}
		})
		t.Run(file+"/missing", func(t *testing.T) {
			if err := load(f.Dir, "zz-none", f.Trust); !fedmatch.IsCode(err, fedmatch.NotFound) {
				t.Fatalf("load: %v, want not_found", err)
			}
		})
	}
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

func TestRevoke(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	live, err := certs.NewLive(f.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := live.Reload(time.Now()); err != nil || changed {
		t.Fatalf("Reload of an unchanged folder: %v, %v", changed, err)
	}
	if err := certs.Revoke(f.Dir, testfed.US, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := certs.Revoke(f.Dir, testfed.US, time.Now()); !fedmatch.IsCode(err, fedmatch.Exists) {
		t.Fatalf("second Revoke: %v, want exists", err)
	}
	if err := certs.Revoke(f.Dir, testfed.DE, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The trust in force still has US until it reloads.
	if _, err := live.PublicKey(testfed.US); err != nil {
		t.Fatalf("before reload: %v", err)
	}
	if changed, err := live.Reload(time.Now()); err != nil || !changed {
		t.Fatalf("Reload after a revocation: %v, %v", changed, err)
	}
	for _, id := range []fedmatch.AgencyID{testfed.US, testfed.DE} {
		if _, err := live.PublicKey(id); !fedmatch.IsCode(err, fedmatch.UnknownAgency) {
			t.Fatalf("%s after reload: %v, want unknown_agency", id, err)
		}
		if _, err := live.SealKey(id); !fedmatch.IsCode(err, fedmatch.UnknownAgency) {
			t.Fatalf("%s's sealing key after reload: %v, want unknown_agency", id, err)
		}
	}
	if _, err := live.PublicKey(testfed.GB); err != nil {
		t.Fatalf("GB after reload: %v", err)
	}
	// Its past audit checkpoints still verify.
	if _, err := live.Current().AuditKey(string(testfed.US)); err != nil {
		t.Fatalf("AuditKey of a revoked member: %v", err)
	}

	t.Run("a CRL the CA did not sign is refused, and the trust in force stays", func(t *testing.T) {
		other := testfed.MustFed(t, testfed.Roster())
		if err := certs.Revoke(other.Dir, testfed.GB, time.Now()); err != nil {
			t.Fatal(err)
		}
		copyFile(t, filepath.Join(other.Dir, certs.CRLFile), filepath.Join(f.Dir, certs.CRLFile))
		if _, err := certs.Load(f.Dir, time.Now()); !fedmatch.IsCode(err, fedmatch.Invalid) {
			t.Fatalf("Load with a foreign CRL: %v, want invalid", err)
		}
		if _, err := live.Reload(time.Now()); err == nil {
			t.Fatal("Reload took a foreign CRL")
		}
		if _, err := live.PublicKey(testfed.GB); err != nil {
			t.Fatalf("a refused reload changed the trust in force: %v", err)
		}
	})
}
