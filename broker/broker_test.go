package broker_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/broker"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/wire"
)

// fakeNodes answers as each target would, by script.
type fakeNodes struct {
	fed       *testfed.Fed
	t         *testing.T
	script    map[fedmatch.AgencyID]string // "hit", "no_hit", "down", "slow", "error", "forged", "garbage"
	calls     atomic.Int32
	endpoints sync.Map
}

func (f *fakeNodes) Forward(ctx context.Context, target fedmatch.AgencyID, endpoint string, token []byte) ([]byte, error) {
	f.calls.Add(1)
	f.endpoints.Store(endpoint, true)
	q, err := wire.NewVerifier(f.fed.Trust).VerifyQuery(token)
	if err != nil {
		f.t.Errorf("broker forwarded a token that does not verify: %v", err)
		return nil, err
	}
	sign := func(as fedmatch.AgencyID, status fedmatch.Status) []byte {
		s := f.fed.MustSigner(f.t, as)
		tok, _ := s.SignAnswer(q, &fedmatch.Answer{Agency: target, Status: status})
		b, _ := json.Marshal(wire.NodeReply{Token: tok})
		return b
	}
	switch f.script[target] {
	case "hit":
		return sign(target, fedmatch.StatusHit), nil
	case "no_hit":
		return sign(target, fedmatch.StatusNoHit), nil
	case "down":
		return nil, fedmatch.E("fake", fedmatch.Unavailable, "nobody serves")
	case "slow":
		<-ctx.Done()
		return nil, fedmatch.E("fake", fedmatch.Unavailable, "%w", ctx.Err())
	case "error":
		b, _ := json.Marshal(wire.NodeReply{Error: wire.EncodeError(fedmatch.E("node", fedmatch.UnknownAgency, "revoked here"))})
		return b, nil
	case "forged":
		return sign(testfed.GB, fedmatch.StatusHit), nil // signed by someone else
	case "garbage":
		return []byte("{"), nil
	}
	f.t.Fatalf("no script for %s", target)
	return nil, nil
}

func TestBroker_Query(t *testing.T) {
	r := testfed.Roster()
	r.Members = append(r.Members, fedmatch.Member{ID: "ca-cbsa", Name: "CBSA"})
	r.Agreements = append(r.Agreements, fedmatch.Agreement{ID: "wide", Parties: []fedmatch.AgencyID{testfed.US, testfed.GB, testfed.DE, "ca-cbsa"},
		Purposes: []fedmatch.Purpose{fedmatch.VisaApplication}})
	fed := testfed.MustFed(t, r)
	signer := fed.MustSigner(t, testfed.US)
	tests := []struct {
		name   string
		script map[fedmatch.AgencyID]string
		want   map[fedmatch.AgencyID]fedmatch.Status
		reason map[fedmatch.AgencyID]string
	}{
		{"hit and no hit",
			map[fedmatch.AgencyID]string{testfed.GB: "hit", testfed.DE: "no_hit", "ca-cbsa": "no_hit"},
			map[fedmatch.AgencyID]fedmatch.Status{testfed.GB: fedmatch.StatusHit, testfed.DE: fedmatch.StatusNoHit, "ca-cbsa": fedmatch.StatusNoHit}, nil},
		{"down and slow nodes are unavailable within the deadline",
			map[fedmatch.AgencyID]string{testfed.GB: "hit", testfed.DE: "down", "ca-cbsa": "slow"},
			map[fedmatch.AgencyID]fedmatch.Status{testfed.GB: fedmatch.StatusHit, testfed.DE: fedmatch.StatusUnavailable, "ca-cbsa": fedmatch.StatusUnavailable}, nil},
		{"node error, forged answer and garbage are errors",
			map[fedmatch.AgencyID]string{testfed.GB: "error", testfed.DE: "forged", "ca-cbsa": "garbage"},
			map[fedmatch.AgencyID]fedmatch.Status{testfed.GB: fedmatch.StatusError, testfed.DE: fedmatch.StatusError, "ca-cbsa": fedmatch.StatusError},
			map[fedmatch.AgencyID]string{testfed.GB: "unknown_agency", testfed.DE: "bad_signature", "ca-cbsa": "malformed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := broker.DefaultConfig()
			cfg.Timeout = 200 * time.Millisecond
			b := broker.New(cfg, fed.Trust, &fakeNodes{fed: fed, t: t, script: tc.script}, nil, nil)
			tok, c, err := signer.SignQuery(&wire.QueryRequest{Audience: fed.Trust.Roster().Audience(), Purpose: fedmatch.VisaApplication,
				Basis: "wide", Targets: []fedmatch.AgencyID{testfed.GB, testfed.DE, "ca-cbsa"}, Probe: fedmatch.Probe{Surname: "X"}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := b.Query(context.Background(), []byte(tok))
			if err != nil || res.QueryID != c.ID || len(res.Nodes) != 3 {
				t.Fatalf("Query = %+v, %v", res, err)
			}
			for _, nr := range res.Nodes {
				if nr.Status != tc.want[nr.Agency] {
					t.Errorf("%s: status %s (%s), want %s", nr.Agency, nr.Status, nr.Reason, tc.want[nr.Agency])
				}
				if want := tc.reason[nr.Agency]; want != "" && nr.Reason != want {
					t.Errorf("%s: reason %s, want %s", nr.Agency, nr.Reason, want)
				}
				answered := nr.Status == fedmatch.StatusHit || nr.Status == fedmatch.StatusNoHit
				if answered != (nr.Token != "") {
					t.Errorf("%s: token passed on for status %s: %v", nr.Agency, nr.Status, nr.Token != "")
				}
			}
		})
	}
}

func TestBroker_QueryChecksAgreementPerTarget(t *testing.T) {
	fed := testfed.MustFed(t, testfed.Roster())
	nodes := &fakeNodes{fed: fed, t: t, script: map[fedmatch.AgencyID]string{testfed.US: "no_hit"}}
	b := broker.New(broker.DefaultConfig(), fed.Trust, nodes, nil, nil)
	gb := fed.MustSigner(t, testfed.GB)
	// gb-us-2026 covers GB–US, not GB–DE, nor a stranger. No requester can
	// seal to a stranger; one that forges the token anyway is refused too.
	_, c, err := gb.SignQuery(&wire.QueryRequest{Audience: fed.Trust.Roster().Audience(), Purpose: fedmatch.AsylumDetermination,
		Basis: "gb-us-2026", Targets: []fedmatch.AgencyID{testfed.US, testfed.DE}, Probe: fedmatch.Probe{Surname: "X"}})
	if err != nil {
		t.Fatal(err)
	}
	c.Targets = append(c.Targets, "zz-stranger")
	c.Sealed.Keys["zz-stranger"] = c.Sealed.Keys[testfed.DE]
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(gb.Key)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Query(context.Background(), []byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	want := map[fedmatch.AgencyID]string{testfed.US: "no_hit", testfed.DE: "refused/not_in_agreement", "zz-stranger": "refused/unknown_agency"}
	for _, nr := range res.Nodes {
		got := string(nr.Status)
		if nr.Reason != "" && nr.Status == fedmatch.StatusRefused {
			got += "/" + nr.Reason
		}
		if got != want[nr.Agency] {
			t.Errorf("%s: %s, want %s", nr.Agency, got, want[nr.Agency])
		}
	}
	if nodes.calls.Load() != 1 {
		t.Fatalf("forwarded to %d nodes; only the agreed one may see the query", nodes.calls.Load())
	}
}

func TestBroker_HandleRefusesBadTokens(t *testing.T) {
	fed := testfed.MustFed(t, testfed.Roster())
	nodes := &fakeNodes{fed: fed, t: t}
	b := broker.New(broker.DefaultConfig(), fed.Trust, nodes, nil, nil)
	r, err := wire.DecodeBrokerReply(b.Handle(context.Background(), []byte("x.y.z")))
	if err != nil || r.Error == nil || r.Error.Code != "malformed" {
		t.Fatalf("reply = %+v, %v", r, err)
	}
	if nodes.calls.Load() != 0 {
		t.Fatal("a bad token was forwarded")
	}
}

func TestBroker_QueryRoutesStepTwoToDisclose(t *testing.T) {
	fed := testfed.MustFed(t, testfed.Roster())
	nodes := &fakeNodes{fed: fed, t: t, script: map[fedmatch.AgencyID]string{testfed.US: "hit"}}
	b := broker.New(broker.DefaultConfig(), fed.Trust, nodes, nil, nil)
	gb := fed.MustSigner(t, testfed.GB)
	tok, _, err := gb.SignQuery(&wire.QueryRequest{Audience: fed.Trust.Roster().Audience(), Purpose: fedmatch.VisaApplication,
		Basis: "gb-us-2026", Case: "C-1", Targets: []fedmatch.AgencyID{testfed.US}, Ref: "some-ref"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Query(context.Background(), []byte(tok)); err != nil {
		t.Fatal(err)
	}
	if _, ok := nodes.endpoints.Load("disclose"); !ok {
		t.Fatal("a step-two request was not sent to the disclose endpoint")
	}
	if _, ok := nodes.endpoints.Load("match"); ok {
		t.Fatal("a step-two request was sent to the match endpoint")
	}
}

// A requester over the broker's rate limit is refused as rate_limited
// before anything is forwarded; another requester is not held up.
func TestBroker_RateLimit(t *testing.T) {
	fed := testfed.MustFed(t, testfed.Roster())
	nodes := &fakeNodes{fed: fed, t: t, script: map[fedmatch.AgencyID]string{testfed.US: "no_hit", testfed.GB: "no_hit"}}
	cfg := broker.DefaultConfig()
	cfg.PerAgency = ratelimit.Limit{PerSecond: 0.001, Burst: 2}
	b := broker.New(cfg, fed.Trust, nodes, nil, nil)
	ask := func(from, to fedmatch.AgencyID) error {
		tok, _, err := fed.MustSigner(t, from).SignQuery(&wire.QueryRequest{Audience: fed.Trust.Roster().Audience(),
			Purpose: fedmatch.VisaApplication, Basis: "gb-us-2026", Targets: []fedmatch.AgencyID{to}, Probe: fedmatch.Probe{Surname: "X"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Query(context.Background(), []byte(tok))
		return err
	}
	for i := range 2 {
		if err := ask(testfed.GB, testfed.US); err != nil {
			t.Fatalf("query %d: %v", i+1, err)
		}
	}
	if err := ask(testfed.GB, testfed.US); !fedmatch.IsCode(err, fedmatch.RateLimited) {
		t.Fatalf("third query: %v, want rate_limited", err)
	}
	if nodes.calls.Load() != 2 {
		t.Fatalf("forwarded %d queries; a limited one must not reach a node", nodes.calls.Load())
	}
	if err := ask(testfed.US, testfed.GB); err != nil {
		t.Fatalf("another requester: %v", err)
	}
}
