package wire_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/wire"
)

func probe() fedmatch.Probe {
	return fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}
}

func request(f *testfed.Fed) *wire.QueryRequest {
	return &wire.QueryRequest{
		Audience: f.Trust.Roster().Audience(), Purpose: fedmatch.BorderAdmission, Basis: "gb-us-2026",
		Targets: []fedmatch.AgencyID{testfed.US}, Probe: probe(),
	}
}

// MustSign signs a query as GB, optionally adjusting the request first.
func MustSign(tb testing.TB, f *testfed.Fed, adjust func(*wire.QueryRequest)) string {
	tb.Helper()
	q := request(f)
	if adjust != nil {
		adjust(q)
	}
	s := f.MustSigner(tb, testfed.GB)
	tok, _, err := s.SignQuery(q)
	if err != nil {
		tb.Fatalf("SignQuery: %v", err)
	}
	return tok
}

// signRaw signs arbitrary claims with method and key, bypassing Signer's checks.
func signRaw(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(f *testfed.Fed, iss fedmatch.AgencyID, now time.Time) *wire.QueryClaims {
	return &wire.QueryClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: string(iss), Audience: jwt.ClaimStrings{f.Trust.Roster().Audience()},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), ID: wire.NewID(),
		},
		Purpose: fedmatch.BorderAdmission, Basis: "gb-us-2026", Targets: []fedmatch.AgencyID{testfed.US}, Endpoint: wire.StepMatch,
		QueryContent: wire.QueryContent{Probe: probe()},
	}
}

// sealed seals c's content for its targets, as a requester would.
func sealed(t *testing.T, f *testfed.Fed, c *wire.QueryClaims) *wire.QueryClaims {
	t.Helper()
	if err := c.Seal(f.Trust); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifier_VerifyQuery(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	gbKey := f.MustKey(t, testfed.GB)
	now := time.Now()

	tests := []struct {
		name  string
		token func(t *testing.T) string
		code  fedmatch.Code
	}{
		{"tampered payload", func(t *testing.T) string {
			tok := MustSign(t, f, nil)
			parts := strings.Split(tok, ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			payload = []byte(strings.Replace(string(payload), "border-admission", "visa-application", 1))
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			return strings.Join(parts, ".")
		}, fedmatch.BadSignature},
		{"signed with another agency's key", func(t *testing.T) string {
			return signRaw(t, jwt.SigningMethodEdDSA, f.MustKey(t, testfed.US), sealed(t, f, claims(f, testfed.GB, now)))
		}, fedmatch.BadSignature},
		{"signed with a stranger's key", func(t *testing.T) string {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			return signRaw(t, jwt.SigningMethodEdDSA, k, claims(f, testfed.GB, now))
		}, fedmatch.BadSignature},
		{"alg none", func(t *testing.T) string {
			return signRaw(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(f, testfed.GB, now))
		}, fedmatch.BadSignature},
		{"HS256 with the public key as secret", func(t *testing.T) string {
			pub, _ := f.Trust.PublicKey(testfed.GB)
			return signRaw(t, jwt.SigningMethodHS256, []byte(pub), claims(f, testfed.GB, now))
		}, fedmatch.BadSignature},
		{"unknown alg", func(t *testing.T) string {
			tok := MustSign(t, f, nil)
			parts := strings.Split(tok, ".")
			parts[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"XX512","typ":"JWT"}`))
			return strings.Join(parts, ".")
		}, fedmatch.BadSignature},
		{"expired", func(t *testing.T) string {
			c := claims(f, testfed.GB, now.Add(-10*time.Minute))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-6 * time.Minute))
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Expired},
		{"issued in the future", func(t *testing.T) string {
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, claims(f, testfed.GB, now.Add(time.Minute)))
		}, fedmatch.Expired},
		{"no exp", func(t *testing.T) string {
			c := claims(f, testfed.GB, now)
			c.ExpiresAt = nil
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Malformed},
		{"lifetime too long", func(t *testing.T) string {
			c := claims(f, testfed.GB, now)
			c.ExpiresAt = jwt.NewNumericDate(now.Add(time.Hour))
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Malformed},
		{"no jti", func(t *testing.T) string {
			c := claims(f, testfed.GB, now)
			c.ID = ""
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Malformed},
		{"unknown issuer", func(t *testing.T) string {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			return signRaw(t, jwt.SigningMethodEdDSA, k, claims(f, "fr-dgsi", now))
		}, fedmatch.UnknownAgency},
		{"wrong audience", func(t *testing.T) string {
			return MustSign(t, f, func(q *wire.QueryRequest) { q.Audience = "fedmatch:other" })
		}, fedmatch.WrongAudience},
		{"too large", func(t *testing.T) string {
			return strings.Repeat("a", wire.MaxQueryBytes+1)
		}, fedmatch.TooLarge},
		{"not a JWS", func(t *testing.T) string { return "hello.world" }, fedmatch.Malformed},
		{"content in clear", func(t *testing.T) string {
			c := map[string]any{"iss": "gb-home-office", "aud": f.Trust.Roster().Audience(), "iat": now.Unix(),
				"exp": now.Add(time.Minute).Unix(), "jti": wire.NewID(), "purpose": "border-admission", "basis": "gb-us-2026",
				"targets": []string{"us-dhs"}, "step": "match", "probe": map[string]any{"surname": "X"}}
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, jwt.MapClaims(c))
		}, fedmatch.Malformed},
		{"sealed for fewer agencies than targeted", func(t *testing.T) string {
			c := sealed(t, f, claims(f, testfed.GB, now))
			c.Targets = append(c.Targets, testfed.DE)
			c.Basis = "prum-border"
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Malformed},
		{"unknown step", func(t *testing.T) string {
			c := sealed(t, f, claims(f, testfed.GB, now))
			c.Endpoint = "export"
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Malformed},
		{"unknown purpose", func(t *testing.T) string {
			c := claims(f, testfed.GB, now)
			c.Purpose = "tax-collection"
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Malformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := wire.NewVerifier(f.Trust)
			_, err := v.VerifyQuery([]byte(tc.token(t)))
			if got := fedmatch.ErrorCode(err); err == nil || got != tc.code {
				t.Fatalf("VerifyQuery: %v (code %v), want %v", err, got, tc.code)
			}
			if v.Replay.Len() != 0 {
				t.Fatalf("a refused token used up a replay slot")
			}
		})
	}
}

func TestVerifier_VerifyQueryReplay(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	v := wire.NewVerifier(f.Trust)
	tok := []byte(MustSign(t, f, nil))
	c, err := v.VerifyQuery(tok)
	if err != nil {
		t.Fatalf("first VerifyQuery: %v", err)
	}
	if c.Requester() != testfed.GB || c.Probe.Surname != "" {
		t.Fatalf("claims = %+v; the probe must stay sealed until opened", c)
	}
	if _, err := v.VerifyQuery(tok); !fedmatch.IsCode(err, fedmatch.Replayed) {
		t.Fatalf("second VerifyQuery: %v, want replayed", err)
	}
	// Another party's verifier has its own cache and accepts it once.
	if _, err := wire.NewVerifier(f.Trust).VerifyQuery(tok); err != nil {
		t.Fatalf("other verifier: %v", err)
	}
}

func TestVerifier_VerifyRevoked(t *testing.T) {
	r := testfed.Roster()
	r.Revoked = []fedmatch.AgencyID{testfed.GB}
	f := testfed.MustFed(t, r)
	c := claims(f, testfed.GB, time.Now())
	c.Sealed = &wire.SealedQuery{Keys: map[fedmatch.AgencyID]string{testfed.US: "x"}, Data: "x"} // GB may not seal: it is revoked
	tok := signRaw(t, jwt.SigningMethodEdDSA, f.MustKey(t, testfed.GB), c)
	if _, err := wire.NewVerifier(f.Trust).VerifyQuery([]byte(tok)); !fedmatch.IsCode(err, fedmatch.UnknownAgency) {
		t.Fatalf("VerifyQuery: %v, want unknown_agency", err)
	}
}

func TestVerifier_VerifyAnswer(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	tok := MustSign(t, f, nil)
	q, err := wire.NewVerifier(f.Trust).VerifyQuery([]byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	us := f.MustSigner(t, testfed.US)
	de := f.MustSigner(t, testfed.DE)
	answer := func(s *wire.Signer, agency fedmatch.AgencyID) string {
		a, err := s.SignAnswer(q, &fedmatch.Answer{Agency: agency, Status: fedmatch.StatusNoHit})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name    string
		token   string
		from    fedmatch.AgencyID
		self    fedmatch.AgencyID
		queryID string
		code    fedmatch.Code
		ok      bool
	}{
		{"good", answer(us, testfed.US), testfed.US, testfed.GB, q.ID, 0, true},
		{"swapped between nodes", answer(de, testfed.DE), testfed.US, testfed.GB, q.ID, fedmatch.BadSignature, false},
		{"another query", answer(us, testfed.US), testfed.US, testfed.GB, "0123456789abcdef0123", fedmatch.Malformed, false},
		{"another requester", answer(us, testfed.US), testfed.US, testfed.DE, q.ID, fedmatch.WrongAudience, false},
		{"agency field lies", answer(us, testfed.DE), testfed.US, testfed.GB, q.ID, fedmatch.Malformed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := wire.NewVerifier(f.Trust).VerifyAnswer([]byte(tc.token), tc.from, tc.self, tc.queryID)
			if err == nil {
				_, err = f.MustSigner(t, tc.self).OpenAnswer(c)
			}
			if tc.ok {
				if err != nil || c.Answer.Status != fedmatch.StatusNoHit || c.Answer.Agency != tc.from {
					t.Fatalf("VerifyAnswer and OpenAnswer: %v, answer %+v", err, c.Answer)
				}
				return
			}
			if !fedmatch.IsCode(err, tc.code) {
				t.Fatalf("VerifyAnswer and OpenAnswer: %v, want %v", err, tc.code)
			}
		})
	}
}

func TestSigner_SignQueryRefuses(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	s := f.MustSigner(t, testfed.GB)
	for name, adjust := range map[string]func(*wire.QueryRequest){
		"self target":      func(q *wire.QueryRequest) { q.Targets = []fedmatch.AgencyID{testfed.GB} },
		"duplicate target": func(q *wire.QueryRequest) { q.Targets = []fedmatch.AgencyID{testfed.US, testfed.US} },
		"no basis":         func(q *wire.QueryRequest) { q.Basis = "" },
		"huge probe":       func(q *wire.QueryRequest) { q.Probe.Surname = strings.Repeat("x", 300) },
	} {
		t.Run(name, func(t *testing.T) {
			q := request(f)
			adjust(q)
			if _, _, err := s.SignQuery(q); !fedmatch.IsCode(err, fedmatch.Malformed) {
				t.Fatalf("SignQuery: %v, want malformed", err)
			}
		})
	}
}

func TestErrorBody_RoundTrip(t *testing.T) {
	for _, c := range fedmatch.Codes() {
		err := wire.DecodeError(wire.EncodeError(fedmatch.E("op.Name", c, "cause")))
		if fedmatch.ErrorCode(err) != c {
			t.Errorf("code %v came back as %v", c, fedmatch.ErrorCode(err))
		}
	}
}

func TestReplayCache_Full(t *testing.T) {
	c := &wire.ReplayCache{Max: 2}
	now := time.Now()
	for _, k := range []string{"a", "b"} {
		if err := c.Check(k, now.Add(time.Minute), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Check("c", now.Add(time.Minute), now); !fedmatch.IsCode(err, fedmatch.Unavailable) {
		t.Fatalf("full cache: %v, want unavailable", err)
	}
	// Once the first ids expire, room is made again; a still-live id stays refused.
	later := now.Add(2 * time.Minute)
	if err := c.Check("c", later.Add(time.Minute), later); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if err := c.Check("c", later.Add(time.Minute), later); !fedmatch.IsCode(err, fedmatch.Replayed) {
		t.Fatalf("replay: %v, want replayed", err)
	}
}

// Only the targets can open a query's content, only for that query; only
// the requester can open an answer; and neither travels in clear.
func TestSigner_Seal(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	gb, us, de := f.MustSigner(t, testfed.GB), f.MustSigner(t, testfed.US), f.MustSigner(t, testfed.DE)
	q := request(f)
	q.Targets, q.Basis, q.Case = []fedmatch.AgencyID{testfed.US, testfed.DE}, "prum-border", "CASE-77"
	tok, _, err := gb.SignQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	for _, secret := range []string{"Okafor", "Chidi", "1984", "CASE-77"} {
		if strings.Contains(string(payload), secret) {
			t.Fatalf("the token carries %q in clear: %s", secret, payload)
		}
	}
	verify := func() *wire.QueryClaims {
		c, err := wire.NewVerifier(f.Trust).VerifyQuery([]byte(tok))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, s := range []*wire.Signer{us, de} {
		c := verify()
		if err := s.OpenQuery(c); err != nil || c.Probe.Surname != "Okafor" || c.Case != "CASE-77" {
			t.Fatalf("%s OpenQuery: %v, content %+v", s.Agency, err, c.QueryContent)
		}
	}
	t.Run("not a target", func(t *testing.T) {
		if err := f.MustSigner(t, testfed.XX).OpenQuery(verify()); !fedmatch.IsCode(err, fedmatch.Malformed) {
			t.Fatalf("OpenQuery by a non-target: %v, want malformed", err)
		}
	})
	t.Run("another target's part", func(t *testing.T) {
		c := verify()
		c.Sealed.Keys[testfed.US] = c.Sealed.Keys[testfed.DE]
		if err := us.OpenQuery(c); !fedmatch.IsCode(err, fedmatch.Malformed) {
			t.Fatalf("OpenQuery of DE's part by US: %v, want malformed", err)
		}
	})
	t.Run("lifted into another query", func(t *testing.T) {
		c := verify()
		c.ID = wire.NewID()
		if err := us.OpenQuery(c); !fedmatch.IsCode(err, fedmatch.Malformed) {
			t.Fatalf("OpenQuery under another jti: %v, want malformed", err)
		}
	})

	c := verify()
	if err := us.OpenQuery(c); err != nil {
		t.Fatal(err)
	}
	ans, err := us.SignAnswer(c, &fedmatch.Answer{Agency: testfed.US, Status: fedmatch.StatusHit, Reason: "because-of-policy",
		Hits: []fedmatch.Hit{{Ref: "REF-SENTINEL-1", Kind: fedmatch.KindBiographic, Score: 0.9, Fields: map[string]any{"surname": "OKAFOR-HIT"}}}})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ = base64.RawURLEncoding.DecodeString(strings.Split(ans, ".")[1])
	for _, secret := range []string{"OKAFOR-HIT", "REF-SENTINEL-1", "because-of-policy"} {
		if strings.Contains(string(payload), secret) {
			t.Fatalf("the answer carries %q in clear: %s", secret, payload)
		}
	}
	ac, err := wire.NewVerifier(f.Trust).VerifyAnswer([]byte(ans), testfed.US, testfed.GB, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ac.Status != fedmatch.StatusHit || ac.Answer.Hits != nil {
		t.Fatalf("verified answer: status %q, hits %v before opening", ac.Status, ac.Answer.Hits)
	}
	if _, err := de.OpenAnswer(ac); !fedmatch.IsCode(err, fedmatch.Malformed) {
		t.Fatalf("DE opened GB's answer: %v", err)
	}
	a, err := gb.OpenAnswer(ac)
	if err != nil || len(a.Hits) != 1 || a.Hits[0].Fields["surname"] != "OKAFOR-HIT" || a.Reason != "because-of-policy" {
		t.Fatalf("GB OpenAnswer: %v, %+v", err, a)
	}
}
