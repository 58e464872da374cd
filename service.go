package fedmatch

import (
	"context"
	"time"
)

// Store holds one node's records. Implementations copy records in and out:
// callers may not mutate what they get, and the store never hands out its
// own copies for mutation.
type Store interface {
	// Search scores, with q, the records that share at least one blocking
	// key with q, belong to one of categories and are retained at now,
	// scoring at most limit candidates. It returns the matches, best
	// first, each with its own copy of the record, and how many
	// candidates it scored. Errors: Internal.
	Search(q Query, categories []Category, now time.Time, limit int) ([]Match, int, error)
	// Get returns the record with id. Errors: NotFound.
	Get(id string) (*Record, error)
	// Len returns how many records the store holds.
	Len() int
	// SearchBiometric searches the retained records in categories by
	// the probe's fingerprints and face, 1:N, returning at most limit
	// matches, best first, each with its own copy of the record, Kind
	// and Kinds the biometric kinds that matched and Decades their fused
	// evidence; Score is left 0 for the caller to fuse. Errors:
	// Malformed (a template that does not parse), Unsupported (a face
	// model the node does not hold), Internal.
	SearchBiometric(p *Probe, categories []Category, now time.Time, limit int) ([]Match, error)
}

// BiometricIndex holds records' fingerprint and face templates for 1:N
// search. It is safe for concurrent use.
type BiometricIndex interface {
	// Check refuses a record whose templates the index cannot hold.
	// Errors: Malformed, Unsupported.
	Check(r *Record) error
	// Add files the templates of r, checked, under id.
	Add(id string, r *Record)
	// Search returns the ids of records whose templates match the
	// probe's, with the kinds matched and fused evidence in decades,
	// best first, at most limit, each at least minDecades. Errors:
	// Malformed, Unsupported.
	Search(p *Probe, limit int, minDecades float64) ([]BiometricHit, error)
	// Len is how many templates the index holds.
	Len() int
}

// BiometricHit is one record a biometric search found.
type BiometricHit struct {
	ID      string
	Kinds   []string
	Decades float64
}

// Indexer prepares a record for a store, once, when it is stored.
type Indexer interface {
	Index(r *Record) Indexed
}

// Indexed is a record prepared by an Indexer: the blocking keys a probe
// must share with it to reach it, and comparison fields (opaque to the
// store) that the matcher would otherwise recompute for every probe.
type Indexed struct {
	Keys   []string
	Fields any
}

// Matcher matches probes against records. It is safe for concurrent use.
type Matcher interface {
	Indexer
	// Prepare compiles a probe, once per query.
	Prepare(p *Probe) Query
}

// Query is a probe prepared by a Matcher.
type Query interface {
	// Keys returns the probe's blocking keys.
	Keys() []string
	// Score compares the probe with record r, given the fields Index
	// returned for it (nil: compute them now). ok is false when r does not
	// match at all; the match holds r itself, not a copy.
	Score(r *Record, fields any) (m Match, ok bool)
}

// RequestInfo is the verified request, as policy sees it.
type RequestInfo struct {
	ID         string   `json:"id"`   // the query's jti
	Step       string   `json:"step"` // "match", or "disclose" for step two
	Requester  AgencyID `json:"requester"`
	Purpose    Purpose  `json:"purpose"`
	Basis      string   `json:"basis"`
	Case       string   `json:"case,omitempty"`
	ProbeKinds []string `json:"probe_kinds"`
	Time       string   `json:"time"` // RFC 3339, the node's clock
}

// QueryInput is the input of the query-level decision.
type QueryInput struct {
	Request   RequestInfo `json:"request"`
	Requester Member      `json:"requester"`
	Agreement Agreement   `json:"agreement"` // the agreement named as basis
	Node      AgencyID    `json:"node"`
	Usage     Usage       `json:"usage"`
}

// Usage is what the node counted of the requester's use, for quotas.
type Usage struct {
	// Today is how many requests this requester made here for this
	// purpose today (UTC), before this one.
	Today int `json:"today"`
}

// Decision is the query-level policy's output. The zero value refuses.
type Decision struct {
	Allow      bool       `json:"allow"`
	Reason     string     `json:"reason,omitempty"`
	Categories []Category `json:"categories,omitempty"`
	MinScore   float64    `json:"min_score,omitempty"`
	MaxHits    int        `json:"max_hits,omitempty"`
}

// RecordMeta is what record-level policy sees of a record: metadata, never
// identity fields.
type RecordMeta struct {
	Category        Category `json:"category"`
	CollectedAt     Date     `json:"collected_at"`
	RetentionUntil  Date     `json:"retention_until"`
	ExtendedUntil   Date     `json:"extended_until,omitempty"`
	ExtensionReason string   `json:"extension_reason,omitempty"`
	Flags           []string `json:"flags"`
}

// MatchInfo is how the record matched. At step two the kind is
// "reference" (the requester named a hit it was given) and the score 1.
type MatchInfo struct {
	Kind  string   `json:"kind"`
	Kinds []string `json:"kinds,omitempty"`
	Score float64  `json:"score"`
	// FMRDecades is the biometric evidence, as Match.Decades: a policy
	// may ask for a false-match rate (fmr_decades >= 4: 1 in 10,000).
	FMRDecades float64 `json:"fmr_decades,omitempty"`
	// DocumentStatus is set on a false-document hit: the probe's document
	// matched one the record says is "lost", "stolen" or "fraudulent".
	DocumentStatus string `json:"document_status,omitempty"`
}

// DiscloseInput is the input of the record-level decision.
type DiscloseInput struct {
	Request   RequestInfo `json:"request"`
	Requester Member      `json:"requester"`
	Node      AgencyID    `json:"node"`
	Record    RecordMeta  `json:"record"`
	Match     MatchInfo   `json:"match"`
}

// Disclosure is the record-level policy's output. The zero value discloses
// nothing, and a record that may not be disclosed is dropped from the
// answer as if it did not exist.
type Disclosure struct {
	Allow  bool     `json:"allow"`
	Fields []string `json:"fields,omitempty"`
	// Review asks for an operator at the node to confirm a step-two
	// disclosure before it is made.
	Review bool `json:"review,omitempty"`
}

// PolicyEngine holds an agency's policy, which may be replaced while the
// node runs.
type PolicyEngine interface {
	// Current returns the policy serving now. A query uses the one Policy
	// it got throughout, so it never mixes two revisions.
	Current() Policy
}

// Policy is one revision of an agency's policy. Anything it does not
// allow is denied. Errors: Internal (the policy could not be evaluated).
type Policy interface {
	Decide(ctx context.Context, in *QueryInput) (Decision, error)
	Disclose(ctx context.Context, in *DiscloseInput) (Disclosure, error)
	// Revision names this policy: a content hash of its sources.
	Revision() string
}

// AuditEntry is one line of an audit log. It holds digests and field names,
// never a probe or disclosed personal data.
type AuditEntry struct {
	Time time.Time `json:"time"`
	// By is who wrote the entry: an agency, or "broker".
	By          string   `json:"by,omitempty"`
	Event       string   `json:"event"` // "match", "broker.query", ...
	QueryID     string   `json:"query_id"`
	Requester   AgencyID `json:"requester"`
	Purpose     Purpose  `json:"purpose,omitempty"`
	Basis       string   `json:"basis,omitempty"`
	Case        string   `json:"case,omitempty"`
	ProbeDigest string   `json:"probe_digest,omitempty"`
	Outcome     string   `json:"outcome"` // status or error code
	Reason      string   `json:"reason,omitempty"`
	Refs        []string `json:"refs,omitempty"`
	Fields      []string `json:"fields,omitempty"`
	Targets     []string `json:"targets,omitempty"`
	Revision    string   `json:"policy_revision,omitempty"`
}

// AuditLog appends entries durably: Append returns only after the entry is
// on stable storage. Errors: Internal.
type AuditLog interface {
	Append(e *AuditEntry) error
}

// Review states.
const (
	ReviewPending  = "pending"
	ReviewApproved = "approved"
	ReviewDenied   = "denied"
)

// ReviewRequest is a step-two disclosure waiting for an operator. It stays
// at the node: the record id is the node's own.
type ReviewRequest struct {
	ID        string    `json:"id"` // stable for the same requester, reference, purpose and case
	Time      time.Time `json:"time"`
	QueryID   string    `json:"query_id"`
	Requester AgencyID  `json:"requester"`
	Purpose   Purpose   `json:"purpose"`
	Case      string    `json:"case"`
	RecordID  string    `json:"record_id"`
	Category  Category  `json:"category"`
	Fields    []string  `json:"fields"`
}

// ReviewQueue holds step-two disclosures waiting for an operator, durably.
type ReviewQueue interface {
	// State returns the state of review id, or "" if it was never asked.
	// Errors: Internal.
	State(id string) (string, error)
	// Ask records a pending review (once; asking again changes nothing).
	// Errors: Internal.
	Ask(r *ReviewRequest) error
}
