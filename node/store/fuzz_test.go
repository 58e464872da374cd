package store_test

import (
	"bytes"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/store"
)

// FuzzDecode feeds arbitrary bytes to the record decoder, which reads
// files an operator imports: it must never panic, must fail with a typed
// error, and every record it accepts must validate.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"id":"x","category":"false-document","collected_at":"2024-01-10","retention_until":"2030-01-10","surname":"A","extended_until":"2031-01-01","extension_reason":"r"}`))
	f.Add([]byte("{\"id\":\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := store.Decode(bytes.NewReader(b))
		if err != nil {
			if _, ok := err.(*fedmatch.Error); !ok {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		for _, r := range recs {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid record %+v: %v", r, err)
			}
		}
	})
}
