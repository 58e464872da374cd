package finger_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch/internal/eval"
	"github.com/fedmatch/fedmatch/node/finger"
)

// TestGallery_Search: over 2,000 synthetic people of ten fingers, the
// filter keeps every searched person's record among its candidates, and
// the full comparison ranks it first, as an exhaustive search does.
func TestGallery_Search(t *testing.T) {
	g, probes := eval.TenPrintGallery(3, 2000, 50, nil)
	kept, first := 0, 0
	for rec, probe := range probes {
		cs := g.Search(probe, false)
		if slices.ContainsFunc(cs, func(c finger.Candidate) bool { return c.Rec == rec }) {
			kept++
		}
		if eval.BestRecord(cs) == rec {
			first++
		}
	}
	t.Logf("filter kept %d of %d mates; rank 1 %d", kept, len(probes), first)
	if len(probes) != 50 || kept < len(probes) || first < len(probes) {
		t.Errorf("filter kept %d of %d mates, rank 1 %d: want all of 50", kept, len(probes), first)
	}
	if cs := g.Search(probes[0], true); len(cs) != 2000 || eval.BestRecord(cs) != 0 {
		t.Errorf("exhaustive search: %d candidates, rank 1 %d", len(cs), eval.BestRecord(cs))
	}
}

// BenchmarkGallery_Search is a ten-finger probe against galleries of
// ten-finger records on one core, with the filter's recall.
func BenchmarkGallery_Search(b *testing.B) {
	for _, people := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", people), func(b *testing.B) {
			start := time.Now()
			g, probes := eval.TenPrintGallery(5, people, 50, nil)
			b.Logf("enrolled %d views in %s", g.Len(), time.Since(start).Round(time.Second))
			recs := slices.Sorted(maps.Keys(probes))
			found, n := 0, 0
			for b.Loop() {
				r := recs[n%len(recs)]
				if eval.BestRecord(g.Search(probes[r], false)) == r {
					found++
				}
				n++
			}
			b.ReportMetric(float64(found)/float64(n), "rank1")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "ms/search")
		})
	}
}
