package schemas_test

import (
	"encoding/json"
	"io/fs"
	"slices"
	"sort"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/schemas"
)

// keys lists the object keys of v, recursively, as dotted paths.
func keys(prefix string, v any, out map[string]bool) {
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			out[prefix+k] = true
			keys(prefix+k+".", x, out)
		}
	}
}

// schemaKeys lists the properties of a JSON Schema, recursively.
func schemaKeys(prefix string, s map[string]any, out map[string]bool) {
	props, _ := s["properties"].(map[string]any)
	for k, p := range props {
		out[prefix+k] = true
		schemaKeys(prefix+k+".", p.(map[string]any), out)
	}
}

func sorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSchemas_MatchGoTypes keeps the schemas and the Go types the node
// sends and decodes in step: every field of one is a property of the other.
func TestSchemas_MatchGoTypes(t *testing.T) {
	full := func(vs ...any) map[string]bool {
		out := map[string]bool{}
		for _, v := range vs {
			b, _ := json.Marshal(v)
			var m any
			json.Unmarshal(b, &m)
			keys("", m, out)
		}
		return out
	}
	req := fedmatch.RequestInfo{ID: "q", Requester: "a", Purpose: "p", Basis: "b", Case: "c", ProbeKinds: []string{"k"}, Time: "t"}
	m := fedmatch.Member{ID: "a", Name: "n", Country: "c", Answers: []fedmatch.Purpose{"p"}}
	goInput := full(
		&fedmatch.QueryInput{Request: req, Requester: m, Agreement: fedmatch.Agreement{ID: "x", Parties: []fedmatch.AgencyID{"a"}, Purposes: []fedmatch.Purpose{"p"}}, Node: "n", Usage: fedmatch.Usage{Today: 1}},
		&fedmatch.DiscloseInput{Request: req, Requester: m, Node: "n",
			Record: fedmatch.RecordMeta{Category: "c", CollectedAt: "d", RetentionUntil: "d", ExtendedUntil: "d", ExtensionReason: "r", Flags: []string{"f"}},
			Match:  fedmatch.MatchInfo{Kind: "k", Kinds: []string{"k"}, Score: 1, FMRDecades: 1, DocumentStatus: "stolen"}})
	for _, tc := range []struct {
		file string
		goKs map[string]bool
	}{
		{"input.json", goInput},
		{"decision.json", full(&fedmatch.Decision{Allow: true, Reason: "r", Categories: []fedmatch.Category{"c"}, MinScore: 1, MaxHits: 1})},
		{"disclose.json", full(&fedmatch.Disclosure{Allow: true, Fields: []string{"f"}, Review: true})},
	} {
		b, err := fs.ReadFile(schemas.FS, tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		sk := map[string]bool{}
		schemaKeys("", s, sk)
		if !slices.Equal(sorted(sk), sorted(tc.goKs)) {
			t.Errorf("%s properties %v\n  Go JSON fields %v", tc.file, sorted(sk), sorted(tc.goKs))
		}
	}
}
