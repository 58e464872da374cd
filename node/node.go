// Package node is a node's core: for each query it verifies the token
// itself, checks the agreement, asks its policy what may be searched,
// matches, asks its policy what each hit may disclose, signs the answer and
// audits it. It is written against the root interfaces, so it runs with
// fakes in unit tests and with NATS, OPA and go-memdb when wired in cmd/.
package node

import (
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/wire"
)

// Config is a node's configuration. Copy DefaultConfig and adjust.
type Config struct {
	// Agency is who this node answers for.
	Agency fedmatch.AgencyID
	// Secret keys the node's opaque hit references and probe digests. It
	// never leaves the node; 32 random bytes kept in its data directory.
	Secret []byte
	// MaxHits caps hits per answer whatever the policy says.
	MaxHits int
	// MaxCandidates caps how many candidates one probe may score, so a
	// too-common name cannot make a query expensive.
	MaxCandidates int
	// Limits caps how fast each requester may query this node.
	Limits Limits
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Limits are a node's rate limits per requester: over all purposes, and
// for each purpose. A query over either is answered refused, reason
// rate_limited, before its content is opened or anything is searched.
type Limits struct {
	PerAgency  ratelimit.Limit `json:"per_agency"`
	PerPurpose ratelimit.Limit `json:"per_purpose"`
}

// DefaultLimits allow a requester 200 queries a second (bursts of 400),
// 100 of them for any one purpose (bursts of 200).
var DefaultLimits = Limits{PerAgency: ratelimit.Limit{PerSecond: 200, Burst: 400}, PerPurpose: ratelimit.Limit{PerSecond: 100, Burst: 200}}

// DefaultConfig returns a node configuration with safe limits.
func DefaultConfig() Config {
	return Config{MaxHits: 20, MaxCandidates: 5000, Limits: DefaultLimits}
}

// Deps are the adapters a node is wired with.
type Deps struct {
	Keys     wire.KeySource
	Signer   *wire.Signer
	Store    fedmatch.Store
	Matcher  fedmatch.Matcher
	Policy   fedmatch.PolicyEngine
	Audit    fedmatch.AuditLog
	Log      *slog.Logger
	Verifier *wire.Verifier // nil means a new one over Keys
	Usage    *Usage         // nil means a new, empty counter
	// Reviews queues step-two disclosures a policy wants confirmed by a
	// person. Nil: such disclosures are not made at all (deny by default).
	Reviews fedmatch.ReviewQueue
}

// Node answers match queries for one agency.
type Node struct {
	cfg Config
	d   Deps
	// refs seals record ids into the opaque references handed out.
	refs cipher.AEAD
	// perAgency and perPurpose are the rate limits' buckets.
	perAgency, perPurpose *ratelimit.Keyed
}

// New checks cfg and deps and returns a node. Errors: Invalid.
func New(cfg Config, d Deps) (*Node, error) {
	const op = "node.New"
	switch {
	case cfg.Agency.Validate() != nil:
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", cfg.Agency.Validate())
	case len(cfg.Secret) < 32:
		return nil, fedmatch.E(op, fedmatch.Invalid, "secret must be at least 32 bytes")
	case d.Keys == nil || d.Signer == nil || d.Store == nil || d.Matcher == nil || d.Policy == nil || d.Audit == nil:
		return nil, fedmatch.E(op, fedmatch.Invalid, "every dependency is required")
	case d.Signer.Agency != cfg.Agency:
		return nil, fedmatch.E(op, fedmatch.Invalid, "signer is %s, node is %s", d.Signer.Agency, cfg.Agency)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxHits <= 0 {
		cfg.MaxHits = DefaultConfig().MaxHits
	}
	if cfg.MaxCandidates <= 0 {
		cfg.MaxCandidates = DefaultConfig().MaxCandidates
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Usage == nil {
		d.Usage = NewUsage()
	}
	if d.Verifier == nil {
		d.Verifier = wire.NewVerifier(d.Keys)
		d.Verifier.Now = cfg.Now
	}
	n := &Node{cfg: cfg, d: d, perAgency: ratelimit.New(cfg.Limits.PerAgency), perPurpose: ratelimit.New(cfg.Limits.PerPurpose)}
	block, err := aes.NewCipher(n.key("ref-key"))
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	if n.refs, err = cipher.NewGCM(block); err != nil {
		return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
	}
	return n, nil
}

// Agency returns the agency the node answers for.
func (n *Node) Agency() fedmatch.AgencyID { return n.cfg.Agency }

// HandleMatch answers a raw query with a raw NodeReply; it is what the
// transport calls. It never fails: every error becomes a typed reply.
func (n *Node) HandleMatch(ctx context.Context, raw []byte) []byte {
	return reply(n.Match(ctx, raw))
}

// HandleDisclose answers a raw step-two request with a raw NodeReply.
func (n *Node) HandleDisclose(ctx context.Context, raw []byte) []byte {
	return reply(n.Disclose(ctx, raw))
}

// errOp is the innermost operation named in err's chain, for logs that
// must not carry the message itself.
func errOp(err error) string {
	op := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		if fe, ok := e.(*fedmatch.Error); ok {
			op = fe.Op
		}
	}
	return op
}

func reply(tok string, err error) []byte {
	b, _ := json.Marshal(&wire.NodeReply{Token: tok, Error: wire.EncodeError(err)})
	return b
}

// Match answers one query token with a signed answer token. Verification
// failures return an error (there is no verified requester to answer);
// refusals by agreement or policy are signed answers with status refused.
// Errors: every code of wire.Verifier.VerifyQuery, WrongAudience (the
// query does not target this node), Internal.
func (n *Node) Match(ctx context.Context, raw []byte) (string, error) {
	return n.answer(ctx, raw, wire.StepMatch)
}

// Disclose answers step two: the requester names a hit by the reference
// this node gave it, for a purpose and with a case reference, and the
// node discloses what its policy allows at that step. A reference issued
// to another agency, or forged, or to a record no longer held or
// retained, is answered no_hit, as if the record did not exist.
// Errors: as Match, and Malformed for a request that is not step two.
func (n *Node) Disclose(ctx context.Context, raw []byte) (string, error) {
	return n.answer(ctx, raw, wire.StepDisclose)
}

// answer runs the steps common to both endpoints, then matches or
// discloses.
func (n *Node) answer(ctx context.Context, raw []byte, step string) (string, error) {
	op := "node." + step
	now := n.cfg.Now()

	// 1. Verify the token here, whatever the broker checked.
	q, err := n.d.Verifier.VerifyQuery(raw)
	if err != nil {
		// The message can quote the probe (an invalid date, say): log only
		// what kind of failure it was, never what was asked.
		n.d.Log.Warn("query refused", "code", fedmatch.ErrorCode(err), "op", errOp(err))
		n.audit(&fedmatch.AuditEntry{Time: now, Event: step + ".rejected", Outcome: fedmatch.ErrorCode(err).String()})
		return "", fedmatch.Wrap(op, fedmatch.Malformed, err)
	}
	// 2. It must be addressed to us, at the right endpoint.
	if !slices.Contains(q.Targets, n.cfg.Agency) {
		n.audit(n.entry(q, now, step+".rejected", fedmatch.WrongAudience.String(), ""))
		return "", fedmatch.E(op, fedmatch.WrongAudience, "query targets %v, not %s", q.Targets, n.cfg.Agency)
	}
	if q.Step() != step {
		n.audit(n.entry(q, now, step+".rejected", fedmatch.Malformed.String(), ""))
		return "", fedmatch.E(op, fedmatch.Malformed, "a %s request sent to the %s endpoint", q.Step(), step)
	}
	roster := n.d.Keys.Roster()
	info := fedmatch.RequestInfo{ID: q.ID, Step: step, Requester: q.Requester(), Purpose: q.Purpose, Basis: q.Basis,
		Time: now.UTC().Format(time.RFC3339Nano)}
	// One revision of the policy decides this whole query.
	pol := n.d.Policy.Current()
	answer := &fedmatch.Answer{Agency: n.cfg.Agency, Revision: pol.Revision()}

	// 3. Rate: a requester over its limits is refused before anything
	// costly (opening, policy, search) is done for it. Both buckets are
	// charged, so a flood for one purpose also counts against the agency.
	agencyOK := n.perAgency.Allow(string(q.Requester()))
	if !n.perPurpose.Allow(string(q.Requester())+"\x00"+string(q.Purpose)) || !agencyOK {
		answer.Status, answer.Reason = fedmatch.StatusRefused, fedmatch.RateLimited.String()
		return n.finish(q, now, step, answer, nil)
	}

	// 4. Open what was sealed to us: the probe, the case, the reference.
	// The broker could not read them; a part it swapped or garbled does
	// not open.
	if err := n.d.Signer.OpenQuery(q); err != nil {
		n.d.Log.Warn("query refused", "code", fedmatch.ErrorCode(err), "op", errOp(err))
		n.audit(n.entry(q, now, step+".rejected", fedmatch.ErrorCode(err).String(), ""))
		return "", fedmatch.Wrap(op, fedmatch.Malformed, err)
	}
	info.Case, info.ProbeKinds = q.Case, q.Probe.Kinds()

	// 5. The agreement named as basis must cover requester, us and purpose.
	if err := roster.CheckBasis(q.Basis, q.Requester(), n.cfg.Agency, q.Purpose); err != nil {
		answer.Status, answer.Reason = fedmatch.StatusRefused, fedmatch.ErrorCode(err).String()
		return n.finish(q, now, step, answer, nil)
	}

	// 6. Query-level policy: may they search here, for what, how strictly.
	requester := *roster.Member(q.Requester())
	requester.SealKey = nil // key material is no business of policy
	in := &fedmatch.QueryInput{Request: info, Requester: requester,
		Agreement: *roster.Agreement(q.Basis), Node: n.cfg.Agency,
		Usage: fedmatch.Usage{Today: n.d.Usage.Next(now, q.Requester(), q.Purpose)}}
	dec, err := pol.Decide(ctx, in)
	if err != nil {
		return "", n.fail(q, now, step, fedmatch.Wrap(op, fedmatch.Internal, err))
	}
	if !dec.Allow {
		answer.Status, answer.Reason = fedmatch.StatusRefused, dec.Reason
		return n.finish(q, now, step, answer, nil)
	}

	// 7. The candidates: by index within the permitted categories and
	// retention, or at step two the one record the reference names.
	var matches []fedmatch.Match
	if step == wire.StepDisclose {
		if r := n.resolve(q, dec.Categories, now); r != nil {
			matches = []fedmatch.Match{{Record: r, Kind: fedmatch.KindReference, Score: 1}}
		}
	} else if matches, err = n.match(q, &dec, now); err != nil {
		return "", n.fail(q, now, step, fedmatch.Wrap(op, fedmatch.Internal, err))
	}

	// 8. Record-level policy: what each hit may disclose. A record that may
	// not be disclosed is dropped, as if it did not exist.
	limit := n.cfg.MaxHits
	if dec.MaxHits > 0 {
		limit = min(limit, dec.MaxHits)
	}
	var fields []string
	for _, m := range matches {
		if len(answer.Hits) == limit {
			break
		}
		din := &fedmatch.DiscloseInput{Request: info, Requester: in.Requester, Node: n.cfg.Agency,
			Record: meta(m.Record), Match: fedmatch.MatchInfo{Kind: m.Kind, Kinds: m.Kinds, Score: round(m.Score), FMRDecades: round(m.Decades), DocumentStatus: m.DocumentStatus}}
		dis, err := pol.Disclose(ctx, din)
		if err != nil {
			return "", n.fail(q, now, step, fedmatch.Wrap(op, fedmatch.Internal, err))
		}
		if !dis.Allow {
			continue
		}
		if dis.Review && step == wire.StepDisclose {
			held, status, reason, err := n.review(q, now, m.Record, dis.Fields)
			if err != nil {
				return "", n.fail(q, now, step, fedmatch.Wrap(op, fedmatch.Internal, err))
			}
			if held {
				answer.Status, answer.Reason = status, reason
				if status == fedmatch.StatusPendingReview {
					answer.Hits = []fedmatch.Hit{{Ref: q.Ref, Kind: m.Kind, Score: 1}}
				}
				return n.finish(q, now, step, answer, nil)
			}
		}
		answer.Hits = append(answer.Hits, fedmatch.Hit{
			Ref: n.ref(q.Requester(), m.Record.ID), Kind: m.Kind, Kinds: m.Kinds, Score: round(m.Score), DocumentStatus: m.DocumentStatus,
			Fields: Project(m.Record, dis.Fields),
		})
		fields = append(fields, dis.Fields...)
	}
	answer.Status = fedmatch.StatusNoHit
	if len(answer.Hits) > 0 {
		answer.Status = fedmatch.StatusHit
	}
	slices.Sort(fields)
	return n.finish(q, now, step, answer, slices.Compact(fields))
}

// review holds a step-two disclosure for an operator's confirmation: the
// first request queues it and is answered pending_review, a denial is
// answered refused, and only an approval lets the disclosure through
// (held false). The review is keyed by requester, reference, purpose and
// case, so a new case needs a new confirmation.
func (n *Node) review(q *wire.QueryClaims, now time.Time, r *fedmatch.Record, fields []string) (held bool, status fedmatch.Status, reason string, err error) {
	if n.d.Reviews == nil {
		return true, fedmatch.StatusNoHit, "", nil // cannot be confirmed here: not disclosed
	}
	// Hex, not base64: an id must never start with "-" and pass for a flag.
	id := hex.EncodeToString(n.tag("review", string(q.Requester()), q.Ref, string(q.Purpose), q.Case)[:10])
	state, err := n.d.Reviews.State(id)
	if err != nil {
		return true, "", "", err
	}
	switch state {
	case fedmatch.ReviewApproved:
		return false, "", "", nil
	case fedmatch.ReviewDenied:
		return true, fedmatch.StatusRefused, "review_denied", nil
	case "":
		err = n.d.Reviews.Ask(&fedmatch.ReviewRequest{ID: id, Time: now.UTC(), QueryID: q.ID, Requester: q.Requester(),
			Purpose: q.Purpose, Case: q.Case, RecordID: r.ID, Category: r.Category, Fields: fields})
		n.d.Log.Info("step-two disclosure awaits review", "review", id, "requester", q.Issuer, "case", q.Case)
	}
	return true, fedmatch.StatusPendingReview, "awaiting review " + id, err
}

// match scores the indexed candidates of the probe, best first: the
// biographic and document matches, the biometric ones, and records both
// found fused into one hit (see fuse).
func (n *Node) match(q *wire.QueryClaims, dec *fedmatch.Decision, now time.Time) ([]fedmatch.Match, error) {
	var found []fedmatch.Match
	var err error
	kinds := q.Probe.Kinds()
	if slices.Contains(kinds, fedmatch.KindBiographic) || slices.Contains(kinds, fedmatch.KindDocument) {
		if found, _, err = n.d.Store.Search(n.d.Matcher.Prepare(&q.Probe), dec.Categories, now, n.cfg.MaxCandidates); err != nil {
			return nil, err
		}
	}
	if slices.Contains(kinds, fedmatch.KindFingerprint) || slices.Contains(kinds, fedmatch.KindFace) {
		bio, err := n.d.Store.SearchBiometric(&q.Probe, dec.Categories, now, n.cfg.MaxCandidates)
		if err != nil {
			return nil, err
		}
		found = fuse(found, bio, n.d.Store.Len())
	}
	matches := found[:0]
	for _, m := range found {
		if m.Score >= dec.MinScore {
			matches = append(matches, m)
		}
	}
	return matches, nil
}

// fuse merges biometric matches into biographic ones, best first. A
// record found both ways is one match whose odds are the biographic
// match's times the biometric likelihood ratio, about 10^decades (an
// impostor reaches the score at a rate of 10^-decades; a genuine
// comparison nearly always does). A record found by biometrics alone
// starts from even odds of one in the records searched: in a 1:N search
// of N records some impostor reaches a rate of 1/N by chance, so a face
// hit at 1 in 10,000 among a million records is no certainty.
func fuse(found []fedmatch.Match, biometric []fedmatch.Match, searched int) []fedmatch.Match {
	byID := make(map[string]int, len(found))
	for i, m := range found {
		byID[m.Record.ID] = i
	}
	out := found
	for _, b := range biometric {
		lr := math.Pow(10, b.Decades)
		if i, ok := byID[b.Record.ID]; ok {
			m := &out[i]
			p := min(m.Score, 1-1e-9)
			odds := p / (1 - p) * lr
			m.Score = odds / (1 + odds)
			m.Kinds = slices.Concat(kindsOf(m), kindsOf(&b))
			m.Decades = b.Decades
			continue
		}
		odds := lr / float64(max(searched, 1))
		b.Score = odds / (1 + odds)
		out = append(out, b)
	}
	slices.SortStableFunc(out, func(a, b fedmatch.Match) int { return cmp.Compare(b.Score, a.Score) })
	return out
}

// kindsOf is every kind m matched by: Kinds, or Kind alone.
func kindsOf(m *fedmatch.Match) []string {
	if len(m.Kinds) > 0 {
		return m.Kinds
	}
	return []string{m.Kind}
}

// resolve opens a step-two reference: the record it names, if it was
// issued to this requester, is still held and retained, and is in a
// category the decision lets them see; else nil.
func (n *Node) resolve(q *wire.QueryClaims, cats []fedmatch.Category, now time.Time) *fedmatch.Record {
	id, ok := n.openRef(q.Requester(), q.Ref)
	if !ok {
		n.d.Log.Warn("reference does not open", "query", q.ID, "requester", q.Issuer)
		return nil
	}
	r, err := n.d.Store.Get(id)
	if err != nil || !slices.Contains(cats, r.Category) || !r.Retained(now) {
		return nil
	}
	return r
}

// finish signs the answer and audits it; the answer is released only once
// its audit entry is on disk.
func (n *Node) finish(q *wire.QueryClaims, now time.Time, step string, a *fedmatch.Answer, fields []string) (string, error) {
	tok, err := n.d.Signer.SignAnswer(q, a)
	if err != nil {
		return "", n.fail(q, now, step, err)
	}
	e := n.entry(q, now, step, string(a.Status), a.Reason)
	e.Revision, e.Fields = a.Revision, fields
	for _, h := range a.Hits {
		e.Refs = append(e.Refs, h.Ref)
	}
	if err := n.d.Audit.Append(e); err != nil {
		n.d.Log.Error("audit append failed; answer withheld", "err", err)
		return "", fedmatch.Wrap("node."+step, fedmatch.Internal, err)
	}
	n.d.Log.Debug("query answered", "query", q.ID, "requester", q.Issuer, "purpose", q.Purpose, "status", a.Status, "hits", len(a.Hits))
	return tok, nil
}

func (n *Node) fail(q *wire.QueryClaims, now time.Time, step string, err error) error {
	n.d.Log.Error("query failed", "query", q.ID, "err", err)
	n.audit(n.entry(q, now, step+".failed", fedmatch.ErrorCode(err).String(), ""))
	return err
}

func (n *Node) audit(e *fedmatch.AuditEntry) {
	if err := n.d.Audit.Append(e); err != nil {
		n.d.Log.Error("audit append failed", "err", err)
	}
}

func (n *Node) entry(q *wire.QueryClaims, now time.Time, event, outcome, reason string) *fedmatch.AuditEntry {
	e := &fedmatch.AuditEntry{Time: now.UTC(), Event: event, QueryID: q.ID, Requester: q.Requester(), Purpose: q.Purpose,
		Basis: q.Basis, Case: q.Case, Outcome: outcome, Reason: reason}
	if len(q.Probe.Kinds()) > 0 { // opened, and a probe (not a step-two request)
		e.ProbeDigest = n.ProbeDigest(&q.Probe)
	}
	return e
}

// ref is the opaque reference of record id as given to requester: the id
// sealed with AES-GCM under a key only this node holds, the requester as
// associated data, and a nonce derived from both by HMAC (a synthetic IV,
// so the same record gets the same reference each time). It reveals
// nothing of the id, differs per requester (two agencies cannot join
// their results by it), and only this node can open it, and only for the
// agency it was issued to.
func (n *Node) ref(requester fedmatch.AgencyID, id string) string {
	nonce := n.tag("ref-nonce", string(requester), id)[:n.refs.NonceSize()]
	return base64.RawURLEncoding.EncodeToString(n.refs.Seal(nonce, nonce, []byte(id), []byte(requester)))
}

// openRef recovers the record id of a reference issued to requester.
func (n *Node) openRef(requester fedmatch.AgencyID, ref string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(ref)
	ns := n.refs.NonceSize()
	if err != nil || len(b) < ns+n.refs.Overhead() {
		return "", false
	}
	id, err := n.refs.Open(nil, b[:ns], b[ns:], []byte(requester))
	if err != nil {
		return "", false
	}
	return string(id), true
}

// ProbeDigest is what the audit log keeps of a probe: a keyed hash, so an
// auditor with the node's secret can check a claimed probe against it,
// while a reader of the log cannot guess names and dates of birth from it.
func (n *Node) ProbeDigest(p *fedmatch.Probe) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(n.tag("probe", string(b)))
}

// key derives a 32-byte key for one use from the node's secret.
func (n *Node) key(use string) []byte { return n.tag(use) }

// tag is HMAC-SHA256 under the node's secret over a domain and parts.
func (n *Node) tag(domain string, parts ...string) []byte {
	h := hmac.New(sha256.New, n.cfg.Secret)
	h.Write([]byte("fedmatch-" + domain))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

func meta(r *fedmatch.Record) fedmatch.RecordMeta {
	flags := r.Flags
	if flags == nil {
		flags = []string{}
	}
	return fedmatch.RecordMeta{Category: r.Category, CollectedAt: r.CollectedAt, RetentionUntil: r.RetentionUntil,
		ExtendedUntil: r.ExtendedUntil, ExtensionReason: r.ExtensionReason, Flags: flags}
}

func round(s float64) float64 { return math.Round(s*1000) / 1000 }

// Project copies the named fields of r, and only those, into a map. Names
// outside fedmatch.DisclosableFields, and empty fields, are left out.
func Project(r *fedmatch.Record, fields []string) map[string]any {
	if len(fields) == 0 {
		return nil
	}
	out := map[string]any{}
	put := func(k string, v any, empty bool) {
		if !empty {
			out[k] = v
		}
	}
	for _, f := range fields {
		switch f {
		case "category":
			put(f, r.Category, r.Category == "")
		case "surname":
			put(f, r.Surname, r.Surname == "")
		case "given_names":
			put(f, r.GivenNames, r.GivenNames == "")
		case "aliases":
			put(f, r.Aliases, len(r.Aliases) == 0)
		case "date_of_birth":
			put(f, r.DateOfBirth, r.DateOfBirth == "")
		case "sex":
			put(f, r.Sex, r.Sex == "")
		case "nationalities":
			put(f, r.Nationalities, len(r.Nationalities) == 0)
		case "place_of_birth":
			put(f, r.PlaceOfBirth, r.PlaceOfBirth == "")
		case "address":
			put(f, r.Address, r.Address == "")
		case "documents":
			put(f, r.Documents, len(r.Documents) == 0)
		case "collected_at":
			put(f, r.CollectedAt, r.CollectedAt == "")
		case "flags":
			put(f, r.Flags, len(r.Flags) == 0)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
