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

// TestGallery_Search: each identity's second sample finds its first at
// rank 1 with a score well above impostors, and a record scored against
// its own template scores 1.
func TestGallery_Search(t *testing.T) {
	ts := synth.New(3).Faces(5000, 2)
	g := MustGallery(t, ts)
	rank1 := 0
	for i, s := range ts {
		hits, err := g.Search(s[1], 5, -1)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) > 0 && hits[0].ID == int32(i) {
			rank1++
		}
	}
	if rate := float64(rank1) / float64(len(ts)); rate < 0.99 {
		t.Errorf("rank-1 identification %.4f, want at least 0.99", rate)
	}
	hits, _ := g.Search(ts[7][0], 1, -1)
	if len(hits) != 1 || hits[0].ID != 7 || math.Abs(hits[0].Score-1) > 0.01 {
		t.Errorf("a template against itself: %+v, want record 7 scoring 1", hits)
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
