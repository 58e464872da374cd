package certs

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/fedmatch/fedmatch"
)

// Sealing keys. Each agency holds an HPKE key pair beside its signing key:
// answers and probes for it are sealed to the public half. The roster
// carries that public key; the agency's certificate carries its SHA-256
// digest in a URI SAN (SealURI), so the CA vouches for it and a roster
// edited to swap in another key fails to load.
//
// The digest rather than the key itself: a certificate extension would
// need an OID, and the unregistered UUID arc (2.25) has arcs too large for
// encoding/asn1; a URI needs none, and keeps the certificate small (an
// ML-KEM-768 + X25519 public key is 1,216 bytes).

// SealKeyFile is an agency's private sealing key inside its folder.
const SealKeyFile = "seal.key"

// sealPEMType is the PEM block type of a private sealing key; its KEM
// header names the HPKE KEM identifier.
const sealPEMType = "FEDMATCH HPKE PRIVATE KEY"

// DefaultKEM is the KEM new sealing keys use: the post-quantum hybrid
// ML-KEM-768 + X25519, so that a recording of today's traffic stays sealed
// against a future quantum computer, and stays sealed by X25519 should
// ML-KEM fall.
func DefaultKEM() hpke.KEM { return hpke.MLKEM768X25519() }

// sealURIPrefix starts the URI SAN that commits a certificate to a
// sealing key: the prefix, the KEM id, ":", the base64url SHA-256 of the
// public key.
const sealURIPrefix = "urn:fedmatch:seal:"

// SealURI is the URI SAN committing a certificate to sealing key k.
func SealURI(k *fedmatch.SealKey) string {
	sum := sha256.Sum256(k.Public)
	return sealURIPrefix + strconv.Itoa(int(k.KEM)) + ":" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// newSealKey generates a sealing key pair.
func newSealKey() (hpke.PrivateKey, *fedmatch.SealKey, error) {
	k, err := DefaultKEM().GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	return k, &fedmatch.SealKey{KEM: k.KEM().ID(), Public: k.PublicKey().Bytes()}, nil
}

// writeSealKey writes a private sealing key, readable by its owner only.
func writeSealKey(path string, k hpke.PrivateKey) error {
	b, err := k.Bytes()
	if err != nil {
		return err
	}
	blk := &pem.Block{Type: sealPEMType, Headers: map[string]string{"KEM": strconv.Itoa(int(k.KEM().ID()))}, Bytes: b}
	return writeFile(path, pem.EncodeToMemory(blk), 0o600)
}

// loadSealKey checks member m's sealing key: the roster must name one and
// the certificate must commit to it.
func loadSealKey(m *fedmatch.Member, cert *x509.Certificate) (hpke.PublicKey, error) {
	if m.SealKey == nil {
		return nil, fmt.Errorf("agency %s has no sealing key in the roster (made before sealing; re-run 'fedmatch certs init')", m.ID)
	}
	want := SealURI(m.SealKey)
	committed := false
	for _, u := range cert.URIs {
		committed = committed || u.String() == want
	}
	if !committed {
		return nil, fmt.Errorf("agency %s: the roster's sealing key is not the one its certificate names", m.ID)
	}
	kem, err := hpke.NewKEM(m.SealKey.KEM)
	if err != nil {
		return nil, fmt.Errorf("agency %s sealing key: %w", m.ID, err)
	}
	pub, err := kem.NewPublicKey(m.SealKey.Public)
	if err != nil {
		return nil, fmt.Errorf("agency %s sealing key: %w", m.ID, err)
	}
	return pub, nil
}

// SealKey returns the certified sealing key of an active member.
// Errors: UnknownAgency (not a member, or revoked).
func (t *Trust) SealKey(id fedmatch.AgencyID) (hpke.PublicKey, error) {
	if _, err := t.PublicKey(id); err != nil {
		return nil, err
	}
	return t.seal[id], nil
}

// LoadSealKey reads agency id's private sealing key from the federation in
// dir and checks it is the key its certificate carries. Errors: NotFound,
// Invalid, UnknownAgency.
func LoadSealKey(dir string, id fedmatch.AgencyID, t *Trust) (hpke.PrivateKey, error) {
	const op = "certs.LoadSealKey"
	path := filepath.Join(dir, AgenciesDir, string(id), SealKeyFile)
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, wrapRead(op, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != sealPEMType {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s: no PEM %s block", path, sealPEMType)
	}
	id16, err := strconv.ParseUint(blk.Headers["KEM"], 10, 16)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s: KEM header %q", path, blk.Headers["KEM"])
	}
	kem, err := hpke.NewKEM(uint16(id16))
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s: %w", path, err)
	}
	k, err := kem.NewPrivateKey(blk.Bytes)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s: %w", path, err)
	}
	if t != nil {
		pub, err := t.SealKey(id)
		if err != nil {
			return nil, err
		}
		if pub.KEM().ID() != kem.ID() || !bytes.Equal(pub.Bytes(), k.PublicKey().Bytes()) {
			return nil, fedmatch.E(op, fedmatch.Invalid, "%s does not match agency %s's certificate", path, id)
		}
	}
	return k, nil
}
