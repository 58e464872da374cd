package wire

import (
	"encoding/json"
	"testing"

	"github.com/fedmatch/fedmatch"
)

// FuzzQueryContent decodes arbitrary bytes as a query's opened content
// and validates it for both steps. The content arrives encrypted, so the
// verifier fuzz cannot reach this decoder; a requester that seals garbage
// to a node can. It must never panic, and what it accepts must survive a
// round trip.
func FuzzQueryContent(f *testing.F) {
	f.Add([]byte(`{"probe":{"surname":"Okafor","given_names":"Chidi","date_of_birth":"1984-02-29"}}`))
	f.Add([]byte(`{"case":"C-1","probe":{},"ref":"abc"}`))
	f.Add([]byte(`{"probe":{"surname":"X"}} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, step := range []string{StepMatch, StepDisclose} {
			c := &QueryClaims{Endpoint: step}
			if strictJSON(b, &c.QueryContent) != nil || c.validateContent() != nil {
				continue
			}
			out, err := json.Marshal(&c.QueryContent)
			if err != nil {
				t.Fatal(err)
			}
			d := &QueryClaims{Endpoint: step}
			if err := strictJSON(out, &d.QueryContent); err != nil || d.validateContent() != nil {
				t.Fatalf("round trip of %s failed: %v", out, err)
			}
		}
	})
}

// FuzzAnswerContent decodes arbitrary bytes as an opened answer, as a
// requester does with what a node sealed to it.
func FuzzAnswerContent(f *testing.F) {
	f.Add([]byte(`{"agency":"us-dhs","status":"hit","hits":[{"ref":"r","kind":"biographic","score":0.9,"fields":{"surname":"X"}}]}`))
	f.Add([]byte(`{"agency":"us-dhs","status":"no_hit","policy_revision":"abc"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a := &fedmatch.Answer{}
		if strictJSON(b, a) != nil {
			return
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatal(err)
		}
	})
}
