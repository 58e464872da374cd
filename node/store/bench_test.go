package store_test

import (
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/store"
)

// BenchmarkStore_Add loads 20,000 records: durable segment write and index.
func BenchmarkStore_Add(b *testing.B) {
	recs, _ := synth.Federation(1, []fedmatch.AgencyID{"gb-home-office"}, 20_000, 2026)
	b.ReportAllocs()
	for b.Loop() {
		s, err := store.Open(b.TempDir(), match.New(match.DefaultConfig(), nil), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Add(recs["gb-home-office"]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/20_000, "ns/record")
}
