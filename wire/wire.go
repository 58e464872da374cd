// Package wire is what crosses the network: signed query and answer tokens
// (JWS, EdDSA only) with their content sealed (HPKE), their verification in
// a fixed order, the replay cache, size limits, and the one table that
// maps error codes to the wire.
package wire

import (
	"encoding/json"
	"errors"

	"github.com/fedmatch/fedmatch"
)

// Size limits. Tokens over them are refused before any parsing. A query
// carries a sealed content key of about 1.2 KB per target (ML-KEM-768 +
// X25519), so the most targets take 100 KB of it.
const (
	MaxTargets     = 64
	MaxQueryBytes  = 256 << 10
	MaxAnswerBytes = 1 << 20
	MaxResultBytes = 8 << 20
)

// ErrorBody is an error as it crosses the wire: the stable code name, the
// operation and a message. It never carries a probe or record content.
type ErrorBody struct {
	Code    string `json:"code"`
	Op      string `json:"op,omitempty"`
	Message string `json:"message"`
}

// EncodeError is the one place an error becomes wire form.
func EncodeError(err error) *ErrorBody {
	if err == nil {
		return nil
	}
	b := &ErrorBody{Code: fedmatch.ErrorCode(err).String(), Message: err.Error()}
	var fe *fedmatch.Error
	if errors.As(err, &fe) {
		b.Op = fe.Op
	}
	return b
}

// DecodeError is the one place wire form becomes an error again, keeping
// its code so callers can test it with fedmatch.IsCode.
func DecodeError(b *ErrorBody) error {
	if b == nil {
		return nil
	}
	code, _ := fedmatch.ParseCode(b.Code)
	return &fedmatch.Error{Code: code, Op: b.Op, Err: errors.New(b.Message)}
}

// NodeReply is a node's reply on NATS: a signed answer token, or an error
// when the query could not be verified or answered.
type NodeReply struct {
	Token string     `json:"token,omitempty"`
	Error *ErrorBody `json:"error,omitempty"`
}

// BrokerReply is the broker's reply to a requester.
type BrokerReply struct {
	Result *fedmatch.Result `json:"result,omitempty"`
	Error  *ErrorBody       `json:"error,omitempty"`
}

// DecodeNodeReply parses a node's reply. Errors: TooLarge, Malformed.
func DecodeNodeReply(b []byte) (*NodeReply, error) {
	const op = "wire.DecodeNodeReply"
	var r NodeReply
	if err := decodeLimited(op, b, MaxAnswerBytes+1024, &r); err != nil {
		return nil, err
	}
	if (r.Token == "") == (r.Error == nil) {
		return nil, fedmatch.E(op, fedmatch.Malformed, "reply needs exactly one of token and error")
	}
	return &r, nil
}

// DecodeBrokerReply parses the broker's reply. Errors: TooLarge, Malformed.
func DecodeBrokerReply(b []byte) (*BrokerReply, error) {
	const op = "wire.DecodeBrokerReply"
	var r BrokerReply
	if err := decodeLimited(op, b, MaxResultBytes, &r); err != nil {
		return nil, err
	}
	if (r.Result == nil) == (r.Error == nil) {
		return nil, fedmatch.E(op, fedmatch.Malformed, "reply needs exactly one of result and error")
	}
	return &r, nil
}

func decodeLimited(op string, b []byte, limit int, v any) error {
	if len(b) > limit {
		return fedmatch.E(op, fedmatch.TooLarge, "%d bytes; at most %d", len(b), limit)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fedmatch.E(op, fedmatch.Malformed, "%w", err)
	}
	return nil
}
