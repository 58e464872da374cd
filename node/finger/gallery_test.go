package finger_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/finger"
)

// tenFingers enrols people × 10 synthetic fingers, impression 0 of each,
// and returns the gallery and each person's other impressions as probes.
func tenFingers(tb testing.TB, people, seed uint64) (*finger.Gallery, [][]finger.ProbeFinger) {
	tb.Helper()
	g := &finger.Gallery{}
	gen := synth.New(seed)
	var probes [][]finger.ProbeFinger
	for p := range int(people) {
		fs := gen.Fingers(10, 2, synth.DefaultFingerOptions())
		searched := p%max(1, int(people)/50) == 0
		var probe []finger.ProbeFinger
		for f, imps := range fs {
			g.Add(int32(p), uint8(f+1), imps[0], &imps[0].Views[0])
			if searched {
				probe = append(probe, finger.ProbeFinger{Pos: uint8(f + 1), V: finger.Prepare(imps[1], &imps[1].Views[0]).Index()})
			}
		}
		probes = append(probes, probe)
	}
	return g, probes
}

// rank1 is the record of the best candidate by fused calibrated score.
func rank1(cs []finger.Candidate) int32 {
	best, rec := -1.0, int32(-1)
	for _, c := range cs {
		s := 0.0
		for _, r := range c.Raw {
			s += max(r, 0)
		}
		if s > best {
			best, rec = s, c.Rec
		}
	}
	return rec
}

// TestGallery_Search: over 2,000 synthetic people of ten fingers, the
// filter keeps every searched person's record among its candidates, and
// the full comparison ranks it first, as an exhaustive search does.
func TestGallery_Search(t *testing.T) {
	g, probes := tenFingers(t, 2000, 3)
	kept, first, n := 0, 0, 0
	for p, probe := range probes {
		if probe == nil {
			continue
		}
		n++
		cs := g.Search(probe, false)
		for _, c := range cs {
			if c.Rec == int32(p) {
				kept++
			}
		}
		if rank1(cs) == int32(p) {
			first++
		}
	}
	t.Logf("filter kept %d of %d mates; rank 1 %d", kept, n, first)
	if kept < n || first < n {
		t.Errorf("filter kept %d of %d mates, rank 1 %d: want all", kept, n, first)
	}
	if cs := g.Search(probes[0], true); len(cs) != 2000 || rank1(cs) != 0 {
		t.Errorf("exhaustive search: %d candidates, rank 1 %d", len(cs), rank1(cs))
	}
}

// BenchmarkGallery_Search is a ten-finger probe against galleries of
// ten-finger records on one core, with the filter's recall.
func BenchmarkGallery_Search(b *testing.B) {
	for _, people := range []uint64{10_000, 100_000} {
		b.Run(fmt.Sprintf("records=%d", people), func(b *testing.B) {
			start := time.Now()
			g, probes := tenFingers(b, people, 5)
			b.Logf("enrolled %d views in %s", g.Len(), time.Since(start).Round(time.Second))
			var ps []int
			for p, probe := range probes {
				if probe != nil {
					ps = append(ps, p)
				}
			}
			found, n := 0, 0
			for b.Loop() {
				p := ps[n%len(ps)]
				if rank1(g.Search(probes[p], false)) == int32(p) {
					found++
				}
				n++
			}
			b.ReportMetric(float64(found)/float64(n), "rank1")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "ms/search")
		})
	}
}
