package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/testfed"
	"github.com/fedmatch/fedmatch/wire"
)

// FuzzVerifyQuery feeds arbitrary bytes to the query verifier: it must
// never panic, and anything it accepts must be a valid, well-formed query.
func FuzzVerifyQuery(f *testing.F) {
	fed := testfed.MustFed(f, testfed.Roster())
	f.Add([]byte(MustSign(f, fed, nil)))
	f.Add([]byte("eyJhbGciOiJub25lIn0.e30."))
	f.Add([]byte("a.b.c"))
	us := fed.MustSigner(f, testfed.US)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := wire.NewVerifier(fed.Trust).VerifyQuery(b)
		if err != nil {
			if _, ok := err.(*fedmatch.Error); !ok {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if c.Requester() != testfed.GB || c.Sealed == nil {
			t.Fatalf("accepted a bad query: %+v", c)
		}
		if err := us.OpenQuery(c); err == nil && c.Probe.Validate() != nil {
			t.Fatalf("opened a bad probe: %+v", c.Probe)
		}
	})
}

// FuzzProbe decodes arbitrary JSON as a probe and validates it: it must
// never panic, and a probe that validates must survive a round trip.
func FuzzProbe(f *testing.F) {
	f.Add([]byte(`{"surname":"Okafor","given_names":"Chidi","date_of_birth":"1984-02"}`))
	f.Add([]byte(`{"documents":[{"number":"123456789","issuing_state":"GBR"}]}`))
	f.Add([]byte(`{"date_of_birth":"1984-13"}`))
	f.Add([]byte(`{"surname":"Herbert","given_names":"April","address":"123, slessor crescent, wisemans ferry, 2517, nsw"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p fedmatch.Probe
		if json.Unmarshal(b, &p) != nil || p.Validate() != nil {
			return
		}
		out, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		var q fedmatch.Probe
		if err := json.Unmarshal(out, &q); err != nil || q.Validate() != nil {
			t.Fatalf("round trip of %s failed: %v", out, err)
		}
	})
}

// FuzzDecodeNodeReply and FuzzDecodeBrokerReply: replies come from peers
// we do not trust; decoding must fail with a typed error, never panic.
func FuzzDecodeNodeReply(f *testing.F) {
	f.Add([]byte(`{"token":"a.b.c"}`))
	f.Add([]byte(`{"error":{"code":"refused","message":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := wire.DecodeNodeReply(b); err != nil {
			if _, ok := err.(*fedmatch.Error); !ok {
				t.Fatalf("untyped error %T", err)
			}
		}
	})
}

func FuzzDecodeBrokerReply(f *testing.F) {
	f.Add([]byte(`{"result":{"query_id":"x","nodes":[{"agency":"us-dhs","status":"hit","token":"a.b.c"}]}}`))
	f.Add([]byte(`{"error":{"code":"bad_signature","message":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := wire.DecodeBrokerReply(b); err != nil {
			if _, ok := err.(*fedmatch.Error); !ok {
				t.Fatalf("untyped error %T", err)
			}
		}
	})
}

// FuzzVerifyAnswer feeds arbitrary bytes to the answer verifier a
// requester (and the broker) runs on what comes back: it must never panic,
// and anything it accepts must be US's answer to GB's query.
func FuzzVerifyAnswer(f *testing.F) {
	fed := testfed.MustFed(f, testfed.Roster())
	tok := MustSign(f, fed, nil)
	q, err := wire.NewVerifier(fed.Trust).VerifyQuery([]byte(tok))
	if err != nil {
		f.Fatal(err)
	}
	us := fed.MustSigner(f, testfed.US)
	if err := us.OpenQuery(q); err != nil {
		f.Fatal(err)
	}
	ans, err := us.SignAnswer(q, &fedmatch.Answer{Agency: testfed.US, Status: fedmatch.StatusNoHit})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(ans))
	f.Add([]byte("eyJhbGciOiJub25lIn0.e30."))
	gb := fed.MustSigner(f, testfed.GB)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := gb.ReadAnswer(wire.NewVerifier(fed.Trust), b, testfed.US, q.ID)
		if err != nil {
			if _, ok := err.(*fedmatch.Error); !ok {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if a.Agency != testfed.US {
			t.Fatalf("accepted an answer naming %s", a.Agency)
		}
	})
}
