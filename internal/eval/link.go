package eval

import (
	"fmt"
	"strings"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/match"
	"github.com/fedmatch/fedmatch/node/store"
)

// Link queries store, which holds records, with every probe row through
// the matcher, as a node does (candidates by index, then scores), and
// scores the outcome against the rows' entities. Every candidate the
// matcher accepts is a scored pair (give it a floor of 0 to see them
// all); a true pair the indexes never offered counts against blocking
// recall.
func Link(store fedmatch.Store, m fedmatch.Matcher, records, probes []Row) (*Result, error) {
	byEntity := map[string][]string{}
	entityOf := map[string]string{}
	for _, r := range records {
		byEntity[r.Entity] = append(byEntity[r.Entity], r.Record.ID)
		entityOf[r.Record.ID] = r.Entity
	}
	res := &Result{Records: len(records), Probes: len(probes)}
	cats := fedmatch.Categories()
	now := time.Now()
	start := time.Now()
	for _, p := range probes {
		probe := fedmatch.ProbeOf(p.Record)
		truth := map[string]bool{}
		for _, id := range byEntity[p.Entity] {
			if id != p.Record.ID { // a row never links to itself
				truth[id] = true
			}
		}
		res.TruePairs += len(truth)
		found, _, err := store.Search(m.Prepare(&probe), cats, now, 0)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			id := f.Record.ID
			if id == p.Record.ID {
				continue
			}
			if truth[id] {
				res.Blocked++
			}
			res.Pairs = append(res.Pairs, Scored{Score: f.Score, True: entityOf[id] == p.Entity})
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// Split divides one FEBRL file into its originals (the node's records)
// and its duplicates (the probes).
func Split(rows []Row) (records, probes []Row) {
	for _, r := range rows {
		if strings.HasSuffix(r.Record.ID, "-org") {
			records = append(records, r)
		} else {
			probes = append(probes, r)
		}
	}
	return records, probes
}

// LinkInStore loads records into a new store in dir, indexed by m, and
// links probes against it with Link.
func LinkInStore(dir string, m fedmatch.Matcher, records, probes []Row) (*Result, error) {
	st, err := store.Open(dir, m, nil)
	if err != nil {
		return nil, err
	}
	recs := make([]*fedmatch.Record, len(records))
	for i, r := range records {
		recs[i] = r.Record
	}
	if _, err := st.Add(recs); err != nil {
		return nil, err
	}
	return Link(st, m, records, probes)
}

// EstimateModel estimates the matcher's model by EM from the records and
// probes together, their labels unused, as a node estimates from its own
// records.
func EstimateModel(records, probes []Row) (*match.Model, error) {
	recs := make([]*fedmatch.Record, 0, len(records)+len(probes))
	seen := map[*fedmatch.Record]bool{}
	for _, rows := range [][]Row{records, probes} {
		for _, r := range rows {
			if !seen[r.Record] { // the same file may be records and probes
				seen[r.Record] = true
				recs = append(recs, r.Record)
			}
		}
	}
	model, _, err := EstimateEM(recs, 2026, fmt.Sprintf("%d FEBRL records, labels unused", len(recs)))
	return model, err
}

// sampleSize is how many random pairs of n records estimate u: fifty a
// record, at most a million.
func sampleSize(n int) int { return min(1_000_000, 50*n) }

// EstimateEM estimates a model by EM from recs, unlabelled, over the pairs
// the store's blocking would offer (match.Estimate). Errors: Invalid.
func EstimateEM(recs []*fedmatch.Record, seed uint64, source string) (*match.Model, match.Stats, error) {
	m := match.New(match.DefaultConfig(), nil)
	return match.Estimate(m.CandidatePairs(recs, store.MaxBucket), match.NewSample(recs, sampleSize(len(recs)), seed, nil), source)
}

// EstimateLabelled estimates a model from recs where same says which two
// records are one person (match.EstimateLabelled). Errors: Invalid.
func EstimateLabelled(recs []*fedmatch.Record, same func(i, j int) bool, seed uint64, source string) (*match.Model, error) {
	m := match.New(match.DefaultConfig(), nil)
	probes := make([]fedmatch.Probe, len(recs))
	for i, r := range recs {
		probes[i] = fedmatch.ProbeOf(r)
	}
	// Each pair once, as the prior counts pairs.
	matches := m.LabelledPairs(recs, probes, func(i, j int) bool { return i < j && same(i, j) }, store.MaxBucket)
	sample := match.NewSample(recs, sampleSize(len(recs)), seed, func(i, j int) bool { return i != j && same(i, j) })
	return match.EstimateLabelled(matches, sample, source)
}
