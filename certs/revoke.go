package certs

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fedmatch/fedmatch"
)

// Revocation. A member is revoked by the roster (its id under "revoked")
// or by the federation's certificate revocation list, crl.pem, signed by
// the CA: the CRL is the standard form, the one a CA operator signs
// without touching the roster. Either way Load treats the member as
// revoked, and a Live trust picks the change up at its next reload.

// CRLFile is the federation's certificate revocation list.
const CRLFile = "crl.pem"

// loadCRL reads the CRL in dir, if there is one, checks that the CA
// signed it and that it is current at now, and returns the revoked
// serial numbers.
func loadCRL(dir string, ca *x509.Certificate, now time.Time) (map[string]bool, error) {
	der, err := readPEM(filepath.Join(dir, CRLFile), "X509 CRL")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CRLFile, err)
	}
	if err := crl.CheckSignatureFrom(ca); err != nil {
		return nil, fmt.Errorf("%s is not signed by the federation CA: %w", CRLFile, err)
	}
	if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
		return nil, fmt.Errorf("%s expired %s: issue a new one ('fedmatch certs revoke' renews it)", CRLFile, crl.NextUpdate.Format(time.RFC3339))
	}
	out := map[string]bool{}
	for _, e := range crl.RevokedCertificateEntries {
		out[e.SerialNumber.String()] = true
	}
	return out, nil
}

// Revoke adds agency id's certificate to the federation's CRL in dir,
// signing it with the CA key there, so that every node and broker refuses
// the agency at their next reload. Errors: NotFound, Invalid, Internal.
func Revoke(dir string, id fedmatch.AgencyID, now time.Time) error {
	const op = "certs.Revoke"
	t, err := Load(dir, now)
	if err != nil {
		return err
	}
	cert, ok := t.certs[id]
	if !ok {
		return fedmatch.E(op, fedmatch.NotFound, "agency %q is not a member", id)
	}
	caKey, err := loadEd25519(filepath.Join(dir, CAKeyFile), op, func() (ed25519.PublicKey, error) {
		return t.ca.PublicKey.(ed25519.PublicKey), nil
	})
	if err != nil {
		return err
	}
	var entries []x509.RevocationListEntry
	number := big.NewInt(1)
	if der, err := readPEM(filepath.Join(dir, CRLFile), "X509 CRL"); err == nil {
		old, err := x509.ParseRevocationList(der)
		if err != nil {
			return fedmatch.E(op, fedmatch.Invalid, "%s: %w", CRLFile, err)
		}
		entries, number = old.RevokedCertificateEntries, new(big.Int).Add(old.Number, big.NewInt(1))
	}
	if slices.ContainsFunc(entries, func(e x509.RevocationListEntry) bool { return e.SerialNumber.Cmp(cert.SerialNumber) == 0 }) {
		return fedmatch.E(op, fedmatch.Exists, "agency %s is already revoked", id)
	}
	entries = append(entries, x509.RevocationListEntry{SerialNumber: cert.SerialNumber, RevocationTime: now.UTC()})
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: number, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(DefaultValidity),
		RevokedCertificateEntries: entries,
	}, t.ca, caKey)
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if err := writePEM(filepath.Join(dir, CRLFile), "X509 CRL", der, 0o644); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	return nil
}

// Live is a federation's trust that follows its folder: Reload (or Watch)
// loads it again when the roster or the CRL changed, so a revocation
// takes effect without a restart. A change that does not load (a broken
// roster, a CRL not signed by the CA) is logged and the trust in force
// stays. Live is a wire.KeySource and a wire.SealKeys.
type Live struct {
	dir string
	log *slog.Logger
	cur atomic.Pointer[Trust]
	mu  sync.Mutex
	sum [32]byte // of the files the trust in force was loaded from
}

// NewLive loads the federation in dir. Errors: as Load.
func NewLive(dir string, log *slog.Logger) (*Live, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Live{dir: dir, log: log}
	if _, err := l.Reload(time.Now()); err != nil {
		return nil, err
	}
	return l, nil
}

// watched is the digest of what a reload depends on: the roster and the
// CRL (certificates are checked at load; replacing one is a change of
// roster in practice).
func (l *Live) watched() [32]byte {
	h := sha256.New()
	for _, f := range []string{RosterFile, CRLFile} {
		b, _ := os.ReadFile(filepath.Join(l.dir, f))
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Reload loads the folder again if the roster or CRL changed, and reports
// whether the trust in force changed. Errors: as Load; the trust in force
// then stays.
func (l *Live) Reload(now time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sum := l.watched()
	if l.cur.Load() != nil && bytes.Equal(sum[:], l.sum[:]) {
		return false, nil
	}
	t, err := Load(l.dir, now)
	if err != nil {
		return false, err
	}
	l.cur.Store(t)
	l.sum = sum
	return true, nil
}

// Watch reloads every interval until done is closed.
func (l *Live) Watch(done <-chan struct{}, interval time.Duration) {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	var lastErr string
	for {
		select {
		case <-done:
			return
		case now := <-tk.C:
			changed, err := l.Reload(now)
			switch {
			case err != nil && err.Error() != lastErr:
				l.log.Error("federation change not loaded; the trust in force stays", "dir", l.dir, "err", err)
				lastErr = err.Error()
			case changed:
				lastErr = ""
				l.log.Info("federation reloaded", "dir", l.dir, "revoked", l.Current().roster.Revoked)
			}
		}
	}
}

// Current is the trust in force.
func (l *Live) Current() *Trust { return l.cur.Load() }

// PublicKey is Current().PublicKey.
func (l *Live) PublicKey(id fedmatch.AgencyID) (ed25519.PublicKey, error) {
	return l.Current().PublicKey(id)
}

// SealKey is Current().SealKey.
func (l *Live) SealKey(id fedmatch.AgencyID) (hpke.PublicKey, error) { return l.Current().SealKey(id) }

// Roster is Current().Roster.
func (l *Live) Roster() *fedmatch.Roster { return l.Current().Roster() }
