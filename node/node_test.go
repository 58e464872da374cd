package node_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/node"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/wire"
)

// fakeStore scores all its records, filtered as the contract says; its
// biometric search answers what bio says, for the records still retained.
type fakeStore struct {
	recs []*fedmatch.Record
	bio  []fedmatch.BiometricHit
}

func (s *fakeStore) SearchBiometric(p *fedmatch.Probe, cats []fedmatch.Category, now time.Time, _ int) ([]fedmatch.Match, error) {
	var out []fedmatch.Match
	for _, h := range s.bio {
		for _, r := range s.recs {
			if r.ID == h.ID && slices.Contains(cats, r.Category) && r.Retained(now) {
				out = append(out, fedmatch.Match{Record: r.Clone(), Kind: h.Kinds[0], Kinds: h.Kinds, Decades: h.Decades})
			}
		}
	}
	return out, nil
}

func (s *fakeStore) Search(q fedmatch.Query, cats []fedmatch.Category, now time.Time, _ int) ([]fedmatch.Match, int, error) {
	var out []fedmatch.Match
	for _, r := range s.recs {
		if slices.Contains(cats, r.Category) && r.Retained(now) {
			if m, ok := q.Score(r.Clone(), nil); ok {
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b fedmatch.Match) int { return cmp.Compare(b.Score, a.Score) })
	return out, len(s.recs), nil
}
func (s *fakeStore) Get(id string) (*fedmatch.Record, error) {
	for _, r := range s.recs {
		if r.ID == id {
			return r.Clone(), nil
		}
	}
	return nil, fedmatch.E("fake.Get", fedmatch.NotFound, "no %s", id)
}
func (s *fakeStore) Len() int { return len(s.recs) }

// fakePolicy allows what it is told and records what it was asked.
type fakePolicy struct {
	decision fedmatch.Decision
	fields   []string
	asked    []fedmatch.DiscloseInput
}

func (p *fakePolicy) Decide(context.Context, *fedmatch.QueryInput) (fedmatch.Decision, error) {
	return p.decision, nil
}
func (p *fakePolicy) Disclose(_ context.Context, in *fedmatch.DiscloseInput) (fedmatch.Disclosure, error) {
	p.asked = append(p.asked, *in)
	if slices.Contains(in.Record.Flags, fedmatch.FlagJuvenile) {
		return fedmatch.Disclosure{}, nil
	}
	return fedmatch.Disclosure{Allow: true, Fields: p.fields}, nil
}
func (p *fakePolicy) Revision() string         { return "rev-1" }
func (p *fakePolicy) Current() fedmatch.Policy { return p }

type fakeAudit struct {
	entries []*fedmatch.AuditEntry
	err     error
}

func (a *fakeAudit) Append(e *fedmatch.AuditEntry) error {
	if a.err != nil {
		return a.err
	}
	a.entries = append(a.entries, e)
	return nil
}

type fixture struct {
	fed    *testfed.Fed
	node   *node.Node
	policy *fakePolicy
	audit  *fakeAudit
	store  *fakeStore
	gb     *wire.Signer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fed := testfed.MustFed(t, testfed.Roster())
	recs := []*fedmatch.Record{
		{ID: "secret-id-1", Category: fedmatch.ImmigrationOffender, CollectedAt: "2025-01-01", RetentionUntil: "2099-01-01",
			Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29", Address: "1 Secret Street"},
		{ID: "secret-id-2", Category: fedmatch.ImmigrationOffender, CollectedAt: "2025-01-01", RetentionUntil: "2099-01-01",
			Flags: []string{fedmatch.FlagJuvenile}, Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"},
		{ID: "secret-id-3", Category: fedmatch.ArrestBiometrics, CollectedAt: "2025-01-01", RetentionUntil: "2099-01-01",
			Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"},
	}
	f := &fixture{fed: fed, audit: &fakeAudit{}, store: &fakeStore{recs: recs},
		policy: &fakePolicy{decision: fedmatch.Decision{Allow: true, Categories: []fedmatch.Category{fedmatch.ImmigrationOffender}, MinScore: 0.8},
			fields: []string{"category", "surname"}},
		gb: fed.MustSigner(t, testfed.GB)}
	cfg := node.DefaultConfig()
	cfg.Agency, cfg.Secret = testfed.US, []byte(strings.Repeat("k", 32))
	n, err := node.New(cfg, node.Deps{Keys: fed.Trust, Signer: fed.MustSigner(t, testfed.US),
		Store: f.store, Matcher: match.New(match.DefaultConfig(), nil), Policy: f.policy, Audit: f.audit})
	if err != nil {
		t.Fatal(err)
	}
	f.node = n
	return f
}

func (f *fixture) query(t *testing.T, adjust func(*wire.QueryRequest)) (string, *wire.QueryClaims) {
	t.Helper()
	q := &wire.QueryRequest{Audience: f.fed.Trust.Roster().Audience(), Purpose: fedmatch.VisaApplication, Basis: "gb-us-2026",
		Targets: []fedmatch.AgencyID{testfed.US}, Probe: fedmatch.Probe{Surname: "OKAFOR", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}}
	if adjust != nil {
		adjust(q)
	}
	tok, c, err := f.gb.SignQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

func (f *fixture) answer(t *testing.T, tok string, c *wire.QueryClaims) *fedmatch.Answer {
	t.Helper()
	ans, err := f.node.Match(context.Background(), []byte(tok))
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	a, err := f.gb.ReadAnswer(wire.NewVerifier(f.fed.Trust), []byte(ans), testfed.US, c.ID)
	if err != nil {
		t.Fatalf("ReadAnswer: %v", err)
	}
	return a
}

// TestNode_MatchFalseDocument: a probe presenting a passport the node
// holds as stolen is a false-document hit; policy sees the status, and so
// does the requester.
func TestNode_MatchFalseDocument(t *testing.T) {
	f := newFixture(t)
	f.store.recs = append(f.store.recs, &fedmatch.Record{ID: "secret-id-4", Category: fedmatch.ImmigrationOffender,
		CollectedAt: "2025-01-01", RetentionUntil: "2099-01-01", Surname: "Adeyemi",
		Documents: []fedmatch.Document{{Type: "passport", Number: "A1234567", IssuingState: "NGA", Status: "stolen"}}})
	tok, c := f.query(t, func(q *wire.QueryRequest) {
		q.Probe = fedmatch.Probe{Surname: "Bello", Documents: []fedmatch.Document{{Number: "a1234567", IssuingState: "NGA"}}}
	})
	a := f.answer(t, tok, c)
	if a.Status != fedmatch.StatusHit || len(a.Hits) != 1 {
		t.Fatalf("answer = %+v; want one hit", a)
	}
	if h := a.Hits[0]; h.Kind != fedmatch.KindDocument || h.DocumentStatus != "stolen" {
		t.Fatalf("hit = %+v; want a document hit on a stolen document", h)
	}
	if got := f.policy.asked[len(f.policy.asked)-1].Match.DocumentStatus; got != "stolen" {
		t.Fatalf("policy saw document status %q", got)
	}
}

func TestNode_MatchDisclosesOnlyAllowed(t *testing.T) {
	f := newFixture(t)
	tok, c := f.query(t, nil)
	a := f.answer(t, tok, c)
	if a.Status != fedmatch.StatusHit || len(a.Hits) != 1 {
		t.Fatalf("answer = %+v; want one hit (juvenile dropped, arrest biometrics not searched)", a)
	}
	h := a.Hits[0]
	if len(h.Fields) != 2 || h.Fields["surname"] != "Okafor" || h.Fields["category"] != string(fedmatch.ImmigrationOffender) {
		t.Fatalf("fields = %v; want category and surname only", h.Fields)
	}
	b, _ := json.Marshal(a)
	for _, secret := range []string{"secret-id", "Secret Street"} {
		if strings.Contains(string(b), secret) {
			t.Fatalf("answer leaks %q: %s", secret, b)
		}
	}
	if a.Revision != "rev-1" {
		t.Fatalf("revision = %q", a.Revision)
	}
	// The record-level policy saw metadata, never identity.
	for _, in := range f.policy.asked {
		if in.Record.Category == fedmatch.ArrestBiometrics {
			t.Fatal("a category outside the decision was matched")
		}
	}
}

func TestNode_MatchAudit(t *testing.T) {
	f := newFixture(t)
	tok, c := f.query(t, nil)
	f.answer(t, tok, c)
	if len(f.audit.entries) != 1 {
		t.Fatalf("%d audit entries, want 1", len(f.audit.entries))
	}
	e := f.audit.entries[0]
	b, _ := json.Marshal(e)
	if strings.Contains(strings.ToUpper(string(b)), "OKAFOR") || strings.Contains(string(b), "1984") {
		t.Fatalf("audit entry holds the probe: %s", b)
	}
	if e.ProbeDigest == "" || e.QueryID != c.ID || e.Outcome != "hit" || len(e.Refs) != 1 || !slices.Equal(e.Fields, []string{"category", "surname"}) {
		t.Fatalf("audit entry = %s", b)
	}
	if e.ProbeDigest != f.node.ProbeDigest(&c.Probe) {
		t.Fatal("probe digest does not match the probe")
	}
}

func TestNode_MatchWithheldWithoutAudit(t *testing.T) {
	f := newFixture(t)
	f.audit.err = errors.New("disk full")
	tok, _ := f.query(t, nil)
	if _, err := f.node.Match(context.Background(), []byte(tok)); !fedmatch.IsCode(err, fedmatch.Internal) {
		t.Fatalf("Match: %v; an answer must not leave without its audit entry", err)
	}
}

func TestNode_MatchRefusals(t *testing.T) {
	tests := []struct {
		name   string
		adjust func(*wire.QueryRequest)
		policy *fedmatch.Decision
		status fedmatch.Status
		reason string
		code   fedmatch.Code // error instead of answer
	}{
		{"policy refuses", nil, &fedmatch.Decision{Reason: "purpose_not_permitted"}, fedmatch.StatusRefused, "purpose_not_permitted", 0},
		{"policy zero value denies", nil, &fedmatch.Decision{}, fedmatch.StatusRefused, "", 0},
		{"purpose outside agreement", func(q *wire.QueryRequest) { q.Purpose = fedmatch.CounterTerrorism }, nil, fedmatch.StatusRefused, "not_in_agreement", 0},
		{"unknown agreement", func(q *wire.QueryRequest) { q.Basis = "secret-deal" }, nil, fedmatch.StatusRefused, "not_in_agreement", 0},
		{"not addressed to this node", func(q *wire.QueryRequest) { q.Targets = []fedmatch.AgencyID{testfed.DE} }, nil, "", "", fedmatch.WrongAudience},
		{"no hit", func(q *wire.QueryRequest) { q.Probe.Surname, q.Probe.GivenNames = "Lindqvist", "Erik" }, nil, fedmatch.StatusNoHit, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.policy != nil {
				f.policy.decision = *tc.policy
			}
			tok, c := f.query(t, tc.adjust)
			if tc.code != 0 {
				if _, err := f.node.Match(context.Background(), []byte(tok)); !fedmatch.IsCode(err, tc.code) {
					t.Fatalf("Match: %v, want %v", err, tc.code)
				}
				return
			}
			a := f.answer(t, tok, c)
			if a.Status != tc.status || (tc.reason != "" && a.Reason != tc.reason) || len(a.Hits) != 0 {
				t.Fatalf("answer = %+v, want %s %s", a, tc.status, tc.reason)
			}
			if len(f.audit.entries) != 1 || f.audit.entries[0].Outcome != string(tc.status) {
				t.Fatalf("audit = %+v", f.audit.entries)
			}
		})
	}
}

func TestNode_HandleMatchTypedErrors(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.query(t, nil)
	for name, tc := range map[string]struct {
		raw  []byte
		code string
	}{
		"garbage":   {[]byte("not a token"), "malformed"},
		"too large": {[]byte(strings.Repeat("x", wire.MaxQueryBytes+1)), "too_large"},
		"replayed":  {[]byte(tok), "replayed"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "replayed" {
				f.node.HandleMatch(context.Background(), []byte(tok))
			}
			r, err := wire.DecodeNodeReply(f.node.HandleMatch(context.Background(), tc.raw))
			if err != nil || r.Error == nil || r.Error.Code != tc.code {
				t.Fatalf("reply = %+v, %v; want error %s", r, err, tc.code)
			}
		})
	}
}

func TestNode_RefsUnlinkableAcrossRequesters(t *testing.T) {
	f := newFixture(t)
	tok, c := f.query(t, nil)
	refGB := f.answer(t, tok, c).Hits[0].Ref
	// DE asks the same node about the same person, under prum-border.
	de := f.fed.MustSigner(t, testfed.DE)
	q := &wire.QueryRequest{Audience: f.fed.Trust.Roster().Audience(), Purpose: fedmatch.VisaApplication, Basis: "prum-border",
		Targets: []fedmatch.AgencyID{testfed.US}, Probe: c.Probe}
	tok2, c2, _ := de.SignQuery(q)
	ans, err := f.node.Match(context.Background(), []byte(tok2))
	if err != nil {
		t.Fatal(err)
	}
	a, err := de.ReadAnswer(wire.NewVerifier(f.fed.Trust), []byte(ans), testfed.US, c2.ID)
	if err != nil || len(a.Hits) != 1 {
		t.Fatalf("DE answer: %+v, %v", a, err)
	}
	if a.Hits[0].Ref == refGB {
		t.Fatal("the same record has the same reference for two requesters")
	}
}

func TestProject_CoversEveryDisclosableField(t *testing.T) {
	r := &fedmatch.Record{ID: "x", Category: fedmatch.FalseDocument, Surname: "a", GivenNames: "b", Aliases: []string{"c"},
		DateOfBirth: "1990", Sex: "F", Nationalities: []string{"GBR"}, PlaceOfBirth: "d", Address: "e",
		Documents: []fedmatch.Document{{Number: "1", IssuingState: "GBR"}}, CollectedAt: "2020-01-01", Flags: []string{"f"}}
	all := fedmatch.DisclosableFields()
	got := node.Project(r, append(all, "id", "retention_until"))
	if len(got) != len(all) {
		t.Fatalf("Project gave %d fields, want %d: %v", len(got), len(all), got)
	}
	if _, ok := got["id"]; ok {
		t.Fatal("Project disclosed the record id")
	}
	if node.Project(r, nil) != nil {
		t.Fatal("no fields asked, some given")
	}
}

func TestNode_DiscloseStepTwo(t *testing.T) {
	f := newFixture(t)
	tok, c := f.query(t, nil)
	ref := f.answer(t, tok, c).Hits[0].Ref
	f.policy.fields = []string{"category", "surname", "given_names", "date_of_birth"}

	ask := func(t *testing.T, s *wire.Signer, basis, ref string) (*fedmatch.Answer, error) {
		t.Helper()
		tok, c, err := s.SignQuery(&wire.QueryRequest{Audience: f.fed.Trust.Roster().Audience(), Purpose: fedmatch.VisaApplication,
			Basis: basis, Case: "CASE-9", Targets: []fedmatch.AgencyID{testfed.US}, Ref: ref})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.node.Disclose(context.Background(), []byte(tok))
		if err != nil {
			return nil, err
		}
		a, err := s.ReadAnswer(wire.NewVerifier(f.fed.Trust), []byte(raw), testfed.US, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a, nil
	}
	t.Run("the requester it was issued to", func(t *testing.T) {
		a, err := ask(t, f.gb, "gb-us-2026", ref)
		if err != nil || a.Status != fedmatch.StatusHit || len(a.Hits) != 1 {
			t.Fatalf("answer = %+v, %v", a, err)
		}
		h := a.Hits[0]
		if h.Ref != ref || h.Kind != fedmatch.KindReference || h.Fields["given_names"] != "Chidi" || h.Fields["address"] != nil {
			t.Fatalf("hit = %+v", h)
		}
		last := f.audit.entries[len(f.audit.entries)-1]
		if last.Event != "disclose" || last.Case != "CASE-9" || len(last.Refs) != 1 {
			t.Fatalf("audit = %+v", last)
		}
	})
	t.Run("another agency presenting it", func(t *testing.T) {
		de := f.fed.MustSigner(t, testfed.DE)
		a, err := ask(t, de, "prum-border", ref)
		if err != nil || a.Status != fedmatch.StatusNoHit || len(a.Hits) != 0 {
			t.Fatalf("answer = %+v, %v; a reference must open only for its requester", a, err)
		}
	})
	t.Run("a forged reference", func(t *testing.T) {
		forged := []byte(ref)
		forged[5] ^= 1
		a, err := ask(t, f.gb, "gb-us-2026", string(forged))
		if err != nil || a.Status != fedmatch.StatusNoHit {
			t.Fatalf("answer = %+v, %v", a, err)
		}
	})
	t.Run("wrong endpoint", func(t *testing.T) {
		tok, _, _ := f.gb.SignQuery(&wire.QueryRequest{Audience: f.fed.Trust.Roster().Audience(), Purpose: fedmatch.VisaApplication,
			Basis: "gb-us-2026", Case: "C", Targets: []fedmatch.AgencyID{testfed.US}, Ref: ref})
		if _, err := f.node.Match(context.Background(), []byte(tok)); !fedmatch.IsCode(err, fedmatch.Malformed) {
			t.Fatalf("step two at the match endpoint: %v", err)
		}
		tok, _ = f.query(t, nil)
		if _, err := f.node.Disclose(context.Background(), []byte(tok)); !fedmatch.IsCode(err, fedmatch.Malformed) {
			t.Fatalf("a query at the disclose endpoint: %v", err)
		}
	})
}

func TestUsage(t *testing.T) {
	u := node.NewUsage()
	day1 := time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)
	for i := range 3 {
		if got := u.Next(day1, testfed.GB, fedmatch.BorderAdmission); got != i {
			t.Fatalf("Next = %d, want %d", got, i)
		}
	}
	if got := u.Next(day1, testfed.GB, fedmatch.VisaApplication); got != 0 {
		t.Fatalf("another purpose: %d", got)
	}
	if got := u.Next(day1.Add(2*time.Hour), testfed.GB, fedmatch.BorderAdmission); got != 0 {
		t.Fatalf("next day: %d", got)
	}
	s := node.NewUsage()
	s.Seed(day1, []*fedmatch.AuditEntry{
		{Time: day1, Event: "match", Requester: testfed.GB, Purpose: fedmatch.BorderAdmission, Outcome: "hit"},
		{Time: day1, Event: "disclose", Requester: testfed.GB, Purpose: fedmatch.BorderAdmission, Outcome: "refused", Reason: "quota_exceeded"},
		{Time: day1, Event: "match", Requester: testfed.GB, Purpose: fedmatch.BorderAdmission, Outcome: "refused", Reason: "not_in_agreement"},
		{Time: day1, Event: "match.rejected", Requester: testfed.GB, Purpose: fedmatch.BorderAdmission},
		{Time: day1.Add(-24 * time.Hour), Event: "match", Requester: testfed.GB, Purpose: fedmatch.BorderAdmission, Outcome: "hit"},
	})
	if got := s.Next(day1, testfed.GB, fedmatch.BorderAdmission); got != 2 {
		t.Fatalf("seeded count = %d, want 2", got)
	}
}

// TestNode_LogsNoProbe: a query refused for a malformed probe is logged
// by kind, never with the probe's content.
func TestNode_LogsNoProbe(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	cfg := node.DefaultConfig()
	cfg.Agency, cfg.Secret = testfed.US, []byte(strings.Repeat("k", 32))
	n, err := node.New(cfg, node.Deps{Keys: f.fed.Trust, Signer: f.fed.MustSigner(t, testfed.US),
		Store: &fakeStore{}, Matcher: match.New(match.DefaultConfig(), nil), Policy: f.policy, Audit: f.audit,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := map[string]any{"iss": "gb-home-office", "aud": f.fed.Trust.Roster().Audience(), "iat": time.Now().Unix(),
		"exp": time.Now().Add(time.Minute).Unix(), "jti": wire.NewID(), "purpose": "border-admission", "basis": "gb-us-2026",
		"targets": []string{"us-dhs"}, "probe": map[string]any{"surname": "Zyxwvutsrq", "date_of_birth": "1984-13-45"}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims(c)).SignedString(f.fed.MustKey(t, testfed.GB))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Match(context.Background(), []byte(tok)); !fedmatch.IsCode(err, fedmatch.Malformed) {
		t.Fatalf("Match: %v", err)
	}
	if !strings.Contains(logs.String(), "malformed") || strings.Contains(logs.String(), "1984-13-45") || strings.Contains(logs.String(), "Zyxwvutsrq") {
		t.Fatalf("log: %s", logs.String())
	}
}

// A requester over a node's rate limits is answered refused, reason
// rate_limited, in a signed answer; the search is never run. The purpose
// bucket and the agency bucket each bind.
func TestNode_RateLimits(t *testing.T) {
	f := newFixture(t)
	cfg := node.DefaultConfig()
	cfg.Agency, cfg.Secret = testfed.US, []byte(strings.Repeat("k", 32))
	cfg.Limits = node.Limits{PerAgency: ratelimit.Limit{PerSecond: 0.001, Burst: 3}, PerPurpose: ratelimit.Limit{PerSecond: 0.001, Burst: 2}}
	n, err := node.New(cfg, node.Deps{Keys: f.fed.Trust, Signer: f.fed.MustSigner(t, testfed.US),
		Store: f.store, Matcher: match.New(match.DefaultConfig(), nil), Policy: f.policy, Audit: f.audit})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(purpose fedmatch.Purpose) *fedmatch.Answer {
		t.Helper()
		tok, c := f.query(t, func(q *wire.QueryRequest) { q.Purpose = purpose })
		raw, err := n.Match(context.Background(), []byte(tok))
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.gb.ReadAnswer(wire.NewVerifier(f.fed.Trust), []byte(raw), testfed.US, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	limited := func(a *fedmatch.Answer) bool {
		return a.Status == fedmatch.StatusRefused && a.Reason == fedmatch.RateLimited.String() && len(a.Hits) == 0
	}
	for i, tc := range []struct {
		purpose fedmatch.Purpose
		limited bool
	}{
		{fedmatch.VisaApplication, false},
		{fedmatch.VisaApplication, false},
		{fedmatch.VisaApplication, true}, // the purpose's burst of 2 is spent
		{fedmatch.BorderAdmission, true}, // the agency's burst of 3 is spent too
	} {
		if a := ask(tc.purpose); limited(a) != tc.limited {
			t.Fatalf("query %d (%s): %s %s, want rate limited %v", i+1, tc.purpose, a.Status, a.Reason, tc.limited)
		}
	}
	last := f.audit.entries[len(f.audit.entries)-1]
	if last.Outcome != "refused" || last.Reason != "rate_limited" || last.ProbeDigest != "" {
		t.Fatalf("audit of a limited query = %+v; want refused, rate_limited, and its probe never opened", last)
	}
}
