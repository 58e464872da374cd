package node

import (
	"context"
	"slices"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/wire"
)

// Sender delivers a query token to the broker and returns its raw reply.
// Errors: Unavailable.
type Sender interface {
	Send(ctx context.Context, token []byte) ([]byte, error)
}

// Requester asks the federation on behalf of one agency: it seals and
// signs the query, sends it, and verifies and opens every node's answer
// itself, so that the broker cannot read, forge, swap or alter an answer.
// With an audit log it records each query it sent and what came back, so
// that an auditor can reconcile requester, broker and nodes by query id.
type Requester struct {
	Signer   *wire.Signer
	Verifier *wire.Verifier
	Sender   Sender
	// Audit, if set, receives one entry per query: never the probe, only
	// the query's metadata, each node's status, the references and the
	// names of the fields disclosed.
	Audit fedmatch.AuditLog
}

// Ask signs q, sends it and returns the broker's result with each answer
// verified and attached. An answer that does not verify is reported as
// status error with the verification's code, never trusted.
// Errors: Malformed, TooLarge (the query), Unavailable, Internal (the
// audit log), and any code the broker returned for the query as a whole.
func (r *Requester) Ask(ctx context.Context, q *wire.QueryRequest) (*fedmatch.Result, error) {
	if q.Audience == "" {
		q.Audience = r.Verifier.Keys.Roster().Audience()
	}
	tok, claims, err := r.Signer.SignQuery(q)
	if err != nil {
		return nil, err
	}
	return r.Send(ctx, []byte(tok), claims)
}

// Send sends a ready token, whose claims are c, and verifies the answers.
func (r *Requester) Send(ctx context.Context, token []byte, c *wire.QueryClaims) (*fedmatch.Result, error) {
	res, err := r.send(ctx, token, c)
	if r.Audit == nil {
		return res, err
	}
	e := &fedmatch.AuditEntry{Time: time.Now().UTC(), Event: "request." + c.Step(), QueryID: c.ID, Requester: c.Requester(),
		Purpose: c.Purpose, Basis: c.Basis, Case: c.Case, Outcome: "answered"}
	if err != nil {
		e.Outcome = fedmatch.ErrorCode(err).String()
		for _, t := range c.Targets {
			e.Targets = append(e.Targets, string(t))
		}
	} else {
		var fields []string
		for _, nr := range res.Nodes {
			// A result keeps its token only when the answer verified.
			e.Targets = append(e.Targets, nr.AuditOutcome())
			if nr.Answer == nil {
				continue
			}
			for _, h := range nr.Answer.Hits {
				e.Refs = append(e.Refs, h.Ref)
				for f := range h.Fields {
					fields = append(fields, f)
				}
			}
		}
		slices.Sort(fields)
		e.Fields = slices.Compact(fields)
	}
	if aerr := r.Audit.Append(e); aerr != nil {
		return nil, fedmatch.Wrap("node.Send", fedmatch.Internal, aerr)
	}
	return res, err
}

// send sends the token and checks the broker's result: an answer is
// believed only as its node signed it, and the broker's own word only where
// the requester can check it or where it claims nothing about records.
func (r *Requester) send(ctx context.Context, token []byte, c *wire.QueryClaims) (*fedmatch.Result, error) {
	const op = "node.Send"
	raw, err := r.Sender.Send(ctx, token)
	if err != nil {
		return nil, fedmatch.Wrap(op, fedmatch.Unavailable, err)
	}
	reply, err := wire.DecodeBrokerReply(raw)
	if err != nil {
		return nil, fedmatch.Wrap(op, fedmatch.Malformed, err)
	}
	if reply.Error != nil {
		return nil, fedmatch.Wrap(op, fedmatch.Internal, wire.DecodeError(reply.Error))
	}
	if reply.Result.QueryID != c.ID {
		return nil, fedmatch.E(op, fedmatch.Malformed, "broker answered query %q, not %q", reply.Result.QueryID, c.ID)
	}
	// Exactly one result per target, in the query's order: a target the
	// broker left out is reported, one it added is dropped.
	got := map[fedmatch.AgencyID]fedmatch.NodeResult{}
	for _, nr := range reply.Result.Nodes {
		if _, dup := got[nr.Agency]; !dup {
			got[nr.Agency] = nr
		}
	}
	res := &fedmatch.Result{QueryID: c.ID, Nodes: make([]fedmatch.NodeResult, len(c.Targets))}
	roster := r.Verifier.Keys.Roster()
	for i, t := range c.Targets {
		nr, ok := got[t]
		if !ok {
			nr = fedmatch.NodeResult{Status: fedmatch.StatusError, Reason: fedmatch.Malformed.String()}
		}
		nr.Agency = t
		res.Nodes[i] = r.check(nr, c, roster)
	}
	return res, nil
}

// check verifies one node's result. With a token, the signed, sealed
// answer is the truth. Without one, the broker may say the node did not
// answer (unavailable, error), or that the agreement does not cover it
// (refused), which the requester checks against its own roster; any other
// status would be the broker speaking for a node, and is an error.
func (r *Requester) check(nr fedmatch.NodeResult, c *wire.QueryClaims, roster *fedmatch.Roster) fedmatch.NodeResult {
	if nr.Token == "" {
		switch nr.Status {
		case fedmatch.StatusUnavailable, fedmatch.StatusError:
			return nr
		case fedmatch.StatusRefused:
			if err := roster.CheckBasis(c.Basis, c.Requester(), nr.Agency, c.Purpose); err != nil {
				nr.Reason = fedmatch.ErrorCode(err).String()
				return nr
			}
		}
		return fedmatch.NodeResult{Agency: nr.Agency, Status: fedmatch.StatusError, Reason: fedmatch.BadSignature.String()}
	}
	a, err := r.Signer.ReadAnswer(r.Verifier, []byte(nr.Token), nr.Agency, c.ID)
	if err != nil {
		return fedmatch.NodeResult{Agency: nr.Agency, Status: fedmatch.StatusError, Reason: fedmatch.ErrorCode(err).String()}
	}
	nr.Answer, nr.Status, nr.Reason = a, a.Status, a.Reason
	return nr
}
