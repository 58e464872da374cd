package wire

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hpke"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/fedmatch/fedmatch"
)

// Sealing. The broker routes every token, so what is not routing metadata
// is sealed with HPKE (RFC 9180, crypto/hpke) to the agency that may read
// it, under the KEM of that agency's certified key (ML-KEM-768 + X25519 by
// default), HKDF-SHA256 and AES-256-GCM:
//
//   - a query's content (probe, case, step-two reference) is encrypted once
//     under a fresh content key with AES-256-GCM, and the content key is
//     sealed to each target (as JWE and CMS do for many recipients), so a
//     query to ten nodes carries one probe and ten wrapped keys;
//   - an answer's content (hits, reason, policy revision) is sealed to the
//     requester alone.
//
// The HPKE info binds each seal to its query's jti, its sender and its
// recipient: a sealed part lifted into another query, or meant for another
// agency, does not open. The token is signed after sealing, so nobody can
// swap a sealed part without breaking the signature either.

// SealKeys gives members' certified sealing keys. *certs.Trust is one.
type SealKeys interface {
	// SealKey returns an active member's key. Errors: UnknownAgency.
	SealKey(id fedmatch.AgencyID) (hpke.PublicKey, error)
}

// SealedQuery is a query's sealed content: the content encrypted once,
// and its key sealed to each target.
type SealedQuery struct {
	Keys map[fedmatch.AgencyID]string `json:"keys"` // base64url HPKE(content key), per target
	Data string                       `json:"data"` // base64url AES-256-GCM(content)
}

// QueryContent is what a query carries that only its targets may read.
type QueryContent struct {
	Case  string         `json:"case,omitempty"`
	Probe fedmatch.Probe `json:"probe"`
	// Ref, when set, makes this a step-two disclose request for one hit a
	// node returned earlier: one target, a case reference, no probe.
	Ref string `json:"ref,omitempty"`
}

func suite() (hpke.KDF, hpke.AEAD) { return hpke.HKDFSHA256(), hpke.AES256GCM() }

// info is the HPKE info (or AES-GCM associated data) of one seal.
func info(use, id string, parties ...fedmatch.AgencyID) []byte {
	b := []byte("fedmatch/v1 " + use + "\x00" + id)
	for _, p := range parties {
		b = append(append(b, 0), p...)
	}
	return b
}

var b64 = base64.RawURLEncoding

// sealQuery encrypts content for targets. Errors: UnknownAgency (a target
// has no active sealing key), Internal.
func sealQuery(keys SealKeys, from fedmatch.AgencyID, jti string, targets []fedmatch.AgencyID, content *QueryContent) (*SealedQuery, error) {
	plain, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	cek := make([]byte, 32)
	rand.Read(cek)
	gcm, err := contentCipher(cek)
	if err != nil {
		return nil, err
	}
	// A fresh key seals one message, so a fixed nonce never repeats.
	nonce := make([]byte, gcm.NonceSize())
	out := &SealedQuery{Keys: map[fedmatch.AgencyID]string{},
		Data: b64.EncodeToString(gcm.Seal(nil, nonce, plain, info("query", jti, from)))}
	kdf, aead := suite()
	for _, t := range targets {
		pub, err := keys.SealKey(t)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t, err)
		}
		ct, err := hpke.Seal(pub, kdf, aead, info("query key", jti, from, t), cek)
		if err != nil {
			return nil, fedmatch.E("wire.Seal", fedmatch.Internal, "target %s: %w", t, err)
		}
		out.Keys[t] = b64.EncodeToString(ct)
	}
	return out, nil
}

// openQuery decrypts the content sealed for self. Errors: Malformed (no
// part for self, or one that does not open with self's key).
func openQuery(priv hpke.PrivateKey, self, from fedmatch.AgencyID, jti string, s *SealedQuery) (*QueryContent, error) {
	wrapped, ok := s.Keys[self]
	if !ok {
		return nil, fmt.Errorf("no content sealed for %s", self)
	}
	ct, err := b64.DecodeString(wrapped)
	if err != nil {
		return nil, fmt.Errorf("content key for %s: %w", self, err)
	}
	kdf, aead := suite()
	cek, err := hpke.Open(priv, kdf, aead, info("query key", jti, from, self), ct)
	if err != nil || len(cek) != 32 {
		return nil, fmt.Errorf("the content key sealed for %s does not open with its sealing key", self)
	}
	data, err := b64.DecodeString(s.Data)
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	gcm, err := contentCipher(cek)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, make([]byte, gcm.NonceSize()), data, info("query", jti, from))
	if err != nil {
		return nil, fmt.Errorf("the content does not open with the key sealed for %s", self)
	}
	c := &QueryContent{}
	if err := strictJSON(plain, c); err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	return c, nil
}

func contentCipher(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealAnswer seals an answer's content to its requester.
func sealAnswer(keys SealKeys, from, to fedmatch.AgencyID, qid string, a *fedmatch.Answer) (string, error) {
	pub, err := keys.SealKey(to)
	if err != nil {
		return "", fmt.Errorf("requester %s: %w", to, err)
	}
	plain, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	kdf, aead := suite()
	ct, err := hpke.Seal(pub, kdf, aead, info("answer", qid, from, to), plain)
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(ct), nil
}

// openAnswer opens an answer sealed to self.
func openAnswer(priv hpke.PrivateKey, from, self fedmatch.AgencyID, qid, sealed string) (*fedmatch.Answer, error) {
	ct, err := b64.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("sealed answer: %w", err)
	}
	kdf, aead := suite()
	plain, err := hpke.Open(priv, kdf, aead, info("answer", qid, from, self), ct)
	if err != nil {
		return nil, fmt.Errorf("the answer from %s does not open with %s's sealing key", from, self)
	}
	a := &fedmatch.Answer{}
	if err := strictJSON(plain, a); err != nil {
		return nil, fmt.Errorf("sealed answer: %w", err)
	}
	return a, nil
}

// strictJSON decodes b into v, refusing unknown fields and trailing data.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}
