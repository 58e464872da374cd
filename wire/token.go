package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fedmatch/fedmatch"
)

// Token timing. Queries are short-lived so the replay cache stays small and
// a captured token is soon useless.
const (
	DefaultQueryLifetime = 30 * time.Second
	MaxLifetime          = 5 * time.Minute
	Leeway               = 5 * time.Second
)

// QueryClaims are the claims of a query token. iss is the requesting
// agency, aud the federation, jti the query id.
type QueryClaims struct {
	jwt.RegisteredClaims
	Purpose fedmatch.Purpose    `json:"purpose"`
	Basis   string              `json:"basis"`
	Case    string              `json:"case,omitempty"`
	Targets []fedmatch.AgencyID `json:"targets"`
	Probe   fedmatch.Probe      `json:"probe"`
	// Ref, when set, makes this a step-two disclose request for one hit a
	// node returned earlier: one target, a case reference, no probe.
	Ref string `json:"ref,omitempty"`
}

// Step is "disclose" for a step-two request, else "match".
func (c *QueryClaims) Step() string {
	if c.Ref != "" {
		return StepDisclose
	}
	return StepMatch
}

// The two steps of a query.
const (
	StepMatch    = "match"
	StepDisclose = "disclose"
)

// Requester returns the issuing agency.
func (c *QueryClaims) Requester() fedmatch.AgencyID { return fedmatch.AgencyID(c.Issuer) }

// AnswerClaims are the claims of an answer token. iss is the answering
// node's agency, aud the requester, qid the query's jti: an answer binds to
// one query of one requester and cannot be replayed onto another.
type AnswerClaims struct {
	jwt.RegisteredClaims
	QueryID string          `json:"qid"`
	Answer  fedmatch.Answer `json:"answer"`
}

// KeySource gives verified public keys and the roster. *certs.Trust is one.
type KeySource interface {
	// PublicKey returns an active member's key. Errors: UnknownAgency.
	PublicKey(id fedmatch.AgencyID) (ed25519.PublicKey, error)
	Roster() *fedmatch.Roster
}

// Signer signs tokens with one agency's key.
type Signer struct {
	Agency fedmatch.AgencyID
	Key    ed25519.PrivateKey
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NewID returns a random 128-bit token id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// QueryRequest is what a requester asks; SignQuery turns it into a token.
type QueryRequest struct {
	Audience string
	Purpose  fedmatch.Purpose
	Basis    string
	Case     string
	Targets  []fedmatch.AgencyID
	Probe    fedmatch.Probe
	Ref      string        // step two: the reference of a hit to disclose
	Lifetime time.Duration // zero means DefaultQueryLifetime
}

// SignQuery signs a query token. Errors: Malformed (the request breaks the
// rules the verifier will apply), Internal.
func (s *Signer) SignQuery(q *QueryRequest) (token string, claims *QueryClaims, err error) {
	const op = "wire.SignQuery"
	life := q.Lifetime
	if life == 0 {
		life = DefaultQueryLifetime
	}
	now := s.now()
	claims = &QueryClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    string(s.Agency),
			Audience:  jwt.ClaimStrings{q.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(life)),
			ID:        NewID(),
		},
		Purpose: q.Purpose, Basis: q.Basis, Case: q.Case, Targets: q.Targets, Probe: q.Probe, Ref: q.Ref,
	}
	if err := claims.validate(); err != nil {
		return "", nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	token, err = s.sign(claims)
	if err != nil {
		return "", nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if len(token) > MaxQueryBytes {
		return "", nil, fedmatch.E(op, fedmatch.TooLarge, "query token of %d bytes; at most %d", len(token), MaxQueryBytes)
	}
	return token, claims, nil
}

// SignAnswer signs node's answer to query q for its requester.
func (s *Signer) SignAnswer(q *QueryClaims, a *fedmatch.Answer) (string, error) {
	now := s.now()
	exp := now.Add(DefaultQueryLifetime)
	if q.ExpiresAt != nil && q.ExpiresAt.After(exp) {
		exp = q.ExpiresAt.Time
	}
	claims := &AnswerClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    string(s.Agency),
			Audience:  jwt.ClaimStrings{q.Issuer},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        NewID(),
		},
		QueryID: q.ID,
		Answer:  *a,
	}
	tok, err := s.sign(claims)
	if err != nil {
		return "", fedmatch.E("wire.SignAnswer", fedmatch.Internal, "%w", err)
	}
	return tok, nil
}

func (s *Signer) sign(c jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = string(s.Agency)
	return t.SignedString(s.Key)
}

func (c *QueryClaims) validate() error {
	switch {
	case !c.Purpose.Known():
		return fmt.Errorf("unknown purpose %q", c.Purpose)
	case c.Basis == "":
		return errors.New("basis (agreement id) is required")
	case len(c.Targets) == 0 || len(c.Targets) > 64:
		return fmt.Errorf("%d targets; need 1 to 64", len(c.Targets))
	case len(c.Case) > 128:
		return errors.New("case reference longer than 128 bytes")
	}
	for i, t := range c.Targets {
		if err := t.Validate(); err != nil {
			return err
		}
		if slices.Contains(c.Targets[:i], t) {
			return fmt.Errorf("target %q listed twice", t)
		}
	}
	if slices.Contains(c.Targets, c.Requester()) {
		return errors.New("an agency may not query itself")
	}
	if c.Ref != "" {
		switch {
		case len(c.Ref) > 256:
			return errors.New("ref longer than 256 bytes")
		case len(c.Targets) != 1:
			return errors.New("a disclose request names exactly one target: the node that issued the reference")
		case c.Case == "":
			return errors.New("a disclose request needs a case reference")
		case len(c.Probe.Kinds()) > 0 || len(c.Probe.Documents) > 0:
			return errors.New("a disclose request carries no probe")
		}
		return nil
	}
	return c.Probe.Validate()
}

// Verifier checks tokens against the federation's keys. Each party (broker,
// every node, every requester) runs its own and keeps its own replay cache:
// none trusts another's checks.
type Verifier struct {
	Keys   KeySource
	Replay *ReplayCache
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewVerifier returns a verifier with a fresh replay cache.
func NewVerifier(keys KeySource) *Verifier {
	return &Verifier{Keys: keys, Replay: NewReplayCache()}
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// VerifyQuery checks a query token and returns its claims. The checks run
// in a fixed order, each with its own error code:
//
//  1. size, before anything is parsed (TooLarge);
//  2. structure and algorithm: EdDSA only, so none, HS* with the public
//     key as secret and RS* are refused (Malformed, BadSignature);
//  3. issuer: an active member of the roster (UnknownAgency);
//  4. signature against the issuer's certified key (BadSignature);
//  5. time: exp and iat required, lifetime at most MaxLifetime, within a
//     bounded leeway (Expired, Malformed);
//  6. audience: this federation (WrongAudience);
//  7. jti required, claims well-formed (Malformed);
//  8. replay of jti within its lifetime (Replayed), last, so a token that
//     fails another check does not use up its id.
func (v *Verifier) VerifyQuery(raw []byte) (*QueryClaims, error) {
	const op = "wire.VerifyQuery"
	c := &QueryClaims{}
	if err := v.verify(op, raw, MaxQueryBytes, c, v.Keys.Roster().Audience()); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	if err := v.Replay.Check(c.Issuer+"\x00"+c.ID, c.ExpiresAt.Add(Leeway), v.now()); err != nil {
		return nil, fedmatch.Wrap(op, fedmatch.Replayed, err)
	}
	return c, nil
}

// VerifyAnswer checks an answer token that agency from sent to self in
// reply to query queryID: the same checklist as VerifyQuery, and the
// answer must be issued by from, addressed to self and bound to queryID,
// so that a broker cannot swap answers between nodes, queries or requesters.
func (v *Verifier) VerifyAnswer(raw []byte, from, self fedmatch.AgencyID, queryID string) (*AnswerClaims, error) {
	const op = "wire.VerifyAnswer"
	c := &AnswerClaims{}
	if err := v.verify(op, raw, MaxAnswerBytes, c, string(self)); err != nil {
		return nil, err
	}
	switch {
	case c.Issuer != string(from):
		return nil, fedmatch.E(op, fedmatch.BadSignature, "answer for %s signed by %s", from, c.Issuer)
	case c.QueryID != queryID:
		return nil, fedmatch.E(op, fedmatch.Malformed, "answer bound to query %q, not %q", c.QueryID, queryID)
	case c.Answer.Agency != from:
		return nil, fedmatch.E(op, fedmatch.Malformed, "answer names agency %q, signed by %s", c.Answer.Agency, from)
	}
	if err := v.Replay.Check(c.Issuer+"\x00"+c.ID, c.ExpiresAt.Add(Leeway), v.now()); err != nil {
		return nil, fedmatch.Wrap(op, fedmatch.Replayed, err)
	}
	return c, nil
}

// verify runs checks 1–7 common to all tokens.
func (v *Verifier) verify(op string, raw []byte, limit int, claims jwt.Claims, aud string) error {
	// 1. Size.
	if len(raw) > limit {
		return fedmatch.E(op, fedmatch.TooLarge, "token of %d bytes; at most %d", len(raw), limit)
	}
	// 2–6. The parser checks the algorithm before asking for a key, the
	// signature before the claims, and exp/iat/aud with bounded leeway.
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithAudience(aud),
		jwt.WithTimeFunc(v.now),
		jwt.WithStrictDecoding(),
	)
	_, err := p.ParseWithClaims(string(raw), claims, func(t *jwt.Token) (any, error) {
		iss, err := t.Claims.GetIssuer()
		if err != nil || iss == "" {
			return nil, fedmatch.E(op, fedmatch.Malformed, "iss is required")
		}
		// 3. Issuer: an active member, its key pinned by the federation CA.
		return v.Keys.PublicKey(fedmatch.AgencyID(iss))
	})
	if err != nil {
		return fedmatch.E(op, jwtCode(err), "%w", err)
	}
	// 5. Lifetime: short, so that replay protection stays bounded.
	iat, _ := claims.GetIssuedAt()
	exp, _ := claims.GetExpirationTime()
	if exp.Sub(iat.Time) > MaxLifetime {
		return fedmatch.E(op, fedmatch.Malformed, "lifetime %s; at most %s", exp.Sub(iat.Time), MaxLifetime)
	}
	// 7. Token id.
	if jti := tokenID(claims); len(jti) < 16 || len(jti) > 64 {
		return fedmatch.E(op, fedmatch.Malformed, "jti is required (16 to 64 characters)")
	}
	return nil
}

func tokenID(c jwt.Claims) string {
	switch c := c.(type) {
	case *QueryClaims:
		return c.ID
	case *AnswerClaims:
		return c.ID
	}
	return ""
}

// jwtCode maps golang-jwt's errors onto our codes.
func jwtCode(err error) fedmatch.Code {
	var fe *fedmatch.Error
	switch {
	case errors.As(err, &fe):
		return fe.Code // from our key function: UnknownAgency, Malformed
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenRequiredClaimMissing),
		errors.Is(err, jwt.ErrInvalidType):
		return fedmatch.Malformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable),
		errors.Is(err, jwt.ErrInvalidKeyType), errors.Is(err, jwt.ErrInvalidKey):
		return fedmatch.BadSignature
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet),
		errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return fedmatch.Expired
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return fedmatch.WrongAudience
	}
	return fedmatch.Malformed
}
