package face_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/face"
)

// MustGallery returns a gallery of the synthetic model holding the first
// sample of each identity under its index.
func MustGallery(tb testing.TB, ts [][]*face.Template) *face.Gallery {
	tb.Helper()
	g, err := face.NewGallery(synth.FaceModel)
	if err != nil {
		tb.Fatal(err)
	}
	for i, s := range ts {
		if err := g.Add(int32(i), s[0]); err != nil {
			tb.Fatal(err)
		}
	}
	return g
}

// TestGallery_Search: over 20,000 identities, the shortlisted search
// finds at rank 1 what the exhaustive one finds for 299 of 300 probes or
// better, mates are found at rank 1 but for the hard captures, and a
// record scored against its own template scores 1.
func TestGallery_Search(t *testing.T) {
	ts := synth.New(3).Faces(20_000, 2)
	g := MustGallery(t, ts)
	rank1, agree, probes := 0, 0, 0
	for i := 0; i < len(ts); i += len(ts) / 300 {
		probes++
		hits, err := g.Search(ts[i][1], 5, -1)
		if err != nil {
			t.Fatal(err)
		}
		exact, err := g.SearchExact(ts[i][1], 1, -1)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) > 0 && hits[0].ID == int32(i) {
			rank1++
		}
		if len(hits) > 0 && len(exact) > 0 && hits[0].ID == exact[0].ID {
			agree++
		}
	}
	t.Logf("rank-1 %d of %d, shortlist agrees with exhaustive search on %d", rank1, probes, agree)
	if agree < probes-1 {
		t.Errorf("the shortlist changed the rank-1 answer of %d of %d probes", probes-agree, probes)
	}
	if rate := float64(rank1) / float64(probes); rate < 0.95 {
		t.Errorf("rank-1 identification %.4f, want at least 0.95", rate)
	}
	hits, _ := g.Search(ts[7][0], 1, -1)
	if len(hits) != 1 || hits[0].ID != 7 || math.Abs(hits[0].Score-1) > 0.01 {
		t.Errorf("a template against itself: %+v, want record 7 scoring 1", hits)
	}
}

// TestGallery_Calibrate: the calibration fitted to random pairs of a
// gallery places its 1 % point where 1 % of impostor pairs of new
// identities score, within a factor of two.
func TestGallery_Calibrate(t *testing.T) {
	g := MustGallery(t, synth.New(8).Faces(5000, 1))
	if err := g.Calibrate(100_000, 1); err != nil {
		t.Fatal(err)
	}
	other := synth.New(9).Faces(2000, 1)
	above, n := 0, 0
	for i := 1; i < len(other); i++ {
		for j := range 10 {
			if j >= i {
				break
			}
			n++
			if g.Decades(face.Cosine(other[i][0].Vector, other[i-j-1][0].Vector)) > 2 {
				above++
			}
		}
	}
	rate := float64(above) / float64(n)
	t.Logf("impostors above 2 decades: %.4f", rate)
	if rate < 0.005 || rate > 0.02 {
		t.Errorf("impostors pass the 1 %% threshold at %.4f", rate)
	}
	small := MustGallery(t, synth.New(8).Faces(1, 1))
	if err := small.Calibrate(10, 1); !fedmatch.IsCode(err, fedmatch.Invalid) {
		t.Errorf("one template: %v, want Invalid", err)
	}
}

// TestGallery_Refuses: a probe from another model or version, or of the
// wrong length, or zero, is refused with its code and changes nothing.
func TestGallery_Refuses(t *testing.T) {
	g := MustGallery(t, synth.New(4).Faces(10, 1))
	good := make([]float32, synth.FaceModel.Dim)
	good[0] = 1
	for _, tc := range []struct {
		name string
		t    face.Template
		code fedmatch.Code
	}{
		{"other model", face.Template{Model: "arcface", Version: "1", Vector: good}, fedmatch.Unsupported},
		{"other version", face.Template{Model: synth.FaceModel.Name, Version: "2", Vector: good}, fedmatch.Unsupported},
		{"short vector", face.Template{Model: synth.FaceModel.Name, Version: "1", Vector: good[:10]}, fedmatch.Malformed},
		{"zero vector", face.Template{Model: synth.FaceModel.Name, Version: "1", Vector: make([]float32, 512)}, fedmatch.Malformed},
		{"not finite", face.Template{Model: synth.FaceModel.Name, Version: "1", Vector: append([]float32{float32(math.Inf(1))}, good[1:]...)}, fedmatch.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := g.Search(&tc.t, 1, 0); !fedmatch.IsCode(err, tc.code) {
				t.Errorf("Search: %v, want %v", err, tc.code)
			}
			if err := g.Add(99, &tc.t); !fedmatch.IsCode(err, tc.code) || g.Len() != 10 {
				t.Errorf("Add: %v, want %v and nothing added (%d held)", err, tc.code, g.Len())
			}
		})
	}
	if _, err := face.NewGallery(face.Model{Name: "x", Dim: 0}); !fedmatch.IsCode(err, fedmatch.Invalid) {
		t.Errorf("NewGallery with no dimensions: %v", err)
	}
}

// BenchmarkSearch is one 1:N face search on one core over galleries of
// synthetic 512-dimension templates; it reports the recall of the true
// mate at rank 1 that the sign-bit shortlist keeps.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			gen := synth.New(5)
			g, err := face.NewGallery(synth.FaceModel)
			if err != nil {
				b.Fatal(err)
			}
			var probes []*face.Template
			for i := 0; i < n; {
				batch := gen.Faces(min(1000, n-i), 2)
				for _, s := range batch {
					if err := g.Add(int32(i), s[0]); err != nil {
						b.Fatal(err)
					}
					if i%(n/100) == 0 {
						probes = append(probes, s[1])
					}
					i++
				}
			}
			found := 0
			b.ResetTimer()
			q := 0
			for b.Loop() {
				p := probes[q%len(probes)]
				hits, _ := g.Search(p, 1, -1)
				if len(hits) > 0 && int(hits[0].ID) == q%len(probes)*(n/100) {
					found++
				}
				q++
			}
			b.ReportMetric(float64(found)/float64(q), "rank1")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(q), "ms/search")
		})
	}
}
