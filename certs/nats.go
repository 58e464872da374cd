package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/fedmatch/fedmatch"
)

// NATS credentials. Every party connects to NATS over TLS with a client
// certificate from the federation CA: an agency with its own certificate,
// the brokers with theirs (URI SAN BrokerURI), and the server presents one
// too. Package bus generates the server's accounts and permissions.

// Files of the NATS set-up inside a federation folder.
const (
	NATSDir        = "nats"
	NATSConfFile   = "nats-server.conf"
	ServerCertFile = "server-cert.pem"
	ServerKeyFile  = "server-key.pem"
	BrokerDir      = "broker"
	// BrokerAccount is the NATS account the brokers share.
	BrokerAccount = "fedmatch-brokers"
)

// BrokerURI is the URI SAN of the brokers' client certificate.
const BrokerURI = "urn:fedmatch:broker"

// Broker is the name the brokers sign their audit checkpoints by.
const Broker = "broker"

// verifyBrokerCert checks the brokers' certificate: issued by ca, valid at
// now, naming BrokerURI, with an Ed25519 key, which it returns.
func verifyBrokerCert(der []byte, ca *x509.Certificate, now time.Time) (ed25519.PublicKey, error) {
	cert, err := verifyChain(der, ca, now)
	if err != nil {
		return nil, fmt.Errorf("broker certificate: %w", err)
	}
	key, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok || len(cert.URIs) != 1 || cert.URIs[0].String() != BrokerURI {
		return nil, fmt.Errorf("broker certificate does not name %s with an Ed25519 key", BrokerURI)
	}
	return key, nil
}

// AuditKey is the key audit checkpoints signed by by must verify with:
// a member's certified signing key, revoked or not (its past checkpoints
// stay valid), or the brokers' for Broker. Errors: UnknownAgency.
func (t *Trust) AuditKey(by string) (ed25519.PublicKey, error) {
	if by == Broker {
		return t.broker, nil
	}
	if k, ok := t.keys[fedmatch.AgencyID(by)]; ok {
		return k, nil
	}
	return nil, fedmatch.E("certs.AuditKey", fedmatch.UnknownAgency, "no member or broker named %q", by)
}

// LoadBrokerKey reads the brokers' private key, which signs their audit
// checkpoints, and checks it is the key their certificate carries.
// Errors: NotFound, Invalid.
func LoadBrokerKey(dir string, t *Trust) (ed25519.PrivateKey, error) {
	return loadEd25519(filepath.Join(dir, BrokerDir, KeyFile), "certs.LoadBrokerKey", func() (ed25519.PublicKey, error) { return t.broker, nil })
}

// Credentials name the files a party connects to NATS with.
type Credentials struct {
	CertFile, KeyFile, CAFile string
}

// AgencyCredentials are the NATS credentials of agency id: its own
// certificate and key.
func AgencyCredentials(dir string, id fedmatch.AgencyID) Credentials {
	a := filepath.Join(dir, AgenciesDir, string(id))
	return Credentials{CertFile: filepath.Join(a, CertFile), KeyFile: filepath.Join(a, KeyFile), CAFile: filepath.Join(dir, CACertFile)}
}

// BrokerCredentials are the brokers' NATS credentials.
func BrokerCredentials(dir string) Credentials {
	b := filepath.Join(dir, BrokerDir)
	return Credentials{CertFile: filepath.Join(b, CertFile), KeyFile: filepath.Join(b, KeyFile), CAFile: filepath.Join(dir, CACertFile)}
}

// NATSConfPath is the path of the federation's NATS server configuration.
func NATSConfPath(dir string) string { return filepath.Join(dir, NATSDir, NATSConfFile) }

// issueTLS writes the brokers' client certificate and the NATS server's
// certificate (for localhost and 127.0.0.1, plus hosts) with their keys.
func issueTLS(dir string, ca *x509.Certificate, caKey ed25519.PrivateKey, now time.Time, validity time.Duration, hosts []string) error {
	bu, _ := url.Parse(BrokerURI)
	broker := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "fedmatch broker", Organization: ca.Subject.Organization},
		URIs:        []*url.URL{bu},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	srv := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "fedmatch NATS server", Organization: ca.Subject.Organization},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			srv.IPAddresses = append(srv.IPAddresses, ip)
		} else {
			srv.DNSNames = append(srv.DNSNames, h)
		}
	}
	for _, c := range []struct {
		tmpl      *x509.Certificate
		dir       string
		cert, key string
	}{
		{broker, filepath.Join(dir, BrokerDir), CertFile, KeyFile},
		{srv, filepath.Join(dir, NATSDir), ServerCertFile, ServerKeyFile},
	} {
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		c.tmpl.SerialNumber, c.tmpl.NotBefore, c.tmpl.NotAfter = serial(), now.Add(-time.Minute), now.Add(validity)
		c.tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, c.tmpl, ca, pub, caKey)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return err
		}
		if err := writePEM(filepath.Join(c.dir, c.cert), "CERTIFICATE", der, 0o644); err != nil {
			return err
		}
		if err := writeKey(filepath.Join(c.dir, c.key), key); err != nil {
			return err
		}
	}
	return nil
}
