package fedmatch

import (
	"fmt"
	"slices"
)

// Member is an agency's entry in the federation roster.
type Member struct {
	ID      AgencyID `json:"id"`
	Name    string   `json:"name"`
	Country string   `json:"country,omitempty"` // ISO 3166-1 alpha-3
	// Answers lists the purposes this member answers queries for. Policies
	// use it for reciprocity: a member that does not answer for a purpose
	// may not ask for it.
	Answers []Purpose `json:"answers,omitempty"`
	// SealKey is the public half of the key answers and probes for this
	// member are sealed to. Its certificate, signed by the federation CA,
	// names the key's SHA-256; the two must agree.
	SealKey *SealKey `json:"seal_key,omitempty"`
}

// SealKey is an HPKE public key (RFC 9180): its KEM identifier and its
// serialised bytes.
type SealKey struct {
	KEM    uint16 `json:"kem"`
	Public []byte `json:"public"`
}

// Agreement is a data-sharing agreement: its parties may query each other
// for the listed purposes.
type Agreement struct {
	ID       string     `json:"id"`
	Parties  []AgencyID `json:"parties"`
	Purposes []Purpose  `json:"purposes"`
}

// Covers reports whether the agreement lets from query to for purpose.
func (a *Agreement) Covers(from, to AgencyID, purpose Purpose) bool {
	return from != to && slices.Contains(a.Parties, from) && slices.Contains(a.Parties, to) &&
		slices.Contains(a.Purposes, purpose)
}

// Roster is the federation's membership and agreements. It is pure data;
// certs loads it and checks it against the federation's certificates.
type Roster struct {
	Federation string      `json:"federation"`
	Members    []Member    `json:"members"`
	Agreements []Agreement `json:"agreements"`
	// Revoked lists members whose queries and answers are refused.
	Revoked []AgencyID `json:"revoked,omitempty"`
}

// Audience is the aud claim of query tokens in this federation.
func (r *Roster) Audience() string { return "fedmatch:" + r.Federation }

// Member returns the member with id, or nil.
func (r *Roster) Member(id AgencyID) *Member {
	for i := range r.Members {
		if r.Members[i].ID == id {
			return &r.Members[i]
		}
	}
	return nil
}

// Active reports whether id is a member and not revoked.
func (r *Roster) Active(id AgencyID) bool {
	return r.Member(id) != nil && !slices.Contains(r.Revoked, id)
}

// Agreement returns the agreement with id, or nil.
func (r *Roster) Agreement(id string) *Agreement {
	for i := range r.Agreements {
		if r.Agreements[i].ID == id {
			return &r.Agreements[i]
		}
	}
	return nil
}

// CheckBasis checks that agreement basis lets from query to for purpose.
// It returns UnknownAgency for a party that is not an active member and
// NotInAgreement otherwise.
func (r *Roster) CheckBasis(basis string, from, to AgencyID, purpose Purpose) error {
	const op = "roster.CheckBasis"
	for _, id := range []AgencyID{from, to} {
		if !r.Active(id) {
			return E(op, UnknownAgency, "agency %q is not an active member of federation %q", id, r.Federation)
		}
	}
	a := r.Agreement(basis)
	switch {
	case a == nil:
		return E(op, NotInAgreement, "no agreement %q", basis)
	case !a.Covers(from, to, purpose):
		return E(op, NotInAgreement, "agreement %q does not let %s query %s for %s", basis, from, to, purpose)
	}
	return nil
}

// Validate checks ids, duplicates and that agreements name members and
// known purposes.
func (r *Roster) Validate() error {
	if r.Federation == "" {
		return fmt.Errorf("roster: federation name is required")
	}
	seen := map[AgencyID]bool{}
	for _, m := range r.Members {
		if err := m.ID.Validate(); err != nil {
			return fmt.Errorf("roster: %w", err)
		}
		if seen[m.ID] {
			return fmt.Errorf("roster: member %q listed twice", m.ID)
		}
		for _, p := range m.Answers {
			if !p.Known() {
				return fmt.Errorf("roster: member %q answers unknown purpose %q", m.ID, p)
			}
		}
		seen[m.ID] = true
	}
	ids := map[string]bool{}
	for _, a := range r.Agreements {
		if a.ID == "" || ids[a.ID] {
			return fmt.Errorf("roster: agreement id %q empty or listed twice", a.ID)
		}
		ids[a.ID] = true
		if len(a.Parties) < 2 {
			return fmt.Errorf("roster: agreement %q needs two or more parties", a.ID)
		}
		for _, p := range a.Parties {
			if !seen[p] {
				return fmt.Errorf("roster: agreement %q names %q, who is not a member", a.ID, p)
			}
		}
		for _, p := range a.Purposes {
			if !p.Known() {
				return fmt.Errorf("roster: agreement %q names unknown purpose %q", a.ID, p)
			}
		}
	}
	for _, id := range r.Revoked {
		if !seen[id] {
			return fmt.Errorf("roster: revoked %q is not a member", id)
		}
	}
	return nil
}

// AgreedPurposes lists the purposes of every agreement id is party to, in
// vocabulary order: what a member answers unless it says otherwise.
func (r *Roster) AgreedPurposes(id AgencyID) []Purpose {
	var out []Purpose
	for _, p := range Purposes() {
		for _, a := range r.Agreements {
			if slices.Contains(a.Parties, id) && slices.Contains(a.Purposes, p) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
