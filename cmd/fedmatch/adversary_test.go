package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/bus"
	"github.com/fedmatch/fedmatch/certs"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/node"
	"github.com/fedmatch/fedmatch/wire"
)

// The adversarial suite: real nodes, requesters, NATS (TLS, accounts),
// OPA and signatures, against a broker, an agency or a node that cheats.
// Each attack must be refused, or must leave the attacker nothing.

// evilBroker holds the brokers' credentials, so it receives every query
// and can reach every node, but does whatever handle says.
type evilBroker struct {
	t      *testing.T
	fwd    *bus.Forwarder
	trust  *certs.Trust
	handle atomic.Pointer[func(ctx context.Context, raw []byte) []byte]
}

func startEvilBroker(f *testFed) *evilBroker {
	f.t.Helper()
	nc, err := connectBroker(f.url, f.fedDir, f.e.log)
	require_True(f.t, err == nil, "connect: %v", err)
	f.t.Cleanup(nc.Close)
	trust, err := certs.Load(f.fedDir, time.Now())
	require_True(f.t, err == nil, "load: %v", err)
	e := &evilBroker{t: f.t, fwd: &bus.Forwarder{NC: nc}, trust: trust}
	_, err = bus.Serve(f.ctx, nc, bus.ServiceConfig{Name: "evil-broker", Endpoints: []bus.Endpoint{{Name: "query",
		Subject: bus.QuerySubject, Queue: bus.BrokerQueue,
		Handler: func(ctx context.Context, raw []byte) []byte { return (*e.handle.Load())(ctx, raw) }}}})
	require_True(f.t, err == nil, "serve: %v", err)
	return e
}

// on sets what the broker does with the next queries.
func (e *evilBroker) on(h func(ctx context.Context, raw []byte) []byte) { e.handle.Store(&h) }

// claims reads a query's routing claims, as any broker can.
func (e *evilBroker) claims(raw []byte) *wire.QueryClaims {
	c, err := wire.NewVerifier(e.trust).VerifyQuery(raw)
	require_True(e.t, err == nil, "the requester's own query does not verify: %v", err)
	return c
}

// forward sends a token to a node as an honest broker would.
func (e *evilBroker) forward(ctx context.Context, to fedmatch.AgencyID, endpoint string, token []byte) *wire.NodeReply {
	b, err := e.fwd.Forward(ctx, to, endpoint, token)
	require_True(e.t, err == nil, "forward to %s: %v", to, err)
	r, err := wire.DecodeNodeReply(b)
	require_True(e.t, err == nil, "node reply: %v", err)
	return r
}

// honest makes the broker forward each query to its targets and pass the
// answers on, as the real one does.
func (e *evilBroker) honest() {
	e.on(func(ctx context.Context, raw []byte) []byte {
		c := e.claims(raw)
		var nodes []fedmatch.NodeResult
		for _, t := range c.Targets {
			nodes = append(nodes, answered(t, e.forward(ctx, t, c.Step(), raw)))
		}
		return reply(c.ID, nodes...)
	})
}

// reply is a broker reply of query id with nodes.
func reply(id string, nodes ...fedmatch.NodeResult) []byte {
	b, _ := json.Marshal(&wire.BrokerReply{Result: &fedmatch.Result{QueryID: id, Nodes: nodes}})
	return b
}

func answered(to fedmatch.AgencyID, r *wire.NodeReply) fedmatch.NodeResult {
	return fedmatch.NodeResult{Agency: to, Status: fedmatch.StatusHit, Token: r.Token}
}

var okafor = fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi", DateOfBirth: "1984-02-29"}

func visaQuery(targets ...fedmatch.AgencyID) *wire.QueryRequest {
	return &wire.QueryRequest{Purpose: fedmatch.VisaApplication, Basis: "prum-border", Targets: targets, Probe: okafor, Case: "ADV-1"}
}

// requireRefusedNode fails unless the requester's result for node is an
// error with no answer (and, if code is set, that code).
func requireRefusedNode(t *testing.T, res *fedmatch.Result, node fedmatch.AgencyID, code fedmatch.Code) {
	t.Helper()
	for _, nr := range res.Nodes {
		if nr.Agency != node {
			continue
		}
		require_True(t, nr.Status == fedmatch.StatusError && nr.Answer == nil, "%s: %s %s, want an error", node, nr.Status, nr.Reason)
		require_True(t, code == 0 || nr.Reason == code.String(), "%s: reason %s, want %s", node, nr.Reason, code)
		return
	}
	t.Fatalf("no result for %s in %+v", node, res.Nodes)
}

func TestAdversary_MaliciousBroker(t *testing.T) {
	f := mustTestFed(t)
	for _, a := range []fedmatch.AgencyID{gb, us, de} {
		defer f.node(a, nil, nil).Close()
	}
	evil := startEvilBroker(f)
	gbr, usr := f.requester(gb), f.requester(us)

	t.Run("replays a query to a node", func(t *testing.T) {
		var second *wire.NodeReply
		evil.on(func(ctx context.Context, raw []byte) []byte {
			c := evil.claims(raw)
			first := evil.forward(ctx, us, "match", raw)
			second = evil.forward(ctx, us, "match", raw)
			return reply(c.ID, answered(us, first))
		})
		res, err := gbr.Ask(f.ctx, visaQuery(us))
		require_True(t, err == nil && res.Nodes[0].Status == fedmatch.StatusHit, "the honest first delivery: %v %+v", err, res)
		require_True(t, second.Error != nil && second.Error.Code == "replayed", "the node answered a replay: %+v", second)
	})

	t.Run("answers a query with an old answer", func(t *testing.T) {
		var old string
		evil.on(func(ctx context.Context, raw []byte) []byte {
			c := evil.claims(raw)
			r := evil.forward(ctx, us, "match", raw)
			if old == "" {
				old = r.Token
				return reply(c.ID, answered(us, r))
			}
			return reply(c.ID, fedmatch.NodeResult{Agency: us, Status: fedmatch.StatusHit, Token: old})
		})
		_, err := gbr.Ask(f.ctx, visaQuery(us))
		require_True(t, err == nil, "%v", err)
		res, err := gbr.Ask(f.ctx, visaQuery(us))
		require_True(t, err == nil, "%v", err)
		requireRefusedNode(t, res, us, 0)
	})

	t.Run("reorders the answers of two queries in flight", func(t *testing.T) {
		var mu sync.Mutex
		tokens := map[string]string{}
		var both sync.WaitGroup
		both.Add(2)
		evil.on(func(ctx context.Context, raw []byte) []byte {
			c := evil.claims(raw)
			r := evil.forward(ctx, us, "match", raw)
			mu.Lock()
			tokens[c.ID] = r.Token
			mu.Unlock()
			both.Done()
			both.Wait()
			mu.Lock()
			defer mu.Unlock()
			for id, tok := range tokens {
				if id != c.ID {
					return reply(c.ID, fedmatch.NodeResult{Agency: us, Status: fedmatch.StatusHit, Token: tok})
				}
			}
			return nil
		})
		var wg sync.WaitGroup
		results := make([]*fedmatch.Result, 2)
		for i := range results {
			wg.Go(func() {
				res, err := gbr.Ask(f.ctx, visaQuery(us))
				require_True(t, err == nil, "%v", err)
				results[i] = res
			})
		}
		wg.Wait()
		for _, res := range results {
			requireRefusedNode(t, res, us, fedmatch.Malformed)
		}
	})

	t.Run("swaps answers between requesters", func(t *testing.T) {
		var gbAnswer string
		evil.on(func(ctx context.Context, raw []byte) []byte {
			c := evil.claims(raw)
			r := evil.forward(ctx, de, "match", raw)
			if c.Requester() == gb {
				gbAnswer = r.Token
				return reply(c.ID, answered(de, r))
			}
			return reply(c.ID, fedmatch.NodeResult{Agency: de, Status: fedmatch.StatusHit, Token: gbAnswer})
		})
		_, err := gbr.Ask(f.ctx, visaQuery(de))
		require_True(t, err == nil, "%v", err)
		res, err := usr.Ask(f.ctx, &wire.QueryRequest{Purpose: fedmatch.BorderAdmission, Basis: "prum-border", Targets: []fedmatch.AgencyID{de}, Probe: okafor})
		require_True(t, err == nil, "%v", err)
		requireRefusedNode(t, res, de, fedmatch.WrongAudience)
	})

	for _, tc := range []struct {
		name   string
		result func(c *wire.QueryClaims, r *wire.NodeReply) []fedmatch.NodeResult
		code   fedmatch.Code
	}{
		{"drops a hit and reports no_hit", func(c *wire.QueryClaims, _ *wire.NodeReply) []fedmatch.NodeResult {
			return []fedmatch.NodeResult{{Agency: us, Status: fedmatch.StatusNoHit}}
		}, fedmatch.BadSignature},
		{"claims a refusal the agreement does not justify", func(c *wire.QueryClaims, _ *wire.NodeReply) []fedmatch.NodeResult {
			return []fedmatch.NodeResult{{Agency: us, Status: fedmatch.StatusRefused, Reason: "not_in_agreement"}}
		}, fedmatch.BadSignature},
		{"leaves the target out", func(c *wire.QueryClaims, _ *wire.NodeReply) []fedmatch.NodeResult {
			return nil
		}, fedmatch.Malformed},
		{"passes another node's answer as this one's", func(c *wire.QueryClaims, r *wire.NodeReply) []fedmatch.NodeResult {
			return []fedmatch.NodeResult{{Agency: us, Status: fedmatch.StatusHit, Token: r.Token}} // DE's token
		}, fedmatch.BadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evil.on(func(ctx context.Context, raw []byte) []byte {
				c := evil.claims(raw)
				r := evil.forward(ctx, de, "match", raw)
				return reply(c.ID, tc.result(c, r)...)
			})
			res, err := gbr.Ask(f.ctx, visaQuery(us, de))
			require_True(t, err == nil, "%v", err)
			requireRefusedNode(t, res, us, tc.code)
		})
	}

	// What the node itself says to a token the broker misdirects or edits.
	for _, tc := range []struct {
		name     string
		to       fedmatch.AgencyID
		endpoint string
		edit     func(raw []byte) []byte
		code     string
	}{
		{"rewrites the targets", de, "match", func(raw []byte) []byte {
			parts := strings.Split(string(raw), ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			payload = []byte(strings.Replace(string(payload), `"targets":["us-dhs"]`, `"targets":["us-dhs","de-bka"]`, 1))
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			return []byte(strings.Join(parts, "."))
		}, "bad_signature"},
		{"sends a query to a node it does not target", de, "match", nil, "wrong_audience"},
		{"sends a match query to the disclose endpoint", us, "disclose", nil, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *wire.NodeReply
			evil.on(func(ctx context.Context, raw []byte) []byte {
				c := evil.claims(raw)
				if tc.edit != nil {
					raw = tc.edit(raw)
				}
				got = evil.forward(ctx, tc.to, tc.endpoint, raw)
				return reply(c.ID)
			})
			_, err := gbr.Ask(f.ctx, visaQuery(us))
			require_True(t, err == nil, "%v", err)
			require_True(t, got.Error != nil && got.Error.Code == tc.code, "%s answered: %+v, want %s", tc.to, got, tc.code)
		})
	}
}

func TestAdversary_MaliciousAgency(t *testing.T) {
	f := mustTestFed(t)
	for _, a := range []fedmatch.AgencyID{us, de} {
		defer f.node(a, nil, func(o *nodeOptions) {
			o.Limits = node.Limits{PerAgency: ratelimit.Limit{PerSecond: 0.01, Burst: 20}, PerPurpose: ratelimit.Limit{PerSecond: 0.01, Burst: 20}}
		}).Close()
	}
	f.brokerWith(func(o *brokerOptions) { o.PerAgency = ratelimit.Limit{PerSecond: 0.01, Burst: 30} })
	gbs := f.requester(gb).Signer
	gbKey := gbs.Key
	trust, err := certs.Load(f.fedDir, time.Now())
	require_True(t, err == nil, "%v", err)

	// forge signs claims with key, sealing content, bypassing every check
	// SignQuery would make.
	forge := func(iss fedmatch.AgencyID, key any, content wire.QueryContent, targets ...fedmatch.AgencyID) []byte {
		now := time.Now()
		c := &wire.QueryClaims{RegisteredClaims: jwt.RegisteredClaims{Issuer: string(iss), Audience: jwt.ClaimStrings{trust.Roster().Audience()},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), ID: wire.NewID()},
			Purpose: fedmatch.VisaApplication, Basis: "prum-border", Targets: targets, Endpoint: wire.StepMatch, QueryContent: content}
		require_True(t, c.Seal(trust) == nil, "seal")
		tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(key)
		require_True(t, err == nil, "sign: %v", err)
		return []byte(tok)
	}
	send := func(tok []byte) (*fedmatch.Result, error) {
		raw, err := (&bus.Sender{NC: f.conn(gb)}).Send(f.ctx, tok)
		require_True(t, err == nil, "send: %v", err)
		r, err := wire.DecodeBrokerReply(raw)
		require_True(t, err == nil, "broker reply: %v", err)
		if r.Error != nil {
			return nil, wire.DecodeError(r.Error)
		}
		return r.Result, nil
	}

	t.Run("forges another agency's issuer", func(t *testing.T) {
		_, err := send(forge(us, gbKey, wire.QueryContent{Probe: okafor}, de))
		require_True(t, fedmatch.IsCode(err, fedmatch.BadSignature), "broker: %v, want bad_signature", err)
	})
	t.Run("sends an oversized token", func(t *testing.T) {
		_, err := send([]byte(strings.Repeat("A", wire.MaxQueryBytes+1)))
		require_True(t, fedmatch.IsCode(err, fedmatch.TooLarge), "broker: %v, want too_large", err)
	})
	for _, tc := range []struct {
		name    string
		content wire.QueryContent
	}{
		{"seals an impossible date of birth", wire.QueryContent{Probe: fedmatch.Probe{Surname: "X", DateOfBirth: "1984-13-45"}}},
		{"seals a surname of 100 KB", wire.QueryContent{Probe: fedmatch.Probe{Surname: strings.Repeat("x", 100<<10)}}},
		{"seals an empty probe", wire.QueryContent{}},
		{"seals a step-two reference into a match query", wire.QueryContent{Probe: okafor, Ref: "abc", Case: "C"}},
		{"seals a fingerprint template that is not one", wire.QueryContent{Probe: fedmatch.Probe{Fingerprints: []fedmatch.Fingerprint{{Position: 2, Template: []byte("FMR\x00 not a template")}}}}},
		{"seals a face of a model no node holds", wire.QueryContent{Probe: fedmatch.Probe{Face: &fedmatch.FaceTemplate{Model: "evil", Version: "1", Vector: []float32{1, 2, 3}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := send(forge(gb, gbKey, tc.content, us))
			if err != nil { // too big for the broker to pass on at all
				require_True(t, fedmatch.IsCode(err, fedmatch.TooLarge), "broker: %v", err)
				return
			}
			nr := res.Nodes[0]
			t.Logf("US: %s %s", nr.Status, nr.Reason)
			require_True(t, nr.Status == fedmatch.StatusError || (nr.Status == fedmatch.StatusRefused && nr.Token != ""),
				"US: %s %s, want a refusal", nr.Status, nr.Reason)
			require_True(t, nr.Reason == "malformed" || nr.Reason == "unsupported" || nr.Reason == "too_large", "US refused it as %q", nr.Reason)
		})
	}
	t.Run("floods the broker, and others are still served", func(t *testing.T) {
		limited, byNode := 0, 0
		for range 40 {
			res, err := f.requester(gb).Ask(f.ctx, visaQuery(us))
			if fedmatch.IsCode(err, fedmatch.RateLimited) {
				limited++
			} else if err == nil && res.Nodes[0].Status == fedmatch.StatusRefused && res.Nodes[0].Reason == "rate_limited" {
				byNode++ // a signed refusal: the node's own limit
			}
		}
		t.Logf("of 40 queries, %d refused as rate_limited by the broker, %d by the node", limited, byNode)
		require_True(t, limited > 0 && byNode > 0, "40 queries passed a broker limit of 30 and a node limit of 20 a burst")
		res, err := f.requester(us).Ask(f.ctx, &wire.QueryRequest{Purpose: fedmatch.BorderAdmission, Basis: "prum-border",
			Targets: []fedmatch.AgencyID{de}, Probe: okafor})
		require_True(t, err == nil && res.Nodes[0].Status == fedmatch.StatusHit, "another agency during the flood: %v %+v", err, res)
	})
}

func TestAdversary_CuriousNode(t *testing.T) {
	f := mustTestFed(t)
	for _, a := range []fedmatch.AgencyID{us, de} {
		defer f.node(a, nil, nil).Close()
	}
	evil := startEvilBroker(f) // colluding with DE: it hands DE what it sees
	var usAnswer string
	var content *wire.QueryClaims
	evil.on(func(ctx context.Context, raw []byte) []byte {
		c := evil.claims(raw)
		content = c
		r := evil.forward(ctx, us, "match", raw)
		usAnswer = r.Token
		return reply(c.ID, answered(us, r), answered(de, evil.forward(ctx, de, "match", raw)))
	})
	res, err := f.requester(gb).Ask(f.ctx, visaQuery(us, de))
	require_True(t, err == nil && res.Nodes[0].Answer != nil && len(res.Nodes[0].Answer.Hits) > 0, "GB's query: %v %+v", err, res)
	deSigner := f.requester(de).Signer

	t.Run("cannot open another node's answer", func(t *testing.T) {
		_, err := deSigner.ReadAnswer(wire.NewVerifier(evil.trust), []byte(usAnswer), us, content.ID)
		require_True(t, err != nil, "DE read US's answer to GB")
		c, err := wire.NewVerifier(evil.trust).VerifyAnswer([]byte(usAnswer), us, gb, content.ID)
		require_True(t, err == nil, "%v", err)
		_, err = deSigner.OpenAnswer(c)
		require_True(t, fedmatch.IsCode(err, fedmatch.Malformed), "DE opened US's answer sealed to GB: %v", err)
	})
	t.Run("cannot open the content key sealed for another node", func(t *testing.T) {
		c := *content
		sealed := *c.Sealed
		sealed.Keys = map[fedmatch.AgencyID]string{de: content.Sealed.Keys[us]} // US's wrapped key, offered as DE's
		c.Sealed = &sealed
		require_True(t, fedmatch.IsCode(deSigner.OpenQuery(&c), fedmatch.Malformed), "DE opened the key sealed for US")
	})
	t.Run("cannot use another requester's reference", func(t *testing.T) {
		evil.honest()
		ref := res.Nodes[0].Answer.Hits[0].Ref // US's reference, issued to GB
		res, err := f.requester(de).Ask(f.ctx, &wire.QueryRequest{Purpose: fedmatch.VisaApplication, Basis: "prum-border", Case: "ADV-2",
			Targets: []fedmatch.AgencyID{us}, Ref: ref})
		require_True(t, err == nil, "%v", err)
		nr := res.Nodes[0]
		require_True(t, nr.Status == fedmatch.StatusNoHit && len(nr.Answer.Hits) == 0, "US disclosed GB's hit to DE: %s %+v", nr.Status, nr.Answer)
	})
}
