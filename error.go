// Package fedmatch is the vocabulary of a federated match broker between
// agencies: agencies, purposes, probes, records, hits, answers, the small
// interfaces the node and broker cores are written against, and the one error
// type every layer returns.
//
// It performs no I/O and imports only the standard library, so every other
// package can depend on it and it depends on none of them.
package fedmatch

import (
	"errors"
	"fmt"
)

// Code is a stable error kind. Codes are appended, never reordered: their
// numbers and names cross the wire (see wire.CodeName) and are written to
// audit logs.
type Code uint8

// The error kinds. Append new codes at the end.
const (
	// Internal is a fault on our side: a bug or an I/O failure.
	Internal Code = iota
	// Malformed is input that does not parse or breaks the format's rules.
	Malformed
	// TooLarge is input over a size limit; it is refused before it is parsed.
	TooLarge
	// BadSignature is a token whose signature or algorithm does not verify.
	BadSignature
	// Expired is a token outside its validity window.
	Expired
	// Replayed is a token whose jti was already seen within its lifetime.
	Replayed
	// UnknownAgency is an issuer or target that is not a member of the
	// federation, or whose membership is revoked.
	UnknownAgency
	// WrongAudience is a token addressed to another federation or agency.
	WrongAudience
	// NotInAgreement is a request that no agreement between the parties covers.
	NotInAgreement
	// Refused is a request the node's policy declined.
	Refused
	// Unavailable is a peer that did not answer in time, or a service that is
	// not running.
	Unavailable
	// NotFound is a thing that does not exist.
	NotFound
	// Exists is a thing that already exists.
	Exists
	// Invalid is bad configuration or a bad command-line argument.
	Invalid
	// Unsupported is a request in a form the node does not hold: a face
	// template made by a model it has no gallery or calibration for.
	Unsupported
	// RateLimited is a requester asking faster than the node or broker
	// allows it, for one purpose or in all.
	RateLimited
)

var codeNames = [...]string{
	Internal:       "internal",
	Malformed:      "malformed",
	TooLarge:       "too_large",
	BadSignature:   "bad_signature",
	Expired:        "expired",
	Replayed:       "replayed",
	UnknownAgency:  "unknown_agency",
	WrongAudience:  "wrong_audience",
	NotInAgreement: "not_in_agreement",
	Refused:        "refused",
	Unavailable:    "unavailable",
	NotFound:       "not_found",
	Exists:         "exists",
	Invalid:        "invalid",
	Unsupported:    "unsupported",
	RateLimited:    "rate_limited",
}

// String returns the code's stable snake_case name, as used on the wire.
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// ParseCode maps a wire name back to its code. Unknown names map to Internal
// and false, so a newer peer's code is never mistaken for a specific one.
func ParseCode(name string) (Code, bool) {
	for c, n := range codeNames {
		if n == name {
			return Code(c), true
		}
	}
	return Internal, false
}

// Codes returns every defined code, in order.
func Codes() []Code {
	cs := make([]Code, len(codeNames))
	for i := range cs {
		cs[i] = Code(i)
	}
	return cs
}

// Error is the one error type of fedmatch. Op names the operation that failed
// ("wire.VerifyQuery", "store.Import"), Code its stable kind, Err the cause.
type Error struct {
	Code Code
	Op   string
	Err  error
}

// Error renders "op: code: cause".
func (e *Error) Error() string {
	msg := e.Code.String()
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error. The format and args, if any, make the cause; a cause
// that is itself an error may be given with %w.
func E(op string, code Code, format string, args ...any) error {
	var err error
	if format != "" {
		err = fmt.Errorf(format, args...)
	}
	return &Error{Code: code, Op: op, Err: err}
}

// Wrap wraps err with op, keeping err's code when it already carries one and
// using code otherwise. Wrap(op, code, nil) is nil.
func Wrap(op string, code Code, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		code = fe.Code
	}
	return &Error{Code: code, Op: op, Err: err}
}

// ErrorCode returns the code of the outermost *Error in err's chain, or
// Internal when there is none.
func ErrorCode(err error) Code {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return Internal
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool {
	return err != nil && ErrorCode(err) == code
}
