package node

import (
	"context"

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
type Requester struct {
	Signer   *wire.Signer
	Verifier *wire.Verifier
	Sender   Sender
}

// Ask signs q, sends it and returns the broker's result with each answer
// verified and attached. An answer that does not verify is reported as
// status error with the verification's code, never trusted.
// Errors: Malformed, TooLarge (the query), Unavailable, and any code the
// broker returned for the query as a whole.
func (r *Requester) Ask(ctx context.Context, q *wire.QueryRequest) (*fedmatch.Result, error) {
	if q.Audience == "" {
		q.Audience = r.Verifier.Keys.Roster().Audience()
	}
	tok, claims, err := r.Signer.SignQuery(q)
	if err != nil {
		return nil, err
	}
	return r.Send(ctx, []byte(tok), claims.ID)
}

// Send sends a ready token (whose jti is queryID) and verifies the answers.
func (r *Requester) Send(ctx context.Context, token []byte, queryID string) (*fedmatch.Result, error) {
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
	res := reply.Result
	if res.QueryID != queryID {
		return nil, fedmatch.E(op, fedmatch.Malformed, "broker answered query %q, not %q", res.QueryID, queryID)
	}
	for i := range res.Nodes {
		nr := &res.Nodes[i]
		if nr.Token == "" {
			continue
		}
		a, err := r.Signer.ReadAnswer(r.Verifier, []byte(nr.Token), nr.Agency, queryID)
		if err != nil {
			nr.Status, nr.Reason, nr.Answer = fedmatch.StatusError, fedmatch.ErrorCode(err).String(), nil
			continue
		}
		// The signed, sealed answer, not the broker's summary, is the truth.
		nr.Answer, nr.Status, nr.Reason = a, a.Status, a.Reason
	}
	return res, nil
}
