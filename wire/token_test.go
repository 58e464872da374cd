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
	s := &wire.Signer{Agency: testfed.GB, Key: f.MustKey(tb, testfed.GB)}
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
		Purpose: fedmatch.BorderAdmission, Basis: "gb-us-2026", Targets: []fedmatch.AgencyID{testfed.US}, Probe: probe(),
	}
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
			payload = []byte(strings.Replace(string(payload), "Okafor", "Okafox", 1))
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			return strings.Join(parts, ".")
		}, fedmatch.BadSignature},
		{"signed with another agency's key", func(t *testing.T) string {
			return signRaw(t, jwt.SigningMethodEdDSA, f.MustKey(t, testfed.US), claims(f, testfed.GB, now))
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
		{"bad date in probe", func(t *testing.T) string {
			c := map[string]any{"iss": "gb-home-office", "aud": f.Trust.Roster().Audience(), "iat": now.Unix(),
				"exp": now.Add(time.Minute).Unix(), "jti": wire.NewID(), "purpose": "border-admission", "basis": "gb-us-2026",
				"targets": []string{"us-dhs"}, "probe": map[string]any{"surname": "X", "date_of_birth": "1984-13-45"}}
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, jwt.MapClaims(c))
		}, fedmatch.Malformed},
		{"unknown purpose", func(t *testing.T) string {
			c := claims(f, testfed.GB, now)
			c.Purpose = "tax-collection"
			return signRaw(t, jwt.SigningMethodEdDSA, gbKey, c)
		}, fedmatch.Malformed},
		{"empty probe", func(t *testing.T) string {
			c := claims(f, testfed.GB, now)
			c.Probe = fedmatch.Probe{}
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
	if c.Requester() != testfed.GB || c.Probe.Surname != "Okafor" {
		t.Fatalf("claims = %+v", c)
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
	tok := signRaw(t, jwt.SigningMethodEdDSA, f.MustKey(t, testfed.GB), claims(f, testfed.GB, time.Now()))
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
	us := &wire.Signer{Agency: testfed.US, Key: f.MustKey(t, testfed.US)}
	de := &wire.Signer{Agency: testfed.DE, Key: f.MustKey(t, testfed.DE)}
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
			if tc.ok {
				if err != nil || c.Answer.Status != fedmatch.StatusNoHit {
					t.Fatalf("VerifyAnswer: %v", err)
				}
				return
			}
			if !fedmatch.IsCode(err, tc.code) {
				t.Fatalf("VerifyAnswer: %v, want %v", err, tc.code)
			}
		})
	}
}

func TestSigner_SignQueryRefuses(t *testing.T) {
	f := testfed.MustFed(t, testfed.Roster())
	s := &wire.Signer{Agency: testfed.GB, Key: f.MustKey(t, testfed.GB)}
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
