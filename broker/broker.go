// Package broker is the broker's core: it verifies the requester, checks
// the roster for an agreement between the requester and each target that
// covers the purpose, forwards the unchanged token to every target in
// parallel, and gathers per-node status within the deadline. It holds no
// records and cannot read a probe or an answer: both are sealed to their
// readers (see package wire), and it sees only routing metadata and each
// node's status. Many brokers can share a NATS queue group because it
// keeps no state but its replay cache.
package broker

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/ratelimit"
	"github.com/fedmatch/fedmatch/wire"
)

// Forwarder delivers a token to one endpoint ("match" or "disclose") of a
// target node and returns its raw reply. Errors: Unavailable (no node
// listening, or no reply by ctx's deadline).
type Forwarder interface {
	Forward(ctx context.Context, target fedmatch.AgencyID, endpoint string, token []byte) ([]byte, error)
}

// Config is the broker's configuration.
type Config struct {
	// Timeout bounds the wait for nodes; the token's own expiry bounds it
	// further. Nodes that have not answered by then are unavailable.
	Timeout time.Duration
	// PerAgency caps how fast each requester may send queries through
	// this broker; over it, a query is refused as rate_limited before it
	// is forwarded.
	PerAgency ratelimit.Limit
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultConfig returns the broker's defaults: a requester may send 400
// queries a second, in bursts of 800.
func DefaultConfig() Config {
	return Config{Timeout: 3 * time.Second, PerAgency: ratelimit.Limit{PerSecond: 400, Burst: 800}}
}

// Broker routes queries.
type Broker struct {
	cfg      Config
	keys     wire.KeySource
	verifier *wire.Verifier
	fwd      Forwarder
	audit    fedmatch.AuditLog
	log      *slog.Logger
	limits   *ratelimit.Keyed
}

// New returns a broker. audit may be nil (no broker log is kept); log may
// be nil.
func New(cfg Config, keys wire.KeySource, fwd Forwarder, audit fedmatch.AuditLog, log *slog.Logger) *Broker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultConfig().Timeout
	}
	if cfg.PerAgency == (ratelimit.Limit{}) {
		cfg.PerAgency = DefaultConfig().PerAgency
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := wire.NewVerifier(keys)
	v.Now = cfg.Now
	return &Broker{cfg: cfg, keys: keys, verifier: v, fwd: fwd, audit: audit, log: log, limits: ratelimit.New(cfg.PerAgency)}
}

// Handle answers a raw query with a raw BrokerReply; it is what the
// transport calls and never fails.
func (b *Broker) Handle(ctx context.Context, raw []byte) []byte {
	res, err := b.Query(ctx, raw)
	out, _ := json.Marshal(&wire.BrokerReply{Result: res, Error: wire.EncodeError(err)})
	return out
}

// Query routes one query. Errors: the codes of wire.Verifier.VerifyQuery
// for the query as a whole; per-target refusals are statuses in the result.
func (b *Broker) Query(ctx context.Context, raw []byte) (*fedmatch.Result, error) {
	const op = "broker.Query"
	q, err := b.verifier.VerifyQuery(raw)
	if err != nil {
		// The message can quote the probe: log the code only, never what was asked.
		b.log.Warn("query refused", "code", fedmatch.ErrorCode(err))
		if b.audit != nil {
			// No verified query id or requester to record: only that it came.
			if aerr := b.audit.Append(&fedmatch.AuditEntry{Time: b.cfg.Now().UTC(), Event: "broker.rejected",
				Outcome: fedmatch.ErrorCode(err).String()}); aerr != nil {
				b.log.Error("audit append failed", "err", aerr)
			}
		}
		return nil, fedmatch.Wrap(op, fedmatch.Malformed, err)
	}
	if !b.limits.Allow(string(q.Requester())) {
		b.log.Warn("query refused", "code", fedmatch.RateLimited, "requester", q.Issuer)
		return nil, fedmatch.E(op, fedmatch.RateLimited, "%s sends queries faster than %g a second", q.Issuer, b.cfg.PerAgency.PerSecond)
	}
	deadline := b.cfg.Now().Add(b.cfg.Timeout)
	if exp := q.ExpiresAt.Time; exp.Before(deadline) {
		deadline = exp
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	res := &fedmatch.Result{QueryID: q.ID, Nodes: make([]fedmatch.NodeResult, len(q.Targets))}
	roster := b.keys.Roster()
	var wg sync.WaitGroup
	for i, target := range q.Targets {
		nr := &res.Nodes[i]
		nr.Agency = target
		if err := roster.CheckBasis(q.Basis, q.Requester(), target, q.Purpose); err != nil {
			nr.Status, nr.Reason = fedmatch.StatusRefused, fedmatch.ErrorCode(err).String()
			continue
		}
		wg.Go(func() { b.forward(ctx, q, target, raw, nr) })
	}
	wg.Wait()

	if b.audit != nil {
		e := &fedmatch.AuditEntry{Time: b.cfg.Now().UTC(), Event: "broker." + q.Step(), QueryID: q.ID, Requester: q.Requester(),
			Purpose: q.Purpose, Basis: q.Basis, Outcome: "routed"}
		for _, nr := range res.Nodes {
			e.Targets = append(e.Targets, nr.AuditOutcome())
		}
		if err := b.audit.Append(e); err != nil {
			return nil, fedmatch.Wrap(op, fedmatch.Internal, err)
		}
	}
	return res, nil
}

// forward sends the unchanged token to one target and fills in its status.
func (b *Broker) forward(ctx context.Context, q *wire.QueryClaims, target fedmatch.AgencyID, raw []byte, nr *fedmatch.NodeResult) {
	reply, err := b.fwd.Forward(ctx, target, q.Step(), raw)
	if err != nil {
		nr.Status, nr.Reason = fedmatch.StatusUnavailable, fedmatch.ErrorCode(err).String()
		b.log.Info("node unavailable", "query", q.ID, "node", target, "err", err)
		return
	}
	r, err := wire.DecodeNodeReply(reply)
	if err != nil {
		nr.Status, nr.Reason = fedmatch.StatusError, fedmatch.ErrorCode(err).String()
		return
	}
	if r.Error != nil {
		nr.Status, nr.Reason = fedmatch.StatusError, r.Error.Code
		return
	}
	// The broker checks the answer is genuine before reporting its status;
	// the requester checks again for itself.
	c, err := b.verifier.VerifyAnswer([]byte(r.Token), target, q.Requester(), q.ID)
	if err != nil {
		nr.Status, nr.Reason = fedmatch.StatusError, fedmatch.ErrorCode(err).String()
		return
	}
	nr.Status, nr.Token = c.Status, r.Token // the reason is sealed with the rest
}
