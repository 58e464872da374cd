package eval

import (
	"strings"
	"time"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/store"
)

// Link queries store, which holds records, with every probe row through
// the matcher, as a node does (candidates by index, then scores), and
// scores the outcome against the rows' entities. Every candidate the
// matcher accepts is a scored pair; a true pair the indexes never offered
// counts against blocking recall.
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
		probe := Probe(p.Record)
		truth := map[string]bool{}
		for _, id := range byEntity[p.Entity] {
			if id != p.Record.ID { // a row never links to itself
				truth[id] = true
			}
		}
		res.TruePairs += len(truth)
		cands, err := store.Candidates(m.ProbeKeys(&probe), cats, now)
		if err != nil {
			return nil, err
		}
		for _, c := range cands {
			if c.ID == p.Record.ID {
				continue
			}
			if truth[c.ID] {
				res.Blocked++
			}
			if s, ok := m.Score(&probe, c); ok {
				res.Pairs = append(res.Pairs, Scored{Score: s.Score, True: entityOf[c.ID] == p.Entity})
			}
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
