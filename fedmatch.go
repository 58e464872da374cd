package fedmatch

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// AgencyID names a member of the federation: lowercase letters, digits and
// hyphens, such as "gb-home-office". It appears in certificates, the roster,
// NATS subjects and policy package names.
type AgencyID string

// Validate checks the id's syntax.
func (a AgencyID) Validate() error {
	s := string(a)
	if len(s) < 2 || len(s) > 64 {
		return fmt.Errorf("agency id %q must be 2 to 64 characters", s)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(s)-1
		if !ok {
			return fmt.Errorf("agency id %q may hold only a-z, 0-9 and inner hyphens", s)
		}
	}
	return nil
}

// PolicyName is the id as a Rego identifier: hyphens become underscores, so
// that "gb-home-office" is package fedmatch.agencies.gb_home_office.
func (a AgencyID) PolicyName() string { return strings.ReplaceAll(string(a), "-", "_") }

// Purpose is why a query is made. Agreements list the purposes they cover.
type Purpose string

// The purposes of the federation's vocabulary.
const (
	BorderAdmission        Purpose = "border-admission"
	VisaApplication        Purpose = "visa-application"
	AsylumDetermination    Purpose = "asylum-determination"
	ImmigrationEnforcement Purpose = "immigration-enforcement"
	CounterTerrorism       Purpose = "counter-terrorism"
)

// Purposes lists every known purpose.
func Purposes() []Purpose {
	return []Purpose{BorderAdmission, VisaApplication, AsylumDetermination, ImmigrationEnforcement, CounterTerrorism}
}

// Known reports whether p is in the vocabulary.
func (p Purpose) Known() bool { return slices.Contains(Purposes(), p) }

// Category is the kind of record an agency holds.
type Category string

// The categories of the federation's vocabulary.
const (
	ImmigrationOffender Category = "immigration-offender"
	FailedAsylumSeeker  Category = "failed-asylum-seeker"
	FalseDocument       Category = "false-document"
	TravellerOfInterest Category = "traveller-of-interest"
	ArrestBiometrics    Category = "arrest-biometrics"
)

// Categories lists every known category.
func Categories() []Category {
	return []Category{ImmigrationOffender, FailedAsylumSeeker, FalseDocument, TravellerOfInterest, ArrestBiometrics}
}

// Known reports whether c is in the vocabulary.
func (c Category) Known() bool { return slices.Contains(Categories(), c) }

// Record flags with a meaning the core knows. Others may be used by policy.
const (
	FlagJuvenile         = "juvenile"
	FlagNoForeignSharing = "no-foreign-sharing"
	FlagCharged          = "charged"
	FlagNoFurtherAction  = "no-further-action"
	FlagNationalSecurity = "national-security"
)

// Document is an identity or travel document on a record or in a probe.
type Document struct {
	Type         string `json:"type,omitempty"` // "passport", "id-card", "visa", ...
	Number       string `json:"number"`
	IssuingState string `json:"issuing_state"` // ICAO 9303 three-letter code
	Expiry       Date   `json:"expiry,omitempty"`
	Status       string `json:"status,omitempty"` // "", "lost", "stolen", "fraudulent"
}

// Record is one entry in an agency's own database. It never leaves the node:
// only the fields a policy allows are copied into a Hit.
type Record struct {
	ID              string     `json:"id"` // internal; never disclosed
	Category        Category   `json:"category"`
	CollectedAt     Date       `json:"collected_at"`
	RetentionUntil  Date       `json:"retention_until"`
	ExtendedUntil   Date       `json:"extended_until,omitempty"`
	ExtensionReason string     `json:"extension_reason,omitempty"`
	Flags           []string   `json:"flags,omitempty"`
	Surname         string     `json:"surname,omitempty"`
	GivenNames      string     `json:"given_names,omitempty"`
	Aliases         []string   `json:"aliases,omitempty"`
	DateOfBirth     Date       `json:"date_of_birth,omitempty"`
	Sex             string     `json:"sex,omitempty"`
	Nationalities   []string   `json:"nationalities,omitempty"`
	PlaceOfBirth    string     `json:"place_of_birth,omitempty"`
	Address         string     `json:"address,omitempty"`
	Documents       []Document `json:"documents,omitempty"`
	// Fingerprints and Face are the record's biometric templates. They are
	// matched against, never disclosed (DisclosableFields omits them).
	Fingerprints []Fingerprint `json:"fingerprints,omitempty"`
	Face         *FaceTemplate `json:"face,omitempty"`
}

// Fingerprint is one finger's minutiae template: an ISO/IEC 19794-2:2005
// or ANSI INCITS 378-2004 finger minutiae record (base64 in JSON), and the
// finger's position, ISO's code (1 right thumb … 10 left little; 0
// unknown, compared with every finger).
type Fingerprint struct {
	Position int    `json:"position"`
	Template []byte `json:"template"`
}

// FaceTemplate is a face embedding and the model, by name and version,
// that made it: embeddings of different models are never compared.
type FaceTemplate struct {
	Model   string    `json:"model"`
	Version string    `json:"version"`
	Vector  []float32 `json:"vector"`
}

// Limits on a probe's or record's biometric templates.
const (
	MaxFingerprints     = 10
	MaxFingerprintBytes = 8 << 10
	MaxFaceDimensions   = 4096
)

// validateBiometrics checks the templates' counts and sizes; their
// contents are the node's biometric index's to check.
func validateBiometrics(fps []Fingerprint, face *FaceTemplate) error {
	if len(fps) > MaxFingerprints {
		return fmt.Errorf("%d fingerprints; at most %d", len(fps), MaxFingerprints)
	}
	for i, f := range fps {
		if f.Position < 0 || f.Position > 10 {
			return fmt.Errorf("fingerprints[%d]: position %d is not 0 to 10", i, f.Position)
		}
		if len(f.Template) == 0 || len(f.Template) > MaxFingerprintBytes {
			return fmt.Errorf("fingerprints[%d]: template of %d bytes; want 1 to %d", i, len(f.Template), MaxFingerprintBytes)
		}
	}
	if face != nil {
		if face.Model == "" || len(face.Vector) == 0 || len(face.Vector) > MaxFaceDimensions {
			return fmt.Errorf("face needs a model and a vector of 1 to %d dimensions", MaxFaceDimensions)
		}
		if len(face.Model) > 64 || len(face.Version) > 64 {
			return fmt.Errorf("face model or version longer than 64 bytes")
		}
	}
	return nil
}

// DisclosableFields lists the record fields a policy may name for
// disclosure, in output order. "id" is never among them.
func DisclosableFields() []string {
	return []string{"category", "surname", "given_names", "aliases", "date_of_birth", "sex",
		"nationalities", "place_of_birth", "address", "documents", "collected_at", "flags"}
}

// Validate checks what the core relies on: an id, a known category, full
// collection and retention dates in order, well-formed dates and documents.
func (r *Record) Validate() error {
	switch {
	case strings.TrimSpace(r.ID) == "":
		return fmt.Errorf("id is required")
	case !r.Category.Known():
		return fmt.Errorf("category %q is not one of %v", r.Category, Categories())
	case !r.CollectedAt.Full():
		return fmt.Errorf("collected_at must be a full date YYYY-MM-DD")
	case !r.RetentionUntil.Full():
		return fmt.Errorf("retention_until must be a full date YYYY-MM-DD")
	case r.RetentionUntil < r.CollectedAt:
		return fmt.Errorf("retention_until %s is before collected_at %s", r.RetentionUntil, r.CollectedAt)
	case r.ExtendedUntil != "" && !r.ExtendedUntil.Full():
		return fmt.Errorf("extended_until must be a full date YYYY-MM-DD")
	case r.ExtendedUntil != "" && r.ExtendedUntil < r.RetentionUntil:
		return fmt.Errorf("extended_until %s is before retention_until %s", r.ExtendedUntil, r.RetentionUntil)
	case r.ExtendedUntil != "" && strings.TrimSpace(r.ExtensionReason) == "":
		return fmt.Errorf("extended_until needs an extension_reason")
	case strings.TrimSpace(r.Surname) == "" && len(r.Documents) == 0 && len(r.Fingerprints) == 0 && r.Face == nil:
		return fmt.Errorf("a record needs a surname, a document, fingerprints or a face")
	}
	if err := validateBiometrics(r.Fingerprints, r.Face); err != nil {
		return err
	}
	for _, d := range []Date{r.DateOfBirth} {
		if err := d.Validate(); err != nil {
			return err
		}
	}
	for i, d := range r.Documents {
		if strings.TrimSpace(d.Number) == "" || strings.TrimSpace(d.IssuingState) == "" {
			return fmt.Errorf("documents[%d] needs number and issuing_state", i)
		}
		if err := d.Expiry.Validate(); err != nil {
			return fmt.Errorf("documents[%d]: %w", i, err)
		}
		if d.Status != "" && !slices.Contains(DocumentStatuses(), d.Status) {
			return fmt.Errorf("documents[%d]: status %q is not one of %v", i, d.Status, DocumentStatuses())
		}
	}
	return nil
}

// DocumentStatuses lists what a record may say of a document: a probe
// presenting such a document is a false-document hit.
func DocumentStatuses() []string { return []string{"lost", "stolen", "fraudulent"} }

// RetainedUntil is the last day the record may be used: the extension if
// one was recorded, else the retention date.
func (r *Record) RetainedUntil() Date {
	if r.ExtendedUntil != "" {
		return r.ExtendedUntil
	}
	return r.RetentionUntil
}

// Retained reports whether the record may still be used at now.
func (r *Record) Retained(now time.Time) bool {
	end, ok := r.RetainedUntil().EndTime()
	return ok && now.Before(end)
}

// HasFlag reports whether the record carries flag.
func (r *Record) HasFlag(flag string) bool { return slices.Contains(r.Flags, flag) }

// Probe is what a requester asks about: biographic data, documents, or both.
// It is carried in a signed query token and never stored by any party.
type Probe struct {
	Surname     string `json:"surname,omitempty"`
	GivenNames  string `json:"given_names,omitempty"`
	DateOfBirth Date   `json:"date_of_birth,omitempty"`
	Sex         string `json:"sex,omitempty"`
	Nationality string `json:"nationality,omitempty"`
	// PlaceOfBirth is compared with the record's, as typed (a town or a
	// country).
	PlaceOfBirth string `json:"place_of_birth,omitempty"`
	// Address is a home address as written ("12 High Street, Leeds"). It
	// is compared with the record's word by word, and with a given
	// initial it is a blocking key, so a record is still found when the
	// surname has changed and the date of birth was recorded wrong.
	Address   string     `json:"address,omitempty"`
	Documents []Document `json:"documents,omitempty"`
	// Fingerprints and Face are biometric templates captured from the
	// person: matched 1:N at the node, never kept.
	Fingerprints []Fingerprint `json:"fingerprints,omitempty"`
	Face         *FaceTemplate `json:"face,omitempty"`
}

// Probe and match kinds, as the policy sees them.
const (
	KindBiographic  = "biographic"
	KindDocument    = "document"
	KindFingerprint = "fingerprint"
	KindFace        = "face"
	// KindReference is a step-two request naming a hit by its reference.
	KindReference = "reference"
)

// Kinds lists what the probe can be matched on.
func (p *Probe) Kinds() []string {
	var ks []string
	if strings.TrimSpace(p.Surname) != "" {
		ks = append(ks, KindBiographic)
	}
	if len(p.Documents) > 0 {
		ks = append(ks, KindDocument)
	}
	if len(p.Fingerprints) > 0 {
		ks = append(ks, KindFingerprint)
	}
	if p.Face != nil {
		ks = append(ks, KindFace)
	}
	return ks
}

// ProbeOf returns the probe an officer holding record r would send: its
// names, date of birth, sex, first nationality, place of birth and
// documents. Evaluations and model estimation compare records this way.
func ProbeOf(r *Record) Probe {
	p := Probe{Surname: r.Surname, GivenNames: r.GivenNames, DateOfBirth: r.DateOfBirth, Sex: r.Sex,
		PlaceOfBirth: r.PlaceOfBirth, Address: r.Address, Documents: r.Documents}
	if len(r.Nationalities) > 0 {
		p.Nationality = r.Nationalities[0]
	}
	return p
}

// Validate checks the probe has something to match on and bounded fields.
func (p *Probe) Validate() error {
	if len(p.Kinds()) == 0 {
		return fmt.Errorf("probe needs a surname, a document, fingerprints or a face")
	}
	if err := validateBiometrics(p.Fingerprints, p.Face); err != nil {
		return err
	}
	if len(p.Documents) > 8 {
		return fmt.Errorf("probe holds %d documents; at most 8", len(p.Documents))
	}
	for _, f := range []struct{ name, value string }{{"surname", p.Surname}, {"given_names", p.GivenNames}, {"sex", p.Sex},
		{"nationality", p.Nationality}, {"place_of_birth", p.PlaceOfBirth}, {"address", p.Address}} {
		if len(f.value) > 256 {
			return fmt.Errorf("%s is %d bytes; at most 256", f.name, len(f.value))
		}
	}
	for i, d := range p.Documents {
		if strings.TrimSpace(d.Number) == "" || strings.TrimSpace(d.IssuingState) == "" {
			return fmt.Errorf("documents[%d] needs number and issuing_state", i)
		}
		if len(d.Number) > 64 || len(d.IssuingState) > 3 {
			return fmt.Errorf("documents[%d] number or issuing_state too long", i)
		}
	}
	return p.DateOfBirth.Validate()
}

// Match is one candidate record and how well it matched the probe.
type Match struct {
	Record *Record
	Kind   string  // the strongest kind that matched: KindBiographic, KindDocument, KindFingerprint or KindFace
	Score  float64 // match probability, 0..1
	// Kinds lists every kind that matched, in the order of the constants,
	// when more than one did (a biographic and a fingerprint match of one
	// record); nil when only Kind did.
	Kinds []string
	// Decades is the biometric evidence: -log10 of the false-match rate
	// an impostor would reach this score at (4: one in 10,000), fused
	// over the fingers and face that matched; 0 without biometrics.
	Decades float64
	// DocumentStatus is the status ("lost", "stolen", "fraudulent") of the
	// record's document that the probe's document matched: a
	// false-document hit.
	DocumentStatus string
}

// Status is a node's outcome for one query, as the broker reports it.
type Status string

// The statuses a requester can see per node.
const (
	StatusHit         Status = "hit"
	StatusNoHit       Status = "no_hit"
	StatusRefused     Status = "refused"
	StatusUnavailable Status = "unavailable"
	StatusError       Status = "error"
	// StatusPendingReview is a step-two request the node's policy wants a
	// person at the node to confirm first; ask again once confirmed.
	StatusPendingReview Status = "pending_review"
)

// Hit is what a node discloses about one matching record: an opaque
// reference, how it matched, and only the fields its policy allowed.
type Hit struct {
	Ref   string   `json:"ref"`
	Kind  string   `json:"kind"`
	Kinds []string `json:"kinds,omitempty"`
	Score float64  `json:"score"`
	// DocumentStatus says the document the requester presented was
	// reported lost, stolen or fraudulent to this agency.
	DocumentStatus string         `json:"document_status,omitempty"`
	Fields         map[string]any `json:"fields,omitempty"`
}

// Answer is a node's reply to one query, carried signed in an answer token.
type Answer struct {
	Agency   AgencyID `json:"agency"`
	Status   Status   `json:"status"`
	Reason   string   `json:"reason,omitempty"` // policy reason or error code
	Hits     []Hit    `json:"hits,omitempty"`
	Revision string   `json:"policy_revision,omitempty"`
}

// NodeResult is the broker's report for one target node: its status and,
// when it answered, its signed answer token for the requester to verify.
type NodeResult struct {
	Agency AgencyID `json:"agency"`
	Status Status   `json:"status"`
	Reason string   `json:"reason,omitempty"`
	Token  string   `json:"token,omitempty"`
	// Answer is filled in by the requester after it verified Token; the
	// broker never sets it.
	Answer *Answer `json:"answer,omitempty"`
}

// AuditOutcome is how broker and requester audit logs record one target:
// "agency=status" for a status its node signed (the result carries the
// node's token), "agency=status:reason" for one the broker or requester
// decided without it, so that an auditor knows which nodes' own logs must
// hold the query.
func (nr *NodeResult) AuditOutcome() string {
	s := string(nr.Agency) + "=" + string(nr.Status)
	if nr.Token == "" {
		s += ":" + nr.Reason
	}
	return s
}

// ParseAuditOutcome reads what AuditOutcome wrote; signed reports whether
// the node signed the status.
func ParseAuditOutcome(s string) (agency, status string, signed bool) {
	agency, status, _ = strings.Cut(s, "=")
	status, _, unsigned := strings.Cut(status, ":")
	return agency, status, !unsigned
}

// Result is the broker's reply to a query: one entry per target.
type Result struct {
	QueryID string       `json:"query_id"`
	Nodes   []NodeResult `json:"nodes"`
}

// Clone returns a deep copy of r, so stored records are never shared with
// code that might modify them.
func (r *Record) Clone() *Record {
	c := *r
	c.Flags = slices.Clone(r.Flags)
	c.Aliases = slices.Clone(r.Aliases)
	c.Nationalities = slices.Clone(r.Nationalities)
	c.Documents = slices.Clone(r.Documents)
	c.Fingerprints = slices.Clone(r.Fingerprints)
	for i := range c.Fingerprints {
		c.Fingerprints[i].Template = slices.Clone(c.Fingerprints[i].Template)
	}
	if r.Face != nil {
		f := *r.Face
		f.Vector = slices.Clone(f.Vector)
		c.Face = &f
	}
	return &c
}
