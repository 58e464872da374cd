package fedmatch_test

import (
	"strings"
	"testing"

	"github.com/fedmatch/fedmatch"
)

func TestRecord_Validate(t *testing.T) {
	good := func() *fedmatch.Record {
		return &fedmatch.Record{ID: "r1", Category: fedmatch.FalseDocument, CollectedAt: "2025-01-01", RetentionUntil: "2030-01-01",
			Surname: "Okafor", Documents: []fedmatch.Document{{Number: "A1", IssuingState: "NGA", Status: "stolen"}}}
	}
	tests := []struct {
		name   string
		change func(r *fedmatch.Record)
		want   string // part of the error; "" for none
	}{
		{"valid", func(*fedmatch.Record) {}, ""},
		{"no id", func(r *fedmatch.Record) { r.ID = " " }, "id is required"},
		{"retention before collection", func(r *fedmatch.Record) { r.RetentionUntil = "2024-01-01" }, "before collected_at"},
		{"document without state", func(r *fedmatch.Record) { r.Documents[0].IssuingState = "" }, "needs number and issuing_state"},
		{"document status unknown", func(r *fedmatch.Record) { r.Documents[0].Status = "misplaced" }, `status "misplaced"`},
		{"no surname, no document", func(r *fedmatch.Record) { r.Surname, r.Documents = "", nil }, "surname, a document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.change(r)
			err := r.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestProbe_Validate(t *testing.T) {
	tests := []struct {
		name  string
		probe fedmatch.Probe
		want  string // part of the error; "" for none
	}{
		{"names", fedmatch.Probe{Surname: "Okafor", GivenNames: "Chidi"}, ""},
		{"names and address", fedmatch.Probe{Surname: "Herbert", Address: "123 Slessor Crescent, Wisemans Ferry"}, ""},
		{"nothing to match on", fedmatch.Probe{GivenNames: "Chidi", Address: "123 Slessor Crescent"}, "needs a surname"},
		{"address too long", fedmatch.Probe{Surname: "Okafor", Address: strings.Repeat("12 High Street ", 20)}, "address is 300 bytes"},
		{"surname too long", fedmatch.Probe{Surname: strings.Repeat("x", 257)}, "surname is 257 bytes"},
		{"bad date", fedmatch.Probe{Surname: "Okafor", DateOfBirth: "1984-13"}, "1984-13"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.probe.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
