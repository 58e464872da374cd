package eval

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/finger"
)

// FingerSet is one database of fingerprint templates: each template with
// the finger it is of. Templates of one set are never paired with another's.
type FingerSet struct {
	Name    string
	Fingers []string
	Views   []*finger.Prepared
}

var fingerFile = regexp.MustCompile(`^(\w+)_(\d+)\.(iso|ist|ansi|fmr)$`)

// ReadFingerDir reads a folder laid out like FVC2002's ISO templates,
// DB*/<finger>_<impression>.iso: each subfolder a set, its first view of
// each template prepared. Errors: NotFound for a folder without sets,
// Malformed naming a template that does not parse.
func ReadFingerDir(dir string) ([]FingerSet, error) {
	const op = "eval.ReadFingerDir"
	dbs, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	var sets []FingerSet
	for _, db := range dbs {
		files, _ := filepath.Glob(filepath.Join(db, "*"))
		set := FingerSet{Name: filepath.Base(db)}
		for _, f := range files {
			m := fingerFile.FindStringSubmatch(filepath.Base(f))
			if m == nil {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fedmatch.E(op, fedmatch.Internal, "%w", err)
			}
			t, err := finger.Parse(b)
			if err != nil {
				return nil, fedmatch.E(op, fedmatch.Malformed, "%s: %w", f, err)
			}
			set.Fingers = append(set.Fingers, m[1])
			set.Views = append(set.Views, finger.Prepare(t, &t.Views[0]))
		}
		if len(set.Views) > 0 {
			sets = append(sets, set)
		}
	}
	if len(sets) == 0 {
		return nil, fedmatch.E(op, fedmatch.NotFound, "%s: no folder of templates named <finger>_<impression>.iso", dir)
	}
	return sets, nil
}

// Scores are a verification experiment's genuine and impostor scores.
type Scores struct {
	Genuine, Impostor []float64
	Comparisons       int
	Elapsed           time.Duration // comparing, the probes already indexed
	// Indexed probes took Indexing to index (once each, as a node does
	// for a probe it compares with many gallery views).
	Indexed  int
	Indexing time.Duration
}

// Add appends o's scores to s.
func (s *Scores) Add(o Scores) {
	s.Genuine = append(s.Genuine, o.Genuine...)
	s.Impostor = append(s.Impostor, o.Impostor...)
	s.Comparisons += o.Comparisons
	s.Elapsed += o.Elapsed
	s.Indexed += o.Indexed
	s.Indexing += o.Indexing
}

// CompareAll scores every pair of the set once (FVC's protocol: all
// genuine pairs, all impostor pairs), each template as the probe of the
// ones after it. Indexing the probes is timed apart from comparing them.
func CompareAll(set FingerSet, cmp func(p, g *finger.Prepared, s *finger.Scratch) float64) Scores {
	var out Scores
	s := &finger.Scratch{}
	start := time.Now()
	for _, p := range set.Views {
		p.Index()
	}
	out.Indexing, out.Indexed = time.Since(start), len(set.Views)
	start = time.Now()
	for i, p := range set.Views {
		for j := i + 1; j < len(set.Views); j++ {
			x := cmp(p, set.Views[j], s)
			if set.Fingers[i] == set.Fingers[j] {
				out.Genuine = append(out.Genuine, x)
			} else {
				out.Impostor = append(out.Impostor, x)
			}
		}
	}
	out.Elapsed = time.Since(start)
	out.Comparisons = len(out.Genuine) + len(out.Impostor)
	return out
}

// Rates are a score distribution's error rates.
type Rates struct {
	EER float64
	// FNMR holds the false non-match rate at each of FMRs, and Threshold
	// the score that gives it.
	FMRs, FNMR, Threshold []float64
}

// ErrorRates computes the equal error rate (where the false match and
// false non-match rates cross, FVC's definition: their mean at the
// threshold where they are closest) and the FNMR at each FMR given. A
// score counts as a match when it exceeds the threshold.
func ErrorRates(s Scores, fmrs ...float64) Rates {
	gen, imp := slices.Sorted(slices.Values(s.Genuine)), slices.Sorted(slices.Values(s.Impostor))
	r := Rates{FMRs: fmrs, EER: 1}
	if len(gen) == 0 || len(imp) == 0 {
		return r
	}
	fnmr := func(t float64) float64 { // genuine at or below t
		return float64(sort.Search(len(gen), func(i int) bool { return gen[i] > t })) / float64(len(gen))
	}
	fmr := func(t float64) float64 { // impostors above t
		return float64(len(imp)-sort.Search(len(imp), func(i int) bool { return imp[i] > t })) / float64(len(imp))
	}
	bestGap := 2.0
	for _, t := range append(append([]float64{-1}, gen...), imp...) {
		a, b := fmr(t), fnmr(t)
		if gap := abs(a - b); gap < bestGap || (gap == bestGap && (a+b)/2 < r.EER) {
			bestGap, r.EER = gap, (a+b)/2
		}
	}
	for _, f := range fmrs {
		// The lowest threshold with at most f of impostors above it.
		k := int(f * float64(len(imp)))
		t := imp[len(imp)-1-min(k, len(imp)-1)]
		r.Threshold = append(r.Threshold, t)
		r.FNMR = append(r.FNMR, fnmr(t))
	}
	return r
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// String is one report line.
func (r Rates) String() string {
	s := fmt.Sprintf("eer %.4f", r.EER)
	for i, f := range r.FMRs {
		s += fmt.Sprintf(" fnmr@fmr%g %.4f", f, r.FNMR[i])
	}
	return s
}

// AllImpostors scores every pair of templates that are not the same
// finger, across sets as well as within them (templates of different sets
// are different fingers, whatever their numbers): the impostors a
// calibration is fitted to.
func AllImpostors(sets []FingerSet, cmp func(p, g *finger.Prepared, s *finger.Scratch) float64) []float64 {
	type tpl struct {
		set, finger string
		v           *finger.Prepared
	}
	var all []tpl
	for _, s := range sets {
		for i, v := range s.Views {
			all = append(all, tpl{s.Name, s.Fingers[i], v})
		}
	}
	var out []float64
	sc := &finger.Scratch{}
	for i, p := range all {
		p.v.Index()
		for _, g := range all[i+1:] {
			if p.set != g.set || p.finger != g.finger {
				out = append(out, cmp(p.v, g.v, sc))
			}
		}
	}
	return out
}
