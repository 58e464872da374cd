// Package certs is the federation's trust: a CA, one Ed25519 signing key,
// one HPKE sealing key and one X.509 certificate per agency, and the roster
// of members and agreements.
//
// Init writes a development federation into a folder; Load reads one back
// and refuses anything whose chain, validity dates or identity do not check
// out, so that the rest of the system only ever sees verified public keys.
//
// Layout of a federation folder:
//
//	ca.crt                       the federation CA certificate (PEM)
//	ca.key                       the CA's private key (PEM, 0600)
//	crl.pem                      revoked agency certificates, signed by the CA (optional)
//	roster.json                  members, agreements, revocations
//	agencies/<id>/cert.pem       the agency's certificate, issued by the CA
//	agencies/<id>/key.pem        the agency's private signing key (PEM, 0600)
//	agencies/<id>/seal.key       the agency's private sealing key (PEM, 0600)
//	broker/cert.pem, key.pem     the brokers' NATS client certificate and key
//	nats/server-cert.pem, -key   the NATS server's TLS certificate and key
//	nats/nats-server.conf        accounts, users and permissions (written by package bus)
package certs

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/durable"
)

// File names inside a federation folder.
const (
	CACertFile  = "ca.crt"
	CAKeyFile   = "ca.key"
	RosterFile  = "roster.json"
	AgenciesDir = "agencies"
	CertFile    = "cert.pem"
	KeyFile     = "key.pem"
)

// AgencyURI is the URI SAN that names an agency in its certificate.
func AgencyURI(id fedmatch.AgencyID) string { return "urn:fedmatch:agency:" + string(id) }

// InitOptions configures Init.
type InitOptions struct {
	Roster fedmatch.Roster
	// NATSHosts are names and addresses the NATS server certificate is
	// valid for, besides localhost, 127.0.0.1 and ::1.
	NATSHosts []string
	Now       time.Time     // start of validity; zero means time.Now()
	Validity  time.Duration // agency certificates; the CA gets twice as long
}

// DefaultValidity is how long development certificates are valid.
const DefaultValidity = 365 * 24 * time.Hour

// Init creates a federation in dir: a CA, a key and certificate per roster
// member, and the roster file. It refuses to overwrite an existing
// federation. Errors: Invalid, Exists, Internal.
func Init(dir string, opts InitOptions) error {
	const op = "certs.Init"
	r := opts.Roster
	if err := r.Validate(); err != nil {
		return fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, RosterFile)); err == nil {
		return fedmatch.E(op, fedmatch.Exists, "%s already holds a federation", dir)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	validity := opts.Validity
	if validity <= 0 {
		validity = DefaultValidity
	}
	if err := os.MkdirAll(filepath.Join(dir, AgenciesDir), 0o755); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}

	caPub, caKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "fedmatch federation CA " + r.Federation, Organization: []string{"fedmatch " + r.Federation}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(2 * validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caPub, caKey)
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "create CA certificate: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	if err := writePEM(filepath.Join(dir, CACertFile), "CERTIFICATE", caDER, 0o644); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if err := writeKey(filepath.Join(dir, CAKeyFile), caKey); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}

	r.Members = slices.Clone(r.Members)
	for i := range r.Members {
		m := &r.Members[i]
		if err := issueAgency(dir, m, ca, caKey, now, validity); err != nil {
			return fedmatch.E(op, fedmatch.Internal, "agency %s: %w", m.ID, err)
		}
	}
	if err := issueTLS(dir, ca, caKey, now, validity, opts.NATSHosts); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "NATS certificates: %w", err)
	}
	b, err := json.MarshalIndent(&r, "", "  ")
	if err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	// The roster is written last: its presence marks a complete federation.
	if err := writeFile(filepath.Join(dir, RosterFile), append(b, '\n'), 0o644); err != nil {
		return fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	return nil
}

// issueAgency writes m's signing and sealing keys and certificate, and
// sets m.SealKey to the sealing key's public half.
func issueAgency(dir string, m *fedmatch.Member, ca *x509.Certificate, caKey ed25519.PrivateKey, now time.Time, validity time.Duration) error {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	sealKey, sealPub, err := newSealKey()
	if err != nil {
		return err
	}
	m.SealKey = sealPub
	u, err := url.Parse(AgencyURI(m.ID))
	if err != nil {
		return err
	}
	su, err := url.Parse(SealURI(sealPub))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: string(m.ID), Organization: []string{m.Name}},
		URIs:         []*url.URL{u, su},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		return err
	}
	adir := filepath.Join(dir, AgenciesDir, string(m.ID))
	if err := os.MkdirAll(adir, 0o755); err != nil {
		return err
	}
	if err := writePEM(filepath.Join(adir, CertFile), "CERTIFICATE", der, 0o644); err != nil {
		return err
	}
	if err := writeSealKey(filepath.Join(adir, SealKeyFile), sealKey); err != nil {
		return err
	}
	return writeKey(filepath.Join(adir, KeyFile), key)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}

func writeKey(path string, key ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

// writeFile writes durably; see package durable.
func writeFile(path string, data []byte, mode os.FileMode) error {
	return durable.WriteFile(path, data, mode)
}

// Trust is a loaded, verified federation: the roster and each active
// member's certified public key. It is immutable; reload to see changes.
type Trust struct {
	roster fedmatch.Roster
	ca     *x509.Certificate
	keys   map[fedmatch.AgencyID]ed25519.PublicKey
	seal   map[fedmatch.AgencyID]hpke.PublicKey
	certs  map[fedmatch.AgencyID]*x509.Certificate
	broker ed25519.PublicKey
}

// Load reads the federation in dir and verifies, for every member, that its
// certificate chains to the CA, is valid at now and names the member.
// Errors: Invalid (anything that does not verify), NotFound.
func Load(dir string, now time.Time) (*Trust, error) {
	const op = "certs.Load"
	caDER, err := readPEM(filepath.Join(dir, CACertFile), "CERTIFICATE")
	if err != nil {
		return nil, wrapRead(op, err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s: %w", CACertFile, err)
	}
	if !ca.IsCA || ca.PublicKeyAlgorithm != x509.Ed25519 {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s is not an Ed25519 CA certificate", CACertFile)
	}
	if now.Before(ca.NotBefore) || now.After(ca.NotAfter) {
		return nil, fedmatch.E(op, fedmatch.Invalid, "CA certificate valid %s to %s, not at %s",
			ca.NotBefore.Format(time.RFC3339), ca.NotAfter.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	r, err := readRoster(dir)
	if err != nil {
		return nil, fedmatch.Wrap(op, fedmatch.ErrorCode(err), err)
	}
	t := &Trust{roster: *r, ca: ca, keys: map[fedmatch.AgencyID]ed25519.PublicKey{}, seal: map[fedmatch.AgencyID]hpke.PublicKey{},
		certs: map[fedmatch.AgencyID]*x509.Certificate{}}
	bder, err := readPEM(filepath.Join(dir, BrokerDir, CertFile), "CERTIFICATE")
	if err != nil {
		return nil, wrapRead(op, err)
	}
	if t.broker, err = verifyBrokerCert(bder, ca, now); err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	crl, err := loadCRL(dir, ca, now)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	for _, m := range t.roster.Members {
		der, err := readPEM(filepath.Join(dir, AgenciesDir, string(m.ID), CertFile), "CERTIFICATE")
		if err != nil {
			return nil, wrapRead(op, err)
		}
		cert, err := VerifyAgencyCert(der, ca, m.ID, now)
		if err != nil {
			return nil, fedmatch.Wrap(op, fedmatch.Invalid, err)
		}
		t.certs[m.ID] = cert
		t.keys[m.ID] = cert.PublicKey.(ed25519.PublicKey)
		if crl[cert.SerialNumber.String()] && !slices.Contains(t.roster.Revoked, m.ID) {
			t.roster.Revoked = append(t.roster.Revoked, m.ID)
		}
		if t.seal[m.ID], err = loadSealKey(&m, cert); err != nil {
			return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
		}
	}
	return t, nil
}

// readRoster reads and validates the roster of the federation in dir,
// without checking it against the certificates (Load does).
// Errors: NotFound, Invalid.
func readRoster(dir string) (*fedmatch.Roster, error) {
	const op = "certs.Load"
	b, err := os.ReadFile(filepath.Join(dir, RosterFile))
	if err != nil {
		return nil, wrapRead(op, err)
	}
	var r fedmatch.Roster
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s: %w", RosterFile, err)
	}
	if err := r.Validate(); err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	return &r, nil
}

// VerifyAgencyCert parses der and checks that it chains to ca, is valid at
// now, carries an Ed25519 key and names agency id. Errors: Invalid.
func VerifyAgencyCert(der []byte, ca *x509.Certificate, id fedmatch.AgencyID, now time.Time) (*x509.Certificate, error) {
	const op = "certs.VerifyAgencyCert"
	cert, err := verifyChain(der, ca, now)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "agency %s certificate: %w", id, err)
	}
	if _, ok := cert.PublicKey.(ed25519.PublicKey); !ok {
		return nil, fedmatch.E(op, fedmatch.Invalid, "agency %s certificate key is %s, not Ed25519", id, cert.PublicKeyAlgorithm)
	}
	// Exactly one agency URI, naming id; besides it only a sealing key's.
	named, agencyURIs := cert.Subject.CommonName == string(id), 0
	for _, u := range cert.URIs {
		switch s := u.String(); {
		case strings.HasPrefix(s, sealURIPrefix):
		case s == AgencyURI(id):
			agencyURIs++
		default:
			named = false
		}
	}
	if !named || agencyURIs != 1 {
		return nil, fedmatch.E(op, fedmatch.Invalid, "certificate names %q, not agency %s", cert.Subject.CommonName, id)
	}
	return cert, nil
}

// verifyChain parses der and checks that ca issued it and that it is valid
// at now.
func verifyChain(der []byte, ca *x509.Certificate, now time.Time) (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, err
	}
	return cert, nil
}

// Roster returns the federation's roster. Callers must not modify it.
func (t *Trust) Roster() *fedmatch.Roster { return &t.roster }

// CA returns the federation CA certificate.
func (t *Trust) CA() *x509.Certificate { return t.ca }

// PublicKey returns the certified signing key of an active member.
// Errors: UnknownAgency (not a member, or revoked).
func (t *Trust) PublicKey(id fedmatch.AgencyID) (ed25519.PublicKey, error) {
	const op = "certs.PublicKey"
	if !t.roster.Active(id) {
		if t.roster.Member(id) != nil {
			return nil, fedmatch.E(op, fedmatch.UnknownAgency, "agency %q is revoked", id)
		}
		return nil, fedmatch.E(op, fedmatch.UnknownAgency, "agency %q is not a member of federation %q", id, t.roster.Federation)
	}
	return t.keys[id], nil
}

// CertPEM returns an active member's certificate, PEM-encoded.
// Errors: UnknownAgency.
func (t *Trust) CertPEM(id fedmatch.AgencyID) ([]byte, error) {
	if _, err := t.PublicKey(id); err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: t.certs[id].Raw}), nil
}

// LoadKey reads agency id's private signing key from the federation in dir
// and checks it is the key its certificate certifies. Errors: NotFound,
// Invalid.
func LoadKey(dir string, id fedmatch.AgencyID, t *Trust) (ed25519.PrivateKey, error) {
	const op = "certs.LoadKey"
	var want func() (ed25519.PublicKey, error)
	if t != nil {
		want = func() (ed25519.PublicKey, error) {
			cert, ok := t.certs[id]
			if !ok {
				return nil, fedmatch.E(op, fedmatch.UnknownAgency, "agency %q is not in the roster", id)
			}
			return cert.PublicKey.(ed25519.PublicKey), nil
		}
	}
	return loadEd25519(filepath.Join(dir, AgenciesDir, string(id), KeyFile), op, want)
}

// loadEd25519 reads a private Ed25519 key readable by its owner only and,
// if want is set, checks it is the key want certifies.
func loadEd25519(path, op string, want func() (ed25519.PublicKey, error)) (ed25519.PrivateKey, error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, wrapRead(op, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%s is not an Ed25519 key", path)
	}
	if want != nil {
		pub, err := want()
		if err != nil {
			return nil, err
		}
		if !key.Public().(ed25519.PublicKey).Equal(pub) {
			return nil, fedmatch.E(op, fedmatch.Invalid, "%s does not match its certificate", path)
		}
	}
	return key, nil
}

func readPEM(path, typ string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, fmt.Errorf("%s: no PEM %s block", path, typ)
	}
	return blk.Bytes, nil
}

func wrapRead(op string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fedmatch.E(op, fedmatch.NotFound, "%w", err)
	}
	return fedmatch.E(op, fedmatch.Invalid, "%w", err)
}
