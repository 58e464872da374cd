package eval

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fedmatch/fedmatch/internal/synth"
	"github.com/fedmatch/fedmatch/node/calib"
	"github.com/fedmatch/fedmatch/node/face"
	"github.com/fedmatch/fedmatch/node/finger"
)

// Quantiles are the points a score distribution is summarised by.
var Quantiles = []float64{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99}

// Summary gives x's values at Quantiles.
func Summary(x []float64) []float64 {
	s := slices.Sorted(slices.Values(x))
	out := make([]float64, len(Quantiles))
	if len(s) == 0 {
		return out
	}
	for i, q := range Quantiles {
		out[i] = s[min(len(s)-1, int(q*float64(len(s))))]
	}
	return out
}

// AtThreshold is the measured error rates at one threshold.
type AtThreshold struct {
	Threshold, FMR, FNMR float64
}

// RatesAt measures FMR and FNMR at each threshold (a match exceeds it).
func RatesAt(s Scores, thresholds ...float64) []AtThreshold {
	var out []AtThreshold
	for _, t := range thresholds {
		a := AtThreshold{Threshold: t}
		for _, x := range s.Impostor {
			if x > t {
				a.FMR++
			}
		}
		for _, x := range s.Genuine {
			if x <= t {
				a.FNMR++
			}
		}
		a.FMR /= float64(max(1, len(s.Impostor)))
		a.FNMR /= float64(max(1, len(s.Genuine)))
		out = append(out, a)
	}
	return out
}

// Calibrated maps every score through c, so that thresholds are decades
// of false-match rate.
func Calibrated(s Scores, c *calib.Calibration) Scores {
	out := s
	out.Genuine, out.Impostor = make([]float64, len(s.Genuine)), make([]float64, len(s.Impostor))
	for i, x := range s.Genuine {
		out.Genuine[i] = c.Decades(x)
	}
	for i, x := range s.Impostor {
		out.Impostor[i] = c.Decades(x)
	}
	return out
}

// Rank1 is the identification rate at rank 1 of a set searched as a
// gallery: each finger's first template enrolled, every other template a
// probe of all of them; a probe succeeds when its own finger scores best.
func Rank1(set FingerSet) float64 {
	first := map[string]int{}
	var gallery []int
	for i, f := range set.Fingers {
		if _, ok := first[f]; !ok {
			first[f] = i
			gallery = append(gallery, i)
		}
	}
	s := &finger.Scratch{}
	hits, probes := 0, 0
	for i, p := range set.Views {
		if first[set.Fingers[i]] == i {
			continue
		}
		p.Index()
		best, bestJ := -1.0, -1
		for _, j := range gallery {
			if x := finger.Compare(p, set.Views[j], s); x > best {
				best, bestJ = x, j
			}
		}
		probes++
		if bestJ >= 0 && set.Fingers[bestJ] == set.Fingers[i] {
			hits++
		}
	}
	return float64(hits) / float64(max(1, probes))
}

// SyntheticFingers prepares a synthetic set of fingers × impressions,
// written to ISO and read back as a node would receive them.
func SyntheticFingers(seed uint64, fingers, impressions int, o synth.FingerOptions) (FingerSet, error) {
	set := FingerSet{Name: "synthetic"}
	for f, imps := range synth.New(seed).Fingers(fingers, impressions, o) {
		for _, tp := range imps {
			b, err := tp.Marshal()
			if err != nil {
				return set, err
			}
			back, err := finger.Parse(b)
			if err != nil {
				return set, err
			}
			set.Fingers = append(set.Fingers, fmt.Sprint(f))
			set.Views = append(set.Views, finger.Prepare(back, &back.Views[0]))
		}
	}
	return set, nil
}

// FaceReport is a face experiment's results.
type FaceReport struct {
	Verification Scores // mated and non-mated pairs' cosine similarities
	Calibration  *calib.Calibration
	Gallery      int     // templates searched
	Probes       int     // mated searches
	Rank1        float64 // with the shortlist
	Exact        int     // probes also searched exhaustively
	Rank1Exact   float64 // on those probes, exhaustively
	Rank1Short   float64 // on those probes, with the shortlist
	SearchTime   time.Duration
}

// Faces runs the synthetic face experiment: a verification set of pairs
// pairs of identities (genuine: two samples of one; impostor: every
// probe against ten others), then a gallery of gallery identities, its
// calibration fitted to random pairs of it, probes mated searches with
// the shortlist, and exact of them also exhaustively. progress, when not
// nil, hears of each step.
func Faces(seed uint64, pairs, gallery, probes, exact int, progress func(string)) (*FaceReport, error) {
	say := func(f string, a ...any) {
		if progress != nil {
			progress(fmt.Sprintf(f, a...))
		}
	}
	rep := &FaceReport{Gallery: gallery, Probes: probes}
	g := synth.New(seed)
	r := rand.New(rand.NewPCG(seed, 7))
	ver := g.Faces(pairs, 2)
	for i, s := range ver {
		rep.Verification.Genuine = append(rep.Verification.Genuine, face.Cosine(s[0].Vector, s[1].Vector))
		for range 10 {
			if j := r.IntN(len(ver)); j != i {
				rep.Verification.Impostor = append(rep.Verification.Impostor, face.Cosine(s[1].Vector, ver[j][0].Vector))
			}
		}
	}
	say("enrolling %d synthetic faces", gallery)
	gal, err := face.NewGallery(synth.FaceModel)
	if err != nil {
		return nil, err
	}
	var mated []*face.Template
	var mates []int32
	every := max(1, gallery/max(1, probes))
	for i := 0; i < gallery; {
		for _, s := range g.Faces(min(10_000, gallery-i), 2) {
			if err := gal.Add(int32(i), s[0]); err != nil {
				return nil, err
			}
			if i%every == 0 && len(mated) < probes {
				mated, mates = append(mated, s[1]), append(mates, int32(i))
			}
			i++
		}
	}
	if err := gal.Calibrate(200_000, seed); err != nil {
		return nil, err
	}
	rep.Calibration = gal.Model().Calibration
	say("searching %d probes", len(mated))
	start := time.Now()
	hits := 0
	found := make([]bool, len(mated))
	for i, p := range mated {
		h, err := gal.Search(p, 1, -1)
		if err != nil {
			return nil, err
		}
		if len(h) > 0 && h[0].ID == mates[i] {
			hits++
			found[i] = true
		}
	}
	rep.SearchTime = time.Since(start) / time.Duration(max(1, len(mated)))
	rep.Probes = len(mated)
	rep.Rank1 = float64(hits) / float64(max(1, len(mated)))
	say("searching %d of them exhaustively, for the shortlist's cost", min(exact, len(mated)))
	ex, sh := 0, 0
	for i, p := range mated[:min(exact, len(mated))] {
		h, err := gal.SearchExact(p, 1, -1)
		if err != nil {
			return nil, err
		}
		if len(h) > 0 && h[0].ID == mates[i] {
			ex++
		}
		if found[i] {
			sh++
		}
		rep.Exact++
	}
	rep.Rank1Exact = float64(ex) / float64(max(1, rep.Exact))
	rep.Rank1Short = float64(sh) / float64(max(1, rep.Exact))
	return rep, nil
}

// TenPrintReport is a ten-finger 1:N experiment's results.
type TenPrintReport struct {
	Records, Probes int
	Rank1           float64 // through the gallery's filter
	SearchTime      time.Duration
	// On a gallery of ExactRecords, ExactProbes searched both ways:
	ExactRecords, ExactProbes int
	Rank1Exact, Rank1Filtered float64
}

// TenPrints enrols records synthetic people of ten fingers (impression 0
// each) in a finger.Gallery and searches probes of them with their other
// impression of every finger, timing the searches; then, on a gallery of
// exactRecords, searches exactProbes people both through the filter and
// exhaustively, for what the filter costs. Rank 1 is the record whose
// calibrated, fused fingers score best.
func TenPrints(seed uint64, records, probes, exactRecords, exactProbes int, progress func(string)) *TenPrintReport {
	rep := &TenPrintReport{Records: records, ExactRecords: exactRecords}
	g, ps := TenPrintGallery(seed, records, probes, progress)
	hits := 0
	start := time.Now()
	for rec, p := range ps {
		if BestRecord(g.Search(p, false)) == rec {
			hits++
		}
	}
	rep.Probes = len(ps)
	rep.SearchTime = time.Since(start) / time.Duration(max(1, len(ps)))
	rep.Rank1 = float64(hits) / float64(max(1, len(ps)))
	g = nil
	if exactRecords > 0 && exactProbes > 0 {
		if progress != nil {
			progress(fmt.Sprintf("searching %d of %d records exhaustively and through the filter", exactProbes, exactRecords))
		}
		g, ps = TenPrintGallery(seed, exactRecords, exactProbes, progress)
		ex, fi := 0, 0
		for rec, p := range ps {
			if BestRecord(g.Search(p, true)) == rec {
				ex++
			}
			if BestRecord(g.Search(p, false)) == rec {
				fi++
			}
		}
		rep.ExactProbes = len(ps)
		rep.Rank1Exact = float64(ex) / float64(max(1, len(ps)))
		rep.Rank1Filtered = float64(fi) / float64(max(1, len(ps)))
	}
	return rep
}

// BestRecord is the candidate whose fingers, calibrated and fused, score
// best: rank 1 of a search.
func BestRecord(cs []finger.Candidate) int32 {
	cal := finger.DefaultCalibration()
	top, rec := -1.0, int32(-1)
	for _, c := range cs {
		var ds []float64
		for _, r := range c.Raw {
			if r >= 0 {
				ds = append(ds, cal.Decades(r))
			}
		}
		if s := calib.Fuse(ds...); s > top {
			top, rec = s, c.Rec
		}
	}
	return rec
}

// TenPrintGallery enrols n synthetic people of ten fingers (impression 0
// of each, record number p for person p) and returns the gallery and, for
// searched of them spread evenly, their other impression of every finger
// as a probe. progress, when not nil, hears of every tenth.
func TenPrintGallery(seed uint64, n, searched int, progress func(string)) (*finger.Gallery, map[int32][]finger.ProbeFinger) {
	g := &finger.Gallery{}
	gen := synth.New(seed)
	ps := map[int32][]finger.ProbeFinger{}
	every := max(1, n/max(1, searched))
	for p := range n {
		fs := gen.Fingers(10, 2, synth.DefaultFingerOptions())
		for f, imps := range fs {
			g.Add(int32(p), uint8(f+1), imps[0], &imps[0].Views[0])
			if p%every == 0 && len(ps) < searched {
				ps[int32(p)] = append(ps[int32(p)], finger.ProbeFinger{Pos: uint8(f + 1), V: finger.Prepare(imps[1], &imps[1].Views[0]).Index()})
			}
		}
		if progress != nil && (p+1)%(max(1, n/10)) == 0 {
			progress(fmt.Sprintf("enrolled %d of %d ten-finger records", p+1, n))
		}
	}
	return g, ps
}
