package match

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/fedmatch/fedmatch"
)

// Patterns counts comparison vectors: the sufficient statistics of a set
// of pairs under Fellegi–Sunter's assumption that comparisons are
// independent given match status.
type Patterns map[Vector]float64

// Total returns how many pairs the patterns count.
func (ps Patterns) Total() float64 {
	t := 0.0
	for _, c := range ps {
		t += c
	}
	return t
}

// block indexes recs by their blocking keys and returns their fields.
func (m *Matcher) block(recs []*fedmatch.Record) (map[string][]int32, []*fields) {
	index := map[string][]int32{}
	fs := make([]*fields, len(recs))
	for i, r := range recs {
		fs[i] = recordFields(r, m.tr)
		for _, k := range recordKeys(r, fs[i]) {
			index[k] = append(index[k], int32(i))
		}
	}
	return index, fs
}

// candidates calls f with every record index sharing a key with p, once
// each, skipping keys shared by more than maxBucket records as the store
// skips them.
func (m *Matcher) candidates(index map[string][]int32, p *fedmatch.Probe, maxBucket int, seen map[int32]bool, f func(j int32)) {
	clear(seen)
	for _, k := range m.ProbeKeys(p) {
		b := index[k]
		if len(b) > maxBucket {
			continue
		}
		for _, j := range b {
			if !seen[j] {
				seen[j] = true
				f(j)
			}
		}
	}
}

// CandidatePairs compares every record with every other that shares a
// blocking key with it, as a probe made from one would reach the other,
// each unordered pair once. These are the pairs whose match status EM
// infers.
func (m *Matcher) CandidatePairs(recs []*fedmatch.Record, maxBucket int) Patterns {
	index, fs := m.block(recs)
	out := Patterns{}
	seen := map[int32]bool{}
	for i, r := range recs {
		p := fedmatch.ProbeOf(r)
		pf := probeFields(&p, m.tr)
		m.candidates(index, &p, maxBucket, seen, func(j int32) {
			if int(j) > i {
				out[compareFields(pf, fs[j])]++
			}
		})
	}
	return out
}

// LabelledPairs compares each probe with the records it reaches by
// blocking key and returns the patterns of the pairs same says are one
// person.
func (m *Matcher) LabelledPairs(recs []*fedmatch.Record, probes []fedmatch.Probe, same func(probe, rec int) bool, maxBucket int) Patterns {
	index, fs := m.block(recs)
	out := Patterns{}
	seen := map[int32]bool{}
	for i := range probes {
		pf := probeFields(&probes[i], m.tr)
		m.candidates(index, &probes[i], maxBucket, seen, func(j int32) {
			if same(i, int(j)) {
				out[compareFields(pf, fs[j])]++
			}
		})
	}
	return out
}

// Sample is what the estimators learn u and the prior from: random pairs
// of the records, and counts over all pairs.
type Sample struct {
	// Random are random pairs of distinct records, known matches left out.
	Random Patterns
	// All is how many pairs the records make.
	All float64
	// SharedDocuments is how many of those pairs, known matches left out,
	// hold a document of the same state and number: counted exactly, as a
	// random sample of any size would see none.
	SharedDocuments float64
}

// NewSample draws n random pairs of recs (with seed) and counts the pairs
// sharing a document; same says which pairs are known to be one person
// (nil: none known).
func NewSample(recs []*fedmatch.Record, n int, seed uint64, same func(i, j int) bool) Sample {
	s := Sample{Random: Patterns{}, All: float64(len(recs)) * float64(len(recs)-1) / 2}
	if len(recs) < 2 {
		return s
	}
	byDoc := map[string][]int{}
	for i, r := range recs {
		for _, d := range r.Documents {
			k := docKey(d)
			if b := byDoc[k]; len(b) == 0 || b[len(b)-1] != i {
				byDoc[k] = append(b, i)
			}
		}
	}
	for _, b := range byDoc {
		for x := range b {
			for y := x + 1; y < len(b); y++ {
				if same == nil || !same(b[x], b[y]) {
					s.SharedDocuments++
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0xfed))
	tr := DefaultTransliteration()
	fs := make(map[int]*fields)
	get := func(i int) *fields {
		if f, ok := fs[i]; ok {
			return f
		}
		f := recordFields(recs[i], tr)
		fs[i] = f
		return f
	}
	for range n {
		i, j := rng.IntN(len(recs)), rng.IntN(len(recs)-1)
		if j >= i {
			j++
		}
		if same != nil && same(i, j) {
			continue
		}
		p := fedmatch.ProbeOf(recs[i])
		s.Random[compareFields(probeFields(&p, tr), get(j))]++
	}
	return s
}

// u returns the u values: level shares among the random pairs, except a
// document number's exact agreement, taken from the exact count less
// matched, the pairs among them believed to be the same person.
func (s Sample) u(specs []ComparisonSpec, matched float64) [][]float64 {
	u := levelShares(s.Random, specs, 1)
	comparable := 0.0
	for v, n := range s.Random {
		if v[CmpDocument] != Missing {
			comparable += n
		}
	}
	if comparable > 0 {
		d := u[CmpDocument]
		rest := 1 - d[0]
		d[0] = max((s.SharedDocuments-matched)/(comparable/s.Random.Total()*s.All), minProb)
		for l := 1; l < len(d); l++ {
			d[l] *= (1 - d[0]) / rest
		}
	}
	return u
}

// Stats describes an estimation.
type Stats struct {
	Pairs      float64 // candidate pairs
	Random     float64 // random pairs (for u)
	Matches    float64 // expected matching pairs among the candidates
	Iterations int
}

// MinExpectedMatches is the fewest matching pairs EM must find among the
// candidate pairs for its m values to mean anything: a node whose records
// are all different people holds no evidence of how the same person
// varies, and should keep the default model or be given labelled pairs.
const MinExpectedMatches = 30

// Estimate fits m to the records' candidate pairs by expectation
// maximisation, and takes u from random pairs. Candidate pairs share a
// blocking key, so they agree on some field far more often than random
// pairs do: EM therefore models them with their own u (the non-matching
// candidates'), which it estimates alongside m, and starts from the pairs
// that are surely one person (the same date of birth, names that agree or
// nearly), so that it separates "the same person recorded twice" and not
// "shares a common surname". The model then scores with that m, u from
// random pairs and, as prior, the expected matches over all pairs the
// records make, candidates or not: the chance that two records drawn at
// random are the same person, as u is the chance of a level between two.
// Errors: Invalid when the data hold too few pairs, or too few sure
// duplicates to learn from.
func Estimate(cands Patterns, sample Sample, source string) (*Model, Stats, error) {
	const op = "match.Estimate"
	specs := ComparisonSpecs()
	st := Stats{Pairs: cands.Total(), Random: sample.Random.Total()}
	if st.Pairs < 100 || st.Random < 100 {
		return nil, st, fedmatch.E(op, fedmatch.Invalid, "%.0f candidate and %.0f random pairs: too few to estimate from (want at least 100 of each)", st.Pairs, st.Random)
	}
	seeds := Patterns{}
	for v, n := range cands {
		if v[CmpDOB] == 0 && v[CmpSurname] >= 0 && v[CmpSurname] <= 1 && v[CmpGiven] >= 0 && v[CmpGiven] <= 1 {
			seeds[v] += n
		}
	}
	if seeds.Total() < MinExpectedMatches {
		return nil, st, fedmatch.E(op, fedmatch.Invalid, "only %.0f of %.0f candidate pairs are surely the same person (same date of birth, names that agree; want %d): the records hold too few duplicates to learn how one person's records vary; keep the default model or estimate from labelled pairs", seeds.Total(), st.Pairs, MinExpectedMatches)
	}
	m, uc := levelShares(seeds, specs, 1), sample.u(specs, 0)
	prior := seeds.Total() / st.Pairs
	for st.Iterations = 1; st.Iterations <= 500; st.Iterations++ {
		nm := 0.0
		am, au := zeros(specs), zeros(specs)
		for v, n := range cands {
			pm, pu := prior, 1-prior
			for c, l := range v {
				if l != Missing {
					pm *= m[c][l]
					pu *= uc[c][l]
				}
			}
			p := pm / (pm + pu)
			nm += n * p
			for c, l := range v {
				if l != Missing {
					am[c][l] += n * p
					au[c][l] += n * (1 - p)
				}
			}
		}
		delta := math.Abs(nm/st.Pairs - prior)
		prior = nm / st.Pairs
		for _, x := range []struct{ acc, cur [][]float64 }{{am, m}, {au, uc}} {
			for c := range x.acc {
				for l := range x.acc[c] {
					x.acc[c][l] += 1e-3 // a level never seen is rare, not impossible
				}
				normalise(x.acc[c])
				for l := range x.acc[c] {
					delta = max(delta, math.Abs(x.acc[c][l]-x.cur[c][l]))
				}
			}
		}
		m, uc = am, au
		st.Matches = nm
		if delta < 1e-7 {
			break
		}
	}
	if st.Matches < MinExpectedMatches {
		return nil, st, fedmatch.E(op, fedmatch.Invalid, "only %.0f of %.0f candidate pairs look like the same person (want %d): the records hold too few duplicates to learn from; keep the default model or estimate from labelled pairs", st.Matches, st.Pairs, MinExpectedMatches)
	}
	// Pairs sharing a document number are mostly the same person: those
	// EM believes are matches do not count towards u.
	u := sample.u(specs, st.Matches*m[CmpDocument][0])
	model, err := newModel(st.Matches/sample.All, m, u, fmt.Sprintf("%s; EM over %.0f candidate pairs (%.0f expected matches, %d iterations), u from %.0f random pairs", source, st.Pairs, st.Matches, st.Iterations, st.Random))
	if err != nil {
		return nil, st, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	return model, st, nil
}

// EstimateLabelled takes m from pairs known to be the same person and u
// from random pairs that are not; the prior is the share of all pairs
// that match. Errors: Invalid.
func EstimateLabelled(matches Patterns, sample Sample, source string) (*Model, error) {
	const op = "match.EstimateLabelled"
	nm, nr := matches.Total(), sample.Random.Total()
	if nm < MinExpectedMatches || nr < 100 {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%.0f matching and %.0f random pairs: too few (want %d and 100)", nm, nr, MinExpectedMatches)
	}
	specs := ComparisonSpecs()
	model, err := newModel(nm/sample.All, levelShares(matches, specs, 1), sample.u(specs, 0),
		fmt.Sprintf("%s; m from %.0f labelled matching pairs, u from %.0f random non-matching pairs", source, nm, nr))
	if err != nil {
		return nil, fedmatch.E(op, fedmatch.Invalid, "%w", err)
	}
	return model, nil
}

// levelShares returns, per comparison, the share of pairs at each level
// among those where the comparison could be made, with pseudo added to
// every count so an unseen level is rare rather than impossible.
func levelShares(ps Patterns, specs []ComparisonSpec, pseudo float64) [][]float64 {
	acc := zeros(specs)
	for v, n := range ps {
		for c, l := range v {
			if l != Missing {
				acc[c][l] += n
			}
		}
	}
	for c := range acc {
		for l := range acc[c] {
			acc[c][l] += pseudo
		}
		normalise(acc[c])
	}
	return acc
}

func zeros(specs []ComparisonSpec) [][]float64 {
	out := make([][]float64, len(specs))
	for c, s := range specs {
		out[c] = make([]float64, len(s.Levels))
	}
	return out
}

func normalise(ps []float64) {
	sum := 0.0
	for _, p := range ps {
		sum += p
	}
	for i := range ps {
		ps[i] /= sum
	}
}
