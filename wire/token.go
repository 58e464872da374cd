package wire

import (
	"crypto/ed25519"
	"crypto/hpke"
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
// agency, aud the federation, jti the query id. What the broker needs to
// route is in clear; the rest is sealed to the targets (see SealedQuery).
type QueryClaims struct {
	jwt.RegisteredClaims
	Purpose fedmatch.Purpose    `json:"purpose"`
	Basis   string              `json:"basis"`
	Targets []fedmatch.AgencyID `json:"targets"`
	// Endpoint is the step, StepMatch or StepDisclose: the broker routes
	// by it without seeing whether there is a reference.
	Endpoint string       `json:"step"`
	Sealed   *SealedQuery `json:"sealed"`
	// QueryContent is the content in clear: set by SignQuery for the
	// sender and by Signer.OpenQuery for a target; never sent unsealed.
	QueryContent `json:"-"`
}

// Step is the query's step: StepMatch or StepDisclose.
func (c *QueryClaims) Step() string { return c.Endpoint }

// The two steps of a query.
const (
	StepMatch    = "match"
	StepDisclose = "disclose"
)

// Requester returns the issuing agency.
func (c *QueryClaims) Requester() fedmatch.AgencyID { return fedmatch.AgencyID(c.Issuer) }

// AnswerClaims are the claims of an answer token. iss is the answering
// node's agency, aud the requester, qid the query's jti: an answer binds to
// one query of one requester and cannot be replayed onto another. Only the
// status is in clear, for the broker's per-node report; the answer itself
// is sealed to the requester.
type AnswerClaims struct {
	jwt.RegisteredClaims
	QueryID string          `json:"qid"`
	Status  fedmatch.Status `json:"status"`
	Sealed  string          `json:"sealed"`
	// Answer is the answer in clear, set by Signer.OpenAnswer.
	Answer fedmatch.Answer `json:"-"`
}

// answerStatuses are the statuses a node may answer with; unavailable
// and error are the broker's to report.
var answerStatuses = []fedmatch.Status{fedmatch.StatusHit, fedmatch.StatusNoHit, fedmatch.StatusRefused, fedmatch.StatusPendingReview}

// KeySource gives verified public keys and the roster. *certs.Trust is one.
type KeySource interface {
	// PublicKey returns an active member's key. Errors: UnknownAgency.
	PublicKey(id fedmatch.AgencyID) (ed25519.PublicKey, error)
	Roster() *fedmatch.Roster
}

// Signer signs and seals tokens for one agency, and opens what is sealed
// to it.
type Signer struct {
	Agency fedmatch.AgencyID
	Key    ed25519.PrivateKey
	// SealKey is the agency's private sealing key: it opens the probes
	// sent to its node and the answers sent to it as requester.
	SealKey hpke.PrivateKey
	// Keys gives the sealing keys of the agencies it seals to.
	Keys SealKeys
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

// SignQuery seals the request's content to its targets and signs the
// query token. Errors: Malformed (the request breaks the rules the
// verifier will apply), UnknownAgency (a target has no active sealing
// key), TooLarge, Internal.
func (s *Signer) SignQuery(q *QueryRequest) (token string, claims *QueryClaims, err error) {
	const op = "wire.SignQuery"
	life := q.Lifetime
	if life == 0 {
		life = DefaultQueryLifetime
	}
	now := s.now()
	step := StepMatch
	if q.Ref != "" {
		step = StepDisclose
	}
	claims = &QueryClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    string(s.Agency),
			Audience:  jwt.ClaimStrings{q.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(life)),
			ID:        NewID(),
		},
		Purpose: q.Purpose, Basis: q.Basis, Targets: q.Targets, Endpoint: step,
		QueryContent: QueryContent{Case: q.Case, Probe: q.Probe, Ref: q.Ref},
	}
	if err := claims.validateRouting(); err != nil {
		return "", nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	if err := claims.validateContent(); err != nil {
		return "", nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	if s.Keys == nil {
		return "", nil, fedmatch.E(op, fedmatch.Internal, "signer has no sealing keys to seal to")
	}
	if err := claims.Seal(s.Keys); err != nil {
		return "", nil, fedmatch.Wrap(op, fedmatch.Internal, err)
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

// Seal seals c.QueryContent to c's targets, bound to its jti and issuer,
// into c.Sealed. SignQuery calls it; tests that forge tokens call it too.
// Errors: UnknownAgency (a target has no active sealing key), Internal.
func (c *QueryClaims) Seal(keys SealKeys) error {
	sealed, err := sealQuery(keys, c.Requester(), c.ID, c.Targets, &c.QueryContent)
	if err != nil {
		return err
	}
	c.Sealed = sealed
	return nil
}

// OpenQuery opens the content of a verified query sealed to this agency
// and checks it, filling in c.QueryContent. Errors: Malformed.
func (s *Signer) OpenQuery(c *QueryClaims) error {
	const op = "wire.OpenQuery"
	if s.SealKey == nil {
		return fedmatch.E(op, fedmatch.Internal, "signer has no sealing key")
	}
	content, err := openQuery(s.SealKey, s.Agency, c.Requester(), c.ID, c.Sealed)
	if err != nil {
		return fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	c.QueryContent = *content
	if err := c.validateContent(); err != nil {
		return fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	return nil
}

// SignAnswer seals node's answer to query q to its requester and signs
// it. Errors: UnknownAgency (the requester has no active sealing key),
// Internal.
func (s *Signer) SignAnswer(q *QueryClaims, a *fedmatch.Answer) (string, error) {
	const op = "wire.SignAnswer"
	now := s.now()
	exp := now.Add(DefaultQueryLifetime)
	if q.ExpiresAt != nil && q.ExpiresAt.After(exp) {
		exp = q.ExpiresAt.Time
	}
	if s.Keys == nil {
		return "", fedmatch.E(op, fedmatch.Internal, "signer has no sealing keys to seal to")
	}
	sealed, err := sealAnswer(s.Keys, s.Agency, q.Requester(), q.ID, a)
	if err != nil {
		return "", fedmatch.Wrap(op, fedmatch.Internal, err)
	}
	claims := &AnswerClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    string(s.Agency),
			Audience:  jwt.ClaimStrings{q.Issuer},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        NewID(),
		},
		QueryID: q.ID, Status: a.Status, Sealed: sealed,
	}
	tok, err := s.sign(claims)
	if err != nil {
		return "", fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	return tok, nil
}

// ReadAnswer verifies with v an answer token that agency from sent to
// this agency in reply to query queryID, and opens it. Errors: those of
// VerifyAnswer and OpenAnswer.
func (s *Signer) ReadAnswer(v *Verifier, raw []byte, from fedmatch.AgencyID, queryID string) (*fedmatch.Answer, error) {
	c, err := v.VerifyAnswer(raw, from, s.Agency, queryID)
	if err != nil {
		return nil, err
	}
	return s.OpenAnswer(c)
}

// OpenAnswer opens a verified answer sealed to this agency, fills in
// c.Answer and returns it. The sealed answer must name the agency that
// signed it and the status it signed in clear. Errors: Malformed.
func (s *Signer) OpenAnswer(c *AnswerClaims) (*fedmatch.Answer, error) {
	const op = "wire.OpenAnswer"
	if s.SealKey == nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "signer has no sealing key")
	}
	a, err := openAnswer(s.SealKey, fedmatch.AgencyID(c.Issuer), s.Agency, c.QueryID, c.Sealed)
	switch {
	case err != nil:
		return nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	case a.Agency != fedmatch.AgencyID(c.Issuer):
		return nil, fedmatch.E(op, fedmatch.Malformed, "answer names agency %q, signed by %s", a.Agency, c.Issuer)
	case a.Status != c.Status:
		return nil, fedmatch.E(op, fedmatch.Malformed, "sealed status %q, signed status %q", a.Status, c.Status)
	}
	c.Answer = *a
	return a, nil
}

func (s *Signer) sign(c jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = string(s.Agency)
	return t.SignedString(s.Key)
}

// validateRouting checks what the broker and every node can see.
func (c *QueryClaims) validateRouting() error {
	switch {
	case !c.Purpose.Known():
		return fmt.Errorf("unknown purpose %q", c.Purpose)
	case c.Basis == "":
		return errors.New("basis (agreement id) is required")
	case len(c.Targets) == 0 || len(c.Targets) > MaxTargets:
		return fmt.Errorf("%d targets; need 1 to %d", len(c.Targets), MaxTargets)
	case c.Endpoint != StepMatch && c.Endpoint != StepDisclose:
		return fmt.Errorf("step %q; want %s or %s", c.Endpoint, StepMatch, StepDisclose)
	case c.Endpoint == StepDisclose && len(c.Targets) != 1:
		return errors.New("a disclose request names exactly one target: the node that issued the reference")
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
	if c.Sealed == nil {
		return nil // not sealed yet: SignQuery checks before it seals
	}
	if c.Sealed.Data == "" || len(c.Sealed.Keys) != len(c.Targets) {
		return fmt.Errorf("sealed content for %d agencies, %d targets", len(c.Sealed.Keys), len(c.Targets))
	}
	for _, t := range c.Targets {
		if c.Sealed.Keys[t] == "" {
			return fmt.Errorf("no content sealed for target %s", t)
		}
	}
	return nil
}

// validateContent checks the content, in clear, against the step.
func (c *QueryClaims) validateContent() error {
	if len(c.Case) > 128 {
		return errors.New("case reference longer than 128 bytes")
	}
	if (c.Ref != "") != (c.Endpoint == StepDisclose) {
		return fmt.Errorf("a %s request with ref %q", c.Endpoint, c.Ref)
	}
	if c.Ref != "" {
		switch {
		case len(c.Ref) > 256:
			return errors.New("ref longer than 256 bytes")
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
	if err := c.validateRouting(); err != nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	if c.Sealed == nil {
		return nil, fedmatch.E(op, fedmatch.Malformed, "the query's content is not sealed")
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
	case !slices.Contains(answerStatuses, c.Status):
		return nil, fedmatch.E(op, fedmatch.Malformed, "answer status %q", c.Status)
	case c.Sealed == "":
		return nil, fedmatch.E(op, fedmatch.Malformed, "the answer's content is not sealed")
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
